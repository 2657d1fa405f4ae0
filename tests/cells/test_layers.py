"""Bidirectional layers and stacks: what each direction reads, how it is stored, and how layers connect."""

from __future__ import annotations

import numpy as np
import pytest

import cells

KINDS = tuple(cells.KINDS)


def random_state(cell: cells.Cell, rng: np.random.Generator) -> cells.State:
    H, P = cell.hidden_size, cell.state_size  # h_t has P numbers (H but for a projection)
    return cells.State(rng.uniform(-1, 1, P), rng.normal(size=H) if cell.HAS_CELL else None)


def bidirectional(kind: str, input_size: int = 2, hidden_size: int = 3, seed: int = 0) -> cells.Layer:
    return cells.Layer(cells.initialise(kind, input_size, hidden_size, seed=seed),
                       cells.initialise(kind, input_size, hidden_size, seed=seed + 100))


# ----- the backward direction -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_backward_trace_is_stored_in_input_order(kind: str) -> None:
    rng = np.random.default_rng(1)
    layer = bidirectional(kind)
    xs = rng.normal(size=(6, 2))
    trace = layer.run(xs).backward
    assert trace.reverse and not layer.run(xs).forward.reverse
    assert np.array_equal(trace.inputs, xs)  # row t is token t ...
    for t in range(6):
        assert np.array_equal(trace.at(t).x, xs[t])
    # ... and equals what the backward cell computed when it read token t, i.e. after tokens T-1 .. t
    alone = layer.backward.run(xs[::-1])
    for name, v in trace.values.items():
        assert np.array_equal(v, alone.values[name][::-1]), name


@pytest.mark.parametrize("kind", KINDS)
def test_backward_previous_state_is_the_next_token_and_final_is_row_zero(kind: str) -> None:
    rng = np.random.default_rng(2)
    layer = bidirectional(kind)
    xs = rng.normal(size=(5, 2))
    start = random_state(layer.backward, rng)
    trace = layer.run(xs, (None, start)).backward
    h = trace.output
    for t in range(4):  # the backward cell read token t+1 just before token t
        assert np.array_equal(trace.previous_hidden[t], h[t + 1])
        assert np.array_equal(trace.concat[t], np.concatenate([h[t + 1], xs[t]]))
        assert np.array_equal(trace.at(t).previous.hidden, h[t + 1])
    assert np.array_equal(trace.previous_hidden[4], start.hidden)  # the last token is read first, from h0
    assert np.array_equal(trace.concat[4], np.concatenate([start.hidden, xs[4]]))
    assert np.array_equal(trace.final.hidden, h[0])  # the state after reading the whole sequence
    if layer.backward.HAS_CELL:
        c = trace.values["cell"]
        assert np.array_equal(trace.previous_cell[:4], c[1:])
        assert np.array_equal(trace.previous_cell[4], start.cell)
        assert np.array_equal(trace.final.cell, c[0])
        assert np.array_equal(trace.at(2).previous.cell, c[3])


def test_backward_step_record_explains_the_value() -> None:
    """The step record of a backward direction has what a student needs to redo the arithmetic."""
    layer = bidirectional("rnn", 2, 2, seed=3)
    xs = np.random.default_rng(3).normal(size=(4, 2))
    trace = layer.run(xs).backward
    W, b = layer.backward.weights["hidden"], layer.backward.biases["hidden"]
    for t in range(4):
        step = trace.at(t)
        np.testing.assert_allclose(step.pre["hidden"], W @ step.concat + b, rtol=0, atol=1e-14)
        np.testing.assert_allclose(step.values["hidden"], np.tanh(W @ step.concat + b), rtol=0, atol=1e-15)


def test_forward_and_backward_of_a_one_step_sequence_agree_with_their_cells() -> None:
    layer = bidirectional("lstm")
    x = np.array([[0.3, -0.8]])
    out = layer.run(x)
    assert np.array_equal(out.backward.output, layer.backward.run(x).output)
    assert np.array_equal(out.backward.final.hidden, out.backward.output[0])
    assert np.array_equal(out.forward.final.hidden, out.forward.output[0])


# ----- layers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_bidirectional_output_is_forward_then_backward(kind: str) -> None:
    layer = bidirectional(kind, 2, 3)
    xs = np.random.default_rng(4).normal(size=(5, 2))
    out = layer.run(xs)
    P = layer.forward.state_size  # 3, but for a projection
    assert layer.bidirectional and layer.output_size == 2 * P
    assert out.output.shape == (5, 2 * P)
    assert np.array_equal(out.output[:, :P], out.forward.output)
    assert np.array_equal(out.output[:, P:], out.backward.output)
    assert out.directions == (out.forward, out.backward)
    assert np.array_equal(out.forward.output, layer.forward.run(xs).output)


def test_forward_only_layer() -> None:
    cell = cells.initialise("gru", 2, 3, seed=5)
    layer = cells.Layer(cell)
    xs = np.random.default_rng(5).normal(size=(4, 2))
    out = layer.run(xs)
    assert out.backward is None and not layer.bidirectional and layer.output_size == 3
    assert out.directions == (out.forward,)
    assert np.array_equal(out.output, cell.run(xs).output)


