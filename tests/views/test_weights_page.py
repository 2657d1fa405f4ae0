"""The Weights page and the fixed model in Explore, in Streamlit's AppTest: edit, knob, preset, clamp,
reset, share, and text a model cannot read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import cells
from cells import presets
from tests.views.apptest import gate_view, report_cursor, sequence_box, type_text
from tests.viz.figjson import decode
from ui.model import MODEL_KEY
from workbench import keys
from workbench.model import from_network
from workbench.model_files import export_torch
from workbench.settings import DEFAULTS, MAX_LINK_TEXT
from workbench.weights import SECTIONS, apply_edits

APP = Path(__file__).parents[2] / "app.py"
TIMEOUT = 120
TEXT = "hello world"  # one-hot columns h, e, l, o, ␣, w, r, d


def open_weights(query: dict[str, str] | None = None, hidden: int = 4, text: str = TEXT) -> AppTest:
    """The app, then the Weights page with the shared settings at their defaults and a small network."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.switch_page("views/weights.py")  # opened straight on the page, as its link does
    at.run(timeout=TIMEOUT)
    settle(at, hidden=hidden, text=text)
    return at


def settle(at: AppTest, hidden: int | None = None, text: str | None = None) -> None:
    """AppTest forgets widget values on a page switch (a browser keeps them): put them back, then run."""
    for key, value in DEFAULTS.items():
        at.session_state[key] = list(value) if isinstance(value, list) else value
    if hidden is not None:
        at.session_state[keys.EXPLORE.net_hidden] = hidden
    if text is not None:
        at.session_state[keys.EXPLORE.seq_text] = text
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception


