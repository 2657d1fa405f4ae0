"""Attribution: gradients of a target against finite differences for every kind (bidirectional, stacked,
projected), integrated gradients' completeness, and the memory path against the trace's own gates."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from cells import presets
from cells.attribution import Target, connectivity, integrated_gradients, memory_path, remembered
from cells.files.parts import Head

KINDS = tuple(cells.KINDS)
T, I, H = 6, 3, 4


def value_of(network: cells.Network, xs: np.ndarray, target: Target, head: Head | None) -> float:
    """The target computed straight from the engine's fused run (nothing shared with the backward pass)."""
    run = network.run(xs)
    if target.output == "logit":
        return float(head.logits(run.output)[target.step, target.cls])
    return float(run.trace(target.layer, target.direction).values[target.output][target.step, target.unit])


def finite_differences(network: cells.Network, xs: np.ndarray, target: Target, head: Head | None,
                       eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(xs)
    for s in range(xs.shape[0]):
        for i in range(xs.shape[1]):
            up, down = xs.copy(), xs.copy()
            up[s, i] += eps
            down[s, i] -= eps
            grad[s, i] = (value_of(network, up, target, head) - value_of(network, down, target, head)) / (2 * eps)
    return grad


def setup(kind: str, layers: int = 1, bidirectional: bool = False, seed: int = 1, scale: float = 1.5
          ) -> tuple[cells.Network, np.ndarray, Head]:
    rng = np.random.default_rng(seed)
    net = cells.Network.create(kind, I, H, num_layers=layers, bidirectional=bidirectional, seed=seed, scale=scale)
    xs = rng.standard_normal((T, I))
    D = net.layers[-1].output_size
    return net, xs, Head(rng.standard_normal((5, D)), rng.standard_normal(5))


def memory_target(network: cells.Network, layer: int) -> str:
    return "cell" if network.layers[layer].forward.HAS_CELL else "hidden"


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_match_finite_differences_one_layer(kind: str) -> None:
    net, xs, head = setup(kind)
    for target in (Target(step=4), Target(step=3, output="hidden", unit=1, layer=0),
                   Target(step=5, output=memory_target(net, 0), unit=2, layer=0)):
        c = connectivity(net, xs, target, head=head)
        want = finite_differences(net, xs, c.target, head)
        np.testing.assert_allclose(c.gradient, want, rtol=0, atol=1e-7)
        np.testing.assert_allclose(c.norm, np.linalg.norm(want, axis=1), rtol=0, atol=1e-7)
        assert c.value == pytest.approx(value_of(net, xs, c.target, head), abs=1e-12)
        # A forward direction at t has read nothing after t.
        assert np.all(c.gradient[c.target.step + 1 :] == 0)
        assert np.any(c.norm[: c.target.step + 1] > 1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_match_finite_differences_stacked_bidirectional(kind: str) -> None:
    net, xs, head = setup(kind, layers=2, bidirectional=True, seed=2)
    targets = (Target(step=2), Target(step=2, output=memory_target(net, 0), unit=1, layer=0, direction="backward"),
               Target(step=3, output=memory_target(net, 1), unit=3, layer=-1, direction="forward"),
               Target(step=1, output="hidden", unit=0, layer=1, direction="backward"))
    for target in targets:
        c = connectivity(net, xs, target, head=head)
        np.testing.assert_allclose(c.gradient, finite_differences(net, xs, c.target, head), rtol=0, atol=1e-7)


@pytest.mark.parametrize("kind", ["lstm", "gru_torch", "lstmp"])
def test_a_backward_direction_depends_on_the_later_inputs(kind: str) -> None:
    net, xs, _ = setup(kind, bidirectional=True, seed=3)
    t = 2
    back = connectivity(net, xs, Target(step=t, output="hidden", unit=0, layer=0, direction="backward"))
    assert np.all(back.norm[:t] == 0) and np.all(back.norm[t:] > 0)
    fwd = connectivity(net, xs, Target(step=t, output="hidden", unit=0, layer=0, direction="forward"))
    assert np.all(fwd.norm[t + 1 :] == 0) and np.all(fwd.norm[: t + 1] > 0)
    # The gradient reaching the other direction's states is zero: it does not lead to the target.
    assert np.all(back.hidden[0][0] == 0) and np.all(fwd.hidden[0][1] == 0)


def test_the_projected_lstm_sizes_its_gradients_by_p_and_h() -> None:
    net, xs, head = setup("lstmp", seed=4)
    P = net.layers[0].forward.state_size
    c = connectivity(net, xs, Target(step=5, output="cell", unit=3, layer=0), head=head)
    assert P < H and c.hidden[0][0].shape == (T, P) and c.cell[0][0].shape == (T, H)
    with pytest.raises(ValueError, match=f"target unit: expected 0 to {P - 1}, got {P}"):
        connectivity(net, xs, Target(step=5, output="hidden", unit=P, layer=0))


def test_the_default_target_is_the_top_class_at_the_step() -> None:
    net, xs, head = setup("lstm", seed=5)
    logits = head.logits(net.run(xs).output)
    for t in range(T):
        c = connectivity(net, xs, Target(step=t), head=head)
        assert c.target.cls == int(np.argmax(logits[t]))
        assert c.value == pytest.approx(logits[t].max())
    assert connectivity(net, xs, Target(step=-1, cls=2), head=head).target.step == T - 1


def test_the_state_gradients_follow_the_forget_gates_where_nothing_else_carries_memory() -> None:
    """In the latch the gates do not read h, so ∂C_t/∂C_s is exactly f_{s+1}⋯f_t: the gradient's path is the
    memory path."""
    p = presets.preset("latch")
    net = p.build()
    xs = p.inputs().xs
    t = 9
    c = connectivity(net, xs, Target(step=t, output="cell", unit=0, layer=0))
    path = memory_path(net.run(xs).trace(0), t)
    np.testing.assert_allclose(c.path(0, "forward"), path, rtol=1e-9, atol=1e-12)
    assert path[t, 0] == 1.0 and np.all(path[t + 1 :] == 0)


@pytest.mark.parametrize("kind", KINDS)
def test_integrated_gradients_add_up_to_the_change(kind: str) -> None:
    net, xs, head = setup(kind, layers=2, bidirectional=kind in ("gru", "lstmp"), seed=6, scale=2.5)
    xs = 2.0 * xs
    for target in (Target(step=4), Target(step=5, output=memory_target(net, 0), unit=1, layer=0)):
        ig = integrated_gradients(net, xs, target, head=head)
        change = value_of(net, xs, ig.target, head) - value_of(net, np.zeros_like(xs), ig.target, head)
        assert ig.change == pytest.approx(change, abs=1e-12)
        assert abs(ig.total - ig.change) <= 0.01 * abs(ig.change)
        assert ig.error <= 0.01
        np.testing.assert_allclose(ig.per_step, ig.attributions.sum(axis=1))
        assert ig.total == pytest.approx(ig.per_step.sum())


def test_integrated_gradients_from_the_embedding_mean_and_from_given_inputs() -> None:
    net, xs, head = setup("gru", seed=7, scale=2.0)
    E = np.random.default_rng(0).standard_normal((10, I))
    ig = integrated_gradients(net, xs, Target(step=5), head=head, baseline="mean", embedding=E, steps=32)
    np.testing.assert_allclose(ig.baseline, np.repeat(E.mean(axis=0)[None], T, axis=0))
    assert ig.change == pytest.approx(value_of(net, xs, ig.target, head) - value_of(net, ig.baseline, ig.target, head))
    assert ig.error <= 0.01
    given = xs[::-1].copy()
    other = integrated_gradients(net, xs, Target(step=5), head=head, baseline=given)
    assert other.error <= 0.01 and np.all(other.baseline == given)
    # Steps where the input equals the baseline get nothing.
    same = xs.copy()
    same[:3] = 0.0
    zero = integrated_gradients(net, same, Target(step=5), head=head)
    assert np.all(zero.attributions[:3] == 0)


def test_integrated_gradients_stay_complete_through_saturated_gates() -> None:
    p = presets.preset("counter")
    net = p.build()
    xs = p.inputs().xs
    ig = integrated_gradients(net, xs, Target(step=len(xs) - 1, output="cell", unit=0, layer=0), steps=32)
    assert ig.change == pytest.approx(float(np.sum(xs[:, 0])), abs=1e-6)  # the count of a's
    assert ig.error <= 0.01
    # Each 'a' is worth about one count; 'b's are worth nothing.
    np.testing.assert_allclose(ig.per_step, xs[:, 0], atol=0.02)


@pytest.mark.parametrize("kind", KINDS)
def test_the_memory_path_is_the_product_of_the_kinds_keep_gate(kind: str) -> None:
    net, xs, _ = setup(kind, bidirectional=True, seed=8)
    run = net.run(xs)
    cls = cells.cell_class(kind)
    for direction in ("forward", "backward"):
        trace = run.trace(0, direction)
        for t in range(T):
            path = memory_path(trace, t)
            if cls.KEEP is None:
                assert path is None
                continue
            gate, sign = cls.KEEP
            keep = trace.values[gate] if sign > 0 else 1.0 - trace.values[gate]
            want = np.zeros((T, H))
            for s in range(T):
                if direction == "forward" and s <= t:
                    want[s] = np.prod(keep[s + 1 : t + 1], axis=0)
                elif direction == "backward" and s >= t:
                    want[s] = np.prod(keep[t:s], axis=0)
            np.testing.assert_allclose(path, want, rtol=1e-12, atol=0)


def test_the_memory_path_of_the_named_gates() -> None:
    """Spelled out per kind: the LSTM's f, the deck GRU's 1 - z, PyTorch's z."""
    rng = np.random.default_rng(9)
    xs = rng.standard_normal((5, 2))
    lstm = cells.initialise("lstm", 2, 3, seed=1).run(xs)
    np.testing.assert_allclose(memory_path(lstm, 4)[1], lstm.values["forget"][2:5].prod(axis=0))
    gru = cells.initialise("gru", 2, 3, seed=1).run(xs)
    np.testing.assert_allclose(memory_path(gru, 4)[1], (1 - gru.values["update"][2:5]).prod(axis=0))
    torch_gru = cells.initialise("gru_torch", 2, 3, seed=1).run(xs)
    np.testing.assert_allclose(memory_path(torch_gru, 4)[1], torch_gru.values["update"][2:5].prod(axis=0))


def test_what_a_unit_can_still_remember() -> None:
    counter = presets.preset("counter")
    trace = counter.build().run(counter.inputs().xs).trace(0)
    t = trace.steps - 1
    kept = remembered(memory_path(trace, t), 0, t)
    assert list(kept.steps) == list(range(trace.steps))  # f ≈ 1: every input is still there
    assert f"step 0 ('a') to step {t - 1}" in kept.sentence(list(counter.sequence))
    forget = presets.preset("forget")
    trace = forget.build().run(forget.inputs().xs).trace(0)
    kept = remembered(memory_path(trace, 5), 0, 5)
    assert list(kept.steps) == [5]  # f ≈ 0: only the current input
    assert "remembers only the current input" in kept.sentence()


def test_bad_requests_are_value_errors_that_say_what_was_wrong() -> None:
    net, xs, head = setup("gru", bidirectional=False, seed=10)
    with pytest.raises(ValueError, match="no head"):
        connectivity(net, xs, Target(step=1))
    with pytest.raises(ValueError, match="no cell state"):
        connectivity(net, xs, Target(step=1, output="cell", layer=0))
    with pytest.raises(ValueError, match="reads forward only"):
        connectivity(net, xs, Target(step=1, output="hidden", layer=0, direction="backward"))
    with pytest.raises(ValueError, match=r"target step: expected 0 to 5"):
        connectivity(net, xs, Target(step=6), head=head)
    with pytest.raises(ValueError, match="target class: expected 0 to 4"):
        connectivity(net, xs, Target(step=1, cls=7), head=head)
    with pytest.raises(ValueError, match=r"head: expected weights \(classes, 4\)"):
        connectivity(net, xs, Target(step=1), head=Head(np.ones((2, 3)), np.zeros(2)))
    with pytest.raises(ValueError, match=r"inputs: expected \(T, 3\)"):
        connectivity(net, xs[:, :2], Target(step=1), head=head)
    with pytest.raises(ValueError, match="baseline 'mean': this model has no embedding"):
        integrated_gradients(net, xs, Target(step=1), head=head, baseline="mean")
    with pytest.raises(ValueError, match=r"baseline: expected finite inputs of shape \(6, 3\)"):
        integrated_gradients(net, xs, Target(step=1), head=head, baseline=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="integration steps"):
        integrated_gradients(net, xs, Target(step=1), head=head, steps=0)
    with pytest.raises(ValueError, match="step: expected 0 to 5"):
        memory_path(net.run(xs).trace(0), 9)


def test_a_long_path_is_integrated_in_chunks_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import cells.attribution as attribution

    net, xs, head = setup("lstm", layers=2, seed=11, scale=2.0)
    whole = integrated_gradients(net, xs, Target(step=4), head=head, steps=16)
    monkeypatch.setattr(attribution, "PATH_BATCH", T * 2 * H * 3)  # three path points per pass
    chunked = integrated_gradients(net, xs, Target(step=4), head=head, steps=16)
    np.testing.assert_allclose(chunked.attributions, whole.attributions, rtol=0, atol=1e-14)
    assert chunked.change == pytest.approx(whole.change, abs=1e-14)


def test_a_cell_alone_is_read_as_a_one_layer_network() -> None:
    net, xs, _ = setup("gru_keras_v1", seed=12)
    target = Target(step=3, output="hidden", unit=2, layer=0)
    alone = connectivity(net.layers[0].forward, xs, target)
    np.testing.assert_allclose(alone.gradient, connectivity(net, xs, target).gradient)
    with pytest.raises(ValueError, match=r"expected a cells\.Network or a cells\.Cell, got str"):
        connectivity("lstm", xs, target)
