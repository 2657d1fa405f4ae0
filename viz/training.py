"""Learning curves and a trained model's predictions: pure figure and table builders, no Streamlit.

A learning curve plots what ``cells.learning.train.train`` records per step: the loss of each training batch
(log scale, it spans decades) and the share of that batch the model got right. Batch values are
noisy, so each is drawn faint with a bold running mean over the last few batches on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from viz.figure import figure
from viz.heatmap import _time_xaxis
from viz.style import STANDARD, TICK_SIZE, Palette, base_layout, compact
from viz.timeaxis import time_axis


def window_for(steps: int) -> int:
    """How many batches the running mean covers: about a twentieth of the run, 1 to 50."""
    return int(min(50, max(1, steps // 20)))


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of the last ``window`` values at every step (fewer at the start), same length."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v
    c = np.concatenate([[0.0], np.cumsum(v)])  # (n + 1,)
    ends = np.arange(1, v.size + 1)
    starts = np.maximum(0, ends - window)
    return (c[ends] - c[starts]) / (ends - starts)


ROW_GAP = 0.08  # of the plot's height, between the loss and the accuracy rows
AXES = {1: {"xaxis": "x", "yaxis": "y"}, 2: {"xaxis": "x2", "yaxis": "y2"}}  # the traces of each row


def _two_rows(height: int, title: str, loss_title: str, acc_title: str, total: int, dtick: str | int | None
              ) -> dict:
    """The layout of a loss row (log scale) over an accuracy row, sharing the training-step axis."""
    tick = {"size": TICK_SIZE}
    share = (1 - ROW_GAP) / 2  # each row's part of the height
    layout = base_layout(height, title)
    layout["margin"] = {**layout["margin"], "r": 40, "t": 70, "b": 100}
    layout.update(
        hovermode="x unified",
        # the legend on the figure's bottom edge, under the "training step" axis title, never over it
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        xaxis={"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False, "tickfont": tick},
        yaxis={"anchor": "x", "domain": [1 - share, 1.0], "type": "log", "exponentformat": "power",
               "title": {"text": "loss"}, "tickfont": tick, "dtick": dtick},
        xaxis2={"anchor": "y2", "domain": [0.0, 1.0], "range": [1, total], "title": {"text": "training step"},
                "tickfont": tick},
        yaxis2={"anchor": "x2", "domain": [0.0, share], "range": [-0.02, 1.02], "tickformat": ".0%",
                "title": {"text": "accuracy"}, "tickfont": tick},
        annotations=[{"text": text, "x": 0.5, "xanchor": "center", "xref": "paper", "y": top, "yanchor": "bottom",
                      "yref": "paper", "showarrow": False, "font": {"size": TICK_SIZE + 1}}
                     for text, top in ((loss_title, 1.0), (acc_title, share))],
    )
    return layout


def _y(values: np.ndarray, row: int) -> np.ndarray:
    """Losses unrounded (they reach far below 0.001, and far above float32 in a diverging run); accuracies rounded."""
    return np.asarray(values, dtype=np.float64) if row == 1 else compact(values)


def _chance_line(chance: float | None, total: int) -> list[dict]:
    """The accuracy of guessing, dotted across the accuracy row (none when unknown)."""
    if chance is None:
        return []
    return [{"type": "scatter", "x": [1, max(total, 2)], "y": [chance, chance], "mode": "lines",
             "name": f"chance ({chance:.0%})", "line": {"color": "#777777", "dash": "dot", "width": 2},
             "hoverinfo": "skip", **AXES[2]}]


def learning_curves(losses: Sequence[float] | np.ndarray, accuracies: Sequence[float] | np.ndarray, *,
                    title: str = "Learning curve", total_steps: int | None = None, chance: float | None = None,
                    colour: str | None = None, palette: Palette = STANDARD) -> go.Figure:
    """Loss (top, log scale) and accuracy (bottom) of every training batch, each with its running mean.

    ``total_steps`` fixes the x axis to the whole run, so a live curve grows into it; ``chance`` draws
    the accuracy of guessing as a dotted line; the lines are ``colour``, by default ``palette``'s first.
    """
    colour = colour or palette.kinds[0]
    losses, accuracies = np.asarray(losses, dtype=np.float64), np.asarray(accuracies, dtype=np.float64)
    if losses.shape != accuracies.shape or losses.ndim != 1:
        raise ValueError(f"curves: expected one loss and one accuracy per step, got {losses.shape} and "
                         f"{accuracies.shape}")
    n = losses.size
    total = max(total_steps or n, n, 1)
    w = window_for(total)
    steps = np.arange(1, n + 1, dtype=np.int32)
    bold = f" (bold: mean of the last {w})" if w > 1 else ""
    data = []
    for row, values, name, fmt in ((1, losses, "loss", ".4g"), (2, accuracies, "accuracy", ".1%")):
        data.append({"type": "scatter", "x": steps, "y": _y(values, row), "mode": "lines",
                     "name": f"{name} (each batch)", "line": {"color": colour, "width": 1}, "opacity": 0.35,
                     "showlegend": False, "hovertemplate": f"{name} %{{y:{fmt}}}<extra>batch</extra>", **AXES[row]})
        data.append({"type": "scatter", "x": steps, "y": _y(running_mean(values, w), row), "mode": "lines",
                     "name": f"{name} (mean of the last {w})", "line": {"color": colour, "width": 3},
                     "showlegend": False, "hovertemplate": f"{name} %{{y:{fmt}}}<extra>mean of {w}</extra>",
                     **AXES[row]})
    layout = _two_rows(520, title, f"loss of each batch{bold}", f"accuracy on each batch{bold}", total,
                       log_dtick(losses))
    return figure(data + _chance_line(chance, total), layout)


def log_dtick(values: np.ndarray) -> str | int | None:
    """Log-axis ticks that stay readable: Plotly's own within one decade, 1, 2 and 5 of each decade over
    a few, whole decades over many."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 1
    decades = np.log10(v.max()) - np.log10(v.min())
    if decades < 1:
        return None
    return "D2" if decades < 2.5 else 1


