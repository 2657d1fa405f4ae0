"""The Compare page in Chromium: an LSTM and a GRU side by side at hidden size 16 on a 1,280-pixel screen,
three gate views (A, B, B − A) on one cursor moved in the browser, rows lined up by role, no horizontal
scrolling; a deep bidirectional stack on one time axis.

Gate views are found by their keys (Streamlit puts `st-key-<key>` on each element's box; the keys live in
workbench/keys.py) and read through their root's live view object (`gatescope`).
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

import pytest
from conftest import GATE_VIEWS_JS

from workbench import keys

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import App

EXCEPTION = "[data-testid=stException]"

# Every gate view on the page (in its component's shadow root), in page order: its key's end, its cursor, its
# box on the screen, and per panel its name (the role its row plays), title, box and cursor mark.
VIEWS_JS = f"""() => ({GATE_VIEWS_JS})().filter(r => r.gatescope).map(root => {{
    const v = root.gatescope;
    const host = root.getRootNode().host.closest('[class*="st-key-"]');
    const box = (e) => {{ const r = e.getBoundingClientRect();
                          return {{left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}}; }};
    return {{
        key: [...(host?.classList ?? [])].find(c => c.startsWith('st-key-'))?.slice('st-key-'.length) ?? null,
        t: v.t, steps: v.h.steps, column: v.plotWidth / v.h.steps, ...box(root),
        readout: root.querySelector('.gv-readout')?.textContent ?? null,
        panels: v.panels.map(p => ({{name: p.p.name, title: p.p.title, symbol: p.p.symbol.replace(/<[^>]+>/g, ''),
                                     top: p.box ? box(p.box).top : null, canvas: p.canvas ? box(p.canvas) : null,
                                     mark: p.cursor ? parseFloat(p.cursor.style.left) : null}})),
    }};
}})"""


def views(app: App) -> list[dict]:
    return app.evaluate(VIEWS_JS)


def marks_at(view: dict, t: int) -> bool:
    marks = [p["mark"] for p in view["panels"] if p["mark"] is not None]
    return bool(marks) and all(abs(m - t * view["column"]) < 0.5 for m in marks)


@pytest.mark.viewport(1280, 800)
def test_lstm_and_gru_side_by_side_fit_a_1280_screen_and_share_the_cursor(app: App) -> None:
    app.open("compare?a_hidden=16&b_hidden=16").wait_ready()
    assert app.page.locator("[data-testid=stSidebarNavLink]", has_text="Explore").count() == 1
    app.page.wait_for_function(f"() => ({VIEWS_JS})().length === 3", timeout=45_000)
    app.wait_idle()
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    a, b, diff = views(app)
    assert (a["key"], b["key"], diff["key"]) == (keys.COMPARE.view_a, keys.COMPARE.view_b, keys.COMPARE.view_diff)
    first_a, first_b = a["panels"][0], b["panels"][0]
    assert first_a["symbol"].startswith("f") and "1 − z" in first_b["symbol"] + first_b["title"], (first_a, first_b)
    # A, B and B − A side by side, as wide as each other, their rows lined up by the role they play
    assert b["left"] > a["right"] and diff["left"] > b["right"], (a, b, diff)
    assert abs(a["width"] - b["width"]) < 2 and abs(diff["width"] - a["width"]) < 2
    for row in zip(a["panels"], b["panels"], diff["panels"], strict=False):
        assert len({p["name"] for p in row}) == 1, [p["name"] for p in row]
        assert max(p["top"] for p in row) - min(p["top"] for p in row) < 2, row

    # One cursor for all: ▶ in A's bar moves every mark of every pane, in the browser.
    for step in (1, 2, 3):
        app.page.locator(".gv-btn", has_text="▶").first.click()
        shown = views(app)
        assert all(v["t"] == step and marks_at(v, step) for v in shown), [(v["key"], v["t"]) for v in shown]
    assert "step 3 of " in views(app)[0]["readout"], views(app)[0]["readout"]
    app.wait_idle()

    # B − A's box for the gates with no counterpart: its note starts at the box's top, however long it is
    notes = app.evaluate(f"""() => ({GATE_VIEWS_JS})().flatMap(r => [...r.querySelectorAll('.gv-empty')]).map(e => {{
        const range = document.createRange(); range.selectNodeContents(e);
        return {{text: range.getBoundingClientRect().top, box: e.getBoundingClientRect().top}}; }})""")
    assert notes and all(n["text"] >= n["box"] - 0.5 for n in notes), notes
    width = app.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"the page scrolls sideways: {width} px wide"
    shown = views(app)
    tall = max(v["bottom"] for v in shown) - min(v["top"] for v in shown)
    # Six rows, each title whole on up to two lines under its symbol, and the folded row of the state space both
    # panes share: a little more than one 800 px screen (presenter mode, which has no state-space row, puts them all
    # on a 720 px one: test_browser_layout).
    assert tall <= 920, f"both panes' gates take {tall:.0f} px: more than six rows of whole titles and one folded row"
    # the picture: the shared cursor at the top, then both panes and their B − A
    app.evaluate(f"() => ({GATE_VIEWS_JS})()[0].scrollIntoView({{block: 'start'}})")
    app.page.mouse.move(0, 0)
    app.screenshot("compare-1280x800", whole_app=False)
    app.screenshot("compare-1280-whole")
    assert app.evaluate("() => document.documentElement.scrollWidth") <= 1280


@pytest.mark.viewport(1280, 800)
def test_deep_bidirectional_stack_lines_every_layer_up_on_one_time_axis(app: App) -> None:
    app.open().wait_ready()
    app.open("compare?a_layers=3&a_bidir=1&cmp_view=deep&cmp_t=4").wait_ready()
    app.page.wait_for_function(f"() => ({VIEWS_JS})().length === 1", timeout=45_000)
    app.wait_idle()
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    (view,) = views(app)
    titles = [p["title"] for p in view["panels"]]
    assert len(titles) == 10, titles
    assert titles[0].startswith("layer 1's input") and titles[-1].startswith("layer 3's h_t: the network's"), titles
    assert sum("reads ←" in t for t in titles) == 3, titles
    # every layer, direction and output on the same plot area: step t sits at one x down the whole stack
    lefts = [p["canvas"]["left"] for p in view["panels"] if p["canvas"]]
    widths = [p["canvas"]["width"] for p in view["panels"] if p["canvas"]]
    assert max(lefts) - min(lefts) < 2 and max(widths) - min(widths) < 2, (lefts, widths)
    assert view["t"] == 4 and marks_at(view, 4), view
    assert app.evaluate("() => document.documentElement.scrollWidth") <= 1280
    app.screenshot("compare-deep-1280")


@pytest.mark.viewport(1280, 800)
def test_summary_downloads_are_written_when_pressed(app: App, tmp_path: Path) -> None:
    """The summary CSVs are made on the click (not on every run): each arrives whole, A's and B's rows in it."""
    app.open("compare").wait_ready()
    app.page.wait_for_function(f"() => ({VIEWS_JS})().length === 3", timeout=45_000)
    app.wait_idle()
    app.until_shown(lambda: app.click(app.page.get_by_text("Summary", exact=True).first),
                    app.page.get_by_role("button", name="Gate summary (CSV)"))
    got = {}
    for label, name in (("Gate summary (CSV)", "gatescope-compare-gates.csv"),
                        ("Memory half-life (CSV)", "gatescope-compare-half-life.csv")):
        button = app.page.get_by_role("button", name=label)
        button.scroll_into_view_if_needed()
        download = app.download(button)
        assert download.suggested_filename == name
        saved = tmp_path / name
        download.save_as(saved)
        with saved.open(newline="") as f:
            got[name] = list(csv.DictReader(f))
    gates = got["gatescope-compare-gates.csv"]
    assert {row["pane"] for row in gates} == {"A", "B"}
    assert {row["cell"] for row in gates if row["pane"] == "A"} == {"LSTM"}
    assert any(row["value"].startswith("f") and row["value"].endswith("forget") for row in gates), gates
    assert all(-1.0 <= float(row["mean"]) <= 1.0 for row in gates if row["value"].split()[-1] != "cell"), gates
    lives = got["gatescope-compare-half-life.csv"]
    assert len(lives) == 8, lives  # a row per unit of the 8-unit panes
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
