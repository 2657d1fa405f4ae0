"""A small best-of-N timer shared by the benchmark scripts (the minimum is the least noisy estimate)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], *, budget_s: float = 1.0, min_runs: int = 5, max_runs: int = 2000) -> float:
    """The fastest of repeated calls of ``fn``, in milliseconds, after one warm-up call."""
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3
