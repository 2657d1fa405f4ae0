"""The Train and Gradient flow pages' pieces: settings widgets, the live training runner, cached calls.

Training runs in a separate process (``ui.trainer``: a pool of spawned processes shared by the server's
sessions, at a lower CPU priority), so a long run never holds the server's interpreter while other
sessions click and type. The session's script run follows the job: every ``every_seconds`` it reads the
steps that have arrived and redraws the progress bar and the curve. A click anywhere on the page (the
Stop button, say) asks Streamlit to rerun the script, and Streamlit raises that request inside the next
``st`` call a draw makes: the runner catches it there, tells the job to stop (it ends after the step it
is in and keeps the weights so far), waits for its result and hands the request back so the page can
save the model in session state before letting the rerun go ahead. The rerun then shows the stopped model.

Streamlit's fast reruns (on by default) do not interrupt the old run in place: they tell it to stop
and start the new run at once, in another thread, while the old one is still following its job.
Worse, a run told to stop raises at every later ``st`` call, reading session state included. So a
run puts a ``Handover`` box in session state before it trains and leaves its model in the box (plain
Python, no ``st`` call); the next run waits for the box to be marked done and moves its contents
into session state (``collect_training``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

import cells
from cells import encode
from cells.gradflow import gradient_flow, trace_flow
from cells.learning.readout import softmax
from cells.learning.tasks import TASKS, Brackets, FirstBit, Task, make_task
from cells.learning.train import MAX_BATCH, MAX_HIDDEN, MAX_LR, MAX_STEPS, Model, TrainResult, evaluate, load_model
from ui import keys
from ui.gateview import CursorKeys
from ui.model import PRETRAINED, TASK_EXAMPLES, from_task, pretrained_manifest
from ui.model import Model as PageModel
from ui.trainer import Job, Trainer
from viz.gradflow import FlowCurve
from viz.training import Curve, Predictions

MAX_SEED = 2**32 - 1
MAX_MEMORY_BIAS = 10.0
MAX_CLIP = 1e6
MAX_TYPED = 300  # steps of a typed sequence on this page
COMPARE_KINDS = ("lstm", "gru", "rnn")
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD"}
ANSWERS = {"brackets": "depth", "counting": "b's left", "first_bit": "first bit", "sine": "next value",
           "text": "next character"}

DEFAULTS: dict[str, Any] = {
    keys.TRAIN_TASK: "brackets",
    keys.TRAIN_KIND: "lstm",
    keys.TRAIN_HIDDEN: 8,
    keys.TRAIN_LR: 0.01,
    keys.TRAIN_BATCH: 32,
    keys.TRAIN_STEPS: 500,
    keys.TRAIN_OPTIMIZER: "adam",
    keys.TRAIN_SEED: 0,
    keys.TRAIN_MEMORY_BIAS: 2.0,
    keys.TRAIN_CLIP: 1.0,
    keys.FLOW_STEPS: 100,
    keys.FLOW_HIDDEN: 8,
    keys.FLOW_SEED: 0,
}


def option_defaults() -> dict[str, Any]:
    """Every task option's widget key and default."""
    return {keys.train_option(name, f.name): f.default for name, cls in TASKS.items() for f in dataclasses.fields(cls)}


def train_defaults() -> None:
    for key, value in {**DEFAULTS, **option_defaults()}.items():
        st.session_state.setdefault(key, value)


# ----- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainSettings:
    """What the widgets say, as typed (checked by ``problems``, never trusted)."""

    task: str
    options: tuple[tuple[str, Any], ...]
    kind: str
    hidden: Any
    lr: Any
    batch: Any
    steps: Any
    optimizer: str
    seed: Any
    memory_bias: Any
    clip: Any = 1.0  # 0: no clipping

    def make_task(self) -> Task:
        return make_task(self.task, **dict(self.options))

    def train_kwargs(self) -> dict[str, Any]:
        return {"hidden_size": int(self.hidden), "steps": int(self.steps), "lr": float(self.lr),
                "batch_size": int(self.batch), "seed": int(self.seed), "optimizer": self.optimizer,
                "memory_bias": float(self.memory_bias), "clip": float(self.clip) or None}


def _whole(value: Any, name: str, low: int, high: int) -> str | None:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and low <= value <= high
    return None if ok else f"{name}: expected a whole number from {low:,} to {high:,}, got {value!r}."


