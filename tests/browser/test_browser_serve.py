"""`make serve` in a real browser: two Streamlit workers behind nginx (deploy/serve.py).

A session sticks to one worker (every response it gets, its websocket and its upload name the same worker),
and when that worker is killed the page reconnects through nginx to the other one and rebuilds its view
from its link, while nginx sends new sessions only to the worker that is alive. Skips without nginx.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import sequence_box_js

import cells
from deploy.serve import NGINX
from ui.reconnect import NOTE
from workbench import keys
from workbench.model_files import export_torch
from workbench.model_link import weights_to_link

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx)")

ROOT = Path(__file__).resolve().parents[2]
APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
SEQUENCE_BOX = ".st-key-explore_seq_text_box textarea"
EXCEPTION = "[data-testid=stException]"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Every toast's text the page shows from now on, in window.toasts.
WATCH_TOASTS_JS = """() => {
    window.toasts = [];
    const seen = () => document.querySelectorAll('[data-testid=stToast]').forEach(t => {
        if (!window.toasts.includes(t.innerText)) window.toasts.push(t.innerText);
    });
    new MutationObserver(seen).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, run: Path, url: str, process: subprocess.Popen[bytes]) -> None:
        self.run, self.url, self.process = run, url, process

    def workers(self) -> dict[str, dict]:
        """Each worker's description by its "127.0.0.1:port" address (as X-Gatescope-Worker names it)."""
        state = json.loads((self.run / "workers.json").read_text())
        return {f"127.0.0.1:{w['port']}": w for w in state["workers"]}

    def access_log(self) -> list[str]:
        return (self.run / "nginx-access.log").read_text(errors="replace").splitlines()

    def diagnostics(self) -> str:
        logs = sorted(self.run.glob("*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in logs)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """deploy/serve.py with two workers, no restarts (a killed worker stays dead), stopped by its pid."""
    run = tmp_path_factory.mktemp("serve")
    port = _free_port()
    log = (run / "serve.out").open("wb")
    process = subprocess.Popen([sys.executable, "deploy/serve.py", "--workers", "2", "--port", str(port),
                                "--run-dir", str(run), "--no-restart"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    cluster = Cluster(run, f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve.py exited with {process.returncode}:\n{cluster.diagnostics()}")
            with_nginx = (run / "workers.json").exists() and json.loads((run / "workers.json").read_text())["nginx_pid"]
            if with_nginx and all(w["state"] == "up" for w in cluster.workers().values()):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"serve.py did not bring up two workers within 120 s:\n{cluster.diagnostics()}")
            time.sleep(0.3)
        yield cluster
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Tab:
    """A browser context (its own cookies, so its own session and route) and the workers that answered it."""

    def __init__(self, browser: Browser, cluster: Cluster) -> None:
        self.cluster = cluster
        self.context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(45_000)
        self.page: Page = self.context.new_page()
        self.answered: list[tuple[str, str, str | None]] = []  # (method, path, worker)
        self.sockets = 0
        self.page.on("response", self._record)
        self.page.on("websocket", self._socket)

    def _record(self, response: object) -> None:
        request = response.request  # type: ignore[attr-defined]
        if not response.url.startswith(self.cluster.url + "/"):  # type: ignore[attr-defined]
            return  # the page's own data: and blob: URLs never reach a server
        path = response.url[len(self.cluster.url):]  # type: ignore[attr-defined]
        self.answered.append((request.method, path, response.headers.get("x-gatescope-worker")))  # type: ignore[attr-defined]

    def _socket(self, socket: object) -> None:
        self.sockets += 1

    def workers(self) -> set[str | None]:
        return {w for _, _, w in self.answered}

    def route(self) -> str:
        return next(c["value"] for c in self.context.cookies() if c["name"] == "gatescope_route")

    def idle(self) -> None:
        self.page.wait_for_selector(APP_IDLE, timeout=60_000)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tabs(browser: Browser, cluster: Cluster) -> Iterator[list[Tab]]:
    opened: list[Tab] = []
    yield opened
    for tab in opened:
        tab.close()


def test_a_session_and_its_upload_stay_on_one_worker(browser: Browser, cluster: Cluster, tabs: list[Tab],
                                                     tmp_path: Path) -> None:
    tab = Tab(browser, cluster)
    tabs.append(tab)
    tab.page.goto(cluster.url + "/weights", wait_until="domcontentloaded")
    tab.idle()
    tab.page.get_by_role("tab", name="Download and upload").click()  # the page draws its uploads in this tab
    uploader = tab.page.locator(f".st-key-{keys.WEIGHTS.upload} input[type=file]")
    uploader.wait_for(state="attached", timeout=60_000)
    model = tmp_path / "gru-state-dict.npz"
    model.write_bytes(export_torch(cells.Network.create("gru_torch", 8, 3, seed=4)))
    with tab.page.expect_response(lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT") as put:
        uploader.set_input_files(str(model))
    assert put.value.ok, put.value.status
    tab.page.get_by_text("gru-state-dict.npz").first.wait_for(state="visible")
    tab.idle()
    assert tab.page.locator(EXCEPTION).count() == 0

    (worker,) = tab.workers()  # the page, its scripts and styles, the health checks and the upload
    assert worker in cluster.workers(), (worker, cluster.workers())
    assert put.value.headers["x-gatescope-worker"] == worker
    assert tab.sockets >= 1
    route = tab.route()
    tab.close()  # nginx logs the websocket once it closes
    tabs.remove(tab)
    deadline = time.monotonic() + 10
    while not any("/_stcore/stream" in line and f"route={route}" in line for line in cluster.access_log()):
        assert time.monotonic() < deadline, "\n".join(cluster.access_log()[-20:])
        time.sleep(0.2)
    mine = [line for line in cluster.access_log() if f"route={route}" in line]
    assert {re.search(r"worker=(\S+)", line).group(1) for line in mine} == {worker}, "\n".join(mine)


def test_a_killed_worker_is_routed_around_and_the_page_rebuilds_from_its_link(
        browser: Browser, cluster: Cluster, tabs: list[Tab]) -> None:
    tab = Tab(browser, cluster)
    tabs.append(tab)
    tab.page.goto(cluster.url + "/?seq=gates+open", wait_until="domcontentloaded")
    tab.idle()
    tab.page.wait_for_function(f"() => {sequence_box_js()}?.value === 'gates open'")
    (first,) = tab.workers()
    workers = cluster.workers()
    (other,) = set(workers) - {first}
    sockets = tab.sockets

    before_kill = len(tab.answered)
    tab.page.evaluate(WATCH_TOASTS_JS)  # a toast shows for seconds: the note may come and go before it is looked for
    os.kill(workers[first]["pid"], signal.SIGKILL)
    # Streamlit's client notices the closed websocket and connects again through nginx, which finds the
    # dead worker refusing and hands the connection to the other one. The page keeps showing its view.
    deadline = time.monotonic() + 90
    while tab.sockets == sockets:
        assert time.monotonic() < deadline, "the page never opened a new websocket"
        tab.page.wait_for_timeout(200)
    assert tab.page.locator(SEQUENCE_BOX).input_value() == "gates open"  # not a blank page

    # The other worker has never seen this session: its first run rebuilds the page from its link and says so.
    box = tab.page.locator(SEQUENCE_BOX)
    box.fill("gates shut")
    box.press("Enter")
    tab.page.wait_for_function("note => window.toasts.some(t => t.includes(note))", arg=NOTE, timeout=60_000)
    tab.idle()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SCREENSHOTS / "serve-after-failover.png"))
    assert tab.page.locator(EXCEPTION).count() == 0, cluster.diagnostics()
    assert box.input_value() in ("gates open", "gates shut")  # the link's view (or the edit, if it survived)
    # From then on the session lives on the other worker: a new sequence runs there and goes into the link.
    box.fill("gates shut")
    box.press("Enter")
    tab.page.wait_for_function("() => new URLSearchParams(location.search).get('seq') === 'gates shut'",
                               timeout=60_000)
    tab.idle()
    assert tab.page.locator(EXCEPTION).count() == 0, cluster.diagnostics()
    # Every answer since came from the other worker (nginx names both where it tried the dead one first).
    assert {w.split(", ")[-1] for _, _, w in tab.answered[before_kill:] if w} == {other}, tab.answered[before_kill:]
    deadline = time.monotonic() + 30
    while cluster.workers()[first]["state"] != "down":
        assert time.monotonic() < deadline, cluster.workers()
        time.sleep(0.2)

    # New sessions go to the live worker only (each context gets its own route cookie).
    for _ in range(4):
        fresh = Tab(browser, cluster)
        tabs.append(fresh)
        fresh.page.goto(cluster.url + "/", wait_until="domcontentloaded")
        fresh.idle()
        assert fresh.workers() == {other}, (fresh.answered, first, other)
        fresh.page.locator(SEQUENCE_BOX).wait_for(state="visible", timeout=60_000)  # the page drew
        assert fresh.page.locator("[data-testid=stToast]", has_text=NOTE).count() == 0  # a fresh page has no note


def test_the_longest_link_the_app_writes_passes_nginx(browser: Browser, cluster: Cluster, tabs: list[Tab]) -> None:
    """An edited 8-unit LSTM reading 40 characters one-hot, with a 4,000-character sequence: the longest kind of
    link the app writes (about 13,000 characters), which nginx's default buffers answered with 414."""
    vocabulary = "abcdefghijklmnopqrstuvwxyz .,;:!?'-()0123"
    network = cells.Network.create("lstm", len(vocabulary), 8, seed=5)
    text = (vocabulary * 100)[:4000]
    query = urllib.parse.urlencode({"model": "chars:" + vocabulary, "weights": weights_to_link(network), "seq": text})
    link = "/?" + query
    assert len(link) > 12_500, len(link)
    with urllib.request.urlopen(cluster.url + link, timeout=30) as response:
        assert response.status == 200  # nginx passed it on, and the worker served the page
    tab = Tab(browser, cluster)
    tabs.append(tab)
    tab.page.goto(cluster.url + link, wait_until="domcontentloaded")
    tab.idle()
    tab.page.wait_for_function(f"() => {sequence_box_js()}?.value?.length === {len(text)}", timeout=60_000)
    assert tab.page.locator(EXCEPTION).count() == 0, cluster.diagnostics()
