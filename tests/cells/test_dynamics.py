"""State space and fixed points: PCA against NumPy's SVD, fixed points of hand-built systems with known answers
(tanh(2h), the latch's and the counter's line of fixed points), and what the shipped first-bit models settle into."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cells
from cells import presets
from cells.dynamics import (
    first_bit_settling,
    fixed_points,
    pca,
    settle,
    start_states,
    step_map,
    time_constant,
    trajectory_states,
)
from cells.learning.train import load_model

PRETRAINED = Path(__file__).parents[2] / "assets" / "pretrained"
KINDS = tuple(cells.KINDS)


def svd_reference(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Xc = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Vt[:k], (s**2 / np.sum(s**2))[:k], Xc @ Vt[:k].T


@pytest.mark.parametrize(("N", "D", "k"), [(500, 20, 2), (300, 12, 3), (8, 40, 3)])
def test_pca_matches_numpys_svd(N: int, D: int, k: int) -> None:
    rng = np.random.default_rng(N)
    X = rng.standard_normal((N, D)) @ np.diag(np.linspace(3, 0.1, D)) @ np.linalg.qr(rng.standard_normal((D, D)))[0]
    X += rng.standard_normal(D)
    proj = pca(X, k)
    Vt, share, coords = svd_reference(X, k)
    signs = np.sign(np.sum(proj.components * Vt, axis=1))  # a component's sign is a convention
    assert np.all(np.abs(signs) == 1)
    np.testing.assert_allclose(proj.components, signs[:, None] * Vt, atol=1e-8)
    np.testing.assert_allclose(proj.explained, share, rtol=1e-9)
    np.testing.assert_allclose(proj.coordinates[0], coords * signs, atol=1e-8)
    np.testing.assert_allclose(proj.project(X), proj.coordinates[0], atol=1e-10)
    assert np.all(np.diff(proj.explained) <= 0) and proj.explained.sum() <= 1 + 1e-12
    # The sign is fixed: the largest loading of each component is positive.
    assert np.all(proj.components[np.arange(k), np.argmax(np.abs(proj.components), axis=1)] > 0)


def test_two_runs_share_one_projection() -> None:
    rng = np.random.default_rng(1)
    lstm, xs = cells.initialise("lstm", 3, 6, seed=2), rng.standard_normal((40, 3))
    a, b = lstm.run(xs), lstm.run(xs[::-1])
    both = pca([a, b], 3, state="cell")
    alone = pca(np.concatenate([a.values["cell"], b.values["cell"]]), 3)
    assert [c.shape for c in both.coordinates] == [(40, 3), (40, 3)]
    np.testing.assert_allclose(np.concatenate(both.coordinates), alone.coordinates[0])
    np.testing.assert_allclose(both.explained, alone.explained)


def test_pca_with_fewer_dimensions_than_components_and_bad_runs() -> None:
    rnn = cells.RNN(weights={"hidden": np.array([[0.5, 1.0]])}, biases={"hidden": np.zeros(1)})
    trace = rnn.run(np.linspace(-1, 1, 9)[:, None])
    proj = pca(trace, 3)
    assert proj.explained[0] == pytest.approx(1.0) and np.all(proj.explained[1:] == 0)
    assert np.all(proj.coordinates[0][:, 1:] == 0)
    with pytest.raises(ValueError, match="has no cell state"):
        pca(trace, 2, state="cell")
    with pytest.raises(ValueError, match="one projection needs states of one width, got 1, 4"):
        pca([trace, np.zeros((5, 4))], 2)
    with pytest.raises(ValueError, match="components: expected 1 to 10"):
        pca(trace, 0)


def tanh_2h() -> cells.RNN:
    """The one-unit plain RNN h <- tanh(2h) (its input column has weight 0)."""
    return cells.RNN(weights={"hidden": np.array([[2.0, 0.0]])}, biases={"hidden": np.zeros(1)})


def test_the_one_unit_rnn_tanh_2h_has_three_fixed_points() -> None:
    found = fixed_points(tanh_2h(), None, n_starts=32, seed=0)
    by_place = sorted(found.points, key=lambda p: float(p.hidden[0]))
    assert len(by_place) == 3
    low, zero, high = by_place
    assert zero.hidden[0] == pytest.approx(0.0, abs=1e-8)
    assert not zero.stable and zero.eigenvalues[0] == pytest.approx(2.0)
    for p, sign in ((low, -1), (high, 1)):
        h = float(p.hidden[0])
        assert h == pytest.approx(sign * 0.9575, abs=5e-5) and np.tanh(2 * h) == pytest.approx(h, abs=1e-9)
        assert p.stable and p.eigenvalues[0] == pytest.approx(2 * (1 - h * h))  # ∂tanh(2h)/∂h at h*
        assert p.residual <= found.tol and p.cell is None
    assert sum(p.starts for p in found.points) == found.converged


@pytest.mark.parametrize(("name", "x"), [("latch", [0.0, 0.0]), ("latch", [0.7, 0.0]), ("counter", [0.0, 0.0]),
                                         ("counter", [0.0, 1.0])])
def test_latch_and_counter_without_a_marker_keep_any_cell_state(name: str, x: list[float]) -> None:
    """With no marker (or a 'b' for the counter) every C is kept: a line of fixed points, eigenvalue ≈ 1 along it."""
    cell = presets.preset(name).build().layers[0].forward
    kept = np.array([-3.0, -1.0, -0.2, 0.4, 1.5, 2.5])
    starts = np.array([[np.tanh(c), c] for c in kept])  # o ≈ 1, so h = tanh(C) on the line
    found = fixed_points(cell, np.array(x), starts=starts)
    assert len(found.points) == len(kept) and found.converged == len(kept)
    np.testing.assert_allclose(sorted(float(p.cell[0]) for p in found.points), kept, atol=1e-6)
    for p in found.points:
        assert abs(p.eigenvalues[0] - 1.0) < 1e-6 and p.stable
        assert len(p.slow()) == 1
        c = float(p.cell[0])
        tangent = np.array([1.0 - np.tanh(c) ** 2, 1.0])  # d/dC of (tanh C, C): the line itself
        direction = p.slow_directions()[:, 0]
        assert abs(direction @ tangent) / np.linalg.norm(tangent) == pytest.approx(1.0, abs=1e-6)
    # Random starts land all along the line: the search keeps finding new points.
    spread = fixed_points(cell, np.array(x), n_starts=20, seed=3)
    assert len(spread.points) >= 15


def test_a_marker_collapses_the_line_to_one_point() -> None:
    cell = presets.preset("latch").build().layers[0].forward
    found = fixed_points(cell, np.array([0.7, 1.0]), n_starts=20, seed=1)
    assert len(found.points) == 1
    p = found.points[0]
    assert p.cell[0] == pytest.approx(np.tanh(0.7), abs=1e-6) and p.stable and p.spectral_radius < 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_returns_states_that_one_step_of_the_engine_keeps(kind: str) -> None:
    cell = cells.initialise(kind, 3, 6, seed=4, scale=2.0)
    x = np.random.default_rng(4).standard_normal(3)
    found = fixed_points(cell, x, n_starts=24, seed=2)
    assert found.points and found.converged > 0
    P = cell.state_size
    for p in found.points:
        assert p.state.shape == (P + (cell.hidden_size if cell.HAS_CELL else 0),)
        new, _ = cell.step(x, cells.State(p.hidden, p.cell))  # the engine's fused step, not the search's map
        again = np.concatenate([new.hidden, new.cell]) if cell.HAS_CELL else new.hidden
        np.testing.assert_allclose(again, p.state, atol=1e-7)
        assert p.stable == bool(np.all(np.abs(p.eigenvalues) < 1))
        assert np.all(np.diff(np.abs(p.eigenvalues)) <= 1e-12)
        _, J = step_map(cell, x, p.state[None])
        np.testing.assert_allclose(J[0] @ p.eigenvectors, p.eigenvectors * p.eigenvalues, atol=1e-8)


def test_starts_from_a_trajectory_progress_and_stop() -> None:
    cell = cells.initialise("gru", 2, 8, seed=5, scale=3.0)
    trace = cell.run(np.random.default_rng(5).standard_normal((30, 2)))
    seen: list[float] = []
    found = fixed_points(cell, np.zeros(2), starts=trace, n_starts=10, progress=seen.append)
    assert found.starts == 10 and seen and seen[-1] == 1.0 and seen == sorted(seen)
    calls = []
    stopped = fixed_points(cell, np.zeros(2), starts=trace, stop=lambda: calls.append(1) or len(calls) > 1)
    assert stopped.stopped and stopped.iterations == 2
    assert trajectory_states(trace).shape == (30, 8)
    with pytest.raises(ValueError, match=r"starts: expected states of 8 numbers each"):
        fixed_points(cell, np.zeros(2), starts=np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"input: expected 2 finite numbers"):
        fixed_points(cell, np.zeros(3))


def test_the_latch_run_settles_on_its_last_marked_value() -> None:
    p = presets.preset("latch")
    net = p.build()
    trace = net.run(p.inputs().xs).trace(0)
    s = settle(net.layers[0].forward, np.zeros(2), [trace], names=["of the preset"], held=50)
    end = s.found.points[s.ends[0]]
    assert end.cell[0] == pytest.approx(trace.values["cell"][-1, 0], abs=1e-6)


@pytest.mark.parametrize("name", ["first_bit_lstm", "first_bit_gru"])
def test_the_shipped_first_bit_models_settle_into_one_stable_point_per_bit(name: str) -> None:
    """The finding a lesson quotes: two stable fixed points under the mean input, one per remembered bit (the head
    reads that bit there), and an unstable one; each bit's run settles into its own."""
    s = first_bit_settling(load_model(PRETRAINED / f"{name}.npz"))
    assert len(s.stable) == 2
    assert len(s.found.points) - len(s.stable) >= 1
    assert None not in s.ends and s.ends[0] != s.ends[1]
    assert [s.reads(k) for k in s.ends] == ["0", "1"]
    assert all(s.found.points[k].stable for k in s.ends)
    text = s.summary()
    assert "2 stable" in text and "where the head reads '0'" in text and "where the head reads '1'" in text
    assert time_constant(s.found.points[s.ends[0]].spectral_radius) > 1


def test_start_states_take_each_run_evenly_then_random_states_in_the_unit_box() -> None:
    cell = cells.Network.create("lstm", 2, 3, seed=1).layers[0].forward
    rng = np.random.default_rng(0)
    runs = [cell.run(rng.standard_normal((T, 2))) for T in (10, 200)]
    s = start_states(cell, runs, per_run=64, random=5, seed=2)
    assert s.shape == (10 + 64 + 5, 6)  # a short run whole, a long one at 64 steps, then 5 random
    np.testing.assert_array_equal(s[:10], trajectory_states(runs[0]))
    np.testing.assert_array_equal(s[10], trajectory_states(runs[1])[0])
    np.testing.assert_array_equal(s[73], trajectory_states(runs[1])[-1])
    assert np.all(np.abs(s[74:]) <= 1.0)
    with pytest.raises(ValueError, match="expected states of 6 numbers"):
        other = cells.Network.create("lstm", 2, 4, seed=1).layers[0].forward
        start_states(cell, [other.run(rng.standard_normal((3, 2)))])
