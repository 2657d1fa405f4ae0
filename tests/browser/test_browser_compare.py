"""The Compare page in Chromium: an LSTM and a GRU side by side at hidden size 16 on a 1,280-pixel screen,
the shared cursor moved with the step button, and no horizontal scrolling.

Charts are found by their keys (Streamlit puts `st-key-<key>` on each element's box; the keys live in ui/keys.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import App

NEXT = ".st-key-cmp_next button"  # the ▶ button (its tooltip wrapper holds a second button element)
SLIDER = ".st-key-cmp_step input[type=range]"
EXCEPTION = "[data-testid=stException]"

# Every Compare chart: its key's end, whether Plotly drew its heatmap, its title, where the cursor box is,
# and where its plot area sits on the screen.
CHARTS_JS = """() => [...document.querySelectorAll('[class*="st-key-cmp_chart_"]')].map(box => {
    const chart = box.querySelector('.js-plotly-plot');
    const name = [...box.classList].find(c => c.startsWith('st-key-cmp_chart_')).slice('st-key-cmp_chart_'.length);
    const cursor = chart?.layout?.shapes?.find(s => s.name === 'cursor');
    const plot = chart?.querySelector('.nsewdrag')?.getBoundingClientRect();
    return {
        name,
        drawn: !!chart && chart.querySelectorAll('.heatmaplayer image').length > 0,
        title: (chart?.layout?.title?.text ?? '').replace(/<[^>]+>/g, ''),
        cursor: cursor ? (cursor.x0 + cursor.x1) / 2 : null,
        left: plot ? plot.left : null,
        width: plot ? plot.width : null,
    };
})"""


def charts(app: App) -> list[dict]:
    return app.evaluate(CHARTS_JS)


@pytest.mark.viewport(1280, 800)
def test_lstm_and_gru_side_by_side_fit_a_1280_screen_and_share_the_cursor(app: App) -> None:
    app.open("compare?a_hidden=16&b_hidden=16").wait_ready()
    assert app.page.locator("[data-testid=stSidebarNavLink]", has_text="Explore").count() == 1
    all_drawn = f"() => {{ const c = ({CHARTS_JS})(); return c.length >= 17 && c.every(m => m.drawn); }}"
    app.page.wait_for_function(all_drawn, timeout=45_000)
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    shown = {c["name"]: c for c in charts(app)}
    assert shown["keep_a"]["title"].startswith("A · f_t") and "1 − z_t" in shown["keep_b"]["title"]
    # A and B side by side: B's plot area starts right of A's, and both are as wide
    a, b = shown["keep_a"], shown["keep_b"]
    assert b["left"] > a["left"] + a["width"]
    assert abs(a["width"] - b["width"]) < 2
    assert abs(shown["keep_diff"]["width"] - a["width"]) < 2 and abs(shown["keep_diff"]["left"] - a["left"]) < 2

    for step in (1, 2, 3):  # one click at a time: each waits for the slider to show the step it made
        app.click(app.page.locator(NEXT).first)
        app.page.wait_for_function(f"() => document.querySelector('{SLIDER}')?.value === '{step}'", timeout=20_000)
        app.wait_idle()
    app.page.wait_for_function(f"() => ({CHARTS_JS})().every(m => m.cursor === 3)", timeout=20_000)
    assert app.page.locator(SLIDER).input_value() == "3"
    assert app.page.get_by_text("Step 3 · A reads").count() == 1

    width = app.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"the page scrolls sideways: {width} px wide"
    # the picture: the shared cursor at the top, then both panes' first row and its B − A
    app.evaluate("() => document.querySelector('.st-key-cmp_view').scrollIntoView({block: 'start'})")
    app.page.mouse.move(0, 0)  # and no "Next step" tooltip left over from the clicks
    app.page.locator("[data-baseweb=tooltip]").first.wait_for(state="detached", timeout=10_000)
    app.screenshot("compare-1280x800", whole_app=False)
    app.screenshot("compare-1280-whole")
    assert app.evaluate("() => document.documentElement.scrollWidth") <= 1280


@pytest.mark.viewport(1280, 800)
def test_deep_bidirectional_stack_lines_every_layer_up_on_one_time_axis(app: App) -> None:
    app.open().wait_ready()
    app.open("compare?a_layers=3&a_bidir=1&cmp_view=deep&cmp_t=4").wait_ready()
    all_drawn = f"() => {{ const c = ({CHARTS_JS})(); return c.length === 10 && c.every(m => m.drawn); }}"
    app.page.wait_for_function(all_drawn, timeout=45_000)
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    shown = charts(app)
    titles = [c["title"] for c in shown]
    assert titles[0].startswith("x_t  layer 1's input") and titles[-1].startswith("h_t of layer 3: the network's")
    assert sum("reads ←" in t for t in titles) == 3
    # every layer, direction and output on the same plot area: step t sits at one x down the whole stack
    assert max(c["left"] for c in shown) - min(c["left"] for c in shown) < 2
    assert max(c["width"] for c in shown) - min(c["width"] for c in shown) < 2
    assert {c["cursor"] for c in shown} == {4}
    assert app.evaluate("() => document.documentElement.scrollWidth") <= 1280
    app.screenshot("compare-deep-1280")
