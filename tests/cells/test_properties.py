"""Properties that hold for any weights and inputs, checked on random ones, and the numerics at the extremes."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cells
from cells import activations, gate_info

KINDS = tuple(cells.KINDS)
LSTM_KINDS = tuple(k for k, c in cells.KINDS.items() if c.FAMILY == "lstm")
MIXING_KINDS = tuple(k for k, c in cells.KINDS.items() if c.KEEP is not None and not c.HAS_CELL)  # GRUs, the MGU
SETTINGS = settings(max_examples=60, deadline=None)


def floats(limit: float) -> st.SearchStrategy[float]:
    return st.floats(-limit, limit, allow_nan=False, allow_infinity=False)


@st.composite
def cell_params(draw: st.DrawFn, kind: str, input_size: int, hidden_size: int, weight: st.SearchStrategy[float],
                bias: st.SearchStrategy[float]) -> cells.Cell:
    """A cell of ``kind`` with every weight drawn from ``weight`` and every bias from ``bias``
    (and, for a kind with a projection, an h_t of 1 to H numbers)."""
    cls, H, I = cells.cell_class(kind), hidden_size, input_size
    P = draw(st.integers(1, H)) if cls.PROJECTED else H

    def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float], gates: tuple[str, ...] = cls.GATES
               ) -> dict[str, np.ndarray]:
        return {g: draw(hnp.arrays(np.float64, shape, elements=elements)) for g in gates}

    extra: dict[str, dict[str, np.ndarray]] = {}
    for field, gates in cls.EXTRA.items():  # the peepholes, a projection
        extra[field] = arrays(cls.extra_shape(field, H, P), weight, gates)
    if kind == "gru_torch" and draw(st.booleans()):
        extra["hidden_biases"] = arrays((H,), bias)
    return cls(weights=arrays((H, P + I), weight), biases=arrays((H,), bias), **extra)


@st.composite
def cases(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS, scale: float = 10.0, bias_scale: float | None = None,
          input_scale: float = 10.0) -> tuple[cells.Cell, np.ndarray, cells.State]:
    """A random cell (weights up to ``scale``), a sequence and a starting state."""
    kind = draw(st.sampled_from(kinds))
    H, I, T = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 6))
    bias = floats(scale if bias_scale is None else bias_scale)
    cell = draw(cell_params(kind, I, H, floats(scale), bias))
    xs = draw(hnp.arrays(np.float64, (T, I), elements=floats(input_scale)))
    h0 = draw(hnp.arrays(np.float64, (cell.state_size,), elements=floats(1.0)))
    c0 = draw(hnp.arrays(np.float64, (H,), elements=floats(5.0))) if cell.HAS_CELL else None
    return cell, xs, cells.State(h0, c0)


def check_ranges(trace: cells.Trace, tol: float = 0.0) -> None:
    for name, v in trace.values.items():
        assert np.all(np.isfinite(v)), name
        kind = gate_info(trace.family, name).range
        if kind == "sigmoid":
            assert np.all((v >= -tol) & (v <= 1 + tol)), (name, v)
        elif kind == "tanh":
            assert np.all(np.abs(v) <= 1 + tol), (name, v)


# ----- ranges -----------------------------------------------------------------------------------


@SETTINGS
@given(cases())
def test_gates_and_hidden_state_stay_in_their_ranges(case: tuple) -> None:
    cell, xs, state = case
    trace = cell.run(xs, state)
    check_ranges(trace)
    if gate_info(trace.family, "hidden").range == "tanh":  # h_t of a projection is W_hr·m_t, not squashed
        assert np.all(np.abs(trace.output) <= 1.0)
    for g in cell.SIGMOID:
        assert np.all((trace.values[g] >= 0) & (trace.values[g] <= 1)), g


@SETTINGS
@given(cases(), st.sampled_from([np.float32, np.float64]))
def test_gates_stay_in_range_in_float32_too(case: tuple, dtype: type) -> None:
    cell, xs, state = case
    trace = cell.astype(dtype).run(xs, state)
    check_ranges(trace)
    assert trace.output.dtype == dtype


@SETTINGS
@given(cases(LSTM_KINDS))
def test_lstm_cell_state_grows_by_at_most_one_per_step(case: tuple) -> None:
    """C_t = f_t*C_{t-1} + i_t*C̃_t with f, i in [0, 1] and |C̃| <= 1, so |C_t| <= |C_{t-1}| + 1."""
    cell, xs, state = case
    trace = cell.run(xs, state)
    bound = np.abs(trace.previous_cell) + 1
    assert np.all(np.abs(trace.values["cell"]) <= bound * (1 + 1e-15)), (trace.values["cell"], trace.previous_cell)


@SETTINGS
@given(cases(MIXING_KINDS))
def test_gru_hidden_state_lies_between_old_state_and_candidate(case: tuple) -> None:
    """Every GRU form (and the MGU) mixes h_{t-1} and h̃_t with weights z and 1 - z, so h_t lies between them."""
    cell, xs, state = case
    trace = cell.run(xs, state)
    old, new, h = trace.previous_hidden, trace.values["candidate"], trace.output
    assert np.all(h >= np.minimum(old, new) - 1e-12), (old, new, h)
    assert np.all(h <= np.maximum(old, new) + 1e-12), (old, new, h)


# ----- the recorded numbers explain each other --------------------------------------------------


def ref_sigmoid(a: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -a))  # 1 / (1 + e^{-a}) without overflow


@SETTINGS
@given(cases(("lstm", "coupled", "gru", "gru_keras_v1", "rnn")))
def test_pre_activations_are_the_weights_times_the_recorded_concatenation(case: tuple) -> None:
    """What a step view shows: W_g·[h_{t-1}, x_t] + b_g gives the recorded argument, σ or tanh of it the gate."""
    cell, xs, state = case
    trace = cell.run(xs, state)
    H = cell.hidden_size
    for g in cell.GATES:
        concat = trace.concat.copy()
        if cell.FAMILY == "gru" and g == "candidate":
            concat[:, :H] = trace.values["reset_hidden"]  # the deck's reset acts before the product
        want = concat @ cell.weights[g].T + cell.biases[g]
        np.testing.assert_allclose(trace.pre[g], want, rtol=1e-12, atol=1e-11, err_msg=g)
        squash = ref_sigmoid if g in cell.SIGMOID else np.tanh
        np.testing.assert_allclose(trace.values[g], squash(trace.pre[g]), rtol=0, atol=1e-15, err_msg=g)


# ----- layers and stacks ------------------------------------------------------------------------


@st.composite
def two_cells(draw: st.DrawFn, same_width: bool = True) -> tuple[cells.Cell, cells.Cell, np.ndarray]:
    cell, xs, _ = draw(cases(scale=5.0))
    I = cell.input_size if same_width else cell.state_size
    other = draw(cell_params(draw(st.sampled_from(KINDS)), I, cell.hidden_size, floats(5.0), floats(5.0)))
    return cell, other, xs


@SETTINGS
@given(cases())
def test_backward_direction_is_the_cell_run_on_the_reversed_sequence(case: tuple) -> None:
    cell, xs, _ = case
    forward = cells.initialise(cell.KIND, cell.input_size, cell.hidden_size, seed=0, state_size=cell.state_size)
    trace = cells.Layer(forward, cell).run(xs).backward
    alone = cell.run(xs[::-1])
    assert trace.reverse
    for name in alone.values:
        assert np.array_equal(trace.values[name], alone.values[name][::-1]), name
    for name in alone.pre:
        assert np.array_equal(trace.pre[name], alone.pre[name][::-1]), name
    assert np.array_equal(trace.final.hidden, alone.final.hidden)


@SETTINGS
@given(cases())
def test_one_layer_network_is_its_layer(case: tuple) -> None:
    cell, xs, state = case
    run = cells.Network((cells.Layer(cell),)).run(xs, [state])
    alone = cell.run(xs, state)
    assert len(run.layers) == 1
    assert np.array_equal(run.output, alone.output)
    for name in alone.values:
        assert np.array_equal(run.layers[0].forward.values[name], alone.values[name]), name


@SETTINGS
@given(two_cells(same_width=False), st.booleans())
def test_second_layer_reads_the_first_layers_output(pair: tuple, bi: bool) -> None:
    bottom, top, xs = pair
    first = cells.Layer(bottom, bottom) if bi else cells.Layer(bottom)
    if bi:  # the top layer reads both directions: 2H numbers per step
        H, I = top.hidden_size, 2 * bottom.state_size
        top = cells.initialise(top.KIND, I, H, seed=1, scale=3.0, state_size=top.state_size)
    run = cells.Network((first, cells.Layer(top))).run(xs)
    below = run.layers[0].output
    assert below.shape == (len(xs), (2 if bi else 1) * bottom.state_size)
    assert np.array_equal(run.layers[1].forward.inputs, below)
    assert np.array_equal(run.output, top.run(below).output)


# ----- numerics at the extremes -----------------------------------------------------------------

HUGE = (-1e300, -1e6, 0.0, 1e6, 1e300)


@settings(max_examples=80, deadline=None)
@given(cases(scale=1e6, bias_scale=0.0).flatmap(
    lambda case: st.tuples(st.just(case), st.dictionaries(st.sampled_from(case[0].GATES), st.sampled_from(HUGE)))))
def test_huge_pre_activations_give_finite_gates_without_warnings(case_and_biases: tuple) -> None:
    (cell, xs, state), huge = case_and_biases
    H = cell.hidden_size
    cell = dataclasses.replace(cell, biases={g: np.full(H, huge.get(g, 0.0)) for g in cell.GATES})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = cell.run(xs, state)
    check_ranges(trace)
    for g, b in huge.items():
        if abs(b) == 1e300 and g in cell.SIGMOID:
            assert np.all(trace.values[g] == (1.0 if b > 0 else 0.0)), (g, trace.values[g])  # σ saturates cleanly


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("kind", KINDS)
def test_extreme_biases_and_weights_for_every_kind(kind: str, sign: float) -> None:
    cell = cells.initialise(kind, 3, 4, seed=1)
    params = {"weights": {g: np.where(np.arange(7) % 2, 1e6, -1e6) * np.ones((4, 1)) for g in cell.GATES},
              "biases": {g: np.full(4, sign * 1e300) for g in cell.GATES}}
    for field, gates in cell.EXTRA.items():
        params[field] = {g: np.full((4, 4), -sign * 1e6) for g in gates}
    if kind == "gru_torch":
        params["hidden_biases"] = {g: np.full(4, sign * 1e300) for g in cell.GATES}
    cell = dataclasses.replace(cell, **params)
    xs = np.random.default_rng(0).normal(size=(6, 3)) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = cell.run(xs)
        state, record = cell.step(xs[0])
    check_ranges(trace)
    for g in cell.SIGMOID:
        assert np.all(trace.values[g] == (1.0 if sign > 0 else 0.0)), g
    assert all(np.all(np.isfinite(v)) for v in record.values.values())
    assert np.all(np.isfinite(state.hidden))


def test_sigmoid_matches_its_definition() -> None:
    a = np.linspace(-30, 30, 600_001)
    want = np.array([1.0 / (1.0 + math.exp(-v)) for v in a[::50]])
    got = activations.sigmoid(a)
    assert np.max(np.abs(got[::50] - want)) <= 1e-15
    np.testing.assert_allclose(got, 1.0 / (1.0 + np.exp(-a)), rtol=0, atol=1e-15)
    assert activations.sigmoid(np.array([0.0]))[0] == 0.5
    assert np.all(np.diff(got) >= 0)  # never decreasing


def test_sigmoid_and_tanh_saturate_silently() -> None:
    a = np.array([-1e308, -1e300, -800.0, 800.0, 1e300, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, t = activations.sigmoid(a), activations.tanh(a)
    assert np.array_equal(s, [0, 0, 0, 1, 1, 1])
    assert np.array_equal(t, [-1, -1, -1, 1, 1, 1])


def test_sigmoid_in_float32() -> None:
    a = np.linspace(-30, 30, 1201, dtype=np.float32)
    got = activations.sigmoid(a)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, 1.0 / (1.0 + np.exp(-a.astype(np.float64))), rtol=0, atol=2e-7)