def _number(value: Any, name: str, low: float, high: float, *, above: bool) -> str | None:
    ok = (isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and math.isfinite(value)
          and (low < value if above else low <= value) and value <= high)
    if ok:
        return None
    bound = f"above {low:g}" if above else f"from {low:g}"
    return f"{name}: expected a number {bound} {'and at most' if above else 'to'} {high:g}, got {value!r}."


def problems(s: TrainSettings) -> list[str]:
    """One message per setting outside its bounds, naming the setting; empty when training may start."""
    found = [
        None if s.task in TASKS else f"Task: expected one of {', '.join(TASKS)}, got {s.task!r}.",
        None if s.kind in cells.KINDS else f"Cell: expected one of {', '.join(cells.KINDS)}, got {s.kind!r}.",
        _whole(s.hidden, "Hidden size", 1, MAX_HIDDEN),
        _number(s.lr, "Learning rate", 0.0, MAX_LR, above=True),
        _whole(s.batch, "Batch size", 1, MAX_BATCH),
        _whole(s.steps, "Steps", 1, MAX_STEPS),
        None if s.optimizer in OPTIMIZER_LABELS else f"Optimizer: expected adam or sgd, got {s.optimizer!r}.",
        _whole(s.seed, "Seed", 0, MAX_SEED),
        _number(s.memory_bias, "Head start for memory", -MAX_MEMORY_BIAS, MAX_MEMORY_BIAS, above=False),
        _number(s.clip, "Gradient clip", 0.0, MAX_CLIP, above=False),
    ]
    if s.task in TASKS:
        try:
            s.make_task()
        except (ValueError, TypeError) as e:
            found.append(f"Task option ({TASKS[s.task].LABEL}): {e}.")
    return [m for m in found if m]


def _option_input(task: str, f: dataclasses.Field) -> Any:
    label = f.name.replace("_", " ").capitalize()
    key = keys.train_option(task, f.name)
    if isinstance(f.default, float):
        return st.number_input(label, step=0.05, format="%.2f", key=key)
    return st.number_input(label, step=1, key=key)


def train_controls() -> TrainSettings:
    """Task and its options, cell, sizes, optimiser and seed; values come back unchecked."""
    task_col, cell_col, run_col = st.columns(3)
    with task_col:
        task = st.selectbox("Task", list(TASKS), format_func=lambda n: TASKS[n].LABEL, key=keys.TRAIN_TASK)
        st.caption(TASKS[task].DESCRIPTION)
        options = tuple((f.name, _option_input(task, f)) for f in dataclasses.fields(TASKS[task]))
    with cell_col:
        kind = st.selectbox("Cell", list(cells.KINDS), format_func=lambda k: cells.KINDS[k].LABEL, key=keys.TRAIN_KIND)
        hidden = st.number_input(f"Hidden size (1–{MAX_HIDDEN})", step=1, key=keys.TRAIN_HIDDEN)
        lr = st.number_input(f"Learning rate (above 0, at most {MAX_LR:g})", step=0.001, format="%g",
                             key=keys.TRAIN_LR)
        memory_bias = st.number_input(
            "Head start for memory (bias)", step=0.5, format="%.1f", key=keys.TRAIN_MEMORY_BIAS,
            help="Added at the start to the bias of the gate that keeps the old state (the LSTM's forget gate, "
                 "the GRU's update gate), so memory lasts from the first step. A plain RNN has no such gate.",
        )
    with run_col:
        steps = st.number_input(f"Steps (1–{MAX_STEPS:,})", step=100, key=keys.TRAIN_STEPS)
        batch = st.number_input(f"Batch size (1–{MAX_BATCH:,})", step=8, key=keys.TRAIN_BATCH)
        optimizer = st.selectbox("Optimizer", list(OPTIMIZER_LABELS), format_func=OPTIMIZER_LABELS.get,
                                 key=keys.TRAIN_OPTIMIZER)
        seed = st.number_input("Seed", step=1, key=keys.TRAIN_SEED,
                               help="The same seed gives the same weights, batches and trained model.")
        clip = st.number_input("Gradient clip (0: none)", step=0.5, format="%.1f", key=keys.TRAIN_CLIP,
                               help="Scales all gradients down together when their norm is above this.")
    return TrainSettings(task, options, kind, hidden, lr, batch, steps, optimizer, seed, memory_bias, clip)


