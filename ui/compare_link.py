"""The Compare page's share link: its own parameter names (``a_kind``, ``b_seq``, ``cmp_t`` ...), read into the
widgets once per session (and again when Back or Forward brings another address) and written back on change.
Anything malformed is refused with a message and left at its default (the fields are workbench.compare's)."""

from __future__ import annotations

import copy
from typing import Any

import streamlit as st

from ui.compare_panes import open_more_if_set
from ui.history import came_back
from ui.model import current_model, use_model
from ui.share import link_model, sync_query, write_model_link
from workbench import keys
from workbench.compare import DEFAULTS, FIELDS, PANES, SETTING_FIELDS
from workbench.settings import MAX_LINK_TEXT, Field, from_query, to_query


def _values(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {f.key: st.session_state[f.key] for f in fields if f.key in st.session_state}


def load_link() -> None:
    """On the page's first run in a session, and when Back or Forward brought an address that says something else
    than the page showed, put the link's settings in the widgets (the others at their defaults, as the link means);
    keep what was refused."""
    again = came_back()
    if st.session_state.get(keys.COMPARE.link_loaded) and not again:
        return
    st.session_state[keys.COMPARE.link_loaded] = True
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    values, errors = from_query(params, FIELDS, DEFAULTS)
    if again:
        for key, default in DEFAULTS.items():
            st.session_state[key] = copy.copy(default)
    model, refused = link_model()
    if model is not None:
        use_model(model)
    errors += refused
    for p in PANES:
        key = keys.COMPARE.pane(p, "source")
        if values.get(key) == "current" and current_model() is None:
            del values[key]
            errors.append(f"Link: {p}_src='current' was not used (the link carries no model=… to show); "
                          f"kept {DEFAULTS[key]!r}.")
    for key, value in values.items():
        st.session_state[key] = value
    for p in PANES:  # what a link sets is shown, not folded away
        open_more_if_set(p)
    st.session_state[keys.COMPARE.link_errors] = (errors, _values(SETTING_FIELDS))


def link_errors() -> list[str]:
    """What the link got wrong, while the settings it loaded are still on screen."""
    errors, loaded = st.session_state.get(keys.COMPARE.link_errors, ([], {}))
    return list(errors) if _values(SETTING_FIELDS) == loaded else []


def write_link(fields: tuple[Field, ...] = SETTING_FIELDS) -> str | None:
    """Make the query string say these fields' values (those that differ from their defaults); a text longer
    than a link carries (MAX_LINK_TEXT) is left out, and the note returned says so."""
    wanted = to_query(_values(fields), fields, DEFAULTS)
    long = {name: len(wanted.pop(name)) for name in ("a_seq", "b_seq") if len(wanted.get(name, "")) > MAX_LINK_TEXT}
    sync_query(wanted, [f.query for f in fields])
    if fields is SETTING_FIELDS:  # a pane showing the current model carries it in the link, as Explore does
        shows_current = any(st.session_state.get(keys.COMPARE.pane(p, "source")) == "current" for p in PANES)
        write_model_link(current_model() if shows_current else None, sequence=False)
    if not long:
        return None
    said = " and ".join(f"pane {name[0].upper()}'s input ({n:,} characters)" for name, n in long.items())
    return (f"The share link leaves out {said}: a link carries up to {MAX_LINK_TEXT:,} characters of input, so "
            "send the text with it.")
