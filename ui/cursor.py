"""The time cursor and unit picking: slider, previous/next, play/pause, clicks on heatmap cells."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

from ui import keys
from ui.settings import MAX_FOLLOW

PLAY_INTERVAL = 0.6  # seconds per step while playing
SLOW_PLAY_INTERVAL = 1.5  # for big views, whose redraw takes the browser longer
BIG_VIEW = 20_000  # values drawn (steps × units × heatmaps) above which playing slows down


@dataclass(frozen=True)
class CursorKeys:
    """The session-state keys one page's cursor lives in (pages with their own cursor pass their own)."""

    step: str = keys.CURSOR_STEP
    unit: str = keys.CURSOR_UNIT
    follow: str = keys.FOLLOW_UNITS
    playing: str = keys.PLAYING
    prev: str = keys.CURSOR_PREV
    next: str = keys.CURSOR_NEXT
    play: str = keys.CURSOR_PLAY
    pause: str = keys.CURSOR_PAUSE


EXPLORE = CursorKeys()


def play_interval(values_drawn: int) -> float:
    """Seconds per step while playing: slower when every redraw is heavy."""
    return PLAY_INTERVAL if values_drawn <= BIG_VIEW else SLOW_PLAY_INTERVAL


def clamp(T: int, H: int, k: CursorKeys = EXPLORE) -> None:
    """Keep the cursor, unit and followed units inside a sequence of T steps and H units."""
    ss = st.session_state
    ss[k.step] = min(max(int(ss.get(k.step, 0)), 0), T - 1)
    ss[k.unit] = min(max(int(ss.get(k.unit, 0)), 0), H - 1)
    ss[k.follow] = [u for u in ss.get(k.follow, []) if 0 <= u < H][:MAX_FOLLOW]


def _selected_point(key: str) -> dict | None:
    """The first clicked point in chart ``key``'s selection, if it is new since the last look."""
    state = st.session_state.get(key)
    try:
        points = list(state["selection"]["points"]) if state is not None else []
    except (KeyError, TypeError):
        return None
    seen = st.session_state[keys.SEEN_SELECTION]
    signature = json.dumps(points, sort_keys=True, default=str)
    if seen.get(key) == signature:
        return None
    seen[key] = signature
    for point in points:
        if isinstance(point, dict) and "x" in point and "y" in point:
            return point
    return None


def apply_clicks(chart_keys: Iterable[str], T: int, H: int, steps_only: Iterable[str] = (),
                 k: CursorKeys = EXPLORE) -> bool:
    """Move the cursor and unit to a heatmap cell the user clicked; True when one was.

    Charts in ``steps_only`` (the inputs, whose rows are not units) move the cursor only.
    """
    steps_only = list(steps_only)
    for key in [*chart_keys, *steps_only]:
        point = _selected_point(key)
        if point is None:
            continue
        try:
            t, unit = round(float(point["x"])), round(float(point["y"]))
        except (TypeError, ValueError):
            continue
        st.session_state[k.step] = min(max(t, 0), T - 1)
        st.session_state[k.playing] = False
        if key in steps_only:
            return True
        st.session_state[k.unit] = min(max(unit, 0), H - 1)
        follow = st.session_state[k.follow]
        if st.session_state[k.unit] not in follow and len(follow) < MAX_FOLLOW:
            st.session_state[k.follow] = sorted([*follow, st.session_state[k.unit]])
        return True
    return False


def advance_if_playing(T: int, k: CursorKeys = EXPLORE) -> bool:
    """One step forward while playing; at the last step playing stops. True when it just stopped."""
    if not st.session_state[k.playing]:
        return False
    t = st.session_state[k.step] + 1
    if t >= T:
        st.session_state[k.playing] = False
        return True
    st.session_state[k.step] = t
    return False


def _shift(delta: int, T: int, k: CursorKeys = EXPLORE) -> None:
    st.session_state[k.step] = min(max(st.session_state[k.step] + delta, 0), T - 1)
    st.session_state[k.playing] = False


def _play(T: int, k: CursorKeys = EXPLORE) -> None:
    st.session_state[k.playing] = True
    if st.session_state[k.step] >= T - 1:
        st.session_state[k.step] = 0  # play again from the start


def _pause(k: CursorKeys = EXPLORE) -> None:
    st.session_state[k.playing] = False


def cursor_controls(T: int, H: int, k: CursorKeys = EXPLORE) -> tuple[int, int]:
    """Previous, slider, next, play/pause and the unit; returns (step, unit)."""
    # The slider gets a row of its own and the buttons a row below, so on a 1024-pixel projector
    # beside the sidebar ◀, ▶ and Play keep room for their labels.
    if T > 1:
        st.slider("Time step", 0, T - 1, key=k.step)
    else:
        st.caption("Time step: the sequence has one step.")
    back, forward, play, unit_box, _ = st.columns([1, 1, 1.8, 1.8, 3.4], vertical_alignment="bottom")
    back.button("◀", key=k.prev, on_click=_shift, args=(-1, T, k), help="Previous step", width="stretch",
                disabled=st.session_state[k.step] == 0)
    forward.button("▶", key=k.next, on_click=_shift, args=(1, T, k), help="Next step", width="stretch",
                   disabled=st.session_state[k.step] >= T - 1)
    # Play and Pause are two buttons with their own keys, shown one at a time, each setting (not
    # toggling) the state: a click that Streamlit applies again on the full rerun after a fragment's
    # st.rerun() then repeats the same action instead of undoing it.
    if st.session_state[k.playing]:
        play.button("Pause", key=k.pause, width="stretch", on_click=_pause, args=(k,), icon=":material/pause:",
                    help="Stop stepping.", type="primary")
    else:
        play.button("Play", key=k.play, width="stretch", on_click=_play, args=(T, k),
                    icon=":material/play_arrow:", help="Step through the sequence automatically.")
    unit_box.number_input(f"Unit (0–{H - 1})", 0, H - 1, key=k.unit, step=1)
    return st.session_state[k.step], st.session_state[k.unit]


def follow_controls(H: int, k: CursorKeys = EXPLORE) -> list[int]:
    return st.multiselect(f"Units to follow (up to {MAX_FOLLOW})", list(range(H)), key=k.follow,
                          max_selections=MAX_FOLLOW)
