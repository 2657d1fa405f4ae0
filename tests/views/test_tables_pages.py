"""The "Show numbers as tables" setting in AppTest: on, each page puts its charts' numbers under them, equal
to the trace or the figure they draw; off, no page builds a single one."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

import cells
from cells import encode
from tests.views.apptest import TIMEOUT, chart, gate_view, open_view
from tests.views.test_explore_page import open_page as open_explore
from workbench import keys

NUMBERS = "The numbers of"


def table_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith(NUMBERS)]


def tables(at: AppTest) -> list[np.ndarray]:
    """Every table of numbers (rows × columns), leaving out the pages' own summaries that hold words."""
    shown = []
    for element in at.dataframe:
        try:
            shown.append(element.value.to_numpy(dtype=float))
        except (TypeError, ValueError):
            continue
    return shown


def switch_on(at: AppTest) -> AppTest:
    at.toggle(key=keys.APP.show_tables).set_value(True).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def test_explore_shows_each_panels_numbers_only_when_asked() -> None:
    at = open_explore()
    assert table_captions(at) == [] and not at.dataframe  # off: no table at all

    switch_on(at)
    encoded = encode.one_hot("hello world")
    trace = cells.Network.create("lstm", encoded.input_size, 8, seed=0, scheme="pytorch", scale=1.0).run(encoded.xs)
    forward = trace.layers[0].forward
    want = [encoded.xs.T] + [forward.values[name].T for name in ("forget", "input", "candidate", "output", "cell",
                                                                  "hidden")]
    shown = tables(at)
    assert len(shown) == len(want)
    for got, expected in zip(shown, want, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-4)
    assert list(at.dataframe[1].value.columns[:2]) == ["0·h", "1·e"]
    assert table_captions(at) == ["The numbers of this view:"]

    at.toggle(key=keys.APP.show_tables).set_value(False).run(timeout=TIMEOUT)
    assert not at.dataframe


def test_the_setting_is_kept_on_the_next_page() -> None:
    at = switch_on(open_explore())
    at.switch_page("views/gradient_flow.py").run(timeout=TIMEOUT)
    assert not at.exception
    assert at.toggle(key=keys.APP.show_tables).value is True
    fig = chart(at, keys.FLOW.random_chart)
    lines = {t["name"]: np.array([np.nan if v is None else v for v in t["y"]], dtype=float) for t in fig["data"]}
    first = at.dataframe[0].value
    assert set(first.columns) == set(lines)
    for name, y in lines.items():
        np.testing.assert_allclose(first[name].to_numpy(dtype=float), y.round(4), atol=1e-12, equal_nan=True)


def test_compare_shows_each_panes_numbers() -> None:
    at = open_view("compare", **{keys.APP.show_tables: True})
    encoded = encode.one_hot("hello world")
    lstm = cells.Network.create("lstm", encoded.input_size, 8, seed=0).run(encoded.xs).layers[0].forward
    shown = tables(at)
    assert len(table_captions(at)) == 3  # A, B and B − A
    assert any(t.shape == (8, 11) and np.allclose(t, lstm.values["forget"].T, atol=1e-4) for t in shown)


def test_train_shows_the_gate_view_and_predictions_numbers() -> None:
    at = open_view("train", **{keys.APP.show_tables: True})
    at.selectbox(keys.TRAIN.pretrained).set_value("brackets_lstm")
    at.button(keys.TRAIN.load).click().run(timeout=TIMEOUT)
    assert not at.exception
    cell = gate_view(at, keys.TRAIN.cursor.view)[1]["cell"]  # (T, H) as the browser draws it
    shown = tables(at)
    assert any(t.shape == cell.T.shape and np.allclose(t, cell.T, atol=1e-4) for t in shown)
    assert len(table_captions(at)) == 2  # the gate view's panels, and the predictions
