"""The Gradient flow page's networks and sequences, without Streamlit.

Each network is run once over the seed's longest sequence (FLOW_MAX_STEPS steps) and every shorter T is read
from that run: a sequence of T steps is the start of the longest one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import cells
from cells.gradflow import gradient_flow, trace_flow
from cells.learning.tasks import FirstBit, Task
from viz.gradflow import FlowCurve
from workbench.training import Trained, pretrained

FLOW_LABELS = {"rnn": "plain RNN", "lstm": "LSTM", "gru": "GRU"}
FLOW_SHIPPED = {"rnn": "first_bit_rnn", "lstm": "first_bit_lstm", "gru": "first_bit_gru"}
FLOW_MAX_STEPS = 200  # the page's longest T: every shorter sequence is the start of this one


def flow_inputs(steps: int, seed: int) -> np.ndarray:
    """A remember-the-first-bit sequence of ``steps`` steps (a bit, then noise), (T, 2): the first ``steps``
    steps of the seed's FLOW_MAX_STEPS-long sequence, so a longer T adds steps to the end of the same one."""
    return FirstBit(gap=FLOW_MAX_STEPS - 1).sample(np.random.default_rng(seed), 1).inputs[0][:steps]


def task_inputs(task: Task, steps: int, seed: int) -> np.ndarray:
    """``steps`` steps of the task's own sequences, end to end, (T, I)."""
    batch = task.sample(np.random.default_rng(seed), -(-steps // task.steps))
    return batch.inputs.reshape(-1, task.input_size)[:steps]


FlowRuns = tuple[tuple[str, cells.Cell, cells.Trace], ...]  # (kind, its cell, its run of the longest sequence)


def shared_run(cell: cells.Cell, xs: np.ndarray) -> cells.Trace:
    """The cell's run over xs with its arrays made read-only: every session reads this one object."""
    trace = cell.run(xs)
    for array in (trace.inputs, *trace.values.values()):
        array.flags.writeable = False
    return trace


def random_runs(hidden: int, seed: int) -> FlowRuns:
    """Plain RNN, LSTM and GRU of ``hidden`` units drawn from ``seed``, run over the seed's longest sequence."""
    xs = flow_inputs(FLOW_MAX_STEPS, seed)
    made = [(kind, cells.Network.create(kind, xs.shape[1], hidden, seed=seed).layers[0].forward)
            for kind in FLOW_LABELS]
    return tuple((kind, cell, shared_run(cell, xs)) for kind, cell in made)


def shipped_runs(seed: int, load: Callable[[str], Trained] = pretrained) -> FlowRuns:
    """The shipped first-bit models (``load`` reads one by name), run over the seed's longest sequence."""
    xs = flow_inputs(FLOW_MAX_STEPS, seed)
    made = [(kind, load(name).model.network.layers[0].forward) for kind, name in FLOW_SHIPPED.items()]
    return tuple((kind, cell, shared_run(cell, xs)) for kind, cell in made)


def flows(runs: FlowRuns, steps: int) -> list[FlowCurve]:
    """Each run's gradient flow over its first ``steps`` steps."""
    return [FlowCurve(FLOW_LABELS[kind], kind, trace_flow(cell, trace, steps)) for kind, cell, trace in runs]


def own_flow(trained: Trained, steps: int, seed: int) -> FlowCurve:
    """The Train page's model on ``steps`` steps of its own task."""
    cell = trained.model.network.layers[0].forward
    xs = task_inputs(trained.task, steps, seed)
    return FlowCurve(f"your {cell.LABEL}", cell.KIND, gradient_flow(cell, xs))
