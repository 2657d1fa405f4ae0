"""The coloured text's cost of one page (viz.corpus.PAGE characters) at random places of a corpus run: what the
server does when the browser asks for the page around a new place (budget: a jump paints within 200 ms).

    python -m benchmarks.corpus_text [MODEL_NAME]     # a shipped code model over its held-out corpus

Reported: the median and p95 time to build a page, for an h_t unit (read from the match index's bytes) and a
C_t unit (computed from the nearest checkpoints). A page's cost does not grow with the corpus: both reads
start at a checkpoint or a byte offset.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from cells.corpus import Cache, run_corpus
from viz.corpus import page_bounds, text_page
from workbench import corpus as wc


def main(argv: list[str]) -> int:
    codes = [e for e in wc.text_models() if e.get("corpus")]
    if not codes:
        print("no shipped code model in the manifest: nothing to measure")
        return 0
    name = argv[0] if argv else codes[0]["name"]
    text = wc.shipped_text(wc.held_out_files(name))
    run = run_corpus(wc.load_shipped(name), text, cache=Cache())
    layers = len(run.passed.names)
    rng = np.random.default_rng(0)
    for unit in (wc.Unit(layers - 1, "hidden", 0), wc.Unit(layers - 1, "cell", 0)):
        lo, hi = wc.value_range(run, unit)
        times = []
        for at in rng.integers(0, run.steps, 20):
            began = time.perf_counter()
            start, stop = page_bounds(text, int(at))
            text_page(text, start, wc.unit_values(run, unit, start, stop), lo, hi, at=int(at), label="")
            times.append(time.perf_counter() - began)
        ms = np.array(times) * 1000
        print(f"{name}, {run.steps:,} steps, {unit}: page of {stop - start:,} characters, median "
              f"{np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
