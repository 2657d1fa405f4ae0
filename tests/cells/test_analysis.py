"""Summaries a Compare page shows: memory half-life and saturation, checked against hand computations."""

import dataclasses

import numpy as np
import pytest

import cells
from cells.analysis import keep_share, memory_half_life, saturation


def constant_forget_lstm(forget_bias: np.ndarray) -> cells.LSTM:
    """An LSTM whose forget gate is σ(bias) at every step: all weights zero."""
    lstm = cells.initialise("lstm", 1, len(forget_bias), scale=0.0)
    return dataclasses.replace(lstm, biases={**lstm.biases, "forget": forget_bias})


def test_half_life_counts_steps_until_the_kept_share_halves() -> None:
    f = np.array([0.9, 0.5, 0.2, 0.999999])
    lstm = constant_forget_lstm(np.log(f / (1 - f)))  # σ(logit f) = f
    trace = lstm.run(np.zeros((40, 1)))
    # 0.9^k < 0.5 first at k = 7 (0.9^6 = 0.531, 0.9^7 = 0.478); 0.5 never drops *below* 0.5 until k = 2;
    # 0.2 at k = 1; 0.999999^40 stays above 0.5
    np.testing.assert_array_equal(memory_half_life(trace), [7, 2, 1, np.inf])


def test_keep_share_follows_each_gru_conventions() -> None:
    xs = np.random.default_rng(0).standard_normal((6, 2))
    deck = cells.initialise("gru", 2, 3, seed=1).run(xs)
    np.testing.assert_array_equal(keep_share(deck), 1.0 - deck.values["update"])
    for kind in ("gru_torch", "gru_keras_v1"):
        trace = cells.initialise(kind, 2, 3, seed=1).run(xs)
        np.testing.assert_array_equal(keep_share(trace), trace.values["update"])
    assert keep_share(cells.initialise("rnn", 2, 3).run(xs)) is None
    assert memory_half_life(cells.initialise("rnn", 2, 3).run(xs)) is None


def test_backward_half_life_runs_from_the_end() -> None:
    f = np.array([0.2])
    lstm = constant_forget_lstm(np.log(f / (1 - f)))
    layer = cells.Layer(lstm, lstm)
    trace = layer.run(np.zeros((5, 1)))
    assert memory_half_life(trace.backward)[0] == memory_half_life(trace.forward)[0] == 1


def test_a_unit_that_forgets_late_in_the_sequence_has_that_half_life() -> None:
    # keep everything for 9 steps, then forget at step 10 (a read-in marker opens the forget gate)
    lstm = cells.initialise("lstm", 1, 1, scale=0.0)
    W = np.array([[0.0, -40.0]])  # hidden column, input column
    lstm = dataclasses.replace(lstm, weights={**lstm.weights, "forget": W}, biases={**lstm.biases, "forget": [20.0]})
    xs = np.zeros((15, 1))
    xs[9] = 1.0
    assert memory_half_life(lstm.run(xs))[0] == 10


@pytest.mark.parametrize(
    ("values", "expected"), [([0.01, 0.5, 0.97, 0.96], 0.75), ([0.05, 0.95], 0.0), ([[0.0, 1.0], [0.3, 0.7]], 0.5)]
)
def test_saturation_is_the_share_outside_the_middle(values: list, expected: float) -> None:
    assert saturation(np.array(values)) == expected
