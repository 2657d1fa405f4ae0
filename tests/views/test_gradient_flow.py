"""The Gradient flow page in AppTest: log-scale plots where the plain RNN's gradient visibly vanishes."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

import cells
from cells.gradflow import gradient_flow
from tests.views.apptest import chart, open_view
from ui.training import load_pretrained
from workbench import keys
from workbench.flow import flow_inputs


def open_page(**state: object) -> AppTest:
    return open_view("gradient_flow", **state)


def lines(fig: dict) -> dict[str, np.ndarray]:
    """Each line's y values by name, with the log axis' gaps (underflow) as 0."""
    return {t["name"]: np.nan_to_num(np.array([np.nan if v is None else v for v in t["y"]], dtype=np.float64), nan=0.0)
            for t in fig["data"]}


def test_both_plots_are_log_scale_and_the_rnn_vanishes_first() -> None:
    at = open_page()
    for key in (keys.FLOW.random_chart, keys.FLOW.trained_chart):
        fig = chart(at, key)
        assert fig["layout"]["yaxis"]["type"] == "log"
        y = lines(fig)
        assert set(y) == {"plain RNN: ‖∂h_T/∂h_t‖", "LSTM: ‖∂h_T/∂h_t‖", "LSTM: ‖∂C_T/∂C_t‖", "GRU: ‖∂h_T/∂h_t‖"}
        assert all(len(v) == 100 and v[-1] == 1.0 for v in y.values())  # T = 100 by default; 1 at t = T
        rnn = y["plain RNN: ‖∂h_T/∂h_t‖"]
        assert rnn[0] < y["LSTM: ‖∂h_T/∂h_t‖"][0] and rnn[0] < y["LSTM: ‖∂C_T/∂C_t‖"][0]
        assert rnn[0] < y["GRU: ‖∂h_T/∂h_t‖"][0]
        assert rnn[0] < 1e-12  # vanished
    trained = lines(chart(at, keys.FLOW.trained_chart))
    assert trained["LSTM: ‖∂C_T/∂C_t‖"][0] > 0.1  # the trained LSTM's cell path carries the gradient back


def test_the_sentence_under_each_plot_says_how_fast_the_rnn_vanishes() -> None:
    at = open_page()
    sentences = [m.value for m in at.markdown if "gradient falls by a factor of about" in m.value]
    assert len(sentences) == 2
    assert all("every 10 steps" in s and "The plain RNN's" in s for s in sentences)
    assert "keeps 0.9 of its gradient" in sentences[1]  # the trained LSTM's cell path


def test_length_and_hidden_size_follow_the_sliders() -> None:
    at = open_page(**{keys.FLOW.steps: 30, keys.FLOW.hidden: 16})
    fig = chart(at, keys.FLOW.random_chart)
    assert all(len(t["x"]) == 30 for t in fig["data"])
    assert "16 units" in fig["layout"]["title"]["text"]
    assert all(len(t["x"]) == 30 for t in chart(at, keys.FLOW.trained_chart)["data"])


def test_the_train_pages_model_gets_its_own_plot() -> None:
    at = open_page()
    assert chart(at, keys.FLOW.own_chart) is None
    at = open_page(**{keys.TRAIN.result: load_pretrained("brackets_lstm")})
    fig = chart(at, keys.FLOW.own_chart)
    assert fig["layout"]["yaxis"]["type"] == "log"
    assert [t["name"] for t in fig["data"]] == ["your LSTM: ‖∂h_T/∂h_t‖", "your LSTM: ‖∂C_T/∂C_t‖"]
    assert any(m.value.startswith("##### Your LSTM's cell-state path") for m in at.markdown)


def test_an_emptied_seed_box_keeps_the_seed_it_had() -> None:
    at = open_page(**{keys.FLOW.seed: 7})
    at.number_input(key=keys.FLOW.seed).set_value(None).run()
    assert not at.exception
    assert at.number_input(key=keys.FLOW.seed).value == 7
    assert "Seed was left empty: kept 7." in [c.value for c in at.caption]
    assert chart(at, keys.FLOW.random_chart)["layout"]["title"]["text"].endswith("seed 7")


def test_a_shorter_t_is_the_flow_of_the_shorter_sequence_the_page_says() -> None:
    """The page runs each network once over its longest sequence and reads every T from that run: what it draws
    for T = 50 is the flow of a 50-step first-bit sequence, computed on its own."""
    at = open_page()
    at.slider(key=keys.FLOW.steps).set_value(50).run()
    assert not at.exception
    y = lines(chart(at, keys.FLOW.random_chart))
    xs = flow_inputs(50, 0)
    for kind, name in (("rnn", "plain RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
        cell = cells.Network.create(kind, xs.shape[1], 8, seed=0).layers[0].forward
        want = gradient_flow(cell, xs)
        np.testing.assert_allclose(y[f"{name}: ‖∂h_T/∂h_t‖"], np.where(want.hidden > 1e-300, want.hidden, 0.0),
                                   rtol=1e-9)
        if want.cell is not None:
            np.testing.assert_allclose(y[f"{name}: ‖∂C_T/∂C_t‖"], want.cell, rtol=1e-9)
