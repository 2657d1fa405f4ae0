"""Which model the session shows: the one the user picked (``workbench.model.Model``), or none while the
pages draw networks from the Network settings."""

from __future__ import annotations

import streamlit as st

from workbench import keys
from workbench.model import Model

MODEL_KEY = keys.APP.model  # session state: the current Model, or absent for networks drawn from the settings


def current_model() -> Model | None:
    """The model the user picked, or None while pages draw networks from the settings."""
    return st.session_state.get(MODEL_KEY)


def use_model(model: Model) -> None:
    """Make ``model`` the one the pages show (call from a button's callback or before st.switch_page)."""
    st.session_state[MODEL_KEY] = model


def drop_model() -> None:
    """Go back to networks drawn from the Network settings."""
    st.session_state.pop(MODEL_KEY, None)
