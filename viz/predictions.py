"""What a model's output head predicts: the top tokens at one step, and one token's probability over time; or, for
a head that predicts values (a regression), the values at one step and one value over time.

Each takes the head's numbers, (T, K): probabilities p_t (softmax of the logits, computed by ``cells``) or
predicted values ŷ_t = W·h_t + b, the input token of each step, and the label of each output (the
vocabulary's tokens or the task's classes, else ``#k``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from viz.figure import figure
from viz.style import STANDARD, TICK_SIZE, Palette, base_layout, compact
from viz.timeaxis import step_labels, time_axis

_SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}
NARROW_TICKS = 8  # labelled steps on the line beside the gates: a narrow column holds about eight "12·x" side by side


def output_labels(size: int, tokens: Sequence[str] | None) -> list[str]:
    """A label per output: its token, made visible (␣ for a space), or ``#k`` without a vocabulary."""
    if tokens is None or len(tokens) != size:
        return [f"#{k}" for k in range(size)]
    return [_SHOWN.get(t, t) for t in tokens]


def _checked(probabilities: np.ndarray, inputs: Sequence[str]) -> np.ndarray:
    p = np.asarray(probabilities)
    if p.ndim != 2 or p.shape[0] != len(inputs) or p.shape[1] == 0:
        raise ValueError(f"probabilities: expected ({len(inputs)}, outputs), one row per step, got {p.shape}")
    return p


def top_predictions(probabilities: np.ndarray, inputs: Sequence[str], step: int,
                    labels: Sequence[str] | None = None, k: int = 5) -> pd.DataFrame:
    """The ``k`` likeliest outputs after reading step ``step``: rank, output and its probability."""
    p = _checked(probabilities, inputs)
    if not 0 <= step < p.shape[0]:
        raise ValueError(f"step: expected 0 to {p.shape[0] - 1}, got {step}")
    names = output_labels(p.shape[1], labels)
    order = np.argsort(-p[step], kind="stable")[: max(1, k)]
    return pd.DataFrame({"rank": np.arange(1, len(order) + 1), "prediction": [names[j] for j in order],
                         "probability": np.round(p[step, order], 4)}).set_index("rank")


def predicted_values(values: np.ndarray, inputs: Sequence[str], step: int,
                     labels: Sequence[str] | None = None, k: int = 5) -> pd.DataFrame:
    """What a head that predicts values says after step ``step``: each output (the first ``k``) and ŷ_t."""
    y = _checked(values, inputs)
    if not 0 <= step < y.shape[0]:
        raise ValueError(f"step: expected 0 to {y.shape[0] - 1}, got {step}")
    names = output_labels(y.shape[1], labels)
    shown = range(min(max(1, k), y.shape[1]))
    return pd.DataFrame({"output": [names[j] for j in shown],
                         "predicted value": [round(float(y[step, j]), 4) for j in shown]}).set_index("output")


def token_probability(probabilities: np.ndarray, inputs: Sequence[str], output: int,
                      labels: Sequence[str] | None = None, step: int | None = None,
                      palette: Palette = STANDARD) -> go.Figure:
    """p_t(output) at every step t, on the shared time axis, with the chosen step marked."""
    p = _checked(probabilities, inputs)
    return _over_time(p, inputs, output, labels, step, palette, value=False)


def value_line(values: np.ndarray, inputs: Sequence[str], output: int, labels: Sequence[str] | None = None,
               step: int | None = None, palette: Palette = STANDARD) -> go.Figure:
    """ŷ_t(output), the value a regression head predicts, at every step t, with the chosen step marked."""
    return _over_time(_checked(values, inputs), inputs, output, labels, step, palette, value=True)


def _over_time(p: np.ndarray, inputs: Sequence[str], output: int, labels: Sequence[str] | None, step: int | None,
               palette: Palette, value: bool) -> go.Figure:
    if not 0 <= output < p.shape[1]:
        raise ValueError(f"output: expected 0 to {p.shape[1] - 1}, got {output}")
    name = output_labels(p.shape[1], labels)[output]
    axis = time_axis(list(inputs), p.shape[0], max_ticks=NARROW_TICKS)
    hover = step_labels(list(inputs))
    what = f"ŷ({name})" if value else f"p({name})"
    line = {
        "type": "scatter", "x": np.arange(p.shape[0], dtype="int32"), "y": compact(p[:, output]),
        "mode": "lines+markers" if len(p) <= 60 else "lines", "name": what,
        "line": {"width": 2.5, "color": palette.lines[0]}, "text": list(hover),
        "hovertemplate": (f"{what}, predicted" if value else f"p(next = {name})")
        + "<br>after %{text}<br>%{y:.3f}<extra></extra>",
    }
    if value:
        low, high = float(np.min(p[:, output])), float(np.max(p[:, output]))
        pad = max(0.1 * (high - low), 0.05 * max(abs(low), abs(high)), 1e-3)
        y_axis = {"title": {"text": "predicted value"}, "range": [low - pad, high + pad]}
    else:
        y_axis = {"title": {"text": "probability"}, "range": [0, 1]}
    layout = base_layout(300, f"{what} after each step")
    layout.update(
        xaxis={"tickvals": list(axis.tickvals), "ticktext": list(axis.ticktext), "tickfont": {"size": TICK_SIZE},
               "title": {"text": "after reading step"}, "range": [-0.5, p.shape[0] - 0.5]},
        yaxis={**y_axis, "tickfont": {"size": TICK_SIZE}},
        showlegend=False,
    )
    layout["margin"] = {**layout["margin"], "l": 60, "r": 20}  # it sits in a narrow column beside the gates
    if step is not None and 0 <= step < p.shape[0]:
        layout["shapes"] = [{"type": "rect", "xref": "x", "yref": "paper", "x0": step - 0.5, "x1": step + 0.5,
                             "y0": 0, "y1": 1, "line": {"width": 2, "color": "black"}, "fillcolor": "rgba(0,0,0,0)"}]
    return figure([line], layout)
