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
sessions that click and type win the CPU over a session that trains. Nothing here imports Streamlit.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from cells.learning.train import TrainResult, train

RECORD = np.dtype([("loss", "<f8"), ("accuracy", "<f8")])  # one training step, as the progress file holds it
NICE = 5  # how much lower the training processes' priority is than the server's


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
    """One training run in a pool process: its progress so far, a way to stop it, its result."""

    def __init__(self, future: Future[TrainResult], progress: Path, stop: Path) -> None:
        self._future = future
        self._progress = progress
        self._stop = stop
        self._offset = 0
        self._records = np.zeros(0, dtype=RECORD)

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

    @property
    def losses(self) -> np.ndarray:
        """(steps read,) the loss of each training batch so far."""
        return np.ascontiguousarray(self._records["loss"])

    @property
    def accuracies(self) -> np.ndarray:
        """(steps read,) the accuracy on each training batch so far, before its update."""
        return np.ascontiguousarray(self._records["accuracy"])

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the run to end; True once it has."""
        with contextlib.suppress(TimeoutError):
            self._future.exception(timeout=seconds)
        return self._future.done()

    def done(self) -> bool:
        return self._future.done()

    def stop(self) -> None:
        """Ask the run to end after the step it is in; it keeps the weights so far."""
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
    """A pool of ``processes`` spawned training processes, started on the first ``submit``."""

    def __init__(self, processes: int | None = None, *, nice: int = NICE, every_seconds: float = 0.05) -> None:
        self.processes = max(1, processes or os.cpu_count() or 1)
        self.nice = nice
        self.every_seconds = every_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="gatescope-train-"))
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is not None and getattr(self._pool, "_broken", False):  # a process died: a new pool
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_child, initargs=(self.nice, os.getpid()))
            return self._pool

    def submit(self, network_or_kind: Any, task: Any, **kwargs: Any) -> Job:
        """Start ``cells.learning.train.train(network_or_kind, task, **kwargs)`` in a pool process."""
        name = uuid.uuid4().hex
        progress, stop = self._folder / f"{name}.progress", self._folder / f"{name}.stop"
        progress.touch()
        args = (network_or_kind, task, kwargs, str(progress), str(stop), self.every_seconds)
        try:
            future = self._executor().submit(_train_here, *args)
        except BrokenProcessPool:  # a pool process died (killed, out of memory): start a new pool once
            with self._lock:
                self._pool = None
            future = self._executor().submit(_train_here, *args)
        return Job(future, progress, stop)

    def processes_and_priorities(self) -> list[tuple[int, int]]:
        """(pid, nice value) of each running pool process."""
        processes = getattr(self._pool, "_processes", None) or {}
        return [(pid, os.getpriority(os.PRIO_PROCESS, pid)) for pid in processes]

    def close(self) -> None:
        """Stop the pool's processes and remove the progress files."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        shutil.rmtree(self._folder, ignore_errors=True)
