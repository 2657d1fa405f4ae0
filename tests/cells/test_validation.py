"""Bad parameters, inputs and settings are refused with a ValueError that says what was expected and what came."""

from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pytest

import cells

KINDS = tuple(cells.KINDS)


def lstm_params(hidden: int = 4, inputs: int = 3) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    weights = {g: rng.normal(size=(hidden, hidden + inputs)) for g in cells.LSTM.GATES}
    biases = {g: rng.normal(size=hidden) for g in cells.LSTM.GATES}
    return weights, biases


# ----- parameters -------------------------------------------------------------------------------


def test_wrong_weight_shape_names_gate_expected_and_given() -> None:
    weights, biases = lstm_params()
    weights["input"] = np.zeros((4, 6))
    with pytest.raises(ValueError, match=re.escape("input weights: expected (4, 7), got (4, 6)")):
        cells.LSTM(weights=weights, biases=biases)


def test_wrong_shape_in_the_first_gate_blames_that_gate() -> None:
    weights, biases = lstm_params()
    weights["forget"] = np.zeros((4, 6))  # the other three gates agree on (4, 7)
    with pytest.raises(ValueError, match=re.escape("forget weights: expected (4, 7), got (4, 6)")):
        cells.LSTM(weights=weights, biases=biases)


@pytest.mark.parametrize("bad", [np.zeros(7), np.zeros((4, 4)), np.zeros((0, 3)), np.zeros((4, 7, 1))])
def test_weights_that_are_not_hidden_by_hidden_plus_input_are_refused(bad: np.ndarray) -> None:
    weights, biases = lstm_params()
    weights = {g: bad for g in weights}
    with pytest.raises(ValueError, match=re.escape(f"got shape {bad.shape}")):
        cells.LSTM(weights=weights, biases=biases)


def test_wrong_bias_shape_names_gate() -> None:
    weights, biases = lstm_params()
    biases["output"] = np.zeros(5)
    with pytest.raises(ValueError, match=re.escape("output bias: expected (4,), got (5,)")):
        cells.LSTM(weights=weights, biases=biases)


def test_missing_and_extra_gates_are_named() -> None:
    weights, biases = lstm_params()
    missing = {g: w for g, w in weights.items() if g != "output"}
    want = re.escape(f"lstm weights: expected gates {list(cells.LSTM.GATES)}, got ['candidate', 'forget', 'input']")
    with pytest.raises(ValueError, match=want):
        cells.LSTM(weights=missing, biases=biases)
    with pytest.raises(ValueError, match=r"got \[.*'update'.*\]"):
        cells.LSTM(weights={**weights, "update": weights["forget"]}, biases=biases)
    with pytest.raises(ValueError, match=r"lstm bias vectors: expected gates .*got \['candidate', 'forget', 'input'\]"):
        cells.LSTM(weights=weights, biases={g: b for g, b in biases.items() if g != "output"})
    with pytest.raises(ValueError, match=r"lstm weights: expected gates .*got list"):
        cells.LSTM(weights=list(weights.values()), biases=biases)  # type: ignore[arg-type]


def test_coupled_lstm_has_no_input_gate_weights() -> None:
    weights, biases = lstm_params()
    assert set(cells.CoupledLSTM.GATES) == {"forget", "candidate", "output"}
    with pytest.raises(ValueError, match=re.escape(f"coupled weights: expected gates {list(cells.CoupledLSTM.GATES)}")):
        cells.CoupledLSTM(weights=weights, biases=biases)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_and_biases_name_gate_and_position(value: float) -> None:
    weights, biases = lstm_params()
    W = weights["candidate"].copy()
    W[2, 5] = value
    with pytest.raises(ValueError, match=rf"candidate weights: .*finite.*{value}.* row 2, column 5"):
        cells.LSTM(weights={**weights, "candidate": W}, biases=biases)
    b = biases["forget"].copy()
    b[3] = value
    with pytest.raises(ValueError, match=rf"forget bias: .*finite.*{value}.* position 3"):
        cells.LSTM(weights=weights, biases={**biases, "forget": b})


def test_non_finite_edit_through_replace_is_refused() -> None:
    cell = cells.initialise("gru", 2, 3)
    W = np.array(cell.weights["reset"])
    W[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"reset weights: .*nan at row 1, column 0"):
        dataclasses.replace(cell, weights={**cell.weights, "reset": W})


def test_hidden_biases_are_checked_like_biases() -> None:
    cell = cells.initialise("gru_torch", 2, 3)
    with pytest.raises(ValueError, match=re.escape("candidate hidden bias: expected (3,), got (2,)")):
        dataclasses.replace(cell, hidden_biases={**cell.hidden_biases, "candidate": np.zeros(2)})
    with pytest.raises(ValueError, match=r"update hidden bias: .*inf at position 0"):
        dataclasses.replace(cell, hidden_biases={**cell.hidden_biases, "update": np.array([np.inf, 0, 0])})
    with pytest.raises(ValueError, match=r"hidden bias vectors: expected gates .*got \['forget'\]"):
        dataclasses.replace(cell, hidden_biases={"forget": np.zeros(3)})


