"""Why it predicted that, and where its state goes: the gate view's attribution and state-space panels on a page.

The sidebar picks the target (the top prediction where the model has a head, any class, or the chosen unit's h_t
or C_t), integrated gradients' baseline and the state projected. The engine answers (cells.attribution,
cells.dynamics) at the step the browser last reported; viz.insight adds the answers to the view. The memory path
and the state space's cursor follow the cursor in the browser; connectivity, the gradient's path and integrated
gradients are for the reported step, and a new report replaces them in the view on screen (no new view).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

import cells
from cells.attribution import MAX_IG_STEPS, Attribution, Connectivity, Target, connectivity, integrated_gradients
from cells.dynamics import pca
from ui.engine import Run, drawn_network, fingerprint
from ui.gateview import take_cursor
from viz.gateview import GateView
from viz.insight import Attributed, with_insight
from workbench import keys
from workbench.keys import CursorKeys, InsightKeys
from workbench.model import Model

BASELINES = {"zeros": "zeros", "mean": "embedding's mean"}
MAX_CLASSES = 64  # classes offered one by one in the target menu
IG_STEPS = 32  # points of the integrated-gradients rule to start with
IG_WORK = 400_000  # steps × units × points past which the rule takes no more points (about 0.3 s of CPU)
COMPLETE = 0.01  # the sum of the attributions must match the change within this share


@dataclass(frozen=True, eq=False)
class Insight:
    """What the panels are asked for, and what they need of the model."""

    network: cells.Network
    head: object | None  # weights (K, D), bias (K,)
    embedding: np.ndarray | None  # (V, I), for the mean baseline
    classes: Sequence[str] | None
    target: str  # "top", "class:k", "hidden", "cell"
    baseline: str
    state: str  # "hidden" | "cell"


def model_network(model: Model | None, run: Run) -> cells.Network:
    """The network the page ran: the model's, or the one the Network settings draw."""
    return model.network if model is not None else drawn_network(run.network, run.encoded.xs.shape[1])


def _head(model: Model | None) -> object | None:
    if model is None:
        return None
    if model.loaded is not None and model.loaded.head is not None:
        return model.loaded.head
    return model.readout


def _embedding(model: Model | None, run: Run) -> np.ndarray | None:
    """The rows the mean baseline averages: a file's embedding, else, for inputs that are one-hot rows (a model
    or a text read one character a column), the identity (their mean is 1/V in every column)."""
    if model is not None and model.loaded is not None and model.loaded.embedding is not None:
        return model.loaded.embedding
    xs = run.encoded.xs  # (T, I)
    if np.all((xs == 0) | (xs == 1)) and np.all(xs.sum(axis=1) == 1):
        return np.eye(xs.shape[1])
    return None


def _classes(model: Model | None, head: object | None) -> list[str] | None:
    if head is None or model is None or model.loaded is None or not model.loaded.vocabulary:
        return None
    vocabulary = list(model.loaded.vocabulary)
    return vocabulary if len(vocabulary) == np.asarray(head.weights).shape[0] else None


def insight_controls(model: Model | None, run: Run, trace: cells.Trace, *,
                     k: InsightKeys = keys.EXPLORE_INSIGHT) -> Insight | None:
    """The sidebar's choices for the panels, None while they are off: off until the user turns them on, so the
    default view (and presenter mode) keeps every gate on one screen."""
    ss = st.session_state
    ss.setdefault(k.show, False)
    with st.sidebar:
        st.header("Why and where")
        if not st.toggle("Attribution and state space", key=k.show,
                         help="Under the inputs: how much the target at the cursor's step depends on each input. "
                              "Beside the gates: the memory path and the gradient's path. Below: the run's states "
                              "on two principal components."):
            return None
        head = _head(model)
        network = model_network(model, run)
        if head is not None and np.asarray(head.weights).shape[1] != network.layers[-1].output_size:
            head = None  # a head that reads something else than this network's top layer has no logits here
        classes = _classes(model, head)
        options = (["top"] if head is not None else []) + ["hidden"] + (["cell"] if trace.values.get("cell") is not None
                                                                          else [])
        if head is not None and np.asarray(head.weights).shape[0] <= MAX_CLASSES:
            options += [f"class:{c}" for c in range(np.asarray(head.weights).shape[0])]
        if ss.get(k.target) not in options:
            ss[k.target] = options[0]

        def name(option: str) -> str:
            if option == "top":
                return "the top prediction's logit"
            if option.startswith("class:"):
                c = int(option.split(":")[1])
                return f"the logit of {classes[c]!r}" if classes else f"the logit of class {c}"
            return f"the chosen unit's {'h_t' if option == 'hidden' else 'C_t'}"

        target = st.selectbox("Explain", options, format_func=name, key=k.target,
                              help="The number at the cursor's step whose dependence on the inputs is drawn.")
        embedding = _embedding(model, run)
        baselines = list(BASELINES) if embedding is not None else ["zeros"]
        if ss.get(k.baseline) not in baselines:
            ss[k.baseline] = "zeros"
        baseline = st.radio("Integrated gradients from", baselines, format_func=BASELINES.get, key=k.baseline,
                            horizontal=True, help="The inputs the path starts from (x′).")
        states = ["hidden", "cell"] if "cell" in trace.values else ["hidden"]
        if ss.get(k.state) not in states:
            ss[k.state] = "hidden"
        state = st.radio("State space of", states, format_func=lambda s: "h_t" if s == "hidden" else "C_t",
                         key=k.state, horizontal=True)
    return Insight(network, head, embedding, classes, target, baseline, state)


