"""Text a user types or a link carries is shown as typed on every page, never as Markdown: an image, a link, a
heading or a code span written into it stays those characters (a page drawing it would fetch the image)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.views.apptest import APP, TIMEOUT
from workbench import keys

MARKUP = "![x](http://127.0.0.1:9/x.png) # h `c` **b**"
RAW = ("![x](", "`c`", "**b**")  # how the marks read when Markdown would format them


def shown_texts(at: AppTest) -> list[str]:
    """Every message, caption and Markdown block the page drew, as the Markdown it sends."""
    groups = (at.error, at.warning, at.info, at.success, at.caption, at.markdown, at.toast)
    return [str(element.value) for group in groups for element in group]


def unescaped(at: AppTest) -> list[str]:
    return [text for text in shown_texts(at) if any(mark in text for mark in RAW)]


def quoted(at: AppTest) -> list[str]:
    """The texts that quote the typed text (escaped): the page did say what was wrong."""
    return [text for text in shown_texts(at) if "127.0.0.1:9" in text]


def test_explore_quotes_a_sequence_it_refuses_as_typed() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["kind"] = "lstm"
    at.query_params["mode"] = "numbers"
    at.run(timeout=TIMEOUT)
    at.session_state[keys.EXPLORE.seq_text] = MARKUP
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert quoted(at), shown_texts(at)  # the message names the bad value
    assert not unescaped(at), unescaped(at)


def test_compare_quotes_a_pane_s_refused_sequence_as_typed() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page("views/compare.py")
    at.query_params["a_mode"] = "numbers"
    at.query_params["a_seq"] = MARKUP
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert quoted(at), shown_texts(at)
    assert not unescaped(at), unescaped(at)


def test_compare_quotes_a_link_s_model_as_typed() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page("views/compare.py")
    at.query_params["a_src"] = "current"
    at.query_params["model"] = MARKUP
    at.query_params["weights"] = MARKUP
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert not unescaped(at), unescaped(at)

