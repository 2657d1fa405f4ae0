"""The Lessons page in Chromium, as a projector shows it: every stop in presenter mode at 1280×720.

Checked is what the back of the room sees: no sidebar, body text of at least 22 px, axis ticks of at
least 18 px (Plotly's ticks, the gate view's time and unit labels), nothing wider than the screen, the
whole stop on one screen without scrolling, no error box; and that the keyboard and the buttons move
the gate view's time cursor and the stops. Screenshots go to tests/browser/screenshots/lessons-<stop>.png.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import GATE_VIEWS_JS, REPORT_AFTER_MS, App, Server, _answers, _free_port, _stop

from workbench.lessons import BY_SLUG, STOPS

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
EXCEPTION = "[data-testid=stException]"
ALERT = "[data-testid=stAlert]"
PROJECTOR = pytest.mark.viewport(1280, 720)

# Every text drawn on a gate view's time axis, with its font size, kept on its canvas as it is drawn.
AXIS_FONTS_JS = """(() => {
    const proto = CanvasRenderingContext2D.prototype;
    const fill = proto.fillText;
    proto.fillText = function (text, x, y, ...rest) {
        if (this.canvas.classList?.contains('gv-axis')) this.canvas.axisFont = parseFloat(this.font);
        return fill.call(this, text, x, y, ...rest);
    };
})();"""

# What a viewer sees, measured in the page: fonts, the widest element, each Plotly chart's tick sizes, and
# each gate view's type sizes, cursor and panels (gate views live in their component's shadow root).
MEASURE_JS = f"""() => {{
    const main = document.querySelector('[data-testid=stMain]');
    const para = [...main.querySelectorAll('[data-testid=stMarkdownContainer] p')]
        .find(p => p.innerText.length > 120);
    const sidebar = document.querySelector('[data-testid=stSidebar]');
    const size = (e) => e ? parseFloat(getComputedStyle(e).fontSize) : null;
    const charts = [...document.querySelectorAll('.js-plotly-plot')].map(g => ({{
        xtick: g._fullLayout.xaxis.tickfont.size,
        ytick: g._fullLayout.yaxis.tickfont.size,
        hover: g._fullLayout.hoverlabel.font.size,
        right: g.getBoundingClientRect().right,
    }}));
    const views = ({GATE_VIEWS_JS})().filter(r => r.gatescope).map(root => ({{
        t: root.gatescope.t,
        panels: root.gatescope.h.panels.length,
        axis: Math.min(...[...root.querySelectorAll('.gv-axis')].filter(a => !a.hidden).map(a => a.axisFont || 0)),
        rows: Math.min(...[...root.querySelectorAll('.gv-rowname')].map(size)),
        title: Math.min(...[...root.querySelectorAll('.gv-title')].map(size)),
        readout: size(root.querySelector('.gv-readout')),
        right: root.getBoundingClientRect().right,
        bottom: root.getBoundingClientRect().bottom,
    }}));
    return {{
        body: para ? parseFloat(getComputedStyle(para).fontSize) : 0,
        sidebarShown: !!sidebar && sidebar.getBoundingClientRect().width > 0 &&
            getComputedStyle(sidebar).display !== 'none',
        overflow: main.scrollWidth - main.clientWidth,
        scroll: main.scrollHeight - main.clientHeight,
        widest: Math.max(...[...main.querySelectorAll('.katex-display > .katex, .js-plotly-plot, button')]
            .map(e => e.getBoundingClientRect().right), ...views.map(v => v.right)),
        clipped: [...main.querySelectorAll('.katex-display')].filter(e => e.scrollWidth > e.clientWidth + 6).length,
        equation: Math.max(0, ...[...main.querySelectorAll('.katex-display > .katex')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))),
        width: innerWidth,
        height: innerHeight,
        charts,
        views,
    }};
}}"""
VIEW_T_JS = f"() => ({GATE_VIEWS_JS})().find(r => r.gatescope)?.gatescope.t"


def heatmap_panels(slug: str) -> int:
    """How many of a stop's panels are gate heatmaps (drawn in its gate view); the rest are Plotly charts."""
    return sum(p.name != "gradient" for p in BY_SLUG[slug].panels)


def open_stop(app: App, slug: str, present: bool = True) -> None:
    app.page.add_init_script(AXIS_FONTS_JS)
    app.open(f"lessons?stop={slug}" + ("&present=1" if present else "")).wait_ready()
    plotly = len(BY_SLUG[slug].panels) - heatmap_panels(slug)
    views = 1 if heatmap_panels(slug) and not (present and plotly) else 0  # a projector: the gradient chart alone
    app.page.wait_for_function(
        f"""([views, charts]) => ({GATE_VIEWS_JS})().filter(r => r.gatescope).length >= views
            && [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout).length >= charts""",
        arg=[views, plotly], timeout=30_000,
    )
    if present:  # presenter mode's style lands with the page's first elements: measure once it has
        app.page.wait_for_function("""() => { const s = document.querySelector('[data-testid=stSidebar]');
            return !s || getComputedStyle(s).display === 'none'; }""", timeout=20_000)
    app.wait_idle()


