"""The share link and the browser's Back button: one history entry per setting the user changes, none for the rest.

Streamlit pushes a history entry each time a run changes ``st.query_params`` (one per parameter set), and
reruns the page with an entry's address when the user presses Back or Forward (``is_history_navigation``).
So the share-link parameters the pages own (``sync_query`` in ui.share) never go to the browser that way:
they change the server's copy of the query string quietly, and a small component (ui/history.js) puts the
whole query string in the address bar, choosing on purpose:

- a **new entry** when the run changed a setting (Cell, Seed, the text, the model);
- the **same entry**, corrected in place, for cursor reports (the step and unit), reruns that change
  nothing, the session's first run (the link, normalised), the first run on a page reached by a link or a
  button (Streamlit has pushed the page's own entry already) and a run Back or Forward started.

Because the address is set without Streamlit's knowing, the query string the browser sends with the next
rerun may be an older one: every run except one Back or Forward started puts the parameters the pages own
back to what the app last wrote (``begin_run``), and a Back or Forward to an address that says something
else asks the page to apply that address as a link (``came_back``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from workbench import keys

JS = (Path(__file__).parent / "history.js").read_text(encoding="utf-8")
_COMPONENT = st.components.v2.component("gatescope_history", js=JS, html="")

# Parameters that say where the time cursor is: moving it corrects the entry, never adds one.
MOVES = frozenset({"t", "unit", "cmp_t", "cmp_unit"})

Params = dict[str, str]  # the parameters the pages own, as the app last wrote them


@dataclass
class _Run:
    """One script run's part in the history: whether it may add an entry, and where its component goes."""

    slot: DeltaGenerator
    push_allowed: bool  # False on a first run, an arrival on a page, and a run Back or Forward started
    pushed: bool = False  # a setting changed in this run
    mounts: int = field(default=0)


def _is_fragment_run() -> bool:
    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "fragment_ids_this_run", None))


def _server_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params}


def _set_quietly(wanted: Mapping[str, str | None]) -> None:
    """Make the server's copy of the query string say ``wanted`` (None: no such parameter), sending nothing to
    the browser (the history component does that)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with ctx.session_state.query_params() as qp:
        for name, value in wanted.items():
            if value is None:
                qp.discard_param_no_forward_msg(name)
            else:
                qp.set_with_no_forward_msg(name, value)
        ctx.query_string = urlencode(qp._query_params, doseq=True)  # what AppTest and the next page read


def begin_run(page: str | None) -> None:
    """At the start of every run (the router calls it, through ui.share.set_defaults): decide whether this run
    may add a history entry, and undo what an older address in the browser's rerun request would change."""
    if _is_fragment_run():
        return
    ss = st.session_state
    ctx = get_script_run_ctx()
    back = bool(getattr(ctx, "is_history_navigation", False))
    written: Params | None = ss.get(keys.APP.link_written)
    arrived = ss.get(keys.APP.link_page) != page
    ss[keys.APP.link_page] = page
    ss[keys.APP.link_back] = False
    if written is not None:
        incoming = {name: st.query_params.get(name) for name in written}
        if back:  # the address of the entry the user went back (or forward) to is what the page now says
            ss[keys.APP.link_back] = incoming != written
            ss[keys.APP.link_written] = {name: value for name, value in incoming.items() if value is not None}
        elif incoming != written:
            _set_quietly({name: written.get(name) for name in written})
    slot = st.empty()
    ss[keys.APP.link_run] = _Run(slot, push_allowed=written is not None and not arrived and not back)
    _mount(ss[keys.APP.link_run])


def came_back() -> bool:
    """This run was started by Back or Forward, to an address that says something other than what the page
    showed: the page should apply it as a link."""
    return bool(st.session_state.get(keys.APP.link_back))


def write_params(wanted: Mapping[str, str], scope: tuple[str, ...] | list[str] | Mapping[str, object]) -> None:
    """Make each parameter named in ``scope`` say its value in ``wanted``, or drop it when it has none, and put the
    query string in the address bar: a new entry when a setting changed, the same one otherwise."""
    ss = st.session_state
    run = ss.get(keys.APP.link_run)
    if run is None or _is_fragment_run():  # no run state (a fragment's rerun): Streamlit's own way
        for name in scope:
            if name in wanted and st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]
            elif name not in wanted and name in st.query_params:
                del st.query_params[name]
        return
    written: Params = dict(ss.get(keys.APP.link_written) or {})
    before = dict(written)
    for name in scope:
        if name in wanted:
            written[name] = wanted[name]
        else:
            written.pop(name, None)
    changed = {name for name in set(before) | set(written) if before.get(name) != written.get(name)}
    if changed - MOVES:
        run.pushed = True
    ss[keys.APP.link_written] = written
    _set_quietly({name: wanted.get(name) for name in scope})
    _mount(run)


_ORDER_LOCK = threading.Lock()
_last_order = 0


def _order() -> int:
    """The server's clock in microseconds, strictly increasing in this process: each mount's place in time. The
    browser can draw two mounts in the other order (seen under load: a run's first mount, with the address it
    began from, drawn after its last, which had the new stop), so it applies a link only if it is newer than
    the last one it applied; a worker that took over the page comes later on the same clock."""
    global _last_order
    with _ORDER_LOCK:
        _last_order = max(_last_order + 1, time.time_ns() // 1000)
        return _last_order


def _mount(run: _Run) -> None:
    """(Re)draw the history component with the whole query string as the server now holds it."""
    run.mounts += 1
    query = urlencode(_server_params(), doseq=True)
    data = {"query": query, "push": run.push_allowed and run.pushed, "serial": uuid.uuid4().hex, "order": _order()}
    try:
        with run.slot:
            _COMPONENT(key=f"gatescope_history_{run.mounts}", data=data)
    except st.errors.StreamlitAPIException:  # the slot belongs to an older run (a rerun overtook this one)
        pass
