"""The Compare page in Streamlit's AppTest: start modes, B − A, summary tables, bidirectional and deep views,
the shared cursor, share links and bad input."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import cells
from cells import encode
from cells.edits import memory_bias
from tests.views.apptest import gate_view, gate_views, report_cursor, sequence_box, type_text
from ui.model import MODEL_KEY
from workbench import keys
from workbench.compare import joint_vocabulary
from workbench.model import from_network

APP = Path(__file__).parents[2] / "app.py"
TIMEOUT = 120
PAGE = "views/compare.py"


def open_page(query: dict[str, str] | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(PAGE)  # opened straight on the page, as its link does
    at.run(timeout=TIMEOUT)
    assert not at.exception
    return at


def side(at: AppTest) -> dict[str, dict]:
    """The side-by-side gate views' panels by role and pane (``keep_a``, ``keep_b``, ``keep_diff`` ...): each
    panel's header entry plus its ``values`` (T, H) and its view's ``labels``, as the browser receives them."""
    out = {}
    for key, pane in ((keys.COMPARE.view_a, "a"), (keys.COMPARE.view_b, "b"), (keys.COMPARE.view_diff, "diff")):
        if not any(e.proto.id.endswith(key) for e in at.get("bidi_component")):
            continue
        header, arrays = gate_view(at, key)
        for panel in header["panels"]:
            if not panel.get("empty"):
                out[f"{panel['name']}_{pane}"] = {**panel, "values": arrays[panel["name"]], "labels": header["labels"],
                                                  "header": header}
    return out


def open_summary(at: AppTest) -> None:
    """Open the Summary expander, as a click on it does (closed, its tables are not drawn)."""
    at.session_state[keys.COMPARE.summary] = True
    at.run(timeout=TIMEOUT)
    assert not at.exception


def notes(at: AppTest) -> str:
    return " ".join(panel["note"] for panel in side(at).values())


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def engine(kind: str, text: str, hidden: int = 8, *, seed: int = 0, layers: int = 1, bidirectional: bool = False,
           vocabulary: str | None = None, shift: float = 0.0, scale: float = 1.0) -> cells.NetworkTrace:
    encoded = encode.one_hot(text, vocabulary=vocabulary)
    network = cells.Network.create(kind, encoded.input_size, hidden, seed=seed, num_layers=layers,
                                   bidirectional=bidirectional, scale=scale)
    return memory_bias(network, shift).run(encoded.xs)


ROLES = ("keep", "new", "candidate", "memory", "output", "other")


def test_default_is_lstm_against_gru_on_one_input_with_gates_lined_up_by_role() -> None:
    at = open_page()
    assert not errors(at)
    shown = side(at)
    assert set(shown) == {f"{r}_{p}" for r in ROLES for p in "ab"} | {f"{r}_diff" for r in ROLES[:-1]}
    assert shown["keep_a"]["symbol"] == "f<sub>t</sub>"
    assert shown["keep_b"]["symbol"] == "1 − z<sub>t</sub>" and "keep share (derived)" in shown["keep_b"]["title"]
    assert shown["new_b"]["symbol"] == "z<sub>t</sub>"
    assert shown["memory_a"]["symbol"] == "C<sub>t</sub>" and shown["memory_b"]["symbol"] == "h<sub>t</sub>"
    lstm, gru = engine("lstm", "hello world").layers[0].forward, engine("gru", "hello world").layers[0].forward
    np.testing.assert_array_equal(shown["keep_a"]["values"], lstm.values["forget"])
    np.testing.assert_allclose(shown["keep_b"]["values"], 1.0 - gru.values["update"], atol=1e-15)
    said = notes(at)
    assert "f_t is the share of C_{t−1} kept" in said and "keep + new = 1" in said
    assert "1 − z_t is the share of h_{t−1} kept (lecture's form)" in said
    # every pane on one time axis: the same steps, labelled the same, and rows in the same order
    assert {len(panel["labels"]) for panel in shown.values()} == {11}
    assert [p["name"] for p in gate_view(at, keys.COMPARE.view_a)[0]["panels"]] == \
        [p["name"] for p in gate_view(at, keys.COMPARE.view_b)[0]["panels"]] == list(ROLES)


def test_difference_heatmaps_are_b_minus_a() -> None:
    at = open_page()
    shown = side(at)
    for role in ROLES[:-1]:
        a, b, diff = shown[f"{role}_a"]["values"], shown[f"{role}_b"]["values"], shown[f"{role}_diff"]["values"]
        np.testing.assert_allclose(diff, b - a, atol=1e-12)
        scale = shown[f"{role}_diff"]["scale"]
        assert scale["min"] == -scale["max"] and scale["label"] == f"±{scale['max']:g}"
    lstm, gru = engine("lstm", "hello world").layers[0].forward, engine("gru", "hello world").layers[0].forward
    np.testing.assert_allclose(shown["new_diff"]["values"], gru.values["update"] - lstm.values["input"], atol=1e-12)


def test_start_same_model_two_inputs_runs_one_network_on_both_texts() -> None:
    at = open_page()
    at.radio(key=keys.COMPARE.start).set_value("inputs").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    assert at.session_state[keys.COMPARE.same_net] and not at.session_state[keys.COMPARE.same_input]
    assert sequence_box(at, keys.COMPARE.pane("b", "text"))["text"] == "jello world"
    assert any("the same as A's" in c.value for c in at.caption)
    assert "reads characters, one-hot over both panes' text; 11 steps" in captions(at)
    vocabulary = joint_vocabulary("hello world", "jello world")
    a = engine("lstm", "hello world", vocabulary=vocabulary).layers[0].forward
    b = engine("lstm", "jello world", vocabulary=vocabulary).layers[0].forward
    shown = side(at)
    np.testing.assert_array_equal(shown["memory_a"]["values"], a.values["cell"])
    np.testing.assert_array_equal(shown["memory_b"]["values"], b.values["cell"])
    assert "other_diff" in shown  # o_t against o_t has a difference
    diff = shown["keep_diff"]["values"]
    assert np.abs(diff[0]).max() > 0.01  # the first token differs...
    assert np.abs(diff).max(axis=1)[-1] < np.abs(diff).max(axis=1)[0]  # ...and its effect fades


def test_b_on_a_network_reads_its_text_as_a_does_and_must_fit_a_input_size() -> None:
    at = open_page({"cmp_start": "inputs", "same_input": "0", "same_net": "1", "a_mode": "numbers",
                    "a_seq": "1 0 0.5", "b_seq": "0 1 0.5 0.5"})
    assert not errors(at)
    assert "Read as A reads: numbers" in captions(at)
    assert not at.radio(key=keys.COMPARE.pane("a", "mode")).disabled and len(at.radio) == 3  # start, A's mode, view
    type_text(at, keys.COMPARE.pane("b", "text"), "1 0; 0 1")
    shown = " ".join(errors(at))
    assert "Pane B" in shown and "A's network reads 1 number per step, this text gives 2" in shown
    assert side(at)["keep_b"]["values"].shape == (4, 8)  # B's last good view: four steps


def test_side_by_side_picks_a_layer_and_direction_and_says_what_each_pane_shows() -> None:
    at = open_page({"a_layers": "2", "a_bidir": "1", "cmp_layer": "1", "cmp_dir": "backward"})
    assert not errors(at)
    assert "A shows layer 2, backward; B shows layer 1, forward" in captions(at)
    run = engine("lstm", "hello world", layers=2, bidirectional=True)
    np.testing.assert_array_equal(side(at)["keep_a"]["values"], run.layers[1].backward.values["forget"])


def test_start_same_model_two_weight_settings_raises_b_forget_bias() -> None:
    at = open_page()
    at.radio(key=keys.COMPARE.start).set_value("weights").run(timeout=TIMEOUT)
    assert not errors(at)
    assert at.number_input(key=keys.COMPARE.pane("b", "shift")).value == 2.0
    assert at.selectbox(key=keys.COMPARE.pane("b", "kind")).value == "lstm"
    shown = side(at)
    b = engine("lstm", "hello world", shift=2.0).layers[0].forward
    np.testing.assert_array_equal(shown["keep_b"]["values"], b.values["forget"])
    assert shown["keep_diff"]["values"].mean() > 0.2  # B keeps more: f_t is higher nearly everywhere
    at.radio(key=keys.COMPARE.start).set_value("models").run(timeout=TIMEOUT)
    assert at.selectbox(key=keys.COMPARE.pane("b", "kind")).value == "gru"
    assert at.number_input(key=keys.COMPARE.pane("b", "shift")).value == 0.0  # B's More settings stay open, at 0 now


def test_more_settings_stay_folded_until_opened_and_keep_their_values_folded() -> None:
    """A pane's less-used settings wait in a closed expander whose title says them; closed, its widgets are not
    drawn at all, and what was set in it still shapes the run."""
    at = open_page()
    more = [e for e in at.expander if e.label.startswith("More:")]
    assert len(more) == 2
    assert more[0].label == "More: PyTorch's default × 1.00 · memory bias +0.0 · one direction"
    drawn = {w.key for w in at.number_input} | {w.key for w in at.selectbox} | {w.key for w in at.toggle}
    assert keys.COMPARE.pane("a", "scale") not in drawn and keys.COMPARE.pane("a", "bidirectional") not in drawn
    assert keys.COMPARE.pane("a", "hidden") in drawn  # units, seed and layers stay in view
    at.session_state[keys.COMPARE.pane("a", "more")] = True
    at.run(timeout=TIMEOUT)
    at.number_input(key=keys.COMPARE.pane("a", "scale")).set_value(1.5).run(timeout=TIMEOUT)
    at.toggle(key=keys.COMPARE.pane("a", "bidirectional")).set_value(True).run(timeout=TIMEOUT)
    at.session_state[keys.COMPARE.pane("a", "more")] = False
    at.run(timeout=TIMEOUT)
    assert not errors(at) and keys.COMPARE.pane("a", "scale") not in {w.key for w in at.number_input}
    title = next(e.label for e in at.expander if e.label.startswith("More:"))
    assert "× 1.50" in title and title.endswith("bidirectional"), title
    want = engine("lstm", "hello world", scale=1.5, bidirectional=True).layers[0].forward
    np.testing.assert_array_equal(side(at)["keep_a"]["values"], want.values["forget"])


def test_a_link_that_sets_a_more_setting_opens_that_panes_more_settings() -> None:
    at = open_page({"b_shift": "1.5"})
    assert at.number_input(key=keys.COMPARE.pane("b", "shift")).value == 1.5
    assert keys.COMPARE.pane("a", "shift") not in {w.key for w in at.number_input}  # A's are at their defaults


def test_presenter_mode_folds_each_panes_settings_under_a_title_that_says_what_it_runs() -> None:
    """On a projector the gates come first: each pane's settings wait in a closed expander (not drawn at all),
    titled with the network and the text it runs; opened, the pane's own widgets are there and act."""
    at = open_page({"present": "1"})
    titles = [e.label for e in at.expander if e.label.startswith("Pane ")]
    assert titles == ["Pane A: LSTM, 8 units, seed 0 · 'hello world'",
                      "Pane B: GRU (lecture's form), 8 units, seed 0 · 'hello world'"], titles
    assert keys.COMPARE.pane("a", "kind") not in {w.key for w in at.selectbox}
    assert len(side(at)) > 0 and not errors(at)  # the three gate views are drawn
    at.session_state[keys.COMPARE.pane("a", "unfolded")] = True
    at.run(timeout=TIMEOUT)
    at.selectbox(key=keys.COMPARE.pane("a", "kind")).set_value("gru").run(timeout=TIMEOUT)
    assert next(e.label for e in at.expander if e.label.startswith("Pane A")).startswith("Pane A: GRU")
    want = engine("gru", "hello world").layers[0].forward
    np.testing.assert_array_equal(side(at)["keep_a"]["values"], 1 - want.values["update"])
    # the title is Markdown: a typed text shows as typed, not as formatting
    marked = open_page({"present": "1", "a_seq": "**a** $b$"})
    assert "· '\\*\\*a\\*\\* \\$b\\$'" in next(e.label for e in marked.expander if e.label.startswith("Pane A"))


