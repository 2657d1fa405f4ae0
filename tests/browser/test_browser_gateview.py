"""The gate view in Chromium, on its offline page (no server at all), and last what the server hears from it.

Each test builds a view from a real trace (cells -> viz.gateview -> viz.export.gate_view_html), writes the
one HTML file a teacher would download, opens it from disk and drives it as a user does: the slider,
◀ ▶, the keys, Play/Pause, a click on a heatmap cell. What is checked is what the user sees: every
cursor mark (one per panel, placed by its CSS `left`), the readout, the step panel's numbers (against
the engine's own `viz.equations.step_equations`), the diagram's boxes, the chosen unit's mark. The last tests
open Explore on a server: clicks reach it once the user stops, and the offline file starts where the user was.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from conftest import GATE_VIEWS_JS, REPORT_AFTER_MS, WATCH_INPUTS_JS, WATCH_RUNS_JS, App, pauses

import cells
from viz import equations as eqs
from viz.export import gate_view_html
from viz.gateview import CSS, PAGE_JS, gate_view, pack, unpack
from viz.style import COLOURBLIND, STANDARD, Palette
from workbench import keys

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TEXT = "gates remember"  # 14 steps, a repeated letter or two

# What the view shows: the cursor, every mark's CSS left, the chosen unit's marks, the texts around them.
STATE_JS = """() => {
    const root = document.querySelector('.gv');
    const v = root.gatescope;
    return {
        t: v.t, unit: v.unit, panels: v.h.panels.length + 1, playing: v.playing, steps: v.h.steps,
        colW: v.plotWidth / v.h.steps,
        lefts: [...root.querySelectorAll('.gv-cursor')].map(c => parseFloat(c.style.left)),
        units: [...root.querySelectorAll('.gv-unit')].map(u => ({
            hidden: u.hidden, top: parseFloat(u.style.top), height: parseFloat(u.style.height),
            plot: u.parentElement.getBoundingClientRect().height})),
        slider: Number(root.querySelector('.gv-slider').value),
        readout: root.querySelector('.gv-readout').textContent,
        step: root.querySelector('.gv-step').textContent,
        nums: [...root.querySelectorAll('.gv-nums')].map(n => n.textContent),
        boxes: [...root.querySelectorAll('.gv-boxtext')].map(b => b.textContent),
        play: root.querySelector('.gv-play').textContent,
    };
}"""
NUMBER = re.compile(r"-?\d+\.\d+")


@dataclass(frozen=True)
class Shown:
    t: int
    unit: int
    playing: bool
    panels: int
    steps: int
    colW: float
    lefts: list[float]
    units: list[dict]
    slider: int
    readout: str
    step: str
    nums: list[str]
    boxes: list[str]
    play: str


def build(tmp_path: Path, kind: str = "lstm", text: str = TEXT, hidden: int = 8, inputs: int = 5, *,
          backward: bool = False, seed: int = 0) -> tuple[cells.Trace, Path]:
    """A trace of a ``kind`` network over random inputs, one step per character of ``text``, and its
    offline page on disk. ``backward`` takes the backward direction of a bidirectional layer."""
    network = cells.Network.create(kind, inputs, hidden, bidirectional=backward, seed=seed)
    xs = np.random.default_rng(seed).standard_normal((len(text), inputs))  # (T, I)
    layer = network.run(xs).layers[0]
    trace = layer.backward if backward else layer.forward
    view = gate_view(trace, list(text), [f"x{i}" for i in range(inputs)], where="backward" if backward else "")
    path = tmp_path / f"view-{kind}-{len(text)}x{hidden}{'-backward' if backward else ''}.html"
    path.write_text(gate_view_html(pack(view)), encoding="utf-8")
    return trace, path


def open_view(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.gv')?.gatescope !== undefined", timeout=10_000)


def shown(page: Page) -> Shown:
    return Shown(**page.evaluate(STATE_JS))


def assert_marks_at(page: Page, t: int, unit: int | None = None) -> Shown:
    """Every panel's cursor mark, the slider and the readout show step ``t`` (and the unit, when given)."""
    s = shown(page)
    assert s.t == t, f"the view's cursor is at step {s.t}, expected {t}"
    assert len(s.lefts) == s.panels, f"{len(s.lefts)} cursor marks on {s.panels} panels (the gates, x_t, the lines)"
    off = [left for left in s.lefts if abs(left - t * s.colW) > 0.5]
    assert not off, f"marks at {s.lefts} px, expected all at {t * s.colW:.1f} px (step {t})"
    assert s.slider == t, f"slider at {s.slider}, cursor at {t}"
    assert s.readout.startswith(f"step {t} of {s.steps - 1} · token “{TEXT[t]}”"), s.readout
    assert s.step.startswith(f"Step {t} "), s.step
    if unit is not None:
        assert s.unit == unit, f"unit {s.unit}, expected {unit}"
        assert f"unit {unit}" in s.readout, s.readout
    return s


