"""What the Explore page sends and how long it takes to draw, measured through the real page (AppTest).

    .venv/bin/python -m benchmarks.payload

Budget (issues: Explore, the gate view): what the page sends per new sequence stays under 3 MB at
T = 2,000 steps, H = 64 units. That is the packed gate view (a custom component's bytes) plus the JSON
of any Plotly figure still on the page.
The time is one whole script run of the page for a sequence it has not seen (engine, figures,
serialisation), without a browser; the browser's own drawing time is not in it. The first case also
pays for importing the app.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = Path(__file__).parents[1] / "app.py"
CASES = [(11, 8), (200, 16), (1000, 32), (2000, 64)]
BUDGET = 3_000_000


def measure(steps: int, hidden: int) -> tuple[int, int, float]:
    """(charts, bytes sent for them, seconds of the page run) for a random text of ``steps`` characters."""
    text = "".join(np.random.default_rng(steps).choice(list("abcdefghijklmnopqrstuvwxyz ()"), steps))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.query_params.update({"seq": text, "hidden": str(hidden), "t": str(steps // 2)})
    start = time.perf_counter()
    at.run()  # Explore is the default page; a new text means the engine's cache misses
    seconds = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"the page failed at T={steps}, H={hidden}: {at.exception[0].value}")
    sizes = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
    sizes += [len(view.proto.bytes) for view in at.get("bidi_component")]  # the gate view(s)
    return len(sizes), sum(sizes), seconds


def main() -> None:
    print("Explore page, one script run after a new sequence (AppTest, no browser)")
    print(f"{'T':>5} {'H':>3} {'charts':>6} {'sent':>12} {'page run s':>10}  budget")
    for steps, hidden in CASES:
        charts, size, seconds = measure(steps, hidden)
        verdict = f"< 3 MB: {'ok' if size < BUDGET else 'OVER'}" if (steps, hidden) == (2000, 64) else ""
        print(f"{steps:5d} {hidden:3d} {charts:6d} {size / 1e6:9.3f} MB {seconds:10.2f}  {verdict}")


if __name__ == "__main__":
    main()
