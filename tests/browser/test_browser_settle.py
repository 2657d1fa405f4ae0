"""Explore's "where it settles" in Chromium: Stop pressed during a slow search (a 64-unit LSTM with large weights,
from its run and 64 random states, most of which never converge) ends it with the points reached so far, which
stay on the page, and the page goes on working."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ALERT, EXCEPTION, App
from ui.settle import FROM
from workbench import keys

K = keys.EXPLORE_INSIGHT
SLOW = "?kind=lstm&hidden=64&scale=5&seed=0"
SAID = re.compile(r"(\d+) of (\d+) starts converged to (\d+) fixed points?")


def said(app: App) -> re.Match[str]:
    text = app.page.locator("[data-testid=stMarkdownContainer]", has_text="starts converged").first.inner_text()
    found = SAID.search(text)
    assert found is not None, text
    return found


@pytest.mark.viewport(1280, 900)
def test_stop_keeps_the_points_found_so_far_and_the_page_goes_on(app: App) -> None:
    app.open(SLOW).wait_ready()
    app.click(app.page.get_by_text("Where it settles: fixed points under a held input"))
    start = app.page.locator(f".st-key-{K.starts}")
    start.wait_for(timeout=30_000)
    app.wait_idle()
    # a click landing while the section is still redrawing can be lost: the test needs the random starts chosen
    app.until_shown(lambda: app.click(start.get_by_text(FROM["random"])),
                    start.locator("label:has(input:checked)", has_text=FROM["random"]))
    searching = app.page.locator("[data-testid=stProgress]", has_text="Searching").first
    app.until_shown(lambda: app.click(app.page.locator(f".st-key-{K.search} button")), searching,
                    idle_after=False)  # as above, the click can be lost: click again until the search's bar shows
    # Stop once the search is well under way: by then some starts have converged
    app.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stProgress]')]"
        ".some(e => /Searching… ([4-9]\\d)%/.test(e.textContent))", timeout=60_000)
    app.click(app.page.locator(f".st-key-{K.stop} button").first)  # the run in flight may draw it twice
    stopped = app.page.get_by_text("The search was stopped: these are the points it had reached.")
    stopped.wait_for(timeout=60_000)
    app.wait_idle()
    converged, starts, points = (int(g) for g in said(app).groups())
    assert starts > 64 and 0 < converged < starts and points >= 1  # the points reached so far, kept
    rows = app.page.locator("[data-testid=stDataFrame]").last
    rows.wait_for(timeout=30_000)
    assert app.page.locator("[data-testid=stProgress]").count() == 0  # no bar left behind
    app.screenshot("explore-settle-stopped")
    # the page goes on: another held input reruns it, and the points stay until the next search
    app.click(app.page.locator(f".st-key-{K.held}").get_by_text("the run's mean input"))
    app.wait_idle()
    assert stopped.is_visible() and said(app).groups() == (str(converged), str(starts), str(points))
    assert app.page.locator(f"{ALERT} [data-testid=stAlertContentError], {EXCEPTION}").count() == 0, \
        app.diagnostics()
    assert not app.errors, app.diagnostics()
