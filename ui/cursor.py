"""The time cursor and unit picking: slider, previous/next, play/pause, clicks on heatmap cells."""

from __future__ import annotations

import json
from collections.abc import Iterable

import streamlit as st

from ui import keys
from ui.settings import MAX_FOLLOW

PLAY_INTERVAL = 0.6  # seconds per step while playing
SLOW_PLAY_INTERVAL = 1.5  # for big views, whose redraw takes the browser longer
BIG_VIEW = 20_000  # values drawn (steps × units × heatmaps) above which playing slows down


def play_interval(values_drawn: int) -> float:
    """Seconds per step while playing: slower when every redraw is heavy."""
    return PLAY_INTERVAL if values_drawn <= BIG_VIEW else SLOW_PLAY_INTERVAL


def clamp(T: int, H: int) -> None:
    """Keep the cursor, unit and followed units inside a sequence of T steps and H units."""
    ss = st.session_state
    ss[keys.CURSOR_STEP] = min(max(int(ss.get(keys.CURSOR_STEP, 0)), 0), T - 1)
    ss[keys.CURSOR_UNIT] = min(max(int(ss.get(keys.CURSOR_UNIT, 0)), 0), H - 1)
    ss[keys.FOLLOW_UNITS] = [u for u in ss.get(keys.FOLLOW_UNITS, []) if 0 <= u < H][:MAX_FOLLOW]


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


def apply_clicks(chart_keys: Iterable[str], T: int, H: int, steps_only: Iterable[str] = ()) -> bool:
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
        st.session_state[keys.CURSOR_STEP] = min(max(t, 0), T - 1)
        st.session_state[keys.PLAYING] = False
        if key in steps_only:
            return True
        st.session_state[keys.CURSOR_UNIT] = min(max(unit, 0), H - 1)
        follow = st.session_state[keys.FOLLOW_UNITS]
        if st.session_state[keys.CURSOR_UNIT] not in follow and len(follow) < MAX_FOLLOW:
            st.session_state[keys.FOLLOW_UNITS] = sorted([*follow, st.session_state[keys.CURSOR_UNIT]])
        return True
    return False


def advance_if_playing(T: int) -> bool:
    """One step forward while playing; at the last step playing stops. True when it just stopped."""
    if not st.session_state[keys.PLAYING]:
        return False
    t = st.session_state[keys.CURSOR_STEP] + 1
    if t >= T:
        st.session_state[keys.PLAYING] = False
        return True
    st.session_state[keys.CURSOR_STEP] = t
    return False


def _shift(delta: int, T: int) -> None:
    st.session_state[keys.CURSOR_STEP] = min(max(st.session_state[keys.CURSOR_STEP] + delta, 0), T - 1)
    st.session_state[keys.PLAYING] = False


def _toggle_play(T: int) -> None:
    playing = not st.session_state[keys.PLAYING]
    st.session_state[keys.PLAYING] = playing
    if playing and st.session_state[keys.CURSOR_STEP] >= T - 1:
        st.session_state[keys.CURSOR_STEP] = 0  # play again from the start


def cursor_controls(T: int, H: int) -> tuple[int, int]:
    """Previous, slider, next, play/pause and the unit; returns (step, unit)."""
    back, slider, forward, play, unit_box = st.columns([0.6, 6, 0.6, 1.2, 1.6], vertical_alignment="bottom")
    back.button("◀", key=keys.CURSOR_PREV, on_click=_shift, args=(-1, T), help="Previous step",
                disabled=st.session_state[keys.CURSOR_STEP] == 0)
    with slider:
        if T > 1:
            st.slider("Time step", 0, T - 1, key=keys.CURSOR_STEP)
        else:
            st.caption("Time step: the sequence has one step.")
    forward.button("▶", key=keys.CURSOR_NEXT, on_click=_shift, args=(1, T), help="Next step",
                   disabled=st.session_state[keys.CURSOR_STEP] >= T - 1)
    playing = st.session_state[keys.PLAYING]
    play.button("Pause" if playing else "Play", key=keys.CURSOR_PLAY, width="stretch", on_click=_toggle_play,
                args=(T,), icon=":material/pause:" if playing else ":material/play_arrow:",
                help="Step through the sequence automatically.", type="primary" if playing else "secondary")
    unit_box.number_input(f"Unit (0–{H - 1})", 0, H - 1, key=keys.CURSOR_UNIT, step=1)
    return st.session_state[keys.CURSOR_STEP], st.session_state[keys.CURSOR_UNIT]


def follow_controls(H: int) -> list[int]:
    return st.multiselect(f"Units to follow (up to {MAX_FOLLOW})", list(range(H)), key=keys.FOLLOW_UNITS,
                          max_selections=MAX_FOLLOW)
