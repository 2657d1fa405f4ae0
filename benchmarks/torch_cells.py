"""PyTorch CPU timings of nn.LSTM / nn.GRU on the engine benchmark's sizes, printed as JSON.

Run in its own process by benchmarks/__main__.py so that importing torch never touches the
NumPy timings. Batch 1, one sequence, no autograd: the same work as the engine's run().
"""

from __future__ import annotations

import json
import sys

import torch

from benchmarks.timing import best_of


def main() -> None:
    cases = json.loads(sys.argv[1])
    torch.manual_seed(0)
    results = []
    for kind, steps, inputs, hidden, dtype in cases:
        dt = {"float64": torch.float64, "float32": torch.float32}[dtype]
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](inputs, hidden).to(dt)
        xs = torch.randn(steps, 1, inputs, dtype=dt)
        with torch.inference_mode():
            ms = best_of(lambda m=module, x=xs: m(x))
        results.append({"case": [kind, steps, inputs, hidden, dtype], "ms": ms})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
