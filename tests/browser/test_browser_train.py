"""The Train page in Chromium: a short run draws its learning curve, and Stop keeps a long run's weights.

Widgets and charts are found by their keys (Streamlit puts `st-key-<key>` on each element's box; the keys
live in workbench/keys.py). What is checked is what a user sees: the curve Plotly drew, the status box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import App

EXCEPTION = "[data-testid=stException]"
CURVE = ".st-key-train_curve .js-plotly-plot"
LIVE_CURVE = "[class*='st-key-train_live_'] .js-plotly-plot"
STOP = ".st-key-train_stop button:not([disabled])"
TRAIN = ".st-key-train_go button"

# The drawn learning curve: how many points its loss line has, and the tick labels Plotly put on the step axis.
CURVE_JS = """() => {
    const chart = document.querySelector('.st-key-train_curve .js-plotly-plot');
    if (!chart || !chart._fullData) return null;
    const loss = chart._fullData.find(t => t.name === 'loss (each batch)');
    return {
        points: loss ? loss.y.length : 0,
        lines: chart.querySelectorAll('.scatterlayer .trace path.js-line').length,
        ticks: [...chart.querySelectorAll('.xaxislayer-above text')].map(t => t.textContent),
    };
}"""


def open_train(app: App) -> App:
    """Open the app, then the Train page from the sidebar, as a user does."""
    app.open().wait_ready(60_000)
    app.click(app.page.locator("[data-testid=stSidebarNav] a", has_text="Train"))
    app.page.locator(TRAIN).wait_for(state="visible", timeout=60_000)
    app.wait_idle(60_000)
    return app


def set_steps(app: App, steps: int) -> None:
    box = app.page.locator(".st-key-train_steps input")
    box.fill(str(steps))
    box.press("Enter")
    app.page.wait_for_function(
        "(n) => document.querySelector('.st-key-train_steps input')?.value == n", arg=str(steps))
    app.wait_idle()


def test_a_short_run_shows_its_learning_curve(app: App) -> None:
    open_train(app)
    assert app.page.locator(CURVE).count() == 0, "no curve before training"
    set_steps(app, 200)
    app.click(app.page.locator(TRAIN))
    app.page.wait_for_function(f"() => ({CURVE_JS})()?.points === 200", timeout=60_000)
    app.wait_idle(60_000)
    curve = app.evaluate(CURVE_JS)
    assert curve["lines"] >= 4, curve  # loss and accuracy, each per batch and as a running mean
    assert "200" in curve["ticks"], curve  # the step axis runs to the end of training
    status = app.page.locator("[data-testid=stAlert]").all_inner_texts()
    assert any("Trained for 200 steps" in s for s in status), status
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    assert app.page.locator(".st-key-train_predictions .js-plotly-plot").count() == 1  # the typed sequence's answers
    app.screenshot("train")


def test_stop_keeps_the_weights_trained_so_far(app: App) -> None:
    open_train(app)
    set_steps(app, 20_000)
    app.click(app.page.locator(TRAIN))
    app.page.locator(LIVE_CURVE).first.wait_for(state="visible", timeout=60_000)  # the live curve is drawing
    app.click(app.page.locator(STOP).first)
    warning = app.page.locator("[data-testid=stAlert]", has_text="Stopped after step")
    warning.wait_for(state="visible", timeout=60_000)
    app.wait_idle(60_000)
    assert "of 20000; kept the weights so far" in warning.inner_text()
    app.page.wait_for_function(f"() => ({CURVE_JS})()?.points > 0", timeout=30_000)
    points = app.evaluate(CURVE_JS)["points"]
    assert 0 < points < 20_000
    assert f"Stopped after step {points} of" in warning.inner_text()  # the curve shows every step it kept
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("train-stopped")
