"""Budget: scrolling the coloured text to any place in a 10 MB corpus paints within 200 ms, with no rerun of the page.

    python -m benchmarks.corpus_text            # 10,000,000 characters of standard library code

The Corpus page sends the coloured text a page (viz.corpus.PAGE characters) at a time; the browser scrolls through
a page without asking the server anything, and a jump past it (the place slider, or scrolling to a page's end)
asks for the page around the new place, which reruns only the coloured text's fragment. This measures, at 20
random places of a run over 10 MB:

- server: building that page (unit values over the page, colour codes, the payload), for an h_t unit (bytes of
  the match index, no model run) and a C_t unit (computed from the nearest checkpoints);
- browser: ui/corpus_text.js in headless Chromium taking the new page and painting the lines on screen.

The model is a small random character LSTM (1 layer of 16 units): a page's cost does not grow with the corpus
(both reads start at a byte offset or a checkpoint), but a run over 10 MB with the shipped 2 × 192 model takes
too long for a benchmark. The run is cached on disk (cells.corpus.cache), so a second call starts at once.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import cells
from cells.corpus import Cache, run_corpus
from cells.files.model import LoadedModel
from cells.files.parts import Head
from viz.corpus import page_bounds, text_page
from workbench import corpus as wc

CHARACTERS = 10_000_000
PLACES = 20
JS = Path(__file__).parents[1] / "ui" / "corpus_text.js"


def small_model(text: str) -> LoadedModel:
    vocabulary = [*sorted(set(text))[:95], "<unk>"]
    rng = np.random.default_rng(0)
    network = cells.Network.create("lstm", 8, 16, seed=0, scale=1.2)
    head = Head(rng.standard_normal((len(vocabulary), 16)) * 0.3, np.zeros(len(vocabulary)))
    return LoadedModel(network, vocabulary, rng.standard_normal((len(vocabulary), 8)).astype(np.float32), head)


def corpus() -> str:
    base = wc.shipped_text(wc.DEMO_FILES)
    return (base * (CHARACTERS // len(base) + 1))[:CHARACTERS]


def percentiles(ms: list[float]) -> str:
    return f"median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms"


PAINT_JS = """async ([source, pages]) => {
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const mount = (await import(url)).default;
  const host = document.createElement("div");
  host.style.width = "1100px";
  document.body.appendChild(host);
  const component = {parentElement: host, data: pages[0], setStateValue() {}, setTriggerValue() {}};
  mount(component);
  const frame = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  await frame();
  const times = [];
  for (const page of pages.slice(1)) {
    const began = performance.now();
    component.data = page;
    mount(component);
    host.querySelector(".ct-body").getBoundingClientRect();
    await frame();
    if (!host.querySelector(".ct-c")) throw new Error("nothing painted");
    times.push(performance.now() - began);
  }
  return times;
}"""


def main() -> int:
    text = corpus()
    model = small_model(text)
    began = time.perf_counter()
    run = run_corpus(model, text, streams=1024, cache=Cache())
    print(f"run over {run.steps:,} characters: {time.perf_counter() - began:.1f} s"
          f"{' (from the cache)' if run.cached else ''}")
    rng = np.random.default_rng(1)
    places = [int(p) for p in rng.integers(0, run.steps, PLACES)]
    pages = []
    for unit in (wc.Unit(0, "hidden", 3), wc.Unit(0, "cell", 3)):
        lo, hi = wc.value_range(run, unit)
        ms = []
        for at in places:
            t0 = time.perf_counter()
            start, stop = page_bounds(text, at)
            page = text_page(text, start, wc.unit_values(run, unit, start, stop), lo, hi, at=at, label=str(unit))
            ms.append(1000 * (time.perf_counter() - t0))
            if unit.state == "hidden":
                pages.append(page)
        size = len(json.dumps(pages[0]).encode())
        print(f"server, {unit} page of about {stop - start:,} characters ({size / 1000:.0f} kB): {percentiles(ms)}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: playwright is not installed; not measured")
        return 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox",
                                                                               "--disable-gpu"])
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        tab.set_content("<!doctype html><html><body></body></html>")
        tab.add_style_tag(path=str(JS.with_suffix(".css")))
        times = tab.evaluate(PAINT_JS, [JS.read_text(encoding="utf-8"), pages])
        browser.close()
    print(f"browser, a new page taken and painted: {percentiles(times)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
