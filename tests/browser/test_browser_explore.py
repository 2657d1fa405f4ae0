"""The Explore page in Chromium: its gate view draws, redraws on a new sequence, steps and plays in the
browser without asking the server, survives bad input and a server restart, and fits the screen.

Widgets are found by their keys (Streamlit puts `st-key-<key>` on each element's box; the keys live in
workbench/keys.py); the gate view (viz/gateview/) by its classes, inside its component's shadow root (Playwright's
CSS locators pierce it). The view's root element carries the live view as `gatescope` (its cursor `t`,
`unit`, its header `h`), and what it drew on its time axes is recorded as it draws (TEXT_RECORDER_JS).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import (
    GATE_VIEWS_JS,
    ROOT,
    SERVER_START_TIMEOUT_S,
    WATCH_INPUTS_JS,
    WATCH_RUNS_JS,
    App,
    Server,
    _answers,
    _free_port,
    _stop,
    pauses,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, WebSocket


LSTM_PANELS = ["inputs", "forget", "input", "candidate", "output", "cell", "hidden"]  # the default cell's maps
EXCEPTION = "[data-testid=stException]"
ERROR = "[data-testid=stAlert]:has([data-testid=stAlertContentError])"
SEQUENCE_BOX = ".st-key-explore_seq_text_box textarea"
APP = "[data-testid=stApp]"
VIEW = f"({GATE_VIEWS_JS})()[0]"  # JS: the page's (first) gate view root

# Every text drawn on a gate view's time axis, kept on its canvas as it is drawn (cleared with the canvas):
# the text, where its centre is, how wide it is, and how wide the canvas is (all in CSS pixels).
TEXT_RECORDER_JS = """(() => {
    const proto = CanvasRenderingContext2D.prototype;
    const fill = proto.fillText, clear = proto.clearRect;
    proto.clearRect = function (...args) {
        if (this.canvas.classList?.contains('gv-axis')) this.canvas.drawnTexts = [];
        return clear.apply(this, args);
    };
    proto.fillText = function (text, x, y, ...rest) {
        if (this.canvas.classList?.contains('gv-axis')) {
            const scale = this.getTransform().a || 1;
            const width = this.measureText(text).width;
            const left = this.textAlign === 'center' ? x - width / 2 : this.textAlign === 'right' ? x - width : x;
            (this.canvas.drawnTexts ||= []).push({text: String(text), left, right: left + width,
                                                   canvas: this.canvas.width / scale});
        }
        return fill.call(this, text, x, y, ...rest);
    };
})();"""

# What the view shows: its cursor, every panel's mark (CSS left) and what a user reads around it.
VIEW_JS = f"""() => {{
    const root = {VIEW};
    if (!root || !root.gatescope) return null;
    const v = root.gatescope;
    const painted = (c) => {{
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let k = 3; k < data.length; k += 4) n += data[k] > 0;
        return n / Math.max(1, data.length / 4);
    }};
    return {{
        t: v.t, unit: v.unit, playing: v.playing, steps: v.h.steps,
        labels: v.h.labels, panels: v.h.panels.map(p => p.name),
        painted: v.heat.map(p => painted(p.canvas)),  // every map (not the attribution row's bars)
        marks: [...root.querySelectorAll('.gv-cursor')].map(c => parseFloat(c.style.left)),
        column: v.plotWidth / v.h.steps,
        readout: root.querySelector('.gv-readout').textContent,
        axes: [...root.querySelectorAll('.gv-axis')].filter(a => !a.hidden)
            .map(a => (a.drawnTexts || []).map(d => d.text)),
    }};
}}"""


def step_labels(text: str) -> list[str]:
    """The time-axis labels a user should read for a typed text: step index, then the character."""
    shown = {" ": "␣"}
    return [f"{t}·{shown.get(c, c)}" for t, c in enumerate(text)]


def view(app: App) -> dict:
    state = app.evaluate(VIEW_JS)
    assert state is not None, "no gate view on the page\n" + app.diagnostics()
    return state


def wait_until(app: App, predicate_js: str, what: str, arg: object = None, timeout_ms: float = 20_000) -> None:
    """Wait for a JS predicate; on timeout, fail saying what was awaited and what the page showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        app.page.wait_for_function(predicate_js, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeout:
        seen = {
            "view": app.evaluate(VIEW_JS),
            "errors on the page": app.page.locator(ERROR).all_inner_texts(),
            "link": app.page.url,
            "sequence boxes": app.page.locator(SEQUENCE_BOX).evaluate_all("boxes => boxes.map(b => b.value)"),
            "script": app.page.locator(APP).get_attribute("data-test-script-state"),
        }
        pytest.fail(f"waited {timeout_ms / 1000:.0f} s for {what}; the page showed {seen}\n{app.diagnostics()}")


def wait_for_view_showing(app: App, labels: list[str], timeout_ms: float = 20_000) -> dict:
    """Wait until the gate view is drawn for this sequence: its steps labelled ``labels``, every map painted
    and its time axis drawn with labels from this sequence (a long one may label every n-th step only)."""
    wait_until(
        app,
        f"""(want) => {{
            const v = ({VIEW_JS})();
            return v !== null && JSON.stringify(v.labels) === JSON.stringify(want)
                && v.painted.length > 0 && v.painted.every(p => p > 0.95)
                && v.axes.length > 0 && v.axes.every(a => a.length > 0 && a[0] === want[0]
                    && a.every(l => want.includes(l) || /^\\d+$/.test(l)));
        }}""",
        f"the gate view drawn with time labels from {labels}",
        arg=labels,
        timeout_ms=timeout_ms,
    )
    return view(app)


def open_explore(app: App, query: str = "") -> App:
    """Explore in a fresh session: on a link's settings, or (with none) on the drawn random network, one
    click from the first view's trained model."""
    app.page.add_init_script(TEXT_RECORDER_JS)
    return app.open(query).wait_ready() if query else app.open_drawn()


def assert_marks_at(app: App, t: int) -> dict:
    """Every panel's cursor mark and the readout show step ``t``."""
    v = view(app)
    assert v["t"] == t, f"cursor at step {v['t']}, expected {t}"
    off = [m for m in v["marks"] if abs(m - t * v["column"]) > 0.5]
    assert v["marks"] and not off, f"marks at {v['marks']} px, expected {t * v['column']:.1f} px (step {t})"
    assert v["readout"].startswith(f"step {t} of "), v["readout"]
    return v


def assert_no_traceback(app: App) -> None:
    assert app.page.locator(EXCEPTION).count() == 0, "a traceback reached the page\n" + app.diagnostics()


def commit_sequence(app: App, text: str, how: str) -> None:
    """Type into the sequence box and apply it as a user does: Enter, or leaving the box (a pause applies it too)."""
    box = app.page.locator(SEQUENCE_BOX)
    box.fill(text)
    if how == "enter":  # where the typing is: a pause in it may have applied the text, and the page's rerun can
        app.page.keyboard.press("Enter")  # show the box twice for a moment (its old place and its new)
    else:
        app.page.locator("h1").first.click()  # clicking elsewhere takes the focus away


def link(app: App) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(app.page.url).query))


