"""The Explore page in Chromium: it draws, redraws on a new sequence, plays, and survives bad input.

Widgets and charts are found by their keys (Streamlit puts `st-key-<key>` on each element's box; the keys
live in ui/keys.py). What is checked is what a user sees: the heatmaps' tick labels, the cursor box drawn
on them, the slider, the error box.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import App

ROOT = Path(__file__).resolve().parents[2]
README_SHOT = ROOT / "assets" / "screenshots" / "explore-browser.png"

LSTM_MAPS = ["forget", "input", "candidate", "output", "cell", "hidden"]  # the default cell's heatmaps, in order
EXCEPTION = "[data-testid=stException]"
ERROR = "[data-testid=stAlert]:has([data-testid=stAlertContentError])"
SEQUENCE_BOX = ".st-key-seq_text textarea"
SLIDER = ".st-key-cursor_step input[type=range]"
PLAY = ".st-key-cursor_play"

# Every gate/state heatmap on the page: its gate name, the tick labels Plotly drew on its time axis,
# the labels in its figure, and the centre of the cursor box (the step it marks).
HEATMAPS_JS = """() => [...document.querySelectorAll('[class*="st-key-heatmap_"]')].map(box => {
    const chart = box.querySelector('.js-plotly-plot');
    const name = [...box.classList].find(c => c.startsWith('st-key-heatmap_')).slice('st-key-heatmap_'.length);
    const cursor = chart?.layout?.shapes?.find(s => s.name === 'cursor');
    return {
        name,
        drawn: !!chart && chart.querySelectorAll('.heatmaplayer image').length > 0,
        shown: chart ? [...chart.querySelectorAll('.xaxislayer-above .xtick text')].map(t => t.textContent) : [],
        ticks: chart?.layout?.xaxis?.ticktext ?? [],
        cursor: cursor ? (cursor.x0 + cursor.x1) / 2 : null,
    };
})"""
INPUT_TICKS_JS = """() => {
    const chart = document.querySelector('.st-key-input_heatmap .js-plotly-plot');
    return chart ? [...chart.querySelectorAll('.xaxislayer-above .xtick text')].map(t => t.textContent) : [];
}"""


@dataclass(frozen=True)
class Heatmap:
    name: str
    drawn: bool
    shown: list[str]
    ticks: list[str]
    cursor: float | None


def heatmaps(app: App) -> list[Heatmap]:
    return [Heatmap(**m) for m in app.evaluate(HEATMAPS_JS)]


def step_labels(text: str) -> list[str]:
    """The time-axis labels a user should read for a typed text: step index, then the character."""
    shown = {" ": "␣"}
    return [f"{t}·{shown.get(c, c)}" for t, c in enumerate(text)]


def wait_for_heatmaps_showing(app: App, labels: list[str], timeout_ms: float = 20_000) -> None:
    """Wait until every gate heatmap is drawn with exactly these time-axis labels on screen."""
    wait_until(
        app,
        f"""(want) => {{
            const maps = ({HEATMAPS_JS})();
            return maps.length > 0 && maps.every(m => m.drawn && JSON.stringify(m.shown) === JSON.stringify(want));
        }}""",
        f"every heatmap drawn with time labels {labels}",
        arg=labels,
        timeout_ms=timeout_ms,
    )


def wait_until(app: App, predicate_js: str, what: str, arg: object = None, timeout_ms: float = 20_000) -> None:
    """Wait for a JS predicate; on timeout, fail saying what was awaited and what the page showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        app.page.wait_for_function(predicate_js, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeout:
        seen = {
            "slider": app.page.locator(SLIDER).input_value() if app.page.locator(SLIDER).count() else None,
            "play button": app.page.locator(PLAY).get_by_role("button").all_inner_texts(),
            "heatmaps": [vars(m) for m in heatmaps(app)],
            "errors on the page": app.page.locator(ERROR).all_inner_texts(),
        }
        pytest.fail(f"waited {timeout_ms / 1000:.0f} s for {what}; the page showed {seen}\n{app.diagnostics()}")


def slider_step(app: App) -> int:
    return int(app.page.locator(SLIDER).input_value())


def step_panel(app: App) -> str:
    """The line above the heatmaps naming the cursor's step, token and unit."""
    return app.page.locator("[data-testid=stMarkdownContainer]", has_text="· token").first.inner_text()


def assert_no_traceback(app: App) -> None:
    assert app.page.locator(EXCEPTION).count() == 0, "a traceback reached the page\n" + app.diagnostics()


def commit_sequence(app: App, text: str, how: str) -> None:
    """Type into the sequence box and apply it as a user does: Ctrl+Enter, or leaving the box."""
    box = app.page.locator(SEQUENCE_BOX)
    box.fill(text)
    if how == "ctrl+enter":
        box.press("Control+Enter")
    else:
        app.page.locator("h1").first.click()  # clicking elsewhere takes the focus away


def test_explore_loads_with_every_heatmap_drawn(app: App) -> None:
    app.open().wait_ready()
    wait_for_heatmaps_showing(app, step_labels("hello world"))

    maps = heatmaps(app)
    assert [m.name for m in maps] == LSTM_MAPS, app.diagnostics()
    assert all(m.ticks == step_labels("hello world") for m in maps)
    assert all(m.cursor == 0 for m in maps), [m.cursor for m in maps]
    assert app.evaluate(INPUT_TICKS_JS) == step_labels("hello world")
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)

    shot = app.screenshot("explore")
    if os.environ.get("GATESCOPE_UPDATE_SCREENSHOTS") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOT)


