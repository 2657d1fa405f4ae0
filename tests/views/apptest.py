"""Opening a page in Streamlit's AppTest and reading its charts, for the page tests."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.viz.figjson import decode

APP = Path(__file__).parents[2] / "app.py"
TIMEOUT = 180


def open_view(view: str, **state: object) -> AppTest:
    """The app opened on ``views/<view>.py``, with ``state`` put into session state before its first run."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page(f"views/{view}.py")  # opened straight on the page, as its link does
    for key, value in state.items():
        at.session_state[key] = value
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, key: str) -> dict | None:
    """The Plotly chart drawn with ``key``, as decoded JSON, or None."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return decode(json.loads(element.proto.spec))
    return None
