"""The app loads in a real browser and no traceback reaches the page."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from workbench import keys

if TYPE_CHECKING:
    from conftest import App

EXCEPTION = "[data-testid=stException]"


def test_app_loads_without_a_traceback(app: App) -> None:
    app.open().wait_ready()  # the first page's view drawn (the page's first element is its hidden history helper)
    assert app.page.title() == "Gatescope", app.diagnostics()
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("smoke")


def test_gradient_flow_draws_each_kind_s_curve(app: App) -> None:
    app.open("gradient_flow").wait_idle()
    charts = app.page.locator(f".st-key-{keys.FLOW.random_chart} .js-plotly-plot, "
                              f".st-key-{keys.FLOW.trained_chart} .js-plotly-plot")
    charts.nth(1).wait_for(state="visible", timeout=45_000)
    app.page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullData).length >= 2", timeout=45_000)
    # the curves the browser draws: a solid line per kind, and the LSTM's dashed cell path
    names = app.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.name)")
    assert names == ["plain RNN: ‖∂h_T/∂h_t‖", "LSTM: ‖∂h_T/∂h_t‖", "LSTM: ‖∂C_T/∂C_t‖", "GRU: ‖∂h_T/∂h_t‖"], names
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("gradient-flow")


def test_no_page_asks_anything_of_the_internet(app: App) -> None:
    """A class may run offline: every request the pages make (scripts, fonts, icons, statistics) stays on the
    machine serving them."""
    outside: list[str] = []
    app.page.on("request", lambda r: outside.append(r.url)
                if urlsplit(r.url).hostname not in ("127.0.0.1", None) else None)
    for page in ("", "compare", "lessons"):
        app.open(page).wait_ready()
    assert outside == [], outside
