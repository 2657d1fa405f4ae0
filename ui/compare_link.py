"""The Compare page's share link: its own parameter names (``a_kind``, ``b_seq``, ``cmp_t`` ...), read once
per session into the widgets and written back on change. Anything malformed is refused with a message
and left at its default (the parsing is ui.settings', with this page's fields and defaults)."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

import cells
from cells import presets
from ui import keys
from ui.compare import DEFAULTS, LINK_SOURCES, MAX_SHIFT, PANES, STARTS, TRAINED, VIEWS, open_more_if_set
from ui.model import current_model, use_model
from ui.settings import (
    MAX_EMBED,
    MAX_HIDDEN,
    MAX_LAYERS,
    MAX_LINK_TEXT,
    MAX_SEED,
    MAX_STEPS,
    MODES,
    Field,
    _choice,
    _flag,
    _scale,
    _text,
    _whole,
    from_query,
    to_query,
)
from ui.share import link_model, sync_query, write_model_link

GATES = ("forget", "input", "candidate", "output", "cell", "hidden", "update", "reset")


def _shift_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number from {-MAX_SHIFT:g} to {MAX_SHIFT:g}") from None
    if not (math.isfinite(value) and -MAX_SHIFT <= value <= MAX_SHIFT):
        raise ValueError(f"expected a number from {-MAX_SHIFT:g} to {MAX_SHIFT:g}")
    return value


def _pane_fields(p: str) -> tuple[Field, ...]:
    k = lambda name: keys.pane(p, name)  # noqa: E731
    return (
        Field(f"{p}_src", k("source"), _choice(LINK_SOURCES)),
        Field(f"{p}_preset", k("preset"), _choice(presets.PRESETS)),
        Field(f"{p}_trained", k("trained"), _choice(TRAINED)),
        Field(f"{p}_kind", k("kind"), _choice(cells.KINDS)),
        Field(f"{p}_hidden", k("hidden"), _whole(1, MAX_HIDDEN)),
        Field(f"{p}_seed", k("seed"), _whole(0, MAX_SEED)),
        Field(f"{p}_init", k("scheme"), _choice(cells.SCHEMES)),
        Field(f"{p}_scale", k("scale"), _scale, lambda v: f"{v:g}"),
        Field(f"{p}_shift", k("shift"), _shift_value, lambda v: f"{v:g}"),
        Field(f"{p}_bidir", k("bidirectional"), _flag, lambda v: "1" if v else "0"),
        Field(f"{p}_layers", k("layers"), _whole(1, MAX_LAYERS)),
        Field(f"{p}_mode", k("mode"), _choice(MODES)),
        Field(f"{p}_seq", k("text"), _text),
        Field(f"{p}_esize", k("embed_size"), _whole(1, MAX_EMBED)),
        Field(f"{p}_eseed", k("embed_seed"), _whole(0, MAX_SEED)),
    )


VIEW_FIELDS: tuple[Field, ...] = (
    Field("cmp_start", keys.CMP_START, _choice(STARTS)),
    Field("same_input", keys.CMP_SAME_INPUT, _flag, lambda v: "1" if v else "0"),
    Field("same_net", keys.CMP_SAME_NET, _flag, lambda v: "1" if v else "0"),
    Field("cmp_view", keys.CMP_VIEW, _choice(VIEWS)),
    Field("cmp_pane", keys.CMP_VIEW_PANE, _choice(PANES)),
    Field("cmp_layer", keys.CMP_LAYER, _whole(0, MAX_LAYERS - 1)),
    Field("cmp_dir", keys.CMP_DIRECTION, _choice(("forward", "backward"))),
    Field("cmp_gate", keys.CMP_GATE, _choice(GATES)),
)
CURSOR_FIELDS: tuple[Field, ...] = (
    Field("cmp_t", keys.CMP_STEP, _whole(0, MAX_STEPS - 1)),
    Field("cmp_unit", keys.CMP_UNIT, _whole(0, MAX_HIDDEN - 1)),
)
FIELDS: tuple[Field, ...] = (*_pane_fields("a"), *_pane_fields("b"), *VIEW_FIELDS, *CURSOR_FIELDS)
SETTING_FIELDS = tuple(f for f in FIELDS if f not in CURSOR_FIELDS)


def _values(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {f.key: st.session_state[f.key] for f in fields if f.key in st.session_state}


def load_link() -> None:
    """On the page's first run in a session, put the link's settings in the widgets; keep what was refused."""
    if st.session_state.get(keys.CMP_LINK_LOADED):
        return
    st.session_state[keys.CMP_LINK_LOADED] = True
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    values, errors = from_query(params, FIELDS, DEFAULTS)
    model, refused = link_model()
    if model is not None:
        use_model(model)
    errors += refused
    for p in PANES:
        key = keys.pane(p, "source")
        if values.get(key) == "current" and current_model() is None:
            del values[key]
            errors.append(f"Link: {p}_src='current' was not used (the link carries no model=… to show); "
                          f"kept {DEFAULTS[key]!r}.")
    for key, value in values.items():
        st.session_state[key] = value
    for p in PANES:  # what a link sets is shown, not folded away
        open_more_if_set(p)
    st.session_state[keys.CMP_LINK_ERRORS] = (errors, _values(SETTING_FIELDS))


def link_errors() -> list[str]:
    """What the link got wrong, while the settings it loaded are still on screen."""
    errors, loaded = st.session_state.get(keys.CMP_LINK_ERRORS, ([], {}))
    return list(errors) if _values(SETTING_FIELDS) == loaded else []


def write_link(fields: tuple[Field, ...] = SETTING_FIELDS) -> str | None:
    """Make the query string say these fields' values (those that differ from their defaults); a text longer
    than a link carries (MAX_LINK_TEXT) is left out, and the note returned says so."""
    wanted = to_query(_values(fields), fields, DEFAULTS)
    long = {name: len(wanted.pop(name)) for name in ("a_seq", "b_seq") if len(wanted.get(name, "")) > MAX_LINK_TEXT}
    sync_query(wanted, [f.query for f in fields])
    if fields is SETTING_FIELDS:  # a pane showing the current model carries it in the link, as Explore does
        shows_current = any(st.session_state.get(keys.pane(p, "source")) == "current" for p in PANES)
        write_model_link(current_model() if shows_current else None, sequence=False)
    if not long:
        return None
    said = " and ".join(f"pane {name[0].upper()}'s input ({n:,} characters)" for name, n in long.items())
    return (f"The share link leaves out {said}: a link carries up to {MAX_LINK_TEXT:,} characters of input, so "
            "send the text with it.")
