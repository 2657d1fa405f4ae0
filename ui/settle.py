"""Where it settles: the fixed points of the shown cell under a held input, found on the page with a progress bar
and Stop, drawn in the run's state space (cells.dynamics.fixed_points, viz.settle).

The search runs in the page's script. A click on Stop (or anywhere) asks Streamlit for a rerun, which it raises
inside the next ``st`` call: the progress bar's. The search's ``stop`` then says yes, the search ends with what
has converged, the points go into a plain box put in session state before it started (no ``st`` call after the
interruption), and the rerun goes ahead and shows them (as ui/training.py does for a training run).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

import cells
from cells.dynamics import FixedPoints, first_bit_runs, first_bit_settling, fixed_points, pca, start_states
from cells.layers import DIRECTIONS
from cells.learning.train import load_model
from ui.engine import fingerprint
from ui.tables import chart
from viz.settle import fixed_point_table, settle_figure
from workbench import keys
from workbench.keys import InsightKeys
from workbench.model import PRETRAINED, Model, pretrained_manifest

MAX_UNITS = 64  # the search's Jacobians are (S × S) per start: fine up to 64 units (S = 128 for an LSTM)
STARTS = 64  # states taken along each run, and random states when asked for
FROM = {"run": f"this run ({STARTS} states along it)", "random": f"this run and {STARTS} random states",
        "bits": "runs of both first bits (0…, then 1…)"}
HELD = {"none": "no input (zeros)", "token": "a token of the run", "mean": "the run's mean input"}
FIRST_BIT = ("first_bit_lstm", "first_bit_gru")
INTERRUPTS = (RerunException, StopException)


@dataclass
class Search:
    """One search's result, left by the run that searched (plain Python: filled after an interruption too)."""

    about: tuple  # (network fingerprint, layer, direction): the cell it belongs to
    held: str  # the held input, in words
    where: str = FROM["run"]  # where the search started, in words
    done: threading.Event = field(default_factory=threading.Event)
    found: FixedPoints | None = None
    error: str | None = None


def _cell(network: cells.Network, layer: int, direction: str) -> cells.Cell:
    return network.layers[layer].cells[DIRECTIONS.index(direction)]


def found_for(network: cells.Network, layer: int, direction: str, k: InsightKeys = keys.EXPLORE_INSIGHT
              ) -> FixedPoints | None:
    """The last points found for this cell, if any (the gate view's state space draws them)."""
    box = st.session_state.get(k.found)
    if not isinstance(box, Search) or not box.done.wait(5.0):
        return None
    return box.found if box.about == (fingerprint(network), layer, direction) else None


@st.cache_data(max_entries=4, show_spinner="Finding where the first-bit model settles…")
def _first_bit_summary(name: str) -> str:
    entry = next(m for m in pretrained_manifest() if m["name"] == name)
    return first_bit_settling(load_model(PRETRAINED / entry["file"])).summary()


def _shipped_first_bit(model: Model | None) -> str | None:
    if model is None or model.original is not None or not model.source.startswith("trained:"):
        return None
    name = model.source.split(":", 1)[1]
    return name if name in FIRST_BIT else None


def _held(trace: cells.Trace, tokens: list[str], k: InsightKeys) -> tuple[np.ndarray | None, str]:
    held = st.radio("Hold the input at", list(HELD), format_func=HELD.get, key=k.held, horizontal=True)
    if held == "none":
        return None, HELD["none"]
    if held == "mean":
        return trace.inputs.mean(axis=0), HELD["mean"]
    first = {}
    for s, token in enumerate(tokens):
        first.setdefault(token, s)
    if st.session_state.get(k.token) not in first:
        st.session_state[k.token] = next(iter(first))
    token = st.selectbox("Token held", list(first), key=k.token, format_func=repr)
    return trace.inputs[first[token]], f"the input of token {token!r}"


