"""Gradient flow: exact per-step Jacobians, their products, and the plain RNN's vanishing gradient."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import cells
from cells.gradflow import gradient_flow, step_jacobians, trace_flow

KINDS = tuple(cells.KINDS)


def state_vector(cell: cells.Cell, state: cells.State) -> np.ndarray:
    return np.concatenate([state.hidden, state.cell]) if cell.HAS_CELL else state.hidden


def as_state(cell: cells.Cell, s: np.ndarray) -> cells.State:
    P = cell.state_size
    return cells.State(s[:P], s[P:]) if cell.HAS_CELL else cells.State(s)


def numeric_jacobian(fn, s: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    cols = []
    for k in range(len(s)):
        d = np.zeros_like(s)
        d[k] = eps
        cols.append((fn(s + d) - fn(s - d)) / (2 * eps))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("kind", KINDS)
def test_step_jacobians_match_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(0)
    cell = cells.initialise(kind, 2, 4, seed=1, scale=2.0)
    if cell.hidden_biases is None:
        cell = dataclasses.replace(cell, hidden_biases={g: rng.uniform(-1, 1, 4) for g in cell.GATES})
    xs = rng.normal(size=(5, 2))
    start = cells.State(rng.uniform(-1, 1, cell.state_size), rng.normal(size=4) if cell.HAS_CELL else None)
    trace = cell.run(xs, start)
    J = step_jacobians(cell, trace)
    for t in range(5):
        before = trace.at(t).previous
        want = numeric_jacobian(lambda s, t=t: state_vector(cell, cell.step(xs[t], as_state(cell, s))[0]),
                                state_vector(cell, before))
        np.testing.assert_allclose(J[t], want, rtol=0, atol=1e-8)
        # One step alone gives that step's block of the whole sequence's call.
        W = {g: cell.weights[g][:, :cell.state_size] for g in cell.GATES}
        one = cell.step_jacobian({k: a[t] for k, a in trace.values.items()}, trace.previous_hidden[t],
                                 None if trace.previous_cell is None else trace.previous_cell[t], W)
        np.testing.assert_allclose(one, J[t], rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_torch", "rnn"])
def test_flow_is_the_norm_of_the_whole_chain(kind: str) -> None:
    rng = np.random.default_rng(2)
    cell = cells.initialise(kind, 2, 3, seed=3, scale=1.5)
    xs = rng.normal(size=(8, 2))
    flow = gradient_flow(cell, xs)
    trace = cell.run(xs)
    H = 3
    assert flow.hidden[-1] == pytest.approx(1.0)
    for t in (0, 3):
        after = trace.at(t + 1).previous  # the state after step t

        def last_hidden(h, t=t, after=after):
            return cell.run(xs[t + 1 :], cells.State(h, after.cell)).output[-1]

        want = numeric_jacobian(last_hidden, after.hidden)  # ∂h_{T-1}/∂h_t with C_t held fixed
        assert flow.hidden[t] == pytest.approx(np.linalg.norm(want, 2), rel=1e-6)
        if cell.HAS_CELL:
            def last_cell(c, t=t, after=after):
                return cell.run(xs[t + 1 :], cells.State(after.hidden, c)).values["cell"][-1]
            want_c = numeric_jacobian(last_cell, after.cell)
            assert flow.cell[t] == pytest.approx(np.linalg.norm(want_c, 2), rel=1e-6)
    assert (flow.cell is None) == (not cell.HAS_CELL)
    assert flow.steps == 8 and flow.back(0) == pytest.approx(1.0) and cell.hidden_size == H


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn", "lstmp"])
def test_a_runs_first_steps_give_the_flow_of_the_shorter_sequence(kind: str) -> None:
    """The Gradient flow page runs the longest sequence once and reads every shorter T from that run."""
    rng = np.random.default_rng(8)
    cell = cells.initialise(kind, 2, 4, seed=9, scale=1.5)
    xs = rng.normal(size=(30, 2))
    trace = cell.run(xs)
    for steps in (1, 7, 30):
        short, cut = gradient_flow(cell, xs[:steps]), trace_flow(cell, trace, steps)
        np.testing.assert_allclose(cut.hidden, short.hidden, rtol=1e-12, atol=0)
        if cell.HAS_CELL:
            np.testing.assert_allclose(cut.cell, short.cell, rtol=1e-12, atol=0)
    assert trace_flow(cell, trace).steps == 30


def test_norms_far_down_a_vanishing_chain_are_exact() -> None:
    """200 steps of a plain RNN with small weights take the norm to about 1e-200: each is the product's largest
    singular value to rounding, with no underflow to 0 on the way (the page draws them on a log axis)."""
    rng = np.random.default_rng(10)
    cell = cells.initialise("rnn", 2, 6, seed=11, scale=0.2)
    xs = rng.normal(size=(200, 2))
    flow = gradient_flow(cell, xs)
    J = step_jacobians(cell, cell.run(xs))
    product, want = np.eye(6), np.empty(200)
    want[-1] = 1.0
    for t in range(199, 0, -1):
        product = product @ J[t]
        want[t - 1] = np.linalg.svd(product, compute_uv=False)[0]
    assert 0 < flow.hidden[0] < 1e-150
    np.testing.assert_allclose(flow.hidden, want, rtol=1e-9, atol=0)


def test_plain_rnn_gradient_vanishes_much_faster_than_the_lstm_cell_path() -> None:
    """At random initialisation, 30 steps back: the RNN's gradient is orders of magnitude smaller."""
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(60, 4))
    rnn = cells.initialise("rnn", 4, 16, seed=5)
    lstm = cells.initialise("lstm", 4, 16, seed=5)
    lstm = dataclasses.replace(lstm, biases={**lstm.biases, "forget": lstm.biases["forget"] + 1.0})  # forget bias 1
    r, l = gradient_flow(rnn, xs), gradient_flow(lstm, xs)
    assert r.back(30) < 1e-6
    assert l.cell[60 - 1 - 30] > 0.01
    assert r.back(30) < 1e-4 * l.cell[60 - 1 - 30]
    assert r.back(30) < 1e-2 * l.back(30)
    # and the RNN's flow keeps shrinking geometrically: ten more steps back, at least ten times smaller
    assert all(r.hidden[t] < 0.1 * r.hidden[t + 10] for t in range(49))


def test_gru_keeps_the_gradient_when_its_update_gate_keeps_the_state() -> None:
    rng = np.random.default_rng(6)
    xs = rng.normal(size=(40, 2))
    gru = cells.initialise("gru", 2, 8, seed=7)
    keeping = dataclasses.replace(gru, biases={**gru.biases, "update": gru.biases["update"] - 4.0})  # z ≈ 0.02
    assert gradient_flow(keeping, xs).back(30) > 100 * gradient_flow(gru, xs).back(30)
