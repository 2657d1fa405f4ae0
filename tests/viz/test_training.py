"""Learning curves, the cell comparison and the prediction strip, checked on the JSON the browser gets."""

from __future__ import annotations

import numpy as np
import pytest

from tests.viz.figjson import spec
from viz.style import COLOURBLIND, PALETTES, STANDARD, Palette
from viz.training import (
    Curve,
    Predictions,
    compare_curves,
    final_accuracies,
    learning_curves,
    log_dtick,
    prediction_figure,
    prediction_table,
    running_mean,
)


def test_running_mean_by_hand() -> None:
    np.testing.assert_allclose(running_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2), [1.0, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(running_mean(np.array([4.0, 0.0, 2.0]), 10), [4.0, 2.0, 2.0])
    assert running_mean(np.zeros(0), 3).size == 0


def test_learning_curve_has_one_point_per_step_on_a_log_loss_axis() -> None:
    losses = np.geomspace(1.5, 0.002, 30)
    accuracies = np.linspace(0.2, 1.0, 30)
    fig = spec(learning_curves(losses, accuracies, total_steps=100))
    data, layout = fig["data"], fig["layout"]
    assert len(data) == 4  # raw and running mean, for loss and for accuracy
    for trace in data:
        np.testing.assert_array_equal(trace["x"], np.arange(1, 31))
    raw_loss = next(t for t in data if t["name"] == "loss (each batch)")
    np.testing.assert_allclose(raw_loss["y"], losses, rtol=1e-6)  # small losses are not rounded away
    raw_acc = next(t for t in data if t["name"] == "accuracy (each batch)")
    np.testing.assert_allclose(raw_acc["y"], accuracies, atol=1e-3)
    assert layout["yaxis"]["type"] == "log"
    assert layout["yaxis2"]["range"] == [-0.02, 1.02]
    assert layout["xaxis2"]["range"] == [1, 100]  # the live curve grows into the whole run


def test_learning_curve_draws_chance_when_asked() -> None:
    fig = spec(learning_curves([0.7, 0.69], [0.5, 0.4], chance=0.5))
    line = next(t for t in fig["data"] if t["name"].startswith("chance"))
    assert list(line["y"]) == [0.5, 0.5] and line["yaxis"] == "y2"


def test_learning_curve_refuses_mismatched_rows() -> None:
    with pytest.raises(ValueError, match="one loss and one accuracy per step"):
        learning_curves([1.0, 0.5], [0.5])


def test_log_ticks_stay_readable() -> None:
    assert log_dtick(np.array([1.6, 1.1])) is None  # within a decade Plotly's own ticks read well
    assert log_dtick(np.array([1.6, 0.05])) == "D2"
    assert log_dtick(np.array([1.6, 1e-4])) == 1
    assert log_dtick(np.zeros(3)) == 1


def _curves() -> list[Curve]:
    steps = 40
    return [
        Curve("LSTM", "lstm", np.geomspace(0.7, 0.01, steps), np.linspace(0.5, 1.0, steps)),
        Curve("GRU", "gru", np.geomspace(0.7, 0.02, steps), np.linspace(0.5, 1.0, steps)),
        Curve("Plain RNN (tanh)", "rnn", np.full(steps, 0.69), np.full(steps, 0.5)),
    ]


@pytest.mark.parametrize("palette", PALETTES.values(), ids=list(PALETTES))
def test_comparison_overlays_three_cells_on_both_rows(palette: Palette) -> None:
    fig = spec(compare_curves(_curves(), chance=0.5, palette=palette))
    cells = [t for t in fig["data"] if not t["name"].startswith("chance")]
    loss_rows = [t for t in cells if t["yaxis"] == "y"]
    acc_rows = [t for t in cells if t["yaxis"] == "y2"]
    assert [t["name"] for t in loss_rows] == ["LSTM", "GRU", "Plain RNN (tanh)"]
    assert [t["name"] for t in acc_rows] == ["LSTM", "GRU", "Plain RNN (tanh)"]
    for loss, acc, kind in zip(loss_rows, acc_rows, ["lstm", "gru", "rnn"], strict=True):
        assert loss["line"]["color"] == acc["line"]["color"] == palette.kind_colour(kind)
        assert len(loss["y"]) == 40
    assert len({t["line"]["color"] for t in loss_rows}) == 3
    assert [t["showlegend"] for t in cells] == [True, False] * 3  # one legend entry per cell
    np.testing.assert_allclose(acc_rows[2]["y"], 0.5)


def test_final_accuracies_are_the_last_stretch() -> None:
    finals = final_accuracies(_curves(), window=1)
    assert finals == {"LSTM": 1.0, "GRU": 1.0, "Plain RNN (tanh)": 0.5}


def _predictions() -> Predictions:
    return Predictions(
        tokens=("(", "(", ")", ")"), predicted=("1", "2", "2", "0"), truth=("1", "2", "1", None),
        right=(True, True, False, None), confidence=(0.9, 0.8, 0.6, 0.7), what="depth",
    )


def test_prediction_strip_marks_right_and_wrong_under_each_step() -> None:
    fig = spec(prediction_figure(_predictions()))
    heat = fig["data"][0]
    assert list(heat["y"]) == ["predicted", "true"]
    assert [list(row) for row in heat["text"]] == [["1", "2", "2", "0"], ["1", "2", "1", ""]]
    assert list(heat["z"][0]) == [1.0, 1.0, 0.0, 0.5]  # right, right, wrong, not known
    assert fig["layout"]["title"]["text"].endswith("2 of 3 right")
    assert list(fig["layout"]["xaxis"]["ticktext"]) == ["0·(", "1·(", "2·)", "3·)"]
    assert "predicted depth: 2 (p = 0.60)<br>true: 1" in heat["customdata"][0][2]


def test_the_colour_blind_palette_marks_right_and_wrong_in_blue_and_orange_not_green_and_red() -> None:
    standard = spec(prediction_figure(_predictions()))["data"][0]["colorscale"]
    safe = spec(prediction_figure(_predictions(), palette=COLOURBLIND))["data"][0]["colorscale"]
    assert [c for _, c in standard] == [STANDARD.wrong, STANDARD.unknown, STANDARD.right]
    assert [c for _, c in safe] == [COLOURBLIND.wrong, COLOURBLIND.unknown, COLOURBLIND.right]
    assert COLOURBLIND.right != STANDARD.right and COLOURBLIND.wrong != STANDARD.wrong


def test_prediction_strip_without_any_truth_has_one_row() -> None:
    p = Predictions(("a", "b"), ("b", "c"), (None, None), (None, None), (None, None), "next character")
    heat = spec(prediction_figure(p))["data"][0]
    assert list(heat["y"]) == ["predicted"]


def test_prediction_rows_must_match() -> None:
    with pytest.raises(ValueError, match="expected 2 steps"):
        Predictions(("a", "b"), ("b",), (None, None), (None, None), (None, None), "x")


def test_prediction_table_has_a_row_per_step() -> None:
    table = prediction_table(_predictions())
    assert list(table["predicted depth"]) == ["1", "2", "2", "0"]
    assert list(table["right"]) == ["yes", "yes", "no", ""]
