"""The Explore page in Chromium: it draws, redraws on a new sequence, plays, and survives bad input.

Widgets and charts are found by their keys (Streamlit puts `st-key-<key>` on each element's box; the keys
live in ui/keys.py). What is checked is what a user sees: the heatmaps' tick labels, the cursor box drawn
on them, the slider, the error box.
"""

from __future__ import annotations

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
PLAY = ".st-key-cursor_play"  # shown while paused
PAUSE = ".st-key-cursor_pause"  # shown while playing

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
    """Wait until every gate heatmap is drawn with time labels from this sequence alone, starting at its first
    step (a long sequence may label every n-th step only)."""
    wait_until(
        app,
        f"""(want) => {{
            const maps = ({HEATMAPS_JS})();
            return maps.length > 0 && maps.every(m => m.drawn && m.shown.length > 0 && m.shown[0] === want[0]
                && m.shown.every(label => want.includes(label)));
        }}""",
        f"every heatmap drawn with time labels from {labels}",
        arg=labels,
        timeout_ms=timeout_ms,
    )


def labels_from(shown: list[str], text: str) -> bool:
    """Whether these tick labels all name steps of ``text``, the first one included."""
    want = step_labels(text)
    return bool(shown) and shown[0] == want[0] and all(label in want for label in shown)