def chart(at: AppTest, name: str) -> dict:
    """The decoded JSON of the chart with this key (Weights page key names, or Explore's heatmap keys)."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(name):
            return decode(json.loads(element.proto.spec))
    raise AssertionError(f"no chart {name}; charts: {[e.proto.id[-30:] for e in at.get('plotly_chart')]}")


# Heatmaps drawn in a gate view by name: Explore's gates ("explore:cell") and the clamp's, and where they are.
IN_VIEWS = {
    **{f"explore:{g}": (keys.EXPLORE.cursor.view, g) for g in ("forget", "input", "candidate", "output", "cell",
                                                               "hidden")},
    **{keys.WEIGHTS.chart(n): (keys.WEIGHTS.clamp.view, a) for n, a in (("clamped_gate", "clamped"),
                                                                  ("delta_cell", "delta_cell"),
                                                                  ("delta_hidden", "delta_hidden"))},
}
PREVIEW = keys.WEIGHTS.chart("preview_")  # the preview's panels: the gate being edited, the memory state, h_t


def z(at: AppTest, name: str) -> np.ndarray:
    """A heatmap's values: (units, steps) for gate heatmaps, whether a Plotly chart or a gate view's panel."""
    if name in IN_VIEWS:
        view, array = IN_VIEWS[name]
        return gate_view(at, view)[1][array].T
    if name.startswith(PREVIEW):  # panels are numbered in the order shown: "0_forget", "1_cell", "2_hidden"
        arrays = gate_view(at, keys.WEIGHTS.preview.view)[1]
        return next(a for n, a in arrays.items() if n.split("_", 1)[-1] == name[len(PREVIEW):]).T
    return np.asarray(chart(at, name)["data"][0]["z"], np.float64)


def as_read(markdown: str) -> str:
    """Markdown as a reader sees it: without the backslashes that keep names from a file literal."""
    return re.sub(r"\\(.)", r"\1", markdown)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def model(at: AppTest) -> object:
    return at.session_state[MODEL_KEY] if MODEL_KEY in at.session_state else None  # noqa: SIM401


def edit(at: AppTest, field: str, rows: dict, shape: tuple[int, int], gate: str = "forget", version: int = 0) -> None:
    key = keys.WEIGHTS.editor(field, 0, "forward", gate, version, shape)
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception


def test_the_page_shows_the_drawn_networks_gate_its_matrix_and_what_it_does() -> None:
    at = open_weights()
    assert not errors(at)
    matrix = chart(at, keys.WEIGHTS.chart("matrix"))
    assert matrix["layout"]["xaxis"]["ticktext"][:5] == ["h0", "h1", "h2", "h3", "x0 (h)"]
    assert z(at, keys.WEIGHTS.chart("preview_forget")).shape == (4, len(TEXT))
    assert model(at) is None  # nothing is fixed until the user edits


def test_editing_a_weight_fixes_the_model_and_redraws_its_heatmaps_here_and_in_explore() -> None:
    at = open_weights()
    before = z(at, keys.WEIGHTS.chart("preview_forget"))
    edit(at, "weights", {0: {"x0 (h)": 30.0}}, (4, 13))
    assert not errors(at)
    fixed = model(at)
    assert fixed is not None and fixed.label == "Drawn LSTM (edited)" and fixed.original is not None
    assert fixed.network.layers[0].forward.weights["forget"][0, 4] == 30.0
    after = z(at, keys.WEIGHTS.chart("preview_forget"))
    assert after[0, 0] == pytest.approx(1.0, abs=1e-3) and before[0, 0] < 0.99  # f_t of unit 0 at 'h' opens
    np.testing.assert_array_equal(after[1:], before[1:])  # other units' forget gates are untouched
    assert chart(at, keys.WEIGHTS.chart("matrix"))["data"][0]["z"][0][4] == 30.0

    at.switch_page("views/explore.py")
    settle(at, text=TEXT)
    assert "Drawn LSTM (edited)" in as_read(" ".join(m.value for m in at.sidebar.markdown))
    assert z(at, "explore:forget")[0, 0] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(("value", "shown"), [("abc", "'abc'"), (None, "an empty cell"), ("inf", "'inf'"),
                                              (float("nan"), "an empty cell")])
def test_editor_input_that_is_not_a_finite_number_is_refused_in_place(value: object, shown: str) -> None:
    at = open_weights()
    before = z(at, keys.WEIGHTS.chart("preview_forget"))
    edit(at, "weights", {1: {"h1": value}}, (4, 13))
    assert errors(at) == [f"f_t weights, row u1, column h1: {shown} is not a finite number; "
                          "the weights stay as they were"]
    assert model(at) is None
    np.testing.assert_array_equal(z(at, keys.WEIGHTS.chart("preview_forget")), before)


def test_text_typed_over_a_row_name_is_refused_with_a_message_a_reader_understands() -> None:
    at = open_weights()
    before = z(at, keys.WEIGHTS.chart("preview_forget"))
    edit(at, "weights", {2: {"_index": " "}}, (4, 13))
    assert not at.exception
    assert errors(at) == ["f_t weights, row u2: the row names (the units) stay as they are; type numbers into "
                          "the columns beside them. The weights stay as they were"]
    assert model(at) is None
    np.testing.assert_array_equal(z(at, keys.WEIGHTS.chart("preview_forget")), before)


def test_editing_a_bias_cell_moves_that_units_gate() -> None:
    at = open_weights()
    edit(at, "weights", {2: {"b": -40.0}}, (4, 13))  # the bias: the last column
    forget = z(at, keys.WEIGHTS.chart("preview_forget"))
    assert np.all(forget[2] < 1e-3) and np.any(forget[:2] > 0.05)


def test_the_bias_knob_shifts_every_unit_and_the_gate_opens() -> None:
    at = open_weights()
    before = z(at, keys.WEIGHTS.chart("preview_forget"))
    at.slider(key=keys.WEIGHTS.knob("shift", 0, "forward", "forget")).set_value(3.0).run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    fixed = model(at)
    np.testing.assert_allclose(fixed.network.layers[0].forward.biases["forget"],
                               fixed.original.layers[0].forward.biases["forget"] + 3.0)
    after = z(at, keys.WEIGHTS.chart("preview_forget"))
    assert np.all(after >= before) and after.mean() > before.mean() + 0.2
    # Moving the knob back takes the shift off again.
    at.slider(key=keys.WEIGHTS.knob("shift", 0, "forward", "forget")).set_value(0.0).run(timeout=TIMEOUT)
    np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_forget")), before, atol=1e-3)


def test_the_scale_knob_multiplies_the_matrix_and_reset_brings_back_the_first_weights() -> None:
    at = open_weights()
    at.radio(key=keys.WEIGHTS.gate).set_value("input").run(timeout=TIMEOUT)
    at.slider(key=keys.WEIGHTS.knob("scale", 0, "forward", "input")).set_value(2.0).run(timeout=TIMEOUT)
    fixed = model(at)
    np.testing.assert_allclose(fixed.network.layers[0].forward.weights["input"],
                               2 * fixed.original.layers[0].forward.weights["input"])
    at.button(key=keys.WEIGHTS.reset).click().run(timeout=TIMEOUT)
    back = model(at)
    assert back.original is None and back.label == "Drawn LSTM"
    np.testing.assert_array_equal(back.network.layers[0].forward.weights["input"],
                                  fixed.original.layers[0].forward.weights["input"])
    assert at.slider(key=keys.WEIGHTS.knob("scale", 0, "forward", "input")).value == 1.0


def test_redraw_gives_new_weights_of_the_same_shape() -> None:
    at = open_weights()
    at.number_input(key=keys.WEIGHTS.seed).set_value(7).run(timeout=TIMEOUT)
    at.button(key=keys.WEIGHTS.redraw).click().run(timeout=TIMEOUT)
    fixed = model(at)
    expected = cells.Network.create("lstm", 8, 4, seed=7)
    np.testing.assert_array_equal(fixed.network.layers[0].forward.weights["forget"],
                                  expected.layers[0].forward.weights["forget"])


def open_tab(at: AppTest, section: str) -> None:
    """Open one of the page's task tabs (ui.weights.SECTIONS), as a click on it does."""
    assert section in SECTIONS
    at.session_state[keys.WEIGHTS.section] = section
    at.run(timeout=TIMEOUT)


def test_only_the_open_task_tab_is_drawn_and_it_stays_open_across_pages() -> None:
    at = open_weights()
    assert [t.label for t in at.tabs] == list(SECTIONS)
    drawn = lambda: ({w.key for w in at.toggle}, {w.key for w in at.selectbox}, len(at.get("file_uploader")))  # noqa: E731
    toggles, selects, uploaders = drawn()
    assert keys.WEIGHTS.clamp_on in toggles and keys.WEIGHTS.preset not in selects and uploaders == 0
    open_tab(at, "Presets")
    toggles, selects, uploaders = drawn()
    assert keys.WEIGHTS.clamp_on not in toggles and keys.WEIGHTS.preset in selects and uploaders == 0
    open_tab(at, "Download and upload")
    assert drawn()[2] == 2  # the model file and its vocabulary file
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    at.switch_page("views/weights.py").run(timeout=TIMEOUT)
    assert not at.exception and drawn()[2] == 2


