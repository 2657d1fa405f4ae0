"""Training in a separate process: progress arrives while it runs, Stop keeps the weights so far, and the
result is bit for bit what training in this process gives."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np
import pytest

from cells.learning.tasks import make_task
from cells.learning.train import model_bytes, train
from workbench.trainer import Job, Trainer

SETTINGS = {"hidden_size": 6, "steps": 120, "lr": 0.01, "batch_size": 16, "seed": 3, "memory_bias": 2.0}


@pytest.fixture(scope="module")
def trainer() -> Iterator[Trainer]:
    pool = Trainer(1, every_seconds=0.01, express=0)  # one process: each test knows where its job runs
    yield pool
    pool.close()


def test_the_result_equals_training_here_bit_for_bit(trainer: Trainer) -> None:
    task = make_task("brackets", length=12, max_depth=3)
    there = trainer.submit("lstm", task, **SETTINGS).result(timeout=120)
    here = train("lstm", task, **SETTINGS)
    assert there.status == here.status == "finished"
    np.testing.assert_array_equal(there.losses, here.losses)
    np.testing.assert_array_equal(there.accuracies, here.accuracies)
    assert model_bytes(there.model) == model_bytes(here.model)  # every weight, the readout and the notes


def test_progress_arrives_while_training_runs(trainer: Trainer) -> None:
    job = trainer.submit("gru", "first_bit", **{**SETTINGS, "steps": 3000})
    seen = []
    while not job.wait(0.02):
        seen.append(job.poll())
        if seen[-1] >= 20:
            break
    assert not job.done(), "3,000 steps should still be running"
    partial = seen[-1]
    assert 20 <= partial < 3000
    job.stop()
    result = job.result(timeout=60)
    assert job.poll() == result.losses.size >= partial  # every step the run took reached the session
    np.testing.assert_array_equal(job.losses, result.losses)
    np.testing.assert_array_equal(job.accuracies, result.accuracies)


def test_stop_is_prompt_and_keeps_the_weights_so_far(trainer: Trainer) -> None:
    task = make_task("brackets", length=12, max_depth=3)
    job = trainer.submit("lstm", task, **{**SETTINGS, "steps": 20_000})
    while job.poll() < 10:
        assert not job.wait(0.01)
    job.stop()
    asked = time.monotonic()
    result = job.result(timeout=60)
    assert time.monotonic() - asked < 5.0  # one step, not the 20,000 asked for (generous: the machine is shared)
    done = result.losses.size
    assert result.status == "stopped" and 10 <= done < 20_000
    assert result.message == f"Stopped after step {done} of 20000; kept the weights so far."
    here = train("lstm", task, callback=lambda step, loss, acc: step < done, **{**SETTINGS, "steps": 20_000})
    assert model_bytes(result.model) == model_bytes(here.model)


def test_the_engine_refusal_comes_back_as_its_value_error(trainer: Trainer) -> None:
    job = trainer.submit("lstm", "brackets", **{**SETTINGS, "hidden_size": 0})
    with pytest.raises(ValueError, match="hidden size: expected a whole number from 1 to 64, got 0"):
        job.result(timeout=60)


def test_training_runs_in_another_process_at_a_lower_priority(trainer: Trainer) -> None:
    job = trainer.submit("rnn", "brackets", **{**SETTINGS, "steps": 5})
    job.result(timeout=60)
    (pid, nice), = trainer.processes_and_priorities()
    assert pid != os.getpid()
    assert nice >= os.nice(0) + min(trainer.nice, 19 - os.nice(0))


def test_a_killed_training_process_is_replaced(trainer: Trainer) -> None:
    job = trainer.submit("lstm", "brackets", **{**SETTINGS, "steps": 20_000})
    while job.poll() < 2:
        assert not job.wait(0.01)
    (pid, _), = trainer.processes_and_priorities()
    os.kill(pid, 9)
    with pytest.raises(Exception, match="terminated abruptly"):
        job.result(timeout=60)
    again = trainer.submit("lstm", "brackets", **SETTINGS).result(timeout=120)
    assert again.status == "finished"


# ----- a pool shared fairly -------------------------------------------------------------------------
LONG = {**SETTINGS, "steps": 20_000}


def started(job: Job) -> None:
    while job.poll() < 2:
        assert not job.wait(0.01)


@pytest.fixture
def shared() -> Iterator[Trainer]:
    pool = Trainer(2, every_seconds=0.01)
    yield pool
    pool.close()


def test_a_short_run_finishes_promptly_while_two_sessions_train_long_ones(shared: Trainer) -> None:
    task = make_task("brackets", length=8, max_depth=2)
    first, second = (shared.submit("lstm", task, owner=owner, **LONG) for owner in ("ann", "bob"))
    started(first)
    started(second)
    short = shared.submit("lstm", task, owner="cat", **{**SETTINGS, "steps": 50})
    assert short.short and not first.short
    assert short.wait(60), "the 50-step run waited behind the long ones"
    assert short.result().status == "finished" and short.result().losses.size == 50
    assert not first.done() and not second.done()  # both long runs still going
    for job in (first, second):
        job.stop()
        assert job.result(timeout=60).status == "stopped"


def test_one_session_cannot_hold_the_pool_and_a_queued_run_says_its_wait_and_can_be_cancelled(shared: Trainer) -> None:
    task = make_task("brackets", length=8, max_depth=2)
    first = shared.submit("lstm", task, owner="ann", **LONG)
    again = shared.submit("lstm", task, owner="ann", **LONG)  # the same session, another long run
    started(first)
    other = shared.submit("lstm", task, owner="bob", **LONG)
    started(other)  # the second process goes to another session, not to ann's second run
    ahead, seconds = again.waiting()
    assert ahead == 0 and seconds is not None and seconds > 1.0  # it waits for ann's first run to end
    assert other.waiting() is None and first.waiting() is None
    again.stop()  # the page's Stop, while it waits: out of the queue, never run
    assert again.wait(5) and again.cancelled()
    for job in (first, other):
        job.stop()
        job.result(timeout=60)


def test_a_short_run_goes_before_long_ones_in_the_queue(shared: Trainer) -> None:
    task = make_task("brackets", length=8, max_depth=2)
    running = [shared.submit("lstm", task, owner=o, **LONG) for o in ("ann", "bob", "cat")]  # the third waits
    for job in running[:2]:
        started(job)
    express = shared.submit("lstm", task, owner="dan", **{**SETTINGS, "steps": 50})  # a process kept for short runs
    queued_short = shared.submit("lstm", task, owner="eve", **{**SETTINGS, "steps": 60})
    assert running[2].waiting() is not None
    if queued_short.waiting() is not None:  # the express process is still busy with dan's run: eve's is next
        assert queued_short.waiting()[0] == 0 and running[2].waiting()[0] >= 1
    assert express.wait(60) and queued_short.wait(60)
    assert running[2].waiting() is not None  # the long run still waits for a process of the pool
    for job in running:
        job.stop()
