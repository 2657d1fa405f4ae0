"""Training benchmark (issue 6): bracket depth, LSTM of 8 units, length 20, batch 32, 2,000 Adam steps.

    .venv/bin/python -m benchmarks.train_bench

Target: under 30 s on this kind of machine (2 cores), reaching at least 95% accuracy on fresh samples.
Where PyTorch is installed, the same loop (same task generator, sizes, Adam, clipping, loss) runs in
PyTorch CPU in a separate process (benchmarks/torch_train.py), and the ratio is printed.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

from cells.learning.tasks import Brackets
from cells.learning.train import evaluate, train

SETTINGS = {"hidden_size": 8, "steps": 2000, "lr": 0.01, "batch_size": 32, "seed": 0, "clip": 1.0}
LENGTH = 20
TARGET_S = 30.0


def torch_run() -> dict | None:
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: no comparison.")
        return None
    out = subprocess.run([sys.executable, "-m", "benchmarks.torch_train", json.dumps({**SETTINGS, "length": LENGTH})],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    task = Brackets(length=LENGTH)
    start = time.perf_counter()
    result = train("lstm", task, **SETTINGS)
    seconds = time.perf_counter() - start
    _, acc = evaluate(result.model, samples=1000, seed=99)
    fast, good = "ok" if seconds < TARGET_S else "OVER", "ok" if acc >= 0.95 else "LOW"
    print(f"Gatescope NumPy (float64): {SETTINGS['steps']} steps in {seconds:.1f} s "
          f"({1e3 * seconds / SETTINGS['steps']:.2f} ms/step), accuracy {acc:.1%} on 1,000 fresh sequences; "
          f"target < {TARGET_S:.0f} s: {fast}, >= 95%: {good}")
    report = torch_run()
    if report is None:
        return
    print(f"PyTorch {report['torch']} CPU, {report['threads']} threads, in a separate process:")
    for r in report["results"]:
        print(f"  {r['dtype']:8} {r['seconds']:6.1f} s ({1e3 * r['seconds'] / SETTINGS['steps']:.2f} ms/step), "
              f"accuracy {r['accuracy']:.1%}; Gatescope / PyTorch = {seconds / r['seconds']:.2f}")


if __name__ == "__main__":
    main()
