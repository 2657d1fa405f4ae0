"""The training benchmark's loop in PyTorch CPU, printed as JSON (run by benchmarks/train_bench.py).

The same work as cells.learning.train.train on the bracket task: batches from the same seeded generator,
nn.LSTM + nn.Linear, softmax cross-entropy at every step, gradient-norm clipping, Adam; once in
float32 (PyTorch's default) and once in float64 (the engine's dtype).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch

from cells.learning.tasks import Brackets


def run(settings: dict, dtype: torch.dtype) -> dict:
    torch.manual_seed(settings["seed"])
    task = Brackets(length=settings["length"])
    H, K = settings["hidden_size"], task.output_size
    lstm = torch.nn.LSTM(task.input_size, H, batch_first=True, dtype=dtype)
    head = torch.nn.Linear(H, K, dtype=dtype)
    params = [*lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=settings["lr"])
    rng = np.random.default_rng([settings["seed"], 2])
    start = time.perf_counter()
    for _ in range(settings["steps"]):
        batch = task.sample(rng, settings["batch_size"])
        xs = torch.as_tensor(batch.inputs, dtype=dtype)
        ys = torch.as_tensor(batch.targets)
        out, _ = lstm(xs)
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, K), ys.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, settings["clip"])
        opt.step()
    seconds = time.perf_counter() - start
    test = task.sample(np.random.default_rng(99), 1000)
    with torch.no_grad():
        out, _ = lstm(torch.as_tensor(test.inputs, dtype=dtype))
        acc = float((head(out).argmax(-1).numpy() == test.targets).mean())
    return {"dtype": str(dtype).removeprefix("torch."), "seconds": seconds, "accuracy": acc}


def main() -> None:
    settings = json.loads(sys.argv[1])
    results = [run(settings, dt) for dt in (torch.float32, torch.float64)]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
