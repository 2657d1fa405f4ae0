"""The LSTM with projections (PyTorch's nn.LSTM with proj_size): one module and one registry line.

The kind's own tests: arithmetic by hand, properties for any weights, gradients (W_hr's included) and
the gradient-flow Jacobian against finite differences, the reference step against the fused loop, and
the sizes (C_t and the gates have H units, h_t has P numbers). Every test parametrised over
``cells.KINDS`` runs it too.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cells
from cells.gradflow import gradient_flow, step_jacobians
from cells.learning import backprop
from cells.learning.readout import Readout
from cells.lstmp import ProjectedLSTM
from tests.cells.test_backprop import batch, check_gradients, network_of
from tests.cells.test_gradflow import as_state, numeric_jacobian, state_vector

HAND_TOL = 1e-14
# Two units, one projected number, one input: W_g = [w_h | w_x] per unit.
W = {"forget": ((0.5, -0.3), (0.1, 0.4)), "input": ((0.2, 0.8), (-0.6, 0.3)),
     "candidate": ((0.7, -0.5), (0.9, 0.2)), "output": ((-0.4, 0.6), (0.3, -0.7))}
B = {"forget": (0.1, -0.2), "input": (0.0, 0.3), "candidate": (-0.1, 0.2), "output": (0.2, 0.0)}
W_HR = ((0.8, -1.5),)  # (P, H) = (1, 2)
XS = (1.0, -0.5, 2.0)


def sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def two_units() -> ProjectedLSTM:
    return ProjectedLSTM(weights={g: np.array(w) for g, w in W.items()}, biases={g: np.array(b) for g, b in B.items()},
                         projection={"hidden": np.array(W_HR)})


def test_it_is_registered_and_sizes_its_state_apart_from_its_units() -> None:
    cell = two_units()
    assert cells.cell_class("lstmp") is ProjectedLSTM
    assert (cell.hidden_size, cell.state_size, cell.input_size) == (2, 1, 1)
    state = cell.initial_state()
    assert state.hidden.shape == (1,) and state.cell.shape == (2,)


def test_two_units_three_steps_by_hand() -> None:
    trace = two_units().run(np.array(XS)[:, None], cells.State(np.array([0.5]), np.array([0.3, -1.0])))
    h, c = 0.5, [0.3, -1.0]
    for t, x in enumerate(XS):
        a = {g: [W[g][u][0] * h + W[g][u][1] * x + B[g][u] for u in range(2)] for g in W}
        f, i, o = ([sig(v) for v in a[g]] for g in ("forget", "input", "output"))
        g_ = [math.tanh(v) for v in a["candidate"]]
        c = [f[u] * c[u] + i[u] * g_[u] for u in range(2)]  # C_t = f_t*C_{t-1} + i_t*C̃_t, per unit
        m = [o[u] * math.tanh(c[u]) for u in range(2)]  # m_t = o_t*tanh(C_t)
        h = W_HR[0][0] * m[0] + W_HR[0][1] * m[1]  # h_t = W_hr·m_t, one number from two units
        want = {"forget": f, "input": i, "candidate": g_, "output": o, "cell": c, "unprojected": m, "hidden": [h]}
        for name, value in want.items():
            np.testing.assert_allclose(trace.values[name][t], value, rtol=0, atol=HAND_TOL, err_msg=f"{t} {name}")
        for gate in W:
            np.testing.assert_allclose(trace.pre[gate][t], a[gate], rtol=0, atol=HAND_TOL)
    assert trace.values["hidden"].shape == (3, 1) and trace.values["cell"].shape == (3, 2)
    assert trace.concat.shape == (3, 2)  # [h_{t-1}, x_t]: P + I numbers


def test_an_identity_projection_is_the_lstm() -> None:
    lstm = cells.initialise("lstm", 3, 4, seed=2, scale=2.0)
    same = ProjectedLSTM(weights=lstm.weights, biases=lstm.biases, projection={"hidden": np.eye(4)})
    xs = np.random.default_rng(1).normal(size=(6, 3))
    want, got = lstm.run(xs), same.run(xs)
    for name in want.values:
        np.testing.assert_allclose(got.values[name], want.values[name], rtol=0, atol=1e-15, err_msg=name)


def test_wrong_shapes_are_value_errors_that_name_them() -> None:
    cell = cells.initialise("lstmp", 3, 4, seed=0, state_size=2)
    with pytest.raises(ValueError, match=r"hidden projection weights: expected \(P, 4\) with 1 ≤ P ≤ 4, got \(2, 3\)"):
        dataclasses.replace(cell, projection={"hidden": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"projection weights: expected \{'hidden': W_hr of shape \(P, 4\)\}, got"):
        dataclasses.replace(cell, projection=None)
    with pytest.raises(ValueError, match=r"forget weights: expected \(4, 5\), got \(4, 7\)"):
        dataclasses.replace(cell, weights={**cell.weights, "forget": np.zeros((4, 7))})
    with pytest.raises(ValueError, match=r"initial hidden state: expected \(2,\), got \(4,\)"):
        cell.run(np.zeros((2, 3)), cells.State(np.zeros(4), np.zeros(4)))
    with pytest.raises(ValueError, match=r"state size: expected a whole number from 1 to the hidden size 4, got 5"):
        cells.initialise("lstmp", 3, 4, state_size=5)
    with pytest.raises(ValueError, match=r"state size: LSTM cells have one h_t number per unit \(4\), got 2"):
        cells.initialise("lstm", 3, 4, state_size=2)


def test_every_initialiser_draws_the_projection() -> None:
    for scheme in cells.SCHEMES:
        cell = cells.initialise("lstmp", 3, 6, seed=1, scheme=scheme)
        W_hr = cell.projection["hidden"]
        assert W_hr.shape == (3, 6) and np.all(W_hr != 0), scheme  # P = H // 2 unless chosen
    assert cells.initialise("lstmp", 3, 6, seed=1, state_size=5).projection["hidden"].shape == (5, 6)
    np.testing.assert_allclose(cells.initialise("lstmp", 3, 6, seed=1, scheme="orthogonal").projection["hidden"]
                               @ cells.initialise("lstmp", 3, 6, seed=1, scheme="orthogonal").projection["hidden"].T,
                               np.eye(3), atol=1e-12)  # rows of an orthogonal matrix


def test_a_stack_reads_p_numbers_per_direction_from_the_layer_below() -> None:
    net = cells.Network.create("lstmp", 3, 6, num_layers=2, bidirectional=True, seed=0, state_size=2)
    assert net.layers[1].input_size == 4 and net.layers[1].output_size == 4
    run = net.run(np.random.default_rng(0).normal(size=(5, 3)))
    assert run.output.shape == (5, 4) and run.trace(1, "backward").values["cell"].shape == (5, 6)


# ----- any weights ----------------------------------------------------------------------------------

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def lstmp_cases(draw: st.DrawFn) -> tuple[ProjectedLSTM, np.ndarray, cells.State]:
    H, I, T = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 6))
    P = draw(st.integers(1, H))
    cell = ProjectedLSTM(weights={g: draw(hnp.arrays(np.float64, (H, P + I), elements=finite)) for g in LSTM_GATES},
                         biases={g: draw(hnp.arrays(np.float64, (H,), elements=finite)) for g in LSTM_GATES},
                         projection={"hidden": draw(hnp.arrays(np.float64, (P, H), elements=finite))})
    xs = draw(hnp.arrays(np.float64, (T, I), elements=finite))
    return cell, xs, cells.State(draw(hnp.arrays(np.float64, (P,), elements=finite)),
                                 draw(hnp.arrays(np.float64, (H,), elements=finite)))


LSTM_GATES = ProjectedLSTM.GATES


@settings(max_examples=60, deadline=None)
@given(lstmp_cases())
def test_gates_in_range_and_h_is_the_projection_of_m(case: tuple) -> None:
    cell, xs, state = case
    trace = cell.run(xs, state)
    for g in cell.SIGMOID:
        assert np.all((trace.values[g] >= 0) & (trace.values[g] <= 1)), g
    m = trace.values["unprojected"]
    assert np.all(np.abs(m) <= 1.0)  # o_t*tanh(C_t): the units' output is squashed, h_t need not be
    np.testing.assert_allclose(m, trace.values["output"] * np.tanh(trace.values["cell"]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(trace.output, m @ cell.projection["hidden"].T, rtol=1e-12, atol=1e-12)
    bound = np.abs(trace.previous_cell) + 1  # |C_t| <= |C_{t-1}| + 1, as in every LSTM
    assert np.all(np.abs(trace.values["cell"]) <= bound * (1 + 1e-15))


@settings(max_examples=40, deadline=None)
@given(lstmp_cases())
def test_backward_direction_is_the_cell_on_the_reversed_sequence(case: tuple) -> None:
    cell, xs, _ = case
    layer = cells.Layer(cell, cell).run(xs)
    np.testing.assert_allclose(layer.backward.output[::-1], cell.run(xs[::-1]).output, rtol=0, atol=1e-12)


# ----- reference, gradients, Jacobian ------------------------------------------------------------


def test_the_readable_reference_equals_the_fused_loop() -> None:
    rng = np.random.default_rng(3)
    cell = cells.initialise("lstmp", 3, 5, seed=4, scale=2.0, state_size=2)
    xs = rng.normal(size=(4, 7, 3))
    record = backprop.forward(cell, xs)  # the kind's reference_step over a batch
    for b in range(4):
        trace = cell.run(xs[b])  # the fused _recur
        for name in trace.values:
            np.testing.assert_allclose(record.values[name][:, b], trace.values[name], rtol=0, atol=1e-14)


def test_gradients_match_finite_differences_in_a_bidirectional_stack() -> None:
    net = network_of("lstmp", layers=2, bidirectional=True, H=4)
    readout = Readout.create(net.layers[-1].output_size, 3, loss="softmax", at="each", seed=0)
    assert check_gradients(net, readout, batch(net, readout)) < 1e-6


def test_the_projection_gets_a_gradient_that_lowers_the_loss() -> None:
    net = network_of("lstmp", H=4)
    readout = Readout.create(net.layers[-1].output_size, 3, seed=2)
    data = batch(net, readout)
    g = backprop.loss_and_gradients(net, readout, *data)
    cell, dW = net.layers[0].forward, g.network[0][0]["projection"]["hidden"]
    assert dW.shape == cell.projection["hidden"].shape and np.any(dW != 0)
    moved = dataclasses.replace(cell, projection={"hidden": cell.projection["hidden"] - 0.05 * dW})
    assert backprop.loss_and_gradients(cells.Network((cells.Layer(moved),)), readout, *data).loss < g.loss


def test_step_jacobians_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    cell = dataclasses.replace(cells.initialise("lstmp", 2, 4, seed=1, scale=2.0, state_size=3),
                               hidden_biases={g: rng.uniform(-1, 1, 4) for g in LSTM_GATES})
    xs = rng.normal(size=(5, 2))
    trace = cell.run(xs, cells.State(rng.uniform(-1, 1, 3), rng.normal(size=4)))
    J = step_jacobians(cell, trace)
    assert J.shape == (5, 7, 7)  # s = [h (P = 3), C (H = 4)]
    for t in range(5):
        want = numeric_jacobian(lambda s, t=t: state_vector(cell, cell.step(xs[t], as_state(cell, s))[0]),
                                state_vector(cell, trace.at(t).previous))
        np.testing.assert_allclose(J[t], want, rtol=0, atol=1e-8)
    flow = gradient_flow(cell, xs)
    assert flow.hidden.shape == flow.cell.shape == (5,) and flow.hidden[-1] == pytest.approx(1.0)


def test_it_trains_on_the_first_bit_task() -> None:
    from cells.learning.tasks import make_task
    from cells.learning.train import evaluate, train

    result = train("lstmp", make_task("first_bit", gap=10), hidden_size=8, steps=300, lr=0.02, seed=0,
                   memory_bias=2.0)
    _, accuracy = evaluate(result.model, samples=300)
    assert accuracy >= 0.95