def wait_for_cursor(app: App, step: int) -> None:
    app.page.wait_for_function(f"(t) => ({VIEW_T_JS})() === t", arg=step, timeout=20_000)


@PROJECTOR
@pytest.mark.parametrize("slug", [s.slug for s in STOPS])
def test_each_stop_reads_from_the_back_of_the_room(app: App, slug: str) -> None:
    open_stop(app, slug)
    app.wait_true(f"() => {{ const m = ({MEASURE_JS})(); return m.body > 0 && m.equation > 0; }}")  # maths typeset
    seen = app.evaluate(MEASURE_JS)
    app.screenshot(f"lessons-{slug}")
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    assert app.page.locator(ALERT).count() == 0, app.page.locator(ALERT).all_inner_texts()
    assert not seen["sidebarShown"]
    assert seen["body"] >= 22, seen
    assert len(seen["charts"]) == len(BY_SLUG[slug].panels) - heatmap_panels(slug)
    for chart in seen["charts"]:
        assert chart["xtick"] >= 18 and chart["ytick"] >= 18 and chart["hover"] >= 20, chart
    # a projector shows the gradient stop's chart alone, large; every other stop's heatmaps in one gate view
    gradient = any(p.name == "gradient" for p in BY_SLUG[slug].panels)
    assert len(seen["views"]) == (1 if heatmap_panels(slug) and not gradient else 0), seen["views"]
    for view in seen["views"]:
        assert view["panels"] >= heatmap_panels(slug), view
        assert view["t"] == BY_SLUG[slug].cursor, view
    assert seen["overflow"] <= 0 and seen["widest"] <= seen["width"], seen  # nothing cut off at the right
    assert seen["clipped"] == 0 and seen["equation"] >= 30, seen  # the equation is big and whole
    assert app.page.get_by_text(f"Stop {[s.slug for s in STOPS].index(slug) + 1} of {len(STOPS)}").is_visible()
    # The gate view from the back of the room: time and unit labels as large as a chart's ticks, titles
    # and the readout as large as its hover text; and the whole stop, knob included, on one 1280×720 screen.
    small = [f"{part} {view[part]} px" for view in seen["views"] for part, least in
             (("axis", 18), ("rows", 18), ("title", 20), ("readout", 20)) if view[part] < least]
    assert small == [], f"gate view type too small for a projector: {small}"
    assert seen["scroll"] <= 0 and all(v["bottom"] <= seen["height"] for v in seen["views"]), \
        f"the stop scrolls by {seen['scroll']} px; gate view ends at {[v['bottom'] for v in seen['views']]}"


@PROJECTOR
def test_page_down_just_after_an_arrow_key_changes_stop_for_good(app: App) -> None:
    """The gate view tells the server its cursor a moment after the last arrow key; a Page Down pressed in that
    moment must not be undone by the report (its rerun request carries the address from before the new stop)."""
    open_stop(app, "forget-gate")
    start = BY_SLUG["forget-gate"].cursor
    app.page.locator("h2").first.click()
    app.wait_idle()
    app.page.keyboard.press("ArrowRight")
    wait_for_cursor(app, start + 1)
    app.page.wait_for_timeout(REPORT_AFTER_MS - 50)  # the report goes out while Page Down's run is under way
    app.page.keyboard.press("PageDown")
    heading = app.page.get_by_role("heading", name="4. The input gate and the candidate")
    heading.wait_for(timeout=20_000)
    app.wait_idle()
    app.page.wait_for_timeout(1_500)  # time for a late report's run to undo it, which it must not
    app.wait_idle()
    assert heading.is_visible() and "stop=input-gate" in app.page.url, app.page.url


def test_back_and_forward_walk_the_stops_the_user_went_through(app: App) -> None:
    open_stop(app, "forget-gate", present=False)
    app.click(app.page.get_by_role("button", name="Next ▶"))
    app.page.get_by_role("heading", name="4. The input gate and the candidate").wait_for(timeout=20_000)
    app.wait_idle()
    app.page.go_back()
    app.page.get_by_role("heading", name="3. The forget gate").wait_for(timeout=20_000)
    app.wait_idle()
    assert "stop=forget-gate" in app.page.url, app.page.url
    app.page.go_forward()
    app.page.get_by_role("heading", name="4. The input gate and the candidate").wait_for(timeout=20_000)
    app.wait_idle()
    assert "stop=input-gate" in app.page.url, app.page.url