@pytest.fixture
def lstm_page(page: Page, tmp_path: Path) -> Page:
    _, path = build(tmp_path)
    open_view(page, path)
    return page


def test_the_slider_moves_every_mark(lstm_page: Page) -> None:
    page = lstm_page
    assert_marks_at(page, 0, 0)
    slider = page.locator(".gv-slider")
    for t in (5, 13, 2):
        slider.fill(str(t))  # sets the value and fires input and change, as dragging does
        assert_marks_at(page, t)


def test_the_buttons_move_every_mark(lstm_page: Page) -> None:
    page = lstm_page
    back, forward = page.locator(".gv-btn", has_text="◀"), page.locator(".gv-btn", has_text="▶")
    assert back.is_disabled(), "◀ is enabled at the first step"
    for t in (1, 2, 3):
        forward.click()
        assert_marks_at(page, t)
    back.click()
    assert_marks_at(page, 2)


def test_the_keys_move_every_mark(lstm_page: Page) -> None:
    page = lstm_page
    page.locator("h1").click()  # the focus on the page, not in the view: ← → Home End still answer
    for key, t in [("ArrowRight", 1), ("ArrowRight", 2), ("End", len(TEXT) - 1), ("ArrowLeft", len(TEXT) - 2),
                   ("Home", 0), ("ArrowLeft", 0)]:
        page.keyboard.press(key)
        assert_marks_at(page, t)
    page.locator(".gv").focus()  # ↑ ↓ pick the unit while the view has the focus
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert_marks_at(page, 0, 2)
    page.keyboard.press("ArrowUp")
    assert_marks_at(page, 0, 1)


def test_play_moves_every_mark_and_pause_stops_at_once(lstm_page: Page) -> None:
    page = lstm_page
    page.locator(".gv-speed select").select_option("20")
    play = page.locator(".gv-play")
    play.click()
    # Once it has played to step 3, pause, reading the view and the cursor in the same task as the click: nothing
    # may move after it. (Read apart, a loaded machine could let it play to the end in between.)
    playing, label, paused = page.wait_for_function("""() => {
        const root = document.querySelector('.gv');
        const v = root.gatescope, button = root.querySelector('.gv-play');
        if (v.t < 3) return false;
        const seen = [v.playing, button.textContent];
        button.click();
        return [...seen, v.t];
    }""", timeout=10_000).json_value()
    assert playing and label == "Pause", (playing, label)
    assert 3 <= paused < len(TEXT) - 1, f"playing at 20/s ran to step {paused} of {len(TEXT) - 1}"
    page.wait_for_timeout(600)  # 12 steps at 20/s
    s = assert_marks_at(page, paused)
    assert not s.playing and s.play == "Play", s