def target_at(insight: Insight, trace: cells.Trace, step: int, unit: int, layer: int, direction: str) -> Target:
    """The engine's target for the choice at ``step``, the chosen unit of the shown layer and direction."""
    if insight.target == "top" or insight.target.startswith("class:"):
        cls = None if insight.target == "top" else int(insight.target.split(":")[1])
        return Target(step=step, output="logit", cls=cls)
    size = trace.hidden_size if insight.target == "cell" else trace.state_size
    return Target(step=step, output=insight.target, unit=min(unit, size - 1), layer=layer, direction=direction)


def _digest(*arrays: object) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"-")
            continue
        for part in (a,) if isinstance(a, np.ndarray) else (a.weights, a.bias):
            part = np.ascontiguousarray(part, dtype=np.float64)
            h.update(str(part.shape).encode() + part.tobytes())
    return h.hexdigest()[:16]


@st.cache_data(max_entries=24, show_spinner=False)
def _attribute(key: str, _network: cells.Network, xs: np.ndarray, target: Target, _head: object | None,
               baseline: str, _embedding: np.ndarray | None) -> tuple[Connectivity, Attribution]:
    conn = connectivity(_network, xs, target, head=_head)
    steps = IG_STEPS
    units = sum(c.hidden_size for layer in _network.layers for c in layer.cells)
    most = min(MAX_IG_STEPS, max(IG_STEPS, IG_WORK // (len(xs) * units)))  # a long input keeps the rerun short
    while True:  # more points of the rule until the sum matches the change within 1 % (or the limit)
        ig = integrated_gradients(_network, xs, conn.target, head=_head, baseline=baseline, embedding=_embedding,
                                  steps=steps)
        if ig.error <= COMPLETE or steps * 2 > most:
            return conn, ig
        steps *= 2


def insight_extension(insight: Insight | None, run: Run, trace: cells.Trace, layer: int, direction: str,
                      k: CursorKeys = keys.EXPLORE.cursor, found: object | None = None
                      ) -> tuple[Callable[[GateView], GateView] | None, str | None]:
    """What adds the panels to the page's gate view (None while they are off), and what went wrong, if anything
    (the view is then drawn without the attribution)."""
    if insight is None:
        return None, None
    take_cursor(k)
    T = trace.steps
    step = min(max(int(st.session_state.get(k.step, 0)), 0), T - 1)
    unit = int(st.session_state.get(k.unit, 0))
    problem = None
    attributed = None
    try:
        target = target_at(insight, trace, step, unit, layer, direction)
        key = f"{fingerprint(insight.network)}:{_digest(insight.head, insight.embedding)}"
        conn, ig = _attribute(key, insight.network, run.encoded.xs, target, insight.head, insight.baseline,
                              insight.embedding)
        attributed = Attributed(conn, layer, direction, ig, BASELINES[insight.baseline], insight.classes)
    except ValueError as e:
        problem = f"Attribution: {e}"
    projection = pca(trace, 2, state=insight.state)
    return (lambda view: with_insight(view, trace, attributed=attributed, projection=projection,
                                      state=insight.state, found=found)), problem
