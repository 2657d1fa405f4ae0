"""Explore's attribution, state space and "where it settles" in Streamlit's AppTest: the view carries the engine's
answers at the step the browser reported, the target and baseline pickers change them, and the fixed-point search
draws its points and says what it finds for the shipped first-bit models."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import cells
from cells import encode
from cells.attribution import Target, connectivity
from tests.views.apptest import gate_view, open_view, report_cursor
from ui.model import MODEL_KEY
from ui.settle import FROM, STARTS
from workbench import keys

TIMEOUT = 180
K = keys.EXPLORE_INSIGHT


def explore(model: str = "trained:brackets_lstm") -> AppTest:
    at = open_view("explore", **{K.show: True})  # the panels are off until the user turns them on
    at.selectbox(key=keys.EXPLORE.ready_model).set_value(model).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def test_the_view_explains_the_top_prediction_at_the_step_the_browser_reported() -> None:
    at = explore()
    assert at.selectbox(key=K.target).value == "top"  # a model with a head: its top prediction by default
    header, _ = gate_view(at)
    base = header["base"]
    report_cursor(at, 9, 3)
    assert not at.exception, at.exception
    header, arrays = gate_view(at)
    said = header["attribution"]
    assert said["step"] == 9 and said["target"].startswith("the logit of class")
    model = at.session_state[MODEL_KEY]
    xs = model.inputs(at.session_state[keys.EXPLORE.seq_text]).xs
    want = connectivity(model.network, xs, Target(step=9), head=model.readout)
    np.testing.assert_allclose(arrays["attr.norm"][:, 0], want.norm, rtol=1e-9, atol=1e-12)
    assert np.all(arrays["attr.norm"][10:, 0] == 0)  # nothing after the target's step reaches it
    assert abs(said["ig"]["total"] - said["ig"]["change"]) <= 0.01 * abs(said["ig"]["change"])
    assert header["base"] == base  # the same view: the browser swaps in the new attribution, nothing else
    assert header["states"]["state"] == "h_t" and len(arrays["states.xy"]) == header["steps"]


def test_the_chosen_unit_s_cell_state_and_the_mean_baseline() -> None:
    at = explore()
    report_cursor(at, 5, 3)
    at.selectbox(key=K.target).set_value("cell").run(timeout=TIMEOUT)
    at.radio(key=K.baseline).set_value("mean").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    said = gate_view(at)[0]["attribution"]
    assert said["target"] == "C_t of unit 3" and said["step"] == 5
    assert said["ig"]["baseline"] == "embedding's mean" and said["ig"]["error"] <= 0.01


@pytest.mark.parametrize("present", [False, True])
def test_the_page_opens_with_the_panels_off_so_the_gates_fit_one_screen(present: bool) -> None:
    at = open_view("explore", **{keys.EXPLORE.present: present})
    assert at.toggle(key=K.show).value is False
    header = gate_view(at)[0]
    assert "attribution" not in header and "states" not in header


@pytest.mark.parametrize("name", ["first_bit_lstm", "first_bit_gru"])
def test_where_it_settles_says_what_the_search_finds_for_the_shipped_first_bit_model(name: str) -> None:
    at = explore(f"trained:{name}")
    at.session_state[K.open] = True
    at.run(timeout=TIMEOUT)
    said = " ".join(i.value for i in at.info)
    assert "2 stable and 1 unstable" in said and "settles into point" in said
    at.button(key=K.search).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) >= 1 and set(table["stable"]) <= {"yes", "no"}
    points = gate_view(at)[0]["states"]["points"]  # drawn in the gate view's state space too
    assert len(points) == len(table)


def test_the_search_starts_from_both_first_bits_on_the_first_bit_lstm_and_finds_its_two_stable_points() -> None:
    # from the shown run alone it finds only the point that run's bit settles into
    at = explore("trained:first_bit_lstm")
    at.session_state[K.open] = True
    at.run(timeout=TIMEOUT)
    assert at.radio(key=K.starts).value == "bits"
    at.button(key=K.search).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["stable"]).count("yes") == 2
    assert any("runs of both first bits" in m.value for m in at.markdown)


def test_a_search_can_add_random_starts_to_the_shown_run() -> None:
    at = explore()
    at.session_state[K.open] = True
    at.run(timeout=TIMEOUT)
    assert at.radio(key=K.starts).options == [FROM["run"], FROM["random"]]  # no first bit to start from here
    at.radio(key=K.starts).set_value("random").run(timeout=TIMEOUT)
    at.button(key=K.search).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    said = next(m.value for m in at.markdown if "starting from" in m.value)
    steps = gate_view(at)[0]["steps"]
    assert f"of {min(steps, STARTS) + STARTS} starts converged" in said  # the run's states, then random ones


def test_compare_draws_both_panes_in_one_projection_fitted_on_both() -> None:
    from cells.dynamics import pca

    at = open_view("compare")
    (ha, aa), (hb, ab) = gate_view(at, keys.COMPARE.view_a), gate_view(at, keys.COMPARE.view_b)
    assert ha["states"]["bounds"] == hb["states"]["bounds"]  # one scale for both pictures
    assert "both panes" in ha["states"]["title"]
    # the same fit as the engine's on both runs together: pane A's states are its first run's coordinates
    # the page's h_t arrays as sent (float64 at this size) refitted together give the same coordinates
    hidden_a, hidden_b = aa["output"], ab["output"]  # the row of h_t in each pane
    both = pca([np.asarray(hidden_a, dtype=np.float64), np.asarray(hidden_b, dtype=np.float64)], 2)
    np.testing.assert_allclose(aa["states.xy"], both.coordinates[0], atol=1e-9)
    np.testing.assert_allclose(ab["states.xy"], both.coordinates[1], atol=1e-9)
    assert ha["states"]["explained"] == pytest.approx(list(both.explained))


@pytest.mark.parametrize("kind", ["lstm", "gru", "lstmp", "rnn"])
def test_every_kind_stacked_and_bidirectional_explains_the_chosen_unit_in_the_shown_direction(kind: str) -> None:
    at = open_view("explore", **{K.show: True})
    if MODEL_KEY in at.session_state:  # the first view's model: draw a random network instead, as a user does
        at.button(key=keys.EXPLORE.first_view_drawn).click().run(timeout=TIMEOUT)
    at.selectbox(key=keys.EXPLORE.net_kind).set_value(kind).run(timeout=TIMEOUT)
    at.toggle(key=keys.EXPLORE.net_bidirectional).set_value(True).run(timeout=TIMEOUT)
    at.number_input(key=keys.EXPLORE.net_layers).set_value(2).run(timeout=TIMEOUT)
    at.selectbox(key=keys.EXPLORE.view_layer).set_value(1).run(timeout=TIMEOUT)
    at.radio(key=keys.EXPLORE.view_direction).set_value("backward").run(timeout=TIMEOUT)
    report_cursor(at, 3, 1)
    assert not at.exception, at.exception
    assert at.selectbox(key=K.target).value == "hidden"  # no head: the chosen unit's h_t
    header, arrays = gate_view(at)
    said = header["attribution"]
    assert said["step"] == 3 and said["target"] == "h_t of unit 1"
    # the engine's own answer for the same network and text: layer 2's backward cell at step 3 reads layer 1's
    # both directions, so it depends on every input (the forward cell below has read those before 3)
    text = at.session_state[keys.EXPLORE.seq_text]
    xs = encode.one_hot(text).xs
    network = cells.Network.create(kind, xs.shape[1], 8, num_layers=2, bidirectional=True, seed=0)
    want = connectivity(network, xs, Target(step=3, output="hidden", unit=1, layer=1, direction="backward"))
    np.testing.assert_allclose(arrays["attr.norm"][:, 0], want.norm, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(arrays["attr.path"], want.path(1, "backward"), rtol=1e-9, atol=1e-12)
    assert said["memory"] == (kind != "rnn")  # the plain RNN has no gate that keeps memory
    assert arrays["attr.path"].shape[0] == header["steps"]
    assert abs(said["ig"]["total"] - said["ig"]["change"]) <= 0.01 * max(abs(said["ig"]["change"]), 1e-9)
