"""A page that outlived its server process says so, once, in a small note.

When the worker a page talks to dies (or the server restarts), Streamlit's client reconnects: through
nginx to another worker, or to the restarted server. That process has never seen the session, so the
page is rebuilt from its link on its next run, and what was only in the old session (an edit not yet in
the link) is gone. A fresh page load starts a session with no widget values; a reconnected page starts
one with the values its widgets still show, which is how this module tells the two apart.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from workbench import keys

NOTE = "Reconnected to the server: this page was rebuilt from its link."


def _browser_brought_widgets() -> bool:
    """The browser sent widget values with this session's first run (Streamlit keeps them until widgets claim them)."""
    ctx = get_script_run_ctx()
    try:
        return len(ctx.session_state._state._new_widget_state) > 0  # type: ignore[union-attr]
    except (AttributeError, TypeError):  # another Streamlit version keeps them elsewhere: no note, no harm
        return False


def note_if_reconnected() -> None:
    """On a session's first run, a short note if the page was open before this server process knew it."""
    if st.session_state.get(keys.APP.session_seen):
        return
    st.session_state[keys.APP.session_seen] = True
    if _browser_brought_widgets():
        st.toast(NOTE, icon=":material/sync:", duration="long")
