"""Training in a separate process, so a long run never holds the server's interpreter against other sessions.

A ``Trainer`` owns a small pool of spawned processes (one pool per server, shared by its sessions).
``submit`` hands the engine's pure ``cells.learning.train.train`` to a pool process and returns a ``Job``:

- **progress**: the process appends every step's (loss, accuracy) as two float64s to a file of its
  own, a batch at a time (every ``every_seconds``); ``Job.poll`` reads the whole records that have
  arrived, so the session redraws its curve from them;
- **stop**: ``Job.stop`` creates the job's stop file; the training callback looks for it after every
  step and returns False there, so ``train`` ends at once with the weights so far;
- **result**: the ``TrainResult`` comes back through the pool's future (pickled), bit for bit what an
  in-process ``train`` gives for the same settings and the same number of steps.

Pool processes run at a lower CPU priority (``os.nice``) than the server, so on a small machine the
sessions that click and type win the CPU over a session that trains.

The pool is shared fairly. Each job names its ``owner`` (a session), and one owner runs one job at a time,
so no session holds the pool; the others' jobs wait in a queue of the Trainer's own, where a short run (by
``estimate_seconds``) goes before long ones, and when every process is busy it gets one of ``express``
processes kept for short runs: a 50-step run never waits behind two runs of 20,000 steps. A queued job says
how many runs are ahead of it and about how long it will wait (``Job.waiting``), and ``Job.stop`` takes it
out of the queue. Nothing here imports Streamlit.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import heapq
import itertools
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from cells.learning.tasks import make_task
from cells.learning.train import TrainResult, train

RECORD = np.dtype([("loss", "<f8"), ("accuracy", "<f8")])  # one training step, as the progress file holds it
NICE = 5  # how much lower the training processes' priority is than the server's
SHORT_SECONDS = 10.0  # a run expected to take less than this alone is short: it never waits behind long ones
# Time for one step of one sequence position, as measured on a small server: a fixed cost per position, plus one
# per multiply-add of the batch's gate products (benchmarks/ is where timings are measured; this only sorts jobs).
SECONDS_PER_POSITION = 3e-4
SECONDS_PER_PRODUCT = 5e-8


def estimate_seconds(network_or_kind: Any, task: Any, kwargs: dict[str, Any]) -> float:
    """About how long ``train(network_or_kind, task, **kwargs)`` takes alone: steps × positions × (a fixed cost + the
    batch's products B·H·(H + I + 1)); good enough to tell a short run from a long one, not a timing."""
    if isinstance(task, str):
        task = make_task(task)
    network = getattr(network_or_kind, "network", network_or_kind)
    hidden = getattr(network, "hidden_size", None) or int(kwargs.get("hidden_size", 16))
    products = int(kwargs.get("batch_size", 32)) * hidden * (hidden + task.input_size + 1)
    return int(kwargs.get("steps", 1000)) * task.steps * (SECONDS_PER_POSITION + SECONDS_PER_PRODUCT * products)


def _start_child(nice: int, parent: int) -> None:
    """A pool process's start: a lower priority, and an end of its own if the server that started it dies
    (a killed worker would otherwise leave its training processes waiting for work forever)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(nice)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _train_here(network_or_kind: Any, task: Any, kwargs: dict[str, Any], progress: str, stop: str,
                every_seconds: float) -> TrainResult:
    """What a pool process runs: ``train`` with a callback that writes progress and watches for the stop file."""
    pending: list[tuple[float, float]] = []
    last = [time.monotonic()]
    with open(progress, "ab", buffering=0) as out:

        def flush() -> None:
            if pending:
                out.write(np.array(pending, dtype=RECORD).tobytes())
                pending.clear()

        def callback(step: int, loss: float, accuracy: float) -> bool | None:
            pending.append((loss, accuracy))
            now = time.monotonic()
            if now - last[0] >= every_seconds:
                last[0] = now
                flush()
            return False if os.path.exists(stop) else None

        try:
            return train(network_or_kind, task, callback=callback, **kwargs)
        finally:
            flush()


class Job:
    """One training run in a pool process: its place in the queue, its progress so far, a way to stop it, its
    result."""

    def __init__(self, trainer: Trainer, args: tuple[Any, ...], progress: Path, stop: Path, owner: str,
                 seconds: float, steps: int, order: int) -> None:
        self._trainer = trainer
        self._args = args
        self._future: Future[TrainResult] = Future()
        self._progress = progress
        self._stop = stop
        self._offset = 0
        self._records = np.zeros(0, dtype=RECORD)
        self.owner = owner
        self.seconds = seconds  # estimated, alone
        self.steps = steps
        self.order = order
        self.lane: str | None = None  # "pool" or "express" once started
        self.started: float | None = None  # time.monotonic() when it started

    @property
    def short(self) -> bool:
        return self.seconds <= self._trainer.short_seconds

    def poll(self) -> int:
        """Read the steps that have arrived since the last poll; the number of steps done so far."""
        with contextlib.suppress(FileNotFoundError), self._progress.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
            whole = len(data) - len(data) % RECORD.itemsize  # a batch may be half written
            if whole:
                self._records = np.concatenate([self._records, np.frombuffer(data[:whole], dtype=RECORD)])
                self._offset += whole
        return self._records.size

    def steps_done(self) -> int:
        """Steps the run has written so far (without reading them)."""
        with contextlib.suppress(OSError):
            return self._progress.stat().st_size // RECORD.itemsize
        return 0

    @property
    def losses(self) -> np.ndarray:
        """(steps read,) the loss of each training batch so far."""
        return np.ascontiguousarray(self._records["loss"])

    @property
    def accuracies(self) -> np.ndarray:
        """(steps read,) the accuracy on each training batch so far, before its update."""
        return np.ascontiguousarray(self._records["accuracy"])

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the run to end (or to be taken out of the queue); True once it has."""
        with contextlib.suppress(TimeoutError, CancelledError):
            self._future.exception(timeout=seconds)
        return self._future.done()

    def done(self) -> bool:
        return self._future.done()

    def cancelled(self) -> bool:
        """Stopped while it waited in the queue: it never ran, and has no result."""
        return self._future.cancelled()

    def waiting(self) -> tuple[int, float | None] | None:
        """While the job waits for a process: (runs ahead of it, about how many seconds until it starts, or None when
        there is nothing to tell from yet); None once it has started."""
        return self._trainer._waiting(self)

    def stop(self) -> None:
        """Ask the run to end after the step it is in (it keeps the weights so far); a job still in the queue is
        taken out of it."""
        if not self._trainer._cancel(self):
            self._stop.touch()

    def result(self, timeout: float | None = None) -> TrainResult:
        """The run's TrainResult (waiting for it); the engine's ValueError if it refused the settings."""
        try:
            return self._future.result(timeout)
        finally:
            if self._future.done():
                self.poll()
                for path in (self._progress, self._stop):
                    path.unlink(missing_ok=True)


class Trainer:
    """A pool of ``processes`` spawned training processes, and ``express`` more kept for short runs when those are
    busy, started on the first ``submit``; one running job per owner (``per_owner``)."""

    def __init__(self, processes: int | None = None, *, nice: int = NICE, every_seconds: float = 0.05,
                 express: int = 1, per_owner: int = 1, short_seconds: float = SHORT_SECONDS) -> None:
        self.processes = max(1, processes or os.cpu_count() or 1)
        self.express = max(0, express)
        self.per_owner = max(1, per_owner)
        self.short_seconds = short_seconds
        self.nice = nice
        self.every_seconds = every_seconds
        self._pools: dict[str, ProcessPoolExecutor] = {}
        self._folder = Path(tempfile.mkdtemp(prefix="gatescope-train-"))
        self._lock = threading.RLock()
        self._queue: list[Job] = []
        self._running: list[Job] = []
        self._orders = itertools.count()

    def _executor(self, lane: str) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._pools.get(lane)
            if pool is not None and getattr(pool, "_broken", False):  # a process died: a new pool
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
            if pool is None:
                size = self.processes if lane == "pool" else self.express
                pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_start_child, initargs=(self.nice, os.getpid()))
                self._pools[lane] = pool
            return pool

    def submit(self, network_or_kind: Any, task: Any, *, owner: str | None = None, **kwargs: Any) -> Job:
        """Queue ``cells.learning.train.train(network_or_kind, task, **kwargs)`` for a pool process, on behalf of
        ``owner`` (a session; None: an owner of its own)."""
        name = uuid.uuid4().hex
        progress, stop = self._folder / f"{name}.progress", self._folder / f"{name}.stop"
        progress.touch()
        args = (network_or_kind, task, kwargs, str(progress), str(stop), self.every_seconds)
        try:
            seconds = estimate_seconds(network_or_kind, task, kwargs)
        except (ValueError, TypeError, AttributeError):  # train() says what is wrong with them
            seconds = 0.0
        with self._lock:
            job = Job(self, args, progress, stop, owner or name, seconds, int(kwargs.get("steps", 1000)),
                      next(self._orders))
            self._queue.append(job)
            self._dispatch()
        return job

    def _sorted_queue(self) -> list[Job]:
        return sorted(self._queue, key=lambda j: (not j.short, j.order))  # short runs first, then in order

    def _dispatch(self) -> None:
        """Start queued jobs while there are processes for them (call holding the lock)."""
        while True:
            owners = collections.Counter(j.owner for j in self._running)
            free = {lane: size - sum(j.lane == lane for j in self._running)
                    for lane, size in (("pool", self.processes), ("express", self.express))}
            chosen = None
            for job in self._sorted_queue():
                if owners[job.owner] >= self.per_owner:
                    continue
                if free["pool"] > 0:
                    chosen = job, "pool"
                elif free["express"] > 0 and job.short:
                    chosen = job, "express"
                if chosen:
                    break
            if chosen is None:
                return
            self._start(*chosen)

    def _start(self, job: Job, lane: str) -> None:
        self._queue.remove(job)
        if not job._future.set_running_or_notify_cancel():
            return
        try:
            future = self._executor(lane).submit(_train_here, *job._args)
        except BrokenProcessPool:  # a pool process died (killed, out of memory): start a new pool once
            self._pools.pop(lane, None)
            future = self._executor(lane).submit(_train_here, *job._args)
        job.lane, job.started = lane, time.monotonic()
        self._running.append(job)
        future.add_done_callback(functools.partial(self._finished, job))

    def _finished(self, job: Job, future: Future[TrainResult]) -> None:
        with self._lock:
            if job in self._running:
                self._running.remove(job)
            self._dispatch()
        error = future.exception()
        if error is None:
            job._future.set_result(future.result())
        else:
            job._future.set_exception(error)

    def _cancel(self, job: Job) -> bool:
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
            job._future.cancel()
            self._dispatch()
            return True

    def _remaining(self, job: Job, now: float) -> float:
        """About how many seconds a running job has left: from its own pace once it has one, else its estimate."""
        elapsed = now - (job.started or now)
        done = job.steps_done()
        if done > 0:
            return max(0.0, (job.steps - done) * elapsed / done)
        return max(0.0, job.seconds - elapsed)

    def _waiting(self, job: Job) -> tuple[int, float | None] | None:
        with self._lock:
            if job not in self._queue:
                return None
            now = time.monotonic()
            order = self._sorted_queue()
            ahead = order[: order.index(job)]
            lanes = ("pool", "express") if job.short else ("pool",)
            size = {"pool": self.processes, "express": self.express}
            free_at = [self._remaining(j, now) for j in self._running if j.lane in lanes]
            free_at += [0.0] * (sum(size[lane] for lane in lanes) - len(free_at))
            if not free_at:
                return len(ahead), None
            heapq.heapify(free_at)
            for other in ahead:  # each run ahead takes the first process to free up
                heapq.heappush(free_at, heapq.heappop(free_at) + other.seconds)
            start = free_at[0]
            mine = [self._remaining(j, now) for j in self._running if j.owner == job.owner]
            return len(ahead), max([start, *mine])

    def processes_and_priorities(self) -> list[tuple[int, int]]:
        """(pid, nice value) of each running pool process."""
        pids = [pid for pool in self._pools.values() for pid in (getattr(pool, "_processes", None) or {})]
        return [(pid, os.getpriority(os.PRIO_PROCESS, pid)) for pid in pids]

    def close(self) -> None:
        """Stop the pool's processes and remove the progress files."""
        with self._lock:
            for job in list(self._queue):
                self._queue.remove(job)
                job._future.cancel()
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._folder, ignore_errors=True)
