"""The Corpus page in a real browser: the shipped code model over the first held-out files with its progress bar,
the census, a click in the coloured text opening the gate view at that character, a selected span listing matches
that open in the gate view, and bad uploads refused while the last corpus stays."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # no playwright: conftest skips every test here
    PlaywrightTimeout = TimeoutError

from cells.corpus import Cache, run_corpus
from cells.learning.tasks import TEXT
from workbench import corpus as wc
from workbench import keys

# The server the session starts reads this; the test shares its cache, so it reads the same run back.
os.environ.setdefault("GATESCOPE_CORPUS_CACHE", tempfile.mkdtemp(prefix="gatescope-corpus-"))
K = keys.CORPUS
MAIN = "[data-testid=stMain]"
ERROR = "[data-testid=stAlertContentError]"
CODE = [e for e in wc.text_models() if e.get("corpus")]
needs_code = pytest.mark.skipif(not CODE, reason="no shipped code model in assets/pretrained/manifest.json yet")


# Counts the script runs that start from now on (Streamlit marks the app root while one is in flight).
RUNS_JS = """() => {
  window.__runs = 0;
  const root = document.querySelector("[data-testid=stApp]");
  new MutationObserver(() => {
    if (root.dataset.testScriptState === "running") window.__runs += 1;
  }).observe(root, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def run_steps(page) -> int:
    where = page.locator(".ct-where").inner_text()  # "character 1,234 of 144,391"
    return int(where.split(" of ")[1].replace(",", ""))


def first_files(app) -> None:
    """Read only the first few held-out files (the slider's first stop): a run of seconds, not a minute."""
    thumb = app.page.locator(f".st-key-{K.part} input[type=range]").first
    thumb.wait_for(state="attached", timeout=60_000)
    thumb.focus()
    app.page.keyboard.press("Home")
    app.page.locator("[data-testid=stSidebar]").get_by_text(f"The first {wc.PARTS[0]} of").wait_for(timeout=60_000)
    app.wait_idle(60_000)


def section(app, label: str) -> None:
    app.click(app.page.locator(MAIN).get_by_text(label, exact=True))
    app.wait_idle(60_000)


@needs_code
def test_the_shipped_model_over_the_shipped_corpus_census_coloured_text_gate_view_and_matches(app) -> None:
    page = app.page
    app.open("corpus").wait_idle(60_000)
    first_files(app)
    app.click(page.locator(f".st-key-{K.run} button").first)
    page.locator("[data-testid=stProgress]").first.wait_for(state="visible", timeout=60_000)
    page.locator("[data-testid=stDataFrame]").first.wait_for(state="visible", timeout=600_000)
    app.wait_idle(120_000)
    assert not page.locator(ERROR).count(), page.locator(ERROR).all_inner_texts()
    assert "clear (|r| ≥ 0.6 or AUC ≥ 0.9)" in page.locator(MAIN).inner_text()
    assert f"files={wc.PARTS[0]}" in page.url  # a link to this view reads the same few files
    app.screenshot("corpus-census", whole_app=False)

    section(app, "Coloured text")
    chars = page.locator(".ct-c")
    chars.first.wait_for(state="visible", timeout=30_000)
    target = chars.nth(60)
    position = int(target.get_attribute("data-p"))
    app.click(target)
    app.wait_idle(60_000)
    page.locator("[data-testid=stMain] iframe, .st-key-" + K.cursor.view).first.wait_for(timeout=60_000)
    caption = page.locator(MAIN).get_by_text("The gate view of characters").inner_text()
    assert f"the cursor on character {position:,}" in caption
    start = int(caption.split("characters ")[1].split(" to")[0].replace(",", ""))
    step = page.locator(f".st-key-{K.cursor.view}").get_by_text(f"step {position - start} of").first
    step.wait_for(timeout=30_000)  # the gate view's own cursor sits on the clicked character
    app.screenshot("corpus-coloured-text", whole_app=False)

    # Scrolling inside the page the browser holds reruns nothing; a jump of the place slider past it fetches the
    # page around the new place.
    page.evaluate(RUNS_JS)
    page.locator(".ct-scroll").evaluate("e => { e.scrollTop += 600; }")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.__runs") == 0
    far = run_steps(page) * 3 // 4
    page.locator(".ct-slider").evaluate(f"(e) => {{ e.value = '{far}'; e.dispatchEvent(new Event('change')); }}")
    for attempt in range(3):  # the component lives in a shadow root: read it through locators
        try:
            page.locator(f'.ct-c[data-p="{far}"]').wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                where = page.locator(".ct-where").inner_text()
                raise AssertionError(f"the coloured text stayed at {where} after a jump to {far:,}\n"
                                     + app.diagnostics()) from None
    app.wait_idle(60_000)
    assert page.evaluate("() => window.__runs") >= 1

    # A short span whose units come on elsewhere too, found with the engine over the same (cached) run.
    model = wc.load_shipped(CODE[0]["name"])
    text = wc.shipped_text(wc.held_out_files(CODE[0]["name"])[: wc.PARTS[0]])
    run = run_corpus(model, text, cache=Cache())
    shown = sorted(int(p) for p in chars.evaluate_all("cs => cs.map(c => c.dataset.p)"))
    span = next(((a, a + 2) for a in shown[:-2] if (units := run.select(a, a + 2, 0.3))
                 and run.search(units, 0.3).count > 1), None)
    assert span is not None, "no short span on screen has units that come on elsewhere"
    first = page.locator(f'.ct-c[data-p="{span[0]}"]').bounding_box()
    last = page.locator(f'.ct-c[data-p="{span[1] - 1}"]').bounding_box()
    page.mouse.move(first["x"] + 2, first["y"] + 4)
    page.mouse.down()
    page.mouse.move(last["x"] + 2, last["y"] + 4)
    page.mouse.up()
    page.locator(".ct-span").first.wait_for(timeout=60_000)  # the server holds the span and draws it
    app.wait_idle(60_000)
    app.until_shown(lambda: app.click(page.locator(MAIN).get_by_text("Find by pattern", exact=True)),
                    page.locator(MAIN).get_by_text(re.compile(r"^Span \d")).first)
    assert f"Span {span[0]:,}–{span[1]:,}" in page.locator(MAIN).inner_text()
    opens = page.locator(MAIN).get_by_role("button", name="Open")
    opens.first.wait_for(timeout=30_000)
    app.screenshot("corpus-matches", whole_app=False)
    app.click(opens.first)
    app.wait_idle(60_000)
    page.locator(MAIN).get_by_text("The gate view of characters").wait_for(timeout=60_000)


def test_a_stopped_run_and_bad_uploads_leave_the_last_corpus(app, tmp_path) -> None:
    page = app.page
    app.open("corpus").wait_idle(60_000)
    if CODE:
        first_files(app)  # the run the first test made, read back from the cache
    app.click(page.locator(f".st-key-{K.run} button").first)
    page.locator("[data-testid=stDataFrame]").first.wait_for(state="visible", timeout=600_000)
    app.wait_idle(120_000)
    before = page.locator(MAIN).get_by_text("steps").first.inner_text()
    # A run stopped half-way leaves the last result in place.
    app.click(page.get_by_text("Uploaded file", exact=True))
    app.wait_idle()
    good = tmp_path / "good.txt"  # a longer text the first model reads: its shipped text, repeated
    _, files = wc.shipped_source(wc.text_models()[0]["name"])
    shipped = wc.shipped_text(files) if files is not None else TEXT
    good.write_text((shipped * (300_000 // len(shipped) + 1))[:300_000], encoding="utf-8")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(good))
    run_button = page.locator(f".st-key-{K.run} button:not([disabled])").first
    run_button.wait_for(timeout=60_000)  # the upload is read: there is a text to run
    app.wait_idle(60_000)
    for attempt in range(3):  # a click that lands while the upload's rerun redraws the button can be lost
        app.click(run_button)
        try:
            page.locator("[data-testid=stProgress]").first.wait_for(state="visible", timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    app.click(page.locator(f".st-key-{K.stop} button").first)
    page.get_by_text("Stopped: the last result stays.").wait_for(timeout=60_000)
    app.wait_idle(60_000)
    assert page.locator(MAIN).get_by_text("steps").first.inner_text() == before
    files = {"binary.bin": bytes(range(256)) * 40, "empty.txt": b"", "huge.txt": b"x = 1\n" * 3_500_000}
    said = {"binary.bin": "binary", "empty.txt": "empty", "huge.txt": "10,000,000 bytes"}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
        app.wait_idle(60_000)
        error = page.locator(ERROR).filter(has_text=name).first
        error.wait_for(timeout=60_000)
        app.wait_idle(60_000)
        assert said[name] in error.inner_text(), error.inner_text()
        assert page.locator(MAIN).get_by_text("steps").first.inner_text() == before  # the last corpus stays
    app.screenshot("corpus-bad-upload", whole_app=False)