@pytest.mark.parametrize("how", ["ctrl+enter", "blur"])
def test_typing_a_sequence_redraws_every_heatmap(app: App, how: str) -> None:
    app.open().wait_ready()

    commit_sequence(app, "gates", how)

    wait_for_heatmaps_showing(app, step_labels("gates"))
    app.wait_idle()
    assert [m.name for m in heatmaps(app)] == LSTM_MAPS
    assert app.evaluate(INPUT_TICKS_JS) == step_labels("gates")
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)
    app.screenshot(f"explore-typed-{how.replace('+', '-')}", whole_app=False)


def test_play_moves_the_cursor_and_pause_stops_it(app: App) -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"  # long enough that playing does not reach the end while the test watches
    app.open().wait_ready()
    commit_sequence(app, letters, "ctrl+enter")
    wait_for_heatmaps_showing(app, step_labels(letters))
    app.wait_idle()
    assert slider_step(app) == 0
    assert all(m.cursor == 0 for m in heatmaps(app))

    app.click(app.page.locator(PLAY).get_by_role("button", name="Play"))

    # The slider and the cursor box on every heatmap move on by themselves.
    wait_until(
        app,
        f"""() => {{
            const slider = document.querySelector('{SLIDER}');
            const maps = ({HEATMAPS_JS})();
            return slider !== null && Number(slider.value) >= 2
                && maps.length > 0 && maps.every(m => m.cursor !== null && m.cursor >= 1);
        }}""",
        "the slider to reach step 2 and every cursor box to leave step 0 while playing",
    )

    app.click(app.page.locator(PLAY).get_by_role("button", name="Pause"))
    app.page.locator(PLAY).get_by_role("button", name="Play").wait_for(timeout=10_000)
    app.wait_idle()
    # Once paused, the slider and every cursor box agree on one step.
    wait_until(
        app,
        f"""() => {{
            const slider = document.querySelector('{SLIDER}');
            const maps = ({HEATMAPS_JS})();
            return slider !== null && maps.length > 0 && maps.every(m => m.cursor === Number(slider.value));
        }}""",
        "the slider and every cursor box to agree once paused",
        timeout_ms=10_000,
    )
    paused = slider_step(app)
    assert 2 <= paused < len(letters) - 1, f"playing ran to step {paused} of {len(letters)}"
    assert step_panel(app).startswith(f"Step {paused} · token {letters[paused]}"), step_panel(app)

    app.page.wait_for_timeout(1_500)  # a few play intervals: a paused cursor stays put
    assert slider_step(app) == paused
    assert all(m.cursor == paused for m in heatmaps(app)), [m.cursor for m in heatmaps(app)]
    assert_no_traceback(app)
    app.screenshot("explore-paused", whole_app=False)


@pytest.mark.parametrize(
    ("case", "expected"),
    [("letters-in-number-mode", ["not a number", "step 1"]), ("empty-box", ["Sequence"])],
)
def test_bad_input_shows_an_error_and_keeps_the_heatmaps(app: App, case: str, expected: list[str]) -> None:
    app.open().wait_ready()
    before = heatmaps(app)

    if case == "letters-in-number-mode":
        app.page.locator(".st-key-seq_mode").get_by_text("numbers", exact=True).click()  # "hello world" stays
    else:
        commit_sequence(app, "", "ctrl+enter")

    error = app.page.locator(ERROR)
    error.first.wait_for(state="visible", timeout=20_000)
    app.wait_idle()
    message = error.first.inner_text()
    for words in expected:
        assert words in message, message
    assert_no_traceback(app)
    # The last good view stays: the same heatmaps, still drawn, still labelled by "hello world".
    wait_for_heatmaps_showing(app, step_labels("hello world"))
    after = heatmaps(app)
    assert [m.name for m in after] == [m.name for m in before]
    assert all(m.drawn for m in after)
    app.screenshot(f"explore-error-{case}", whole_app=False)


@pytest.mark.viewport(1024, 768)
def test_projector_sized_window_shows_whole_heatmaps(app: App) -> None:
    """At 1024x768 (a common projector) no heatmap is cut off at the right edge and nothing overlaps the page."""
    app.open().wait_ready()
    wait_for_heatmaps_showing(app, step_labels("hello world"))
    main = app.page.locator("[data-testid=stMain]").bounding_box()
    assert main is not None
    boxes = app.evaluate(
        """() => [...document.querySelectorAll('[class*="st-key-heatmap_"] .js-plotly-plot .main-svg')]
            .map(svg => svg.getBoundingClientRect()).map(r => ({left: r.left, right: r.right, width: r.width}))"""
    )
    assert boxes, "no heatmap drawn"
    right_edge = main["x"] + main["width"]
    for box in boxes:
        assert box["width"] > 200, json.dumps(boxes)
        assert box["right"] <= right_edge + 1, f"a heatmap runs past the page's edge at {right_edge}px: {box}"
    assert_no_traceback(app)
    app.screenshot("explore-1024x768", whole_app=False)
