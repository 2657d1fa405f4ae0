"""The minimal gated unit (Zhou et al., 2016): added as one module and one registry line.

These tests are the kind's own: arithmetic by hand, properties for any weights, gradients and the
gradient-flow Jacobian against finite differences, and the reference step against the fused loop.
Every test parametrised over ``cells.KINDS`` (the engine, storage, interop refusals, the pages) runs
it as well.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cells
from cells.analysis import keep_share, memory_half_life
from cells.gradflow import gradient_flow, step_jacobians
from cells.learning import backprop
from cells.learning.readout import Readout
from cells.mgu import MGU
from tests.cells.test_backprop import batch, check_gradients, network_of
from tests.cells.test_gradflow import as_state, numeric_jacobian, state_vector

HAND_TOL = 1e-14
W = {"forget": (0.7, -0.4), "candidate": (0.9, 0.6)}  # gate -> (w_h, w_x) of a one-unit, one-input cell
B = {"forget": 0.2, "candidate": -0.3}
XS = (1.0, -0.5, 2.0)


def sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def one_unit(weights: dict = W, biases: dict = B) -> MGU:
    return MGU(weights={g: np.array([w]) for g, w in weights.items()},
               biases={g: np.array([b]) for g, b in biases.items()})


def test_it_is_registered_under_its_kind_name() -> None:
    assert cells.cell_class("mgu") is MGU and cells.KINDS["mgu"].LABEL.startswith("Minimal gated unit")


def test_one_unit_three_steps_by_hand() -> None:
    trace = one_unit().run(np.array(XS)[:, None], cells.State(np.array([0.5])))
    h = 0.5
    for t, x in enumerate(XS):
        a_f = 0.7 * h - 0.4 * x + 0.2
        f = sig(a_f)  # f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
        a_c = 0.9 * (f * h) + 0.6 * x - 0.3  # W_h·[f_t*h_{t-1}, x_t] + b_h: the forget gate filters h_{t-1}
        cand = math.tanh(a_c)
        h_new = (1 - f) * h + f * cand  # f_t is the share of the NEW candidate
        want = {"forget": f, "forget_hidden": f * h, "candidate": cand, "hidden": h_new}
        assert set(trace.values) == set(want) and set(trace.pre) == {"forget", "candidate"}
        assert abs(trace.pre["forget"][t, 0] - a_f) <= HAND_TOL and abs(trace.pre["candidate"][t, 0] - a_c) <= HAND_TOL
        for name, value in want.items():
            assert abs(trace.values[name][t, 0] - value) <= HAND_TOL, (t, name)
        h = h_new


def test_zero_weights_half_open_the_gate_and_keep_a_zero_state() -> None:
    cell = MGU(weights={g: np.zeros((2, 5)) for g in MGU.GATES}, biases={g: np.zeros(2) for g in MGU.GATES})
    trace = cell.run(np.ones((4, 3)))
    np.testing.assert_array_equal(trace.values["forget"], 0.5)
    np.testing.assert_array_equal(trace.values["hidden"], 0.0)


def test_keep_share_is_one_minus_the_forget_gate_and_a_closed_gate_remembers() -> None:
    closed = one_unit(biases={"forget": -30.0, "candidate": 0.0})  # f_t ≈ 0: nothing new is written
    trace = closed.run(np.array(XS)[:, None], cells.State(np.array([0.8])))
    np.testing.assert_allclose(keep_share(trace), 1.0 - trace.values["forget"])
    np.testing.assert_allclose(trace.output[:, 0], 0.8, atol=1e-12)
    assert np.isinf(memory_half_life(trace)[0])


def test_memory_bias_shift_closes_the_forget_gate() -> None:
    """Training's memory bias lowers b_f, since 1 - f_t is what the MGU keeps."""
    from cells.edits import memory_bias

    net = cells.Network.create("mgu", 2, 3, seed=0)
    shifted = memory_bias(net, 2.0).layers[0].forward
    np.testing.assert_allclose(shifted.biases["forget"], net.layers[0].forward.biases["forget"] - 2.0)
    np.testing.assert_array_equal(shifted.biases["candidate"], net.layers[0].forward.biases["candidate"])


