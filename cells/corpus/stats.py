"""Per-unit statistics of every gate and state over a whole corpus, accumulated chunk by chunk.

For each layer, gate or state, and unit u, over the N steps of the corpus:

    mean_u   = (1/N) Σ_t v_t,u
    spread_u = sqrt((1/N) Σ_t (v_t,u - mean_u)²)             (the standard deviation)
    low_u    = (1/N) #{t : v_t,u < 0.1},  high_u = (1/N) #{t : v_t,u > 0.9}

low and high are Karpathy, Johnson and Fei-Fei's saturation (2015): how often a gate is nearly shut or
nearly open. They are counted for the gates squashed by σ (values in [0, 1]); other values have None.
Chunks are merged with Chan's pairwise update of the mean and the sum of squared deviations, in
float64, so the result equals that of the full trace to rounding (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cells.corpus.stream import Consumer
from cells.gates import gate_info

LOW, HIGH = 0.1, 0.9


@dataclass(frozen=True, eq=False)
class UnitStats:
    """One gate or state of one layer: per unit (H,) mean, spread, and the saturation shares (σ gates only)."""

    layer: int
    name: str
    steps: int
    mean: np.ndarray
    spread: np.ndarray
    low: np.ndarray | None
    high: np.ndarray | None

    def to_json(self) -> dict:
        def rounded(a: np.ndarray | None) -> list[float] | None:
            return None if a is None else [round(float(x), 6) for x in a]

        return {"layer": self.layer, "direction": "forward", "state": self.name, "steps": self.steps,
                "mean": rounded(self.mean), "spread": rounded(self.spread), "low": rounded(self.low),
                "high": rounded(self.high)}


class _Running:
    def __init__(self, width: int, saturating: bool) -> None:
        self.n = 0
        self.mean = np.zeros(width)
        self.m2 = np.zeros(width)  # Σ (v - mean)²
        self.low = np.zeros(width, np.int64) if saturating else None
        self.high = np.zeros(width, np.int64) if saturating else None

    def add(self, v: np.ndarray) -> None:
        """Merge a chunk of values, (n, H)."""
        n = len(v)
        if n == 0:
            return
        mean = v.mean(axis=0, dtype=np.float64)
        centred = v - mean.astype(v.dtype)  # in the run's precision, summed in float64
        m2 = np.einsum("ij,ij->j", centred, centred, dtype=np.float64)
        total = self.n + n
        delta = mean - self.mean
        self.mean += delta * (n / total)
        self.m2 += m2 + delta**2 * (self.n * n / total)
        self.n = total
        if self.low is not None:
            self.low += (v < LOW).sum(axis=0)
            self.high += (v > HIGH).sum(axis=0)


class Statistics(Consumer):
    """The streaming accumulator: give it to a corpus run, then ``result()``."""

    def __init__(self, families: dict[int, str]) -> None:
        self.families = families  # layer -> cell family, for each name's range
        self.running: dict[tuple[int, str], _Running] = {}

    def add(self, layer: int, values: dict[str, np.ndarray], positions: np.ndarray) -> None:
        for name, v in values.items():
            key = (layer, name)
            if key not in self.running:
                saturating = gate_info(self.families[layer], name).range == "sigmoid"
                self.running[key] = _Running(v.shape[1], saturating)
            self.running[key].add(v)

    def result(self) -> list[UnitStats]:
        out = []
        for (layer, name), r in self.running.items():
            n = max(r.n, 1)
            out.append(UnitStats(layer, name, r.n, r.mean.copy(), np.sqrt(r.m2 / n),
                                 None if r.low is None else r.low / n, None if r.high is None else r.high / n))
        return out