@dataclass(frozen=True)
class Curve:
    """One run's learning curve, for overlays."""

    label: str  # "LSTM", "Plain RNN (tanh)"
    kind: str  # the cell kind, for its colour
    losses: np.ndarray
    accuracies: np.ndarray


def compare_curves(curves: Sequence[Curve], *, title: str = "LSTM, GRU and plain RNN on the same task",
                   total_steps: int | None = None, chance: float | None = None,
                   palette: Palette = STANDARD) -> go.Figure:
    """Several runs' learning curves overlaid: one bold running-mean line per run in each row,
    one colour per cell kind, ``palette``'s (loss on top, accuracy below)."""
    total = max([total_steps or 0, *(c.losses.size for c in curves), 1])
    w = window_for(total)
    mean = f" (mean of the last {w} batches)" if w > 1 else ""
    data = []
    for c in curves:
        colour = palette.kind_colour(c.kind)
        steps = np.arange(1, c.losses.size + 1, dtype=np.int32)
        for row, values, fmt in ((1, c.losses, ".4g"), (2, c.accuracies, ".1%")):
            data.append({"type": "scatter", "x": steps, "y": _y(running_mean(values, w), row), "mode": "lines",
                         "name": c.label, "legendgroup": c.kind, "showlegend": row == 1,
                         "line": {"color": colour, "width": 3},
                         "hovertemplate": f"{c.label} %{{y:{fmt}}}<extra></extra>", **AXES[row]})
    every = [running_mean(c.losses, w) for c in curves if c.losses.size]
    layout = _two_rows(560, title, f"loss{mean}", f"accuracy{mean}", total,
                       log_dtick(np.concatenate(every)) if every else 1)
    return figure(data + _chance_line(chance, total), layout)


