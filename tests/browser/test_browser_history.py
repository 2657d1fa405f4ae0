"""The browser's Back button in real Chromium: each setting changed is one entry that Back undoes, cursor moves and
reruns add none, and a page reached by a button is left with one press."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import App
from ui.reconnect import NOTE

BACK_TIMEOUT_MS = 30_000


def search(app: App) -> str:
    return app.evaluate("() => location.search")


def back(app: App) -> None:
    """Press the browser's Back button and wait for the page to rerun with the entry's address."""
    app.page.go_back(wait_until="commit")
    app.wait_idle(60_000)


def shows(app: App, key: str, value: str) -> None:
    """Wait until the widget of ``key`` shows ``value`` (the rerun Back started has reached it)."""
    app.page.wait_for_function("([key, want]) => document.querySelector(`.st-key-${key} input`)?.value === want",
                               arg=[key, value], timeout=BACK_TIMEOUT_MS)
    app.wait_idle()


def cell(app: App) -> str:
    return app.page.locator(".st-key-explore_net_kind input").first.input_value()


def seed(app: App) -> str:
    return app.page.locator(".st-key-explore_net_seed input").first.input_value()


def test_back_undoes_the_seed_then_the_cell_then_leaves(app: App) -> None:
    app.open("?kind=lstm").wait_ready(60_000)
    app.page.wait_for_function("() => !location.search.includes('kind=')", timeout=BACK_TIMEOUT_MS)  # the default
    entries = app.evaluate("() => history.length")
    assert app.page.get_by_text(NOTE).count() == 0  # a fresh page is not taken for a reconnected one
    app.click(app.page.locator(".st-key-explore_net_kind input").first)
    app.page.get_by_role("option", name="Peephole LSTM", exact=True).click(timeout=10_000)
    app.page.wait_for_function("() => location.search.includes('kind=peephole')", timeout=BACK_TIMEOUT_MS)
    app.wait_ready(60_000)
    box = app.page.locator(".st-key-explore_net_seed input").first
    box.fill("5")
    box.press("Enter")
    app.page.wait_for_function("() => location.search.includes('seed=5')", timeout=BACK_TIMEOUT_MS)
    app.wait_ready(60_000)
    app.page.keyboard.press("End")  # a cursor move: the entry is corrected, none is added
    app.wait_idle()
    assert app.evaluate("() => history.length") == entries + 2, app.diagnostics()

    back(app)
    shows(app, "explore_net_seed", "0")
    assert (cell(app), seed(app)) == ("Peephole LSTM", "0"), search(app)
    assert "kind=peephole" in search(app)

    back(app)
    shows(app, "explore_net_kind", "LSTM")
    assert (cell(app), seed(app)) == ("LSTM", "0"), search(app)
    assert "kind=" not in search(app)

    app.page.go_back(wait_until="commit")
    app.page.wait_for_url(lambda url: not url.startswith(app.server.url), timeout=BACK_TIMEOUT_MS)


def test_back_from_explore_opened_by_train_returns_to_train_in_one_press(app: App) -> None:
    app.open("train").wait_idle(60_000)
    app.click(app.page.get_by_role("button", name="Load it").first)
    app.page.get_by_role("button", name="Open in Explore").first.wait_for(timeout=60_000)
    app.wait_idle(60_000)
    entries = app.evaluate("() => history.length")
    app.click(app.page.get_by_role("button", name="Open in Explore").first)
    app.page.get_by_role("heading", name="Explore a recurrent cell").wait_for(timeout=60_000)
    app.wait_ready(60_000)
    app.page.wait_for_function("() => location.search.includes('model=trained')", timeout=BACK_TIMEOUT_MS)
    assert app.evaluate("() => history.length") == entries + 1  # Explore's own entry, its link corrected in place
    back(app)
    app.page.get_by_role("heading", name="Train a small network").wait_for(timeout=60_000)
    assert app.evaluate("() => location.pathname").endswith("/train")


def test_leaving_weights_takes_one_press(app: App) -> None:
    """What a fresh Weights page writes into its link on its first runs corrects its entry: one Back leaves it."""
    app.open("?kind=gru").wait_ready(60_000)
    app.open("weights").wait_ready(60_000)
    app.page.wait_for_timeout(2_000)  # the page's later reruns, if any
    app.wait_idle()
    back(app)
    app.page.get_by_role("heading", name="Explore a recurrent cell").wait_for(timeout=60_000)
    assert app.evaluate("() => location.pathname") == "/" and "kind=gru" in search(app)


def test_back_on_compare_undoes_a_pane_setting(app: App) -> None:
    app.open("compare").wait_ready(60_000)
    kind = app.page.locator(".st-key-cmp_a_kind input").first
    before = kind.input_value()
    app.click(kind)
    app.page.get_by_role("option", name="Peephole LSTM", exact=True).click(timeout=10_000)
    app.page.wait_for_function("() => location.search.includes('a_kind=peephole')", timeout=BACK_TIMEOUT_MS)
    app.wait_ready(60_000)
    back(app)
    shows(app, "cmp_a_kind", before)
    assert "a_kind=peephole" not in search(app)


HISTORY_JS = (Path(__file__).parents[2] / "ui" / "history.js").read_text(encoding="utf-8")
MOUNT_JS = """async ([source, mounts]) => {
    // ui/history.js as a module of its own (the page's copy keeps its own state), mounted as Streamlit would
    const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
    const mountHistory = (await import(url)).default;
    const seen = [];
    for (const [query, order] of mounts) {
        const parentElement = document.createElement("div");
        document.body.appendChild(parentElement);
        mountHistory({parentElement, data: {query, push: false, serial: `test-${order}`, order}});
        parentElement.remove();
        seen.push(location.search);
    }
    return seen;
}"""


def test_an_address_drawn_after_a_newer_one_is_not_put_back(app: App) -> None:
    """Under load the browser can draw a run's first mount (the address it began from) after its last: the bar
    keeps the newer address, as the server's order of the two says."""
    app.open("lessons?stop=forget-gate").wait_idle(60_000)
    seen = app.evaluate(MOUNT_JS, [HISTORY_JS, [["stop=input-gate", 20], ["stop=forget-gate", 10],
                                                ["stop=cell-update", 30]]])
    assert seen == ["?stop=input-gate", "?stop=input-gate", "?stop=cell-update"]  # the older one drawn late: ignored
