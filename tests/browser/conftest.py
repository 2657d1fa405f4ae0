"""Real-browser tests: a Streamlit server on a free loopback port, driven by Debian's Chromium through Playwright.

Raw `sync_playwright()` only (pytest-playwright's fixtures clash with it in one session); never `playwright install`.
Without /usr/bin/chromium or the playwright package every test here skips, saying how to get them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Download, Locator, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60.0
DEFAULT_VIEWPORT = (1280, 800)
MAX_SHOT_HEIGHT = 6000  # px; a whole-app screenshot is cut here
# The README's pictures: the test screenshot each is copied from when GATESCOPE_UPDATE_SCREENSHOTS=1.
README_SHOTS = {
    "explore-readme": "explore-browser.png",
    "compare-1280x800": "compare.png",
    "weights-readme": "weights-model-predictions.png",
    "lessons-forget-gate": "lessons-forget-gate.png",
    "lessons-rnn-forgets": "lessons-rnn-forgets.png",
    "lessons-bidirectional": "lessons-bidirectional.png",
    "train": "train.png",
    "gradient-flow": "gradient-flow.png",
}
README_SHOTS_DIR = ROOT / "assets" / "screenshots"

# Streamlit's own markers in the DOM.
APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
PLOTLY_CHART = ".js-plotly-plot, [data-testid=stPlotlyChart]"
GATE_VIEW = ".gv"  # the gate view's root (viz/gateview/), inside its component's shadow root
EXCEPTION = "[data-testid=stException]"
ALERT = "[data-testid=stAlert]"


# Every gate view on the page, also those inside a component's shadow root (document.querySelectorAll stops there).
GATE_VIEWS_JS = """() => {
    const find = (root) => [...root.querySelectorAll('.gv'),
        ...[...root.querySelectorAll('*')].filter(e => e.shadowRoot).flatMap(e => find(e.shadowRoot))];
    return find(document);
}"""


# Every value Streamlit's script-state mark takes from now on (a run shows "running").
WATCH_RUNS_JS = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    window.scriptStates = [];
    new MutationObserver(() => window.scriptStates.push(app.dataset.testScriptState))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

# The gate view tells the server where its cursor is once the user has stopped this long (viz/gateview/cursor.js);
# the sequence box sends its text after a pause of its own (ui/sequence_input.js).
REPORT_AFTER_MS = int(re.search(r"REPORT_AFTER_MS = (\d+)", (ROOT / "viz/gateview/cursor.js").read_text())[1])
TYPING_PAUSE_MS = int(re.search(r"DEBOUNCE_MS = (\d+)", (ROOT / "ui/sequence_input.js").read_text())[1])

# When the user pressed a key or clicked, from now on (capture: the view's own handlers run after).
WATCH_INPUTS_JS = """() => {
    window.inputTimes = [];
    const note = () => window.inputTimes.push(performance.now());
    window.addEventListener('keydown', note, true);
    window.addEventListener('click', note, true);
}"""


def pauses(page: Page, pause_ms: float = REPORT_AFTER_MS) -> int:
    """How often, since ``WATCH_INPUTS_JS``, the test's own user stopped between two inputs as long as the page waits
    before it reports (the gate view's pause, or ``TYPING_PAUSE_MS``). On a quiet machine none: a report while
    stepping or typing is the page's fault. On a loaded one a key can come late, and the page rightly reports at such
    a pause; the checks allow one report per pause, no more."""
    times = page.evaluate("() => window.inputTimes")
    return sum(later - earlier >= pause_ms - 5 for earlier, later in itertools.pairwise(times))


def sequence_box_js(key: str = "explore_seq_text") -> str:
    """JS: the textarea of the sequence box whose text lives in ``key`` (ui/sequence_input.js), inside its
    component's shadow root (document.querySelector stops there; Playwright's CSS locators do not)."""
    return (f"document.querySelector('.st-key-{key}_box [data-testid=stBidiComponentIsolated]')"
            "?.shadowRoot?.querySelector('textarea')")


# The Weights page's preview (the gate being edited, C_t, h_t): one panel of it by name, as (units, steps).
PREVIEW_JS = f"""name => {{
    const root = ({GATE_VIEWS_JS})().find(r => r.gatescope?.h.label?.endsWith(' edited'));
    const key = root && Object.keys(root.gatescope.a).find(k => k.split('_').slice(1).join('_') === name);
    const a = key && root.gatescope.a[key];
    const row = u => Array.from({{length: a.rows}}, (_, t) => a.values[t * a.cols + u]);
    return a ? Array.from({{length: a.cols}}, (_, u) => row(u)) : null;
}}"""
# A Plotly chart with its data laid out, or a gate view whose live view object is built.
CHART_DRAWN_JS = f"""() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g._fullLayout && g.data)
    || ({GATE_VIEWS_JS})().some(root => root.gatescope !== undefined && root.isConnected)"""


def _skip_reason() -> str | None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM} (install it with `apt-get install chromium chromium-driver`)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (`.venv/bin/pip install -r requirements-dev.txt`)")
    if not missing:
        return None
    return "browser tests need " + " and ".join(missing) + "; never run `playwright install`"


SKIP_REASON = _skip_reason()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "viewport(width, height): browser page size for one test (default 1280x800)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SKIP_REASON is None:
        return
    marker = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(marker)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def _answers(url: str) -> bool:
    with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200
    return False


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`streamlit run app.py` from the project root on a free loopback port, stopped by its pid at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        # Other work edits the tree while the suite runs; a file watcher would rerun the page under the test.
        "--server.fileWatcherType", "none",
        # No "Deploy" button in the screenshots.
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode} before answering:\n{log.read_text()}")
            if _answers(f"{url}/_stcore/health"):
                break
            if time.monotonic() > deadline:
                waited = f"{SERVER_START_TIMEOUT_S:.0f} s"
                pytest.fail(f"streamlit did not answer on {url} within {waited}:\n{log.read_text()}")
            time.sleep(0.2)
        yield Server(url=url, log=log)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    chromium = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@dataclass
class App:
    """One browser tab on the app, with the waits every test needs."""

    page: Page
    server: Server
    errors: list[str] = field(default_factory=list)

    def open(self, query: str = "") -> App:
        self.page.goto(self.server.url + "/" + query, wait_until="domcontentloaded")
        return self

    def open_drawn(self) -> App:
        """Explore in a fresh session, then one click from its first view (a trained model) to the drawn
        random network on the default text, as a user who wants random weights does."""
        self.open().wait_ready()
        self.click(self.page.get_by_role("button", name="Draw a random network instead").first)
        self.page.locator(".st-key-first_view_drawn").wait_for(state="detached", timeout=30_000)
        return self.wait_ready()

    def wait_idle(self, timeout_ms: float = 30_000) -> App:
        """Wait until the script has finished its run (Streamlit marks the app root while a run is in flight)."""
        self.page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
        return self

    def wait_ready(self, timeout_ms: float = 45_000) -> App:
        """Wait for the app to be idle and for its first chart to be drawn, a Plotly chart or a gate view:
        the point where a user starts."""
        self.wait_idle(timeout_ms)
        self.page.locator(f"{PLOTLY_CHART}, {GATE_VIEW}").first.wait_for(state="visible", timeout=timeout_ms)
        self.page.wait_for_function(CHART_DRAWN_JS, timeout=timeout_ms)
        return self.wait_idle(timeout_ms)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def click(self, locator: Locator, timeout_ms: float = 10_000) -> None:
        """Click where the element is on screen, as a user's mouse does.

        Elements inside a playing fragment are redrawn every tick, so Playwright's wait for a stable
        element can outlast several ticks; a click at the element's position does not wait for that.
        The browser tells the page of a scroll only at its next frame, and a Streamlit select closes its open list
        on any scroll event: a click landing before the frame of the scroll that brought a sidebar select into view
        opened the list, which the late scroll event then closed (how often depended on the browser's frame timing,
        so it showed in long runs). The click waits two frames, for the page to have heard of the scroll.
        """
        locator.wait_for(state="visible", timeout=timeout_ms)
        locator.scroll_into_view_if_needed(timeout=timeout_ms)
        self._settle()
        box = locator.bounding_box(timeout=timeout_ms)
        assert box is not None, f"{locator} has no box on screen"
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def until_shown(self, act: Callable[[], None], outcome: Locator, *, tries: int = 3, timeout_ms: float = 15_000,
                    idle_after: bool = True) -> None:
        """Do ``act`` (a click, a key) until ``outcome`` shows, at most ``tries`` times: an act that lands while a
        rerun is still redrawing its target (or takes the focus away) can be lost, as a user's can. Then wait for
        the run to end, unless ``idle_after`` is False (the outcome is a run in flight, to be watched)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for attempt in range(tries):
            self.wait_idle()
            act()
            try:
                outcome.wait_for(state="visible", timeout=timeout_ms)
                break
            except PlaywrightTimeout:
                if attempt == tries - 1:
                    raise
        if idle_after:
            self.wait_idle()

    def wait_true(self, predicate: str, arg: Any = None, timeout_ms: float = 20_000) -> bool:
        """Wait until the JavaScript ``predicate`` holds, at most ``timeout_ms``; whether it did. For a check that
        reads the page once it is drawn (a style, a layout, typeset maths can land a frame or a run after the
        page went idle under load): the check then asserts on what it reads, with what it saw."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(predicate, arg=arg, timeout=timeout_ms)
        except PlaywrightTimeout:
            return False
        return True

    def download(self, button: Locator, *, tries: int = 3, timeout_ms: float = 15_000) -> Download:
        """Click a download ``button`` until its file arrives, at most ``tries`` times (a click landing while a rerun
        redraws the button can be lost, as a user's can); the file, or the last wait's timeout."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for attempt in range(tries):
            self.wait_idle()
            try:
                with self.page.expect_download(timeout=timeout_ms) as arrived:
                    self.click(button)
                return arrived.value
            except PlaywrightTimeout:
                if attempt == tries - 1:
                    raise

    def open_tab(self, label: str, shown: Locator) -> None:
        """Open the page's tab called ``label`` and wait for ``shown``, a part of it: a tab drawn lazily (the
        Weights page's tasks) has nothing in it until it is open."""
        self.until_shown(lambda: self.click(self.page.get_by_role("tab", name=label)), shown)

    def screenshot(self, name: str, *, whole_app: bool = True, until: str | None = None) -> Path:
        """Save a PNG in tests/browser/screenshots/. Streamlit scrolls inside its main area, not the
        document, so for the whole app the viewport is stretched to the content's height for the shot.
        With ``until`` (a selector), the picture ends just below the first element it matches."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.mouse.move(0, 0)  # no tooltip of the last hovered widget in the picture
        size = self.page.viewport_size or {"width": DEFAULT_VIEWPORT[0], "height": DEFAULT_VIEWPORT[1]}
        if whole_app:
            height = self.page.evaluate(
                "() => Math.max(innerHeight, ...[...document.querySelectorAll("
                "'[data-testid=stMain], [data-testid=stSidebarContent]')].map(e => e.scrollHeight))"
            )
            self.page.set_viewport_size({"width": size["width"], "height": min(int(height), MAX_SHOT_HEIGHT)})
            self._settle()
        clip = None
        if until is not None:
            bottom = self.page.locator(until).first.evaluate("e => e.getBoundingClientRect().bottom")
            viewport = self.page.viewport_size or size
            clip = {"x": 0, "y": 0, "width": viewport["width"], "height": min(bottom + 24, viewport["height"])}
        try:
            self.page.screenshot(path=str(path), clip=clip)
        finally:
            if whole_app:
                self.page.set_viewport_size(size)
        if name in README_SHOTS and os.environ.get("GATESCOPE_UPDATE_SCREENSHOTS") == "1":
            README_SHOTS_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, README_SHOTS_DIR / README_SHOTS[name])
        return path

    def _settle(self) -> None:
        """Let the browser lay out and paint twice after a resize."""
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")

    def diagnostics(self) -> str:
        """What a failure message needs: browser-side errors and the end of the server log."""
        return "browser errors:\n" + "\n".join(self.errors or ["(none)"]) + "\nserver log:\n" + self.server.log_tail()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (a fresh Streamlit session) per test, at the test's viewport."""
    marker = request.node.get_closest_marker("viewport")
    width, height = marker.args if marker else DEFAULT_VIEWPORT
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def app(page: Page, server: Server) -> App:
    """The app in a fresh tab, not yet opened: `app.open().wait_ready()` before interacting."""
    driver = App(page=page, server=server)
    page.on("pageerror", lambda error: driver.errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: message.type == "error" and driver.errors.append(f"console: {message.text}"))
    return driver
