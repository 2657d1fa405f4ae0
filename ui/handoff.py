"""Hand-offs: one page sends a model, with the text, step and unit to show it on, to another page.

The sending page (Train, Lessons, the ready-model menu) calls ``send`` and switches page; the receiving
page calls ``receive`` with its own name at the top of its run and puts the parcel into its own widgets.
So a page never writes another page's keys, and a hand-off works in a fresh session: everything the
receiver needs is in the parcel (the model, how it reads text, the text itself), and the receiver's
share link then names the model, so a copied link brings the same view back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from ui.model import use_model
from workbench import keys
from workbench.model import Model

PARCEL = keys.APP.parcel  # session state: the Parcel waiting for its page
PAGES = ("explore", "compare")


@dataclass(frozen=True, eq=False)
class Parcel:
    to: str  # the page it is for: one of PAGES
    model: Model
    text: str  # the sequence to show the model on
    step: int | None = None  # where the time cursor starts (None: the page's own)
    unit: int | None = None  # the unit to select (None: the model's own unit to watch, if any)
    layer: int | None = None  # the layer to show, from 0 (None: the page's own)
    present: bool = False  # open in presenter mode (from a lesson being presented)


def send(to: str, model: Model, text: str | None = None, *, step: int | None = None, unit: int | None = None,
         layer: int | None = None, present: bool = False) -> None:
    """Make ``model`` the current one and leave a parcel for page ``to``; switch page after this."""
    if to not in PAGES:
        raise ValueError(f"hand-off: expected one of {', '.join(PAGES)}, got {to!r}")
    use_model(model)
    st.session_state[PARCEL] = Parcel(to, model, text or model.sequence, step, model.watch if unit is None else unit,
                                      layer, present)


def follow_text(page: str, text: str) -> None:
    """A parcel still waiting for ``page`` takes ``text``, typed since it was left on a page that shares the
    sequence box (the Weights page's uploads and menu leave one for Explore without switching page)."""
    parcel = st.session_state.get(PARCEL)
    if isinstance(parcel, Parcel) and parcel.to == page and parcel.text != text:
        st.session_state[PARCEL] = replace(parcel, text=text)


def receive(page: str) -> Parcel | None:
    """The parcel left for ``page``, taken (so it is applied once), or None."""
    parcel = st.session_state.get(PARCEL)
    if not isinstance(parcel, Parcel) or parcel.to != page:
        return None
    del st.session_state[PARCEL]
    return parcel


def reads_numbers(model: Model) -> bool:
    """Whether the model reads typed numbers (else characters): the sequence box's mode that matches it."""
    return model.vocabulary is None and model.reads.startswith("numbers")
