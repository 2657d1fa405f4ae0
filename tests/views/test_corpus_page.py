"""The Corpus page: a model over a whole text, its census, the coloured text's gate view, bad inputs refused."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from cells.files.model import LoadedModel
from cells.files.parts import Head
from tests.views.apptest import open_view
from workbench import keys
from workbench.model_files import from_loaded

K = keys.CORPUS
CODE = ('def f(x):\n    """A doc string."""\n    return [x, (x + 1)]  # a comment\n\n'
        'class A:\n    name = "a string"\n    def g(self, y):\n        return {"k": y * 2}\n\n') * 30


def code_model() -> LoadedModel:
    """A small random character model of code: every printable ASCII character, a line break and <unk>."""
    vocabulary = [chr(c) for c in range(32, 127)] + ["\n", "<unk>"]
    rng = np.random.default_rng(3)
    network = cells.Network.create("lstm", 8, 12, num_layers=2, seed=3, scale=1.2)
    head = Head(rng.standard_normal((len(vocabulary), 12)) * 0.3, np.zeros(len(vocabulary)))
    return LoadedModel(network, vocabulary, rng.standard_normal((len(vocabulary), 8)).astype(np.float32), head)


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GATESCOPE_CORPUS_CACHE", str(tmp_path / "cache"))


def opened(**state):
    return open_view("corpus", **{keys.APP.model: from_loaded(code_model(), "Small code LSTM"),
                                  K.model: "current", K.source: "pasted", **state})


def run(at):
    at.button(key=K.run).click()
    at.run(timeout=180)
    assert not at.exception, at.exception
    return at


def test_a_pasted_text_runs_and_the_census_and_saturation_scatter_appear() -> None:
    at = run(opened(**{K.pasted: CODE}))
    assert not at.error, [e.value for e in at.error]
    frame = at.dataframe[0].value
    assert {"layer", "state", "unit", "concept", "score"} <= set(frame.columns)
    result = at.session_state[K.result]
    assert len(frame) == len(result.census) >= 2 * 12 * 6  # every unit of every gate and state of both layers
    assert result.run.steps == len(CODE)
    assert any(e.key == "corpus_saturation" for e in at.get("plotly_chart"))


def test_the_census_table_says_which_claims_its_ablation_confirms_and_concepts_go_by_their_names() -> None:
    at = run(opened(**{K.pasted: CODE}))
    frame = at.dataframe[0].value
    tried = frame[frame["loss rise on (%)"].notna()]
    assert len(tried) and set(tried["confirmed"]) <= {"yes", "no"}
    assert set(frame.loc[frame["loss rise on (%)"].isna(), "confirmed"]) == {""}
    options = at.selectbox(key=K.concept).options
    assert "inside a string or a comment" in options and "string_or_comment" not in options
    at.selectbox(key=K.concept).set_value("string_or_comment").run(timeout=180)
    assert set(at.dataframe[0].value["concept"]) == {"inside a string or a comment"}


def test_an_empty_paste_cannot_run_and_says_so() -> None:
    at = opened(**{K.pasted: "   \n "})
    assert at.button(key=K.run).disabled
    assert any("Paste a text" in c.value for c in at.caption)


def test_a_text_the_model_cannot_read_is_refused_and_the_last_corpus_stays() -> None:
    at = run(opened(**{K.pasted: CODE}))
    first = at.session_state[K.result]
    plain = LoadedModel(cells.Network.create("lstm", 3, 4, seed=0), ["a", "b", "c"])
    at.session_state[keys.APP.model] = from_loaded(plain, "abc LSTM")
    at.run(timeout=180)
    run(at)
    assert any("vocabulary" in e.value or "character" in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state[K.result] is first


def test_the_coloured_text_opens_the_gate_view_on_a_clicked_character_from_the_long_runs_state() -> None:
    at = run(opened(**{K.pasted: CODE}))
    result = at.session_state[K.result]
    at.session_state[K.section] = "text"
    at.session_state[K.unit] = "1.cell.4"
    at.session_state[K.clicked] = 700
    at.run(timeout=180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state[K.cursor.unit] == 4
    start = 700 - at.session_state[K.cursor.step]
    window = result.run.trace_window(start, start + 10).trace(1).values["cell"]
    expected = result.run.unit_values(1, "cell", 4, start, start + 10)
    np.testing.assert_allclose(window[:, 4], expected, atol=1e-5)


def test_a_link_to_a_unit_and_a_place_runs_once_and_opens_the_coloured_text_and_gate_view_there() -> None:
    from streamlit.testing.v1 import AppTest

    from tests.views.apptest import APP, TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page("views/corpus.py")
    at.query_params.update({"section": "text", "unit": "0.hidden.2", "at": "300"})
    for key, value in {keys.APP.model: from_loaded(code_model(), "Small code LSTM"), K.model: "current",
                       K.source: "pasted", K.pasted: CODE}.items():
        at.session_state[key] = value
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state[K.result].run.steps == len(CODE)  # the link ran the model without a click
    assert at.session_state[K.unit] == "0.hidden.2" and at.session_state[K.clicked] == 300
    assert at.session_state[K.cursor.unit] == 2
    at.button(key=K.open_explore).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    start = 300 - at.session_state[K.cursor.step]
    assert at.session_state[keys.EXPLORE.seq_text] == CODE[start : start + 120]
    assert at.session_state[keys.EXPLORE.cursor.step] == 300 - start


def test_the_shipped_text_can_be_its_first_few_files_for_a_quick_run() -> None:
    from workbench import corpus as wc

    code = [e["name"] for e in wc.text_models() if e.get("corpus")]
    if not code:
        pytest.skip("no shipped code model in assets/pretrained/manifest.json")
    at = open_view("corpus", **{K.model: code[0], K.source: "shipped"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    files = wc.held_out_files(code[0])
    slider = at.select_slider(key=K.part)
    assert slider.value == len(files)  # every held-out file unless the user asks for fewer
    assert any(f"{len(wc.shipped_text(files)):,} characters" in c.value for c in at.caption)
    slider.set_value(5).run()
    assert not at.exception, at.exception
    first = wc.shipped_text(files[:5])
    shown = [c.value for c in at.caption if "characters" in c.value]
    assert any(c.startswith(f"The first 5 of {len(files)} held-out") and f"{len(first):,} characters" in c
               for c in shown), shown


def test_open_in_explore_shows_the_layer_of_the_unit_it_carries() -> None:
    at = run(opened(**{K.pasted: CODE}))
    at.session_state[K.section] = "text"
    at.session_state[K.unit] = "1.cell.4"  # a unit of the second layer
    at.session_state[K.clicked] = 700
    at.run(timeout=180)
    at.button(key=K.open_explore).click().run(timeout=180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state[keys.EXPLORE.cursor.unit] == 4
    assert at.session_state[keys.EXPLORE.view_layer] == 1  # Explore shows layer 2, where unit 4 was chosen


def test_a_link_to_the_first_few_shipped_files_chooses_just_those() -> None:
    from streamlit.testing.v1 import AppTest

    from tests.views.apptest import APP, TIMEOUT
    from workbench import corpus as wc

    code = [e["name"] for e in wc.text_models() if e.get("corpus")]
    if not code:
        pytest.skip("no shipped code model in assets/pretrained/manifest.json")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page("views/corpus.py")
    at.query_params.update({"files": "5"})
    at.session_state[K.model] = code[0]
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.select_slider(key=K.part).value == 5
    assert any(c.value.startswith("The first 5 of") for c in at.caption)


def test_before_any_run_the_first_screen_has_a_run_button_that_names_the_model_and_text() -> None:
    at = opened(**{K.pasted: CODE})
    assert not at.exception and K.result not in at.session_state
    here = at.button(key=K.run_here)
    shown = here.label.replace("\\", "")  # as the page shows it: the label's markdown escapes removed
    assert shown == f"Run: The model on the Weights page: Small code LSTM, over pasted text ({len(CODE):,} characters)"
    here.click().run(timeout=180)
    assert not at.exception, at.exception
    assert at.session_state[K.result].run.steps == len(CODE)
    assert not [b for b in at.button if b.key == K.run_here]  # the page shows the run now, not its first words
    assert not [i for i in at.info if "press **Run**" in i.value]


def test_a_link_names_the_model_it_shows_and_brings_it_back_at_once() -> None:
    from streamlit.testing.v1 import AppTest

    from cells.learning.tasks import TEXT
    from tests.views.apptest import APP, TIMEOUT
    from workbench import corpus as wc

    at = open_view("corpus", **{K.model: "text_lstm", K.source: "shipped"})
    run(at)
    at.session_state[K.unit] = "0.cell.5"
    at.run(timeout=TIMEOUT)
    link = dict(at.query_params)
    assert link == {"section": "census", "model": "text_lstm", "unit": "0.cell.5"}, link
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)  # whoever opens the link: a new session
    fresh.switch_page("views/corpus.py")
    fresh.query_params.update(link)
    fresh.run(timeout=TIMEOUT)
    assert not fresh.exception and not fresh.error, [e.value for e in fresh.error]
    result = fresh.session_state[K.result]  # run without a click, by the model the link names
    assert fresh.session_state[K.model] == "text_lstm" and result.run.steps == len(TEXT)
    assert fresh.session_state[K.unit] == "0.cell.5"
    wrong = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    wrong.switch_page("views/corpus.py")
    wrong.query_params.update({**link, "model": "text_gru"})
    wrong.run(timeout=TIMEOUT)
    names = ", ".join(e["name"] for e in wc.text_models())
    assert not wrong.exception and [e.value.replace("\\", "") for e in wrong.error] == [
        f"link: model should be one of the shipped text models ({names}), got 'text_gru'"]
    assert K.result not in wrong.session_state  # said, and nothing run that the link did not ask for
    assert wrong.button(key=K.run_here).label.startswith("Run: ")


def test_a_view_of_a_text_a_link_cannot_carry_writes_no_link() -> None:
    at = run(opened(**{K.pasted: CODE}))
    at.session_state[K.section] = "text"
    at.session_state[K.unit] = "1.cell.4"
    at.session_state[K.clicked] = 700
    at.run(timeout=180)
    assert not at.exception, at.exception
    assert dict(at.query_params) == {}  # a pasted text and the Weights page's model: no link brings them back


def test_a_click_on_the_section_shown_keeps_it() -> None:
    at = run(opened(**{K.pasted: CODE}))
    switch = at.button_group(key=K.section)
    switch.set_value("text").run(timeout=180)
    assert at.session_state[K.section] == "text" and at.text_input(key=K.unit_box)  # the coloured text's unit box
    at.button_group(key=K.section).set_value(None).run(timeout=180)  # the chosen one clicked again clears it
    assert not at.exception, at.exception
    assert at.button_group(key=K.section).value == "text"  # still named, and still what the page shows
    assert at.text_input(key=K.unit_box)


def test_a_selected_span_shows_its_characters_visibly_and_lists_where_its_units_come_on() -> None:
    at = run(opened(**{K.pasted: CODE}))
    corpus_run = at.session_state[K.result].run
    spaces = [a for a in range(len(CODE) - 1) if CODE[a : a + 2] == "  "]  # in indentation: invisible as they are
    span = next((a, a + 2) for a in spaces if corpus_run.select(a, a + 2, 0.1))  # this random model's units
    at.session_state[K.selection] = span
    at.session_state[K.threshold] = 0.1
    at.session_state[K.section] = "match"
    at.run(timeout=180)
    assert not at.exception, at.exception
    assert any(f"Span {span[0]:,}–{span[1]:,}: “␣␣”" in m.value for m in at.markdown)
    listed = [c.value for c in at.caption if "of the set on" in c.value]
    assert listed and all(c.endswith("other units on, on average") for c in listed), listed