def test_peephole_weights_are_checked() -> None:
    cell = cells.initialise("peephole", 2, 3)
    with pytest.raises(ValueError, match=re.escape("input peephole weights: expected (3, 3), got (3, 5)")):
        dataclasses.replace(cell, peepholes={**cell.peepholes, "input": np.zeros((3, 5))})
    with pytest.raises(ValueError, match=r"peephole weights: expected gates \['forget', 'input', 'output'\]"):
        dataclasses.replace(cell, peepholes={"forget": np.zeros((3, 3))})
    P = np.zeros((3, 3))
    P[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"output peephole weights: .*nan at row 0, column 2"):
        dataclasses.replace(cell, peepholes={**cell.peepholes, "output": P})


def test_non_numeric_weights_are_refused() -> None:
    weights, biases = lstm_params()
    with pytest.raises(ValueError, match="input weights: expected numbers"):
        cells.LSTM(weights={**weights, "input": [["a"] * 7] * 4}, biases=biases)


# ----- inputs and states ------------------------------------------------------------------------


@pytest.fixture
def lstm() -> cells.Cell:
    return cells.initialise("lstm", 3, 4, seed=1)


def test_inputs_of_the_wrong_width(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("inputs: expected (T, 3), 3 numbers per step, got shape (5, 2)")):
        lstm.run(np.zeros((5, 2)))


def test_one_dimensional_inputs_need_input_size_one(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("got shape (3,)")):
        lstm.run(np.zeros(3))
    scalar = cells.initialise("gru", 1, 2)
    assert scalar.run(np.array([0.5, -0.5, 1.0])).steps == 3  # a list of scalars is T steps of one number


def test_three_dimensional_inputs(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("inputs: expected (T, 3), 3 numbers per step, got shape (2, 5, 3)")):
        lstm.run(np.zeros((2, 5, 3)))


@pytest.mark.parametrize("empty", [np.zeros((0, 3)), np.empty((0, 3), np.float32)])
def test_empty_inputs(lstm: cells.Cell, empty: np.ndarray) -> None:
    with pytest.raises(ValueError, match="inputs: the sequence is empty"):
        lstm.run(empty)


def test_empty_inputs_for_a_one_input_cell() -> None:
    with pytest.raises(ValueError, match="inputs: the sequence is empty"):
        cells.initialise("rnn", 1, 2).run([])


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_inputs_name_the_position(lstm: cells.Cell, value: float) -> None:
    xs = np.zeros((6, 3))
    xs[4, 1] = value
    with pytest.raises(ValueError, match=rf"inputs: .*finite.*{value} at row 4, column 1"):
        lstm.run(xs)


def test_text_inputs_are_refused(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("inputs: expected a (T, 3) array of numbers")):
        lstm.run([["a", "b", "c"]])


def test_step_wants_one_vector(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("x_t: expected a vector of 3 numbers, got shape (1, 3)")):
        lstm.step(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=re.escape("got shape (1, 2)")):
        lstm.step(np.zeros(2))


def test_initial_state_of_the_wrong_size(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("initial hidden state: expected (4,), got (3,)")):
        lstm.run(np.zeros((2, 3)), cells.State(np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match=re.escape("initial cell state: expected (4,), got (4, 1)")):
        lstm.run(np.zeros((2, 3)), cells.State(np.zeros(4), np.zeros((4, 1))))
    with pytest.raises(ValueError, match=r"initial hidden state: .*nan at position 1"):
        lstm.run(np.zeros((2, 3)), cells.State(np.array([0, np.nan, 0, 0]), np.zeros(4)))


def test_lstm_initial_state_needs_a_cell_state(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match="initial cell state: a lstm cell needs one, got None"):
        lstm.run(np.zeros((2, 3)), cells.State(np.zeros(4)))


def test_initial_state_must_be_a_state(lstm: cells.Cell) -> None:
    with pytest.raises(ValueError, match=re.escape("initial state: expected a cells.State, got tuple")):
        lstm.run(np.zeros((2, 3)), (np.zeros(4), np.zeros(4)))  # type: ignore[arg-type]


def test_gru_ignores_a_given_cell_state() -> None:
    gru = cells.initialise("gru", 2, 3)
    xs = np.ones((2, 2))
    with_cell = gru.run(xs, cells.State(np.full(3, 0.5), np.full(3, 9.0)))
    assert with_cell.initial.cell is None and "cell" not in with_cell.values
    np.testing.assert_array_equal(with_cell.output, gru.run(xs, cells.State(np.full(3, 0.5))).output)


# ----- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["LSTM", "transformer", "", None, 3])
def test_initialise_refuses_unknown_kinds(kind: object) -> None:
    with pytest.raises(ValueError, match=r"cell kind: expected one of lstm, gru, .*got"):
        cells.initialise(kind, 2, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "4", None])
