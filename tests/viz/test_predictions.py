"""The head's predictions as a table and a line, built without Streamlit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.viz.figjson import spec
from viz.predictions import output_labels, predicted_values, token_probability, top_predictions, value_line

P = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]])
INPUTS = ["a", "b", "a"]


def test_the_top_predictions_at_a_step_come_likeliest_first_with_their_tokens():
    table = top_predictions(P, INPUTS, 1, [" ", "b", "c"], k=2)
    assert list(table["prediction"]) == ["c", "b"] and list(table["probability"]) == [0.6, 0.3]
    assert list(table.index) == [1, 2]
    assert list(top_predictions(P, INPUTS, 0, None)["prediction"]) == ["#0", "#1", "#2"]  # no vocabulary
    assert output_labels(3, [" ", "b", "c"])[0] == "␣"


def test_a_token_is_followed_over_time_on_the_time_axis_with_the_step_marked():
    fig = spec(token_probability(P, INPUTS, 2, ["a", "b", "c"], step=1))
    np.testing.assert_allclose(np.asarray(fig["data"][0]["y"], dtype=float), [0.1, 0.6, 0.25], atol=1e-6)
    assert fig["layout"]["xaxis"]["ticktext"] == ["0·a", "1·b", "2·a"]  # unique labels
    assert fig["layout"]["shapes"][0]["x0"] == 0.5 and fig["layout"]["title"]["text"].startswith("p(c)")
    assert fig["layout"]["yaxis"]["range"] == [0, 1]


def test_a_long_sequence_labels_a_few_evenly_spaced_steps_so_labels_never_meet_in_the_narrow_column():
    T = 23
    inputs = [chr(ord("a") + t % 26) for t in range(T)]
    p = np.full((T, 2), 0.5)
    axis = spec(token_probability(p, inputs, 0))["layout"]["xaxis"]
    assert len(axis["ticktext"]) <= 8 and axis["ticktext"][0] == "0·a"
    assert np.diff(axis["tickvals"]).min() == np.diff(axis["tickvals"]).max() >= 3  # evenly thinned
    assert axis["ticktext"][1] == f"{int(axis['tickvals'][1])}·{inputs[int(axis['tickvals'][1])]}"


def test_shapes_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match=r"expected \(2, outputs\)"):
        top_predictions(P, ["a", "b"], 0)
    with pytest.raises(ValueError, match="step: expected 0 to 2"):
        top_predictions(P, INPUTS, 3)


def test_a_value_head_shows_its_values_not_probabilities():
    y = np.array([[0.5, -2.0], [1.25, 3.0], [-0.75, 0.0]])
    table = predicted_values(y, INPUTS, 1, None)
    assert list(table.index) == ["#0", "#1"] and list(table["predicted value"]) == [1.25, 3.0]
    fig = spec(value_line(y, INPUTS, 0, ["next x", "other"], step=2))
    np.testing.assert_allclose(np.asarray(fig["data"][0]["y"], dtype=float), [0.5, 1.25, -0.75], atol=1e-6)
    assert fig["layout"]["title"]["text"].startswith("ŷ(next x)")
    low, high = fig["layout"]["yaxis"]["range"]
    assert low < -0.75 and high > 1.25 and fig["layout"]["yaxis"]["title"]["text"] == "predicted value"