def apply_preset(at: AppTest, name: str) -> None:
    open_tab(at, "Presets")
    at.selectbox(key=keys.WEIGHTS.preset).set_value(name).run(timeout=TIMEOUT)
    at.button(key=keys.WEIGHTS.preset_apply).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception


def depth(text: str) -> np.ndarray:
    return np.cumsum([1 if c == "(" else -1 if c == ")" else 0 for c in text])


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_each_preset_applies_with_its_sequence_and_shows_its_behaviour(name: str) -> None:
    at = open_weights()
    apply_preset(at, name)
    p = presets.PRESETS[name]
    assert not errors(at)
    assert model(at).label == f"Preset: {p.title}"
    assert at.session_state[keys.EXPLORE.seq_text] == p.sequence
    assert p.explanation in [m.value for m in at.markdown]
    xs = p.inputs().xs
    if name == "bracket-depth":
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_cell"))[0], depth(p.sequence), atol=1e-3)
    elif name == "counter":
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_cell"))[0],
                                   np.cumsum([c == "a" for c in p.sequence]), atol=1e-3)
    elif name == "remember":
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_cell"))[0], np.tanh(xs[0, 0]), atol=1e-3)
    elif name in ("forget", "gru-forget"):
        shown = "preview_cell" if name == "forget" else "preview_hidden"
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart(shown))[0], np.tanh(xs[:, 0]), atol=1e-3)
    elif name in ("latch", "gru-latch"):
        marked = np.maximum.accumulate(np.where(xs[:, 1] == 1, np.arange(len(xs)), -1))
        held = np.where(marked >= 0, np.tanh(xs[np.maximum(marked, 0), 0]), 0.0)
        shown = "preview_cell" if name == "latch" else "preview_hidden"
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart(shown))[0], held, atol=1e-3)
    elif name == "gru-remember":
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_hidden"))[0], np.tanh(xs[0, 0]), atol=1e-3)
    elif name == "gru-counter":
        counts = np.cumsum([c == "a" for c in p.sequence])
        np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_hidden"))[0], presets.gru_count_value(counts),
                                   atol=1e-3)
    else:
        raise AssertionError(f"no behaviour check for preset {name}")


def test_clamping_the_input_gate_shut_shows_the_depth_it_no_longer_stores() -> None:
    at = open_weights()
    apply_preset(at, "bracket-depth")
    text = presets.PRESETS["bracket-depth"].sequence
    open_tab(at, "Clamp or ablate a gate")
    at.toggle(key=keys.WEIGHTS.clamp_on).set_value(True).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert at.slider(key=keys.WEIGHTS.clamp_steps).value == (0, len(text) - 1)
    at.selectbox(key=keys.WEIGHTS.clamp_gate).set_value("input").run(timeout=TIMEOUT)
    at.slider(key=keys.WEIGHTS.clamp_value).set_value(0.0).run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("clamped_gate"))[0], 0.0, atol=1e-9)
    np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("delta_cell"))[0], -depth(text), atol=1e-3)  # Δ = −depth
    scale = next(p for p in gate_view(at, keys.WEIGHTS.clamp.view)[0]["panels"] if p["name"] == "delta_cell")["scale"]
    assert scale["min"] == -scale["max"] > -np.inf
    np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("delta_hidden"))[0], -np.tanh(depth(text)), atol=2e-3)

    # Only from step 10 on: the depth up to step 9 is stored, then frozen.
    at.slider(key=keys.WEIGHTS.clamp_steps).set_value((10, len(text) - 1)).run(timeout=TIMEOUT)
    d = depth(text)
    expected = np.where(np.arange(len(text)) < 10, 0, d[9] - d)
    np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("delta_cell"))[0], expected, atol=1e-3)


def test_explore_shows_a_ready_model_and_refuses_text_it_cannot_read() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    at.selectbox(key=keys.EXPLORE.ready_model).set_value("preset:bracket-depth").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    text = presets.PRESETS["bracket-depth"].sequence
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == text
    sidebar = as_read(" ".join(m.value for m in at.sidebar.markdown) + " ".join(c.value for c in at.sidebar.caption))
    assert "Preset: LSTM: bracket depth" in sidebar and "characters of '()ab', one-hot" in sidebar
    assert not [s for s in at.sidebar.selectbox if s.key == keys.EXPLORE.net_kind]  # the settings are fixed
    np.testing.assert_allclose(z(at, "explore:cell")[0], depth(text), atol=1e-3)

    type_text(at, keys.EXPLORE.seq_text, "((x))")
    assert not at.exception
    assert any("'x' at step 2" in e and "Showing the last sequence that worked" in e for e in errors(at))
    np.testing.assert_allclose(z(at, "explore:cell")[0], depth(text), atol=1e-3)  # the last good view

    type_text(at, keys.EXPLORE.seq_text, "(((")
    assert not errors(at)
    np.testing.assert_allclose(z(at, "explore:cell")[0], [1, 2, 3], atol=1e-3)

    at.button(key=keys.EXPLORE.drop_model).click().run(timeout=TIMEOUT)
    assert model(at) is None and [s for s in at.sidebar.selectbox if s.key == keys.EXPLORE.net_kind]


def test_explore_shows_a_shipped_trained_model() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    at.selectbox(key=keys.EXPLORE.ready_model).set_value("trained:brackets_lstm").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    assert model(at).label == "LSTM trained on brackets"
    assert z(at, "explore:cell").shape == (8, len(at.session_state[keys.EXPLORE.seq_text]))


