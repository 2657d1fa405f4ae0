"""The gate view on a page: the script of viz/gateview/ mounted as a custom component, fed once per trace.

The browser moves the time cursor itself; it reports the step and unit only when the user stops
(a slider's release, or a pause after keys, clicks and Play). The report lands in the page's cursor keys, so
the share link and every later view start there. The server moves the cursor by changing where
the view starts (a link, a lesson stop, a "watch unit k" cue); a new trace with the same start
keeps the step and unit the user was looking at.

Views are drawn in the palette the user picked (ui.palette).
The browser switches a stretched panel (C_t) between one colour range and each unit's own; a view opens
in the latter when the unit a cue says to watch (``watch``) would be pale on the shared range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

import cells
from ui.tables import view_numbers
from viz.export import gate_view_html
from viz.gateview import CSS, JS, GateView, gate_view, pack
from viz.style import STANDARD, Palette
from workbench import keys
from workbench.keys import CursorKeys

_COMPONENT = st.components.v2.component("gatescope_gate_view", js=JS, css=CSS, html="")
# Streamlit leaves 6rem above a page's title; a page built around one gate view keeps 2.5rem, so the
# controls and every gate share a 1280×800 screen.
ONE_SCREEN_CSS = "<style>[data-testid=stMainBlockContainer] { padding-top: 2.5rem !important; }</style>"


def one_screen() -> None:
    """Less space above the page's title, for a page whose controls and gate view share one screen."""
    st.html(ONE_SCREEN_CSS)


EXPLORE = keys.EXPLORE.cursor  # the default cursor: Explore's (pages with their own pass their own)


def _start(T: int, H: int, k: CursorKeys) -> tuple[int, int]:
    """Where the view starts: the cursor keys, when something other than the browser set them."""
    ss = st.session_state
    now = (min(max(int(ss.get(k.step, 0)), 0), T - 1), min(max(int(ss.get(k.unit, 0)), 0), H - 1))
    if ss.get(k.reported) != now:
        ss[k.start] = now
    return ss.get(k.start, now)


def _take_report(cursor: object, k: CursorKeys) -> None:
    """Put the step and unit the browser reported (``{"t": 4, "unit": 2}``) into the cursor keys."""
    if not isinstance(cursor, dict):
        return
    try:
        t, unit = int(cursor["t"]), int(cursor["unit"])
    except (KeyError, TypeError, ValueError):
        return
    if st.session_state.get(k.reported) != (t, unit):
        st.session_state[k.step], st.session_state[k.unit] = t, unit
        st.session_state[k.reported] = (t, unit)


def take_cursor(k: CursorKeys = EXPLORE, key: str | None = None) -> None:
    """Take the cursor the browser reported into the cursor keys before the view is built (the view's
    component ``key``, ``k.view`` by default): what the page computes at the cursor's step (ui.insight) is
    then for the step just reported, not the one before."""
    state = st.session_state.get(key or k.view)
    try:
        cursor = state["cursor"] if state is not None else None
    except (KeyError, TypeError):
        return
    _take_report(cursor, k)


def _mount(data: bytes, key: str, k: CursorKeys, view: Callable[[], GateView]) -> None:
    """Mount the component with a packed view and take the cursor the browser reported, if any; the view's
    numbers as tables under it when the user asked for them (``view`` builds it only then)."""
    result = _COMPONENT(data=data, key=key, default={"cursor": None}, on_cursor_change=lambda: None)
    _take_report(result.get("cursor") if isinstance(result, dict) else getattr(result, "cursor", None), k)
    view_numbers(view)


def show_view(view: GateView, *, key: str, group: str = "", bar: bool = True, big: bool = False, fit: bool = False,
              k: CursorKeys = EXPLORE) -> None:
    """Draw a view built by viz (a trace's, Compare's panes); views sharing a ``group`` share the cursor,
    ``bar=False`` leaves the buttons and the slider to another view of the group, ``big`` sizes it
    for a projector, and ``fit`` thins its maps' rows until they end on the first screen (presenter mode)."""
    t, unit = _start(view.header["steps"], view.header["units"], k)
    view.header.update(t=t, unit=unit, group=group, bar=bar, big=big, fit=fit)
    _mount(pack(view), key, k, lambda: view)


def show_gate_view(trace: cells.Trace, tokens: Sequence[str], features: Sequence[str], *, key: str,
                   input_title: str = "x_t  encoded inputs", where: str = "", group: str = "", big: bool = False,
                   fit: bool = False, k: CursorKeys = EXPLORE, palette: Palette = STANDARD, watch: int | None = None,
                   extend: Callable[[GateView], GateView] | None = None) -> None:
    """Draw ``trace`` as one gate view in ``palette``; views that share a ``group`` share one cursor in the
    browser, ``big`` sizes it for a projector, ``fit`` keeps its maps on the first screen, ``watch`` is the unit a
    cue says to watch, if any, and ``extend`` adds panels to the view (ui.insight's attribution and state space)."""
    view = gate_view(trace, tokens, features, input_title=input_title, where=where, palette=palette, watch=watch)
    show_view(extend(view) if extend is not None else view, key=key, group=group, big=big, fit=fit, k=k)


def offline_view(trace: cells.Trace, tokens: Sequence[str], features: Sequence[str], input_title: str, where: str,
                 title: str, k: CursorKeys = EXPLORE, palette: Palette = STANDARD,
                 watch: int | None = None, extend: Callable[[GateView], GateView] | None = None) -> Callable[[], str]:
    """The view as one self-contained HTML page in ``palette``, for a download button to make on click: it starts
    where the user's cursor is now (read here, in the page's run: the click's own call has no session), with the
    panels ``extend`` adds (the attribution at the last reported step, the memory path and the state space)."""
    t, unit = int(st.session_state.get(k.step, 0)), int(st.session_state.get(k.unit, 0))

    def page() -> str:
        view = gate_view(trace, tokens, features, input_title=input_title, where=where, t=t, unit=unit,
                         palette=palette, watch=watch)
        return gate_view_html(pack(extend(view) if extend is not None else view), title)

    return page
