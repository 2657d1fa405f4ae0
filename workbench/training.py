"""Training for the Train page, without Streamlit: checked settings, live runs in the process pool, what the
page shows of a model (trained here, stopped, diverged or shipped), and its answers to a typed sequence.

Training runs in a separate process (``workbench.trainer``: a pool of spawned processes shared by the server's
sessions, at a lower CPU priority), so a long run never holds the server's interpreter while other sessions
click and type. ``follow`` redraws a job's progress every ``every_seconds``; when a draw raises one of the
``interrupts`` it is given (Streamlit's rerun request, on a click anywhere on the page), it tells the job to
stop (it ends after the step it is in and keeps the weights so far), waits for its result and hands the
interruption back, so the page can save the model before letting the rerun go ahead.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import uuid
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import cells
from cells import encode
from cells.learning.readout import softmax
from cells.learning.tasks import TASKS, Task, make_task
from cells.learning.train import (
    MAX_BATCH,
    MAX_HIDDEN,
    MAX_LR,
    MAX_STEPS,
    Model,
    TrainResult,
    evaluate,
    load_model,
    unit_to_watch,
)
from viz.training import Curve, Predictions
from workbench import keys
from workbench.model import PRETRAINED, from_task, pretrained_manifest
from workbench.model import Model as PageModel
from workbench.trainer import Job, Trainer

MAX_SEED = 2**32 - 1
MAX_MEMORY_BIAS = 10.0
MAX_CLIP = 1e6
MAX_TYPED = 300  # steps of a typed sequence on this page
COMPARE_KINDS = ("lstm", "gru", "rnn")
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD"}

DEFAULTS: dict[str, Any] = {
    keys.TRAIN.task: "brackets",
    keys.TRAIN.kind: "lstm",
    keys.TRAIN.hidden: 8,
    keys.TRAIN.lr: 0.01,
    keys.TRAIN.batch: 32,
    keys.TRAIN.steps: 500,
    keys.TRAIN.optimizer: "adam",
    keys.TRAIN.seed: 0,
    keys.TRAIN.memory_bias: 2.0,
    keys.TRAIN.clip: 1.0,
    keys.FLOW.steps: 100,
    keys.FLOW.hidden: 8,
    keys.FLOW.seed: 0,
}


def option_defaults() -> dict[str, Any]:
    """Every task option's widget key and default."""
    return {keys.TRAIN.option(name, f.name): f.default for name, cls in TASKS.items() for f in dataclasses.fields(cls)}


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
    note, watch = "", None
    if result.status != "diverged":  # a diverged model's states are not numbers to correlate
        found = unit_to_watch(result.model)  # found as the shipped models' units are
        note, watch = found["note"], found["unit"]
    return Trained(result.model, label, result.status, message, result.losses, result.accuracies, total_steps,
                   note=note, watch=watch)


def chance(task: Task) -> float | None:
    """The accuracy of a coin-flip guess, for tasks answered once with equally likely classes."""
    return 1.0 / task.output_size if task.AT == "last" and task.LOSS == "softmax" else None



Draw = Callable[[int, np.ndarray, np.ndarray], None]  # (step, losses so far, accuracies so far)
Wait = Callable[[int, "float | None"], None]  # (runs ahead in the queue, about how many seconds until it starts)
Interrupts = tuple[type[BaseException], ...]  # what a draw raises to stop training (the page's rerun request)


def follow(job: Job, draw: Draw, every_seconds: float, interrupts: Interrupts = (), wait: Wait | None = None
           ) -> tuple[TrainResult | None, BaseException | None]:
    """Redraw ``job``'s progress every ``every_seconds`` until it ends (and, while it waits for a process, say so
    with ``wait``); a draw interrupted by one of ``interrupts`` stops the job, whose result (the weights so far)
    comes back with the interruption, or None for a job stopped before it started."""
    drawn = 0
    try:
        while True:
            finished = job.wait(every_seconds)
            queued = None if finished else job.waiting()
            if queued is not None:
                if wait is not None:
                    wait(*queued)
                continue
            steps = job.poll()
            if steps > drawn:
                drawn = steps
                draw(steps, job.losses, job.accuracies)
            if finished:
                return job.result(), None
    except interrupts as request:  # a click on the page: stop, keep the weights
        job.stop()
        return (None if job.cancelled() else job.result()), request
    except BrokenProcessPool:  # the process was killed (out of memory, say): say so on the page
        raise ValueError("the training process ended unexpectedly; press Train to try again") from None


