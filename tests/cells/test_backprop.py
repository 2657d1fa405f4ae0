"""Backpropagation through time: the batched forward equals the engine, and every gradient equals
central finite differences (float64, relative error below 1e-6) and, where installed, torch.autograd."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import cells
from cells.learning import backprop
from cells.learning.readout import Readout

KINDS = tuple(cells.KINDS)
EPS = 1e-5  # central differences: truncation ~EPS², round-off ~1e-16/EPS; 1e-5 balances them
TOLERANCE = 1e-6


def with_hidden_biases(cell: cells.Cell, rng: np.random.Generator) -> cells.Cell:
    """The cell with a second, recurrent bias on every gate (as models from PyTorch have)."""
    return dataclasses.replace(cell, hidden_biases={g: rng.uniform(-0.5, 0.5, cell.hidden_size) for g in cell.GATES})


def network_of(kind: str, *, layers: int = 1, bidirectional: bool = False, I: int = 2, H: int = 3,
               seed: int = 0) -> cells.Network:
    rng = np.random.default_rng(seed + 50)
    net = cells.Network.create(kind, I, H, num_layers=layers, bidirectional=bidirectional, seed=seed, scale=2.0)
    return cells.Network(tuple(cells.Layer(*(with_hidden_biases(c, rng) for c in layer.cells)) for layer in net.layers))


def batch(net: cells.Network, readout: Readout, B: int = 3, T: int = 5, seed: int = 1):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(B, T, net.input_size))
    K = readout.output_size
    shape = (B,) if readout.at == "last" else (B, T)
    targets = rng.integers(0, K, shape) if readout.loss == "softmax" else rng.uniform(0, 1, (*shape, K))
    mask = (rng.uniform(size=shape) > 0.3).astype(float) if readout.at == "each" else None
    if mask is not None:
        mask[0, -1] = 1.0
    return xs, targets, mask


def loss_of(net: cells.Network, readout: Readout, data) -> float:
    return backprop.loss_and_gradients(net, readout, *data).loss


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numeric(f, array: np.ndarray, rebuild) -> np.ndarray:
    """Central differences of f(rebuild(perturbed array)) for every entry of ``array``."""
    out = np.empty(array.shape)
    for idx in np.ndindex(array.shape):
        plus, minus = array.copy(), array.copy()
        plus[idx] += EPS
        minus[idx] -= EPS
        out[idx] = (f(rebuild(plus)) - f(rebuild(minus))) / (2 * EPS)
    return out


def check_gradients(net: cells.Network, readout: Readout, data) -> float:
    """Largest relative error over every parameter array of the network and the readout."""
    grads = backprop.loss_and_gradients(net, readout, *data)
    params = backprop.network_parameters(net)
    worst = 0.0
    for k, per_dir in enumerate(params):
        for d, p in enumerate(per_dir):
            assert set(grads.network[k][d]) == set(p)
            for field, per_gate in p.items():
                assert set(grads.network[k][d][field]) == set(per_gate)
                for gate, a in per_gate.items():
                    def rebuild(new, k=k, d=d, field=field, gate=gate):
                        changed = [[dict(q) for q in pd] for pd in params]
                        changed[k][d] = {f: dict(g) for f, g in changed[k][d].items()}
                        changed[k][d][field][gate] = new
                        return backprop.network_with(net, tuple(tuple(pd) for pd in changed))
                    got = grads.network[k][d][field][gate]
                    assert got.shape == a.shape
                    want = numeric(lambda n: loss_of(n, readout, data), a, rebuild)
                    err = relative_error(got, want)
                    assert err < TOLERANCE, (k, d, field, gate, err)
                    worst = max(worst, err)
    for field, a in readout.parameters().items():
        def swap(new, field=field):
            return readout.with_parameters({field: new})
        want = numeric(lambda r: loss_of(net, r, data), a, swap)
        err = relative_error(grads.readout[field], want)
        assert err < TOLERANCE, ("readout", field, err)
        worst = max(worst, err)
    return worst


# ----- the batched forward pass is the engine's ---------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_batched_forward_equals_run_per_sequence(kind: str) -> None:
    rng = np.random.default_rng(3)
    cell = with_hidden_biases(cells.initialise(kind, 3, 4, seed=2, scale=2.0), rng)
    xs = rng.normal(size=(4, 9, 3))
    record = backprop.forward(cell, xs)
    for b in range(4):
        trace = cell.run(xs[b])
        assert set(record.values) == set(trace.values) and set(record.pre) == set(trace.pre)
        for name, v in trace.values.items():
            np.testing.assert_allclose(record.values[name][:, b], v, rtol=0, atol=1e-12, err_msg=name)
        for name, v in trace.pre.items():
            np.testing.assert_allclose(record.pre[name][:, b], v, rtol=0, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(record.previous_hidden[:, b], trace.previous_hidden, rtol=0, atol=1e-12)


def test_network_forward_equals_network_run_bidirectional_stack() -> None:
    rng = np.random.default_rng(4)
    net = cells.Network.create("gru_torch", 2, 3, num_layers=2, bidirectional=True, seed=5)
    xs = rng.normal(size=(3, 6, 2))
    out = backprop.network_forward(net, xs).output  # (T, B, 2H)
    for b in range(3):
        np.testing.assert_allclose(out[:, b], net.run(xs[b]).output, rtol=0, atol=1e-12)


def test_forward_refuses_wrong_input_width() -> None:
    cell = cells.initialise("lstm", 3, 2)
    with pytest.raises(ValueError, match=r"expected \(batch, steps, 3\)"):
        backprop.forward(cell, np.zeros((2, 4, 2)))


# ----- gradients against central finite differences ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("loss", "at"), [("softmax", "each"), ("squared", "last")])
def test_every_gradient_matches_finite_differences(kind: str, loss: str, at: str) -> None:
    net = network_of(kind)
    readout = Readout.create(net.layers[-1].output_size, 3, loss=loss, at=at, seed=7)
    assert check_gradients(net, readout, batch(net, readout)) < TOLERANCE


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_torch", "rnn", "lstmp"])
def test_bidirectional_gradients_match(kind: str) -> None:
    net = network_of(kind, bidirectional=True)
    readout = Readout.create(net.layers[-1].output_size, 2, loss="sigmoid", at="each", seed=8)
    check_gradients(net, readout, batch(net, readout, T=4))


@pytest.mark.parametrize("kind", ["lstm", "peephole", "gru_keras_v1", "rnn", "lstmp"])
def test_two_layer_stack_gradients_match(kind: str) -> None:
    net = network_of(kind, layers=2)
    readout = Readout.create(net.layers[-1].output_size, 3, loss="softmax", at="last", seed=9)
    check_gradients(net, readout, batch(net, readout, T=4))


def test_two_layer_bidirectional_coupled_gradients_match() -> None:
    net = network_of("coupled", layers=2, bidirectional=True, H=2)
    readout = Readout.create(4, 2, loss="softmax", at="each", seed=10)
    check_gradients(net, readout, batch(net, readout, B=2, T=3))


def test_gradient_of_a_masked_step_is_zero_for_the_readout() -> None:
    net = network_of("lstm")
    readout = Readout.create(net.hidden_size, 3, seed=1)
    xs, targets, _ = batch(net, readout)
    mask = np.zeros(targets.shape)
    mask[:, 0] = 1.0
    g = backprop.loss_and_gradients(net, readout, xs, targets, mask)
    changed = targets.copy()
    changed[:, 1:] = (changed[:, 1:] + 1) % 3  # targets of steps the mask leaves out
    g2 = backprop.loss_and_gradients(net, readout, xs, changed, mask)
    assert g.loss == g2.loss
    assert np.array_equal(g.readout["weights"], g2.readout["weights"])


def test_gradients_update_a_cell_with_dataclasses_replace() -> None:
    net = network_of("peephole")
    readout = Readout.create(net.hidden_size, 3, seed=2)
    data = batch(net, readout)
    g = backprop.loss_and_gradients(net, readout, *data)
    cell = net.layers[0].forward
    step = {field: {gate: cell_value - 0.1 * g.network[0][0][field][gate]
                    for gate, cell_value in getattr(cell, field).items()} for field in g.network[0][0]}
    moved = dataclasses.replace(cell, **step)
    assert loss_of(cells.Network((cells.Layer(moved),)), readout, data) < g.loss  # a small step downhill


# ----- against torch.autograd ----------------------------------------------------------------------


def _torch_case(kind: str):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    I, H, B, T = 3, 4, 2, 6
    cell = cells.initialise(kind, I, H, seed=3, scale=1.5)
    cell = with_hidden_biases(cell, rng)
    order = ("input", "forget", "candidate", "output") if kind == "lstm" else ("reset", "update", "candidate")
    kind_class = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    module = kind_class(I, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor(np.concatenate([cell.weights[g][:, H:] for g in order])))
        module.weight_hh_l0.copy_(torch.tensor(np.concatenate([cell.weights[g][:, :H] for g in order])))
        module.bias_ih_l0.copy_(torch.tensor(np.concatenate([cell.biases[g] for g in order])))
        module.bias_hh_l0.copy_(torch.tensor(np.concatenate([cell.hidden_biases[g] for g in order])))
    readout = Readout.create(H, 3, seed=4)
    xs = rng.normal(size=(B, T, I))
    targets = rng.integers(0, 3, (B, T))
    out, _ = module(torch.tensor(xs))
    logits = out @ torch.tensor(readout.weights).T + torch.tensor(readout.bias)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 3), torch.tensor(targets).reshape(-1))
    loss.backward()
    ours = backprop.loss_and_gradients(cells.Network((cells.Layer(cell),)), readout, xs, targets)
    assert ours.loss == pytest.approx(loss.item(), rel=1e-12)
    g = ours.network[0][0]
    np.testing.assert_allclose(np.concatenate([g["weights"][k][:, H:] for k in order]),
                               module.weight_ih_l0.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([g["weights"][k][:, :H] for k in order]),
                               module.weight_hh_l0.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([g["biases"][k] for k in order]),
                               module.bias_ih_l0.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.concatenate([g["hidden_biases"][k] for k in order]),
                               module.bias_hh_l0.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_lstm_gradients_match_torch_autograd() -> None:
    _torch_case("lstm")


def test_gru_torch_gradients_match_torch_autograd() -> None:
    _torch_case("gru_torch")


# ----- the readout's losses by hand -----------------------------------------------------------------


def test_losses_by_hand() -> None:
    from cells.learning.readout import accuracy, loss_and_gradient

    soft = Readout(np.zeros((4, 2)), np.zeros(4))
    value, dy = loss_and_gradient(soft, np.zeros((2, 4)), np.array([1, 3]))
    assert value == pytest.approx(np.log(4))  # uniform over 4 classes
    np.testing.assert_allclose(dy[0], [0.125, -0.375, 0.125, 0.125])  # (softmax - onehot) / 2 positions
    sig = Readout(np.zeros((1, 2)), np.zeros(1), loss="sigmoid")
    assert loss_and_gradient(sig, np.zeros((3, 1)), np.ones((3, 1)))[0] == pytest.approx(np.log(2))
    sq = Readout(np.zeros((2, 2)), np.zeros(2), loss="squared")
    assert loss_and_gradient(sq, np.array([[1.0, 3.0]]), np.array([[0.0, 1.0]]))[0] == pytest.approx(2.5)
    assert accuracy(sq, np.array([[0.05, 1.0], [0.5, 1.0]]), np.array([[0.0, 1.0], [0.0, 1.0]])) == 0.5
    with pytest.raises(ValueError, match="expected class indices from 0 to 3"):
        loss_and_gradient(soft, np.zeros((2, 4)), np.array([1, 4]))
    with pytest.raises(ValueError, match="readout loss: expected one of softmax, sigmoid, squared"):
        Readout(np.zeros((1, 2)), np.zeros(1), loss="hinge")
