"""Reading .pt files without PyTorch: cells.files.torch_zip against torch.load(weights_only=True).

Budget: a checkpoint near the upload cap (about 90 MB of float32 and float16 tensors) reads in at most
3x torch.load's time. Where torch is not installed, only the committed char_lm.pt is timed.

    python -m benchmarks.torch_files
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from benchmarks.timing import best_of
from cells.files import source, torch_zip

FIXTURE = Path(__file__).parents[1] / "tests" / "fixtures" / "models" / "char_lm.pt"


def main() -> None:
    small = FIXTURE.read_bytes()
    ms = best_of(lambda: torch_zip.load(small, source.MAX_BYTES))
    print(f"torch_zip.load of char_lm.pt ({len(small):,} bytes): {ms:.2f} ms")
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: no comparison with torch.load")
        return
    import torch

    torch.manual_seed(0)
    checkpoint = {f"layer{k}.weight": torch.randn(1024, 1024) for k in range(20)}
    checkpoint["half"] = torch.randn(2048, 2048).half()
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    data = buffer.getvalue()
    ours = best_of(lambda: torch_zip.load(data, source.MAX_BYTES), budget_s=3.0, min_runs=5, max_runs=20)
    theirs = best_of(lambda: torch.load(io.BytesIO(data), weights_only=True), budget_s=3.0, min_runs=5, max_runs=20)
    verdict = "ok" if ours <= 3 * theirs else "OVER"
    print(f"a {len(data) / 1e6:.0f} MB checkpoint: torch_zip.load {ours:.0f} ms, torch.load {theirs:.0f} ms "
          f"({ours / theirs:.1f}x; budget <= 3x: {verdict})")


if __name__ == "__main__":
    main()
