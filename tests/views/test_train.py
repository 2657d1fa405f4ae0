"""The Train page in AppTest: short runs draw their curve, bad settings are refused by name, the three
cells are compared, shipped models load, typed sequences are predicted, and models open in Explore."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from streamlit.runtime.scriptrunner import RerunException, StopException
from streamlit.testing.v1 import AppTest

from cells.learning.train import train, unit_to_watch
from tests.views.apptest import TIMEOUT, chart, gate_view, open_view, sequence_box, type_text
from ui.model import MODEL_KEY
from ui.training import train_live
from workbench import keys
from workbench.model import Model as PageModel
from workbench.trainer import Trainer
from workbench.training import Handover, TrainSettings, from_result, waiting_text


def open_page(**state: object) -> AppTest:
    return open_view("train", **state)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def texts(elements: object) -> list[str]:
    return [e.value for e in elements]


def test_a_short_run_draws_its_curve_one_point_per_step() -> None:
    at = open_page(**{keys.TRAIN.steps: 30})
    assert chart(at, keys.TRAIN.curve) is None  # nothing trained yet
    click(at, keys.TRAIN.go)
    assert any("Trained for 30 steps" in m for m in texts(at.success))
    curve = chart(at, keys.TRAIN.curve)
    assert curve is not None
    raw = {t["name"]: t for t in curve["data"]}
    assert len(raw["loss (each batch)"]["y"]) == 30 and len(raw["accuracy (each batch)"]["y"]) == 30
    assert np.all(np.asarray(raw["loss (each batch)"]["y"]) > 0)
    assert curve["layout"]["yaxis"]["type"] == "log"
    assert at.session_state[keys.TRAIN.result].status == "finished"
    assert at.session_state[keys.TRAIN.result].losses.size == 30


def test_a_freshly_trained_model_names_its_unit_to_watch_as_the_shipped_ones_do() -> None:
    at = click(open_page(**{keys.TRAIN.steps: 30}), keys.TRAIN.go)
    trained = at.session_state[keys.TRAIN.result]
    found = unit_to_watch(trained.model)
    assert trained.watch == found["unit"] and trained.note == found["note"]
    assert any(found["note"] in m for m in texts(at.markdown))  # the cue, said on the page
    assert at.session_state[keys.TRAIN.cursor.unit] == found["unit"]  # the gate view opens on it


def test_stop_is_disabled_once_training_has_finished() -> None:
    at = click(open_page(**{keys.TRAIN.steps: 20}), keys.TRAIN.go)
    assert at.session_state[keys.TRAIN.result].status == "finished"
    stops = [b for b in at.button if b.label == "Stop"]
    assert stops and all(b.disabled for b in stops)


def test_the_same_seed_gives_the_same_curve() -> None:
    first = click(open_page(**{keys.TRAIN.steps: 20}), keys.TRAIN.go)
    second = click(open_page(**{keys.TRAIN.steps: 20}), keys.TRAIN.go)
    np.testing.assert_array_equal(first.session_state[keys.TRAIN.result].losses,
                                  second.session_state[keys.TRAIN.result].losses)


@pytest.mark.parametrize(("key", "value", "message"), [
    (keys.TRAIN.hidden, 0, "Hidden size: expected a whole number from 1 to 64, got 0."),
    (keys.TRAIN.hidden, 65, "Hidden size: expected a whole number from 1 to 64, got 65."),
    (keys.TRAIN.lr, 0.0, "Learning rate: expected a number above 0 and at most 10, got 0.0."),
    (keys.TRAIN.steps, 20_001, "Steps: expected a whole number from 1 to 20,000, got 20001."),
    (keys.TRAIN.batch, 0, "Batch size: expected a whole number from 1 to 1,024, got 0."),
    (keys.TRAIN.option("first_bit", "gap"), 0, "Task option (Remember the first bit): gap: expected a whole number"),
])
def test_settings_out_of_bounds_are_refused_by_name(key: str, value: object, message: str) -> None:
    at = open_page(**{keys.TRAIN.task: "first_bit", key: value})
    assert any(m.startswith(message) for m in texts(at.error)), texts(at.error)
    assert at.button(keys.TRAIN.go).disabled and at.button(keys.TRAIN.compare_go).disabled
    assert keys.TRAIN.result not in at.session_state


def test_an_empty_number_box_is_refused_too() -> None:
    at = open_page(**{keys.TRAIN.lr: None})
    assert any(m.startswith("Learning rate: expected a number above 0") for m in texts(at.error))


def test_a_diverging_run_says_so_and_keeps_finite_weights() -> None:
    at = open_page(**{keys.TRAIN.task: "sine", keys.TRAIN.kind: "rnn", keys.TRAIN.hidden: 4, keys.TRAIN.steps: 500,
                      keys.TRAIN.lr: 10.0, keys.TRAIN.batch: 8, keys.TRAIN.optimizer: "sgd", keys.TRAIN.clip: 0.0})
    click(at, keys.TRAIN.go)
    assert any("Diverged at step" in m for m in texts(at.error)), texts(at.error)
    assert any("last weights whose loss was finite" in m for m in texts(at.markdown))
    trained = at.session_state[keys.TRAIN.result]
    assert trained.status == "diverged" and 0 < trained.losses.size < 500
    assert np.all(np.isfinite(trained.model.network.layers[0].forward.weights["hidden"]))
    assert chart(at, keys.TRAIN.curve) is not None  # the curve up to the last finite step


def test_comparing_cells_on_the_first_bit_shows_the_plain_rnn_at_chance() -> None:
    at = open_page(**{keys.TRAIN.task: "first_bit", keys.TRAIN.steps: 600})
    click(at, keys.TRAIN.compare_go)
    fig = chart(at, keys.TRAIN.compare_chart)
    assert fig is not None
    accuracy = {t["name"]: np.asarray(t["y"]) for t in fig["data"]
                if t["yaxis"] == "y2" and t["name"] != "chance (50%)"}
    assert list(accuracy) == ["LSTM", "GRU (lecture's form)", "Plain RNN (tanh)"]
    assert all(len(y) == 600 for y in accuracy.values())
    assert accuracy["LSTM"][-1] > 0.9 and accuracy["GRU (lecture's form)"][-1] > 0.9
    assert abs(accuracy["Plain RNN (tanh)"][-1] - 0.5) < 0.15  # a coin flip
    assert any("a coin flip gets 50%" in m for m in texts(at.markdown))
    # look inside one of them
    at.selectbox(keys.TRAIN.look_inside).set_value("rnn")
    click(at, keys.TRAIN.look_inside_go)
    assert at.session_state[keys.TRAIN.result].model.network.kind == "rnn"
    assert any(h.value.startswith("Plain RNN (tanh) trained on remembering the first bit") for h in at.header)


def test_the_prediction_table_is_built_once_opened_and_stays_open() -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("brackets_lstm")
    click(at, keys.TRAIN.load)
    assert len(at.dataframe) == 0  # "Predictions as a table", closed: not built
    at.session_state[keys.TRAIN.table_open] = True
    at.run(timeout=TIMEOUT)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) > 0
    at.switch_page("views/gradient_flow.py").run(timeout=TIMEOUT)
    at.switch_page("views/train.py").run(timeout=TIMEOUT)
    assert not at.exception and len(at.dataframe) == 1


def test_a_shipped_model_loads_without_training_and_reads_brackets() -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("brackets_lstm")
    click(at, keys.TRAIN.load)
    assert any(h.value == "LSTM trained on brackets" for h in at.header)
    assert any(m.startswith("Loaded the shipped model") for m in texts(at.info))
    assert chart(at, keys.TRAIN.curve) is None  # shipped: no curve to show
    assert sequence_box(at, keys.TRAIN.text)["text"] == "(()(()))((()))()"
    header, _ = gate_view(at, keys.TRAIN.cursor.view)
    assert [p["name"] for p in header["panels"]] == ["inputs", "forget", "input", "candidate", "output", "cell",
                                                      "hidden"]
    assert header["unit"] == 3 and header["steps"] == 16  # on the unit the note says to watch
    strip = chart(at, keys.TRAIN.predictions)
    heat = strip["data"][0]
    assert list(heat["y"]) == ["predicted", "true"]
    assert [list(r) for r in heat["text"]] == [list("1212321012321010")] * 2
    assert strip["layout"]["title"]["text"].endswith("16 of 16 right")
    assert any("Watch unit 3 of C_t" in m for m in texts(at.markdown))


def test_typed_sequence_predictions_follow_the_text() -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("counting_lstm")
    click(at, keys.TRAIN.load)
    type_text(at, keys.TRAIN.text, "aaXbb.")
    heat = chart(at, keys.TRAIN.predictions)["data"][0]
    assert list(heat["text"][1]) == ["", "", "2", "1", "0", "0"]  # b's left, known from the X on
    assert list(heat["text"][0])[2:] == ["2", "1", "0", "0"]
    type_text(at, keys.TRAIN.text, "aaQbb")
    assert not at.exception
    assert any("'Q'" in m and m.startswith("Sequence:") for m in texts(at.error)), texts(at.error)


@pytest.mark.parametrize("bad", ["aaQbb", "", "a" * 301, "a" * 2_500])
def test_a_bad_typed_sequence_keeps_the_last_good_view_with_the_message(bad: str) -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("counting_lstm")
    click(at, keys.TRAIN.load)
    type_text(at, keys.TRAIN.text, "aaXbb.")
    good = chart(at, keys.TRAIN.predictions)["data"][0]
    type_text(at, keys.TRAIN.text, bad)
    assert not at.exception
    shown = texts(at.error)
    assert len(shown) == 1 and shown[0].startswith("Sequence:"), shown
    assert shown[0].endswith("Showing the last sequence that worked.")
    if len(bad) > 300:
        assert "this page runs up to 300" in shown[0], shown  # the limit the box's label names
    kept = chart(at, keys.TRAIN.predictions)
    assert kept is not None and [list(r) for r in kept["data"][0]["text"]] == [list(r) for r in good["text"]]
    assert gate_view(at, keys.TRAIN.cursor.view)[0]["steps"] == 6  # the six steps of "aaXbb."
    click(at, keys.TRAIN.explore)
    assert at.session_state[MODEL_KEY].sequence == "aaXbb."  # Explore gets the sequence on screen


def test_text_model_predicts_next_characters() -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("text_lstm")
    click(at, keys.TRAIN.load)
    heat = chart(at, keys.TRAIN.predictions)["data"][0]
    typed = sequence_box(at, keys.TRAIN.text)["text"]
    assert len(heat["text"][0]) == len(typed)
    assert [t for t in heat["text"][1]] == [c.replace(" ", "␣") for c in typed[1:]] + [""]


def test_open_in_explore_hands_the_model_over() -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("first_bit_gru")
    click(at, keys.TRAIN.load)
    type_text(at, keys.TRAIN.text, "1000")
    click(at, keys.TRAIN.explore)
    model = at.session_state[MODEL_KEY]
    assert isinstance(model, PageModel)
    assert model.label == "GRU (lecture's form) trained on remembering the first bit (gap 50)"
    assert model.sequence == "1000" and model.readout is not None
    assert model.inputs("1000").xs.shape == (4, 2)
    assert model.network is at.session_state[keys.TRAIN.result].model.network


def test_a_trained_model_opens_in_explore_too() -> None:
    at = click(open_page(**{keys.TRAIN.steps: 10}), keys.TRAIN.go)
    click(at, keys.TRAIN.explore)
    model = at.session_state[MODEL_KEY]
    assert model.label == "LSTM trained on brackets" and model.inputs("(())").xs.shape == (4, 2)


def test_put_in_compare_fills_pane_a_with_the_model() -> None:
    at = open_page()
    at.selectbox(keys.TRAIN.pretrained).set_value("brackets_lstm")
    click(at, keys.TRAIN.load)
    click(at, keys.TRAIN.to_compare)
    assert at.session_state[MODEL_KEY].label == "LSTM trained on brackets"
    assert at.session_state[keys.COMPARE.pane("a", "source")] == "current"
    assert at.selectbox(keys.COMPARE.pane("a", "source")).value == "current"  # the Compare page drew pane A with it
    assert at.session_state[keys.COMPARE.pane("a", "text")] == "(()(()))((()))()"


# ----- Stop: a click reruns the page while the old run is still training ---------------------------------
SMALL = TrainSettings("brackets", (("length", 10), ("max_depth", 3)), "lstm", 4, 0.01, 8, 40, "adam", 0, 2.0)


@pytest.mark.parametrize("interrupt", [StopException(), RerunException(None)])
def test_an_interrupted_draw_stops_training_and_keeps_the_weights(interrupt: BaseException) -> None:
    """Training runs in its own process; the page draws the steps that have arrived, and a click (Streamlit
    raises it inside the draw) stops the run after the step it is in."""
    drawn = []
    long = dataclasses.replace(SMALL, steps=20_000)

    def draw(step: int, losses: np.ndarray, accuracies: np.ndarray) -> None:
        drawn.append((step, losses.size, accuracies.size))
        if step >= 7:
            raise interrupt  # what Streamlit raises inside an st call once a click asks for a rerun

    result, pending = train_live(long, draw, every_seconds=0.01)
    assert pending is interrupt
    done = result.losses.size
    assert result.status == "stopped" and drawn[-1][0] <= done < 20_000
    assert all(step == n == m for step, n, m in drawn) and [s for s, _, _ in drawn] == sorted({s for s, _, _ in drawn})
    here = train("lstm", long.make_task(), callback=lambda step, loss, acc: step < done, **long.train_kwargs())
    np.testing.assert_array_equal(result.losses, here.losses)
    np.testing.assert_array_equal(result.model.readout.weights, here.model.readout.weights)


def test_the_next_run_shows_the_stopped_model() -> None:
    def stop_at_5(step: int, loss: float, accuracy: float) -> bool:
        return step < 5

    stopped = train("lstm", SMALL.make_task(), callback=stop_at_5, **SMALL.train_kwargs())
    box = Handover(trained=from_result(stopped, 40))
    box.done.set()  # the stopped run has left its model
    at = open_page(**{keys.TRAIN.busy: box})
    assert any(m.startswith("Stopped after step 5 of 40") for m in texts(at.warning))
    assert keys.TRAIN.busy not in at.session_state
    curve = chart(at, keys.TRAIN.curve)
    assert len(next(t for t in curve["data"] if t["name"] == "loss (each batch)")["y"]) == 5
    assert curve["layout"]["xaxis2"]["range"] == [1, 5]


def test_a_run_waiting_for_a_process_says_how_long_and_stop_cancels_it() -> None:
    """Another session holds the only process: the page says the run waits and about how long, and Stop takes it
    out of the queue without waiting for the other run."""
    pool = Trainer(1, express=0, every_seconds=0.01)
    try:
        long = {**SMALL.train_kwargs(), "steps": 20_000}
        busy = pool.submit("lstm", SMALL.make_task(), owner="another session", **long)
        while busy.poll() < 2:
            assert not busy.wait(0.01)
        said: list[str] = []

        def wait(ahead: int, seconds: float | None) -> None:
            said.append(waiting_text(ahead, seconds))
            if len(said) == 3:
                raise StopException()  # the Stop click, as Streamlit raises it inside the page's next draw

        result, pending = train_live(SMALL, lambda *drawn: None, every_seconds=0.01, trainer=pool, wait=wait)
        assert result is None and isinstance(pending, StopException)
        assert said[-1].startswith("Waiting for a training process: other sessions are training; it should start "
                                   "in about ") and said[-1].endswith(". Stop cancels it.")
        assert not busy.done()  # the other session's run goes on
        busy.stop()
        busy.result(timeout=60)
    finally:
        pool.close()
