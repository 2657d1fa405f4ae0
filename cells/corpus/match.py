"""Find by pattern (LSTMVis's hypothesis and match views) over the hidden states of a whole corpus.

A selection is a span [a, b) of the text and a threshold θ. Its units are those of one layer's h_t that are
on (h ≥ θ) at every step of the span and off (h < θ) at the step just before it and just after it:

    S = {u : h_t,u ≥ θ for a ≤ t < b,  h_{a-1},u < θ,  h_b,u < θ}

A match is a maximal run of steps where at least ``share`` of S is on. Matches are ranked by the mean share
of S on over the run (most of the set on), then by the mean number of other units on (fewest others).

The index keeps every step's h_t of the layer as one byte a unit, (T, H) uint8, code = round(255·(h + 1)/2),
in memory or in a file of the corpus cache, so a query reads bytes, never runs the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cells.corpus.stream import Consumer

LEVELS = 255
BLOCK = 65_536  # steps compared at a time: a query's scratch memory stays a few MB


def codes_of(h: np.ndarray) -> np.ndarray:
    """h_t in [-1, 1] as bytes: round(255·(h + 1)/2)."""
    return np.rint((np.clip(h, -1.0, 1.0) + 1.0) * (LEVELS / 2)).astype(np.uint8)


def code_threshold(theta: float) -> int:
    """The smallest code whose value is at least θ (h ≥ θ ⇔ code ≥ this, to 1/255)."""
    if not -1.0 <= theta <= 1.0:
        raise ValueError(f"threshold: expected a value from -1 to 1, got {theta}")
    return int(np.ceil((theta + 1.0) * (LEVELS / 2) - 1e-9))


class IndexWriter(Consumer):
    """Writes one layer's h_t codes at their text positions, into an array or a file (positions × units)."""

    def __init__(self, layer: int, steps: int, units: int, path: Path | None = None) -> None:
        self.layer, self.steps, self.units, self.path = layer, steps, units, path
        if path is None:
            self.codes = np.zeros((steps, units), np.uint8)
        else:
            self.codes = None
            with open(path, "wb") as f:
                f.truncate(steps * units)

    def add(self, layer: int, values: dict[str, np.ndarray], positions: np.ndarray) -> None:
        if layer != self.layer or len(positions) == 0:
            return
        codes = codes_of(values["hidden"])
        if self.codes is not None:
            self.codes[positions] = codes
            return
        order = np.argsort(positions, kind="stable")  # write each run of consecutive positions at once
        positions, codes = positions[order], codes[order]
        breaks = np.flatnonzero(np.diff(positions) != 1) + 1
        with open(self.path, "r+b") as f:
            for run_start, run_end in zip(np.r_[0, breaks], np.r_[breaks, len(positions)], strict=True):
                f.seek(int(positions[run_start]) * self.units)
                f.write(codes[run_start:run_end].tobytes())

    def index(self) -> MatchIndex:
        return MatchIndex(self.codes if self.codes is not None else self.path, self.layer, self.steps, self.units)


@dataclass(frozen=True, eq=False)
class MatchIndex:
    source: np.ndarray | Path  # (T, H) uint8, or the file holding it
    layer: int
    steps: int
    units: int

    @property
    def codes(self) -> np.ndarray:
        if isinstance(self.source, np.ndarray):
            return self.source
        return np.memmap(self.source, np.uint8, "r", shape=(self.steps, self.units))


@dataclass(frozen=True)
class Match:
    start: int
    stop: int
    share: float  # mean share of the selected units on
    others: float  # mean number of other units on

    @property
    def length(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Matches:
    units: tuple[int, ...]
    matches: tuple[Match, ...]  # ranked, at most ``limit``
    count: int  # matches found in all
    lengths: tuple[tuple[int, int], ...]  # histogram of every match's length: (length, how many)


def select(index: MatchIndex, start: int, stop: int, threshold: float) -> tuple[int, ...]:
    """The units on through [start, stop) and off just before and just after it."""
    if not 0 <= start < stop <= index.steps:
        raise ValueError(f"selection: expected 0 <= start < stop <= {index.steps}, got {start} and {stop}")
    c = code_threshold(threshold)
    codes = index.codes
    on = np.all(codes[start:stop] >= c, axis=0)
    if start > 0:
        on &= codes[start - 1] < c
    if stop < index.steps:
        on &= codes[stop] < c
    return tuple(int(u) for u in np.flatnonzero(on))


def search(index: MatchIndex, units: tuple[int, ...], threshold: float, share: float = 0.5, limit: int = 50
           ) -> Matches:
    """Every run of steps where at least ``share`` of ``units`` is on, ranked (see the module's docstring)."""
    if not units:
        return Matches((), (), 0, ())
    if not 0 < share <= 1:
        raise ValueError(f"share: expected a fraction above 0 and at most 1, got {share}")
    c = code_threshold(threshold)
    chosen = np.array(units)
    need = max(1, int(np.ceil(share * len(units) - 1e-9)))
    selected = np.empty(index.steps, np.int32)
    everyone = np.zeros(index.steps, np.int32)  # counted only where the set is on enough: the rest never scores
    codes = index.codes
    for a in range(0, index.steps, BLOCK):
        block = codes[a : a + BLOCK]
        selected[a : a + len(block)] = (block[:, chosen] >= c).sum(axis=1)
        rows = np.flatnonzero(selected[a : a + len(block)] >= need)
        everyone[a + rows] = (block[rows] >= c).sum(axis=1)
    hit = selected >= need
    edges = np.flatnonzero(np.diff(np.r_[0, hit.astype(np.int8), 0]))
    starts, stops = edges[::2], edges[1::2]
    if len(starts) == 0:
        return Matches(units, (), 0, ())
    csum_sel = np.r_[0, np.cumsum(selected, dtype=np.int64)]
    csum_all = np.r_[0, np.cumsum(everyone, dtype=np.int64)]
    lengths = stops - starts
    mean_share = (csum_sel[stops] - csum_sel[starts]) / lengths / len(units)
    mean_others = ((csum_all[stops] - csum_all[starts]) - (csum_sel[stops] - csum_sel[starts])) / lengths
    order = np.lexsort((starts, mean_others, -mean_share))[:limit]
    ranked = tuple(Match(int(starts[k]), int(stops[k]), float(mean_share[k]), float(mean_others[k])) for k in order)
    values, counts = np.unique(lengths, return_counts=True)
    return Matches(units, ranked, len(starts), tuple(zip(values.tolist(), counts.tolist(), strict=True)))