def test_edited_weights_ride_in_the_share_link() -> None:
    at = open_weights()
    edit(at, "weights", {0: {"x0 (h)": 30.0}, 3: {"h0": -2.5}}, (4, 13))
    query = dict(at.query_params)
    assert query["model"] == "chars:helo wrd" and query["weights"].startswith("w1.lstm.1.1.4.8.")
    again = open_weights(query={k: v if isinstance(v, str) else v[-1] for k, v in query.items()})
    assert not errors(again)
    shared = model(again)
    np.testing.assert_allclose(shared.network.layers[0].forward.weights["forget"],
                               model(at).network.layers[0].forward.weights["forget"], rtol=1e-6)
    assert shared.network.layers[0].forward.weights["forget"][0, 4] == 30.0
    np.testing.assert_allclose(z(again, keys.WEIGHTS.chart("preview_forget")),
                               z(at, keys.WEIGHTS.chart("preview_forget")), atol=2e-3)


def test_a_preset_link_names_the_preset_and_a_hostile_weights_link_is_refused() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["model"] = "preset:counter"
    at.run(timeout=TIMEOUT)
    assert model(at).label == "Preset: LSTM: count the a's" and not errors(at)
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == presets.PRESETS["counter"].sequence
    bad = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    bad.query_params.update({"model": "numbers", "weights": "w1.lstm.1.1.4.3.-.AAAA"})
    bad.run(timeout=TIMEOUT)
    assert not bad.exception and model(bad) is None
    assert any(e.startswith("Link: the model was not used (weights:") for e in errors(bad)), errors(bad)


def test_a_model_too_large_for_the_link_says_so() -> None:
    at = open_weights()
    at.session_state[MODEL_KEY] = from_network(cells.Network.create("lstm", 3, 12), "Big")
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any("hidden size 12" in i.value and "Download the model file" in i.value for i in at.info)
    assert "weights" not in at.query_params


def test_apply_edits_names_gate_row_and_column_and_leaves_the_table_alone() -> None:
    frame = pd.DataFrame(np.zeros((2, 2)), index=["u0", "u1"], columns=["h0", "x0"])
    np.testing.assert_array_equal(apply_edits(frame, {"1": {"x0": "2.5"}}, "f_t weights").to_numpy(),
                                  [[0, 0], [0, 2.5]])
    with pytest.raises(ValueError, match="f_t weights: there is no column 'x8'"):
        apply_edits(frame, {0: {"x8": 1.0}}, "f_t weights")
    with pytest.raises(ValueError, match="row 5 is not a row"):
        apply_edits(frame, {5: {"h0": 1.0}}, "f_t weights")
    with pytest.raises(ValueError, match="row u0, column h0: True is not a finite number"):
        apply_edits(frame, {0: {"h0": True}}, "f_t weights")
    assert frame.to_numpy().sum() == 0


def test_letters_typed_in_a_weight_cell_keep_the_old_weight_and_the_editor_shows_it_again() -> None:
    """The editors hold text, so letters come back as letters (a number editor made them 0.000 or None):
    refused by name, the model not marked edited, and the editor drawn afresh with the weight it had."""
    at = open_weights()
    edit(at, "weights", {0: {"h0": "abc"}}, (4, 13))
    assert errors(at) == ["f_t weights, row u0, column h0: 'abc' is not a finite number; the weights stay as "
                          "they were"]
    assert model(at) is None
    fresh = at.session_state[keys.WEIGHTS.editor("weights", 0, "forward", "forget", 1, (4, 13))]
    assert not fresh.get("edited_rows")  # the next editor starts from the weights, not from "abc"


def test_a_refused_edit_is_still_said_after_the_reruns_that_follow_it_until_an_edit_is_used() -> None:
    at = open_weights()
    edit(at, "weights", {0: {"h0": "abc"}}, (4, 13))
    said = ["f_t weights, row u0, column h0: 'abc' is not a finite number; the weights stay as they were"]
    assert errors(at) == said
    at.run(timeout=TIMEOUT)  # a rerun the user did not ask for (the grid or the address bar's component)
    at.run(timeout=TIMEOUT)
    assert errors(at) == said
    edit(at, "weights", {0: {"h0": "0.5"}}, (4, 13), version=1)
    assert errors(at) == [] and model(at).network.layers[0].forward.weights["forget"][0, 0] == 0.5


def test_a_cell_closed_without_a_change_keeps_its_exact_weight() -> None:
    frame = pd.DataFrame([[0.123456, -2.0]], index=["u0"], columns=["h0", "x0"])
    out = apply_edits(frame, {0: {"h0": "0.123", "x0": " -2.000 "}}, "f_t weights")
    assert out.iloc[0, 0] == 0.123456 and out.iloc[0, 1] == -2.0  # the text it showed, not a rounded weight
    assert apply_edits(frame, {0: {"h0": "0.5"}}, "f_t weights").iloc[0, 0] == 0.5


def test_peephole_matrices_and_recurrent_biases_have_their_own_editors() -> None:
    at = open_weights()
    at.session_state[keys.EXPLORE.net_kind] = "peephole"
    at.run(timeout=TIMEOUT)
    edit(at, "peepholes", {2: {"C2": 1.25}}, (4, 4))
    assert not errors(at)
    assert model(at).network.layers[0].forward.peepholes["forget"][2, 2] == 1.25

    again = open_weights()
    again.session_state[keys.EXPLORE.net_kind] = "gru_torch"
    again.run(timeout=TIMEOUT)
    edit(again, "weights", {0: {"b_h": 4.0}}, (4, 14), gate="update")  # [W | b | b_h]
    cell = model(again).network.layers[0].forward
    assert cell.hidden_biases["update"][0] == 4.0 and cell.biases["update"][0] != 4.0