# ----- what the page shows -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Trained:
    """A model the page shows: trained here (finished, stopped or diverged) or shipped."""

    model: Model
    label: str
    status: str  # "finished", "stopped", "diverged" or "pretrained"
    message: str
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    accuracies: np.ndarray = field(default_factory=lambda: np.zeros(0))
    total_steps: int = 0  # steps asked for (the curve's x axis)
    note: str = ""  # what to look at
    watch: int | None = None  # the unit to watch: the gate view opens on it
    ident: str = field(default_factory=lambda: uuid.uuid4().hex)  # names it for cached calls

    @property
    def task(self) -> Task:
        return self.model.task

    @property
    def curve(self) -> Curve:
        kind = self.model.network.kind
        return Curve(cells.KINDS[kind].LABEL, kind, self.losses, self.accuracies)


def model_label(kind: str, task: Task) -> str:
    return f"{cells.KINDS[kind].LABEL} trained on {task.topic}"


def from_result(result: TrainResult, total_steps: int) -> Trained:
    kind = result.model.network.kind
    label = model_label(kind, result.model.task)
    if result.status != "finished":
        label += f" ({result.status} after {result.losses.size} steps)"
    message = result.message + (f" {result.seconds:.1f} s." if result.status == "finished" else "")
    if result.status != "finished":  # the curve's axis ends where training did
        total_steps = max(result.losses.size, 1)
    return Trained(result.model, label, result.status, message, result.losses, result.accuracies, total_steps)


def chance(task: Task) -> float | None:
    """The accuracy of a coin-flip guess, for tasks answered once with equally likely classes."""
    return 1.0 / task.output_size if task.AT == "last" and task.LOSS == "softmax" else None


Draw = Callable[[int, np.ndarray, np.ndarray], None]  # (step, losses so far, accuracies so far)
Interrupt = RerunException | StopException


@st.cache_resource(show_spinner=False)
def shared_trainer() -> Trainer:
    """The server's pool of training processes (``GATESCOPE_TRAIN_PROCESSES`` of them; default: one per CPU)."""
    return Trainer(int(os.environ.get("GATESCOPE_TRAIN_PROCESSES", "0")) or None)


def follow(job: Job, draw: Draw, every_seconds: float) -> tuple[TrainResult, Interrupt | None]:
    """Redraw ``job``'s progress every ``every_seconds`` until it ends; an interrupted draw stops the job,
    whose result (the weights so far) comes back with the interruption."""
    drawn = 0
    try:
        while True:
            finished = job.wait(every_seconds)
            steps = job.poll()
            if steps > drawn:
                drawn = steps
                draw(steps, job.losses, job.accuracies)
            if finished:
                return job.result(), None
    except (RerunException, StopException) as request:  # a click on the page: stop, keep the weights
        job.stop()
        return job.result(), request
    except BrokenProcessPool:  # the process was killed (out of memory, say): say so on the page
        raise ValueError("the training process ended unexpectedly; press Train to try again") from None


@dataclass(eq=False)
class Handover:
    """Where a training run leaves what it made, for the page's next run to pick up.

    A run Streamlit has told to stop raises at every later ``st`` call, session state included, so it
    cannot save into session state itself; it fills this box (put in session state before training)
    and sets ``done``.
    """

    done: threading.Event = field(default_factory=threading.Event)
    trained: Trained | None = None
    comparison: Comparison | None = None


@contextmanager
def training() -> Iterator[Handover]:
    """Put a Handover in session state for this run's results; it is marked done however the run ends."""
    box = Handover()
    st.session_state[keys.TRAIN_BUSY] = box
    try:
        yield box
    finally:
        box.done.set()


def show_model(trained: Trained) -> None:
    """Make ``trained`` the Train page's model; a new task puts its example in the sequence box."""
    previous = st.session_state.get(keys.TRAIN_RESULT)
    st.session_state[keys.TRAIN_RESULT] = trained
    if previous is None or previous.task != trained.task or not st.session_state.get(keys.TRAIN_TEXT):
        st.session_state[keys.TRAIN_TEXT] = example_text(trained.task)


def collect_training(timeout: float = 20.0) -> bool:
    """Take what the last training run left (waiting up to ``timeout`` seconds for a run that is still
    stopping) and show it; False if that run has not finished yet."""
    box = st.session_state.get(keys.TRAIN_BUSY)
    if box is None:
        return True
    if not box.done.wait(timeout):
        return False
    del st.session_state[keys.TRAIN_BUSY]
    if box.trained is not None:
        show_model(box.trained)
    if box.comparison is not None:
        st.session_state[keys.TRAIN_COMPARISON] = box.comparison
    return True


