"""Hand-offs between pages, each in a fresh session and again through the link the receiving page writes:
the model, how it reads text and the text arrive, with no error; and every page keeps its settings when
the user visits another page and comes back."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.views.apptest import TIMEOUT, gate_view, open_view, sequence_box, type_text
from workbench import keys

APP = Path(__file__).parents[2] / "app.py"


def fresh(view: str, query: dict[str, str]) -> AppTest:
    """A new session opened on ``query`` (a copied link), showing ``views/<view>.py``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run(timeout=TIMEOUT)
    at.switch_page(f"views/{view}.py").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def to_stop(at: AppTest, slug: str) -> None:
    """Show a lesson stop as a user does: its button in the sidebar."""
    at.button(key=keys.LESSONS.go(slug)).click().run(timeout=TIMEOUT)


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def sidebar_text(at: AppTest) -> str:
    return " ".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])


def trained_here(at: AppTest) -> AppTest:
    """The Train page after a short training run of its default task (brackets, LSTM)."""
    at.number_input(key=keys.TRAIN.steps).set_value(20).run(timeout=TIMEOUT)
    at.button(key=keys.TRAIN.go).click().run(timeout=TIMEOUT)
    assert not at.exception and at.session_state[keys.TRAIN.result] is not None
    return at


def test_train_open_in_explore_shows_the_model_on_its_own_text_and_the_link_brings_it_back() -> None:
    at = trained_here(open_view("train"))
    type_text(at, keys.TRAIN.text, "(())()")
    at.button(key=keys.TRAIN.explore).click().run(timeout=TIMEOUT)
    assert not at.exception and problems(at) == []
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == "(())()"
    assert "LSTM trained on brackets" in sidebar_text(at) and "brackets ( and )" in sidebar_text(at)
    link = dict(at.query_params)
    assert link["model"] == "task:brackets" and "weights" in link
    again = fresh("explore", link)
    assert problems(again) == []
    assert "trained on the Train page (brackets)" in sidebar_text(again)
    assert "brackets ( and )" in sidebar_text(again) and "reads numbers" not in sidebar_text(again)
    assert sequence_box(again, keys.EXPLORE.seq_text)["text"] == "(())()"
    assert current_model_of(again).network.layers[0].forward.weights["forget"].shape == (8, 10)


def current_model_of(at: AppTest):
    return at.session_state["model"]


def test_a_shipped_model_goes_from_train_to_explore_with_its_unit_to_watch_selected() -> None:
    at = open_view("train", **{keys.TRAIN.pretrained: "brackets_lstm"})
    at.button(key=keys.TRAIN.load).click().run(timeout=TIMEOUT)
    at.button(key=keys.TRAIN.explore).click().run(timeout=TIMEOUT)
    assert not at.exception and problems(at) == []
    assert at.session_state[keys.EXPLORE.cursor.unit] == 3  # "Watch unit 3 of C_t"
    assert at.query_params["model"] == "trained:brackets_lstm" and at.query_params["unit"] == "3"


def test_train_to_compare_puts_the_model_in_pane_a_and_the_link_brings_it_back() -> None:
    at = trained_here(open_view("train"))
    at.button(key=keys.TRAIN.to_compare).click().run(timeout=TIMEOUT)
    assert not at.exception and problems(at) == []
    assert at.selectbox(key=keys.COMPARE.pane("a", "source")).value == "current"
    shown = " ".join(c.value for c in at.caption).replace("\\", "")  # as drawn: escaped marks show plain
    assert "Shown: LSTM trained on brackets" in shown and "brackets ( and )" in shown
    link = dict(at.query_params)
    assert link["a_src"] == "current" and link["model"] == "task:brackets"
    again = fresh("compare", link)
    assert problems(again) == []
    shown_again = " ".join(c.value for c in again.caption).replace("\\", "")
    assert "Shown: LSTM trained on the Train page (brackets)" in shown_again


def test_a_shipped_model_put_in_compare_opens_on_its_unit_to_watch_on_that_unit_s_own_colours() -> None:
    at = open_view("train")
    at.selectbox(keys.TRAIN.pretrained).set_value("brackets_lstm")
    at.button(key=keys.TRAIN.load).click().run(timeout=TIMEOUT)
    at.button(key=keys.TRAIN.to_compare).click().run(timeout=TIMEOUT)
    assert not at.exception and problems(at) == []
    header = gate_view(at, keys.COMPARE.view_a)[0]
    # "Watch unit 3 of C_t": selected, and coloured on its own range (C_t's shared ±20 would leave it pale)
    assert header["unit"] == 3 and header["ranges"] == "unit"


