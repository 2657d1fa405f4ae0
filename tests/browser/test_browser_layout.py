"""Nothing on a page is cut off or drawn over something else, measured in Chromium: the cell diagram's names
(an accent included) and labels, Compare's titles, readouts and notes at 1280×800 and 1280×720, presenter mode's
first screen at 1280×720 (every panel and the step panel), and a lesson stop whose knob is dragged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import GATE_VIEWS_JS, App
from tests.browser.test_browser_gateview import build, open_view
from workbench import keys

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Every text of the cell diagram (box names, labels, node symbols, box values) and every box, as rectangles in
# page pixels; a name's ink reaches as high as the font draws its tallest glyph (measured on a canvas in the
# element's own font), which a combining accent raises above the letter's box.
DIAGRAM_JS = """() => {
    const root = document.querySelector('.gv');
    const svg = root.querySelector('.gv-diagram');
    const rect = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
    const textRect = (e) => { const range = document.createRange(); range.selectNodeContents(e);
                              return rect(range.getBoundingClientRect()); };
    const ctx = document.createElement('canvas').getContext('2d');
    const names = [...svg.querySelectorAll('.gv-boxname')].map((name) => {
        const e = name.querySelector('.gv-text') ?? name;  // the line its letters are set on
        const style = getComputedStyle(e);
        ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const probe = document.createElement('span');  // an empty inline box: its bottom is the baseline
        probe.style.cssText = 'display:inline-block;width:0;height:0;vertical-align:baseline';
        e.appendChild(probe);
        const baseline = probe.getBoundingClientRect().bottom;
        probe.remove();
        const inkTop = baseline - ctx.measureText(e.textContent).actualBoundingBoxAscent * scale;
        return {text: e.textContent, inkTop, frameTop: name.parentElement.getBoundingClientRect().top,
                box: textRect(e)};
    });
    const texts = [...svg.querySelectorAll('.gv-boxname, .gv-label, .gv-nodetext, .gv-boxtext')]
        .map((e) => ({text: e.textContent, kind: e.getAttribute('class'),
                      box: e.tagName === 'DIV' ? textRect(e) : rect(e.getBoundingClientRect())}));
    const boxes = [...svg.querySelectorAll('.gv-box')].map((e) => rect(e.getBoundingClientRect()));
    return {names, texts, boxes};
}"""


def overlap(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack)


@pytest.mark.parametrize("kind", ["lstm", "lstmp", "gru", "peephole"])
def test_the_cell_diagram_draws_every_name_whole_and_nothing_over_a_box(page: Page, tmp_path: Path,
                                                                          kind: str) -> None:
    """C̃_t keeps its tilde (its name's frame once cut it off), and no label or name lies on a box or on another
    text (the projection's W_hr once lay on the h_t box)."""
    _, path = build(tmp_path, kind=kind)
    open_view(page, path)
    seen = page.evaluate(DIAGRAM_JS)
    cut = [f"{n['text']} ink from {n['inkTop']:.1f} px, its frame from {n['frameTop']:.1f} px"
           for n in seen["names"] if n["inkTop"] < n["frameTop"] - 0.5]
    assert not cut, f"{kind}: box names cut at the top: {cut}"
    assert any("\u0303" in n["text"] for n in seen["names"]) or kind not in ("lstm", "lstmp", "peephole")
    outside = [t for t in seen["texts"] if t["kind"] != "gv-boxtext"]
    on_box = [f"{t['text']} on a box" for t in outside for b in seen["boxes"] if overlap(t["box"], b)]
    clash = [f"{a['text']} / {b['text']}" for k, a in enumerate(seen["texts"]) for b in seen["texts"][k + 1:]
             if overlap(a["box"], b["box"])]
    assert (on_box, clash) == ([], []), f"{kind}: texts drawn over boxes or each other"


# Every text in the page's main area (inside components' shadow roots too) that a box cuts: drawn past the edge
# of an ancestor that hides or scrolls its overflow, or ended by an ellipsis; and every title of a pane (Compare's
# narrow views, where a title wraps) that runs into its map (the cursor's arrow stands 7 px above the map).
CUT_JS = """() => {
    const texts = [];
    const walk = (root) => {
        const nodes = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        while (nodes.nextNode()) if (nodes.currentNode.textContent.trim()) texts.push(nodes.currentNode);
        for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot);
    };
    const main = document.querySelector('[data-testid=stMain]');
    walk(main);
    const up = (e) => e.parentElement || e.getRootNode().host || null;
    const cut = [];
    for (const node of texts) {
        const e = node.parentElement;
        if (!e || ['STYLE', 'SCRIPT', 'OPTION'].includes(e.tagName) || !e.checkVisibility()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const r = range.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        const say = (why) => cut.push(`"${node.textContent.trim().slice(0, 60)}" ${why}`);
        const style = getComputedStyle(e);
        if (style.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1) {
            say(`ends in an ellipsis (${e.scrollWidth} px in ${e.clientWidth} px)`);
            continue;
        }
        for (let a = e; a && a !== main; a = up(a)) {
            const s = getComputedStyle(a);
            if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
            const b = a.getBoundingClientRect();
            if (b.width <= 2 || b.height <= 2) break;  // a screen reader's text, hidden on purpose
            if (r.left < b.left - 1 || r.right > b.right + 1 || r.top < b.top - 1 || r.bottom > b.bottom + 1) {
                say(`cut by ${a.className || a.tagName} (text ${Math.round(r.top)}..${Math.round(r.bottom)} px, `
                    + `box ${Math.round(b.top)}..${Math.round(b.bottom)} px)`);
                break;
            }
        }
    }
    const views = [];
    const find = (root) => { views.push(...root.querySelectorAll('.gv'));
        for (const e of root.querySelectorAll('*')) if (e.shadowRoot) find(e.shadowRoot); };
    find(document);
    const panes = views.filter((v) => v.matches('.gv-tight'));
    for (const panel of panes.flatMap((v) => [...v.querySelectorAll('.gv-panel')])) {
        const title = panel.querySelector('.gv-title');
        const map = panel.querySelector('.gv-plot, .gv-empty');
        if (!title || !map || !title.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(title);
        const bottom = range.getBoundingClientRect().bottom;
        const top = map.getBoundingClientRect().top - (map.classList.contains('gv-plot') ? 7 : 0);
        if (bottom > top + 0.5) cut.push(`"${title.textContent}" runs into its map (${bottom} px, map from ${top} px)`);
    }
    return cut;
}"""


@pytest.mark.parametrize("size", [pytest.param((1280, 800), id="1280x800"),
                                  pytest.param((1280, 720), id="1280x720", marks=pytest.mark.viewport(1280, 720))])
def test_compare_cuts_no_title_readout_or_note(app: App, size: tuple[int, int]) -> None:
    """Each pane's row titles ("keep share (derived)"), its readout ("· unit 0") and B − A's note on a row it does
    not compare are whole, at a laptop's width with the sidebar open."""
    app.open("compare").wait_ready()
    app.page.wait_for_function(f"() => ({GATE_VIEWS_JS})().length === 3", timeout=45_000)
    app.wait_idle()
    assert app.page.viewport_size == {"width": size[0], "height": size[1]}
    cut = app.evaluate(CUT_JS)
    app.screenshot(f"compare-whole-{size[0]}x{size[1]}")
    assert cut == [], "text cut off on Compare:\n" + "\n".join(cut)
    tops = app.evaluate(f"() => ({GATE_VIEWS_JS})().map(v => v.querySelector('.gv-readout')"
                        ".getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 1, f"the panes' readouts stand at {tops} px, not on one line"


# A slider's texts as boxes: its label, the value over its thumb, and the numbers at its ends.
SLIDER_JS = """key => {
    const s = document.querySelector(`.st-key-${key} [data-testid=stSlider]`);
    const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top,
                                                                      bottom: r.bottom, text: e.innerText}; };
    return {label: box(s.querySelector('[data-testid=stWidgetLabel] p')),
            value: box(s.querySelector('[data-testid=stSliderThumbValue] p')),
            ends: [...s.querySelectorAll('[data-testid=stSliderTickBar] p')].map(box)};
}"""


def _slider_clashes(seen: dict) -> list[str]:
    pairs = [(seen["value"], seen["label"]), *((seen["value"], end) for end in seen["ends"])]
    return [f"{a['text']!r} over {b['text']!r}" for a, b in pairs if overlap(a, b)]


@pytest.mark.viewport(1280, 720)
def test_a_lesson_knob_moved_while_presenting_keeps_the_slide_on_one_screen(app: App) -> None:
    """Stop 3 on a projector: dragging its knob leaves the slide as tall as it was, "Open in Explore" on the
    screen, and the knob's value clear of its label and its end numbers."""
    key = keys.LESSONS.knob("forget-gate")
    app.open("lessons?stop=forget-gate&present=1").wait_ready()
    app.page.get_by_role("heading", name="3. The forget gate").wait_for()
    app.wait_idle()
    open_explore = app.page.get_by_role("button", name="Open in Explore")
    words = app.page.locator(f".st-key-{key}").locator("xpath=ancestor::*[@data-testid='stColumn'][1]")
    before = words.bounding_box()
    assert before is not None
    assert _slider_clashes(app.evaluate(SLIDER_JS, key)) == []
    thumb = app.page.locator(f".st-key-{key} [data-testid=stSliderThumbValue]").bounding_box()
    assert thumb is not None
    x, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] + 12  # on the thumb, below its value
    app.page.mouse.move(x, y)
    app.page.mouse.down()
    app.page.mouse.move(x - 200, y, steps=10)
    app.page.mouse.up()
    app.page.get_by_role("button", name="↺", disabled=False).wait_for(timeout=20_000)  # off the stop as built
    app.wait_idle()
    seen = app.evaluate(SLIDER_JS, key)
    assert float(seen["value"]["text"]) < 0, seen["value"]  # the knob moved, and its note was written
    after = words.bounding_box()
    button = open_explore.bounding_box()
    assert after is not None and button is not None
    assert after["height"] <= before["height"] + 1, f"the slide's left column grew from {before} to {after}"
    assert button["y"] + button["height"] <= 720, f"Open in Explore ends at {button['y'] + button['height']} px"
    assert _slider_clashes(seen) == []
    app.screenshot("lesson-knob-moved-presenting-1280x720", whole_app=False)


# Every panel and step panel of every gate view, with its name and its box on the page.
PANELS_JS = f"""() => ({GATE_VIEWS_JS})().flatMap(v => [...v.querySelectorAll('.gv-panel, .gv-side')].map(e => {{
    const r = e.getBoundingClientRect();
    const name = e.classList.contains('gv-side') ? 'step panel'
        : (e.querySelector('.gv-sym, .gv-title')?.textContent || 'lines');
    return {{name: `${{v.gatescope.h.where || v.gatescope.h.label}}: ${{name}}`, top: r.top, bottom: r.bottom,
             left: r.left, right: r.right}};
}}))"""


@pytest.mark.viewport(1280, 720)
@pytest.mark.parametrize(("path", "views", "panels"), [("?present=1", 1, 9), ("compare?present=1", 3, 18)],
                         ids=["explore", "compare"])
def test_presenting_shows_every_panel_and_the_step_panel_on_the_first_screen(app: App, path: str, views: int,
                                                                             panels: int) -> None:
    """A projector's 1280×720: Explore's maps, its line chart and its step panel, and all of Compare's rows in all
    three panes, are on the screen as the page opens, none of their text cut."""
    app.open(path).wait_ready()
    app.page.wait_for_function(f"() => ({GATE_VIEWS_JS})().length === {views}", timeout=45_000)
    app.wait_idle()
    app.page.wait_for_timeout(500)  # the views lay themselves out once their width is known
    shown = app.evaluate(PANELS_JS)
    assert len(shown) == panels, [p["name"] for p in shown]  # Explore: 7 maps, the lines, the step panel
    off = [f"{p['name']} at {p['top']:.0f}..{p['bottom']:.0f} px" for p in shown
           if p["top"] < 0 or p["bottom"] > 720 or p["left"] < 0 or p["right"] > 1280]
    name = path.split("?")[0] or "explore"
    app.screenshot(f"{name}-presenting-1280x720", whole_app=False)
    assert off == [], f"off the first screen at 1280×720: {off}"
    cut = app.evaluate(CUT_JS)
    assert cut == [], "text cut off:\n" + "\n".join(cut)


@pytest.mark.viewport(1280, 720)
@pytest.mark.parametrize(("query", "name", "panels"), [("?kind=lstmp&present=1", "lstmp", 10),
                                                       ("?model=trained:text_lstm&present=1", "text-lstm", 9)],
                         ids=["projected-lstm", "text-lstm-32-units"])
def test_presenting_a_projected_lstm_or_32_units_fits_the_first_screen(app: App, query: str, name: str,
                                                                        panels: int) -> None:
    """Explore presenting the projected LSTM (one more map: m_t before the projection) or the 32-unit text model
    (four times the rows of a drawn network): every map, the line chart and the step panel on a projector's first
    screen, as for the other models (they ended at 754 and 937 px), no title cut and none over its map."""
    app.open(query).wait_ready()
    app.page.wait_for_function(f"() => ({GATE_VIEWS_JS})().length === 1", timeout=45_000)
    app.wait_idle()
    # the view lays itself out once its width is known, and fits its rows to the screen after
    app.wait_true(f"() => ({PANELS_JS})().every(p => p.bottom <= 720)", timeout_ms=10_000)
    shown = app.evaluate(PANELS_JS)
    assert len(shown) == panels, [p["name"] for p in shown]  # the maps, the lines, the step panel
    off = [f"{p['name']} at {p['top']:.0f}..{p['bottom']:.0f} px" for p in shown
           if p["top"] < 0 or p["bottom"] > 720 or p["left"] < 0 or p["right"] > 1280]
    app.screenshot(f"explore-presenting-{name}-1280x720", whole_app=False)
    assert off == [], f"off the first screen at 1280×720: {off}"
    cut = app.evaluate(CUT_JS)
    assert cut == [], "text cut off:\n" + "\n".join(cut)
    over = app.evaluate(TITLE_OVER_MAP_JS)
    assert over == [], f"a title's last line over its map's first row or the cursor's mark: {over}"
    row = f"({GATE_VIEWS_JS})()[0].gatescope.heat.find(p => p.p.name === 'forget').rowPx"
    fitted = app.evaluate(f"() => {row}")
    app.page.set_viewport_size({"width": 1280, "height": 900})  # a taller screen: the rows grow back, on it still
    app.page.wait_for_function(f"() => {row} > {fitted}", timeout=10_000)
    assert [p["name"] for p in app.evaluate(PANELS_JS) if p["bottom"] > 900] == []


@pytest.mark.viewport(1280, 720)
def test_a_presented_view_fits_again_when_what_is_above_it_moves(app: App) -> None:
    """A projector's view is fitted where it stands when drawn. What is above it can settle later (the sequence box
    sizes itself once it is drawn): the view moved up takes the room, moved down it fits again, on the first screen."""
    app.open("?model=trained:text_lstm&present=1").wait_ready()
    app.page.wait_for_function(f"() => ({GATE_VIEWS_JS})().length === 1", timeout=45_000)
    app.wait_idle()
    app.wait_true(f"() => ({PANELS_JS})().every(p => p.bottom <= 720)", timeout_ms=10_000)
    row = f"({GATE_VIEWS_JS})()[0].gatescope.heat.find(p => p.p.name === 'forget').rowPx"
    fitted = app.evaluate(f"() => {row}")
    box = ".st-key-explore_seq_text_box"
    app.evaluate(f"() => {{ document.querySelector({box!r}).style.display = 'none'; }}")  # the view moves up
    app.wait_true(f"() => {row} > {fitted}", timeout_ms=5_000)
    grown = app.evaluate(f"() => {row}")
    assert grown > fitted, f"moved up, the maps kept their {fitted} px rows"
    app.evaluate(f"() => {{ document.querySelector({box!r}).style.display = ''; }}")  # and back down
    app.wait_true(f"() => ({PANELS_JS})().every(p => p.bottom <= 720)", timeout_ms=5_000)
    off = [f"{p['name']} at {p['top']:.0f}..{p['bottom']:.0f} px" for p in app.evaluate(PANELS_JS) if p["bottom"] > 720]
    assert off == [], f"moved back down with {grown} px rows, the view ends off the first screen: {off}"
    assert app.evaluate(f"() => {row}") == fitted


# Each map whose title's last line of text comes nearer its map than a one-line title's does (4.9 px): into the
# cursor's mark above the map, or the first row's name.
TITLE_OVER_MAP_JS = f"""() => ({GATE_VIEWS_JS})().flatMap(v => [...v.querySelectorAll('.gv-panel')].flatMap(box => {{
    const title = box.querySelector('.gv-head .gv-title'), frame = box.querySelector('.gv-frame');
    if (!title || !frame) return [];
    const text = document.createRange();
    text.selectNodeContents(title);
    const bottom = Math.max(...[...text.getClientRects()].map(r => r.bottom)), top = frame.getBoundingClientRect().top;
    const said = `${{title.textContent}}: ends at ${{bottom.toFixed(1)}}, its map starts at ${{top.toFixed(1)}}`;
    return bottom > top - 4 ? [said] : [];
}}))"""