def test_explore_loads_with_every_panel_drawn(app: App) -> None:
    open_explore(app)
    v = wait_for_view_showing(app, step_labels("hello world"))

    assert v["panels"] == LSTM_PANELS, app.diagnostics()
    assert len(v["marks"]) == len(LSTM_PANELS) + 1  # and the followed unit's lines
    assert_marks_at(app, 0)
    want = step_labels("hello world")
    assert all(axis[0] == want[0] and set(axis) <= set(want) for axis in v["axes"]), v["axes"]
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)

    app.screenshot("explore")
    # The README's picture: the controls and the whole gate view (gates, step panel, diagram), not the downloads.
    app.screenshot("explore-readme", until=".gv")


@pytest.mark.parametrize("how", ["enter", "blur"])
def test_typing_a_sequence_redraws_the_view(app: App, how: str) -> None:
    open_explore(app)

    commit_sequence(app, "gates", how)

    v = wait_for_view_showing(app, step_labels("gates"))
    app.wait_idle()
    assert v["panels"] == LSTM_PANELS
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)
    app.screenshot(f"explore-typed-{how.replace('+', '-')}", until=".gv")


LETTERS = "abcdefghijklmnopqrstuvwxyz"  # long enough that playing does not reach the end while a test watches


def test_play_moves_every_mark_and_pause_keeps_it_still(app: App) -> None:
    open_explore(app)
    commit_sequence(app, LETTERS, "enter")
    wait_for_view_showing(app, step_labels(LETTERS))
    app.wait_idle()
    assert_marks_at(app, 0)

    app.page.locator(".gv-speed select").select_option("5")
    app.page.locator(".gv-play").click()
    wait_until(app, f"() => {VIEW}.gatescope.t >= 2", "playing to reach step 2")
    playing = view(app)  # one look, between two frames: every mark on the playing cursor
    assert playing["playing"], playing
    assert all(abs(m - playing["t"] * playing["column"]) < 0.5 for m in playing["marks"]), playing
    # Pause, and read the cursor in the same task as the click: nothing may move after it.
    paused = app.evaluate(f"() => {{ const root = {VIEW}; root.querySelector('.gv-play').click(); "
                          "return root.gatescope.t; }")
    assert 2 <= paused < len(LETTERS) - 1, f"playing ran to step {paused} of {len(LETTERS)}"

    app.page.wait_for_timeout(1_500)  # several play intervals, and the report's rerun: a paused cursor stays put
    app.wait_idle()
    v = assert_marks_at(app, paused)
    assert not v["playing"] and app.page.locator(".gv-play").inner_text() == "Play"
    assert v["readout"].startswith(f"step {paused} of 25 · token “{LETTERS[paused]}”"), v["readout"]
    wait_until(app, f"() => new URLSearchParams(location.search).get('t') === '{paused}'",
               f"the link to hold t={paused} after the pause")
    assert_no_traceback(app)
    app.screenshot("explore-paused", until=".gv")