def test_play_moves_every_mark_while_playing(lstm_page: Page) -> None:
    page = lstm_page
    page.locator(".gv-speed select").select_option("5")
    page.locator(".gv-play").click()
    # Sampled in the page while it plays: every mark, the slider and the readout follow the cursor.
    seen = page.evaluate("""() => new Promise(done => {
        const root = document.querySelector('.gv');
        const v = root.gatescope;
        const samples = [];
        const look = () => {
            const marks = [...root.querySelectorAll('.gv-cursor')].map(c => parseFloat(c.style.left));
            samples.push({t: v.t, ok: marks.every(m => Math.abs(m - v.t * v.plotWidth / v.h.steps) < 0.5)
                && Number(root.querySelector('.gv-slider').value) === v.t
                && root.querySelector('.gv-readout').textContent.startsWith(`step ${v.t} `)});
            if (v.t >= 3) done(samples); else requestAnimationFrame(look);
        };
        requestAnimationFrame(look);
    })""")
    assert {s["t"] for s in seen} >= {0, 1, 2, 3}, [s["t"] for s in seen]
    assert all(s["ok"] for s in seen), [s for s in seen if not s["ok"]]


def cell_centre(page: Page, gate: str, t: int, row: int) -> tuple[float, float]:
    """Where on screen the cell (step ``t``, shown row ``row``) of a gate's heatmap is drawn."""
    return tuple(page.evaluate("""([gate, t, row]) => {
        const root = document.querySelector('.gv');
        const v = root.gatescope;
        const panel = v.panels.find(p => p.p.name === gate);
        const box = panel.canvas.getBoundingClientRect();
        return [box.left + (t + 0.5) * box.width / v.h.steps, box.top + (row + 0.5) * panel.rowPx];
    }""", [gate, t, row]))


def test_a_click_on_a_heatmap_cell_picks_its_step_and_unit(lstm_page: Page) -> None:
    page = lstm_page
    for gate, t, unit in [("forget", 6, 3), ("hidden", 11, 7), ("candidate", 0, 0)]:
        x, y = cell_centre(page, gate, t, unit)
        page.mouse.click(x, y)
        s = assert_marks_at(page, t, unit)
        marks = s.units
        assert marks and all(not m["hidden"] for m in marks), marks
        row = marks[0]["height"]
        assert all(abs(m["top"] - unit * m["height"]) < 0.5 for m in marks), (unit, marks)
        assert row > 0
    # A click on the inputs' map picks the step and keeps the unit.
    x, y = cell_centre(page, "inputs", 4, 1)
    page.mouse.click(x, y)
    assert_marks_at(page, 4, 0)


def engine_numbers(kind: str, trace: cells.Trace, t: int, unit: int) -> list[list[str]]:
    """The numbers of every plugged-in equation at (t, unit), as the engine's step panel writes them."""
    rows = eqs.step_equations(kind, trace.at(t), unit)
    return [NUMBER.findall(line.split(" = ", 2)[2]) for line in rows]


