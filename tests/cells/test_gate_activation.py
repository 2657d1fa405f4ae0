"""The gate activation as a cell option: Keras 2's hard sigmoid clip(0.2·a + 0.5, 0, 1) and Keras 3's
relu6(a + 3)/6 beside σ, followed by the reference step, the fused loop, the backward step, the step
Jacobian, the equation templates and Gatescope's own files."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pytest

import cells
from cells.activations import GATE_ACTIVATIONS, gate_activation_named
from cells.files import storage
from cells.gradflow import step_jacobians
from cells.learning import backprop
from cells.learning.readout import Readout
from tests.cells.test_backprop import TOLERANCE, batch, check_gradients, network_of, with_hidden_biases
from tests.cells.test_gradflow import as_state, numeric_jacobian, state_vector
from viz import equations as eqs
from viz import gateview

GATED = tuple(kind for kind, cls in cells.KINDS.items() if cls.SIGMOID)  # every kind but the plain RNN
HARD = ("hard_sigmoid", "hard_sigmoid_relu6")


def test_the_three_functions_by_hand() -> None:
    a = np.array([-4.0, -2.5, -0.23, 0.0, 1.0, 2.5, 3.0, 4.0])
    keras2 = GATE_ACTIVATIONS["hard_sigmoid"](a)
    keras3 = GATE_ACTIVATIONS["hard_sigmoid_relu6"](a)
    np.testing.assert_allclose(keras2, [0.0, 0.0, 0.454, 0.5, 0.7, 1.0, 1.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(keras3, [0.0, 1 / 12, 0.5 - 0.23 / 6, 0.5, 0.5 + 1 / 6, 11 / 12, 1.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(GATE_ACTIVATIONS["sigmoid"](a), 1 / (1 + np.exp(-a)), atol=1e-15)
    assert abs(keras2[2] - keras3[2]) > 0.005  # two different functions under one Keras name
    # Derivatives from the value: the slope inside the ramp, 0 where clipped.
    np.testing.assert_array_equal(GATE_ACTIVATIONS["hard_sigmoid"].derivative(keras2), [0, 0, 0.2, 0.2, 0.2, 0, 0, 0])
    with pytest.raises(ValueError, match="gate activation: expected one of sigmoid, hard_sigmoid"):
        gate_activation_named("relu")


@pytest.mark.parametrize("kind", GATED)
def test_zero_weights_give_the_hard_sigmoid_of_the_bias(kind: str) -> None:
    cell = cells.initialise(kind, 2, 3, seed=0)
    zero = {field: {g: np.zeros_like(a) for g, a in per_gate.items()} for field, per_gate in cell.parameters().items()}
    zero["biases"] = {g: np.full(3, -0.23) for g in cell.GATES}
    hard = dataclasses.replace(cell, **zero, gate_activation="hard_sigmoid")
    trace = hard.run(np.ones((4, 2)))
    for gate in cell.SIGMOID:
        np.testing.assert_allclose(trace.values[gate], 0.454, atol=1e-15, err_msg=gate)
    soft = dataclasses.replace(hard, gate_activation="sigmoid").run(np.ones((4, 2)))
    assert not np.allclose(soft.values[cell.SIGMOID[0]], 0.454, atol=1e-3)


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("kind", GATED)
def test_fused_loop_equals_the_reference_step(kind: str, name: str) -> None:
    rng = np.random.default_rng(3)
    cell = with_hidden_biases(cells.initialise(kind, 3, 4, seed=2, scale=2.0), rng)
    cell = dataclasses.replace(cell, gate_activation=name)
    xs = rng.normal(size=(4, 9, 3)) * 2.0
    record = backprop.forward(cell, xs)  # the reference step, batched
    clipped = 0
    for b in range(4):
        trace = cell.run(xs[b])  # the fused loop
        assert trace.gate_activation == name
        for gate, v in trace.values.items():
            np.testing.assert_allclose(record.values[gate][:, b], v, rtol=0, atol=1e-12, err_msg=gate)
        clipped += sum(int(np.sum((trace.values[g] == 0) | (trace.values[g] == 1))) for g in cell.SIGMOID)
    assert clipped > 0  # the flat parts were reached, not only the ramp


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("kind", GATED)
def test_gradients_match_finite_differences(kind: str, name: str) -> None:
    net = network_of(kind).with_gate_activation(name)
    readout = Readout.create(net.layers[-1].output_size, 3, loss="softmax", at="each", seed=7)
    assert check_gradients(net, readout, batch(net, readout)) < TOLERANCE


def test_gradients_differ_from_the_sigmoid_ones() -> None:
    net = network_of("lstm")
    readout = Readout.create(net.layers[-1].output_size, 3, loss="softmax", at="each", seed=7)
    data = batch(net, readout)
    soft = backprop.loss_and_gradients(net, readout, *data).network[0][0]["weights"]["forget"]
    hard = backprop.loss_and_gradients(net.with_gate_activation("hard_sigmoid"), readout, *data)
    assert not np.allclose(soft, hard.network[0][0]["weights"]["forget"], atol=1e-3)


@pytest.mark.parametrize("kind", GATED)
def test_step_jacobians_match_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(0)
    cell = cells.initialise(kind, 2, 4, seed=1, scale=2.0)
    cell = dataclasses.replace(cell, hidden_biases={g: rng.uniform(-1, 1, 4) for g in cell.GATES},
                               gate_activation="hard_sigmoid")
    xs = rng.normal(size=(5, 2))
    start = cells.State(rng.uniform(-1, 1, cell.state_size), rng.normal(size=4) if cell.HAS_CELL else None)
    trace = cell.run(xs, start)
    J = step_jacobians(cell, trace)
    for t in range(5):
        want = numeric_jacobian(lambda s, t=t: state_vector(cell, cell.step(xs[t], as_state(cell, s))[0]),
                                state_vector(cell, trace.at(t).previous))
        np.testing.assert_allclose(J[t], want, rtol=0, atol=1e-8)


def test_a_cell_without_sigma_gates_refuses_a_hard_sigmoid() -> None:
    rnn = cells.initialise("rnn", 2, 3)
    with pytest.raises(ValueError, match="has no σ gates"):
        dataclasses.replace(rnn, gate_activation="hard_sigmoid")
    with pytest.raises(ValueError, match="gate activation: expected one of"):
        dataclasses.replace(cells.initialise("lstm", 2, 3), gate_activation="hard_tanh")


def test_the_network_helper_and_the_traces_carry_it() -> None:
    net = cells.Network.create("gru_torch", 2, 3, num_layers=2, bidirectional=True, seed=1)
    assert net.gate_activation == "sigmoid"
    hard = net.with_gate_activation("hard_sigmoid")
    assert hard.gate_activation == "hard_sigmoid" and net.gate_activation == "sigmoid"
    mixed = cells.Network((hard.layers[0], net.layers[1]))
    assert mixed.gate_activation == "mixed"
    trace = hard.run(np.ones((3, 2)))
    assert trace.trace(1, "backward").gate_activation == "hard_sigmoid"
    assert not np.allclose(trace.output, net.run(np.ones((3, 2))).output)


def test_the_step_panel_writes_sigma_hat_with_its_numbers() -> None:
    cell = cells.initialise("lstm", 1, 1, seed=0)
    zero = {g: np.zeros((1, 2)) for g in cell.GATES}
    cell = dataclasses.replace(cell, weights=zero, biases={g: np.array([-0.23]) for g in cell.GATES},
                               gate_activation="hard_sigmoid")
    trace = cell.run(np.ones((2, 1)))
    lines = eqs.step_equations("lstm", trace.at(0), 0, gate_activation=trace.gate_activation)
    assert lines[0] == r"f_t = \hat{\sigma}(W_f \cdot [h_{t-1}, x_t] + b_f) = \hat{\sigma}(-0.23) = 0.45"
    assert r"\sigma(" not in " ".join(lines).replace(r"\hat{\sigma}(", "")
    # The gate view's templates come from the same place: the browser fills σ̂(…) it was sent.
    header, _ = gateview.unpack(gateview.pack(gateview.gate_view(trace, ["a", "b"], ["x"])))
    numbers = [e["numbers"] for e in header["equations"]]
    assert numbers[0] == "σ̂(%{pre.forget})" and "σ(" not in "".join(numbers)
    assert header["equations"][0]["rule"].startswith("σ̂(")
    keras3 = [eqs.html(e.numbers) for e in eqs.equations("gru_torch", "hard_sigmoid_relu6")]
    assert keras3[0] == "σ̂<sub>6</sub>(%{pre.update})"
    assert eqs.equations("lstm")[0].numbers == r"\sigma(%{pre.forget})"  # σ stays σ


@pytest.mark.parametrize("kind", GATED)
def test_storage_round_trip_keeps_it(kind: str) -> None:
    net = cells.Network.create(kind, 2, 3, num_layers=2, seed=4).with_gate_activation("hard_sigmoid")
    xs = np.random.default_rng(0).normal(size=(5, 2))
    from_json = storage.from_json(storage.to_json(net))
    out = io.BytesIO()
    storage.save_npz(net, out)
    from_npz = storage.load_npz(out.getvalue())
    for back in (from_json, from_npz):
        assert back.gate_activation == "hard_sigmoid"
        np.testing.assert_array_equal(back.run(xs).output, net.run(xs).output)


def test_files_without_the_field_read_as_sigma_and_a_bad_one_is_refused() -> None:
    plain = json.loads(storage.to_json(cells.Network.create("lstm", 2, 3)))
    assert "gate_activation" not in plain["layers"][0]["forward"]  # what older versions wrote, unchanged
    assert storage.from_json(json.dumps(plain)).gate_activation == "sigmoid"
    plain["layers"][0]["forward"]["gate_activation"] = "relu"
    with pytest.raises(ValueError, match=r"layers\[0\].forward.gate_activation: expected one of sigmoid"):
        storage.from_json(json.dumps(plain))
    plain["layers"][0]["forward"]["gate_activation"] = ["hard_sigmoid"]
    with pytest.raises(ValueError, match="gate_activation: expected one of"):
        storage.from_json(json.dumps(plain))
