"""Opening a page in Streamlit's AppTest and reading its charts, for the page tests."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.viz.figjson import decode
from workbench import keys

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


def equations_latex(at: AppTest) -> str:
    """Explore's lecture equations as the page draws them, after opening their expander as a click does (closed,
    they are not drawn at all)."""
    from workbench import keys

    at.session_state[keys.EXPLORE.equations_open] = True
    at.run(timeout=TIMEOUT)
    return " ".join(x.value for x in at.latex)


def chart(at: AppTest, key: str) -> dict | None:
    """The Plotly chart drawn with ``key``, as decoded JSON, or None."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return decode(json.loads(element.proto.spec))
    return None


def gate_views(at: AppTest) -> list:
    """Every gate view mounted on the page (custom components fed a packed view; the sequence boxes are fed JSON)."""
    return [e for e in at.get("bidi_component") if e.proto.bytes]


def gate_view(at: AppTest, key: str = keys.EXPLORE.cursor.view) -> tuple[dict, dict]:
    """The header and arrays of the gate view mounted with ``key``, as the browser receives them."""
    from viz.gateview import unpack

    for element in at.get("bidi_component"):
        if element.proto.id.endswith(key) or f"-{key}-" in element.proto.id or element.proto.id == key:
            return unpack(element.proto.bytes)
    raise AssertionError(f"no gate view {key!r} on the page: {[e.proto.id for e in at.get('bidi_component')]}")


def report_cursor(at: AppTest, t: int, unit: int, key: str = keys.EXPLORE.cursor.view) -> AppTest:
    """What the browser does when the user stops the cursor at step ``t`` and unit ``unit``."""
    at.session_state[key] = {"cursor": {"t": t, "unit": unit}}
    return at.run(timeout=TIMEOUT)


def sequence_box(at: AppTest, key: str) -> dict:
    """What the sequence box whose text lives in ``key`` was told to show (its text, label, help), as the
    browser receives it (ui/sequence_input.py)."""
    from ui.sequence_input import box_key

    for element in at.get("bidi_component"):
        if element.proto.id.endswith(box_key(key)):
            return json.loads(element.proto.json)
    raise AssertionError(f"no sequence box for {key!r} on the page: {[e.proto.id for e in at.get('bidi_component')]}")


def type_text(at: AppTest, key: str, text: str) -> AppTest:
    """What the browser does when the user types ``text`` into the sequence box of ``key`` and pauses (or presses
    Enter): the box reports the text, which lands in ``key`` before the page runs."""
    at.session_state[key] = text
    return at.run(timeout=TIMEOUT)