def test_layer_initial_states_go_to_their_direction() -> None:
    layer = bidirectional("lstm")
    rng = np.random.default_rng(6)
    xs = rng.normal(size=(4, 2))
    f0, b0 = random_state(layer.forward, rng), random_state(layer.backward, rng)
    out = layer.run(xs, (f0, b0))
    assert np.array_equal(out.forward.output, layer.forward.run(xs, f0).output)
    assert np.array_equal(out.backward.output, layer.backward.run(xs[::-1], b0).output[::-1])
    assert not np.array_equal(out.backward.output, layer.run(xs).backward.output)


# ----- stacks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bi", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_each_layer_reads_the_output_below(kind: str, bi: bool) -> None:
    net = cells.Network.create(kind, 3, 4, num_layers=3, bidirectional=bi, seed=7)
    xs = np.random.default_rng(7).normal(size=(6, 3))
    run = net.run(xs)
    assert len(run.layers) == 3
    assert np.array_equal(run.layers[0].forward.inputs, xs)
    for k in (1, 2):
        below = run.layers[k - 1].output
        P = net.layers[k - 1].forward.state_size  # 4, but for a projection
        assert below.shape == (6, 2 * P if bi else P)
        for direction in run.layers[k].directions:
            assert np.array_equal(direction.inputs, below)
        assert np.array_equal(run.layers[k].output, net.layers[k].run(below).output)
    assert np.array_equal(run.output, run.layers[-1].output)
    assert (net.input_size, net.hidden_size, net.bidirectional, net.kind) == (3, 4, bi, kind)


def test_stacked_cells_all_get_their_own_weights() -> None:
    net = cells.Network.create("lstm", 4, 4, num_layers=2, bidirectional=True, seed=1)
    Ws = [cell.weights["forget"] for layer in net.layers for cell in layer.cells]
    Ws[2:] = [W[:, :8] for W in Ws[2:]]  # layer 1 reads 8 numbers; compare the same-sized block
    assert len(Ws) == 4
    for a in range(4):
        for b in range(a + 1, 4):
            assert not np.array_equal(Ws[a], Ws[b]), (a, b)


def test_network_create_is_seeded() -> None:
    a, b, c = (cells.Network.create("gru", 2, 3, num_layers=2, bidirectional=True, seed=s) for s in (4, 4, 5))
    xs = np.random.default_rng(8).normal(size=(5, 2))
    assert np.array_equal(a.run(xs).output, b.run(xs).output)
    assert not np.array_equal(a.run(xs).output, c.run(xs).output)


def test_network_initial_states_follow_pytorch_order() -> None:
    """One state per layer and direction: layer 0 forward, layer 0 backward, layer 1 forward, layer 1 backward."""
    net = cells.Network.create("lstm", 2, 3, num_layers=2, bidirectional=True, seed=2)
    rng = np.random.default_rng(9)
    xs = rng.normal(size=(4, 2))
    states = [random_state(cell, rng) for layer in net.layers for cell in layer.cells]
    run = net.run(xs, states)
    l0 = net.layers[0].run(xs, states[:2])
    l1 = net.layers[1].run(l0.output, states[2:])
    assert np.array_equal(run.layers[0].output, l0.output)
    assert np.array_equal(run.output, l1.output)
    assert np.array_equal(run.layers[1].backward.previous_hidden[-1], states[3].hidden)


def test_mixed_stacks_report_their_kind() -> None:
    net = cells.Network((cells.Layer(cells.initialise("lstm", 2, 3)), cells.Layer(cells.initialise("gru", 3, 3))))
    assert net.kind == "mixed"
    run = net.run(np.ones((3, 2)))
    assert (run.layers[0].forward.kind, run.layers[1].forward.kind) == ("lstm", "gru")
    assert cells.Network([cells.Layer(cells.initialise("rnn", 2, 2))]).kind == "rnn"  # a list is taken too


def test_network_trace_picks_a_layer_and_direction_by_name() -> None:
    xs = np.random.default_rng(0).normal(size=(5, 2))
    run = cells.Network.create("gru", 2, 3, num_layers=2, bidirectional=True, seed=1).run(xs)
    assert run.trace(1, "backward") is run.layers[1].backward and run.trace(1, "backward").reverse
    assert run.trace(0) is run.layers[0].forward and run.trace(0, "forward") is run.layers[0].forward
    one_way = cells.Network.create("lstm", 2, 3, seed=1).run(xs)
    assert one_way.trace(0, "backward") is one_way.layers[0].forward  # a forward-only layer has one trace
    with pytest.raises(ValueError, match=r"^direction: expected 'forward' or 'backward', got 'sideways'$"):
        run.trace(0, "sideways")
    with pytest.raises(ValueError, match=r"^layer: expected 0 to 1, got 2$"):
        run.trace(2, "forward")
