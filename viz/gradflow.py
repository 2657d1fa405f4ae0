"""The gradient-flow figure: how much of the gradient at the last step reaches each earlier step.

One line per cell: ‖∂h_T/∂h_t‖ against t on a log scale (solid), and for the LSTM family the cell
state's ‖∂C_T/∂C_t‖ too (dashed). Read from right to left: at t = T the norm is 1; a line that
drops steeply is a gradient that vanishes. Fonts are large and fixed, for a projector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

import cells
from cells.gradflow import GradientFlow
from viz.figure import figure
from viz.style import STANDARD, Palette

FONT = 18
TITLE = 21
TICK = 16
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
TINY = 1e-300  # below this a norm has underflowed; the log axis leaves it out


@dataclass(frozen=True)
class FlowCurve:
    """One cell's gradient flow and how the figure names it."""

    label: str  # "plain RNN", "LSTM", "your GRU": it is put in sentences
    kind: str
    flow: GradientFlow


def power_of_ten(value: float) -> str:
    """``value`` as a power of ten a reader can say aloud: 3.2e-26 -> "10⁻²⁶" (rounded), 0.4 -> "0.4"."""
    if not np.isfinite(value) or value <= 0:
        return "0"
    if 0.01 <= value < 1000:
        return f"{value:.2g}"
    return "10" + str(round(float(np.log10(value)))).translate(SUPERSCRIPT)


def _shown(values: np.ndarray) -> np.ndarray:
    """The norms as drawn: an underflowed one is NaN, a gap in the line (an array, not a list: Plotly and
    Streamlit copy and encode a list number by number, an array at once)."""
    return np.where(values > TINY, values, np.nan)


def gradient_flow_figure(curves: Sequence[FlowCurve], *, title: str, height: int = 500,
                         palette: Palette = STANDARD) -> go.Figure:
    """‖∂h_T/∂h_t‖ (solid) and ‖∂C_T/∂C_t‖ (dashed, LSTM family) against the step t, log y axis.

    Steps are counted t = 1 … T, as the equation's product runs to h_T: a sequence of T steps ends at t = T."""
    data = []
    last = 0
    for c in curves:
        colour = palette.kind_colour(c.kind)
        t = np.arange(1, c.flow.steps + 1, dtype=np.int32)
        last = max(last, c.flow.steps)
        data.append({
            "type": "scatter", "x": t, "y": _shown(c.flow.hidden), "mode": "lines", "name": f"{c.label}: ‖∂h_T/∂h_t‖",
            "line": {"color": colour, "width": 4},
            "hovertemplate": f"<b>{c.label}</b><br>‖∂h_T/∂h_t‖ at t = %{{x}}: %{{y:.2e}}<extra></extra>",
        })
        if c.flow.cell is not None:
            data.append({
                "type": "scatter", "x": t, "y": _shown(c.flow.cell), "mode": "lines",
                "name": f"{c.label}: ‖∂C_T/∂C_t‖", "line": {"color": colour, "width": 4, "dash": "dash"},
                "hovertemplate": f"<b>{c.label}</b><br>‖∂C_T/∂C_t‖ at t = %{{x}}: %{{y:.2e}}<extra></extra>",
            })
    layout = dict(
        title={"text": title, "font": {"size": TITLE}, "x": 0, "xanchor": "left"},
        font={"size": FONT}, height=height, hovermode="closest",
        margin={"l": 90, "r": 30, "t": 60, "b": 150},
        hoverlabel={"font": {"size": FONT}},
        legend={"orientation": "h", "y": -0.22, "x": 0, "font": {"size": FONT - 1}},
        xaxis={"title": {"text": f"step t (the gradient starts at T = {last} and flows back to the left)"},
               "range": [1, max(last, 2)], "tickfont": {"size": TICK}, "zeroline": False},
        yaxis={"title": {"text": "gradient norm"}, "type": "log", "exponentformat": "power",
               "tickfont": {"size": TICK}, "dtick": _dtick(curves)},
    )
    return figure(data, layout)


def _dtick(curves: Sequence[FlowCurve]) -> int:
    """Decades between y ticks, so a range of 10⁻⁴⁰ .. 1 stays readable."""
    low = min((float(np.min(v[v > TINY])) for c in curves for v in (c.flow.hidden, c.flow.cell)
               if v is not None and np.any(v > TINY)), default=1.0)
    decades = max(1.0, -np.log10(low))
    return int(max(1, np.ceil(decades / 8)))


def decay_per_ten(flow: GradientFlow) -> float:
    """By what factor ‖∂h_T/∂h_t‖ falls every 10 steps back, fitted over the whole sequence
    (a straight line of log norm against t; 1 means it does not fall)."""
    values = flow.hidden
    t = np.arange(values.size)
    keep = values > TINY
    if keep.sum() < 2:
        return 1.0
    slope = np.polyfit(t[keep], np.log10(values[keep]), 1)[0]  # decades per step, positive when falling back
    return float(10 ** (10 * max(slope, 0.0)))


def _subject(label: str) -> str:
    """A curve's label opening a sentence: "The plain RNN", "Your LSTM"."""
    return label[0].upper() + label[1:] if label.startswith("your ") else f"The {label}"


def what_to_look_at(curves: Sequence[FlowCurve]) -> str:
    """The sentence under the plot: how fast the plain RNN's gradient vanishes, and what the gates keep."""
    def first(wanted: object) -> FlowCurve | None:
        return next((c for c in curves if wanted(cells.cell_class(c.kind))), None)

    parts = []
    rnn = first(lambda cls: cls.KEEP is None)  # nothing decides what to keep
    if rnn is not None and rnn.flow.steps > 1:
        factor = decay_per_ten(rnn.flow)
        back = rnn.flow.steps - 1
        if factor >= 1.5:
            parts.append(f"{_subject(rnn.label)}'s gradient falls by a factor of about {factor:,.0f} every 10 steps: "
                         f"after {back} steps back only {power_of_ten(rnn.flow.hidden[0])} of it is left, so the "
                         f"first steps cannot teach it anything.")
        else:
            parts.append(f"{_subject(rnn.label)}'s gradient barely shrinks here (a factor of {factor:.1f} "
                         f"every 10 steps).")
    lstm = next((c for c in curves if c.flow.cell is not None), None)
    if lstm is not None:
        kept = lstm.flow.cell[0]
        if kept >= 1e-3:
            parts.append(f"{_subject(lstm.label)}'s cell-state path (dashed) keeps {power_of_ten(kept)} of its "
                         f"gradient over the same distance: ∂Cₜ/∂Cₜ₋₁ is mostly the forget gate fₜ, and where fₜ stays "
                         f"near 1 the gradient passes almost unchanged.")
        else:
            slower = rnn is not None and kept > rnn.flow.hidden[0]
            parts.append(f"{_subject(lstm.label)}'s cell-state path (dashed) keeps only {power_of_ten(kept)}: "
                         f"∂Cₜ/∂Cₜ₋₁ is mostly the forget gate fₜ, and these forget gates are not near 1 "
                         f"(training opens them)" + (", yet it falls more slowly than the RNN's." if slower
                                                     else "."))
    gru = first(lambda cls: cls.KEEP is not None and not cls.HAS_CELL)  # a gate on h_t keeps the memory
    if gru is not None:
        cls = cells.cell_class(gru.kind)
        gate = cells.gate_info(cls.FAMILY, cls.KEEP[0]).title
        parts.append(f"{_subject(gru.label)} keeps {power_of_ten(gru.flow.hidden[0])} through hₜ, whose {gate} "
                     f"mixes old state straight in.")
    return " ".join(parts)