def test_a_deeper_bidirectional_layer_edits_its_own_cell() -> None:
    at = open_weights()
    at.session_state[keys.EXPLORE.net_bidirectional] = True
    at.session_state[keys.EXPLORE.net_layers] = 2
    at.run(timeout=TIMEOUT)
    at.selectbox(key=keys.WEIGHTS.layer).set_value(1).run(timeout=TIMEOUT)
    at.radio(key=keys.WEIGHTS.direction).set_value("backward").run(timeout=TIMEOUT)
    key = keys.WEIGHTS.editor("weights", 1, "backward", "forget", 0, (4, 13))  # [h_1..h_4, layer 1's →h, ←h, b]
    at.session_state[key] = {"edited_rows": {3: {"x7": -7.0}}, "added_rows": [], "deleted_rows": []}
    at.run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    network = model(at).network
    assert network.layers[1].backward.weights["forget"][3, 11] == -7.0
    assert network.layers[1].forward.weights["forget"][3, 11] != -7.0


@pytest.mark.parametrize(("mode", "text", "inputs", "source"), [
    ("numbers", "1 0; 0 1; 0.5 0.5", 2, "numbers"),
    ("embed", "abcab", 8, "embed:8:0"),
])
def test_an_edited_drawn_network_keeps_reading_text_the_way_it_was_drawn(mode: str, text: str, inputs: int,
                                                                         source: str) -> None:
    at = open_weights(text=text)
    at.session_state[keys.EXPLORE.seq_mode] = mode
    at.run(timeout=TIMEOUT)
    assert not errors(at)
    edit(at, "weights", {0: {"h0": 2.0}}, (4, 4 + inputs + 1))
    fixed = model(at)
    assert fixed.source == source and fixed.inputs(text).xs.shape == (3 if mode == "numbers" else 5, inputs)
    assert z(at, keys.WEIGHTS.chart("preview_forget")).shape[1] == (3 if mode == "numbers" else 5)


# ----- what the app writes itself keeps to the limits it puts on typed input -------------------------
def upload(at: AppTest, name: str, data: bytes) -> None:
    """Upload a file as the model, with the vocabulary box empty (the model then reads typed numbers)."""
    open_tab(at, "Download and upload")
    at.file_uploader(key=keys.WEIGHTS.upload).set_value((name, data, "application/octet-stream")).run(timeout=TIMEOUT)
    at.text_input(key=keys.WEIGHTS.upload_vocab).set_value("").run(timeout=TIMEOUT)
    at.button(key=keys.WEIGHTS.upload_apply).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception


def test_a_wide_uploaded_model_gets_an_example_the_box_and_the_link_can_hold() -> None:
    at = open_weights()
    upload(at, "wide.npz", export_torch(cells.Network.create("lstm", 600, 2, seed=0)))
    assert not errors(at)
    assert model(at).label == "Uploaded: wide.npz"
    text = at.session_state[keys.EXPLORE.seq_text]
    assert 0 < len(text) <= MAX_LINK_TEXT  # the box's own limit is MAX_TEXT, a link's MAX_LINK_TEXT
    assert z(at, keys.WEIGHTS.chart("preview_forget")).shape[0] == 2  # the model runs on it, here ...
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert not errors(at)
    assert z(at, "explore:forget").shape == (2, text.count(";") + 1)  # ... and in Explore
    query = {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}
    assert len("&".join(f"{k}={v}" for k, v in query.items())) < 12_500
    assert query["seq"] == text


def test_a_model_too_wide_to_read_is_refused_on_upload_and_the_current_model_stays() -> None:
    at = open_weights()
    upload(at, "wider.npz", export_torch(cells.Network.create("lstm", 2_100, 2, seed=0)))
    assert model(at) is None
    shown = " ".join(errors(at))
    assert "reads 2,100 inputs per step" in shown and "at most 1,000" in shown and "current model stays" in shown
    assert at.session_state[keys.EXPLORE.seq_text] == TEXT
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    assert not at.exception, at.exception


def test_a_sequence_too_long_for_a_link_is_left_out_and_the_page_says_so() -> None:
    at = open_weights(text="1 0; 0 1")
    at.session_state[keys.EXPLORE.seq_mode] = "numbers"
    at.run(timeout=TIMEOUT)
    edit(at, "weights", {0: {"h0": 2.0}}, (4, 7))
    at.session_state[keys.EXPLORE.seq_text] = "; ".join(["0.125 -0.5"] * 400)  # 400 steps in 4,798 characters
    at.run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    assert "seq" not in at.query_params and "weights" in at.query_params
    assert any("too long for the share link" in i.value and "4,798 characters" in i.value for i in at.info)


def test_a_link_to_edited_weights_brings_back_the_sequence_on_screen() -> None:
    at = open_weights()
    edit(at, "weights", {0: {"h0": 2.0}}, (4, 13))
    assert model(at).source == "chars:helo wrd"
    fresh = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in at.query_params.items():
        fresh.query_params[name] = value if isinstance(value, str) else value[-1]
    fresh.run(timeout=TIMEOUT)
    assert not fresh.exception and not errors(fresh)
    assert model(fresh).network.layers[0].forward.weights["forget"][0, 0] == 2.0
    assert sequence_box(fresh, keys.EXPLORE.seq_text)["text"] == TEXT  # not the model's own example, "helo wrd"