def test_lessons_open_in_explore_carries_the_edited_model_its_text_step_and_unit() -> None:
    at = open_view("lessons")
    to_stop(at, "forget-gate")
    at.slider(key=keys.LESSONS.knob("forget-gate")).set_value(-3.0).run(timeout=TIMEOUT)
    at.button(key=keys.LESSONS.open_explore).click().run(timeout=TIMEOUT)
    assert not at.exception and problems(at) == []
    model = at.session_state["model"]
    assert model.network.layers[0].forward.biases["forget"][0] == -3.0
    text = sequence_box(at, keys.EXPLORE.seq_text)["text"]
    link = dict(at.query_params)
    again = fresh("explore", link)
    assert problems(again) == []
    assert sequence_box(again, keys.EXPLORE.seq_text)["text"] == text
    assert again.session_state["model"].network.layers[0].forward.biases["forget"][0] == -3.0


def test_weights_to_explore_shows_the_preset_on_its_text_in_a_fresh_session_and_through_the_link() -> None:
    at = open_view("weights", **{keys.WEIGHTS.preset: "counter", keys.WEIGHTS.section: "Presets"})
    at.button(key=keys.WEIGHTS.preset_apply).click().run(timeout=TIMEOUT)
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    assert not at.exception and problems(at) == []
    assert "Preset: " in sidebar_text(at)
    text = sequence_box(at, keys.EXPLORE.seq_text)["text"]
    assert text and at.session_state[keys.EXPLORE.cursor.unit] == 0
    again = fresh("explore", dict(at.query_params))
    assert problems(again) == [] and sequence_box(again, keys.EXPLORE.seq_text)["text"] == text
    assert "Preset: " in sidebar_text(again)


def test_compare_keeps_pane_a_as_peephole_after_a_visit_to_explore() -> None:
    at = open_view("compare")
    at.selectbox(key=keys.COMPARE.pane("a", "kind")).set_value("peephole").run(timeout=TIMEOUT)
    at.number_input(key=keys.COMPARE.pane("b", "seed")).set_value(4).run(timeout=TIMEOUT)
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    at.switch_page("views/compare.py").run(timeout=TIMEOUT)
    assert not at.exception
    assert at.selectbox(key=keys.COMPARE.pane("a", "kind")).value == "peephole"
    assert at.number_input(key=keys.COMPARE.pane("b", "seed")).value == 4


def test_gradient_flow_keeps_its_length_after_a_visit_to_train() -> None:
    at = open_view("gradient_flow")
    at.slider(key=keys.FLOW.steps).set_value(200).run(timeout=TIMEOUT)
    at.switch_page("views/train.py").run(timeout=TIMEOUT)
    at.switch_page("views/gradient_flow.py").run(timeout=TIMEOUT)
    assert not at.exception and at.slider(key=keys.FLOW.steps).value == 200


def test_lessons_keep_each_knob_after_a_visit_to_explore() -> None:
    at = open_view("lessons")
    to_stop(at, "forget-gate")
    at.slider(key=keys.LESSONS.knob("forget-gate")).set_value(4.0).run(timeout=TIMEOUT)
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    at.switch_page("views/lessons.py").run(timeout=TIMEOUT)
    to_stop(at, "forget-gate")
    assert not at.exception and at.slider(key=keys.LESSONS.knob("forget-gate")).value == 4.0


# ----- explanations follow the model ----------------------------------------------------------------
def test_a_presets_note_is_shown_only_while_its_weights_are_its_own() -> None:
    at = open_view("lessons")
    to_stop(at, "forget-gate")
    at.button(key=keys.LESSONS.open_explore).click().run(timeout=TIMEOUT)
    assert "+20" in sidebar_text(at)  # the counter preset as built: its forget gate held open
    at.switch_page("views/lessons.py").run(timeout=TIMEOUT)
    to_stop(at, "forget-gate")
    at.slider(key=keys.LESSONS.knob("forget-gate")).set_value(-3.0).run(timeout=TIMEOUT)
    assert any("now -3, not 20" in c.value for c in at.caption)  # the paragraph is about the stop as built
    at.button(key=keys.LESSONS.open_explore).click().run(timeout=TIMEOUT)
    assert "+20" not in sidebar_text(at) and "never leaks" not in sidebar_text(at)
    assert "may no longer hold" in sidebar_text(at)


def test_compares_start_note_goes_when_a_pane_no_longer_matches_it() -> None:
    at = open_view("compare")
    note = "A is an LSTM and B the lecture's GRU, both with 8 units"
    assert any(note in c.value for c in at.caption)
    at.selectbox(key=keys.COMPARE.pane("b", "kind")).set_value("rnn").run(timeout=TIMEOUT)
    assert not any(note in c.value for c in at.caption)
    at.number_input(key=keys.COMPARE.pane("b", "hidden")).set_value(8).run(timeout=TIMEOUT)
    at.selectbox(key=keys.COMPARE.pane("b", "kind")).set_value("gru").run(timeout=TIMEOUT)
    assert any(note in c.value for c in at.caption)  # true again
