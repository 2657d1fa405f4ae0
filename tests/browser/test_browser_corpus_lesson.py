"""The code-unit lesson stop in a real browser: its gate view of the standard-library model's 192 units of C_t
opens on the unit the census found, with that unit chosen and its row in sight (scrolled when it lies past the
first 32 rows); so does Explore when the stop hands the model over with that unit, and so does the Corpus page's
gate view when its link names the last unit. Unit numbers come from lessons/code-unit.json and the model."""

from __future__ import annotations

import os
import tempfile

import pytest

from tests.browser.conftest import GATE_VIEWS_JS
from workbench import corpus as wc
from workbench import corpus_lesson

# The server the session starts reads this: the Corpus page's run goes to a cache of the tests' own.
os.environ.setdefault("GATESCOPE_CORPUS_CACHE", tempfile.mkdtemp(prefix="gatescope-corpus-"))
RECORD = corpus_lesson.record()
needs_record = pytest.mark.skipif(RECORD is None, reason="no lessons/code-unit.json: python -m workbench.corpus_lesson")

# The first view with more units than it shows at once: its chosen unit, first shown row, rows shown, and where
# the chosen unit's mark is on each units panel (hidden or its row on screen).
BIG_VIEW_JS = f"""() => {{
    const root = ({GATE_VIEWS_JS})().find(r => r.gatescope && r.gatescope.h.units > 32);
    if (!root) return null;
    const v = root.gatescope;
    return {{unit: v.unit, offset: v.offset, units: v.h.units,
             marks: [...root.querySelectorAll('.gv-unit')].map(m => ({{hidden: m.hidden,
                 top: m.getBoundingClientRect().top, panel: m.closest('.gv-panel').getBoundingClientRect()}}))}};
}}"""


def big_view(app) -> dict:
    app.page.wait_for_function(f"() => ({BIG_VIEW_JS})() !== null", timeout=60_000)
    return app.evaluate(BIG_VIEW_JS)


def assert_unit_in_sight(view: dict, unit: int) -> None:
    assert view["unit"] == unit  # the chosen unit is the one named
    assert view["offset"] <= unit < view["offset"] + 32, view  # ... and among the rows shown
    assert (view["offset"] > 0) == (unit >= 32), view  # scrolled exactly when the unit lies past the first rows
    assert view["marks"] and all(not m["hidden"] for m in view["marks"])
    for m in view["marks"]:  # its mark lies inside its panel, on screen
        assert m["panel"]["top"] <= m["top"] <= m["panel"]["bottom"]


@needs_record
def test_the_code_unit_stop_opens_on_its_unit_and_so_does_explore(app) -> None:
    unit = int(RECORD["unit"])  # whatever unit the census found in the shipped model (lessons/code-unit.json)
    app.open("lessons?stop=code-unit").wait_ready(90_000)
    view = big_view(app)
    assert view["units"] == 192
    assert_unit_in_sight(view, unit)
    app.screenshot("lessons-code-unit-opens-on-its-unit", whole_app=False)
    assert not [e for e in app.errors if e.startswith("pageerror")], app.diagnostics()  # no script error

    app.click(app.page.get_by_role("button", name="Open in Explore"))
    app.page.wait_for_url(f"**unit={unit}**", timeout=60_000)  # Explore, its link naming the unit
    app.wait_ready(90_000)
    view = big_view(app)
    assert_unit_in_sight(view, unit)
    app.screenshot("explore-opens-on-the-lesson-unit", whole_app=False)
    assert not [e for e in app.errors if e.startswith("pageerror")], app.diagnostics()  # no script error


@needs_record
def test_the_corpus_pages_gate_view_opens_on_a_unit_past_the_first_rows(app) -> None:
    # The last C_t unit of the lesson's model and layer (read from the model: whichever unit the census found).
    model = wc.load_shipped(RECORD["model"])
    last = model.network.layers[RECORD["layer"]].forward.hidden_size - 1
    assert last >= 32  # past the first rows the gate view shows at once
    page = app.page
    app.open(f"corpus?section=text&unit={RECORD['layer']}.{RECORD['state']}.{last}&files={wc.PARTS[0]}")
    chars = page.locator(".ct-c")
    chars.first.wait_for(state="visible", timeout=600_000)  # the link ran the model over the first held-out files
    app.wait_idle(120_000)
    app.click(chars.nth(60))
    app.wait_idle(60_000)
    view = big_view(app)
    assert_unit_in_sight(view, last)
    app.screenshot("corpus-gate-view-opens-on-the-last-unit", whole_app=False)
    assert not [e for e in app.errors if e.startswith("pageerror")], app.diagnostics()  # no script error