def test_a_model_from_a_file_reads_typed_text_through_its_embedding_and_shows_its_predictions() -> None:
    from workbench.model_files import load_upload

    path = Path(__file__).parents[1] / "fixtures" / "models" / "char_lm.safetensors"
    uploaded = load_upload(path.name, path.read_bytes())
    at = open_weights(text="the lazy fox jump")
    at.session_state[MODEL_KEY] = uploaded
    at.run(timeout=TIMEOUT)
    assert not at.exception and not errors(at), errors(at)
    assert z(at, keys.WEIGHTS.chart("preview_forget")).shape == (16, 17)  # 16 units of layer 1, 17 characters
    (table,) = [d.value for d in at.table if "prediction" in d.value.columns]
    assert table["prediction"].iloc[0] == "s"  # after "…jump" the trained model says "s"
    line = chart(at, keys.WEIGHTS.predict.line)
    p = np.asarray(line["data"][0]["y"], np.float64)
    assert p.shape == (17,) and p[-1] == pytest.approx(table["probability"].iloc[0], abs=1e-3)
    assert any("which a link does not carry" in i.value for i in at.info)
    at.session_state[keys.EXPLORE.seq_text] = "the lazy fox jumpX"
    at.run(timeout=TIMEOUT)
    assert any("unknown character 'X' at step 17" in e for e in errors(at)), errors(at)
    assert z(at, keys.WEIGHTS.chart("preview_forget")).shape == (16, 17)  # the last text it could read stays


def test_explore_shows_the_text_typed_on_the_weights_page_after_an_upload() -> None:
    """An upload leaves the model for Explore; text typed on the Weights page afterwards goes with it."""
    path = Path(__file__).parents[1] / "fixtures" / "models" / "char_lm.safetensors"
    at = open_weights()
    upload(at, path.name, path.read_bytes())
    type_text(at, keys.EXPLORE.seq_text, "the lazy dog")
    assert not at.exception and not errors(at)
    at.switch_page("views/explore.py")
    at.run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    assert model(at).label == "Uploaded: char_lm.safetensors"
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == "the lazy dog"  # not the text it was uploaded on


def test_a_file_with_two_recurrent_layers_offers_the_choice_and_refusals_keep_the_model() -> None:
    import safetensors.numpy

    first = cells.Network.create("lstm", 3, 4, seed=1, dtype=np.float32)
    second = cells.Network.create("gru_torch", 5, 6, seed=2, dtype=np.float32)
    arrays = {**{f"encoder.{k}": v for k, v in cells.to_torch(first).items()},
              **{f"decoder.rnn.{k}": v for k, v in cells.to_torch(second).items()}}
    at = open_weights()
    upload(at, "two.safetensors", safetensors.numpy.save(arrays))
    assert model(at).label == "Uploaded: two.safetensors"
    choice = at.selectbox(key=keys.WEIGHTS.upload_layer)
    assert sorted(choice.options) == ["nn.GRU decoder.rnn", "nn.LSTM encoder"]
    first_kind = model(at).network.kind  # the first in the file's order
    other = 1 - choice.index
    choice.select_index(other).run(timeout=TIMEOUT)
    assert not at.exception and {first_kind, model(at).network.kind} == {"lstm", "gru_torch"}
    if model(at).network.kind == "lstm":
        choice = at.selectbox(key=keys.WEIGHTS.upload_layer)
        choice.select_index(next(k for k, label in enumerate(choice.options) if "GRU" in label)).run(timeout=TIMEOUT)
    assert model(at).network.kind == "gru_torch"
    at.session_state[keys.WEIGHTS.gate] = "update"
    at.run(timeout=TIMEOUT)
    assert z(at, keys.WEIGHTS.chart("preview_update")).shape[0] == 6
    held = " ".join(e.label for e in at.expander)
    assert "What two.safetensors held" in held
    # A file that lies about its tensors is refused, and the GRU stays.
    lying = safetensors.numpy.save({"rnn.weight_hh_l0": np.zeros((16, 4), np.float32)})
    lying = lying.replace(b'"shape":[16,4]', b'"shape":[16,40]')
    upload(at, "lying.safetensors", lying)
    assert any("needs 2,560 bytes, its offsets span 256" in e and "current model stays" in e for e in errors(at))
    assert model(at).network.kind == "gru_torch"


def test_the_predictions_and_the_gates_beside_them_share_one_step() -> None:
    path = Path(__file__).parents[1] / "fixtures" / "models" / "char_lm.safetensors"
    at = open_weights()
    upload(at, path.name, path.read_bytes())
    type_text(at, keys.EXPLORE.seq_text, "the lazy dog")
    assert gate_view(at, keys.WEIGHTS.preview.view)[0]["t"] == 11  # new text: both at its last step
    assert at.slider(key=keys.WEIGHTS.predict.step).value == 11
    report_cursor(at, 4, 2, key=keys.WEIGHTS.preview.view)  # the user stops the gates' cursor at step 4
    assert at.slider(key=keys.WEIGHTS.predict.step).value == 4
    assert any(c.value.startswith("After reading 4·") for c in at.caption)
    at.slider(key=keys.WEIGHTS.predict.step).set_value(7).run(timeout=TIMEOUT)  # and the slider moves the gates'
    assert not at.exception and not errors(at)
    assert gate_view(at, keys.WEIGHTS.preview.view)[0]["t"] == 7


