"""Share links: read the query string into the widgets (on a session's first run, and again when Back or Forward
brings another address), write the settings back on change (ui.history keeps the browser's history of them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from ui.engine import Run
from ui.handoff import reads_numbers, receive
from ui.history import begin_run, came_back, write_params
from ui.model import current_model, drop_model, use_model
from ui.state import keep_settings
from workbench import keys
from workbench.literal import literal
from workbench.model import Model
from workbench.model_link import model_from_link, model_to_link
from workbench.settings import BY_QUERY, DEFAULTS, FIELDS, MAX_LINK_TEXT, from_query, to_query

# The settings that make a view (the cursor and units move without making the link's errors stale).
SETTING_NAMES = tuple(f.query for f in FIELDS if f.query not in ("t", "unit", "layer", "dir"))


def set_defaults(page: str | None = None) -> None:
    """Every widget's default, set once per session (and again after Streamlit drops a hidden widget's key)."""
    # Streamlit forgets a widget's value when a page without it is shown: ui.state keeps every page's
    # settings aside on every run and puts back those of the page shown, so they survive a trip to another page.
    keep_settings(page)
    begin_run(page)


def load_link() -> None:
    """Put the query string's settings into the widgets, keeping what was refused: on a session's first run,
    and when Back or Forward brought an address that says something else than the page showed (then every
    setting the address leaves out goes back to its default, as the link means)."""
    ss = st.session_state
    again = came_back()
    if ss.get(keys.EXPLORE.link_loaded) and not again:
        return
    ss[keys.EXPLORE.link_loaded] = True
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    values, errors = from_query(params)
    if again:
        for key, default in DEFAULTS.items():
            ss[key] = default
        ss.pop(keys.EXPLORE.last_good_model_text, None)
        if "model" not in params:
            drop_model()
    for key, value in values.items():
        ss[key] = value
    errors += load_model_link()
    ss[keys.EXPLORE.link_errors] = (errors, current_values(SETTING_NAMES))


def take_handoff() -> None:
    """Put a model another page handed to Explore into Explore's widgets: its text, the mode that reads
    it, the step and the unit to watch (call after ``load_link``, before the widgets)."""
    parcel = receive("explore")
    if parcel is None:
        return
    ss = st.session_state
    ss[keys.EXPLORE.seq_text] = parcel.text
    ss[keys.EXPLORE.seq_mode] = "numbers" if reads_numbers(parcel.model) else "onehot"
    ss.pop(keys.EXPLORE.last_good_model_text, None)
    ss[keys.EXPLORE.cursor.step] = parcel.step or 0
    if parcel.present:
        ss[keys.EXPLORE.present] = True
    if parcel.unit is not None:
        ss[keys.EXPLORE.cursor.unit] = parcel.unit
    if parcel.layer is not None:  # the unit's layer: the page shows one layer at a time
        ss[keys.EXPLORE.view_layer] = parcel.layer


def link_errors() -> list[str]:
    """What the share link got wrong, while the settings it loaded are still on screen."""
    errors, loaded = st.session_state.get(keys.EXPLORE.link_errors, ([], {}))
    return list(errors) if current_values(SETTING_NAMES) == loaded else []


def current_values(names: Iterable[str] | None = None) -> dict[str, Any]:
    """The widgets' values now, for the share link (all fields, or those with these query names)."""
    fields = FIELDS if names is None else [BY_QUERY[n] for n in names]
    return {f.key: st.session_state[f.key] for f in fields if f.key in st.session_state}


def shown_values(run: Run, model: Model | None) -> dict[str, Any]:
    """The settings of the view on screen, for the share link: the widgets' values, except that a text or a network
    the page refused gives way to the last good one it shows, so a link never describes a view nobody saw."""
    values = current_values()
    s, n, e = run.sequence, run.network, keys.EXPLORE
    values[e.seq_text] = s.text
    if model is None:  # a drawn network: its sequence's and network's settings are the ones that ran
        values |= {e.seq_mode: s.mode, e.embed_size: s.embed_size, e.embed_seed: s.embed_seed, e.net_kind: n.kind,
                   e.net_hidden: n.hidden, e.net_seed: n.seed, e.net_scheme: n.scheme, e.net_scale: n.scale,
                   e.net_bidirectional: n.bidirectional, e.net_layers: n.layers}
    return values


