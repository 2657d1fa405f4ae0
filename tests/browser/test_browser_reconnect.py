"""A text typed as the server process dies is not lost: once the page has reconnected to a new process on the same
port, the view shows what the box holds, and so does the link (real Chromium; the server is killed, not stopped)."""

from __future__ import annotations

import os
import signal
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import App
from tests.browser.test_browser_explore import (
    SEQUENCE_BOX,
    Restartable,
    open_explore,
    start_server,
    step_labels,
    wait_for_view_showing,
)

TYPED = "gates"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Restartable]:
    """A server of this test's own, on a port it can start another one on."""
    own = Restartable(tmp_path / "server.log")
    try:
        yield own
    finally:
        own.stop()


def kill(server: Restartable) -> None:
    """End the server process at once, as a crash or the out-of-memory killer does: no goodbye to the page."""
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


def test_a_text_typed_as_the_server_dies_is_applied_after_the_reconnect(page: Page, server: Restartable) -> None:
    app = App(page=page, server=server.server)
    page.on("pageerror", lambda error: app.errors.append(f"pageerror: {error}"))
    open_explore(app, "?kind=lstm")
    wait_for_view_showing(app, step_labels("hello world"))
    app.wait_idle()

    kill(server)
    box = page.locator(SEQUENCE_BOX)
    box.fill(TYPED)
    box.press("Enter")  # the report goes to a process that is gone
    server.process = start_server(server.port, server.log)

    wait_for_view_showing(app, step_labels(TYPED), timeout_ms=60_000)
    assert box.input_value() == TYPED
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('seq') === '{TYPED}'", timeout=30_000)
    assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["seq"] == [TYPED]
