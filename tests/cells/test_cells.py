"""The cells against arithmetic done by hand, step against run, what a Trace records, and the initialisers.

The hand computations use only ``math.exp`` and ``math.tanh`` on Python floats, so they are independent of
``cells.activations`` and of every matrix product the engine does.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import cells
from cells import gate_info

KINDS = tuple(cells.KINDS)
HAND_TOL = 1e-14  # a few ulps of values of order 1 after three steps


def sig(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def col(*values: float) -> np.ndarray:
    """A (T, 1) input sequence."""
    return np.array(values, dtype=np.float64)[:, None]


def scalar_cell(cls: type[cells.Cell], weights: dict, biases: dict, **extra: dict) -> cells.Cell:
    """A one-unit, one-input cell from ``{gate: (w_h, w_x)}`` and ``{gate: b}``."""
    return cls(
        weights={g: np.array([w]) for g, w in weights.items()},
        biases={g: np.array([b]) for g, b in biases.items()},
        **{k: {g: np.full((1,) if k == "hidden_biases" else (1, 1), v) for g, v in d.items()}  # or peepholes
           for k, d in extra.items()},
    )


def assert_step_matches(trace: cells.Trace, t: int, pre: dict[str, float], values: dict[str, float]) -> None:
    assert set(trace.pre) == set(pre)
    assert set(trace.values) == set(values)
    for name, want in pre.items():
        assert abs(trace.pre[name][t, 0] - want) <= HAND_TOL, (t, "pre", name, trace.pre[name][t, 0], want)
    for name, want in values.items():
        assert abs(trace.values[name][t, 0] - want) <= HAND_TOL, (t, name, trace.values[name][t, 0], want)


def all_params(cell: cells.Cell) -> dict[str, dict[str, np.ndarray]]:
    """Every parameter mapping of a cell (weights, biases, and hidden_biases/peepholes when set)."""
    return {f.name: getattr(cell, f.name) for f in dataclasses.fields(cell) if isinstance(getattr(cell, f.name), dict)}


def zero_cell(kind: str, input_size: int = 3, hidden_size: int = 2) -> cells.Cell:
    cell = cells.initialise(kind, input_size, hidden_size, seed=5)
    return dataclasses.replace(cell, **{k: {g: np.zeros_like(v) for g, v in d.items()}
                                        for k, d in all_params(cell).items()})


# ----- all-zero parameters --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_zero_weights_give_half_open_gates_and_zero_states(kind: str) -> None:
    cell = zero_cell(kind)
    xs = np.random.default_rng(0).normal(size=(5, 3)) * 4
    trace = cell.run(xs)
    for name, pre in trace.pre.items():
        assert np.array_equal(pre, np.zeros((5, 2))), name
    sigmoid_names = [n for n in trace.values if gate_info(trace.family, n).range == "sigmoid"]
    assert set(cell.SIGMOID) <= set(sigmoid_names)
    for name, v in trace.values.items():
        want = 0.5 if name in sigmoid_names else 0.0  # every σ gate is exactly 1/2, every tanh and state 0
        width = cell.state_size if name == "hidden" else 2  # h_t of a projection has P numbers
        assert np.array_equal(v, np.full((5, width), want)), (name, v)


# ----- the LSTM family by hand ------------------------------------------------------------------

LSTM_W = {"forget": (0.5, -0.3), "input": (0.2, 0.8), "output": (-0.4, 0.6), "candidate": (0.7, -0.5)}  # (w_h, w_x)
LSTM_B = {"forget": 0.1, "input": -0.2, "output": 0.3, "candidate": 0.05}
XS = (1.0, -0.5, 2.0)


def test_one_unit_lstm_first_step_written_out() -> None:
    trace = scalar_cell(cells.LSTM, LSTM_W, LSTM_B).run(col(*XS))
    # t = 0, h_{-1} = C_{-1} = 0, x = 1: each argument is w_x·1 + b
    f, i, o, g = sig(-0.3 + 0.1), sig(0.8 - 0.2), sig(0.6 + 0.3), math.tanh(-0.5 + 0.05)
    c = f * 0.0 + i * g
    assert_step_matches(
        trace, 0,
        {"forget": -0.2, "input": 0.6, "output": 0.9, "candidate": -0.45},
        {"forget": f, "input": i, "output": o, "candidate": g, "cell": c, "cell_tanh": math.tanh(c),
         "hidden": o * math.tanh(c)},
    )


def lstm_by_hand(xs: tuple[float, ...], h: float = 0.0, c: float = 0.0, peep: tuple[float, float, float] = (0, 0, 0)
                 ) -> list[tuple[dict[str, float], dict[str, float]]]:
    """Each step's pre-activations and values, from the deck's equations (peep = P_f, P_i, P_o)."""
    p_f, p_i, p_o = peep
    steps = []
    for x in xs:
        pre = {g: w_h * h + w_x * x + LSTM_B[g] for g, (w_h, w_x) in LSTM_W.items()}
        pre["forget"] += p_f * c  # the peepholes see C_{t-1} ...
        pre["input"] += p_i * c
        f, i, g = sig(pre["forget"]), sig(pre["input"]), math.tanh(pre["candidate"])
        c = f * c + i * g  # C_t = f_t*C_{t-1} + i_t*C̃_t
        pre["output"] += p_o * c  # ... and o_t sees C_t
        o = sig(pre["output"])
        h = o * math.tanh(c)  # h_t = o_t*tanh(C_t)
        steps.append((pre, {"forget": f, "input": i, "candidate": g, "output": o, "cell": c,
                            "cell_tanh": math.tanh(c), "hidden": h}))
    return steps


def test_one_unit_lstm_three_steps_by_hand() -> None:
    cell = scalar_cell(cells.LSTM, LSTM_W, LSTM_B)
    trace = cell.run(col(*XS), cells.State(np.array([0.4]), np.array([-1.5])))
    for t, (pre, values) in enumerate(lstm_by_hand(XS, h=0.4, c=-1.5)):
        assert_step_matches(trace, t, pre, values)


def test_peephole_lstm_with_zero_peepholes_equals_plain_lstm() -> None:
    plain = cells.initialise("lstm", 3, 4, seed=11)
    peep = cells.PeepholeLSTM(weights=plain.weights, biases=plain.biases,
                              peepholes={g: np.zeros((4, 4)) for g in ("forget", "input", "output")})
    state = cells.State(np.linspace(-0.9, 0.9, 4), np.linspace(2.0, -3.0, 4))
    xs = np.random.default_rng(1).normal(size=(9, 3))
    a, b = plain.run(xs, state), peep.run(xs, state)
    for name in a.values:
        np.testing.assert_allclose(b.values[name], a.values[name], rtol=0, atol=1e-15, err_msg=name)
    for name in a.pre:
        np.testing.assert_allclose(b.pre[name], a.pre[name], rtol=0, atol=1e-15, err_msg=name)


def test_peephole_lstm_three_steps_by_hand() -> None:
    peep = (0.9, -0.6, 1.3)
    cell = scalar_cell(cells.PeepholeLSTM, LSTM_W, LSTM_B,
                       peepholes=dict(zip(("forget", "input", "output"), peep, strict=True)))
    trace = cell.run(col(*XS), cells.State(np.array([0.4]), np.array([-1.5])))
    for t, (pre, values) in enumerate(lstm_by_hand(XS, h=0.4, c=-1.5, peep=peep)):
        assert_step_matches(trace, t, pre, values)


def test_peephole_forget_gate_reads_the_previous_cell_state() -> None:
    cell = scalar_cell(cells.PeepholeLSTM, LSTM_W, LSTM_B,
                       peepholes={"forget": 2.0, "input": 0.0, "output": 0.0})
    xs, h0 = col(1.0), np.array([0.0])
    low, high = (cell.run(xs, cells.State(h0, np.array([c]))) for c in (-1.0, 1.0))
    # only C_{-1} differs, so f_0 differs by exactly the peephole's share: σ(-0.2 - 2) vs σ(-0.2 + 2)
    assert abs(low.values["forget"][0, 0] - sig(-0.2 - 2.0)) <= HAND_TOL
    assert abs(high.values["forget"][0, 0] - sig(-0.2 + 2.0)) <= HAND_TOL
    assert low.values["input"][0, 0] == high.values["input"][0, 0]  # P_i = 0: the input gate does not look


def test_coupled_lstm_writes_exactly_what_it_forgets() -> None:
    cell = cells.initialise("coupled", 2, 5, seed=3, scale=3.0)
    trace = cell.run(np.random.default_rng(2).normal(size=(12, 2)) * 2)
    assert np.array_equal(trace.values["input"], 1.0 - trace.values["forget"])
    assert "input" not in cell.weights  # the input gate has no weights of its own
    c_prev = trace.previous_cell
    want = trace.values["forget"] * c_prev + (1 - trace.values["forget"]) * trace.values["candidate"]
    np.testing.assert_allclose(trace.values["cell"], want, rtol=0, atol=1e-15)


# ----- the GRU forms by hand --------------------------------------------------------------------

GRU_W = {"update": (0.6, -0.4), "reset": (-0.3, 0.9), "candidate": (0.8, 0.5)}  # (w_h, w_x)
GRU_B = {"update": 0.2, "reset": 0.1, "candidate": -0.1}


def test_one_unit_deck_gru_three_steps_by_hand() -> None:
    trace = scalar_cell(cells.GRU, GRU_W, GRU_B).run(col(*XS), cells.State(np.array([0.5])))
    h = 0.5
    for t, x in enumerate(XS):
        a_z = 0.6 * h - 0.4 * x + 0.2
        a_r = -0.3 * h + 0.9 * x + 0.1
        z, r = sig(a_z), sig(a_r)
        a_c = 0.8 * (r * h) + 0.5 * x - 0.1  # W·[r_t*h_{t-1}, x_t] + b: reset before the product
        cand = math.tanh(a_c)
        h_new = (1 - z) * h + z * cand  # the deck: z is the share of the NEW candidate
        assert_step_matches(trace, t, {"update": a_z, "reset": a_r, "candidate": a_c},
                            {"update": z, "reset": r, "reset_hidden": r * h, "candidate": cand, "hidden": h_new})
        h = h_new


def test_one_unit_torch_gru_three_steps_by_hand() -> None:
    b_h = {"update": -0.25, "reset": 0.35, "candidate": 0.45}  # PyTorch's b_hz, b_hr, b_hn
    cell = scalar_cell(cells.GRUResetAfter, GRU_W, GRU_B, hidden_biases=b_h)
    trace = cell.run(col(*XS), cells.State(np.array([0.5])))
    h = 0.5
    for t, x in enumerate(XS):
        a_z = 0.6 * h - 0.4 * x + 0.2 - 0.25
        a_r = -0.3 * h + 0.9 * x + 0.1 + 0.35
        z, r = sig(a_z), sig(a_r)
        hn = 0.8 * h + 0.45  # W_hn·h_{t-1} + b_hn
        a_n = 0.5 * x - 0.1 + r * hn  # W_in·x_t + b_in + r_t*(W_hn·h_{t-1} + b_hn): reset after the product
        n = math.tanh(a_n)
        h_new = (1 - z) * n + z * h  # PyTorch: z is the share of the OLD state kept
        assert_step_matches(trace, t, {"update": a_z, "reset": a_r, "candidate": a_n},
                            {"update": z, "reset": r, "candidate_hidden": hn, "candidate": n, "hidden": h_new})
        h = h_new


def test_deck_and_keras_v1_gru_give_z_opposite_roles() -> None:
    deck = cells.initialise("gru", 2, 3, seed=8, scale=2.0)
    keras = cells.GRUResetBefore(weights=deck.weights, biases=deck.biases)
    h0 = np.array([0.9, -0.7, 0.3])
    xs = np.random.default_rng(4).normal(size=(6, 2))
    a, b = deck.run(xs, cells.State(h0)), keras.run(xs, cells.State(h0))
    for name in ("update", "reset", "reset_hidden", "candidate"):  # the same gates at the first step ...
        assert np.array_equal(a.values[name][0], b.values[name][0]), name
    z, cand = a.values["update"][0], a.values["candidate"][0]
    np.testing.assert_allclose(a.values["hidden"][0], (1 - z) * h0 + z * cand, rtol=0, atol=1e-15)
    np.testing.assert_allclose(b.values["hidden"][0], z * h0 + (1 - z) * cand, rtol=0, atol=1e-15)
    assert not np.allclose(a.values["hidden"][0], b.values["hidden"][0])  # ... and different new states
    # negating the update gate's weights and bias (σ(-a) = 1 - σ(a)) turns one form into the other
    flipped = dataclasses.replace(keras, weights={**keras.weights, "update": -keras.weights["update"]},
                                  biases={**keras.biases, "update": -keras.biases["update"]})
    np.testing.assert_allclose(flipped.run(xs, cells.State(h0)).output, a.output, rtol=0, atol=1e-12)


def test_plain_rnn_is_tanh_of_the_concatenation() -> None:
    cell = cells.initialise("rnn", 3, 2, seed=9, scale=2.0)
    W, b = cell.weights["hidden"], cell.biases["hidden"]
    xs = np.random.default_rng(5).normal(size=(7, 3))
    h = np.array([0.25, -0.5])
    trace = cell.run(xs, cells.State(h))
    for t, x in enumerate(xs):
        concat = [*h, *x]
        h = np.array([math.tanh(sum(W[k, j] * concat[j] for j in range(5)) + b[k]) for k in range(2)])
        np.testing.assert_allclose(trace.output[t], h, rtol=0, atol=1e-14)
    assert set(trace.values) == {"hidden"}


# ----- step against run -------------------------------------------------------------------------


def random_state(cell: cells.Cell, rng: np.random.Generator) -> cells.State:
    H, P = cell.hidden_size, cell.state_size  # h_t has P numbers (H but for a projection), C_t H
    return cells.State(rng.uniform(-1, 1, P), rng.normal(size=H) * 2 if cell.HAS_CELL else None)


def step_through(cell: cells.Cell, xs: np.ndarray, state: cells.State) -> tuple[list[cells.Step], cells.State]:
    records = []
    for x in xs:
        state, record = cell.step(x, state)
        records.append(record)
    return records, state


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-13), (np.float32, 1e-6)])
@pytest.mark.parametrize("kind", KINDS)
def test_stepping_gives_what_run_gives(kind: str, dtype: type, atol: float) -> None:
    rng = np.random.default_rng(7)
    cell = cells.initialise(kind, 3, 4, seed=2, scale=2.0, dtype=dtype)
    xs, state = rng.normal(size=(8, 3)), random_state(cell, rng)
    trace = cell.run(xs, state)
    records, final = step_through(cell, xs, state)
    for t, record in enumerate(records):
        want = trace.at(t)
        assert record.t == 0  # a single step is a one-step trace
        for name in want.pre:
            assert record.pre[name].dtype == dtype
            np.testing.assert_allclose(record.pre[name], want.pre[name], rtol=0, atol=atol, err_msg=f"{t} {name}")
        for name in want.values:
            np.testing.assert_allclose(record.values[name], want.values[name], rtol=0, atol=atol, err_msg=name)
        np.testing.assert_allclose(record.concat, want.concat, rtol=0, atol=atol)
    np.testing.assert_allclose(final.hidden, trace.final.hidden, rtol=0, atol=atol)
    if cell.HAS_CELL:
        np.testing.assert_allclose(final.cell, trace.final.cell, rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_stepping_is_bit_for_bit_run_with_whole_number_weights(kind: str, dtype: type) -> None:
    """With small whole-number weights and inputs every input projection is exact, whatever order BLAS sums in."""
    rng = np.random.default_rng(12)
    cell = cells.initialise(kind, 3, 4, seed=4, dtype=dtype)
    cell = dataclasses.replace(cell, **{k: {g: np.round(v * 4) for g, v in d.items()}
                                        for k, d in all_params(cell).items()})
    assert cell.dtype == dtype
    xs = rng.integers(-3, 4, size=(10, 3)).astype(dtype)
    state = random_state(cell, rng)
    trace = cell.run(xs, state)
    records, final = step_through(cell, xs, state)
    for t, record in enumerate(records):
        want = trace.at(t)
        for name in want.pre:
            assert np.array_equal(record.pre[name], want.pre[name]), (t, name)
        for name in want.values:
            assert np.array_equal(record.values[name], want.values[name]), (t, name)
    assert np.array_equal(final.hidden, trace.final.hidden)


def test_step_without_a_state_starts_from_zero() -> None:
    cell = cells.initialise("lstm", 2, 3, seed=1)
    state, record = cell.step(np.array([0.5, -1.0]))
    assert np.array_equal(record.previous.hidden, np.zeros(3))
    assert np.array_equal(record.previous.cell, np.zeros(3))
    np.testing.assert_array_equal(state.hidden, cell.run(np.array([[0.5, -1.0]])).output[0])


# ----- what a Trace records ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_trace_concat_previous_state_and_final(kind: str) -> None:
    rng = np.random.default_rng(21)
    cell = cells.initialise(kind, 2, 3, seed=6)
    xs, state = rng.normal(size=(5, 2)), random_state(cell, rng)
    trace = cell.run(xs, state)
    assert (trace.steps, trace.hidden_size, trace.input_size) == (5, 3, 2)
    assert (trace.kind, trace.family, trace.reverse) == (kind, cell.FAMILY, False)
    h = trace.values["hidden"]
    assert np.array_equal(trace.output, h)
    assert np.array_equal(trace.concat[0], np.concatenate([state.hidden, xs[0]]))  # h0 at t = 0
    for t in range(1, 5):
        assert np.array_equal(trace.concat[t], np.concatenate([h[t - 1], xs[t]]))  # [h_{t-1}, x_t]
        assert np.array_equal(trace.previous_hidden[t], h[t - 1])
    assert np.array_equal(trace.final.hidden, h[-1])
    if cell.HAS_CELL:
        assert np.array_equal(trace.final.cell, trace.values["cell"][-1])
        assert np.array_equal(trace.previous_cell[0], state.cell)
        assert np.array_equal(trace.previous_cell[1:], trace.values["cell"][:-1])
    else:
        assert trace.final.cell is None and trace.previous_cell is None


@pytest.mark.parametrize("kind", KINDS)
def test_trace_at_matches_the_arrays(kind: str) -> None:
    cell = cells.initialise(kind, 2, 3, seed=6)
    trace = cell.run(np.random.default_rng(3).normal(size=(4, 2)))
    for t in range(4):
        step = trace.at(t)
        assert step.t == t
        assert np.array_equal(step.x, trace.inputs[t])
        assert np.array_equal(step.concat, trace.concat[t])
        assert np.array_equal(step.previous.hidden, trace.previous_hidden[t])
        assert set(step.pre) == set(trace.pre) and set(step.values) == set(trace.values)
        for name in trace.pre:
            assert np.array_equal(step.pre[name], trace.pre[name][t])
        for name in trace.values:
            assert np.array_equal(step.values[name], trace.values[name][t])
    assert trace.at(-1).t == 3
    assert np.array_equal(trace.at(-1).values["hidden"], trace.final.hidden)
    for bad in (4, -5):
        with pytest.raises(ValueError, match="outside the sequence of 4 steps"):
            trace.at(bad)


# ----- initialisers -----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(cells.SCHEMES))
@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_weights_other_seed_other_weights(kind: str, scheme: str) -> None:
    a, b, c = (cells.initialise(kind, 3, 4, seed=s, scheme=scheme) for s in (1, 1, 2))
    pa, pb, pc = all_params(a), all_params(b), all_params(c)
    assert pa.keys() == pb.keys() == pc.keys()
    for field, gates in pa.items():
        for g, v in gates.items():
            assert np.array_equal(v, pb[field][g]), (field, g)
    assert any(not np.array_equal(c.weights[g], a.weights[g]) for g in a.GATES)
    for g in a.GATES:  # weights differ gate by gate, not only in one place
        assert not np.array_equal(c.weights[g], a.weights[g]), g


@pytest.mark.parametrize("kind", KINDS)
def test_pytorch_scheme_stays_within_one_over_root_h(kind: str) -> None:
    H = 9
    cell = cells.initialise(kind, 4, H, seed=3, scheme="pytorch")
    limit = 1 / math.sqrt(H)
    for field, gates in all_params(cell).items():
        for g, v in gates.items():
            assert np.all(np.abs(v) <= limit), (field, g, np.abs(v).max())
    every = np.concatenate([v.ravel() for gates in all_params(cell).values() for v in gates.values()])
    assert every.max() > 0.9 * limit and every.min() < -0.9 * limit  # spread over the whole range, not all tiny
    scaled = cells.initialise(kind, 4, H, seed=3, scheme="pytorch", scale=2.5)
    np.testing.assert_allclose(scaled.weights[cell.GATES[0]], 2.5 * cell.weights[cell.GATES[0]], rtol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
def test_orthogonal_scheme_has_orthogonal_recurrent_blocks(kind: str) -> None:
    H = 5
    cell = cells.initialise(kind, 3, H, seed=4, scheme="orthogonal")
    P = cell.state_size  # H, or fewer columns of an orthogonal matrix for a projection
    for g in cell.GATES:
        W_h = cell.weights[g][:, :P]
        np.testing.assert_allclose(W_h.T @ W_h, np.eye(P), rtol=0, atol=1e-12, err_msg=g)
    for g, b in cell.biases.items():
        want = 1.0 if g == "forget" else 0.0  # Keras' unit forget bias; every other bias zero
        assert np.array_equal(b, np.full(H, want)), (g, b)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_on_request_is_float32_everywhere(kind: str) -> None:
    cell = cells.initialise(kind, 2, 3, seed=1, dtype=np.float32)
    assert cell.dtype == np.float32
    for field, gates in all_params(cell).items():
        for g, v in gates.items():
            assert v.dtype == np.float32, (field, g)
    trace = cell.run(np.random.default_rng(0).normal(size=(4, 2)))  # float64 inputs are taken in as float32
    arrays = [trace.inputs, trace.initial.hidden, trace.final.hidden, trace.concat, trace.previous_hidden,
              *trace.pre.values(), *trace.values.values()]
    if cell.HAS_CELL:
        arrays += [trace.initial.cell, trace.final.cell, trace.previous_cell]
    assert all(a.dtype == np.float32 for a in arrays), [a.dtype for a in arrays]
    step = trace.at(1)
    assert all(v.dtype == np.float32 for v in (step.x, step.concat, *step.pre.values(), *step.values.values()))


@pytest.mark.parametrize("kind", KINDS)
def test_replace_makes_an_edited_copy_and_leaves_the_original(kind: str) -> None:
    cell = cells.initialise(kind, 2, 3, seed=1)
    g = cell.GATES[0]
    before = cell.weights[g].copy()
    W = np.full_like(before, 0.25)
    edited = dataclasses.replace(cell, weights={**cell.weights, g: W})
    assert type(edited) is type(cell)
    assert np.array_equal(edited.weights[g], W)
    assert np.array_equal(cell.weights[g], before)
    W[0, 0] = 99.0  # the cell took a copy: editing the caller's array afterwards changes nothing
    assert edited.weights[g][0, 0] == 0.25
    xs = np.ones((3, 2))
    assert not np.array_equal(edited.run(xs).output, cell.run(xs).output)


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_arrays_are_read_only(kind: str) -> None:
    cell = cells.initialise(kind, 2, 3, seed=1)
    for field, gates in all_params(cell).items():
        for g, v in gates.items():
            with pytest.raises(ValueError, match="read-only"):
                v[0] = 1.0
            assert not v.flags.writeable, (field, g)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cell.weights = {}  # type: ignore[misc]


@pytest.mark.parametrize("kind", ["lstm", "gru", "coupled", "rnn", "peephole", "gru_keras_v1"])
def test_a_second_bias_adds_to_the_first(kind: str) -> None:
    """Models from PyTorch and Keras carry b_h* too; outside the GRU's reset product it simply adds to b."""
    cell = cells.initialise(kind, 2, 3, seed=2)
    extra = {g: np.linspace(-0.5, 0.5, 3) for g in cell.GATES}
    two = dataclasses.replace(cell, hidden_biases=extra)
    one = dataclasses.replace(cell, biases={g: cell.biases[g] + extra[g] for g in cell.GATES})
    xs = np.random.default_rng(3).normal(size=(5, 2))
    np.testing.assert_allclose(two.run(xs).output, one.run(xs).output, rtol=0, atol=1e-15)
    assert not np.allclose(two.run(xs).output, cell.run(xs).output)