def write_link(values: dict[str, Any], names: Iterable[str] | None = None) -> str | None:
    """Make the query string say ``values``; with ``names``, touch only those parameters.

    Returns a note for the page when the sequence was too long to go in the link."""
    wanted = to_query(values)
    wanted.pop("seq", None)
    note = None
    if keys.EXPLORE.seq_text in values:
        seq, note = _sequence_param(values[keys.EXPLORE.seq_text], fixed=current_model() is not None)
        wanted |= seq
    sync_query(wanted, BY_QUERY if names is None else names)
    return note


def _sequence_param(text: str, fixed: bool) -> tuple[dict[str, str], str | None]:
    """The ``seq`` parameter for ``text`` (or none), and a note when the text is too long for a link.

    A drawn network's link leaves out the default sequence. A fixed model's link always says its
    sequence: a link without one means the model's own example (see ``load_model_link``), which is
    not always the text on screen (an edited drawn network reads "hello world", but comes back from
    its link as a model whose example walks through its vocabulary)."""
    if len(text) > MAX_LINK_TEXT:
        return {}, (f"The sequence ({len(text):,} characters) is too long for the share link, which carries "
                    f"up to {MAX_LINK_TEXT:,}: the link keeps every other setting, so send the text with it.")
    if fixed or text != DEFAULTS[keys.EXPLORE.seq_text]:
        return {"seq": text}, None
    return {}, None


def sync_query(wanted: dict[str, str], scope: Iterable[str]) -> None:
    """Make each parameter named in ``scope`` say its value in ``wanted``, or drop it when it has none;
    parameters outside ``scope`` stay as they are (other parts of the page own them). A change of a setting
    is a new entry in the browser's history, a cursor move is not (ui.history)."""
    write_params(wanted, list(scope))


# ----- the fixed model (ui.model): small models ride in the link -----------------------------------
MODEL_PARAMS = ("model", "weights")


def load_model_link() -> list[str]:
    """Make the model the link names the current one; what was wrong with it, if anything."""
    source = st.query_params.get("model")
    if source is None:
        return []
    try:
        model = model_from_link(source, st.query_params.get("weights"))
    except ValueError as e:
        return [f"Link: the model was not used ({literal(str(e), 300)}); showing a drawn network."]
    use_model(model)
    if "seq" not in st.query_params:  # the link kept the model's own sequence, the default for this model
        st.session_state[keys.EXPLORE.seq_text] = model.sequence
    if "unit" not in st.query_params and model.watch is not None:
        st.session_state[keys.EXPLORE.cursor.unit] = model.watch
    return []


def link_model() -> tuple[Model | None, list[str]]:
    """The model the link's model=…&weights=… names, if any, and what was wrong with it (for pages that
    show the current model in their own widgets, as Compare's panes do)."""
    source = st.query_params.get("model")
    if source is None:
        return None, []
    try:
        return model_from_link(source, st.query_params.get("weights")), []
    except ValueError as e:
        return None, [f"Link: the model was not used ({literal(str(e), 300)})."]


def write_model_link(model: Model | None, sequence: bool = True, text: str | None = None) -> str | None:
    """Make the query string name ``model`` (and carry its weights when small, and with ``sequence`` the text the
    page shows, ``text``, else the sequence box's), or no model. Returns a note for the page when the sequence was
    too long to go in the link."""
    try:
        wanted = {} if model is None else model_to_link(model)
    except ValueError:
        wanted = {}  # too large for a link: the Weights page says so and offers the file
    if not wanted or not sequence:
        sync_query(wanted, MODEL_PARAMS)
        return None
    if text is None:
        text = st.session_state.get(keys.EXPLORE.seq_text, model.sequence)
    seq, note = _sequence_param(text, fixed=True)
    sync_query(wanted | seq, (*MODEL_PARAMS, "seq"))
    return note