def wait_until(app: App, predicate_js: str, what: str, arg: object = None, timeout_ms: float = 20_000) -> None:
    """Wait for a JS predicate; on timeout, fail saying what was awaited and what the page showed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        app.page.wait_for_function(predicate_js, arg=arg, timeout=timeout_ms)
    except PlaywrightTimeout:
        seen = {
            "slider": app.page.locator(SLIDER).input_value() if app.page.locator(SLIDER).count() else None,
            "play/pause button": app.page.locator(f"{PLAY}, {PAUSE}").get_by_role("button").all_inner_texts(),
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
    app.open_drawn()
    wait_for_heatmaps_showing(app, step_labels("hello world"))

    maps = heatmaps(app)
    assert [m.name for m in maps] == LSTM_MAPS, app.diagnostics()
    assert all(m.ticks == step_labels("hello world") for m in maps), [m.ticks for m in maps]
    assert all(m.cursor == 0 for m in maps), [m.cursor for m in maps]
    assert app.evaluate(INPUT_TICKS_JS) == step_labels("hello world")
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)

    app.screenshot("explore")
    # The README's picture: controls, equations, step panel and the first gate heatmaps, not the whole scroll.
    shot = app.screenshot("explore-readme", until=".st-key-heatmap_input")
    if os.environ.get("GATESCOPE_UPDATE_SCREENSHOTS") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOT)


@pytest.mark.parametrize("how", ["ctrl+enter", "blur"])
def test_typing_a_sequence_redraws_every_heatmap(app: App, how: str) -> None:
    app.open_drawn()

    commit_sequence(app, "gates", how)

    wait_for_heatmaps_showing(app, step_labels("gates"))
    app.wait_idle()
    assert [m.name for m in heatmaps(app)] == LSTM_MAPS
    assert labels_from(app.evaluate(INPUT_TICKS_JS), "gates"), app.evaluate(INPUT_TICKS_JS)
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)
    app.screenshot(f"explore-typed-{how.replace('+', '-')}", until=".st-key-heatmap_forget")


LETTERS = "abcdefghijklmnopqrstuvwxyz"  # long enough that playing does not reach the end while a test watches


def play_until_the_cursor_moves(app: App) -> None:
    """Open the page on LETTERS, press Play, and wait for the slider and every cursor box to move on."""
    app.open_drawn()
    commit_sequence(app, LETTERS, "ctrl+enter")
    wait_for_heatmaps_showing(app, step_labels(LETTERS))
    app.wait_idle()
    assert slider_step(app) == 0
    assert all(m.cursor == 0 for m in heatmaps(app))

    app.click(app.page.locator(PLAY).get_by_role("button", name="Play"))

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


def test_play_moves_the_cursor_on_every_heatmap_and_pause_keeps_it_still(app: App) -> None:
    play_until_the_cursor_moves(app)

    app.click(app.page.locator(PAUSE).get_by_role("button", name="Pause"))
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
    assert 2 <= paused < len(LETTERS) - 1, f"playing ran to step {paused} of {len(LETTERS)}"

    app.page.wait_for_timeout(1_500)  # a few play intervals: a paused cursor stays put
    assert app.page.locator(PAUSE).count() == 0, "the Pause button came back: playing resumed by itself"
    assert app.page.locator(PLAY).get_by_role("button", name="Play").is_visible()
    assert slider_step(app) == paused, f"paused at step {paused}, then the slider moved on"
    assert all(m.cursor == paused for m in heatmaps(app)), [m.cursor for m in heatmaps(app)]
    assert step_panel(app).startswith(f"Step {paused} · token {LETTERS[paused]}"), step_panel(app)
    assert_no_traceback(app)
    app.screenshot("explore-paused", until=".st-key-heatmap_forget")


@pytest.mark.parametrize(
    ("case", "expected"),
    [("letters-in-number-mode", ["not a number", "step 1"]), ("empty-box", ["Sequence"])],
)
def test_bad_input_shows_an_error_and_keeps_the_heatmaps(app: App, case: str, expected: list[str]) -> None:
    app.open_drawn()
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
    app.screenshot(f"explore-error-{case}", until=".st-key-heatmap_forget")


# Pairs of neighbouring time-axis labels that would be drawn over each other, per chart. Each label is a
# box (width along its text, height across it) hanging from its tick; two boxes clash when they overlap both
# along the text and across it, given the tick spacing in pixels and the labels' angle.
LABEL_CLASHES_JS = """() => [...document.querySelectorAll(
        '[class*="st-key-heatmap_"] .js-plotly-plot, .st-key-input_heatmap .js-plotly-plot')].map(chart => {
    const axis = chart._fullLayout.xaxis;
    const texts = [...chart.querySelectorAll('.xaxislayer-above .xtick text')];
    const perStep = axis._length / (axis.range[1] - axis.range[0]);
    const angle = (typeof axis.tickangle === 'number' ? axis.tickangle : 0) * Math.PI / 180;
    const clashes = [];
    for (let i = 1; i < texts.length; i++) {
        const a = texts[i - 1].getBBox(), b = texts[i].getBBox();
        const dx = (axis.tickvals[i] - axis.tickvals[i - 1]) * perStep;
        const centred = texts[i].getAttribute('text-anchor') === 'middle';
        const along = dx * Math.abs(Math.cos(angle)), across = dx * Math.abs(Math.sin(angle));
        const needAlong = centred ? (a.width + b.width) / 2 : Math.max(a.width, b.width);
        const needAcross = 0.7 * Math.max(a.height, b.height);  // the glyphs, not the line box
        if (along < needAlong - 1 && across < needAcross - 1) {
            clashes.push(`${texts[i - 1].textContent} / ${texts[i].textContent}`);
        }
    }
    return {chart: chart.closest('[data-testid=stElementContainer]').className.match(/st-key-\\S+/)?.[0], clashes};
}).filter(c => c.clashes.length > 0)"""

# Equations wider than the box they sit in: KaTeX scrolls them sideways, so their end is off screen.
CUT_EQUATIONS_JS = """() => [...document.querySelectorAll('.katex-display')]
    .filter(e => e.scrollWidth > e.clientWidth + 8)
    .map(e => `${e.querySelector('annotation')?.textContent.trim() ?? e.textContent} `
              + `(${e.scrollWidth} px in ${e.clientWidth} px)`)"""


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((1920, 1080), id="1920x1080", marks=pytest.mark.viewport(1920, 1080)),
        pytest.param((1280, 800), id="1280x800"),
        pytest.param((1024, 768), id="1024x768", marks=pytest.mark.viewport(1024, 768)),
    ],
)  # fmt: skip
def test_nothing_drawn_over_or_cut_off(app: App, size: tuple[int, int], request: pytest.FixtureRequest) -> None:
    """A projected page stays readable: no two tokens on a time axis drawn over each other, and every deck
    equation and plugged-in step equation fits its column."""
    app.open_drawn()
    wait_for_heatmaps_showing(app, step_labels("hello world"))
    app.page.locator(".katex-display").first.wait_for(state="visible")
    app.wait_idle()
    app.screenshot(f"explore-{request.node.callspec.id}", until=".st-key-heatmap_forget")
    clashes = app.evaluate(LABEL_CLASHES_JS)
    cut = app.evaluate(CUT_EQUATIONS_JS)
    assert (clashes, cut) == ([], []), f"time-axis labels drawn over each other: {clashes}; equations cut off: {cut}"
    assert_no_traceback(app)


def test_long_sequence_time_labels_do_not_overlap(app: App) -> None:
    app.open_drawn()
    commit_sequence(app, LETTERS, "ctrl+enter")
    wait_for_heatmaps_showing(app, step_labels(LETTERS))
    app.wait_idle()
    app.screenshot("explore-26-steps", until=".st-key-heatmap_forget")
    clashes = app.evaluate(LABEL_CLASHES_JS)
    assert clashes == [], f"time-axis labels drawn over each other: {clashes}"
    assert_no_traceback(app)


# Cursor buttons whose label does not fit: Streamlit cuts a button's label with an ellipsis, down to nothing.
CLIPPED_BUTTONS_JS = """() => [...document.querySelectorAll(['prev', 'next', 'play', 'pause'].map(
        name => `.st-key-cursor_${name} button`).join(', '))]
    .filter(b => b.offsetParent !== null)
    .map(b => [b.innerText.replace(/\\s+/g, ' ').trim(), b.querySelector('[data-testid=stMarkdownContainer]')])
    .filter(([, label]) => label !== null && label.scrollWidth > label.clientWidth + 1)
    .map(([text, label]) => `${text} (${label.scrollWidth} px of text in ${label.clientWidth} px)`)"""


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((1280, 800), id="1280x800"),
        pytest.param(
            (1024, 768), id="1024x768",
            marks=[pytest.mark.viewport(1024, 768)],
        ),
    ],
)  # fmt: skip
def test_cursor_buttons_show_their_labels(app: App, size: tuple[int, int]) -> None:
    """◀, ▶ and Play/Pause must say what they do, also on a projector-sized window."""
    app.open_drawn()
    app.page.locator(PLAY).get_by_role("button", name="Play").wait_for(state="visible")
    clipped = app.evaluate(CLIPPED_BUTTONS_JS)
    assert clipped == [], f"button labels cut off: {clipped}"