def test_a_value_head_shows_its_predicted_values_at_each_step_not_a_probability_of_one() -> None:
    """An nn.LSTMCell trained on a sine, with a one-output linear head: the page shows ŷ_t, the number it
    predicts, in the table and as a line under the step, not "#0 1.0000" and a flat p(#0) = 1."""
    from workbench.model import head_outputs
    from workbench.model_files import load_upload

    path = Path(__file__).parents[1] / "fixtures" / "models" / "sine_cell.pt"
    sine = load_upload(path.name, path.read_bytes())
    at = open_weights(text=sine.sequence)
    at.session_state[MODEL_KEY] = sine
    at.session_state[keys.EXPLORE.seq_mode] = "numbers"
    at.run(timeout=TIMEOUT)
    assert not at.exception and not errors(at), errors(at)
    T = len(at.session_state[keys.WEIGHTS.predict.of])
    values = head_outputs(sine, sine.network.run(sine.inputs(sine.sequence).xs).output).numbers[:, 0]
    (table,) = [d.value for d in at.table]
    assert list(table.columns) == ["predicted value"] and "probability" not in table.columns
    assert table["predicted value"].iloc[0] == pytest.approx(values[T - 1], abs=1e-4)
    line = chart(at, keys.WEIGHTS.predict.line)
    np.testing.assert_allclose(np.asarray(line["data"][0]["y"], np.float64), values, atol=1e-3)  # as drawn
    assert line["layout"]["yaxis"]["title"]["text"] == "predicted value"
    assert any("predicted value ŷ" in c.value for c in at.caption)


def test_explore_shows_the_predictions_of_every_model_with_a_head() -> None:
    """The text model's cue promises its predicted next characters: Explore shows them under the gates, at the
    cursor's step, as the Weights page does; a drawn network (no head) shows none."""
    from workbench.model import from_pretrained, head_outputs

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    at.selectbox(key=keys.EXPLORE.ready_model).set_value("trained:text_lstm").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    text = sequence_box(at, keys.EXPLORE.seq_text)["text"]
    model_ = from_pretrained("text_lstm")
    p = head_outputs(model_, model_.network.run(model_.inputs(text).xs).output).numbers
    report_cursor(at, 3, 0, key=keys.EXPLORE.cursor.view)
    assert not at.exception
    (table,) = [d.value for d in at.table if "prediction" in d.value.columns]
    best = int(np.argmax(p[3]))
    assert table["prediction"].iloc[0] == model_.outputs[best].replace(" ", "␣")
    assert table["probability"].iloc[0] == pytest.approx(p[3, best], abs=1e-4)
    assert at.slider(key=keys.EXPLORE.predict.step).value == 3
    line = chart(at, keys.EXPLORE.predict.line)
    assert len(line["data"][0]["y"]) == len(p)
    at.button(key=keys.EXPLORE.drop_model).click().run(timeout=TIMEOUT)
    assert not at.exception and not [d for d in at.table if "prediction" in d.value.columns]


def test_the_gate_activation_can_be_set_here_and_rides_to_explore_the_link_and_the_exports() -> None:
    """Keras 2's hard sigmoid chosen on the Weights page: the gates follow clip(0.2·a + 0.5, 0, 1), the link
    carries it, Explore's lecture equations write σ̂, and the PyTorch and Keras downloads say what they need."""
    at = open_weights()
    assert at.selectbox(key=keys.WEIGHTS.gate_activation).value == "sigmoid"  # the model's own, to start
    at.selectbox(key=keys.WEIGHTS.gate_activation).set_value("hard_sigmoid").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    network = model(at).network
    assert network.gate_activation == "hard_sigmoid" and model(at).original is not None
    xs = model(at).inputs(TEXT).xs
    expected = network.run(xs).trace(0, "forward").values["forget"].T
    np.testing.assert_allclose(z(at, keys.WEIGHTS.chart("preview_forget")), expected, atol=1e-3)
    pre = network.run(xs).trace(0, "forward").pre["forget"].T
    np.testing.assert_allclose(expected, np.clip(0.2 * pre + 0.5, 0, 1), atol=1e-9)
    weights = at.query_params["weights"]
    assert (weights if isinstance(weights, str) else weights[-1]).startswith("w2.lstm.hard_sigmoid.")
    open_tab(at, "Download and upload")
    warnings = " ".join(w.value for w in at.warning)
    assert "PyTorch's nn.LSTM and nn.GRU compute σ" in warnings and "recurrent_activation='hard_sigmoid'" in warnings
    at.switch_page("views/explore.py")
    settle(at, text=TEXT)
    at.session_state[keys.EXPLORE.equations_open] = True
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any(r"\hat{\sigma}" in block.value for block in at.latex)


def test_a_file_s_head_can_be_read_as_classes_or_values_as_the_user_says() -> None:
    from workbench.model_files import load_upload

    path = Path(__file__).parents[1] / "fixtures" / "models" / "sine_cell.pt"
    sine = load_upload(path.name, path.read_bytes())
    at = open_weights(text=sine.sequence)
    at.session_state[MODEL_KEY] = sine
    at.session_state[keys.EXPLORE.seq_mode] = "numbers"
    at.run(timeout=TIMEOUT)
    assert at.radio(key=keys.WEIGHTS.head_predicts).value == "values"
    at.radio(key=keys.WEIGHTS.head_predicts).set_value("classes").run(timeout=TIMEOUT)
    assert not at.exception and not model(at).loaded.head.predicts_value
    (table,) = [d.value for d in at.table]
    assert list(table.columns) == ["prediction", "probability"]
    at.radio(key=keys.WEIGHTS.head_predicts).set_value("values").run(timeout=TIMEOUT)
    (table,) = [d.value for d in at.table]
    assert list(table.columns) == ["predicted value"]


