"""Attribution and state-space benchmark (issue 21): measured, never asserted.

    .venv/bin/python -m benchmarks.dynamics_bench

Budgets, on this kind of machine (2 cores):
- connectivity and the memory path at T = 200, H = 256: at most 500 ms;
- integrated gradients with 32 steps at the same size: at most 3 s;
- PCA of 10,000 states (of 256 numbers): at most 300 ms;
- fixed points of a cell of 64 units: at most 10 s (with progress and a stop flag, so a page can end it sooner).

Every timing is the fastest of a few calls after a warm-up (benchmarks.timing.best_of), except the fixed points,
timed once each: a search is long and its own warm-up.
"""

from __future__ import annotations

import time

import numpy as np

import cells
from benchmarks.timing import best_of
from cells.attribution import Target, connectivity, integrated_gradients, memory_path
from cells.dynamics import fixed_points, pca
from cells.files.parts import Head

T, I, H, K = 200, 32, 256, 10
TARGET = Target(step=T - 1)  # the top class at the last step
BUDGET_MS = {"connectivity": 500.0, "integrated": 3000.0, "pca": 300.0, "fixed": 10_000.0}


def verdict(ms: float, budget: float) -> str:
    return f"<= {budget:,.0f} ms: {'ok' if ms <= budget else 'OVER'}"


def attribution_rows() -> None:
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((T, I))
    for kind, layers in (("lstm", 1), ("gru", 1), ("lstm", 2)):
        net = cells.Network.create(kind, I, H, seed=0, num_layers=layers, bidirectional=layers > 1)
        head = Head(rng.standard_normal((K, net.layers[-1].output_size)) / 16, np.zeros(K))
        trace = net.run(xs).trace(0)

        def both(n: cells.Network = net, h: Head = head, tr: cells.Trace = trace) -> None:
            connectivity(n, xs, TARGET, head=h)
            memory_path(tr, T - 1)

        ms = best_of(both, budget_s=2.0)
        size = f"{kind:5} T={T} H={H} I={I}" + (f", {layers} bidirectional layers" if layers > 1 else "")
        print(f"connectivity + memory path  {size}: {ms:8.1f} ms  {verdict(ms, BUDGET_MS['connectivity'])}")
        ig = integrated_gradients(net, xs, TARGET, head=head, steps=32)
        ms = best_of(lambda n=net, h=head: integrated_gradients(n, xs, TARGET, head=h, steps=32), budget_s=3.0,
                     min_runs=3)
        print(f"integrated gradients (32)   {size}: {ms:8.1f} ms  {verdict(ms, BUDGET_MS['integrated'])}"
              f"  (sum {ig.total:+.4f}, change {ig.change:+.4f}, off by {ig.error:.2e})")


def pca_rows() -> None:
    rng = np.random.default_rng(1)
    for N, D in ((10_000, 256), (10_000, 64)):
        states = np.tanh(rng.standard_normal((N, 8)) @ rng.standard_normal((8, D)) + 0.1 * rng.standard_normal((N, D)))
        ms = best_of(lambda s=states: pca(s, 3), budget_s=2.0)
        print(f"PCA, 3 components           {N:,} states of {D:3}: {ms:8.1f} ms  {verdict(ms, BUDGET_MS['pca'])}")


def fixed_point_rows() -> None:
    rng = np.random.default_rng(2)
    for kind, scale in (("lstm", 1.0), ("gru", 1.0), ("lstm", 3.0), ("gru", 3.0), ("lstm", 6.0)):
        cell = cells.initialise(kind, 16, 64, seed=0, scale=scale)
        trace = cell.run(rng.standard_normal((200, 16)))
        start = time.perf_counter()
        found = fixed_points(cell, np.zeros(16), starts=trace, n_starts=64)
        ms = (time.perf_counter() - start) * 1e3
        print(f"fixed points, 64 starts     {kind:5} H=64 weights x{scale:g}: {ms:8.1f} ms  "
              f"{verdict(ms, BUDGET_MS['fixed'])}  ({len(found.points)} found, {found.converged} of {found.starts} "
              f"starts converged, {found.iterations} iterations)")


def main() -> None:
    attribution_rows()
    pca_rows()
    fixed_point_rows()


if __name__ == "__main__":
    main()
