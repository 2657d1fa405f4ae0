"""The Gradient flow page's cached runs: networks built and run once per server, flows once per setting."""

from __future__ import annotations

import streamlit as st

from ui.training import load_pretrained
from viz.gradflow import FlowCurve
from workbench import flow
from workbench.training import Trained


@st.cache_resource(max_entries=8, show_spinner=False)
def _random_runs(hidden: int, seed: int) -> flow.FlowRuns:
    """Shared by every session and every T: nothing changes them, and a T is a start of the run."""
    return flow.random_runs(hidden, seed)


@st.cache_resource(max_entries=8, show_spinner=False)
def _shipped_runs(seed: int) -> flow.FlowRuns:
    return flow.shipped_runs(seed, load_pretrained)


@st.cache_data(max_entries=16, show_spinner="Multiplying Jacobians…")
def random_flows(steps: int, hidden: int, seed: int) -> list[FlowCurve]:
    """Plain RNN, LSTM and GRU of ``hidden`` units drawn from ``seed``, on one first-bit sequence."""
    return flow.flows(_random_runs(hidden, seed), steps)


@st.cache_data(max_entries=16, show_spinner="Multiplying Jacobians…")
def shipped_flows(steps: int, seed: int) -> list[FlowCurve]:
    """The shipped first-bit models (gap 50) on one first-bit sequence of ``steps`` steps."""
    return flow.flows(_shipped_runs(seed), steps)


@st.cache_data(max_entries=8, show_spinner="Multiplying Jacobians…")
def own_flow(_trained: Trained, ident: str, steps: int, seed: int) -> FlowCurve:
    """The Train page's model on ``steps`` steps of its own task (``ident`` names it for the cache)."""
    return flow.own_flow(_trained, steps, seed)
