"""The Compare page's session and runs: its defaults, a hand-off into pane A, the start modes, cached runs of
both panes (a pane that fails keeps its last view that worked) and the summary tables. The panes' widgets are
ui.compare_panes'; what a pane is, workbench.compare's.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import cells
from cells import encode
from cells.edits import memory_bias
from ui.engine import encode_sequence, run_fixed, run_network
from ui.handoff import receive
from ui.model import current_model
from viz.compare import gate_summary, half_life_table, layer_summary, shown_summary
from workbench import keys
from workbench.compare import (
    DEFAULT_INPUT,
    DEFAULT_NETWORK,
    DEFAULTS,
    PANE_DEFAULTS,
    START_OPENS,
    START_SETTINGS,
    PaneInput,
    PaneNetwork,
    PaneRun,
    describe,
    joint_vocabulary,
)
from workbench.model import Model, from_preset, from_pretrained
from workbench.settings import MAX_STEPS, MODES

SIDE_CURSOR = keys.COMPARE.cursor  # the side-by-side views share one cursor


def set_defaults() -> None:
    """The page's widget defaults, set once per session (and again after Streamlit drops a hidden widget's key)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, list(value) if isinstance(value, list) else value)


def take_handoff() -> None:
    """A model another page handed to Compare goes into pane A, with its text and its unit to watch."""
    parcel = receive("compare")
    if parcel is None:
        return
    ss = st.session_state
    ss[keys.COMPARE.pane("a", "source")] = "current"
    ss[keys.COMPARE.pane("a", "text")] = parcel.text
    ss[keys.COMPARE.pane("a", "shift")] = 0.0
    ss[keys.COMPARE.same_net] = False
    ss[keys.COMPARE.cursor.step] = parcel.step or 0
    if parcel.unit is not None:
        ss[keys.COMPARE.cursor.unit] = parcel.unit


def start_mode(mode: str | None = None) -> None:
    """Fill both panes with a start mode's settings (the start-mode radio's callback)."""
    mode = mode or st.session_state[keys.COMPARE.start]
    a, b, shared = START_SETTINGS[mode]
    for p, extra in (("a", a), ("b", b)):
        for name, value in {**PANE_DEFAULTS, **extra}.items():
            st.session_state[keys.COMPARE.pane(p, name)] = value
    st.session_state.update(shared)
    st.session_state[keys.COMPARE.cursor.step] = 0
    for p in START_OPENS.get(mode, ()):
        st.session_state[keys.COMPARE.pane(p, "more")] = True


# ----- models and cached runs -----------------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner=False)
def named_model(source: str, name: str) -> Model:
    return from_preset(name) if source == "preset" else from_pretrained(name)


def pane_model(source: str, preset: str, trained: str) -> Model | None:
    """The fixed model a pane shows, or None for networks drawn at random."""
    if source == "preset":
        return named_model("preset", preset)
    if source == "trained":
        return named_model("trained", trained)
    if source == "current":
        return current_model()
    return None


@st.cache_data(max_entries=16, show_spinner=False)
def encode_joint(mode: str, text: str, vocabulary: str) -> encode.Encoded:
    """``text`` one-hot over a vocabulary shared by both panes (so one network can read both)."""
    encoded = encode.one_hot(text, vocabulary=vocabulary)
    if encoded.steps > MAX_STEPS:
        raise ValueError(f"the sequence has {encoded.steps:,} steps; the limit is {MAX_STEPS:,}")
    return encoded


@st.cache_data(max_entries=8, show_spinner="Running the network…")
def run_shifted(kind: str, hidden: int, seed: int, scheme: str, scale: float, bidirectional: bool, layers: int,
                shift: float, xs: np.ndarray) -> cells.NetworkTrace:
    """A freshly initialised network of these settings, its memory bias shifted, run over xs (T, I)."""
    network = cells.Network.create(kind, xs.shape[1], hidden, num_layers=layers, bidirectional=bidirectional,
                                   seed=seed, scheme=scheme, scale=scale)
    return memory_bias(network, shift).run(xs)