@PROJECTOR
def test_arrow_keys_move_the_time_cursor_and_page_keys_change_stop(app: App) -> None:
    open_stop(app, "forget-gate")
    start = BY_SLUG["forget-gate"].cursor
    app.page.locator("h2").first.click()  # focus on the page, not on a widget
    app.page.keyboard.press("ArrowRight")
    wait_for_cursor(app, start + 1)
    app.page.keyboard.press("ArrowRight")
    wait_for_cursor(app, start + 2)
    app.page.keyboard.press("ArrowLeft")
    wait_for_cursor(app, start + 1)
    app.wait_idle()
    app.page.keyboard.press("PageDown")
    app.page.wait_for_url("**stop=input-gate**", timeout=20_000)
    app.page.get_by_role("heading", name="4. The input gate and the candidate").wait_for(timeout=20_000)
    assert "present=1" in app.page.url


@PROJECTOR
def test_next_button_and_presenter_toggle_write_the_link(app: App) -> None:
    open_stop(app, "gru", present=False)
    assert app.evaluate(MEASURE_JS)["sidebarShown"]
    app.click(app.page.locator(".st-key-lessons_next button").first)
    app.page.wait_for_url("**stop=peephole**", timeout=20_000)
    number = [s.slug for s in STOPS].index("peephole") + 1  # the stops before it may grow in number
    app.page.get_by_role("heading", name=f"{number}. {BY_SLUG['peephole'].title}").wait_for(timeout=20_000)
    app.click(app.page.locator(".st-key-lessons_present label").first)
    app.page.wait_for_url("**present=1**", timeout=20_000)
    app.page.wait_for_function("() => getComputedStyle(document.querySelector('[data-testid=stSidebar]') "
                               "|| document.body).display === 'none' || !document.querySelector("
                               "'[data-testid=stSidebar]')", timeout=20_000)


@pytest.mark.parametrize(("raw", "shown"), [("__init__%00", "'__init__U+0000'"), ("%24x%24%20*y*", "'$x$ *y*'")])
def test_an_unknown_stop_is_named_as_it_was_typed(app: App, raw: str, shown: str) -> None:
    app.open(f"lessons?stop={raw}").wait_ready()
    message = app.page.locator(ALERT).first.inner_text()
    assert f"There is no lesson stop called {shown};" in message, message


def open_in_explore(app: App) -> str:
    """Click "Open in Explore" on the stop shown; the sequence box's text on the Explore page it opens."""
    app.click(app.page.locator(".st-key-lessons_open_explore button").first)
    app.page.locator(".st-key-explore_seq_text_box textarea").first.wait_for(timeout=30_000)  # Explore's sequence box
    app.wait_idle()
    assert app.page.locator(EXCEPTION).count() == 0, app.page.locator(EXCEPTION).all_inner_texts()
    return app.page.locator(".st-key-explore_seq_text_box textarea").first.input_value()


def test_open_in_explore_shows_the_stops_model_and_input(app: App) -> None:
    app.open().wait_ready()  # the session starts on Explore, as most do
    app.click(app.page.get_by_role("link", name="Lessons").first)
    app.page.get_by_role("heading", name="1. Why plain RNNs forget").wait_for(timeout=30_000)
    app.click(app.page.locator(".st-key-lessons_jump_input-gate button").first)
    app.page.get_by_role("heading", name="4. The input gate and the candidate").wait_for(timeout=30_000)
    app.wait_idle()
    assert open_in_explore(app) == BY_SLUG["input-gate"].build().text
    assert app.page.get_by_text("Preset: LSTM: latch a marked value").first.is_visible()



@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server no one has visited yet: its first request is the one the test makes (the shared server has
    long run app.py by then). Started and stopped by its pid, like the shared one."""
    port = _free_port()
    log = tmp_path / "fresh-server.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{url}/_stcore/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start on {url}:\n{log.read_text()}")
            time.sleep(0.2)
        yield Server(url=url, log=log)
    finally:
        _stop(process)


def test_a_slide_link_on_a_fresh_server_opens_in_explore(page: Page, fresh_server: Server) -> None:
    """A teacher's first click of the day: a lesson link to a server no one has opened, then Open in Explore."""
    app = App(page=page, server=fresh_server)
    open_stop(app, "input-gate", present=False)
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    # the router ran: the sidebar lists the app's pages by title, not the files of a pages/ folder
    links = app.page.locator("[data-testid=stSidebarNavLink]").all()
    nav = [link.inner_text().split("\n")[-1].strip() for link in links]  # the last line: the icon's name comes first
    assert "Lessons" in nav and "app" not in nav, nav
    assert open_in_explore(app) == BY_SLUG["input-gate"].build().text
    app.wait_ready()  # Explore draws its gate view
