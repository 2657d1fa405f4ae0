"""Compare figures and tables on their JSON and numbers, without Streamlit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import cells
from cells import encode, presets
from viz.compare import (
    bidirectional_view,
    compare_views,
    deep_view,
    difference,
    gate_summary,
    half_life_table,
    layer_summary,
    role_pairs,
)

TEXT = encode.one_hot("hello world")


def trace(kind: str, hidden: int = 6, seed: int = 0, *, xs: np.ndarray = TEXT.xs) -> cells.Trace:
    return cells.Network.create(kind, xs.shape[1], hidden, seed=seed).run(xs).layers[0].forward


def zero_lstm(inputs: int, hidden: int) -> cells.LSTM:
    """An LSTM whose every weight and bias is 0: every σ gate is exactly 0.5, the candidate 0."""
    cell = cells.initialise("lstm", inputs, hidden)
    return dataclasses.replace(cell, weights={g: np.zeros_like(w) for g, w in cell.weights.items()},
                               biases={g: np.zeros_like(b) for g, b in cell.biases.items()})


def by_role(a: cells.Trace, b: cells.Trace) -> dict:
    return {pair.role: pair for pair in role_pairs(a, b)}


def test_lstm_and_deck_gru_line_up_forget_with_keep_share_and_input_with_z() -> None:
    a, b = trace("lstm"), trace("gru")
    pairs = by_role(a, b)
    assert list(pairs) == ["keep", "new", "candidate", "memory", "output", "other"]
    np.testing.assert_array_equal(pairs["keep"].a.values, a.values["forget"])
    np.testing.assert_allclose(pairs["keep"].b.values, 1.0 - b.values["update"])  # deck: keep = 1 − z_t
    assert pairs["keep"].b.symbol == "1 − z_t" and pairs["keep"].b.name is None  # derived, and drawn as such
    np.testing.assert_array_equal(pairs["new"].b.values, b.values["update"])
    assert pairs["memory"].a.symbol == "C_t" and pairs["memory"].b.symbol == "h_t"
    assert "keep + new = 1" in pairs["new"].note
    assert not pairs["other"].comparable  # o_t and r_t play different parts
    assert all(pairs[r].comparable for r in ("keep", "new", "candidate", "memory", "output"))


def test_pytorch_gru_keeps_with_z_itself_and_lets_new_in_with_one_minus_z() -> None:
    a, b = trace("lstm"), trace("gru_torch")
    pairs = by_role(a, b)
    np.testing.assert_array_equal(pairs["keep"].b.values, b.values["update"])
    assert pairs["keep"].b.name == "update" and "PyTorch/Keras" in pairs["keep"].note
    np.testing.assert_allclose(pairs["new"].b.values, 1.0 - b.values["update"])
    assert pairs["new"].b.name is None


def test_two_grus_have_no_separate_output_row_and_compare_their_reset_gates() -> None:
    pairs = by_role(trace("gru"), trace("gru", seed=1))
    assert "output" not in pairs and pairs["other"].comparable
    assert pairs["other"].title == "The same gate in both panes"  # r_t against r_t: it has a counterpart


def test_the_same_gate_in_both_panes_is_titled_by_its_name_and_an_unmatched_one_as_having_no_counterpart() -> None:
    same = by_role(trace("lstm"), trace("lstm", seed=1))["other"]
    assert same.comparable
    a, b, diff = compare_views(trace("lstm"), trace("lstm", seed=1), TEXT.tokens, TEXT.tokens, labels=("A", "B"))
    for view in (a, b):
        title = {p["name"]: p["title"] for p in view.header["panels"]}["other"]
        assert title == "The same gate in both panes · output gate"
    assert "empty" not in {p["name"]: p for p in diff.header["panels"]}["other"]  # and B − A is drawn
    assert by_role(trace("lstm"), trace("gru"))["other"].title == "Gates with no counterpart"


def test_the_b_minus_a_view_holds_b_minus_a_on_a_stated_diverging_range() -> None:
    a, b = trace("lstm"), trace("gru")
    _, _, diff = compare_views(a, b, TEXT.tokens, TEXT.tokens, labels=("A", "B"))
    assert diff is not None
    panels = {p["name"]: p for p in diff.header["panels"]}
    np.testing.assert_allclose(diff.arrays["keep"], (1.0 - b.values["update"]) - a.values["forget"], atol=1e-15)
    assert (panels["keep"]["scale"]["min"], panels["keep"]["scale"]["max"]) == (-1.0, 1.0)
    assert panels["keep"]["symbol"] == "(1 − z<sub>t</sub>) − f<sub>t</sub>"
    assert panels["candidate"]["scale"]["max"] == 2.0  # two tanh values differ by up to 2
    pairs = by_role(a, b)
    assert panels["memory"]["scale"]["max"] >= np.max(np.abs(difference(pairs["memory"])))  # C_t: covers the data
    assert panels["other"]["empty"]  # o_t against r_t is not compared
    assert "largest |difference|" in panels["keep"]["note"]


def test_no_difference_when_the_shapes_differ() -> None:
    pairs = by_role(trace("lstm", 6), trace("lstm", 4))
    assert not any(pair.comparable for pair in pairs.values())
    with pytest.raises(ValueError, match="differ in shape"):
        difference(pairs["keep"])


def test_panes_of_different_lengths_line_up_on_step_index_and_the_short_one_ends_early() -> None:
    short_input = encode.one_hot("hello")
    a, b = trace("lstm"), trace("rnn", xs=short_input.xs)
    view_a, view_b, diff = compare_views(a, b, TEXT.tokens, short_input.tokens, labels=("A", "B"), t=8)
    assert diff is None  # B − A needs equal lengths
    assert view_a.header["steps"] == view_b.header["steps"] == 11
    assert view_b.header["tokens"][5:] == ["(ended)"] * 6
    assert np.isnan(view_b.arrays["memory"][5:]).all() and not np.isnan(view_b.arrays["memory"][:5]).any()
    assert [p["name"] for p in view_a.header["panels"]] == [p["name"] for p in view_b.header["panels"]]
    assert next(p for p in view_b.header["panels"] if p["name"] == "keep")["empty"]  # a plain RNN keeps nothing
    assert view_a.header["t"] == view_b.header["t"] == 8


def test_gate_summary_of_a_zero_weight_lstm_is_one_half_and_never_saturated() -> None:
    xs = TEXT.xs
    zero = cells.Network((cells.Layer(zero_lstm(xs.shape[1], 3)),)).run(xs).layers[0].forward
    table = gate_summary({"A": zero}).set_index("value")
    for gate in ("f_t forget", "i_t input", "o_t output"):
        assert table.loc[gate, "mean"] == 0.5 and table.loc[gate, "saturated"] == 0.0
    assert table.loc["C̃_t candidate", "mean"] == 0.0
    assert np.isnan(table.loc["C_t cell", "saturated"])  # the unbounded cell state is not counted
    # f_t = 0.5 each step: the running product is 0.5 after one step (not below 0.5) and 0.25 after two
    lives = half_life_table({"A": zero})
    assert list(lives["A: half-life (steps)"]) == ["2", "2", "2"]


def test_presets_that_forget_and_remember_give_half_lives_of_one_step_and_never() -> None:
    numbers = encode.parse_numbers("0.8, -0.5, 0.3, -0.9")
    forget = presets.preset("forget").build().run(numbers.xs).layers[0].forward
    remember = presets.preset("remember").build().run(numbers.xs).layers[0].forward
    gates = gate_summary({"A": forget, "B": remember}).set_index(["pane", "value"])
    assert gates.loc[("A", "f_t forget"), "mean"] < 1e-8  # σ(−20) ≈ 2·10⁻⁹ at every step
    assert gates.loc[("A", "f_t forget"), "saturated"] == 1.0
    assert gates.loc[("B", "f_t forget"), "saturated"] == 1.0  # σ(20), shut the other way
    lives = half_life_table({"A": forget, "B": remember})
    assert lives.loc[0, "A: half-life (steps)"] == "1"
    assert lives.loc[0, "B: half-life (steps)"] == "> 4"
    assert "unit" in lives.columns and len(lives) == max(forget.hidden_size, remember.hidden_size)


def test_gru_summary_adds_its_keep_share_and_the_rnn_has_no_half_life() -> None:
    gates = gate_summary({"B": trace("gru")})
    assert "1 − z_t keep share" in set(gates["value"])
    lives = half_life_table({"A": trace("lstm", 4), "B": trace("rnn", 4)})
    assert set(lives["B: half-life (steps)"]) == {"—"}


def test_the_deep_view_draws_each_layers_output_as_the_next_ones_input_and_the_table_has_a_row_per_direction(
) -> None:
    network = cells.Network.create("gru", TEXT.input_size, 4, num_layers=3, bidirectional=True, seed=2)
    run = network.run(TEXT.xs)
    view = deep_view(run, "hidden", TEXT.tokens, TEXT.features, label="GRU")
    names = [p["name"] for p in view.header["panels"]]
    assert names == ["input", "0_forward", "0_backward", "0_output", "1_forward", "1_backward", "1_output",
                     "2_forward", "2_backward", "2_output"]
    np.testing.assert_array_equal(view.arrays["0_output"], run.layers[1].forward.inputs)  # layer 2 reads it
    output = next(p for p in view.header["panels"] if p["name"] == "0_output")
    assert output["row_names"][:2] == ["→0", "→1"] and "layer 2's x_t" in output["title"]
    assert "reads ←" in next(p for p in view.header["panels"] if p["name"] == "2_backward")["title"]
    both = bidirectional_view(run.layers[2], "update", TEXT.tokens, label="GRU")
    assert [p["name"] for p in both.header["panels"]] == ["forward", "backward", "concat"]
    np.testing.assert_array_equal(both.arrays["backward"], run.layers[2].backward.values["update"])
    np.testing.assert_array_equal(both.arrays["concat"], run.layers[2].output)
    with pytest.raises(ValueError, match="one direction only"):
        bidirectional_view(cells.Network.create("gru", TEXT.input_size, 4).run(TEXT.xs).layers[0], "update",
                           TEXT.tokens, label="GRU")
    table = layer_summary(run)
    assert list(table["layer"]) == [1, 1, 2, 2, 3, 3]
    assert list(table["direction"]) == ["reads →", "reads ←"] * 3
    np.testing.assert_allclose(table.loc[5, "mean h_t"], run.layers[2].backward.output.mean())


