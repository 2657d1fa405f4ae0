"""The gradient-flow figure and the sentence under it, on hand-made and real flows."""

from __future__ import annotations

import numpy as np

import cells
from cells.gradflow import GradientFlow, gradient_flow
from tests.viz.figjson import spec
from viz.gradflow import FlowCurve, decay_per_ten, gradient_flow_figure, power_of_ten, what_to_look_at


def geometric(kind: str, rate: float, steps: int = 51, cell: bool = False) -> GradientFlow:
    """A flow that shrinks by ``rate`` per step back from the end."""
    values = rate ** np.arange(steps - 1, -1, -1, dtype=np.float64)
    return GradientFlow(kind, values, values.copy() if cell else None)


def test_power_of_ten_reads_aloud() -> None:
    assert power_of_ten(3.2e-26) == "10⁻²⁵"
    assert power_of_ten(1e-4) == "10⁻⁴"
    assert power_of_ten(0.4) == "0.4"
    assert power_of_ten(0.0) == "0"


def test_decay_per_ten_of_a_geometric_flow() -> None:
    assert np.isclose(decay_per_ten(geometric("rnn", 0.5)), 2.0**10)
    assert decay_per_ten(geometric("lstm", 1.0)) == 1.0


def test_figure_has_a_log_axis_and_a_dashed_cell_line_for_the_lstm() -> None:
    fig = spec(gradient_flow_figure([FlowCurve("plain RNN", "rnn", geometric("rnn", 0.5)),
                                     FlowCurve("LSTM", "lstm", geometric("lstm", 0.95, cell=True))], title="t"))
    assert fig["layout"]["yaxis"]["type"] == "log"
    names = [t["name"] for t in fig["data"]]
    assert names == ["plain RNN: ‖∂h_T/∂h_t‖", "LSTM: ‖∂h_T/∂h_t‖", "LSTM: ‖∂C_T/∂C_t‖"]
    assert fig["data"][2]["line"]["dash"] == "dash"
    np.testing.assert_array_equal(fig["data"][0]["x"], np.arange(1, 52))  # t = 1 … T
    assert "T = 51" in fig["layout"]["xaxis"]["title"]["text"]  # the axis says the length the slider says
    assert fig["data"][0]["y"][-1] == 1.0
    assert fig["layout"]["font"]["size"] >= 18  # readable on a projector


def test_underflowed_norms_leave_a_gap_instead_of_a_zero() -> None:
    flow = GradientFlow("rnn", np.array([0.0, 1e-310, 1e-5, 1.0]), None)
    y = spec(gradient_flow_figure([FlowCurve("plain RNN", "rnn", flow)], title="t"))["data"][0]["y"]
    np.testing.assert_array_equal(y, [np.nan, np.nan, 1e-5, 1.0])  # NaN: a gap in the line, not a zero


def test_sentence_names_the_plain_rnns_decay() -> None:
    text = what_to_look_at([FlowCurve("plain RNN", "rnn", geometric("rnn", 0.5)),
                            FlowCurve("LSTM", "lstm", geometric("lstm", 0.999, cell=True))])
    assert "The plain RNN's gradient falls by a factor of about 1,024 every 10 steps" in text
    assert "after 50 steps back only 10⁻¹⁵ of it is left" in text
    assert "The LSTM's cell-state path (dashed) keeps 0.95" in text


def test_real_random_cells_show_the_rnn_vanishing_fastest() -> None:
    xs = np.random.default_rng(0).choice([-1.0, 1.0], size=(80, 2))
    curves = [FlowCurve(k, k, gradient_flow(cells.Network.create(k, 2, 8, seed=0).layers[0].forward, xs))
              for k in ("rnn", "lstm", "gru")]
    first = {c.kind: c.flow.hidden[0] for c in curves}
    assert first["rnn"] < first["lstm"] and first["rnn"] < first["gru"]
    assert "falls by a factor of about" in what_to_look_at(curves)
