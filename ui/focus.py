"""Visible keyboard focus on every page: whatever Tab reaches gets a clear ring, so the app can be used
from the keyboard alone (the router draws this on every run)."""

from __future__ import annotations

import streamlit as st

FOCUS_COLOUR = "#1a56db"  # dark blue: readable on white and on the sidebar's grey, not a gate colour
FOCUS_CSS = f"""<style>
:focus-visible {{ outline: 3px solid {FOCUS_COLOUR} !important; outline-offset: 2px !important; }}
[data-testid=stSlider] div:has(> div > input[type=range]:focus-visible) {{
  outline: 3px solid {FOCUS_COLOUR} !important; outline-offset: 3px; border-radius: 50%; }}
</style>"""


def focus_style() -> None:
    st.html(FOCUS_CSS)