# ----- predictions on a typed sequence ------------------------------------------------------------------
@dataclass(frozen=True)
class Predictions:
    """What a model says at every step of one typed sequence, and the true answer where it is known."""

    tokens: tuple[str, ...]  # (T,) one label per step
    predicted: tuple[str, ...]  # (T,) the class or value predicted after each step
    truth: tuple[str | None, ...]  # (T,) the right answer, None where nothing is known
    right: tuple[bool | None, ...]  # (T,) whether the prediction is right (None where the truth is not known)
    confidence: tuple[float | None, ...]  # (T,) the predicted class's probability (softmax), else None
    what: str  # "depth", "b's left", "next character"

    def __post_init__(self) -> None:
        T = len(self.tokens)
        lengths = [len(self.predicted), len(self.truth), len(self.right), len(self.confidence)]
        if any(n != T for n in lengths):
            raise ValueError(f"predictions: expected {T} steps in every row, got {lengths}")

    @property
    def known(self) -> int:
        return sum(t is not None for t in self.truth)


def prediction_figure(p: Predictions, *, title: str | None = None, max_labels: int = 80,
                      palette: Palette = STANDARD) -> go.Figure:
    """A strip under the heatmaps: the predicted answer after each step, and the true one where known.

    Same time axis and margins as the gate heatmaps, so a step's prediction sits under its column;
    ``palette``'s right colour where the prediction is right (green, or sky blue), its wrong colour where
    it is wrong (red, or orange), grey where nothing is known; the hover gives both answers in words.
    """
    T = len(p.tokens)
    axis = time_axis(p.tokens, T)
    rows = ["predicted"] + (["true"] if p.known else [])
    colour_of = {True: 1.0, False: 0.0, None: 0.5}
    z = [[colour_of[r] for r in p.right]] + ([[colour_of[r] for r in p.right]] if p.known else [])
    text = [list(p.predicted)] + ([[t if t is not None else "" for t in p.truth]] if p.known else [])
    hover = [
        f"step {t} · token {p.tokens[t]}<br>predicted {p.what}: {p.predicted[t]}"
        + (f" (p = {p.confidence[t]:.2f})" if p.confidence[t] is not None else "")
        + (f"<br>true: {p.truth[t]}" if p.truth[t] is not None else "<br>true: not known")
        for t in range(T)
    ]
    labels = "%{text}" if len(p.tokens) <= max_labels else None  # beyond that the hover says it
    heat = {
        "type": "heatmap", "x": axis.positions.astype(np.int32), "y": rows, "z": z, "zmin": 0.0, "zmax": 1.0,
        "showscale": False, "colorscale": [[0.0, palette.wrong], [0.5, palette.unknown], [1.0, palette.right]],
        "xgap": 1, "ygap": 2,
        "text": text, "textfont": {"size": TICK_SIZE},
        "customdata": [hover] * len(rows), "hovertemplate": "%{customdata}<extra></extra>", "name": "predictions",
    }
    if labels is not None:
        heat["texttemplate"] = labels
    scored = [r for r in p.right if r is not None]
    default = f"Predicted {p.what} after each step"
    if scored:
        default += f" · {sum(scored)} of {len(scored)} right"
    layout = base_layout(130 + 40 * len(rows), title or default)
    layout.update(xaxis=_time_xaxis(axis),
                  yaxis={"autorange": "reversed", "tickfont": {"size": TICK_SIZE}, "showgrid": False},
                  dragmode=False)
    return figure([heat], layout)


def prediction_table(p: Predictions) -> pd.DataFrame:
    """The predictions as a table: one row per step."""
    return pd.DataFrame({
        "step": np.arange(len(p.tokens)),
        "token": list(p.tokens),
        f"predicted {p.what}": list(p.predicted),
        "probability": [None if c is None else round(c, 3) for c in p.confidence],
        "true": [t if t is not None else "" for t in p.truth],
        "right": ["" if r is None else ("yes" if r else "no") for r in p.right],
    })


def final_accuracies(curves: Sequence[Curve], window: int | None = None) -> Mapping[str, float]:
    """Each run's mean batch accuracy over its last ``window`` steps (default: the figure's running mean)."""
    out = {}
    for c in curves:
        w = window or window_for(c.accuracies.size)
        out[c.label] = float(np.mean(c.accuracies[-w:])) if c.accuracies.size else float("nan")
    return out

