"""Presenter mode's pieces shared by pages: the ``?present=1`` flag, its projector styling, and the
keyboard component (ui/presenter_keys.js) that lets a clicker change stop whatever has focus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit as st

PRESENT_VALUES = ("1", "true", "yes", "on")
KEYS_JS = (Path(__file__).with_name("presenter_keys.js")).read_text()
_keys_component = st.components.v2.component("gatescope_presenter_keys", js=KEYS_JS, html="")

# Large type and no sidebar for a projector; the page decides what it leaves out.
PRESENT_CSS = """<style>
[data-testid=stSidebar], [data-testid=stSidebarCollapsedControl], [data-testid=stHeader],
[data-testid=stToolbar], [data-testid=stDecoration] { display: none !important; }
[data-testid=stMainBlockContainer] { padding: 1rem 2rem 0.5rem 2rem !important; max-width: 100% !important; }
[data-testid=stMain] p, [data-testid=stMain] li { font-size: 22px !important; line-height: 1.4 !important; }
[data-testid=stMain] h1 { font-size: 44px !important; padding: 0 0 0.5rem 0 !important; }
[data-testid=stMain] h2, [data-testid=stMain] h5 { font-size: 32px !important; }
[data-testid=stMain] .katex-display > .katex { font-size: 30px !important; }
[data-testid=stMain] [data-testid=stWidgetLabel] p { font-size: 20px !important; }
[data-testid=stMain] button { min-height: 3rem !important; }
[data-testid=stMain] button p { font-size: 22px !important; }
[data-testid=stMain] [data-testid=stSlider] [data-baseweb=slider] { padding-top: 0.9rem !important; }
[data-testid=stMain] [data-testid=stSliderThumbValue], [data-testid=stMain] [data-testid=stSliderTickBar] {
  font-size: 18px !important; }
</style>"""


def presenting(key: str) -> bool:
    """Whether page state ``key`` says presenter mode: started from ``?present=1`` on the page's first show
    in a session (a link to a slide opens in it), then whatever the page's own toggle says."""
    if key not in st.session_state:
        st.session_state[key] = str(st.query_params.get("present", "")).lower() in PRESENT_VALUES
    return bool(st.session_state[key])


def write_flag(key: str) -> None:
    """Make the link say ``?present=1`` while page state ``key`` is on (a presenter toggle's callback)."""
    if st.session_state[key]:
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


def presenter_switch(key: str) -> bool:
    """Presenter mode for Explore and Compare: a toggle (in the sidebar, or at the top of the page while
    presenting, as the sidebar is hidden then), kept in the link as ``?present=1``; returns whether on."""
    on = presenting(key)
    place = st.container() if on else st.sidebar
    place.toggle("Presenter mode", key=key, on_change=write_flag, args=(key,),
                 help="Large type and no sidebar, for a projector. A link with ?present=1 opens in it.")
    if on:
        if st.query_params.get("present") != "1":
            st.query_params["present"] = "1"
        present_style()
    return on


def present_style() -> None:
    """Large type and no sidebar, for a projector."""
    st.html(PRESENT_CSS)


def presenter_keys(targets: Mapping[str, str], always: Sequence[str] = ("PageUp", "PageDown")) -> None:
    """Keys that click buttons: ``targets`` maps a key name ("PageDown") to a button's Streamlit key. Keys in
    ``always`` are taken whatever has focus (a clicker's); the others wait while a text box or slider is used."""
    st.html("<style>.st-key-presenter_keys { display: none !important; }</style>")  # it draws nothing
    _keys_component(key="presenter_keys", data={"targets": dict(targets), "always": list(always)})
