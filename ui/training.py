"""The Train page's Streamlit pieces: its settings widgets, the live runner, and the cached calls.

What is trained and how is workbench.training's (it runs in the server's pool of training processes). The
session's script run follows the job: every ``every_seconds`` it reads the steps that have arrived and
redraws the progress bar and the curve. A click anywhere on the page (the Stop button, say) asks
Streamlit to rerun the script, and Streamlit raises that request inside the next ``st`` call a draw
makes: the runner catches it there, stops the job (keeping the weights so far) and hands the request back
so the page can save the model in session state before letting the rerun go ahead.

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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException, get_script_run_ctx

import cells
from cells.learning.tasks import TASKS
from cells.learning.train import MAX_BATCH, MAX_HIDDEN, MAX_LR, MAX_STEPS, TrainResult
from workbench import keys, training
from workbench.trainer import Trainer
from workbench.training import (
    DEFAULTS,
    OPTIMIZER_LABELS,
    CompareDraw,
    Comparison,
    Draw,
    Handover,
    Trained,
    TrainSettings,
    TypedRun,
    Wait,
    example_text,
    option_defaults,
    waiting_text,
)

INTERRUPTS = (RerunException, StopException)  # what Streamlit raises in a draw to rerun the page


def train_defaults() -> None:
    for key, value in {**DEFAULTS, **option_defaults()}.items():
        st.session_state.setdefault(key, value)


def _option_input(task: str, f: dataclasses.Field) -> Any:
    label = f.name.replace("_", " ").capitalize()
    key = keys.TRAIN.option(task, f.name)
    if isinstance(f.default, float):
        return st.number_input(label, step=0.05, format="%.2f", key=key)
    return st.number_input(label, step=1, key=key)


def train_controls() -> TrainSettings:
    """Task and its options, cell, sizes, optimiser and seed; values come back unchecked."""
    task_col, cell_col, run_col = st.columns(3)
    with task_col:
        task = st.selectbox("Task", list(TASKS), format_func=lambda n: TASKS[n].LABEL, key=keys.TRAIN.task)
        st.caption(TASKS[task].DESCRIPTION)
        options = tuple((f.name, _option_input(task, f)) for f in dataclasses.fields(TASKS[task]))
    with cell_col:
        kind = st.selectbox("Cell", list(cells.KINDS), format_func=lambda k: cells.KINDS[k].LABEL, key=keys.TRAIN.kind)
        hidden = st.number_input(f"Hidden size (1–{MAX_HIDDEN})", step=1, key=keys.TRAIN.hidden)
        lr = st.number_input(f"Learning rate (above 0, at most {MAX_LR:g})", step=0.001, format="%g",
                             key=keys.TRAIN.lr)
        memory_bias = st.number_input(
            "Head start for memory (bias)", step=0.5, format="%.1f", key=keys.TRAIN.memory_bias,
            help="Added at the start to the bias of the gate that keeps the old state (the LSTM's forget gate, "
                 "the GRU's update gate), so memory lasts from the first step. A plain RNN has no such gate.",
        )
    with run_col:
        steps = st.number_input(f"Steps (1–{MAX_STEPS:,})", step=100, key=keys.TRAIN.steps)
        batch = st.number_input(f"Batch size (1–{MAX_BATCH:,})", step=8, key=keys.TRAIN.batch)
        optimizer = st.selectbox("Optimizer", list(OPTIMIZER_LABELS), format_func=OPTIMIZER_LABELS.get,
                                 key=keys.TRAIN.optimizer)
        seed = st.number_input("Seed", step=1, key=keys.TRAIN.seed,
                               help="The same seed gives the same weights, batches and trained model.")
        clip = st.number_input("Gradient clip (0: none)", step=0.5, format="%.1f", key=keys.TRAIN.clip,
                               help="Scales all gradients down together when their norm is above this.")
    return TrainSettings(task, options, kind, hidden, lr, batch, steps, optimizer, seed, memory_bias, clip)


@st.cache_resource(show_spinner=False)
def shared_trainer() -> Trainer:
    """The server's pool of training processes (``GATESCOPE_TRAIN_PROCESSES`` of them; default: one per CPU)."""
    return Trainer(int(os.environ.get("GATESCOPE_TRAIN_PROCESSES", "0")) or None)


@contextmanager
def training_run() -> Iterator[Handover]:
    """Put a Handover in session state for this run's results; it is marked done however the run ends."""
    box = Handover()
    st.session_state[keys.TRAIN.busy] = box
    try:
        yield box
    finally:
        box.done.set()


def show_model(trained: Trained) -> None:
    """Make ``trained`` the Train page's model; a new task puts its example in the sequence box."""
    previous = st.session_state.get(keys.TRAIN.result)
    st.session_state[keys.TRAIN.result] = trained
    if previous is None or previous.task != trained.task or not st.session_state.get(keys.TRAIN.text):
        st.session_state[keys.TRAIN.text] = example_text(trained.task)


def collect_training(timeout: float = 20.0) -> bool:
    """Take what the last training run left (waiting up to ``timeout`` seconds for a run that is still
    stopping) and show it; False if that run has not finished yet."""
    box = st.session_state.get(keys.TRAIN.busy)
    if box is None:
        return True
    if not box.done.wait(timeout):
        return False
    del st.session_state[keys.TRAIN.busy]
    if box.trained is not None:
        show_model(box.trained)
    if box.comparison is not None:
        st.session_state[keys.TRAIN.comparison] = box.comparison
    return True