def test_the_page_s_link_keeps_the_step_the_knob_reset_and_the_clamp() -> None:
    """Edit, shift the forget bias by 3, clamp the input gate, stop the cursor at step 7, copy the address: a new
    session opened on it shows the same step, the knob at 3 (already in the weights), Reset on, and the clamp."""
    at = open_weights()
    at.slider(key=keys.WEIGHTS.knob("shift", 0, "forward", "forget")).set_value(3.0).run(timeout=TIMEOUT)
    open_tab(at, SECTIONS[0])
    at.toggle(key=keys.WEIGHTS.clamp_on).set_value(True).run(timeout=TIMEOUT)
    at.selectbox(key=keys.WEIGHTS.clamp_gate).set_value("input").run(timeout=TIMEOUT)
    at.slider(key=keys.WEIGHTS.clamp_value).set_value(0.25).run(timeout=TIMEOUT)
    report_cursor(at, 7, 1, key=keys.WEIGHTS.preview.view)
    assert not at.exception and not errors(at)
    query = {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}
    assert query["wstep"] == "7" and query["knobs"] == "shift~0~forward~forget~3" and "orig" in query
    again = open_weights(query=query)
    assert not again.exception and not errors(again), errors(again)
    assert gate_view(again, keys.WEIGHTS.preview.view)[0]["t"] == 7
    assert again.slider(key=keys.WEIGHTS.knob("shift", 0, "forward", "forget")).value == 3.0
    np.testing.assert_allclose(model(again).network.layers[0].forward.biases["forget"],
                               model(at).network.layers[0].forward.biases["forget"], rtol=1e-6)  # not shifted twice
    assert not again.button(key=keys.WEIGHTS.reset).disabled
    assert again.toggle(key=keys.WEIGHTS.clamp_on).value
    assert again.selectbox(key=keys.WEIGHTS.clamp_gate).value == "input"
    assert again.slider(key=keys.WEIGHTS.clamp_value).value == 0.25
    again.button(key=keys.WEIGHTS.reset).click().run(timeout=TIMEOUT)  # Reset brings back the drawn weights
    np.testing.assert_allclose(model(again).network.layers[0].forward.biases["forget"],
                               model(at).original.layers[0].forward.biases["forget"], rtol=1e-6)


def test_see_it_in_explore_opens_the_network_a_fresh_weights_page_shows() -> None:
    """A fresh session opened on the Weights page shows a drawn LSTM on "hello world"; Explore then shows that
    network, not its own first view (the bracket LSTM)."""
    at = open_weights(text=DEFAULTS[keys.EXPLORE.seq_text])
    drawn = z(at, keys.WEIGHTS.chart("preview_forget"))
    assert model(at) is None
    at.switch_page("views/explore.py")
    at.run(timeout=TIMEOUT)
    assert not at.exception and model(at) is None
    np.testing.assert_allclose(z(at, "explore:forget"), drawn, atol=1e-3)


def odd_names() -> bytes:
    """An LSTM with a head whose arrays are named by no convention: alpha (4H, I), beta (4H, H), gamma, delta."""
    import io

    torch_arrays = cells.to_torch(cells.Network.create("lstm", 3, 4, seed=6, dtype=np.float32))
    arrays = {"alpha": torch_arrays["weight_ih_l0"], "beta": torch_arrays["weight_hh_l0"],
              "gamma": torch_arrays["bias_ih_l0"], "delta": torch_arrays["bias_hh_l0"],
              "out": np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)}
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def test_a_file_nothing_recognises_gets_its_arrays_given_roles_checked_as_they_are_chosen() -> None:
    at = open_weights()
    upload(at, "odd.npz", odd_names())
    assert model(at) is None and any("give the file's arrays their roles below" in e for e in errors(at))
    assert at.selectbox(key=keys.WEIGHTS.role("recurrent")).value == "beta"  # the first guess, from the shapes
    assert at.selectbox(key=keys.WEIGHTS.role("head_weights")).value == "out"
    assert not at.warning and not at.button(key=keys.WEIGHTS.roles_apply).disabled
    at.selectbox(key=keys.WEIGHTS.role("recurrent")).set_value("gamma").run(timeout=TIMEOUT)
    assert [as_read(w.value) for w in at.warning] == ["input bias: 'gamma' is already the recurrent weights"]
    at.selectbox(key=keys.WEIGHTS.role("bias_input")).set_value("").run(timeout=TIMEOUT)
    said = " ".join(w.value for w in at.warning)
    assert "recurrent weights 'gamma': expected (4·H, H) for an LSTM in PyTorch's layout, got (16,)" in \
        as_read(said), said
    assert at.button(key=keys.WEIGHTS.roles_apply).disabled
    at.selectbox(key=keys.WEIGHTS.role("recurrent")).set_value("beta").run(timeout=TIMEOUT)
    at.selectbox(key=keys.WEIGHTS.role("bias_input")).set_value("gamma").run(timeout=TIMEOUT)
    at.button(key=keys.WEIGHTS.roles_apply).click().run(timeout=TIMEOUT)
    assert not at.exception and not errors(at), errors(at)
    assert model(at).label == "Uploaded: odd.npz" and model(at).network.hidden_size == 4
    assert model(at).loaded.head.size == 2
    assert "roles given by hand" in " ".join(t.value for t in at.text)


def test_the_weights_page_opens_in_presenter_mode_from_its_link() -> None:
    at = open_weights(query={"present": "1"})
    assert at.toggle(key=keys.WEIGHTS.present).value and not errors(at)
    assert any("[data-testid=stSidebar]" in h.proto.body and "display: none" in h.proto.body
               for h in at.get("html"))