def test_the_summary_waits_folded_and_costs_nothing_until_opened() -> None:
    at = open_page()
    summary = [e for e in at.expander if e.label.startswith("**Summary**")]
    assert len(summary) == 1 and len(at.dataframe) == 0 and len(at.get("download_button")) == 0
    open_summary(at)
    assert len(at.dataframe) == 2 and len(at.get("download_button")) == 2
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    at.switch_page("views/compare.py").run(timeout=TIMEOUT)
    assert len(at.dataframe) == 2  # it stays open across a visit to another page


def test_shift_memory_moves_the_bias_of_the_gate_that_keeps_memory() -> None:
    for kind, gate, sign in (("lstm", "forget", 1), ("gru", "update", -1), ("gru_torch", "update", 1)):
        network = cells.Network.create(kind, 3, 4, seed=1)
        shifted = memory_bias(network, 1.5)
        np.testing.assert_allclose(shifted.layers[0].forward.biases[gate],
                                   network.layers[0].forward.biases[gate] + sign * 1.5)
    rnn = cells.Network.create("rnn", 3, 4)
    assert memory_bias(rnn, 2.0).layers[0].forward.biases["hidden"].tolist() == \
        rnn.layers[0].forward.biases["hidden"].tolist()


def test_summary_table_of_forget_and_remember_presets_matches_the_hand_computation() -> None:
    text = "0.8, -0.5, 0.3, -0.9, 0.1"
    at = open_page({"a_src": "preset", "a_preset": "forget", "b_src": "preset", "b_preset": "remember",
                    "a_seq": text})
    assert not errors(at)
    open_summary(at)
    gates, lives = at.dataframe[0].value, at.dataframe[1].value
    forget = gates[(gates["pane"] == "A") & (gates["value"] == "f_t forget")].iloc[0]
    assert forget["mean"] == 0.0 and forget["saturated"] == "1.000"  # f_t = σ(−20) at every step
    inputs = gates[(gates["pane"] == "A") & (gates["value"] == "i_t input")].iloc[0]
    assert inputs["mean"] == 1.0 and inputs["saturated"] == "1.000"  # i_t = σ(20)
    cell = gates[(gates["pane"] == "A") & (gates["value"] == "C_t cell")].iloc[0]
    assert cell["saturated"] == "—"  # an unbounded state has no saturation
    assert lives.loc[0, "A: half-life (steps)"] == "1"  # 2·10⁻⁹ < 0.5 after the first step
    assert lives.loc[0, "B: half-life (steps)"] == "> 5"  # σ(20)⁵ never falls below 0.5
    assert len(at.get("download_button")) == 2


