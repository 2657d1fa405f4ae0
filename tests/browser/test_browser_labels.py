"""Every page at 1280×800: no button or select box cuts its own label off."""

from __future__ import annotations

import pytest

from tests.browser.conftest import App

# Buttons and their text, and the value shown in a select box (an <input> that scrolls when its text is too long).
CUT_LABELS = """() => [...document.querySelectorAll(
    '[data-testid=stMain] button, [data-testid=stMain] button *, [data-testid=stSidebar] button, '
    + '[data-testid=stSidebar] button *, [data-testid=stSelectbox] input, [data-testid=stMultiSelect] input')]
  .filter(e => e.getClientRects().length && !e.closest('[data-testid=stExpander] details:not([open])'))
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => `${(e.value || e.textContent || '').trim().slice(0, 60)} (${e.scrollWidth} px in ${e.clientWidth})`)"""

PAGES = ["", "compare", "weights", "lessons", "train", "gradient_flow"]


@pytest.mark.parametrize("path", PAGES, ids=[p or "explore" for p in PAGES])
def test_no_label_is_cut_off(app: App, path: str) -> None:
    app.open(path)
    if path == "train":  # no chart until a model is trained or loaded
        app.wait_idle().page.get_by_text("No model yet").wait_for()
    else:
        app.wait_ready()
    cut = app.evaluate(CUT_LABELS)
    assert cut == [], f"labels cut off on /{path}: {cut}\n{app.diagnostics()}"


def test_the_longest_cell_and_weight_names_fit_in_compares_panes(app: App) -> None:
    app.open("compare?a_kind=gru_keras_v1&b_kind=gru_torch&a_init=orthogonal").wait_ready()
    assert app.evaluate(CUT_LABELS) == []


def test_keyboard_focus_is_visible(app: App) -> None:
    """Tab to a control: it gets a ring at least 2 px wide, whatever the control."""
    app.open("compare").wait_ready()
    app.page.locator("h1").first.click()
    widths = []
    for _ in range(6):
        app.page.keyboard.press("Tab")
        widths.append(app.evaluate("() => { const e = document.activeElement;"
                                   " const s = getComputedStyle(e); return [e.tagName, s.outlineStyle,"
                                   " parseFloat(s.outlineWidth)]; }"))
    assert all(style != "none" and width >= 2 for tag, style, width in widths if tag != "BODY"), widths
