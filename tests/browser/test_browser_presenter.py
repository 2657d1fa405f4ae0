"""Presenter mode in real Chromium: a clicker's Page Down changes stop even after a knob was moved with the
mouse (ui/presenter_keys.js), "Open in Explore" is there while presenting, and Explore and Compare take
?present=1 (no sidebar, large type)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ALERT, EXCEPTION, GATE_VIEWS_JS, App
from workbench import keys
from workbench.lessons import BY_SLUG

PROJECTOR = pytest.mark.viewport(1280, 720)
KNOB = f".st-key-{keys.LESSONS.knob('forget-gate')} input[type=range]"  # the slider's own (visually hidden) input


def open_stop(app: App, slug: str) -> None:
    app.open(f"lessons?stop={slug}&present=1").wait_ready()
    app.page.get_by_role("heading", name=f"{list(BY_SLUG).index(slug) + 1}. {BY_SLUG[slug].title}").wait_for()
    app.wait_idle()


def knob_value(app: App) -> float:
    return float(app.evaluate(f"() => document.querySelector({KNOB!r}).value"))


@PROJECTOR
def test_page_down_changes_stop_after_the_mouse_moved_a_knob(app: App) -> None:
    open_stop(app, "forget-gate")
    app.page.locator(KNOB).wait_for(state="attached", timeout=20_000)
    thumb = app.page.locator(f".st-key-{keys.LESSONS.knob('forget-gate')} [data-testid=stSliderThumbValue]")
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    assert box is not None
    app.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] + 12)  # on the thumb, below its value
    # a click a pixel off the thumb's centre moves the knob a step itself: start from where the click left it
    app.wait_idle()
    start = knob_value(app)
    app.page.keyboard.press("ArrowLeft")  # the arrows are the knob's while it has the focus
    app.page.wait_for_function(f"() => Number(document.querySelector({KNOB!r}).value) < {start}", timeout=20_000)
    app.wait_idle()
    moved = knob_value(app)
    assert app.evaluate(f"() => document.activeElement === document.querySelector({KNOB!r})")
    app.page.keyboard.press("PageDown")
    app.page.wait_for_url("**stop=input-gate**", timeout=20_000)
    app.page.get_by_role("heading", name="4. The input gate and the candidate").wait_for(timeout=20_000)
    app.wait_idle()
    app.page.keyboard.press("PageUp")
    app.page.wait_for_url("**stop=forget-gate**", timeout=20_000)
    app.page.get_by_role("heading", name="3. The forget gate").wait_for(timeout=20_000)
    app.wait_idle()
    # Page Down never reached the knob, and the stop kept its setting (the slider may be drawn a frame late)
    app.wait_true(f"() => Number(document.querySelector({KNOB!r})?.value) === {moved}", timeout_ms=10_000)
    assert knob_value(app) == moved
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()


@PROJECTOR
def test_open_in_explore_while_presenting_opens_explore_presenting(app: App) -> None:
    open_stop(app, "forget-gate")
    app.click(app.page.get_by_role("button", name="Open in Explore").first)
    app.page.get_by_role("heading", name="Explore a recurrent cell").wait_for(timeout=30_000)
    app.wait_ready()
    # The page writes its link in the run that draws it; the address bar may change a moment after.
    app.page.wait_for_url(lambda url: "present=1" in url and "model=preset" in url, timeout=20_000)
    assert app.page.locator(f"{ALERT} [data-testid=stAlertContentError], {EXCEPTION}").count() == 0
    assert not app.evaluate("() => { const s = document.querySelector('[data-testid=stSidebar]');"
                            " return !!s && getComputedStyle(s).display !== 'none'; }")


@PROJECTOR
@pytest.mark.parametrize("path", ["?present=1", "compare?present=1"], ids=["explore", "compare"])
def test_explore_and_compare_take_present_1(app: App, path: str) -> None:
    app.open(path).wait_ready()
    look = """() => {
        const s = document.querySelector('[data-testid=stSidebar]');
        const p = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMarkdownContainer] p')]
            .find(e => e.innerText.length > 20);
        return {sidebar: !!s && getComputedStyle(s).display !== 'none',
                font: p ? parseFloat(getComputedStyle(p).fontSize) : 0};
    }"""
    app.wait_true(f"() => {{ const v = ({look})(); return !v.sidebar && v.font >= 20; }}")
    seen = app.evaluate(look)
    assert not seen["sidebar"] and seen["font"] >= 20, seen
    # the toggle at the top leaves presenter mode, and the link follows
    app.click(app.page.get_by_text("Presenter mode").first)
    app.page.wait_for_function("() => !location.search.includes('present=1')", timeout=20_000)
    app.wait_idle()
    assert app.evaluate("() => getComputedStyle(document.querySelector('[data-testid=stSidebar]')).display") != "none"


@PROJECTOR
def test_compare_presenting_shows_its_gates_on_the_first_screen_and_unfolds_a_pane(app: App) -> None:
    """Each pane's settings fold under a title that says what it runs, so the three gate views start on the
    projector's first 720 pixels; a pane unfolds to its own controls."""
    app.open("compare?present=1").wait_ready()
    app.page.wait_for_function(f"() => ({GATE_VIEWS_JS})().length === 3", timeout=45_000)
    app.wait_idle()
    fold = app.page.get_by_text("Pane A: LSTM, 8 units, seed 0 · 'hello world'")
    assert fold.is_visible()
    tops = app.evaluate(f"() => ({GATE_VIEWS_JS})().map(r => r.getBoundingClientRect().top)")
    assert len(tops) == 3 and max(tops) < 720 - 100, tops  # each view's first rows on the first screen
    assert app.page.locator(f".st-key-{keys.COMPARE.pane('a', 'kind')}").count() == 0
    app.until_shown(lambda: app.click(fold), app.page.locator(f".st-key-{keys.COMPARE.pane('a', 'kind')}"))
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("compare-presenting-1280x720", whole_app=False)
