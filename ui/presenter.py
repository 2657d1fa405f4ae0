"""Presenter mode's pieces shared by pages: the ``?present=1`` flag, its projector styling, and the
keyboard component (ui/presenter_keys.js) that lets a clicker change stop whatever has focus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

PRESENT_VALUES = ("1", "true", "yes", "on")
KEYS_JS = (Path(__file__).with_name("presenter_keys.js")).read_text()
_keys_component = st.components.v2.component("gatescope_presenter_keys", js=KEYS_JS, html="")

@dataclass(frozen=True)
class Projector:
    """Presenter mode's type sizes (px unless said): large enough for the back of a room, small enough that
    the page still fits a 1280×720 projector."""

    text: int = 22  # paragraphs and list items
    title: int = 44  # h1
    heading: int = 32  # h2 and h5
    heading_pad: str | None = None  # h2's padding, where the page needs it tighter
    maths: int = 30  # displayed equations
    label: int = 20  # widget labels
    button: int = 22  # button text
    button_height: str = "3rem"
    slider: int = 18  # a slider's value and ticks
    slider_pad: str | None = "1.2rem"  # room under a slider's label for its larger value


EXPLORE_SIZES = Projector()
# Explore and Compare while presenting: a smaller title (the page's name, not its point), so the sequence, the
# gates and the step panel share a 1280×720 screen.
PAGE_SIZES = Projector(title=28, text=20)


def projector_css(p: Projector) -> str:
    """The style that hides the sidebar and Streamlit's chrome and sets ``p``'s type sizes (the page decides
    what else it leaves out)."""
    main = "[data-testid=stMain]"
    rules = [
        "[data-testid=stSidebar], [data-testid=stSidebarCollapsedControl], [data-testid=stHeader], "
        "[data-testid=stToolbar], [data-testid=stDecoration] { display: none !important; }",
        "[data-testid=stMainBlockContainer] { padding: 1rem 2rem 0.5rem 2rem !important; max-width: 100% !important; }",
        f"{main} p, {main} li {{ font-size: {p.text}px !important; line-height: 1.4 !important; }}",
        f"{main} h1 {{ font-size: {p.title}px !important; padding: 0 0 0.5rem 0 !important; }}",
        f"{main} h2, {main} h5 {{ font-size: {p.heading}px !important; }}",
        f"{main} .katex-display > .katex {{ font-size: {p.maths}px !important; }}",
        f"{main} [data-testid=stWidgetLabel] p {{ font-size: {p.label}px !important; }}",
        f"{main} button {{ min-height: {p.button_height} !important; }}",
        f"{main} button p {{ font-size: {p.button}px !important; }}",
        f"{main} [data-testid=stSliderThumbValue], {main} [data-testid=stSliderTickBar], "
        f"{main} [data-testid=stSliderThumbValue] p, {main} [data-testid=stSliderTickBar] p "
        f"{{ font-size: {p.slider}px !important; line-height: 1.2 !important; }}",
    ]
    if p.heading_pad is not None:
        rules.append(f"{main} h2 {{ padding: {p.heading_pad} !important; }}")
    if p.slider_pad is not None:
        label = f"{main} [data-testid=stSlider] > [data-testid=stWidgetLabel]"  # the value hangs over the thumb
        rules.append(f"{label} {{ margin-bottom: {p.slider_pad} !important; }}")
    return "<style>\n" + "\n".join(rules) + "\n</style>"


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
        present_style(PAGE_SIZES)
        st.html(corner_css(key))
    return on


def corner_css(key: str) -> str:
    """The presenter toggle (widget key ``key``) in the page's top right corner, beside the title, so the page's
    first row is its title: a projector's 720 pixels hold the controls and every panel."""
    return (f"<style>.st-key-{key} {{ position: absolute !important; top: 0; right: 0; width: auto !important; "
            "z-index: 10; }\n[data-testid=stMain] [data-testid=stVerticalBlock] { gap: 0.4rem; }\n"
            "[data-testid=stMainBlockContainer] { padding-top: 0.5rem !important; }</style>")


def present_style(sizes: Projector = EXPLORE_SIZES) -> None:
    """Large type and no sidebar, for a projector."""
    st.html(projector_css(sizes))


def presenter_keys(targets: Mapping[str, str], always: Sequence[str] = ("PageUp", "PageDown")) -> None:
    """Keys that click buttons: ``targets`` maps a key name ("PageDown") to a button's Streamlit key. Keys in
    ``always`` are taken whatever has focus (a clicker's); the others wait while a text box or slider is used."""
    st.html("<style>.st-key-presenter_keys { display: none !important; }</style>")  # it draws nothing
    _keys_component(key="presenter_keys", data={"targets": dict(targets), "always": list(always)})