def _session() -> str | None:
    """This session's id: the pool runs one job of a session at a time."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def train_live(s: TrainSettings, draw: Draw, *, every_seconds: float = 0.3, trainer: Trainer | None = None,
               wait: Wait | None = None) -> tuple[TrainResult | None, BaseException | None]:
    """``workbench.training.train_live`` in the server's pool for this session, stopped by Streamlit's rerun
    requests; ``wait`` says so while the run waits for a process."""
    return training.train_live(s, draw, trainer or shared_trainer(), every_seconds=every_seconds,
                               interrupts=INTERRUPTS, owner=_session(), wait=wait)


def compare_live(s: TrainSettings, draw: CompareDraw, *, every_seconds: float = 0.3, trainer: Trainer | None = None,
                 wait: Wait | None = None) -> tuple[Comparison, BaseException | None]:
    """``workbench.training.compare_live`` in the server's pool for this session, stopped by Streamlit's rerun
    requests."""
    return training.compare_live(s, draw, trainer or shared_trainer(), every_seconds=every_seconds,
                                 interrupts=INTERRUPTS, owner=_session(), wait=wait)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def load_pretrained(name: str) -> Trained:
    """A shipped model, loaded once per server."""
    return training.pretrained(name)


@st.cache_data(max_entries=16, show_spinner="Testing on fresh sequences…")
def fresh_accuracy(_trained: Trained, ident: str) -> tuple[float, float]:
    """(loss, accuracy) on 256 fresh sequences of the model's task; ``ident`` names the model for the cache."""
    return training.fresh_accuracy(_trained)


TRAIN_CURSOR = keys.TRAIN.cursor


def watch_cursor(trained: Trained) -> None:
    """Put the gate view's cursor on the unit the model's note says to watch, once per model shown."""
    ss = st.session_state
    if ss.get(keys.TRAIN.watched) != trained.ident:
        ss[keys.TRAIN.watched] = trained.ident
        ss[keys.TRAIN.cursor.step], ss[keys.TRAIN.cursor.unit] = 0, trained.watch or 0


@st.cache_data(max_entries=16, show_spinner=False)
def typed_run(_trained: Trained, ident: str, text: str) -> TypedRun:
    """``workbench.training.typed_run``, cached per model (``ident``) and text."""
    return training.typed_run(_trained, text)


def typed_view(trained: Trained, text: str) -> tuple[TypedRun | None, str, str | None]:
    """The run to show for the typed ``text``: (run, the text it ran on, what was wrong with ``text``).

    Text the model cannot read keeps the last text that ran for this model on screen (else the task's
    example), with the message, as every other page keeps its last good view."""
    last = st.session_state.get(keys.TRAIN.last_text, {})
    try:
        run = typed_run(trained, trained.ident, text)
    except ValueError as e:
        problem = str(e)
    else:
        st.session_state[keys.TRAIN.last_text] = {trained.ident: text}
        return run, text, None
    for fallback in dict.fromkeys((last.get(trained.ident), example_text(trained.task))):
        if fallback:
            try:
                return typed_run(trained, trained.ident, fallback), fallback, problem
            except ValueError:
                continue
    return None, "", problem


def shown_model() -> Trained | None:
    """The model on the Train page, if there is one."""
    return st.session_state.get(keys.TRAIN.result)


# ----- a run followed live on the page -------------------------------------------------------------
CHART_EVERY_S = 1.0  # the live curve is redrawn this often (the progress bar, and so Stop, every 0.3 s)


@dataclass
class Throttle:
    """Whether the live curve is due: ``every`` seconds after the last one, or at the run's last step. Building
    and sending the curve costs the server tens of milliseconds; the progress bar costs next to nothing."""

    every: float = CHART_EVERY_S
    last: float = -math.inf

    def due(self, final: bool) -> bool:
        now = time.monotonic()
        if final or now - self.last >= self.every:
            self.last = now
            return True
        return False


class LiveProgress:
    """The progress bar, the hint under it and the live curve of a run being trained."""

    def __init__(self, text: str, hint: str) -> None:
        self.bar = st.progress(0.0, text=text)
        self.hint = st.caption(hint)
        self.live = st.empty()
        self.throttle = Throttle()

    def draw(self, done: int, total: int, text: str, figure: Callable[[], go.Figure], key: str) -> None:
        """The bar at ``done`` of ``total`` saying ``text``; the curve ``figure()`` when it is due."""
        self.bar.progress(done / total, text=text)
        if self.throttle.due(done == total):
            self.live.plotly_chart(figure(), key=key)

    def waiting(self, ahead: int, seconds: float | None) -> None:
        """While the run waits for a training process: how long, and that Stop cancels it."""
        self.bar.progress(0.0, text=waiting_text(ahead, seconds))

    def clear(self) -> None:
        for element in (self.bar, self.hint, self.live):
            element.empty()


Start = Callable[[Handover, LiveProgress], BaseException | None]  # trains, fills the box; the interruption


def train_on_page(text: str, hint: str, start: Start) -> None:
    """Run ``start`` with a live progress bar and curve, leaving what it trained in a Handover; the engine's
    own refusal is said on the page, and a click that interrupted it is raised once its model is saved, so
    Streamlit's rerun goes ahead and shows the model."""
    progress = LiveProgress(text, hint)
    interrupted = None
    with training_run() as box:
        try:
            interrupted = start(box, progress)
        except ValueError as e:  # the engine's own refusal, should a check before training miss one
            st.error(f"Not trained: {e}")
    if interrupted is not None:
        raise interrupted  # let Streamlit's rerun (the Stop click) go ahead; it shows the stopped model
    collect_training()
    progress.clear()
