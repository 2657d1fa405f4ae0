"""The attribution and state-space panels in Chromium: they move with the cursor in the browser (no server at all on
the offline page, so no rerun can move them), a click on an attribution bar moves the cursor to its step, and on
Explore a report after the cursor stops replaces the attribution in the view on screen (the view is not rebuilt)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from conftest import GATE_VIEWS_JS, App

import cells
from cells.attribution import Target, connectivity, integrated_gradients, memory_path
from cells.dynamics import pca
from viz.export import gate_view_html
from viz.gateview import gate_view, pack
from viz.insight import Attributed, with_insight

if TYPE_CHECKING:
    from playwright.sync_api import Page

TEXT = "gates remember"  # 14 steps
REPORTED = 6  # the step the attribution was computed at, as if the server last heard of it

# What the new panels show now: the cursor, the memory path's values, the state-space mark, the bars' cursor mark.
STATE_JS = """() => {
    const root = document.querySelector('.gv');
    const v = root.gatescope;
    const here = root.querySelector('.gv-plane-here');
    const bars = v.panels.find(p => p.bars);
    return {t: v.t, memory: Array.from(v.a['attr.memory'].values), cx: Number(here.getAttribute('cx')),
            cy: Number(here.getAttribute('cy')), x: v.extra.states.X(v.t), y: v.extra.states.Y(v.t),
            barLeft: parseFloat(bars.cursor.style.left), colW: v.plotWidth / v.h.steps,
            sentence: root.querySelector('.gv-attr-say').textContent,
            title: bars.title.textContent};
}"""


def build(tmp_path: Path, *, backward: bool = False) -> tuple[cells.Trace, Path]:
    network = cells.Network.create("lstm", 5, 8, bidirectional=backward, seed=1)
    xs = np.random.default_rng(1).standard_normal((len(TEXT), 5))  # (T, I)
    direction = "backward" if backward else "forward"
    trace = network.run(xs).trace(0, direction)
    target = Target(step=REPORTED, output="cell", unit=2, layer=0, direction=direction)
    attributed = Attributed(connectivity(network, xs, target), 0, direction,
                            integrated_gradients(network, xs, target, steps=64), "zeros")
    view = with_insight(gate_view(trace, list(TEXT), [f"x{i}" for i in range(5)]), trace, attributed=attributed,
                        projection=pca(trace, 2))
    path = tmp_path / f"insight-{direction}.html"
    path.write_text(gate_view_html(pack(view)), encoding="utf-8")
    return trace, path


def open_view(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.gv')?.gatescope?.extra?.states !== undefined",
                           timeout=10_000)


def test_the_memory_path_and_the_state_space_move_with_the_cursor(page: Page, tmp_path: Path) -> None:
    for backward in (False, True):
        trace, path = build(tmp_path, backward=backward)
        open_view(page, path)
        page.locator(".gv").focus()
        for t in (0, 1, 2, 3, 9, 13):
            while page.evaluate("() => document.querySelector('.gv').gatescope.t") < t:
                page.keyboard.press("ArrowRight")
            s = page.evaluate(STATE_JS)
            assert s["t"] == t
            np.testing.assert_allclose(s["memory"], memory_path(trace, t).ravel(), atol=1e-12,
                                       err_msg=f"memory path at step {t}{' (backward)' if backward else ''}")
            assert (s["cx"], s["cy"]) == (s["x"], s["y"]), f"the state space's mark is not on step {t}'s point"
            assert abs(s["barLeft"] - t * s["colW"]) < 0.5, "the attribution row's cursor mark is not at the cursor"
            assert f"into step {t}" in s["sentence"] or f"at step {t}:" in s["sentence"], s["sentence"]
            # the bars stay those of the reported step until the server hears of the new one
            assert f"at step {REPORTED}" in s["title"]
            assert ("follows the cursor" in s["title"]) == (t != REPORTED)


def test_a_click_on_an_attribution_bar_or_a_token_moves_the_cursor_there(page: Page, tmp_path: Path) -> None:
    _, path = build(tmp_path)
    open_view(page, path)
    canvas = page.locator(".gv-bars canvas.gv-heat")
    box = canvas.bounding_box()
    assert box is not None
    for step in (4, 11, 0):
        page.mouse.click(box["x"] + (step + 0.5) * box["width"] / len(TEXT), box["y"] + box["height"] / 2)
        assert page.evaluate("() => document.querySelector('.gv').gatescope.t") == step
    page.locator(".gv-attr-token").nth(8).click()
    assert page.evaluate("() => document.querySelector('.gv').gatescope.t") == 8
    page.locator(".gv-plane-dot").nth(3).dispatch_event("click")  # a point of the trajectory
    assert page.evaluate("() => document.querySelector('.gv').gatescope.t") == 3


PAGE_VIEW = f"({GATE_VIEWS_JS})()[0]"


def test_on_explore_a_report_replaces_the_attribution_in_the_view_on_screen(app: App) -> None:
    app.open().wait_ready()  # the first view: a trained model with a head, its top prediction explained
    app.click(app.page.get_by_text("Attribution and state space"))  # the panels are off until turned on
    app.page.wait_for_function(f"() => {PAGE_VIEW}?.gatescope?.h.attribution?.step === 0", timeout=30_000)
    app.evaluate(f"() => {{ {PAGE_VIEW}.gatescope.marked = true; }}")  # this very view object, kept if not rebuilt
    app.evaluate("() => document.activeElement?.blur()")  # the switch keeps the arrow keys while it has the focus
    for _ in range(5):
        app.page.keyboard.press("ArrowRight")
    assert app.evaluate(f"() => {PAGE_VIEW}.gatescope.h.attribution.step") == 0  # nothing asked yet
    app.page.wait_for_function(f"() => {PAGE_VIEW}?.gatescope?.h.attribution?.step === 5", timeout=30_000)
    app.wait_idle()
    assert app.evaluate(f"() => {PAGE_VIEW}.gatescope.marked === true"), "the view was built again for a new step"
    norm = app.evaluate(f"() => Array.from({PAGE_VIEW}.gatescope.a['attr.norm'].values)")
    assert norm[5] > 0 and all(v == 0 for v in norm[6:]), norm
    assert not app.errors, app.diagnostics()