class Frames:
    """Every websocket frame the page sends the server (a Streamlit rerun request, a widget's value)."""

    def __init__(self, app: App) -> None:
        self.sent: list[bytes | str] = []
        app.page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framesent", lambda frame: self.sent.append(frame))



def test_stepping_sends_nothing_to_the_server_until_the_user_stops(app: App) -> None:
    frames = Frames(app)
    open_explore(app)
    commit_sequence(app, LETTERS, "enter")
    wait_for_view_showing(app, step_labels(LETTERS))
    app.wait_idle()
    app.page.wait_for_timeout(500)
    app.page.locator("h1").first.click()
    app.wait_idle()  # a run that began in that half second (a loaded machine's late report) ends first
    app.evaluate(WATCH_RUNS_JS)
    app.evaluate(WATCH_INPUTS_JS)
    before = len(frames.sent)

    for t in range(1, 21):
        app.page.keyboard.press("ArrowRight")
        app.page.wait_for_timeout(100)  # a steady press rate, well inside the view's pause before it reports
        assert_marks_at(app, t)
    stopped = pauses(app.page)  # none on a quiet machine; a loaded one can hold a key back past the view's pause
    assert len(frames.sent) - before <= stopped, (
        f"{len(frames.sent) - before} messages went to the server while stepping, with {stopped} pauses")
    if not stopped:
        assert app.evaluate("() => window.scriptStates") == [], "the script ran while stepping"
        assert app.page.locator(APP).get_attribute("data-test-script-state") == "notRunning"

    wait_until(app, "() => new URLSearchParams(location.search).get('t') === '20'", "the link to hold t=20")
    app.wait_idle()
    report = [f if isinstance(f, bytes) else f.encode() for f in frames.sent[before:]]
    assert 1 <= len(report) <= stopped + 1, f"after stopping, {len(report)} messages went to the server"
    assert all(b'"cursor":' in frame for frame in report), "a message that is not the cursor's report"
    assert b'"cursor":{"t":20,"unit":0}' in report[-1]
    assert_marks_at(app, 20)  # the report's rerun leaves the cursor where the user stopped