def test_summary_of_a_zero_weight_model_from_explore_is_exactly_one_half() -> None:
    vocabulary = "helo wrd"
    base = cells.initialise("lstm", len(vocabulary), 4)
    zero = dataclasses.replace(base, weights={g: np.zeros_like(w) for g, w in base.weights.items()},
                               biases={g: np.zeros_like(b) for g, b in base.biases.items()})
    model = from_network(cells.Network((cells.Layer(zero),)), "Zero LSTM", vocabulary=vocabulary)
    at = open_page(state={MODEL_KEY: model, keys.COMPARE.pane("a", "source"): "current"})
    assert not errors(at)
    open_summary(at)
    gates, lives = at.dataframe[0].value, at.dataframe[1].value
    a = gates[gates["pane"] == "A"].set_index("value")
    for gate in ("f_t forget", "i_t input", "o_t output"):
        assert a.loc[gate, "mean"] == 0.5 and a.loc[gate, "saturated"] == "0.000"
    assert a.loc["C_t cell", "mean"] == 0.0
    # 0.5 after one step is not below a half; 0.25 after two is
    assert list(lives["A: half-life (steps)"][:4]) == ["2", "2", "2", "2"]
    assert list(lives["A: half-life (steps)"][4:]) == ["—"] * 4  # B has 8 units, A only 4


