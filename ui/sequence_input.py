"""The sequence box: ui/sequence_input.js mounted as a custom component, a text box that applies as the user types.

The text lives in session state under the page's own key (``explore_seq_text``, ``cmp_a_text``, ``train_text``), so
share links, hand-offs between pages and examples set it as before; the box shows it and, when the user
pauses, presses Enter or leaves the box, reports the new text, which goes into that key before the page runs. After
a reconnect to a new server process, the box reports what it holds, so a text typed as the old process died counts.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import partial
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

HERE = Path(__file__).parent
JS = (HERE / "sequence_input.js").read_text(encoding="utf-8")
CSS = (HERE / "sequence_input.css").read_text(encoding="utf-8")
_COMPONENT = st.components.v2.component("gatescope_sequence_box", js=JS, css=CSS, html="")

# What Enter and Shift+Enter do, said under the label: in numbers a line break starts a step, in text it is a
# character (a ⏎ step), and a box without line breaks has Enter apply and nothing else.
KEYS = {
    "step": "Enter applies · Shift+Enter: new step",
    "character": "Enter applies · Shift+Enter: a ⏎ step",
    None: "Enter applies",
}


def box_key(key: str) -> str:
    """The component's own key for the box whose text lives in ``key`` (its box is ``.st-key-<this>``)."""
    return f"{key}_box"


def _take(key: str) -> None:
    """Put the text the browser reported into ``key`` (the box's callback, before the page runs)."""
    reported = st.session_state.get(box_key(key))
    text = reported.get("text") if hasattr(reported, "get") else None
    if isinstance(text, str):
        st.session_state[key] = text


# This server process, named once: a page that reconnects to another process keeps its session's id (Streamlit's
# client asks for it back), so the id alone cannot tell the box that the server forgot what it held.
PROCESS = uuid.uuid4().hex


def _session_tag(session_id: str) -> str:
    """A short tag of the session in this server process, new after a reconnect (the box then reports what it holds)."""
    return hashlib.sha256(f"{PROCESS}:{session_id}".encode()).hexdigest()[:12]


def sequence_box(label: str, key: str, *, help: str = "", max_chars: int = 0, rows: int = 2,
                 newline: str | None = None, disabled: bool = False, big: bool = False) -> str:
    """A box showing the text in session state ``key``; returns that text (as the user last applied it).

    ``newline`` says what a line break means in this box: ``"step"`` (numbers, one step per line),
    ``"character"`` (text, where a line break is a ⏎ step) or None (Shift+Enter applies like Enter); ``big`` sizes
    it for a projector, as presenter mode sizes Streamlit's own widgets."""
    text = st.session_state.get(key, "")
    ctx = get_script_run_ctx()
    data = {"text": text, "label": label, "keys": KEYS[newline], "help": help, "max": int(max_chars),
            "rows": int(rows), "newline": newline is not None, "disabled": bool(disabled), "big": bool(big),
            "session": _session_tag(ctx.session_id if ctx is not None else "")}
    _COMPONENT(key=box_key(key), data=data, on_text_change=partial(_take, key))
    return text