def cell_centre(app: App, gate: str, t: int, row: int) -> tuple[float, float]:
    """Where on screen the cell (step ``t``, shown row ``row``) of a gate's map is drawn."""
    x, y = app.evaluate(f"""([gate, t, row]) => {{
        const v = {VIEW}.gatescope;
        const panel = v.panels.find(p => p.p.name === gate);
        panel.canvas.scrollIntoView({{block: 'center'}});  // below the fold with the attribution panels on
        const box = panel.canvas.getBoundingClientRect();
        return [box.left + (t + 0.5) * box.width / v.h.steps, box.top + (row + 0.5) * panel.rowPx];
    }}""", [gate, t, row])
    return x, y


def test_the_link_holds_the_step_and_unit_after_a_pause(app: App, browser: Browser) -> None:
    open_explore(app)
    wait_for_view_showing(app, step_labels("hello world"))
    app.page.mouse.click(*cell_centre(app, "output", 7, 3))  # a click picks step 7 and unit 3, and reports it
    assert_marks_at(app, 7)
    wait_until(app, "() => { const q = new URLSearchParams(location.search); "
                    "return q.get('t') === '7' && q.get('unit') === '3'; }", "the link to hold t=7, unit=3")
    app.wait_idle()
    shared = app.page.url

    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        friend = App(page=other.new_page(), server=app.server)
        friend.page.goto(shared, wait_until="domcontentloaded")
        friend.wait_ready()
        v = assert_marks_at(friend, 7)
        assert v["unit"] == 3 and v["readout"].endswith("unit 3"), v["readout"]
    finally:
        other.close()


def test_the_default_view_fits_1280x800(app: App) -> None:
    """Controls, every gate, the step panel and the diagram on one screen, without scrolling."""
    open_explore(app)
    wait_for_view_showing(app, step_labels("hello world"))
    app.wait_idle()
    boxes = app.evaluate(f"""() => {{
        const root = {VIEW};
        const box = (e) => {{ const r = e.getBoundingClientRect();
                              return {{top: r.top, bottom: r.bottom, left: r.left, right: r.right}}; }};
        return {{
            view: box(root),
            parts: [...root.querySelectorAll('.gv-bar, .gv-panel, .gv-side, .gv-eq > *, .gv-diagram')]
                .map(e => ({{name: e.dataset?.name || e.className.baseVal || e.className, ...box(e)}})),
            scrolled: document.querySelector('[data-testid=stMain]')?.scrollTop ?? 0,
        }};
    }}""")
    assert boxes["scrolled"] == 0
    assert boxes["view"]["bottom"] <= 800, f"the gate view ends at y = {boxes['view']['bottom']:.0f} px"
    outside = [p for p in boxes["parts"] if p["top"] < 0 or p["left"] < 0 or p["bottom"] > 800 or p["right"] > 1280]
    assert outside == [], f"parts of the view outside the 1280×800 screen: {outside}"


@pytest.mark.parametrize(
    ("case", "expected"),
    [("letters-in-number-mode", ["not a number", "step 0"]), ("empty-box", ["Sequence"])],
)
def test_bad_input_shows_an_error_and_keeps_the_view(app: App, case: str, expected: list[str]) -> None:
    open_explore(app)
    before = wait_for_view_showing(app, step_labels("hello world"))

    if case == "letters-in-number-mode":
        app.page.locator(".st-key-explore_seq_mode").get_by_text("numbers", exact=True).click()  # "hello world" stays
    else:
        commit_sequence(app, "", "enter")

    error = app.page.locator(ERROR)
    error.first.wait_for(state="visible", timeout=20_000)
    app.wait_idle()
    message = error.first.inner_text()
    for words in expected:
        assert words in message, message
    assert_no_traceback(app)
    # The last good view stays: the same panels, still drawn, still labelled by "hello world", still stepping.
    after = wait_for_view_showing(app, step_labels("hello world"))
    assert after["panels"] == before["panels"]
    app.page.locator("h1").first.click()
    app.page.keyboard.press("ArrowRight")
    assert_marks_at(app, 1)
    app.screenshot(f"explore-error-{case}", until=".gv")