def test_a_trained_model_in_pane_b_brings_its_own_example_and_reads_it_its_own_way() -> None:
    at = open_page({"same_input": "0"})
    at.selectbox(key=keys.COMPARE.pane("b", "source")).set_value("trained").run(timeout=TIMEOUT)
    at.selectbox(key=keys.COMPARE.pane("b", "trained")).set_value("counting_lstm").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    assert sequence_box(at, keys.COMPARE.pane("b", "text"))["text"] == "aaaaXbbbb."
    assert "This model reads a's, one X, then b's" in captions(at)
    assert side(at)["keep_b"]["symbol"] == "f<sub>t</sub>"
    assert at.query_params["b_src"] == "trained" and at.query_params["b_trained"] == "counting_lstm"
    # A still reads "hello world" (11 steps), B its 10 steps: aligned on step index
    assert any("A: 11 steps, B: 10" in i.value for i in at.info)
    type_text(at, keys.COMPARE.pane("b", "text"), "aaXbz")
    assert any("Pane B" in e and "Showing pane B's last view that worked" in e for e in errors(at))


def view_panels(at: AppTest) -> dict[str, dict]:
    """The bidirectional or deep view's panels by name, each with its ``values``."""
    header, arrays = gate_view(at, keys.COMPARE.view_a)
    return {p["name"]: {**p, "values": arrays[p["name"]]} for p in header["panels"]}


