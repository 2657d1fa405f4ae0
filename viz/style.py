"""Colours, value ranges and fonts shared by every figure, read from the engine's gate table.

Sigmoid gates are drawn 0..1 on a sequential scale, tanh values -1..1 on a diverging scale centred
on 0, and unbounded states (the cell state C_t) on the same diverging scale over a symmetric range
that the figure states. Ranges are fixed by the kind of value, never stretched to the data, so a
colour means the same number in every pane.

A range says which scale it uses ("sequential" or "diverging"); a ``Palette`` says what colours those
scales, the lines and the marks are. ``PALETTES`` is the one table of them: every figure builder and
the gate view take a palette as a parameter, and the pages pass the one the user picked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from plotly.colors import sample_colorscale

import cells

Scale = Literal["sequential", "diverging"]
Colorscale = str | tuple[tuple[float, str], ...]  # a Plotly scale's name, or its (share, colour) stops
FONT_SIZE = 15
TITLE_SIZE = 17
TICK_SIZE = 14
NICE = (1, 2, 5)


@dataclass(frozen=True)
class Palette:
    """A named set of colours: the two heatmap scales, the lines, a prediction's right and wrong, and the
    chosen unit's mark."""

    name: str  # the share link's word: ?palette=colourblind
    label: str  # what the setting shows
    sequential: Colorscale  # values 0..1, dark to light
    diverging: Colorscale  # negative (first) through a light 0 to positive
    lines: tuple[str, ...]  # the gate view's lines, one per gate and state of the chosen unit, in the kind's order
    kinds: tuple[str, ...]  # one colour per cell kind, in the registry's order (learning curves, gradient flow)
    unit_mark: str  # the chosen unit's dashed outline
    below: str  # the diverging scale's colours in words, for captions: "blue lower, red higher"
    above: str
    right: str  # a prediction strip's right, wrong and unknown cells
    wrong: str
    unknown: str

    def colorscale(self, scale: Scale) -> Colorscale:
        """The Plotly colour scale for ``scale`` ("sequential" or "diverging")."""
        if scale == "sequential":
            return self.sequential
        if scale == "diverging":
            return self.diverging
        raise ValueError(f"colour scale: expected 'sequential' or 'diverging', got {scale!r}")

    def stops(self, scale: Scale, count: int) -> list[list[int]]:
        """``count`` evenly spaced samples of ``scale`` as [r, g, b] (0..255), first to last."""
        shares = list(np.linspace(0.0, 1.0, count))
        return [[int(float(c)) for c in rgb[rgb.index("(") + 1 : -1].split(",")]
                for rgb in sample_colorscale(self.plotly(scale), shares)]

    def plotly(self, scale: Scale) -> str | list[list]:
        """``colorscale`` in the form Plotly's figures take (a name, or a list of [share, colour])."""
        value = self.colorscale(scale)
        return value if isinstance(value, str) else [list(stop) for stop in value]

    def kind_colour(self, kind: str) -> str:
        """The colour of cell kind ``kind``'s lines, the same in every figure that compares kinds."""
        order = list(cells.KINDS)
        return self.kinds[order.index(kind) % len(self.kinds)] if kind in order else "#444444"


def _stops(*colours: tuple[int, int, int]) -> tuple[tuple[float, str], ...]:
    last = len(colours) - 1
    return tuple((k / last, f"rgb({r}, {g}, {b})") for k, (r, g, b) in enumerate(colours))


# Okabe and Ito's eight colours (2008), told apart with every kind of colour vision; yellow last, as it is
# faint on white.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#E69F00", "#F0E442")
STANDARD = Palette(
    name="standard", label="Standard",
    sequential="Viridis", diverging="RdBu_r",  # RdBu_r: blue negative, white 0, red positive
    lines=("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#d62728", "#111111", "#8c564b"),
    kinds=("#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#8c564b", "#d62728", "#bcbd22", "#e377c2", "#7f7f7f",
           "#ff7f0e"),
    unit_mark="#ff7f0e", below="blue", above="red", right="#b7e4c7", wrong="#f4b6b6", unknown="#e9ecef",
)
COLOURBLIND = Palette(
    name="colourblind", label="Colour-blind safe",
    # Cividis (Nuñez, Anderton and Renslow 2018) reads the same with red-green colour blindness, its lightness
    # rising evenly from dark blue to yellow.
    sequential="Cividis",
    # Blue through white to orange, made in CIELAB: the two sides' lightness mirror each other (L* 32 at the ends,
    # 97 at 0), so the size of a value reads the same on both sides; the hues (blue, orange) stay apart under
    # deuteranopia, protanopia and tritanopia alike.
    diverging=_stops((4, 79, 124), (5, 112, 172), (8, 146, 223), (110, 179, 244), (179, 213, 253), (246, 246, 246),
                     (244, 201, 171), (224, 160, 112), (196, 122, 61), (163, 86, 12), (119, 59, 0)),
    lines=OKABE_ITO,
    kinds=OKABE_ITO,  # LSTM blue, GRU vermillion, plain RNN black: the three a comparison shows
    unit_mark="#000000", below="blue", above="orange",
    right="#9ccbec", wrong="#f5c27a", unknown="#e9ecef",  # sky blue and orange, not green and red
)
PALETTES: dict[str, Palette] = {p.name: p for p in (STANDARD, COLOURBLIND)}


def palette(name: str) -> Palette:
    """The palette called ``name`` (a share link's ``palette=``)."""
    if name not in PALETTES:
        raise ValueError(f"expected one of {', '.join(PALETTES)}")
    return PALETTES[name]


@dataclass(frozen=True)
class ColourRange:
    """The numbers a heatmap's colours span and the scale they use (a palette says its colours)."""

    zmin: float
    zmax: float
    scale: Scale
    label: str  # e.g. "0 to 1 (σ)", "−1 to 1 (tanh)", "±2"
    stretched: bool = False  # the range covers the data (an unbounded state, a difference), not a fixed bound


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
        return ColourRange(0.0, 1.0, "sequential", "0 to 1 (σ)")
    if kind == "tanh":
        return ColourRange(-1.0, 1.0, "diverging", "−1 to 1 (tanh)")
    return stretched_range(np.asarray(values if values is not None else []))


def stretched_range(values: np.ndarray) -> ColourRange:
    """A diverging range ±R around 0, R a round number covering ``values``: for values with no fixed bound."""
    bound = symmetric_range(np.asarray(values))
    return ColourRange(-bound, bound, "diverging", f"±{bound:g}", stretched=True)


def input_range(xs: np.ndarray) -> ColourRange:
    """Inputs: 0..1 when every value is (one-hot), else symmetric around 0."""
    if xs.size and xs.min() >= 0 and xs.max() <= 1:
        return ColourRange(0.0, 1.0, "sequential", "0 to 1")
    bound = symmetric_range(xs)
    return ColourRange(-bound, bound, "diverging", f"±{bound:g}")


PALE_SHARE = 0.25  # a unit whose values stay within this share of its map's range barely shows a colour


def pale(values: np.ndarray, crange: ColourRange, unit: int) -> bool:
    """Whether unit ``unit`` of (T, H) ``values`` stays so near 0 on ``crange`` (a stretched range) that its row
    looks blank: then only each unit's own range lets its behaviour show."""
    column = np.asarray(values)[:, unit]  # (T,)
    column = column[np.isfinite(column)]
    return bool(crange.stretched and column.size and np.max(np.abs(column)) < PALE_SHARE * crange.zmax)


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
