"""The app loads in a real browser and no traceback reaches the page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import App

EXCEPTION = "[data-testid=stException]"


def test_app_loads_without_a_traceback(app: App) -> None:
    app.open().wait_idle()
    app.page.locator("[data-testid=stMain] [data-testid=stElementContainer]").first.wait_for(state="visible")
    assert app.page.title() == "Gatescope", app.diagnostics()
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("smoke")