def test_bidirectional_view_shows_both_directions_and_the_concatenation() -> None:
    at = open_page({"a_bidir": "1", "cmp_view": "bidirectional", "cmp_t": "4"})
    assert not errors(at)
    shown = view_panels(at)
    assert list(shown) == ["forward", "backward", "concat"]
    assert "reads →" in shown["forward"]["title"] and "reads ←" in shown["backward"]["title"]
    run = engine("lstm", "hello world", bidirectional=True).layers[0]
    np.testing.assert_array_equal(shown["backward"]["values"], run.backward.values["cell"])
    np.testing.assert_array_equal(shown["concat"]["values"], run.output)
    assert shown["concat"]["values"].shape == (11, 16)
    assert gate_view(at, keys.COMPARE.view_a)[0]["t"] == 4
    assert "the backward cell tokens t..T−1" in captions(at)


def test_bidirectional_view_of_a_one_way_pane_offers_to_make_it_bidirectional() -> None:
    at = open_page({"cmp_view": "bidirectional", "cmp_pane": "b"})
    assert not gate_views(at)
    assert any("Pane B reads in one direction only" in i.value for i in at.info)
    at.button(key=keys.COMPARE.make_bidirectional).click().run(timeout=TIMEOUT)
    assert at.toggle(key=keys.COMPARE.pane("b", "bidirectional")).value is True
    assert list(view_panels(at)) == ["forward", "backward", "concat"]
    assert "GRU" in at.radio(key=keys.COMPARE.view_pane).options[1]


