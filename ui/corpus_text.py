"""The coloured text: ui/corpus_text.js mounted as a custom component, fed one page of the corpus at a time.

The browser scrolls through a page by itself (it draws only the lines on screen); near a page's end, or on a jump
of its place slider, it asks for the page around a new place, which lands in ``keys.CORPUS.at`` and reruns only
the fragment that draws it. A click on a character lands in ``keys.CORPUS.clicked``, a selected span in
``keys.CORPUS.selection``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench import keys

HERE = Path(__file__).parent
JS = (HERE / "corpus_text.js").read_text(encoding="utf-8")
CSS = (HERE / "corpus_text.css").read_text(encoding="utf-8")
_COMPONENT = st.components.v2.component("gatescope_corpus_text", js=JS, css=CSS, html="")
K = keys.CORPUS


def _report(name: str) -> object:
    state = st.session_state.get(K.text_view)
    return state.get(name) if hasattr(state, "get") else getattr(state, name, None)


def _take_want() -> None:
    want = _report("want")
    at = want.get("at") if isinstance(want, dict) else None
    if isinstance(at, int | float):
        st.session_state[K.at] = int(at)


def _take_click() -> None:
    click = _report("click")
    if isinstance(click, int | float):
        st.session_state[K.clicked] = int(click)
        st.session_state[K.at] = int(click)


def _take_span() -> None:
    span = _report("span")
    if isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(v, int | float) for v in span):
        a, b = sorted(int(v) for v in span)
        if a < b:
            st.session_state[K.selection] = (a, b)


def coloured_text(page: dict) -> None:
    """Draw one page of coloured text (viz.corpus.text_page)."""
    _COMPONENT(data=page, key=K.text_view, default={"want": None},
               on_want_change=_take_want, on_click_change=_take_click, on_span_change=_take_span)
