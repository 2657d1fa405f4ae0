"""The shared time axis: one column per step (or per bin of steps when a sequence is long).

Every heatmap and line chart of a trace uses the same axis, so step t sits at x = t everywhere and
the time cursor lines up across figures. Long sequences are binned so a figure stays small: each
column is then the mean of ``bin`` consecutive steps, and the figures say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_CELLS = 12_000  # units × columns drawn per heatmap before time is binned
MIN_COLUMNS = 100  # never bin below this many columns, however many units there are
MAX_TICKS = 40  # labelled ticks on the time axis


def step_labels(tokens: Sequence[str]) -> tuple[str, ...]:
    """A unique label per step, ``"3·l"``: the step index then its token (repeats are common).

    A vector token ("0.8 1") is bracketed, ``"1·(0.8, 1)"``, so its first number cannot be read as
    part of the step index's label ("1·0.8 1" reads like 0.81).
    """
    return tuple(f"{t}·({', '.join(token.split())})" if " " in token.strip() else f"{t}·{token}"
                 for t, token in enumerate(tokens))


@dataclass(frozen=True)
class TimeAxis:
    """Where each drawn column sits and how the axis is labelled.

    ``positions`` is the x of each column: the step itself, or the middle step of an (odd) bin.
    ``starts`` is the first step of each column; ``bin`` is how many steps one column holds.
    """

    steps: int
    bin: int
    positions: np.ndarray  # (N,)
    starts: np.ndarray  # (N,) first step of each column
    labels: tuple[str, ...]  # (N,) hover label of each column
    tickvals: tuple[float, ...]
    ticktext: tuple[str, ...]

    @property
    def binned(self) -> bool:
        return self.bin > 1

    @property
    def columns(self) -> int:
        return len(self.positions)

    @property
    def note(self) -> str:
        """What a binned axis shows, for a figure's title; empty when every step has its column."""
        return f"mean of {self.bin} steps per column" if self.binned else ""

    def column_of(self, step: int) -> int:
        """The column that holds ``step``."""
        return min(max(int(step), 0), self.steps - 1) // self.bin

    def cursor_span(self, step: int) -> tuple[float, float]:
        """The x range the cursor box covers at ``step``: its column's edges."""
        start = self.column_of(step) * self.bin
        stop = min(start + self.bin, self.steps)
        return start - 0.5, stop - 0.5


def columns_for(hidden: int, max_cells: int = MAX_CELLS) -> int:
    """How many columns a heatmap of ``hidden`` units may have within ``max_cells``."""
    return max(MIN_COLUMNS, max_cells // max(hidden, 1))


def time_axis(tokens: Sequence[str], max_columns: int, max_ticks: int = MAX_TICKS) -> TimeAxis:
    """The time axis of a sequence with ``tokens``, binned to at most ``max_columns`` columns and labelled
    at no more than ``max_ticks`` evenly spaced steps (a narrow figure asks for fewer, so labels never meet)."""
    T = len(tokens)
    if T == 0:
        raise ValueError("time axis: the sequence is empty")
    size = max(1, math.ceil(T / max(1, max_columns)))
    size += 1 - size % 2  # an odd bin has a middle step, so every column sits on a whole step
    starts = np.arange(0, T, size)  # (N,)
    stops = np.minimum(starts + size, T)
    positions = (starts + stops - 1) // 2  # (N,) middle step of each column (the last bin may be short)
    labels = step_labels(tokens)
    spans = tuple(f"steps {a}–{b - 1}" for a, b in zip(starts, stops, strict=True))
    hover = labels if size == 1 else spans
    stride = max(1, math.ceil(T / max(1, max_ticks)))
    ticks = range(0, T, stride)
    return TimeAxis(
        steps=T,
        bin=size,
        positions=positions,
        starts=starts,
        labels=hover,
        tickvals=tuple(float(t) for t in ticks),
        ticktext=tuple(labels[t] if size == 1 else str(t) for t in ticks),
    )


def bin_steps(values: np.ndarray, size: int) -> np.ndarray:
    """The mean of every ``size`` consecutive rows of ``values`` (T, H) -> (ceil(T/size), H)."""
    if size == 1:
        return values
    T, H = values.shape
    N = math.ceil(T / size)
    padded = np.full((N * size, H), np.nan)
    padded[:T] = values
    counts = np.minimum(size, T - np.arange(N) * size)  # (N,) steps in each bin; the last may be short
    return np.nansum(padded.reshape(N, size, H), axis=1) / counts[:, None]  # (N, H)
