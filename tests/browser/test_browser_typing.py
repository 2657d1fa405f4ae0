"""Typing in Explore's sequence box (ui/sequence_input.js) in Chromium: the text applies when the user pauses,
in one report rather than one per key, and at once on Enter; Shift+Enter starts a new step in numbers; a bad
number shows an error and the last view stays. The box has a real label, a length limit and a visible focus ring.
"""

from __future__ import annotations

import json
import re

from conftest import TYPING_PAUSE_MS, WATCH_INPUTS_JS, App, pauses
from test_browser_explore import (
    ERROR,
    Frames,
    assert_no_traceback,
    open_explore,
    step_labels,
    view,
    wait_for_view_showing,
)

from workbench.settings import MAX_TEXT

BOX = ".st-key-explore_seq_text_box textarea"
KEY_DELAY_MS = 40  # a fast typist: well inside the box's pause before it reports (350 ms)
TEXT_EVENT = re.compile(rb'"event":"text","value":"((?:[^"\\]|\\.)*)"')


def reports(frames: Frames, since: int) -> list[bytes]:
    """The frames sent to the server since ``since`` (each a rerun request carrying the widgets' values)."""
    return [f if isinstance(f, bytes) else f.encode() for f in frames.sent[since:]]


def texts(frames: Frames, since: int) -> list[str]:
    """The texts the sequence box sent since ``since``, in order: its event as the frame spells it,
    ``{"event":"text","value":"…"}`` (a frame's hex ids can hold any short run of letters, so a bare b"ab" is no
    sign of the text)."""
    found = []
    for frame in reports(frames, since):
        found += [json.loads(b'"' + m + b'"') for m in TEXT_EVENT.findall(frame)]
    return found


def select_all_and_type(app: App, text: str, delay_ms: float = KEY_DELAY_MS) -> None:
    box = app.page.locator(BOX)
    box.click()
    app.page.keyboard.press("Control+A")
    app.page.keyboard.type(text, delay=delay_ms)


def test_a_typed_sentence_applies_after_a_pause_in_one_report(app: App) -> None:
    frames = Frames(app)
    open_explore(app)
    wait_for_view_showing(app, step_labels("hello world"))
    app.wait_idle()
    box = app.page.get_by_label("Sequence (one character per step)")  # a real <label> names the box
    assert box.get_attribute("maxlength") == str(MAX_TEXT)
    before = len(frames.sent)

    app.evaluate(WATCH_INPUTS_JS)
    select_all_and_type(app, "gates open")  # no Enter, no click elsewhere
    stopped = pauses(app.page, TYPING_PAUSE_MS)  # none on a quiet machine; a loaded one can hold a key back

    v = wait_for_view_showing(app, step_labels("gates open"))
    app.wait_idle()
    assert v["steps"] == 10
    sent = reports(frames, before)
    assert 1 <= len(sent) <= stopped + 1, (
        f"{len(sent)} messages went to the server for one typed sentence, with {stopped} pauses while typing")
    assert texts(frames, before)[-1] == "gates open"
    assert app.page.locator(BOX).evaluate("e => e === e.getRootNode().activeElement"), "the box lost the focus"
    assert app.page.locator(ERROR).count() == 0, app.page.locator(ERROR).all_inner_texts()
    assert_no_traceback(app)
    app.screenshot("typing-applied", until=".gv")


def test_enter_applies_at_once_and_typing_on_waits_for_the_next_pause(app: App) -> None:
    frames = Frames(app)
    open_explore(app)
    wait_for_view_showing(app, step_labels("hello world"))
    app.wait_idle()
    before = len(frames.sent)

    select_all_and_type(app, "ab")
    app.page.keyboard.press("Enter")
    app.page.keyboard.type("cdefgh", delay=120)  # no pause long enough to report: only Enter's text went
    wait_for_view_showing(app, step_labels("abcdefgh"))
    app.wait_idle()

    # Enter sent "ab" before the next key; the pause (one report per pause is the test above) sent the rest.
    sent = texts(frames, before)
    assert sent[0] == "ab" and sent[-1] == "abcdefgh", sent
    assert app.page.locator(BOX).input_value() == "abcdefgh"  # Enter typed no line break
    assert_no_traceback(app)


def test_shift_enter_is_a_new_step_in_numbers_and_a_bad_number_keeps_the_view(app: App) -> None:
    open_explore(app, "?mode=numbers&seq=1%200%201")
    wait_for_view_showing(app, ["0·1", "1·0", "2·1"])
    app.wait_idle()
    box = app.page.get_by_label("Sequence (numbers per step", exact=False)

    select_all_and_type(app, "1 0")
    app.page.keyboard.press("Shift+Enter")
    app.page.keyboard.type("0 1", delay=KEY_DELAY_MS)
    app.page.keyboard.press("Enter")
    two = wait_for_view_showing(app, ["0·(1, 0)", "1·(0, 1)"])
    assert box.input_value() == "1 0\n0 1"
    assert len(two["panels"]) > 1

    app.page.keyboard.press("Backspace")
    app.page.keyboard.type("x")
    app.page.keyboard.press("Enter")
    error = app.page.locator(ERROR)
    error.first.wait_for(state="visible", timeout=20_000)
    app.wait_idle()
    assert "'x' at step 1, value 2 is not a number" in error.first.inner_text()
    assert view(app)["labels"] == ["0·(1, 0)", "1·(0, 1)"]  # the last good view stays
    assert box.input_value() == "1 0\n0 x"  # and so does what the user typed, to correct it
    assert_no_traceback(app)
    app.screenshot("typing-bad-number", until=".gv")