def test_initialise_refuses_bad_sizes(size: object) -> None:
    for name, top, args in (("hidden size", 4096, (2, size)), ("input size", 100000, (size, 2))):
        want = f"{name}: expected a whole number from 1 to {top}, got {size!r}"
        with pytest.raises(ValueError, match=re.escape(want)):
            cells.initialise("lstm", *args)  # type: ignore[arg-type]


def test_initialise_takes_numpy_whole_numbers() -> None:
    cell = cells.initialise("gru", np.int64(2), np.int32(3))
    assert (cell.input_size, cell.hidden_size) == (2, 3)


@pytest.mark.parametrize("scheme", ["glorot", "PyTorch", "", None])
def test_initialise_refuses_unknown_schemes(scheme: object) -> None:
    with pytest.raises(ValueError, match="initialiser: expected one of pytorch, xavier, orthogonal"):
        cells.initialise("lstm", 2, 3, scheme=scheme)  # type: ignore[arg-type]


@pytest.mark.parametrize("scale", [np.nan, np.inf, -np.inf, "2", None])
def test_initialise_refuses_non_finite_scales(scale: object) -> None:
    with pytest.raises(ValueError, match="scale: expected a finite number"):
        cells.initialise("lstm", 2, 3, scale=scale)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float16, bool, complex])
def test_initialise_refuses_non_float_dtypes(dtype: type) -> None:
    with pytest.raises(ValueError, match="dtype: expected float32 or float64"):
        cells.initialise("lstm", 2, 3, dtype=dtype)


def test_astype_refuses_int() -> None:
    with pytest.raises(ValueError, match="dtype: expected float32 or float64, got int64"):
        cells.initialise("gru", 2, 3).astype(np.int64)


def test_network_refuses_mismatched_layer_sizes() -> None:
    bottom = cells.Layer(cells.initialise("lstm", 3, 4))
    wrong = cells.Layer(cells.initialise("lstm", 5, 2))
    with pytest.raises(ValueError, match=r"layer 1: expected input size 4 \(layer 0's output\), got 5"):
        cells.Network((bottom, wrong))
    bi = cells.Layer(cells.initialise("gru", 3, 4), cells.initialise("gru", 3, 4))
    with pytest.raises(ValueError, match=r"layer 1: expected input size 8 \(layer 0's output\), got 4"):
        cells.Network((bi, cells.Layer(cells.initialise("gru", 4, 4))))
    cells.Network((bi, cells.Layer(cells.initialise("gru", 8, 4))))  # D·H = 8 is right


@pytest.mark.parametrize("layers", [(), [], None, (cells.initialise("lstm", 2, 2),)])
def test_network_refuses_empty_or_non_layers(layers: object) -> None:
    with pytest.raises(ValueError, match=re.escape("network: expected a non-empty sequence of cells.Layer")):
        cells.Network(layers)  # type: ignore[arg-type]


@pytest.mark.parametrize("num_layers", [0, -1, 17, 1.0, True])
def test_network_create_refuses_bad_layer_counts(num_layers: object) -> None:
    with pytest.raises(ValueError, match="layers: expected a whole number from 1 to 16"):
        cells.Network.create("lstm", 2, 3, num_layers=num_layers)  # type: ignore[arg-type]


def test_network_initial_state_needs_one_state_per_layer_and_direction() -> None:
    net = cells.Network.create("gru", 2, 3, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match="initial state: expected 4 states, one per layer and direction, got 2"):
        net.run(np.zeros((3, 2)), [cells.State(np.zeros(3))] * 2)


def test_layer_refuses_a_backward_cell_of_another_size() -> None:
    forward = cells.initialise("lstm", 3, 4)
    with pytest.raises(ValueError, match="backward cell: expected input size 3 and hidden size 4 like the forward "
                       "cell, got 3 and 5"):
        cells.Layer(forward, cells.initialise("lstm", 3, 5))
    with pytest.raises(ValueError, match="got 2 and 4"):
        cells.Layer(forward, cells.initialise("lstm", 2, 4))
    with pytest.raises(ValueError, match=re.escape("backward cell: expected a cells.Cell, got str")):
        cells.Layer(forward, "lstm")  # type: ignore[arg-type]


def test_trace_step_outside_the_sequence() -> None:
    trace = cells.initialise("rnn", 1, 1).run([1.0, 2.0])
    with pytest.raises(ValueError, match="step 2 is outside the sequence of 2 steps"):
        trace.at(2)


def test_unknown_gate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown gate 'forgte' for a lstm cell"):
        cells.gate_info("lstm", "forgte")
    with pytest.raises(ValueError, match="unknown gate 'forget' for a rnn cell"):
        cells.gate_info("rnn", "forget")


@pytest.mark.parametrize("kind", KINDS)
def test_overflow_is_a_clear_error_not_a_warning_or_inf(kind: str) -> None:
    cell = cells.initialise(kind, 2, 3)
    huge = dataclasses.replace(cell, weights={g: np.full_like(W, 1e300) for g, W in cell.weights.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="the numbers overflowed"):
            huge.run(np.full((2, 2), 1e10))
