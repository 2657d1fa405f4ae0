"""The Weights page's own link: every setting the user made there survives a copied address (the step, the knobs
where they stand, the clamp, and the weights before any edit for "Reset"), beside the model and its weights that
ui.share writes. The codec is workbench.model_link's (``page_to_query``, ``page_from_query``)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from ui.model import current_model, use_model
from ui.share import sync_query
from workbench import keys
from workbench.literal import literal
from workbench.model import Model
from workbench.model_link import (
    PAGE_PARAMS,
    Clamp,
    Knob,
    PageLink,
    model_link_problem,
    page_from_query,
    page_to_query,
)
from workbench.weights import SECTIONS, is_position


def _knob_key(knob: Knob) -> str:
    return keys.WEIGHTS.knob(knob.what, knob.layer, knob.direction, knob.gate)


def load_page_link() -> list[str]:
    """On the session's first run of the page, put the link's page settings into the page (after ui.share's
    ``load_link`` has made its model the current one); what was wrong with them, each time it is asked."""
    ss = st.session_state
    if not ss.get(keys.WEIGHTS.link_loaded):
        ss[keys.WEIGHTS.link_loaded] = True
        params = {name: st.query_params.get(name) for name in PAGE_PARAMS if name in st.query_params}
        page, errors = page_from_query(params)
        model = current_model()
        if page.original is not None:
            fits = model is not None and (page.original.kind, page.original.input_size) == (
                model.network.kind, model.network.input_size)
            if fits and model.original is None:
                use_model(dataclasses.replace(model, original=page.original))
            elif not fits:
                errors.append("orig: the weights before the edit do not fit the model; Reset is off")
        if page.knobs:
            ss[keys.WEIGHTS.knobs] = {_knob_key(k): k.value for k in page.knobs}
        if page.clamp is not None:
            c = page.clamp
            ss[keys.WEIGHTS.section] = SECTIONS[0]
            ss[keys.WEIGHTS.clamp_on] = True
            ss[keys.WEIGHTS.clamp_gate] = c.gate
            ss[keys.WEIGHTS.clamp_value] = c.value
            ss[keys.WEIGHTS.clamp_units] = list(c.units)
            ss[keys.WEIGHTS.clamp_steps] = (c.first, c.last)
        if page.step is not None:
            ss[keys.WEIGHTS.link_step] = page.step
        ss[keys.WEIGHTS.link_errors] = [f"Link: {literal(e, 200)}; the rest of the link was used." for e in errors]
    return list(ss.get(keys.WEIGHTS.link_errors, []))


def take_link_step(tokens: list[str]) -> None:
    """The step the link asked for, once the page knows its text: the gates' cursor and the predictions go there."""
    step = st.session_state.pop(keys.WEIGHTS.link_step, None)
    if is_position(step, len(tokens)):
        ss = st.session_state
        ss[keys.WEIGHTS.preview.step] = ss[keys.WEIGHTS.predict.step] = step
        ss[keys.WEIGHTS.predict.of] = list(tokens)


def write_page_link(model: Model | None) -> None:
    """Make the address say the page's own settings (the model itself is ui.share's ``write_model_link``)."""
    ss = st.session_state
    knobs = []
    for key, value in ss.get(keys.WEIGHTS.knobs, {}).items():
        what, layer, direction, gate = key.removeprefix("w_knob_").split("_", 3)
        knobs.append(Knob(what, int(layer), direction, gate, float(value)))
    clamp = None
    if ss.get(keys.WEIGHTS.clamp_on) and keys.WEIGHTS.clamp_gate in ss:
        first, last = ss.get(keys.WEIGHTS.clamp_steps, (0, 0))
        clamp = Clamp(ss[keys.WEIGHTS.clamp_gate], float(ss.get(keys.WEIGHTS.clamp_value, 0.0)),
                      tuple(ss.get(keys.WEIGHTS.clamp_units, [])), int(first), int(last))
    original = None
    if model is not None and model.original is not None and model.source.split(":", 1)[0] not in ("preset", "trained"):
        original = model.original  # a preset's or a trained model's first weights come back from its name
    step = ss.get(keys.WEIGHTS.preview.step)
    page = PageLink(step if isinstance(step, int) else None, tuple(knobs), clamp, original)
    sync_query(page_to_query(page) if model is None or model_link_problem(model) is None else {}, PAGE_PARAMS)
