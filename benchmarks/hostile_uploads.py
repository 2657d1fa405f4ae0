"""Peak memory and time of loading each hostile upload (tests/fixtures/make_hostile.py), each in a forked process.

    python -m benchmarks.hostile_uploads                    # this checkout
    python -m benchmarks.hostile_uploads --root /tmp/old    # another checkout's cells/ (e.g. `git archive` of an
                                                            # older commit), to compare before and after
    python -m benchmarks.hostile_uploads --names lying_zip.keras shared_weights.onnx

Prints, per file: its size, what happened, the growth of peak resident memory (``ru_maxrss``) and the
seconds the load took, beside the rule the tests hold uploads to: max(300 MB, 10 × the file's size).
The file that loops HDF5 forever in older checkouts (attribute_loop.keras) is left out unless named.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import make_hostile  # noqa: E402

HANGS_BEFORE = ("attribute_loop.keras",)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose cells/ loads the files")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--names", nargs="*", help="only these cases")
    args = parser.parse_args(argv)
    names = args.names or [c.name for c in make_hostile.CASES if c.name not in HANGS_BEFORE]
    with tempfile.TemporaryDirectory() as tmp:
        written = make_hostile.write(Path(tmp), args.scale, names)
        specs = [p.name + (f":{v.name}" if v else "") for _, p, v in written]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        done = subprocess.run([sys.executable, str(ROOT / "tests" / "cells" / "hostile_child.py"), *specs,
                               "--root", str(args.root.resolve()), "--address-space-mb", "8000"],
                              cwd=tmp, capture_output=True, text=True, env=env)
        results = {r["file"]: r for r in map(json.loads, filter(None, done.stdout.splitlines()))}
        print(f"{'file':32} {'size':>12} {'outcome':12} {'growth MB':>10} {'rule MB':>8} {'seconds':>8}")
        for _, path, vocabulary in written:
            size = path.stat().st_size + (vocabulary.stat().st_size if vocabulary else 0)
            r = results.get(path.name, {"outcome": "no answer"})
            rule = max(300.0, 10 * size / 1e6)
            print(f"{path.name:32} {size:>12,} {r['outcome'][:12]:12} {r.get('growth_mb', float('nan')):>10.1f} "
                  f"{rule:>8.0f} {r.get('seconds', float('nan')):>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