# ----- any weights ----------------------------------------------------------------------------------

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def mgu_cases(draw: st.DrawFn) -> tuple[MGU, np.ndarray, cells.State]:
    H, I, T = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 6))
    cell = MGU(weights={g: draw(hnp.arrays(np.float64, (H, H + I), elements=finite)) for g in MGU.GATES},
               biases={g: draw(hnp.arrays(np.float64, (H,), elements=finite)) for g in MGU.GATES})
    xs = draw(hnp.arrays(np.float64, (T, I), elements=finite))
    return cell, xs, cells.State(draw(hnp.arrays(np.float64, (H,), elements=st.floats(-1, 1))))


@settings(max_examples=60, deadline=None)
@given(mgu_cases())
def test_gate_in_0_1_state_within_1_and_between_old_state_and_candidate(case: tuple) -> None:
    cell, xs, state = case
    trace = cell.run(xs, state)
    f, old, new, h = trace.values["forget"], trace.previous_hidden, trace.values["candidate"], trace.output
    assert np.all((f >= 0) & (f <= 1)) and np.all(np.abs(h) <= 1.0) and np.all(np.abs(new) <= 1.0)
    assert np.all(h >= np.minimum(old, new) - 1e-12) and np.all(h <= np.maximum(old, new) + 1e-12)
    np.testing.assert_allclose(trace.values["forget_hidden"], f * old, rtol=0, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(mgu_cases())
def test_backward_direction_is_the_cell_on_the_reversed_sequence(case: tuple) -> None:
    cell, xs, _ = case
    layer = cells.Layer(cell, cell).run(xs)
    np.testing.assert_allclose(layer.backward.output[::-1], cell.run(xs[::-1]).output, rtol=0, atol=1e-12)


# ----- reference, gradients, Jacobian ------------------------------------------------------------


def test_the_readable_reference_equals_the_fused_loop() -> None:
    rng = np.random.default_rng(3)
    cell = cells.initialise("mgu", 3, 5, seed=4, scale=2.0)
    xs = rng.normal(size=(4, 7, 3))
    record = backprop.forward(cell, xs)  # the kind's reference_step over a batch
    for b in range(4):
        trace = cell.run(xs[b])  # the fused _recur
        for name in trace.values:
            np.testing.assert_allclose(record.values[name][:, b], trace.values[name], rtol=0, atol=1e-14)
        for gate in trace.pre:
            np.testing.assert_allclose(record.pre[gate][:, b], trace.pre[gate], rtol=0, atol=1e-14)


def test_gradients_match_finite_differences_in_a_bidirectional_stack() -> None:
    net = network_of("mgu", layers=2, bidirectional=True)
    readout = Readout.create(net.layers[-1].output_size, 3, loss="softmax", at="each", seed=0)
    assert check_gradients(net, readout, batch(net, readout)) < 1e-6


def test_step_jacobians_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    cell = dataclasses.replace(cells.initialise("mgu", 2, 4, seed=1, scale=2.0),
                               hidden_biases={g: rng.uniform(-1, 1, 4) for g in MGU.GATES})
    xs = rng.normal(size=(5, 2))
    trace = cell.run(xs, cells.State(rng.uniform(-1, 1, 4)))
    J = step_jacobians(cell, trace)
    assert J.shape == (5, 4, 4)
    for t in range(5):
        want = numeric_jacobian(lambda s, t=t: state_vector(cell, cell.step(xs[t], as_state(cell, s))[0]),
                                state_vector(cell, trace.at(t).previous))
        np.testing.assert_allclose(J[t], want, rtol=0, atol=1e-8)


def test_a_closed_forget_gate_carries_the_gradient_far_back() -> None:
    rng = np.random.default_rng(6)
    xs = rng.normal(size=(40, 2))
    mgu = cells.initialise("mgu", 2, 8, seed=7)
    keeping = dataclasses.replace(mgu, biases={**mgu.biases, "forget": mgu.biases["forget"] - 4.0})  # f ≈ 0.02
    flow = gradient_flow(keeping, xs)
    assert flow.cell is None and flow.back(30) > 100 * gradient_flow(mgu, xs).back(30)


def test_it_trains_on_the_first_bit_task() -> None:
    from cells.learning.tasks import make_task
    from cells.learning.train import evaluate, train

    result = train("mgu", make_task("first_bit", gap=10), hidden_size=8, steps=300, lr=0.02, seed=0, memory_bias=2.0)
    _, accuracy = evaluate(result.model, samples=300)
    assert accuracy >= 0.95