@pytest.mark.parametrize(
    ("kind", "backward"),
    [("lstm", False), ("coupled", False), ("gru", False), ("gru_torch", False), ("lstm", True), ("gru", True),
     ("lstmp", False), ("lstmp", True)],
    ids=["lstm", "coupled", "gru", "gru_torch", "lstm-backward", "gru-backward", "lstmp", "lstmp-backward"],
)
def test_the_step_panel_shows_the_engines_numbers(page: Page, tmp_path: Path, kind: str, backward: bool) -> None:
    trace, path = build(tmp_path, kind, backward=backward, seed=3)
    open_view(page, path)
    T, H = trace.steps, trace.hidden_size
    # The edges matter: a forward trace's h_{t-1} at t = 0 and a backward one's at t = T-1 is the initial state.
    for t, unit in [(0, 0), (1, 3), (T // 2, H - 1), (T - 2, 2), (T - 1, 5)]:
        page.evaluate("([t, u]) => document.querySelector('.gv').gatescope.go(t, u)", [t, unit])
        s = assert_marks_at(page, t, unit)
        got = [NUMBER.findall(text) for text in s.nums]
        want = engine_numbers(kind, trace, t, unit)
        which = f"{kind}{' backward' if backward else ''} at step {t}, unit {unit}"
        assert got == want, f"{which}: page {s.nums}, engine {want}"
        boxes = page.evaluate("() => document.querySelector('.gv').gatescope.h.diagram.boxes.map(b => b.name)")
        # h_t of a projection (lstmp) has P < H rows: a unit past them shows h_t's last row, as the engine's panel
        want_boxes = [eqs.fmt(trace.values[name][t, min(unit, trace.values[name].shape[1] - 1)]) for name in boxes]
        assert s.boxes == want_boxes, (boxes, s.boxes)
        assert "NaN" not in " ".join(s.nums + s.boxes) and "undefined" not in " ".join(s.nums + s.boxes)


def test_the_numbers_follow_the_keys(lstm_page: Page, tmp_path: Path) -> None:
    """Reached by keys, not by a call: → three times and ↓ twice show the engine's numbers at (3, 2)."""
    trace, _ = build(tmp_path)
    page = lstm_page
    page.locator(".gv").focus()
    for key in ["ArrowRight"] * 3 + ["ArrowDown"] * 2:
        page.keyboard.press(key)
    s = assert_marks_at(page, 3, 2)
    assert [NUMBER.findall(text) for text in s.nums] == engine_numbers("lstm", trace, 3, 2), s.nums


def hovered_unit(page: Page, gate: str, row: int) -> str:
    """The tooltip's text over a shown row of a gate's map, at the cursor's step."""
    t = shown(page).t
    x, y = cell_centre(page, gate, t, row)
    page.mouse.move(x, y)
    return page.locator(".gv-tip").inner_text()


def test_128_units_show_32_rows_and_keep_the_chosen_unit_in_sight(page: Page, tmp_path: Path) -> None:
    _, path = build(tmp_path, "lstm", hidden=128)
    open_view(page, path)
    rows = page.evaluate("""() => document.querySelector('.gv').gatescope.panels.filter(p => p.isUnits)
        .map(p => [p.shownRows, Math.round(p.canvas.getBoundingClientRect().height / p.rowPx)])""")
    assert rows and all(r == [32, 32] for r in rows), f"(rows shown, rows that fit) per gate: {rows}"

    # A click on the last shown row picks unit 31; ↓ then leaves the shown rows, and the view follows.
    x, y = cell_centre(page, "forget", 4, 31)
    page.mouse.click(x, y)
    assert_marks_at(page, 4, 31)
    page.locator(".gv").focus()
    for unit in range(32, 40):
        page.keyboard.press("ArrowDown")
        s = assert_marks_at(page, 4, unit)
        marks = s.units
        inside = all(not m["hidden"] and m["top"] >= 0 and m["top"] + m["height"] <= m["plot"] + 0.5 for m in marks)
        assert inside, f"unit {unit}'s mark is outside its map: {marks}"
    # What is under the mark is the chosen unit: the tooltip over that row names it.
    row = round(shown(page).units[0]["top"] / shown(page).units[0]["height"])
    assert "unit 39 " in hovered_unit(page, "forget", row) + " "
    # And a click far down, after scrolling by keys, picks what is drawn there.
    page.keyboard.press("End")
    x, y = cell_centre(page, "hidden", 13, 0)
    page.mouse.click(x, y)
    first = page.evaluate("() => { const v = document.querySelector('.gv').gatescope; return v.order[v.offset]; }")
    assert_marks_at(page, 13, first)


def test_the_file_opens_and_scrubs_with_no_network(browser: Browser, tmp_path: Path) -> None:
    """The downloaded file is all a laptop in class has: opened offline, it draws, scrubs and plays."""
    _, path = build(tmp_path, "gru")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    requests: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_view(page, path)
        drawn = page.evaluate("""() => [...document.querySelectorAll('.gv-heat')].slice(0, -1).map(c => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let k = 3; k < data.length; k += 4) painted += data[k] > 0;
            return painted / (data.length / 4);
        })""")
        assert drawn and min(drawn) > 0.95, f"share of each heatmap painted: {drawn}"
        page.locator("h1").click()
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        assert_marks_at(page, 4)
        page.locator(".gv-slider").fill("9")
        assert_marks_at(page, 9)
        page.locator(".gv-play").click()
        page.wait_for_function("() => document.querySelector('.gv').gatescope.t >= 11", timeout=10_000)
        assert errors == [], errors
        assert [u for u in requests if not u.startswith("file:")] == [], requests
    finally:
        context.close()



def test_two_views_of_one_group_share_the_cursor_and_one_answers_the_pages_keys(page: Page, tmp_path: Path) -> None:
    """Compare's panes: two views in one group on one page. A key on the page moves both by one step (one view
    answers it, the other follows), a click on B's map moves A, and a colour range picked in A is B's too."""
    views = []
    for name, seed in (("A", 0), ("B", 1)):
        trace, _ = build(tmp_path, seed=seed)
        view = gate_view(trace, list(TEXT), [f"x{i}" for i in range(5)], where=name)
        view.header.update(group="pair", bar=name == "A")
        views.append(base64.b64encode(pack(view)).decode())
    path = tmp_path / "pair.html"
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8"><style>{CSS}</style></head><body>
        <h1>pair</h1><div id="a"></div><div id="b"></div><script type="module">{PAGE_JS}
        for (const [id, data] of [["a", "{views[0]}"], ["b", "{views[1]}"]]) {{
            mountGateView({{ parentElement: document.getElementById(id), key: id, setStateValue: () => {{}},
                             data: Uint8Array.from(atob(data), (c) => c.charCodeAt(0)) }});
        }}</script></body></html>""", encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.gv').length === 2", timeout=10_000)
    cursors = "() => [...document.querySelectorAll('.gv')].map(r => [r.gatescope.t, r.gatescope.unit])"
    page.locator("h1").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(cursors) == [[2, 0], [2, 0]]
    forget = page.locator("#b .gv-panel[data-name=forget] canvas.gv-heat")
    forget.scroll_into_view_if_needed()
    box = forget.bounding_box()
    rows = page.evaluate("() => document.querySelector('#b .gv').gatescope.panels[1].rowPx")
    page.mouse.click(box["x"] + 9.5 * box["width"] / len(TEXT), box["y"] + 4.5 * rows)
    assert page.evaluate(cursors) == [[9, 4], [9, 4]]
    page.locator('#a .gv-panel[data-name="cell"] .gv-rangepick').select_option("unit")
    ranges = page.evaluate("() => [...document.querySelectorAll('.gv')].map(r => r.gatescope.ranges)")
    assert ranges == ["unit", "unit"]


# ----- colours ----------------------------------------------------------------------------------------------
# A shown cell's colour, read from the heatmap the user sees (its canvas, at the cell's centre).
PIXEL_JS = """([gate, t, row]) => {
    const v = document.querySelector('.gv').gatescope;
    const panel = v.panels.find(p => p.p.name === gate);
    const c = panel.canvas;
    const x = Math.floor((t + 0.5) * c.width / v.h.steps);
    const y = Math.floor((row + 0.5) * c.height / panel.shownRows);
    return [...c.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3)];
}"""
LEGEND_JS = """(gate) => {
    const box = document.querySelector(`.gv-panel[data-name="${gate}"] .gv-legend`);
    const pick = box.querySelector('select');
    return {low: box.querySelector('.gv-low').textContent, high: box.querySelector('.gv-high').textContent,
            what: box.querySelector('.gv-what').textContent, pick: pick ? pick.selectedOptions[0].textContent : null,
            title: box.title};
}"""


def expected_colour(stops: list[list[int]], value: float, lo: float, hi: float) -> np.ndarray:
    """The colour the view gives ``value`` on [lo, hi]: 256 levels between the palette's stops."""
    share = round(min(max((value - lo) / (hi - lo), 0.0), 1.0) * 255) / 255
    pos = share * (len(stops) - 1)
    k = min(int(pos), len(stops) - 2)
    w = pos - k
    return np.array(stops[k]) * (1 - w) + np.array(stops[k + 1]) * w


def counting_view(tmp_path: Path, palette: Palette = STANDARD) -> tuple[cells.Trace, Path]:
    """Unit 0 of C_t counts the steps (up to 14, so C_t's range is ±20); unit 1 creeps up by 0.05 a step."""
    H = 2
    zeros = {g: np.zeros((H, H + 1)) for g in cells.LSTM.GATES}
    biases = {"forget": np.full(H, 10.0), "input": np.full(H, 10.0), "candidate": np.array([10.0, 0.05]),
              "output": np.zeros(H)}
    trace = cells.LSTM(zeros, biases).run(np.zeros((len(TEXT), 1)))
    path = tmp_path / f"counting-{palette.name}.html"
    path.write_text(gate_view_html(pack(gate_view(trace, list(TEXT), ["x"], palette=palette))), encoding="utf-8")
    return trace, path


def test_each_units_own_range_colours_a_small_unit_and_the_legend_says_so(page: Page, tmp_path: Path) -> None:
    trace, path = counting_view(tmp_path)
    open_view(page, path)
    last = len(TEXT) - 1
    small = float(trace.values["cell"][last, 1])  # about 0.7, on C_t's ±20
    shared = np.array(page.evaluate(PIXEL_JS, ["cell", last, 1]))
    stops = STANDARD.stops("diverging", 11)
    assert np.abs(shared - expected_colour(stops, small, -20, 20)).max() <= 2, shared
    legend = page.evaluate(LEGEND_JS, "cell")
    assert (legend["low"], legend["high"], legend["pick"]) == ("−20", "20", "one range"), legend
    page.evaluate("([t, u]) => document.querySelector('.gv').gatescope.go(t, u)", [last, 1])
    numbers = shown(page).nums
    page.locator('.gv-panel[data-name="cell"] .gv-rangepick').select_option("unit")
    own = np.array(page.evaluate(PIXEL_JS, ["cell", last, 1]))
    assert np.abs(own - np.array(stops[-1])).max() <= 2, own  # unit 1's largest value: the top of its own range
    assert np.abs(own - shared).max() > 60, (shared, own)
    legend = page.evaluate(LEGEND_JS, "cell")
    bound = np.abs(trace.values["cell"][:, 1]).max()
    assert (legend["low"], legend["high"], legend["pick"]) == (f"−{bound:.2g}", f"{bound:.2g}", "per unit"), legend
    assert "unit 1's is ±" in legend["title"]
    assert shown(page).nums == numbers  # the step panel still says the values themselves
    # The forget gate's fixed 0..1 range is not stretched: its legend and colours stay.
    assert page.evaluate(LEGEND_JS, "forget")["pick"] is None


def test_a_view_drawn_in_the_colour_blind_palette_paints_its_stops(page: Page, tmp_path: Path) -> None:
    trace, path = build(tmp_path)
    view = unpack(pack(gate_view(trace, list(TEXT), [f"x{i}" for i in range(5)], palette=COLOURBLIND)))[0]
    path.write_text(gate_view_html(pack(gate_view(trace, list(TEXT), [f"x{i}" for i in range(5)],
                                                  palette=COLOURBLIND))), encoding="utf-8")
    open_view(page, path)
    for gate, t, unit, (lo, hi), scale in [("forget", 3, 2, (0, 1), "sequential"),
                                          ("hidden", 7, 5, (-1, 1), "diverging")]:
        value = float(trace.values[gate][t, unit])
        got = np.array(page.evaluate(PIXEL_JS, [gate, t, unit]))
        want = expected_colour(COLOURBLIND.stops(scale, 11), value, lo, hi)
        assert np.abs(got - want).max() <= 2, (gate, value, got, want)
        standard = expected_colour(STANDARD.stops(scale, 11), value, lo, hi)
        assert np.abs(got - standard).max() > 20, (gate, got, standard)  # not the standard colours
    assert view["colours"]["unit_mark"] == COLOURBLIND.unit_mark
    mark = page.evaluate("() => getComputedStyle(document.querySelector('.gv-unit')).borderTopStyle")
    assert mark == "dashed"  # the chosen unit's outline is dashed, the cursor's solid: told apart by shape
    cursor = page.evaluate("() => getComputedStyle(document.querySelector('.gv-cursor')).borderTopStyle")
    assert cursor == "solid"
    # The chosen unit's lines: the palette's colours, and each its own dash or width, so no line needs its colour.
    key = page.evaluate("""() => [...document.querySelectorAll('.gv-keyline line')].map(l =>
        [l.getAttribute('stroke'), `${l.getAttribute('stroke-dasharray')}/${l.getAttribute('stroke-width')}`])""")
    shown_lines = len(cells.KINDS["lstm"].SHOWN)
    assert [colour for colour, _ in key] == list(COLOURBLIND.lines[:shown_lines])
    assert len({style for _, style in key}) == shown_lines, key


# ----- what the server hears ----------------------------------------------------------------------------------
# The offline page reports to nobody; a recorder put in the view's place of the server counts what it would hear.
RECORD_REPORTS_JS = """() => {
    const v = document.querySelector('.gv').gatescope;
    window.reports = [];
    v.report = (name, value) => window.reports.push([name, value]);
}"""


def play_then_pause(page: Page, view_js: str) -> None:
    """Click Play, then Pause once the cursor has moved: the Pause is clicked in the page, in the task that sees the
    move. (A wait measured in the test can outlast the whole play on a loaded machine; the second click then
    started it again from step 0.)"""
    start = page.evaluate(f"() => ({view_js}).gatescope.t")
    page.locator(".gv-play").click()
    how = page.wait_for_function(f"""start => {{
        const root = {view_js}, v = root.gatescope;
        if (v.t <= start) return false;
        if (!v.playing) return 'ended';
        root.querySelector('.gv-play').click();
        return 'paused';
    }}""", arg=start, timeout=10_000).json_value()
    assert how == "paused", "Play ran to the last step before the test saw the cursor move"


def test_clicks_on_the_step_buttons_and_play_report_once_after_a_pause(lstm_page: Page) -> None:
    """◀ ▶ and Play/Pause, clicked in a row, report the cursor once, after the user stops, as keys do."""
    page = lstm_page
    page.evaluate(RECORD_REPORTS_JS)
    page.evaluate(WATCH_INPUTS_JS)
    forward, back = page.locator(".gv-btn", has_text="▶"), page.locator(".gv-btn", has_text="◀")
    for t in (1, 2, 3, 4):
        forward.click()
        page.wait_for_timeout(100)
        assert_marks_at(page, t)
    back.click()
    play_then_pause(page, "document.querySelector('.gv')")
    at, stopped = shown(page).t, pauses(page)
    early = page.evaluate("() => window.reports")
    assert len(early) <= stopped, f"a click reported the cursor before the user stopped: {early}, {stopped} pauses"
    # The report of where the user stopped (one at an earlier pause may have told it: none tells a cursor twice).
    page.wait_for_function("t => window.reports.at(-1)?.[1].t === t", arg=at, timeout=10_000)
    page.wait_for_timeout(REPORT_AFTER_MS)  # time for a second report, which must not come
    reports = page.evaluate("() => window.reports")
    assert len(reports) <= stopped + 1 and reports[-1] == ["cursor", {"t": at, "unit": 0}], (reports, stopped)
    # A click on a heatmap cell is the user's choice, heard as soon as the user stops too.
    page.mouse.click(*cell_centre(page, "forget", 9, 2))
    page.wait_for_function("n => window.reports.length > n", arg=len(reports), timeout=10_000)
    page.wait_for_timeout(REPORT_AFTER_MS)
    assert page.evaluate("() => window.reports")[len(reports):] == [["cursor", {"t": 9, "unit": 2}]]


# ----- on the Explore page, through a server ------------------------------------------------------------------
PAGE_VIEW = f"({GATE_VIEWS_JS})()[0]"  # JS: the page's gate view root, inside its component's shadow root

def page_cursor(app: App) -> tuple[int, int]:
    return tuple(app.evaluate(f"() => {{ const v = {PAGE_VIEW}.gatescope; return [v.t, v.unit]; }}"))


def wait_for_link(app: App, t: int, unit: int) -> None:
    """Wait for the page's link to hold the cursor (the server heard the report and reran); fail with what it holds."""
    app.wait_true("([t, u]) => { const q = new URLSearchParams(location.search); "
                  "return q.get('t') === String(t) && (q.get('unit') ?? '0') === String(u); }", [t, unit])
    query = app.evaluate("() => { const q = new URLSearchParams(location.search); "
                         "return [q.get('t'), q.get('unit') ?? '0']; }")
    assert query == [str(t), str(unit)], (
        f"the link holds step {query[0]}, unit {query[1]}; the cursor is at {page_cursor(app)}, expected ({t}, {unit})")


def open_explore(app: App) -> None:
    app.open_drawn()
    app.page.wait_for_function(f"() => {PAGE_VIEW}?.gatescope?.panels.every(p => p.canvas.width > 0)",
                               timeout=30_000)
    app.wait_idle()


def test_on_explore_clicks_on_the_step_buttons_rerun_the_page_once(app: App) -> None:
    """Five clicks on ◀ ▶ and a Play/Pause send nothing and run nothing until the user stops; then one report."""
    sent: list[bytes | str] = []
    app.page.on("websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(frame)))
    open_explore(app)
    app.page.wait_for_timeout(500)
    app.wait_idle()  # a run that began in that half second (a loaded machine's late first report) ends first
    app.evaluate(WATCH_RUNS_JS)
    app.evaluate(WATCH_INPUTS_JS)
    before = len(sent)
    forward, back = app.page.locator(".gv-btn", has_text="▶"), app.page.locator(".gv-btn", has_text="◀")
    for _ in range(4):
        forward.click()
        app.page.wait_for_timeout(100)
    back.click()
    play_then_pause(app.page, PAGE_VIEW)
    (t, unit), stopped = page_cursor(app), pauses(app.page)
    assert t >= 3, (t, app.evaluate("() => window.scriptStates"), app.evaluate(f"() => ({GATE_VIEWS_JS})().length"))
    assert len(sent) - before <= stopped, f"{len(sent) - before} messages went to the server while clicking"
    if not stopped:
        assert app.evaluate("() => window.scriptStates") == [], "the page reran while the user clicked"
    wait_for_link(app, t, unit)
    app.wait_idle()
    report = [bytes(f) if isinstance(f, bytes) else f.encode() for f in sent[before:]]
    assert 1 <= len(report) <= stopped + 1, f"{len(report)} messages went to the server, {stopped} pauses"
    assert all(b'"cursor":' in frame for frame in report), "a message that is not the cursor's report"
    assert f'"cursor":{{"t":{t},"unit":{unit}}}'.encode() in report[-1]
    assert page_cursor(app) == (t, unit)  # the report's rerun leaves the cursor where the user stopped


def test_the_offline_view_opens_where_the_user_was(app: App, tmp_path: Path) -> None:
    """The .html download starts at the step and unit of the cursor, as the page's link does."""
    open_explore(app)
    x, y = app.evaluate(f"""() => {{
        const v = {PAGE_VIEW}.gatescope;
        const panel = v.panels.find(p => p.p.name === 'output');
        panel.canvas.scrollIntoView({{block: 'center'}});  // below the fold with the attribution panels on
        const box = panel.canvas.getBoundingClientRect();
        return [box.left + 7.5 * box.width / v.h.steps, box.top + 3.5 * panel.rowPx];
    }}""")
    app.page.mouse.click(x, y)  # step 7, unit 3
    assert page_cursor(app) == (7, 3), "the click on step 7, unit 3 of the output gate moved the cursor elsewhere"
    wait_for_link(app, 7, 3)
    app.wait_idle()
    with app.page.expect_download() as download:
        box = app.page.locator(f".st-key-{keys.EXPLORE.download_view}")
        box.get_by_role("button", name="This view, offline").click()
    offline = tmp_path / "gatescope-view.html"
    download.value.save_as(offline)
    laptop = app.page.context.new_page()
    try:
        laptop.goto(offline.as_uri())
        laptop.wait_for_function("() => document.querySelector('.gv')?.gatescope !== undefined", timeout=10_000)
        v = laptop.evaluate("() => { const v = document.querySelector('.gv').gatescope; return [v.t, v.unit]; }")
        readout = laptop.locator(".gv-readout").inner_text()
        assert v == [7, 3], f"the offline view opened at step {v[0]}, unit {v[1]}; the user was at step 7, unit 3"
        assert readout.startswith("step 7 of 10") and readout.endswith("unit 3"), readout
    finally:
        laptop.close()