def _starts(model: Model | None, cell: cells.Cell, trace: cells.Trace, layer: int, k: InsightKeys
            ) -> tuple[np.ndarray, str]:
    """Where the search starts, chosen by the user: the shown run, plus random states, or (a shipped first-bit
    model) runs of both first bits, as cells.dynamics.first_bit_settling searches, its default there."""
    name = _shipped_first_bit(model) if layer == 0 else None
    options = [*FROM] if name is not None else ["run", "random"]
    if st.session_state.get(k.starts) not in options:
        st.session_state[k.starts] = "bits" if name is not None else "run"
    start = st.radio("Start the search from", options, format_func=FROM.get, key=k.starts, horizontal=True)
    if start == "bits" and name is not None:
        entry = next(m for m in pretrained_manifest() if m["name"] == name)
        runs = first_bit_runs(load_model(PRETRAINED / entry["file"]))
        return start_states(cell, runs, per_run=len(runs[0].inputs)), FROM["bits"]
    return start_states(cell, [trace], per_run=STARTS, random=STARTS if start == "random" else 0), FROM[start]


def _search(cell: cells.Cell, x: np.ndarray | None, trace: cells.Trace | np.ndarray, box: Search,
            where: str = FROM["run"]) -> None:
    """Run the search from ``trace`` (a run, or start states) with a progress bar; a click during it stops it and
    is raised once the box is filled."""
    n = STARTS if isinstance(trace, cells.Trace) else len(trace)
    bar = st.progress(0.0, text=f"Searching from {where}…")
    interrupt: list[BaseException] = []

    def progress(fraction: float) -> None:
        if interrupt:
            return
        try:
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"Searching… {fraction:.0%}")
        except INTERRUPTS as e:  # Stop (or another click): end the search with what has converged
            interrupt.append(e)

    try:
        box.found = fixed_points(cell, x, starts=trace, n_starts=n, progress=progress,
                                 stop=lambda: bool(interrupt))
    except ValueError as e:
        box.error = str(e)
    finally:
        box.done.set()
    if interrupt:
        raise interrupt[0]
    bar.empty()


def settle_section(model: Model | None, network: cells.Network, trace: cells.Trace, tokens: list[str], layer: int,
                   direction: str, k: InsightKeys = keys.EXPLORE_INSIGHT) -> None:
    """The "where it settles" section: the held input, Find and Stop, the points in the state space and their
    table; for the shipped first-bit models, what the method finds for them, said in words."""
    st.caption("A fixed point is a state h* the step maps to itself, F(h*) = h*, while the input is held. The search "
               "minimises ‖F(h) − h‖² from many starting states (along this run, or as chosen below). A point is "
               "stable when every eigenvalue of the step's Jacobian there lies inside the unit circle; eigenvalues "
               "near 1 are slow directions, along which the state drifts only slowly (a line of them is a line "
               "attractor: a memory).")
    if (name := _shipped_first_bit(model)) is not None:
        st.info(f"**What the search finds for this model** (input held at zero after a first bit of 0 or 1, then "
                f"the same noise): {_first_bit_summary(name)}")
    cell = _cell(network, layer, direction)
    if cell.hidden_size > MAX_UNITS:
        st.info(f"This layer has {cell.hidden_size} units; the search here takes up to {MAX_UNITS}.")
        return
    x, held = _held(trace, tokens, k)
    starts, where = _starts(model, cell, trace, layer, k)
    find, stop = st.columns([3, 1])
    clicked = find.button("Find fixed points", key=k.search, type="primary", width="stretch")
    stop.button("Stop", key=k.stop, width="stretch", help="Ends the search with the points found so far.")
    about = (fingerprint(network), layer, direction)
    if clicked:
        box = Search(about, held, where)
        st.session_state[k.found] = box
        _search(cell.astype(np.float64), x, starts, box, where)
        st.rerun()  # once more, so that the gate view above draws the points in its state space
    box = st.session_state.get(k.found)
    if not isinstance(box, Search) or box.about != about or not box.done.wait(5.0):
        return
    if box.error:
        st.error(f"Fixed points: {box.error}")
        return
    found = box.found
    stopped = " The search was stopped: these are the points it had reached." if found.stopped else ""
    n_stable = sum(p.stable for p in found.points)
    st.markdown(f"With {box.held} held, starting from {box.where}, {found.converged} of {found.starts} starts "
                f"converged to **{len(found.points)} fixed point{'s' if len(found.points) != 1 else ''}**: "
                f"{n_stable} stable, "
                f"{len(found.points) - n_stable} unstable.{stopped}")
    state = st.session_state.get(k.state, "hidden")
    state = state if state in trace.values else "hidden"
    chart(settle_figure(pca(trace, 2, state=state), tokens, found, state=state), key=k.chart,
          what="where it settles")
    st.dataframe(fixed_point_table(found), hide_index=True)