@pytest.mark.parametrize(("bidir", "count"), [("0", 1 + 3 + 3), ("1", 1 + 6 + 3)])
def test_deep_view_draws_every_layer_and_each_output_as_the_next_input(bidir: str, count: int) -> None:
    at = open_page({"a_layers": "3", "a_bidir": bidir, "cmp_view": "deep"})
    assert not errors(at)
    shown = view_panels(at)
    assert len(shown) == count
    titles = [p["title"] for p in shown.values()]
    assert titles[0].startswith("layer 1's input")
    assert "layer 1's h_t = layer 2's x_t" in titles and "layer 3's h_t: the network's output" in titles
    run = engine("lstm", "hello world", layers=3, bidirectional=bidir == "1")
    np.testing.assert_array_equal(shown["0_output"]["values"], run.layers[1].forward.inputs)
    np.testing.assert_array_equal(shown["2_forward"]["values"], run.layers[2].forward.values["cell"])
    open_summary(at)
    table = at.dataframe[0].value
    assert list(table["layer"]) == ([1, 2, 3] if bidir == "0" else [1, 1, 2, 2, 3, 3])


def test_moving_the_shared_cursor_never_reruns_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_run = cells.Network.run

    def counting_run(self: cells.Network, *args: object, **kwargs: object) -> cells.NetworkTrace:
        calls.append(1)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(cells.Network, "run", counting_run)
    st.cache_data.clear()
    at = open_page({"a_seq": "cursor test"})
    assert len(calls) >= 2  # pane A and pane B (and the Explore page the app opens on)
    calls.clear()

    sent = {key: gate_view(at, key)[0]["id"] for key in (keys.COMPARE.view_a, keys.COMPARE.view_b,
                                                         keys.COMPARE.view_diff)}
    report_cursor(at, 5, 3, key=keys.COMPARE.view_a)  # the user stops the shared cursor at step 5, unit 3
    assert not at.exception
    assert at.query_params["cmp_t"] == "5" and at.query_params["cmp_unit"] == "3"
    report_cursor(at, 7, 1, key=keys.COMPARE.view_b)  # and again, from a click in pane B
    assert at.query_params["cmp_t"] == "7" and at.query_params["cmp_unit"] == "1"
    # the views the browser has stay as they are, so every pane keeps the user's cursor
    assert {key: gate_view(at, key)[0]["id"] for key in sent} == sent
    assert {gate_view(at, key)[0].get("group") for key in sent} == {"compare"}
    assert not calls, "moving the cursor ran a network again"
    at.number_input(key=keys.COMPARE.pane("b", "seed")).set_value(7).run(timeout=TIMEOUT)
    assert len(calls) == 1  # a new setting runs pane B, and only pane B


def test_inputs_of_different_lengths_are_aligned_on_step_index_and_say_so() -> None:
    at = open_page({"same_input": "0", "b_seq": "hello", "cmp_t": "8"})
    assert not errors(at)
    assert any("differ in length (A: 11 steps, B: 5)" in i.value for i in at.info)
    shown = side(at)
    assert not [k for k in shown if k.endswith("_diff")]  # B − A needs equal shapes
    assert {len(panel["labels"]) for panel in shown.values()} == {11}
    assert shown["keep_b"]["labels"][4:6] == ["4·o", "5·(ended)"] and np.isnan(shown["keep_b"]["values"][5:]).all()
    assert gate_view(at, keys.COMPARE.view_a)[0]["t"] == 8