# Time-axis labels drawn over each other or past the end of their axis, per axis (what the view drew).
LABEL_CLASHES_JS = f"""() => [...{VIEW}.querySelectorAll('.gv-axis')].filter(a => !a.hidden).flatMap(axis => {{
    const drawn = axis.drawnTexts || [];
    const clashes = [];
    drawn.forEach((d, k) => {{
        if (d.left < -0.5 || d.right > d.canvas + 0.5) {{
            clashes.push(`${{d.text}} cut off (${{d.left.toFixed(0)}} to ${{d.right.toFixed(0)}} px of ${{d.canvas}})`);
        }}
        if (k > 0 && drawn[k - 1].right + 2 > d.left) clashes.push(`${{drawn[k - 1].text}} / ${{d.text}}`);
    }});
    return clashes;
}})"""

# Text in the view wider than its box: cut by the box's edge or by an ellipsis.
CUT_TEXT_JS = f"""() => [...{VIEW}.querySelectorAll(
        '.gv-readout, .gv-step, .gv-lhs, .gv-rule, .gv-nums, .gv-title, .gv-sym, .gv-btn, .gv-boxtext')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => `${{e.className}} "${{e.textContent.trim()}}" (${{e.scrollWidth}} px in ${{e.clientWidth}} px)`)
    .concat([...{VIEW}.querySelectorAll('.gv-diagram')].flatMap(svg => {{
        const frame = svg.getBoundingClientRect();  // an SVG cuts what lies outside its box
        const textBox = (e) => {{ const range = document.createRange(); range.selectNodeContents(e);
                                  return range.getBoundingClientRect(); }};  // the glyphs, not their div
        return [...svg.querySelectorAll('.gv-box, .gv-node, .gv-boxname, .gv-label, .gv-nodetext')]
            .filter(e => {{ const r = e.tagName === 'DIV' ? textBox(e) : e.getBoundingClientRect();
                            return r.top < frame.top - 1 || r.bottom > frame.bottom + 1
                                || r.left < frame.left - 1 || r.right > frame.right + 1; }})
            .map(e => `diagram ${{e.getAttribute("class")}} "${{e.textContent.trim()}}" outside the drawing`);
    }}))"""


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((1920, 1080), id="1920x1080", marks=pytest.mark.viewport(1920, 1080)),
        pytest.param((1280, 800), id="1280x800"),
        pytest.param((1024, 768), id="1024x768", marks=pytest.mark.viewport(1024, 768)),
    ],
)  # fmt: skip
def test_nothing_drawn_over_or_cut_off(app: App, size: tuple[int, int], request: pytest.FixtureRequest) -> None:
    """A projected page stays readable: no two tokens on a time axis drawn over each other or past its end,
    and every title, equation and number of the view fits its box."""
    open_explore(app)
    wait_for_view_showing(app, step_labels("hello world"))
    app.wait_idle()
    app.screenshot(f"explore-{request.node.callspec.id}", until=".gv")
    clashes = app.evaluate(LABEL_CLASHES_JS)
    cut = app.evaluate(CUT_TEXT_JS)
    assert (clashes, cut) == ([], []), f"time-axis labels drawn over each other or cut: {clashes}; text cut off: {cut}"
    assert_no_traceback(app)


def test_long_sequence_time_labels_do_not_overlap(app: App) -> None:
    open_explore(app)
    commit_sequence(app, LETTERS * 4, "enter")  # 104 steps: the axis labels every n-th step
    wait_for_view_showing(app, step_labels(LETTERS * 4))
    app.wait_idle()
    app.screenshot("explore-104-steps", until=".gv")
    axes = view(app)["axes"]
    assert all(1 < len(axis) < 104 for axis in axes), f"labels drawn per axis: {[len(a) for a in axes]}"
    clashes = app.evaluate(LABEL_CLASHES_JS)
    assert clashes == [], f"time-axis labels drawn over each other or cut: {clashes}"
    assert_no_traceback(app)


