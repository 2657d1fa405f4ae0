"""`make bench`: time the engine's full-trace run() and training, with PyTorch CPU beside them where it is installed,
then the Explore page's payload and the gate view in headless Chromium (benchmarks/browser_gateview.py).

Budgets (issue: the cell engine), on this kind of machine (2 cores):
- at (T, input, hidden) = (1000, 64, 128) the LSTM run is at most 1.0x PyTorch in float64 and 3x in float32;
- at (100, 16, 32) one run takes under 1 ms.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys

import numpy as np

import cells
from benchmarks import (
    browser_gateview,
    corpus_bench,
    corpus_text,
    dynamics_bench,
    payload,
    rerun_cpu,
    torch_files,
    train_bench,
)
from benchmarks.timing import best_of

SIZES = [(100, 16, 32), (1000, 64, 128), (500, 128, 256)]
KINDS = ["lstm", "gru"]
DTYPES = ["float64", "float32"]


def budget(kind: str, size: tuple[int, int, int], dtype: str, ms: float, torch_ms: float | None) -> str:
    """The budget that applies to a case and whether it holds ("" when none applies)."""
    if size == (100, 16, 32):
        return f"< 1 ms: {'ok' if ms < 1.0 else 'OVER'}"
    if size == (1000, 64, 128) and kind == "lstm" and torch_ms is not None:
        limit = 1.0 if dtype == "float64" else 3.0
        return f"<= {limit:.0f}x torch: {'ok' if ms <= limit * torch_ms else 'OVER'}"
    return ""


def blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (install threadpoolctl to see it)"
    return ", ".join(f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}" for i in threadpool_info())


def torch_timings(cases: list[list[object]]) -> dict[tuple, float]:
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: no comparison (pip install torch==2.13.0 to add it).")
        return {}
    out = subprocess.run([sys.executable, "-m", "benchmarks.torch_cells", json.dumps(cases)],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    print(f"PyTorch {report['torch']} CPU, {report['threads']} threads, in a separate process")
    return {tuple(r["case"]): r["ms"] for r in report["results"]}


def main() -> None:
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, BLAS: {blas()}, "
          f"{os.cpu_count()} CPUs")
    cases = [[k, *size, dt] for dt in DTYPES for k in KINDS for size in SIZES]
    rng = np.random.default_rng(0)
    ours = {}
    for kind, steps, inputs, hidden, dtype in cases:
        cell = cells.initialise(kind, inputs, hidden, seed=0, dtype=np.dtype(dtype))
        xs = rng.standard_normal((steps, inputs))
        ours[(kind, steps, inputs, hidden, dtype)] = best_of(lambda c=cell, x=xs: c.run(x))
    theirs = torch_timings(cases)
    head = (f"{'cell':5} {'dtype':8} {'T':>5} {'in':>4} {'hid':>4} {'gatescope ms':>13} {'torch ms':>9} "
            f"{'ratio':>6}  budget")
    print(head)
    print("-" * len(head))
    for key, ms in ours.items():
        kind, steps, inputs, hidden, dtype = key
        t = theirs.get(key)
        ratio = f"{ms / t:6.2f}" if t else f"{'-':>6}"
        t_text = f"{t:9.2f}" if t else f"{'-':>9}"
        print(f"{kind:5} {dtype:8} {steps:5d} {inputs:4d} {hidden:4d} {ms:13.2f} {t_text} {ratio}  "
              f"{budget(kind, (steps, inputs, hidden), dtype, ms, t)}")


if __name__ == "__main__":
    main()
    print()
    train_bench.main()
    print()
    dynamics_bench.main()
    print()
    torch_files.main()
    print()
    payload.main()
    print()
    rerun_cpu.main([])
    print()
    browser_gateview.main()
    print()
    corpus_bench.main([])
    print()
    corpus_text.main()