def test_share_link_round_trip() -> None:
    query = {"a_kind": "gru_torch", "a_hidden": "5", "a_seq": "abcabc", "b_kind": "peephole", "b_seed": "3",
             "b_shift": "1.5", "b_init": "xavier", "cmp_t": "4", "cmp_unit": "2"}
    at = open_page(query)
    assert not errors(at)
    assert at.selectbox(key=keys.COMPARE.pane("a", "kind")).value == "gru_torch"
    assert at.number_input(key=keys.COMPARE.pane("a", "hidden")).value == 5
    assert sequence_box(at, keys.COMPARE.pane("a", "text"))["text"] == "abcabc"
    assert at.selectbox(key=keys.COMPARE.pane("b", "kind")).value == "peephole"
    assert at.number_input(key=keys.COMPARE.pane("b", "seed")).value == 3
    assert at.number_input(key=keys.COMPARE.pane("b", "shift")).value == 1.5
    header = gate_view(at, keys.COMPARE.view_a)[0]
    assert (header["t"], header["unit"]) == (4, 2)
    assert dict(at.query_params) == query
    at.number_input(key=keys.COMPARE.pane("b", "hidden")).set_value(6).run(timeout=TIMEOUT)
    at.radio(key=keys.COMPARE.view).set_value("deep").run(timeout=TIMEOUT)
    assert at.query_params["b_hidden"] == "6" and at.query_params["cmp_view"] == "deep"
    again = open_page(dict(at.query_params))
    assert again.number_input(key=keys.COMPARE.pane("b", "hidden")).value == 6
    assert again.radio(key=keys.COMPARE.view).value == "deep"
    assert again.selectbox(key=keys.COMPARE.pane("a", "kind")).value == "gru_torch"
    assert not errors(again)


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"a_hidden": "999"}, "a_hidden='999'"),
        ({"b_kind": "evil"}, "b_kind='evil'"),
        ({"a_seq": "x" * 200_000}, "200,000 characters is over the limit of 100,000"),
        ({"a_src": "current"}, "a_src='current'"),
        ({"b_shift": "nan", "cmp_t": "-1"}, "b_shift='nan'"),
        ({"cmp_view": "<script>"}, "cmp_view='\\<script\\>'"),  # Markdown: shown as typed
        ({"a_mode": "numbers", "a_seq": "1 2 banana"}, "'banana' at step 2"),
        ({"b_preset": "nope", "b_src": "preset"}, "b_preset='nope'"),
        ({"cmp_gate": "evil", "cmp_view": "deep"}, "cmp_gate='evil'"),
    ],
)
def test_hostile_links_show_an_error_and_the_page_still_draws(query: dict[str, str], bad: str) -> None:
    at = open_page(query)
    assert not at.exception
    assert any(bad in e for e in errors(at)), errors(at)
    assert len(side(at)) >= 6 or len(view_panels(at)) >= 3


def test_bad_input_names_the_pane_and_keeps_its_last_good_view() -> None:
    at = open_page()
    type_text(at, keys.COMPARE.pane("a", "text"), "good")
    before = side(at)["keep_a"]["labels"]
    assert len(before) == 4
    at.radio(key=keys.COMPARE.pane("a", "mode")).set_value("numbers").run(timeout=TIMEOUT)
    type_text(at, keys.COMPARE.pane("a", "text"), "1 2 x")
    assert not at.exception
    shown = " ".join(errors(at))
    assert "Pane A" in shown and "'x' at step 2 is not a number" in shown
    assert "Showing pane A's last view that worked" in shown
    assert side(at)["keep_a"]["labels"] == before
    assert len(gate_views(at)) == 3


def test_an_input_too_long_for_a_link_is_left_out_and_the_page_says_so() -> None:
    long = "; ".join(["0.125 -0.5"] * 400)  # 400 steps in 4,798 characters
    at = open_page(state={keys.COMPARE.pane("a", "mode"): "numbers", keys.COMPARE.pane("a", "text"): long})
    assert not at.exception and not errors(at)
    assert "a_seq" not in at.query_params and at.query_params["a_mode"] == "numbers"
    assert any("leaves out pane A's input (4,798 characters)" in i.value for i in at.info), [i.value for i in at.info]
    type_text(at, keys.COMPARE.pane("a", "text"), "0.5 1; 1 0")
    assert at.query_params["a_seq"] == "0.5 1; 1 0" and not any("leaves out" in i.value for i in at.info)
