"""Compare figures and tables on their JSON and numbers, without Streamlit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import cells
from cells import encode, presets
from tests.viz.figjson import spec
from viz.compare import (
    difference,
    difference_heatmap,
    gate_summary,
    half_life_table,
    layer_output_heatmap,
    layer_summary,
    panel_heatmap,
    reading_strip,
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


def heat_z(fig: object) -> np.ndarray:
    return np.asarray(spec(fig)["data"][0]["z"], dtype=float)


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


def test_difference_heatmap_values_are_b_minus_a_on_a_stated_diverging_range() -> None:
    a, b = trace("lstm"), trace("gru")
    pairs = by_role(a, b)
    fig = difference_heatmap(pairs["keep"], TEXT.tokens, cursor=2)
    heat = spec(fig)["data"][0]
    np.testing.assert_allclose(heat_z(fig), ((1.0 - b.values["update"]) - a.values["forget"]).T, atol=6e-4)
    assert (heat["zmin"], heat["zmax"], heat["zmid"]) == (-1.0, 1.0, 0.0)
    assert "colours ±1" in fig.layout.title.text and fig.layout.title.text.startswith("B − A")
    candidate = difference_heatmap(pairs["candidate"], TEXT.tokens)
    assert spec(candidate)["data"][0]["zmax"] == 2.0  # two tanh values differ by up to 2
    memory = difference_heatmap(pairs["memory"], TEXT.tokens)
    bound = spec(memory)["data"][0]["zmax"]
    assert bound >= np.max(np.abs(difference(pairs["memory"])))  # unbounded C_t: the range covers the data


def test_no_difference_when_the_shapes_differ() -> None:
    pairs = by_role(trace("lstm", 6), trace("lstm", 4))
    assert not any(pair.comparable for pair in pairs.values())
    with pytest.raises(ValueError, match="differ in shape"):
        difference(pairs["keep"])


def test_panes_of_different_lengths_share_one_x_range_and_the_short_one_draws_no_cursor_past_its_end() -> None:
    short_input = encode.one_hot("hello")
    a, b = trace("lstm"), trace("lstm", xs=short_input.xs)
    pair = by_role(a, b)["keep"]
    fa = panel_heatmap(pair.a, a, TEXT.tokens, steps=11, cursor=8, unit=0, pane="A")
    fb = panel_heatmap(pair.b, b, short_input.tokens, steps=11, cursor=8, unit=0, pane="B")
    assert list(fa.layout.xaxis.range) == list(fb.layout.xaxis.range) == [-0.5, 10.5]
    assert fa.layout.margin == fb.layout.margin
    assert [s.name for s in fa.layout.shapes] == ["cursor", "unit"]
    assert [s.name for s in fb.layout.shapes] == ["unit"]
    assert fb.layout.title.text.startswith("B · f_t")


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


def test_reading_strip_marks_tokens_read_so_far_in_each_direction() -> None:
    fig = reading_strip(TEXT.tokens, 3)
    z = heat_z(fig)  # (2, T): forward row, backward row
    assert z.shape == (2, 11)
    assert np.flatnonzero(z[0]).tolist() == [0, 1, 2, 3]
    assert np.flatnonzero(z[1]).tolist() == list(range(3, 11))
    assert list(spec(fig)["data"][0]["text"][0]) == list(TEXT.tokens)
    assert list(fig.layout.yaxis.ticktext) == ["→", "←"] and fig.layout.yaxis.title.text == "reads"


def test_layer_output_is_both_directions_side_by_side_and_the_layer_table_has_a_row_per_direction() -> None:
    network = cells.Network.create("gru", TEXT.input_size, 4, num_layers=3, bidirectional=True, seed=2)
    run = network.run(TEXT.xs)
    fig = layer_output_heatmap(run.layers[0], TEXT.tokens, title="h_t of layer 1 = x_t of layer 2")
    np.testing.assert_allclose(heat_z(fig), run.layers[1].forward.inputs.T, atol=6e-4)  # layer 2 reads it
    assert list(fig.layout.yaxis.ticktext)[:2] == ["→0", "→1"]
    table = layer_summary(run)
    assert list(table["layer"]) == [1, 1, 2, 2, 3, 3]
    assert list(table["direction"]) == ["reads →", "reads ←"] * 3
    np.testing.assert_allclose(table.loc[5, "mean h_t"], run.layers[2].backward.output.mean())


def test_a_51_step_pane_labels_few_enough_steps_that_they_do_not_run_into_each_other() -> None:
    long = encode.one_hot("abcdefghij" * 5 + "k")  # 51 steps
    a = trace("lstm", xs=long.xs)
    pair = role_pairs(a, a)[0]
    fig = spec(panel_heatmap(pair.a, a, long.tokens, steps=51, cursor=0, unit=0, pane="A"))
    ticks = fig["layout"]["xaxis"]["ticktext"]
    assert 6 < len(ticks) <= 14 and ticks[0] == "0·a"
    assert len(fig["layout"]["xaxis"]["tickvals"]) == len(ticks)
