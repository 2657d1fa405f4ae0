"""Hand-offs and kept settings in real Chromium, each in a fresh browser context (a fresh session):
Train → Explore shows the model on its own text with no error, and its copied link does the same in
another fresh context; Compare and Gradient flow keep their settings across a visit to another page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ALERT, CHROMIUM_ARGS, EXCEPTION, App  # noqa: F401

ERROR_BOX = "[data-testid=stAlertContentError]"


def go(app: App, page: str) -> None:
    """Another page from the sidebar, as a user does."""
    app.click(app.page.locator("[data-testid=stSidebarNav] a", has_text=page).first)
    app.wait_idle(60_000)


def sidebar(app: App) -> str:
    return app.page.locator("[data-testid=stSidebar]").inner_text()


def test_train_to_explore_and_its_link_show_the_model_and_its_text(app: App, browser, server) -> None:
    app.open("train").wait_idle(60_000)
    app.click(app.page.get_by_role("button", name="Load it").first)  # the shipped model the menu names first
    app.page.get_by_role("button", name="Open in Explore").first.wait_for(timeout=60_000)
    app.wait_idle(60_000)
    app.click(app.page.get_by_role("button", name="Open in Explore").first)
    app.page.get_by_role("heading", name="Explore a recurrent cell").wait_for(timeout=60_000)
    app.wait_ready(60_000)
    assert app.page.locator(f"{ERROR_BOX}, {EXCEPTION}").count() == 0, app.diagnostics()
    text = app.page.locator(".st-key-explore_seq_text_box textarea").input_value()
    assert "LSTM trained on brackets" in sidebar(app) and "brackets ( and )" in sidebar(app)
    assert text and set(text) <= set("()")
    link = app.page.url
    assert "model=trained" in link
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        other = App(page=context.new_page(), server=server)
        other.page.goto(link)
        other.wait_ready(60_000)
        assert other.page.locator(f"{ERROR_BOX}, {EXCEPTION}").count() == 0, other.diagnostics()
        assert "LSTM trained on brackets" in sidebar(other) and "reads numbers" not in sidebar(other)
        assert other.page.locator(".st-key-explore_seq_text_box textarea").input_value() == text
    finally:
        context.close()


def test_compare_keeps_pane_a_as_peephole_after_a_visit_to_explore(app: App) -> None:
    app.open("compare").wait_ready(60_000)
    app.click(app.page.locator(".st-key-cmp_a_kind input").first)
    app.page.get_by_role("option", name="Peephole LSTM", exact=True).click(timeout=10_000)
    app.page.wait_for_function("() => location.search.includes('a_kind=peephole')", timeout=30_000)
    app.wait_idle(60_000)
    go(app, "Explore")
    app.wait_ready(60_000)
    go(app, "Compare")
    app.wait_ready(60_000)
    assert app.page.locator(".st-key-cmp_a_kind input").first.input_value() == "Peephole LSTM"


@pytest.mark.viewport(1280, 900)
def test_gradient_flow_keeps_t_200_after_a_visit_to_train(app: App) -> None:
    app.open("gradient_flow").wait_ready(60_000)
    thumb = app.page.locator(".st-key-flow_steps input[type=range]").first
    thumb.focus()
    app.page.keyboard.press("End")  # the slider's end: T = 200
    app.page.wait_for_function("() => document.querySelector('.st-key-flow_steps input').value === '200'")
    app.wait_idle(60_000)
    app.page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some("
                               "g => g._fullData && g._fullData[0].x.length === 200)", timeout=60_000)
    go(app, "Train")
    go(app, "Gradient flow")
    app.wait_ready(60_000)
    assert app.page.locator(".st-key-flow_steps input[type=range]").first.input_value() == "200"