def waiting_text(ahead: int, seconds: float | None) -> str:
    """What the page says while a run waits for a training process."""
    runs = "1 run is" if ahead == 1 else f"{ahead} runs are"
    when = "" if seconds is None else f"; it should start in about {_duration(seconds)}"
    return (f"Waiting for a training process: other sessions are training{', and ' + runs + ' ahead' if ahead else ''}"
            f"{when}. Stop cancels it.")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


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


def train_live(s: TrainSettings, draw: Draw, trainer: Trainer, *, every_seconds: float = 0.3,
               interrupts: Interrupts = (), owner: str | None = None, wait: Wait | None = None
               ) -> tuple[TrainResult | None, BaseException | None]:
    """Train with these (checked) settings in a training process for ``owner`` (a session), calling ``draw`` as
    steps arrive and ``wait`` while it waits for a process; if a draw is interrupted, training stops there and
    the interruption comes back to be raised once the result (None if it never started) is saved."""
    job = trainer.submit(s.kind, s.make_task(), owner=owner, **s.train_kwargs())
    return follow(job, draw, every_seconds, interrupts, wait)

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


def compare_live(s: TrainSettings, draw: CompareDraw, trainer: Trainer, *, every_seconds: float = 0.3,
                 interrupts: Interrupts = (), owner: str | None = None, wait: Wait | None = None
                 ) -> tuple[Comparison, BaseException | None]:
    """Train each of COMPARE_KINDS with the same settings, one after the other, in a training process; an
    interruption stops the run in progress (keeping it) and skips the rest."""
    results: dict[str, TrainResult] = {}
    steps = int(s.steps)
    for i, kind in enumerate(COMPARE_KINDS):
        done = [Curve(cells.KINDS[k].LABEL, k, r.losses, r.accuracies) for k, r in results.items()]

        def draw_one(step: int, losses: np.ndarray, accuracies: np.ndarray, kind: str = kind, i: int = i,
                     done: list[Curve] = done) -> None:
            draw(i * steps + step, [*done, Curve(cells.KINDS[kind].LABEL, kind, losses, accuracies)])

        job = trainer.submit(kind, s.make_task(), owner=owner, **s.train_kwargs())
        result, pending = follow(job, draw_one, every_seconds, interrupts, wait)
        if result is not None:
            results[kind] = result
        if pending is not None:
            return Comparison(s, results), pending
    return Comparison(s, results), None


def from_comparison(comparison: Comparison, kind: str) -> Trained:
    return from_result(comparison.results[kind], int(comparison.settings.steps))


# ----- shipped models ------------------------------------------------------------------------------
def pretrained_labels() -> dict[str, str]:
    return {m["name"]: m["label"] for m in pretrained_manifest()}


def pretrained(name: str) -> Trained:
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


def fresh_accuracy(trained: Trained) -> tuple[float, float]:
    """(loss, accuracy) on 256 fresh sequences of the model's task. A diverged model's loss is not finite;
    evaluate() keeps that silent."""
    return evaluate(trained.model, samples=256)


# ----- a typed sequence ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TypedRun:
    encoded: encode.Encoded
    trace: cells.Trace  # the first layer's forward cell
    predictions: Predictions


def example_text(task: Task) -> str:
    return task.example


def predictions(model: Model, text: str, encoded: encode.Encoded, hs: np.ndarray) -> Predictions:
    """What ``model`` answers after each step of ``text`` (its top layer's h_t, (T, D·H)), with the truth."""
    task, readout = model.task, model.readout
    y = readout.outputs(hs)  # (T, K)
    truth = task.answers(text, encoded.xs)
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
                       task.ANSWER)


def typed_run(trained: Trained, text: str) -> TypedRun:
    """The model run over a typed sequence: its inputs, first-layer trace and predictions (ValueError
    naming a character the task cannot read)."""
    if not text:
        raise ValueError("the sequence is empty; type at least one step")
    model = trained.model
    if len(text) > encode.MAX_STEPS:  # past what any encoder takes: say this page's own limit, not theirs
        raise ValueError(f"the sequence has {len(text):,} characters; this page runs up to {MAX_TYPED} steps")
    encoded = model.task.encode(text)
    if encoded.steps > MAX_TYPED:
        raise ValueError(f"the sequence has {encoded.steps:,} steps; this page runs up to {MAX_TYPED}")
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged model's outputs may be huge
        run = model.network.run(encoded.xs)
        return TypedRun(encoded, run.trace(0), predictions(model, text, encoded, run.output))


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
