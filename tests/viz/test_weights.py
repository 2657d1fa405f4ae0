"""Weight tables and heatmaps follow the deck's [h_{t-1}, x_t]; difference heatmaps are centred on 0."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from tests.viz.figjson import spec
from viz.weights import bias_frame, column_names, difference_heatmap, square_frame, weight_frame, weight_heatmap


def test_columns_put_the_hidden_state_first_then_the_named_inputs() -> None:
    assert column_names(2, ("a", "b", "c"), 3) == ["h0", "h1", "x0 (a)", "x1 (b)", "x2 (c)"]
    assert column_names(2, None, 2) == ["h0", "h1", "x0", "x1"]


def test_a_gate_matrix_becomes_a_table_of_units_by_columns() -> None:
    cell = cells.initialise("lstm", 3, 2, seed=1)
    frame = weight_frame(cell.weights["forget"], ("a", "b", "c"))
    assert list(frame.index) == ["u0", "u1"] and frame.shape == (2, 5)
    np.testing.assert_array_equal(frame.to_numpy(), cell.weights["forget"])
    assert frame.loc["u1", "x2 (c)"] == cell.weights["forget"][1, 4]


def test_bias_tables_show_the_recurrent_bias_only_where_the_cell_has_one() -> None:
    deck = cells.initialise("lstm", 3, 2)
    torch_gru = cells.initialise("gru_torch", 3, 2)
    assert list(bias_frame(deck, "forget").columns) == ["b"]
    assert list(bias_frame(torch_gru, "candidate").columns) == ["b", "b_h"]
    np.testing.assert_array_equal(bias_frame(torch_gru, "candidate")["b_h"], torch_gru.hidden_biases["candidate"])
    peep = cells.initialise("peephole", 3, 2)
    assert list(square_frame(peep.peepholes["input"]).columns) == ["C0", "C1"]


def test_weight_heatmap_draws_the_numbers_on_a_diverging_scale_centred_on_zero() -> None:
    matrix = np.array([[0.5, -1.5, 3.0], [0.0, 1.0, -0.25]])
    fig = spec(weight_heatmap(weight_frame(matrix, ("a",)), "W"))
    heat = fig["data"][0]
    np.testing.assert_allclose(heat["z"], matrix, atol=1e-6)
    assert heat["zmid"] == 0 and heat["zmin"] == -5 and heat["zmax"] == 5
    assert fig["layout"]["xaxis"]["ticktext"] == ["h0", "h1", "x0 (a)"]
    assert fig["layout"]["yaxis"]["ticktext"] == ["u0", "u1"]


def test_difference_heatmap_is_symmetric_and_names_the_state() -> None:
    delta = np.array([[0.0, 0.3], [-1.7, 0.0], [0.0, 0.0]])
    fig = spec(difference_heatmap(delta, ["a", "b", "c"], "C_t", "cell state"))
    heat = fig["data"][0]
    assert heat["zmin"] == -2 and heat["zmax"] == 2 and heat["zmid"] == 0
    np.testing.assert_allclose(heat["z"], delta.T, atol=1e-3)
    assert "ΔC_t" in fig["layout"]["title"]["text"] and "clamped − unclamped" in fig["layout"]["title"]["text"]
    flat = spec(difference_heatmap(np.zeros((3, 2)), ["a", "b", "c"], "h_t", "hidden state"))["data"][0]
    assert (flat["zmin"], flat["zmax"]) == (-1, 1)
    with pytest.raises(ValueError, match="expected 2 steps"):
        difference_heatmap(delta, ["a", "b"], "h_t", "hidden state")
