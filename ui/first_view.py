"""Explore's first view: a ready model whose gates visibly do something, its unit to watch selected,
one line on what to look at, and the drawn random network one click away."""

from __future__ import annotations

import streamlit as st

from ui.handoff import send
from ui.model import MODEL_KEY, drop_model
from workbench import keys
from workbench.model import Model, from_pretrained, symbols_as_math
from workbench.settings import BY_QUERY, DEFAULTS

STORY_MODEL = "brackets_lstm"  # the LSTM trained on bracket depth: unit 3 of C_t goes down at '(' and back up at ')'
LINK_NAMES = (*BY_QUERY, "model", "weights")  # a link naming any of these shows what it names instead


def first_view() -> None:
    """On a session's first Explore view with nothing in the link and no model picked, hand Explore the story
    model (call after ui.share.load_link, before ui.share.take_handoff)."""
    ss = st.session_state
    if ss.get(keys.EXPLORE.first_view_shown):
        return
    ss[keys.EXPLORE.first_view_shown] = True
    if MODEL_KEY in ss or any(name in st.query_params for name in LINK_NAMES):
        return
    send("explore", from_pretrained(STORY_MODEL))


def _drawn_instead() -> None:
    """The drawn random network on the page's default text, unit 0 (the button's callback)."""
    drop_model()
    ss = st.session_state
    for key in (keys.EXPLORE.seq_mode, keys.EXPLORE.seq_text, keys.EXPLORE.cursor.step, keys.EXPLORE.cursor.unit):
        value = DEFAULTS[key]
        ss[key] = list(value) if isinstance(value, list) else value
    ss.pop(keys.EXPLORE.last_good_model_text, None)


def what_to_look_at(model: Model | None) -> None:
    """One line on what the shown model does and where to look, with the way to a drawn network."""
    if model is None or not model.shown_note:
        return
    line, button = st.columns([5, 2], vertical_alignment="center")
    first = model.shown_note.split(". ")[0].rstrip(".")
    line.markdown(f":material/visibility: **What to look at:** {symbols_as_math(first)}.")
    button.button("Draw a random network instead", key=keys.EXPLORE.first_view_drawn, on_click=_drawn_instead,
                  width="stretch", help="Random weights from the Network settings in the sidebar: every gate "
                                        "starts near 0.5, as before training.")