def train_live(s: TrainSettings, draw: Draw, *, every_seconds: float = 0.3, trainer: Trainer | None = None
               ) -> tuple[TrainResult, Interrupt | None]:
    """Train with these (checked) settings in a training process, calling ``draw`` as steps arrive; if
    Streamlit interrupts a draw to rerun the page, training stops there and the interruption comes back
    to be raised once the result is saved."""
    job = (trainer or shared_trainer()).submit(s.kind, s.make_task(), **s.train_kwargs())
    return follow(job, draw, every_seconds)


@dataclass(frozen=True, eq=False)
class Comparison:
    """LSTM, GRU and plain RNN trained with the same settings (the last one may be cut short)."""

    settings: TrainSettings
    results: dict[str, TrainResult]

    @property
    def task(self) -> Task:
        return self.settings.make_task()

    @property
    def curves(self) -> list[Curve]:
        return [Curve(cells.KINDS[k].LABEL, k, r.losses, r.accuracies) for k, r in self.results.items()]

    @property
    def complete(self) -> bool:
        return len(self.results) == len(COMPARE_KINDS) and all(r.status != "stopped" for r in self.results.values())


CompareDraw = Callable[[int, list[Curve]], None]  # (steps done over all runs, curves so far)


def compare_live(s: TrainSettings, draw: CompareDraw, *, every_seconds: float = 0.3, trainer: Trainer | None = None
                 ) -> tuple[Comparison, Interrupt | None]:
    """Train each of COMPARE_KINDS with the same settings, one after the other, in a training process; an
    interruption stops the run in progress (keeping it) and skips the rest."""
    results: dict[str, TrainResult] = {}
    steps = int(s.steps)
    for i, kind in enumerate(COMPARE_KINDS):
        done = [Curve(cells.KINDS[k].LABEL, k, r.losses, r.accuracies) for k, r in results.items()]

        def draw_one(step: int, losses: np.ndarray, accuracies: np.ndarray, kind: str = kind, i: int = i,
                     done: list[Curve] = done) -> None:
            draw(i * steps + step, [*done, Curve(cells.KINDS[kind].LABEL, kind, losses, accuracies)])

        job = (trainer or shared_trainer()).submit(kind, s.make_task(), **s.train_kwargs())
        results[kind], pending = follow(job, draw_one, every_seconds)
        if pending is not None:
            return Comparison(s, results), pending
    return Comparison(s, results), None


def from_comparison(comparison: Comparison, kind: str) -> Trained:
    return from_result(comparison.results[kind], int(comparison.settings.steps))


# ----- shipped models ------------------------------------------------------------------------------
def pretrained_labels() -> dict[str, str]:
    return {m["name"]: m["label"] for m in pretrained_manifest()}


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def load_pretrained(name: str) -> Trained:
    """A shipped model (assets/pretrained), as the page shows it: no curve, the manifest's note."""
    entry = next((m for m in pretrained_manifest() if m["name"] == name), None)
    if entry is None:
        raise ValueError(f"pretrained model: expected one of {', '.join(pretrained_labels())}, got {name!r}")
    model = load_model(PRETRAINED / entry["file"])
    steps = model.info.get("steps", "?")
    message = (f"Loaded the shipped model: trained for {steps} steps by `{entry['command']}`; "
               f"{entry['accuracy']:.1%} right on fresh sequences.")
    return Trained(model, entry["label"], "pretrained", message, note=entry["watch"]["note"],
                   watch=entry["watch"]["unit"], ident=f"pretrained:{name}")


@st.cache_data(max_entries=16, show_spinner="Testing on fresh sequences…")
def fresh_accuracy(_trained: Trained, ident: str) -> tuple[float, float]:
    """(loss, accuracy) on 256 fresh sequences of the model's task; ``ident`` names the model for the cache.
    A diverged model's loss is not finite; evaluate() keeps that silent."""
    return evaluate(_trained.model, samples=256)


# ----- a typed sequence ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TypedRun:
    encoded: encode.Encoded
    trace: cells.Trace  # the first layer's forward cell
    predictions: Predictions