# The bar's buttons whose label does not fit (cut by the button's edge), or that lie off the screen.
CLIPPED_BUTTONS_JS = f"""() => [...{VIEW}.querySelectorAll('.gv-btn')]
    .filter(b => b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().right > innerWidth
                 || b.textContent.trim() === '')
    .map(b => `"${{b.textContent}}" (${{b.scrollWidth}} px of text in ${{b.clientWidth}} px, `
              + `right edge at ${{b.getBoundingClientRect().right.toFixed(0)}} px)`)"""


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((1280, 800), id="1280x800"),
        pytest.param((1024, 768), id="1024x768", marks=[pytest.mark.viewport(1024, 768)]),
    ],
)  # fmt: skip
def test_cursor_buttons_show_their_labels(app: App, size: tuple[int, int]) -> None:
    """◀, ▶ and Play/Pause must say what they do, also on a projector-sized window."""
    open_explore(app)
    labels = app.page.locator(".gv-btn").all_inner_texts()
    assert labels == ["◀", "▶", "Play"], labels
    assert app.evaluate(CLIPPED_BUTTONS_JS) == []
    app.page.locator(".gv-play").click()
    app.page.locator(".gv-play", has_text="Pause").wait_for(timeout=5_000)
    clipped = app.evaluate(CLIPPED_BUTTONS_JS)
    app.page.locator(".gv-play").click()
    assert clipped == [], f"button labels cut off: {clipped}"


