"""Three sessions train on one server in real Chromium: two start runs of 20,000 steps, then a third's 50-step run
finishes while both long runs are still going (the pool is shared fairly: workbench/trainer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser

from tests.browser.conftest import App, Server

STOP = ".st-key-train_stop button:not([disabled])"
TRAIN = ".st-key-train_go button"
STATUS = "[data-testid=stAlertContentSuccess]"


@contextmanager
def session(browser: Browser, server: Server) -> Iterator[App]:
    """A fresh browser context on the Train page: a session of its own."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        app = App(page=context.new_page(), server=server)
        app.open("train").wait_idle(60_000)
        app.page.locator(TRAIN).wait_for(state="visible", timeout=60_000)
        yield app
    finally:
        context.close()


def start(app: App, steps: int) -> None:
    box = app.page.locator(".st-key-train_steps input")
    box.fill(str(steps))
    box.press("Enter")
    app.page.wait_for_function("(n) => document.querySelector('.st-key-train_steps input')?.value == n", arg=str(steps))
    app.wait_idle()
    app.click(app.page.locator(TRAIN))


def test_a_short_run_finishes_while_two_other_sessions_train_long_ones(browser: Browser, server: Server) -> None:
    with session(browser, server) as first, session(browser, server) as second, session(browser, server) as third:
        for app in (first, second):
            start(app, 20_000)
            app.page.get_by_text("of 20,000").first.wait_for(timeout=60_000)  # its steps are arriving
        start(third, 50)
        third.page.locator(STATUS, has_text="Trained for 50 steps").wait_for(timeout=60_000)
        for app in (first, second):  # both long runs still going: their Stop is live, their bar moves on
            assert app.page.locator(STOP).count() >= 1
            assert app.page.get_by_text("of 20,000").count() >= 1
            app.click(app.page.locator(STOP).first)
        for app in (first, second):
            app.page.get_by_text("Stopped after step").first.wait_for(timeout=60_000)
        first.screenshot("train-after-a-stop-beside-two-sessions")
