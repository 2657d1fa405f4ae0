"""Weight tables and heatmaps follow the deck's [h_{t-1}, x_t]; difference heatmaps are centred on 0."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from tests.viz.figjson import spec
from viz.weights import bias_frame, clamp_view, column_names, square_frame, weight_frame, weight_heatmap


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


def test_clamp_view_shows_the_clamped_gate_and_what_moved_on_symmetric_ranges() -> None:
    xs = np.eye(3)[[0, 1, 2, 1]]
    network = cells.Network.create("lstm", 3, 2, seed=0)
    free = network.run(xs).layers[0].forward
    clamped = network.run(xs, clamps=[cells.Clamp("forget", 0.0)]).layers[0].forward
    view = clamp_view(clamped, free, "forget", list("abcb"), "f_t = 0")
    panels = {p["name"]: p for p in view.header["panels"]}
    assert list(panels) == ["clamped", "delta_cell", "delta_hidden"]
    np.testing.assert_array_equal(view.arrays["clamped"], np.zeros((4, 2)))
    np.testing.assert_array_equal(view.arrays["delta_cell"], clamped.values["cell"] - free.values["cell"])
    scale = panels["delta_cell"]["scale"]
    assert scale["min"] == -scale["max"] and scale["max"] >= np.abs(view.arrays["delta_cell"]).max()
    assert panels["delta_cell"]["symbol"] == "ΔC<sub>t</sub>" and "clamped − unclamped" in panels["delta_cell"]["title"]
    unmoved = clamp_view(free, free, "forget", list("abcb"), "nothing")
    assert {p["name"]: p["scale"]["max"] for p in unmoved.header["panels"]}["delta_hidden"] == 1.0
    with pytest.raises(ValueError, match="expected 3 steps"):
        clamp_view(clamped, free, "forget", list("abc"), "f_t = 0")