# ---- a server of its own, to restart (issue: bad input never costs the view, case 2) ----------------------


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    with log.open("ab") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not _answers(f"http://127.0.0.1:{port}/_stcore/health"):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail(f"streamlit did not start on port {port}:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)
    return process


class Restartable:
    """A Streamlit server on a port of its own, which a test may stop and start again on the same port."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.server = Server(url=f"http://127.0.0.1:{self.port}", log=log)
        self.process = start_server(self.port, log)

    def stop(self) -> None:
        _stop(self.process)

    def restart(self) -> None:
        self.stop()
        self.process = start_server(self.port, self.log)


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[Restartable]:
    own = Restartable(tmp_path / "server.log")
    try:
        yield own
    finally:
        own.stop()


RESTART_TEXT = "gates remember"


@pytest.mark.parametrize("edited", [True, False], ids=["sequence-applied", "default-sequence"])
def test_the_view_works_again_after_a_server_restart(
    page: Page, restartable: Restartable, tmp_path: Path, edited: bool
) -> None:
    """Press ▶ a few times, apply a new sequence, restart the server: once the page reconnects, → moves the
    cursor again and the server hears where it stopped. The downloaded view scrubs while the server is down."""
    app = App(page=page, server=restartable.server)
    page.on("pageerror", lambda error: app.errors.append(f"pageerror: {error}"))
    open_explore(app)
    wait_for_view_showing(app, step_labels("hello world"))
    for _ in range(4):
        page.locator(".gv-btn", has_text="▶").click()
    assert_marks_at(app, 4)
    # the stop is reported, and its rerun done, before typing starts
    wait_until(app, "() => new URLSearchParams(location.search).get('t') === '4'", "the link to hold t=4")
    app.wait_idle()
    text = RESTART_TEXT if edited else "hello world"
    if edited:
        commit_sequence(app, RESTART_TEXT, "enter")
        wait_for_view_showing(app, step_labels(RESTART_TEXT))
    app.wait_idle()
    wait_until(app, "() => new URLSearchParams(location.search).get('t') === '4'", "the link to hold t=4")
    with page.expect_download() as download:
        page.locator(".st-key-explore_download_view").get_by_role("button", name="This view, offline").click()
    offline = tmp_path / "gatescope-view.html"
    download.value.save_as(offline)

    restartable.stop()
    # With the server gone, the downloaded view still opens and scrubs.
    laptop = page.context.new_page()
    laptop.goto(offline.as_uri())
    laptop.wait_for_function("() => document.querySelector('.gv')?.gatescope !== undefined", timeout=10_000)
    laptop.locator(".gv-slider").fill("3")
    assert laptop.evaluate("() => document.querySelector('.gv').gatescope.t") == 3
    laptop.locator("h1").click()
    laptop.keyboard.press("ArrowLeft")
    assert laptop.evaluate("() => document.querySelector('.gv').gatescope.t") == 2
    laptop.close()

    restartable.restart()
    app.wait_ready(timeout_ms=60_000)  # the page reconnects by itself
    page.wait_for_timeout(1_000)
    app.wait_idle()
    before = view(app)
    page.locator("h1").first.click()
    page.keyboard.press("ArrowRight")
    after = assert_marks_at(app, before["t"] + 1)
    assert after["labels"] == step_labels(text), f"after the restart the view shows {after['labels']}"
    wait_until(app, f"() => new URLSearchParams(location.search).get('t') === '{before['t'] + 1}'",
               f"the restarted server to hear the cursor at step {before['t'] + 1} (the link)")
    app.wait_idle()
    log = restartable.log.read_text(errors="replace")
    assert "does not exist anymore" not in log, log[-3000:]
    assert_no_traceback(app)
    with contextlib.suppress(Exception):
        app.screenshot("explore-after-restart", until=".gv")


def test_links_with_a_bad_step_still_open(app: App) -> None:
    """A link's step and unit beyond the sequence open the view at its last step and unit, not an error."""
    open_explore(app, "?t=999&unit=99")
    v = wait_for_view_showing(app, step_labels("hello world"))
    assert re.match(r"step \d+ of 10", v["readout"]), v["readout"]
    assert_no_traceback(app)


def units_shown(app: App) -> int:
    """How many units (rows) the gate view draws: the hidden size it runs."""
    return app.evaluate(f"() => {VIEW}.gatescope.h.units")


@pytest.mark.parametrize("typed", ["", "abc"])
def test_an_emptied_number_box_keeps_the_size_and_the_link(app: App, typed: str) -> None:
    open_explore(app, "?unit=6")
    assert units_shown(app) == 8 and view(app)["unit"] == 6
    # The boxes' labels are their own words: no "(required)" after them, nor in what a screen reader says.
    assert "(required)" not in app.page.locator("[data-testid=stSidebar]").inner_text()
    assert "required" not in (app.page.locator(".st-key-explore_net_hidden").get_by_role("spinbutton").get_attribute(
        "aria-label") or "")
    box = app.page.locator(".st-key-explore_net_hidden input").first
    box.fill("")
    if typed:
        box.press_sequentially(typed)  # a number box's browser field refuses letters: it stays empty
    box.press("Enter")
    app.page.wait_for_timeout(2_500)  # time for a rerun, had the box sent anything
    app.wait_idle()
    assert_no_traceback(app)
    assert units_shown(app) == 8 and view(app)["unit"] == 6  # the size, and the unit chosen, stay
    assert box.input_value() == "8"  # the box shows it again
    assert "hidden=" not in app.page.url
    box.fill("16")
    box.press("Enter")
    wait_until(app, f"() => {VIEW}?.gatescope?.h.units === 16", "the page to take the typed size")
    # The address bar is written by a component after the run that drew the view: a moment later.
    wait_until(app, "() => new URLSearchParams(location.search).get('hidden') === '16'", "the link to hold hidden=16")


def test_the_equations_and_the_figure_downloads_are_drawn_when_opened(app: App, tmp_path: Path) -> None:
    """The lecture's equations and the "Figures as HTML" downloads are drawn only once opened (lazy): a click shows
    them, and a heatmap's HTML downloads whole."""
    app.open_drawn()
    assert app.page.locator("[data-testid=stExpander] .katex").count() == 0  # closed: nothing drawn in it
    app.until_shown(lambda: app.click(app.page.get_by_text("The lecture's equations: LSTM")),
                    app.page.locator("[data-testid=stExpander] .katex").first)
    maths = app.page.locator("[data-testid=stExpander]", has_text="The lecture's equations").inner_text()
    assert "σ" in maths and "tanh" in maths, maths  # the deck's gates, in aligned blocks
    button = app.page.get_by_role("button", name="f_t heatmap")
    app.until_shown(lambda: app.click(app.page.get_by_role("button", name="Figures as HTML")), button)
    download = app.download(button)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name == "gatescope-forget.html" and "plotly" in saved.read_text(encoding="utf-8").lower()
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