def _run(network: PaneNetwork, pane_input: PaneInput, vocabulary: str | None, inputs: int | None = None
         ) -> PaneRun:
    """A pane's run, or a ValueError saying what is wrong. ``inputs``: the input size of A's network,
    when this pane runs it on its own text."""
    if network.source == "random":
        q = pane_input
        try:
            if vocabulary is not None and q.mode == "onehot":
                encoded, reads = encode_joint(q.mode, q.text, vocabulary), "characters, one-hot over both panes' text"
            else:
                encoded, reads = encode_sequence(q.mode, q.text, q.embed_size, q.embed_seed), MODES[q.mode]
        except ValueError as e:
            raise ValueError(f"Input ({MODES.get(q.mode, q.mode)}): {e}") from None
        if inputs is not None and encoded.input_size != inputs:
            raise ValueError(f"Input: A's network reads {inputs} number{'s' if inputs != 1 else ''} per step, "
                             f"this text gives {encoded.input_size}")
        n = network
        try:
            if n.shift:
                trace = run_shifted(n.kind, n.hidden, n.seed, n.scheme, n.scale, n.bidirectional, n.layers, n.shift,
                                    encoded.xs)
            else:
                trace = run_network(n.kind, n.hidden, n.seed, n.scheme, n.scale, n.bidirectional, n.layers,
                                    encoded.xs)
        except ValueError as e:
            raise ValueError(f"Network: {e}") from None
        return PaneRun(describe(network), reads, encoded, trace)
    model = pane_model(network.source, network.preset, network.trained)
    if model is None:
        raise ValueError("Network: no model has been picked on Explore or Weights")
    try:
        encoded = model.inputs(pane_input.text)
    except ValueError as e:
        raise ValueError(f"Input: {e}") from None
    if encoded.steps > MAX_STEPS:
        raise ValueError(f"Input: the sequence has {encoded.steps:,} steps; the limit is {MAX_STEPS:,}")
    trace = run_fixed(memory_bias(model.network, network.shift), encoded.xs)
    label = model.label + (f", keep-memory bias {network.shift:+g}" if network.shift else "")
    return PaneRun(label, model.reads, encoded, trace, model.watch)


def pane_runs(a: tuple[PaneNetwork, PaneInput], b: tuple[PaneNetwork, PaneInput], same_net: bool
              ) -> tuple[dict[str, PaneRun], list[str]]:
    """Both panes' runs, and what was wrong, if anything. A pane that fails shows its last run that worked."""
    vocabulary = None
    if same_net and a[0].source == "random" and a[1].mode == "onehot" and b[1].mode == "onehot":
        vocabulary = joint_vocabulary(a[1].text, b[1].text)  # one network, so one input size for both texts
    good = st.session_state.setdefault(keys.COMPARE.last_good, {})
    runs, problems = {}, []
    for p, (network, pane_input) in (("a", a), ("b", b)):
        inputs = runs["a"].encoded.input_size if p == "b" and same_net and network.source == "random" else None
        try:
            runs[p] = _run(network, pane_input, vocabulary, inputs)
            good[p] = (network, pane_input, vocabulary)
        except ValueError as e:
            problems.append(f"Pane {p.upper()}: {e}. Showing pane {p.upper()}'s last view that worked.")
            last = good.get(p, (DEFAULT_NETWORK, DEFAULT_INPUT, None))
            try:
                runs[p] = _run(*last)
            except ValueError:
                runs[p] = _run(DEFAULT_NETWORK, DEFAULT_INPUT, None)
    return runs, problems


# ----- the summary tables ----------------------------------------------------------------------------
def side_summary(traces: dict[str, cells.Trace]) -> None:
    """The side-by-side view's tables: per gate mean and saturation, per unit memory half-life, and their CSV."""
    gates, lives = gate_summary(traces), half_life_table(traces)
    st.caption("Per gate and state: mean over every step and unit, and the share of values saturated. Per unit: "
               "the memory half-life, steps until the running product of the keep share (f_t, or the GRU's) "
               "falls below 0.5; “> T” when it never does within the sequence.")
    c1, c2 = st.columns([3, 2])
    rows = len(gates)  # the half-life table scrolls inside the same height when there are more units
    c1.dataframe(shown_summary(gates), hide_index=True, height=35 * (rows + 1) + 3)
    c2.dataframe(lives, hide_index=True, height=35 * (rows + 1) + 3)
    # The CSV is written when the button is pressed, not on every run.
    c1.download_button("Gate summary (CSV)", lambda: gates.to_csv(index=False),
                       file_name="gatescope-compare-gates.csv", mime="text/csv", key=keys.COMPARE.download_gates,
                       on_click="ignore")
    c2.download_button("Memory half-life (CSV)", lambda: lives.to_csv(index=False),
                       file_name="gatescope-compare-half-life.csv", mime="text/csv",
                       key=keys.COMPARE.download_half_life, on_click="ignore")


def layer_summary_table(run: PaneRun, pane: str) -> None:
    """The bidirectional and deep views' table: pane ``pane``'s layers and directions, and its CSV."""
    table = layer_summary(run.trace)
    st.caption(f"Pane {pane.upper()}, per layer and direction: mean h_t, the share of |h_t| above 0.95, the mean "
               "keep share and the median memory half-life over units.")
    st.dataframe(table, hide_index=True)
    st.download_button("Layer summary (CSV)", lambda: table.to_csv(index=False),
                       file_name="gatescope-compare-layers.csv", mime="text/csv", key=keys.COMPARE.download_gates,
                       on_click="ignore")