TRAIN_CURSOR = CursorKeys(step=keys.TRAIN_STEP, unit=keys.TRAIN_UNIT, start=keys.TRAIN_CURSOR_START,
                          reported=keys.TRAIN_CURSOR_REPORTED)


def watch_cursor(trained: Trained) -> None:
    """Put the gate view's cursor on the unit the model's note says to watch, once per model shown."""
    ss = st.session_state
    if ss.get(keys.TRAIN_WATCHED) != trained.ident:
        ss[keys.TRAIN_WATCHED] = trained.ident
        ss[keys.TRAIN_STEP], ss[keys.TRAIN_UNIT] = 0, trained.watch or 0


def example_text(task: Task) -> str:
    if isinstance(task, FirstBit):
        return "1" + ("0110100101" * 6)[: min(task.gap, 59)]
    return TASK_EXAMPLES.get(task.NAME, "")


def true_answers(task: Task, text: str, xs: np.ndarray) -> list[str | float | None]:
    """The right answer after each step of a typed sequence, where the task says what it is (None elsewhere):
    a class name, or a number for value tasks."""
    T = xs.shape[0]
    out: list[str | float | None] = [None] * T
    if task.NAME == "brackets":
        for t, d in enumerate(Brackets.depths(text)):
            out[t] = str(int(d))
    elif task.NAME == "counting":
        head, sep, _ = text.partition("X")
        if sep and set(head) <= {"a"}:
            n, seen = len(head), 0
            for t in range(len(head), T):
                if t > len(head) and text[t] == "b":
                    seen += 1
                out[t] = str(max(n - seen, 0))
    elif task.NAME == "first_bit":
        out = [text[0]] * T
    elif task.NAME == "sine":
        out = [float(xs[t + 1, 0]) for t in range(T - 1)] + [None]
    elif task.NAME == "text":
        out = [encode.visible(text[t + 1]) for t in range(T - 1)] + [None]
    return out


def predictions(model: Model, text: str, encoded: encode.Encoded, hs: np.ndarray) -> Predictions:
    """What ``model`` answers after each step of ``text`` (its top layer's h_t, (T, D·H)), with the truth."""
    task, readout = model.task, model.readout
    y = readout.outputs(hs)  # (T, K)
    truth = true_answers(task, text, encoded.xs)
    if readout.loss == "softmax":
        p = softmax(y)  # (T, K)
        classes = [encode.visible(c) for c in task.classes]
        predicted = [classes[k] for k in np.argmax(p, axis=1)]
        confidence: list[float | None] = [float(v) for v in p.max(axis=1)]
        right = [None if t is None else a == t for a, t in zip(predicted, truth, strict=True)]
        shown_truth = [None if t is None else str(t) for t in truth]
    else:
        values = readout.predict(hs)[:, 0]  # (T,)
        predicted = [f"{v:.2f}" for v in values]
        confidence = [None] * len(predicted)
        right = [None if t is None else bool(abs(v - float(t)) < task.TOLERANCE)
                 for v, t in zip(values, truth, strict=True)]
        shown_truth = [None if t is None else f"{float(t):.2f}" for t in truth]
    return Predictions(encoded.tokens, tuple(predicted), tuple(shown_truth), tuple(right), tuple(confidence),
                       ANSWERS.get(task.NAME, "answer"))


@st.cache_data(max_entries=16, show_spinner=False)
def typed_run(_trained: Trained, ident: str, text: str) -> TypedRun:
    """The model run over a typed sequence: its inputs, first-layer trace and predictions (ValueError
    naming a character the task cannot read)."""
    if not text:
        raise ValueError("the sequence is empty; type at least one step")
    model = _trained.model
    if len(text) > encode.MAX_STEPS:  # past what any encoder takes: say this page's own limit, not theirs
        raise ValueError(f"the sequence has {len(text):,} characters; this page runs up to {MAX_TYPED} steps")
    encoded = model.task.encode(text)
    if encoded.steps > MAX_TYPED:
        raise ValueError(f"the sequence has {encoded.steps:,} steps; this page runs up to {MAX_TYPED}")
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged model's outputs may be huge
        run = model.network.run(encoded.xs)
        return TypedRun(encoded, run.trace(0), predictions(model, text, encoded, run.output))


