"""Colours, value ranges and fonts shared by every figure, read from the engine's gate table.

Sigmoid gates are drawn 0..1 on a sequential scale, tanh values -1..1 on a diverging scale centred
on 0, and unbounded states (the cell state C_t) on the same diverging scale over a symmetric range
that the figure states. Ranges are fixed by the kind of value, never stretched to the data, so a
colour means the same number in every pane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from plotly.colors import sample_colorscale

import cells

SEQUENTIAL = "Viridis"
DIVERGING = "RdBu_r"  # blue negative, white 0, red positive
FONT_SIZE = 15
TITLE_SIZE = 17
TICK_SIZE = 14
NICE = (1, 2, 5)


@dataclass(frozen=True)
class ColourRange:
    zmin: float
    zmax: float
    colorscale: str
    label: str  # e.g. "0 to 1 (σ)", "−1 to 1 (tanh)", "±2"

    def colour(self, value: float) -> str:
        """The colour this range gives ``value`` (clipped to the range), as "rgb(r, g, b)"."""
        share = (min(max(float(value), self.zmin), self.zmax) - self.zmin) / (self.zmax - self.zmin)
        return sample_colorscale(self.colorscale, [share])[0]


def nice_bound(value: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50 ... that is at least ``value`` (and at least 1)."""
    value = max(float(value), 1.0)
    power = 10 ** math.floor(math.log10(value))
    for step in NICE:
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def symmetric_range(values: np.ndarray) -> float:
    """A symmetric bound ±R with R a round number covering every value."""
    return nice_bound(float(np.max(np.abs(values)))) if values.size else 1.0


def colour_range(family: str, name: str, values: np.ndarray | None = None) -> ColourRange:
    """The fixed colour range of gate or state ``name`` in a ``family`` cell.

    ``values`` is needed only for unbounded states, whose symmetric range covers them.
    """
    kind = cells.gate_info(family, name).range
    if kind == "sigmoid":
        return ColourRange(0.0, 1.0, SEQUENTIAL, "0 to 1 (σ)")
    if kind == "tanh":
        return ColourRange(-1.0, 1.0, DIVERGING, "−1 to 1 (tanh)")
    bound = symmetric_range(np.asarray(values if values is not None else []))
    return ColourRange(-bound, bound, DIVERGING, f"±{bound:g}")


def input_range(xs: np.ndarray) -> ColourRange:
    """Inputs: 0..1 when every value is (one-hot), else symmetric around 0."""
    if xs.size and xs.min() >= 0 and xs.max() <= 1:
        return ColourRange(0.0, 1.0, SEQUENTIAL, "0 to 1")
    bound = symmetric_range(xs)
    return ColourRange(-bound, bound, DIVERGING, f"±{bound:g}")


def base_layout(height: int, title: str) -> dict:
    """Layout every figure shares: readable fonts and fixed margins so stacked time axes line up."""
    return {
        "title": {"text": title, "font": {"size": TITLE_SIZE}, "x": 0, "xanchor": "left"},
        "font": {"size": FONT_SIZE},
        "height": height,
        "margin": {"l": 80, "r": 120, "t": 50, "b": 60},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
    }


def compact(values: np.ndarray) -> np.ndarray:
    """Values rounded to 3 decimals and stored as float32, so figures send 4 bytes a number."""
    return np.round(np.asarray(values, dtype=np.float64), 3).astype(np.float32)
