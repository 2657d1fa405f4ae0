"""The Lessons page's Streamlit pieces: the cached run of a stop, presenter mode, the stop in the URL, the
time cursor and the "try this" slider. The stops themselves are workbench.lessons'."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.presenter import Projector, present_style, presenter_keys, presenting, write_flag
from ui.share import sync_query
from workbench import keys
from workbench.lessons import BY_SLUG, STOPS, Shown, Stop, find, knob_note, show
from workbench.literal import literal


@st.cache_resource(max_entries=64, show_spinner=False)
def cached_show(slug: str, value: float) -> Shown:
    """``show`` for the page: a stop at one knob value is built and run once per server."""
    return show(BY_SLUG[slug], value)


# Presenter mode: no sidebar or header, big text and equations, big buttons; the page's own
# controls are not drawn at all (see views/lessons.py), so hiding here is only Streamlit's chrome.
# A stop's title is an h2, larger than Explore's, with no padding so the stop fits 1280×720.
LESSON_SIZES = Projector(text=24, heading=40, heading_pad="0", maths=32, label=22, button=24, button_height="3.2rem",
                         slider=20, slider_pad="1.3rem")  # room under a slider's label for its value

# Page Up and Page Down (what a presentation clicker sends) click the stop buttons whatever has focus
# (ui/presenter_keys.js); the gate view moves its own time cursor with the arrow keys.
KEYS = {"PageUp": keys.LESSONS.prev, "PageDown": keys.LESSONS.next}


def read_presenter() -> bool:
    """Presenter mode: the toggle's value, started from ``?present=1`` when the session first shows the page."""
    return presenting(keys.LESSONS.present)


def presenter_toggle() -> None:
    st.toggle("Presenter", key=keys.LESSONS.present, on_change=write_flag, args=(keys.LESSONS.present,),
              help="Hides the sidebar and the extra controls and makes everything big enough for a projector. "
                   "A link with ?present=1 opens in it. Keys: ← → move the time step; Page Up/Down change stop.")


def presenter_style(present: bool) -> None:
    """The presenter keys always; the projector's CSS in presenter mode."""
    presenter_keys(KEYS)
    if present:
        present_style(LESSON_SIZES)


def go_to(index: int) -> None:
    """Show stop ``index`` (a button's callback): the run it starts shows it and puts it in the link."""
    st.session_state[keys.LESSONS.going] = index


def current_stop() -> tuple[int, str | None]:
    """The stop to show, and a message when the link names none (then the first stop); the link then names it.

    The stop a button asked for, else the one the link names. The link's ``stop`` is one of the parameters the
    app writes (ui.history): a rerun request that brings the address as it was before a stop's run reached the
    browser (the gate view's cursor report, sent a moment after a Page Down) reads the stop the app last wrote,
    not the older one, which would undo the Page Down."""
    index = st.session_state.pop(keys.LESSONS.going, None)
    problem = None
    if index is None:
        raw = st.query_params.get("stop")
        stop = find(raw) if raw else STOPS[0]
        if stop is None:
            names = ", ".join(s.slug for s in STOPS)
            problem = (f"There is no lesson stop called '{literal(raw)}'; showing the first one. "
                       f"The stops are: {names}.")
        index = STOPS.index(stop) if stop is not None else 0
    sync_query({"stop": STOPS[index].slug}, ["stop"])
    return index, problem


LESSON_CURSOR = keys.LESSONS.cursor


def start_cursor(stop: Stop, steps: int) -> None:
    """Start the time cursor at the stop's own step and unit when the stop changes."""
    if st.session_state.get(keys.LESSONS.shown) != stop.slug or keys.LESSONS.cursor.step not in st.session_state:
        st.session_state[keys.LESSONS.shown] = stop.slug
        st.session_state[keys.LESSONS.cursor.step] = min(stop.cursor, steps - 1)
        st.session_state[keys.LESSONS.cursor.unit] = stop.unit
    st.session_state[keys.LESSONS.cursor.step] = min(max(int(st.session_state[keys.LESSONS.cursor.step]), 0), steps - 1)


def _reset_knob(stop: Stop) -> None:
    st.session_state[keys.LESSONS.knob(stop.slug)] = stop.knob.default


def knob_control(stop: Stop, note_under: DeltaGenerator | None = None) -> float:
    """The stop's "try this" slider and a button that puts it back. The note that the paragraph describes the
    stop as built goes under the knob, or into ``note_under`` (presenter mode's folded paragraph, so a moved knob
    never makes the slide longer than the screen)."""
    key = keys.LESSONS.knob(stop.slug)
    st.session_state.setdefault(key, stop.knob.default)
    k = stop.knob
    slider, reset = st.columns([4, 1], vertical_alignment="bottom")
    with slider:
        value = st.slider(k.label, k.low, k.high, step=k.step, key=key)
    reset.button("↺", key=keys.LESSONS.reset, on_click=_reset_knob, args=(stop,), width="stretch",
                 disabled=value == k.default, help=f"Reset: back to {k.default:g}, the stop as built.")
    if note := knob_note(stop, float(value)):
        (note_under if note_under is not None else st).caption(note)
    return float(value)