def typed_view(trained: Trained, text: str) -> tuple[TypedRun | None, str, str | None]:
    """The run to show for the typed ``text``: (run, the text it ran on, what was wrong with ``text``).

    Text the model cannot read keeps the last text that ran for this model on screen (else the task's
    example), with the message, as every other page keeps its last good view."""
    last = st.session_state.get(keys.TRAIN_LAST_TEXT, {})
    try:
        run = typed_run(trained, trained.ident, text)
    except ValueError as e:
        problem = str(e)
    else:
        st.session_state[keys.TRAIN_LAST_TEXT] = {trained.ident: text}
        return run, text, None
    for fallback in dict.fromkeys((last.get(trained.ident), example_text(trained.task))):
        if fallback:
            try:
                return typed_run(trained, trained.ident, fallback), fallback, problem
            except ValueError:
                continue
    return None, "", problem


def explore_model(trained: Trained, text: str) -> PageModel:
    """The model as Explore and Compare show it: how it reads typed text, the sequence typed here, the unit to
    watch. A shipped model keeps its name (its link is short); one trained here says its task, and its
    weights ride in the link."""
    task = trained.task
    text = text or example_text(task)
    model = from_task(trained.model.network, task.NAME, trained.label, sequence=text,
                      note=trained.note or trained.message, readout=trained.model.readout, watch=trained.watch)
    if trained.ident.startswith("pretrained:"):
        return dataclasses.replace(model, source="trained:" + trained.ident.split(":", 1)[1])
    return model


# ----- gradient flow -------------------------------------------------------------------------------
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


def _shared_run(cell: cells.Cell, xs: np.ndarray) -> cells.Trace:
    """The cell's run over xs with its arrays made read-only: every session reads this one object."""
    trace = cell.run(xs)
    for array in (trace.inputs, *trace.values.values()):
        array.flags.writeable = False
    return trace


@st.cache_resource(max_entries=8, show_spinner=False)
def _random_runs(hidden: int, seed: int) -> FlowRuns:
    """Plain RNN, LSTM and GRU of ``hidden`` units drawn from ``seed``, run over the seed's longest sequence
    (shared by every session and every T: nothing changes them, and a T is a start of the run)."""
    xs = flow_inputs(FLOW_MAX_STEPS, seed)
    made = [(kind, cells.Network.create(kind, xs.shape[1], hidden, seed=seed).layers[0].forward)
            for kind in FLOW_LABELS]
    return tuple((kind, cell, _shared_run(cell, xs)) for kind, cell in made)


@st.cache_resource(max_entries=8, show_spinner=False)
def _shipped_runs(seed: int) -> FlowRuns:
    """The shipped first-bit models, run over the seed's longest sequence."""
    xs = flow_inputs(FLOW_MAX_STEPS, seed)
    made = [(kind, load_pretrained(name).model.network.layers[0].forward) for kind, name in FLOW_SHIPPED.items()]
    return tuple((kind, cell, _shared_run(cell, xs)) for kind, cell in made)


@st.cache_data(max_entries=16, show_spinner="Multiplying Jacobians…")
def random_flows(steps: int, hidden: int, seed: int) -> list[FlowCurve]:
    """Plain RNN, LSTM and GRU of ``hidden`` units drawn from ``seed``, on one first-bit sequence."""
    return [FlowCurve(FLOW_LABELS[kind], kind, trace_flow(cell, trace, steps))
            for kind, cell, trace in _random_runs(hidden, seed)]


@st.cache_data(max_entries=16, show_spinner="Multiplying Jacobians…")
def shipped_flows(steps: int, seed: int) -> list[FlowCurve]:
    """The shipped first-bit models (gap 50) on one first-bit sequence of ``steps`` steps."""
    return [FlowCurve(FLOW_LABELS[kind], kind, trace_flow(cell, trace, steps))
            for kind, cell, trace in _shipped_runs(seed)]


@st.cache_data(max_entries=8, show_spinner="Multiplying Jacobians…")
def own_flow(_trained: Trained, ident: str, steps: int, seed: int) -> FlowCurve:
    """The Train page's model on ``steps`` steps of its own task."""
    cell = _trained.model.network.layers[0].forward
    xs = task_inputs(_trained.task, steps, seed)
    return FlowCurve(f"your {cell.LABEL}", cell.KIND, gradient_flow(cell, xs))


def shown_model() -> Trained | None:
    """The model on the Train page, if there is one."""
    return st.session_state.get(keys.TRAIN_RESULT)
