"""Every chart's numbers as tables: what a reader gets from a gate view and from the Plotly figures, checked
against the trace or the data the figure was drawn from."""

from __future__ import annotations

import numpy as np
import pandas as pd

import cells
from cells import encode
from viz.compare import compare_views
from viz.gateview import gate_view
from viz.heatmap import gate_heatmap, heatmap_names
from viz.tables import DECIMALS, figure_tables, view_tables
from viz.training import learning_curves

TEXT = encode.one_hot("hello")


def lstm(hidden: int = 3, xs: np.ndarray = TEXT.xs) -> cells.Trace:
    return cells.Network.create("lstm", xs.shape[1], hidden, seed=1).run(xs).layers[0].forward


def test_a_gate_view_gives_one_table_per_panel_with_the_traces_numbers() -> None:
    trace = lstm()
    tables = dict(view_tables(gate_view(trace, TEXT.tokens, TEXT.features)))

    assert list(tables) == ["encoded inputs", *(cells.gate_info("lstm", n).title for n in heatmap_names(trace))]
    forget = tables[cells.gate_info("lstm", "forget").title]
    assert list(forget.columns) == ["0·h", "1·e", "2·l", "3·l", "4·o"]  # as the time axis labels the steps
    assert list(forget.index) == ["unit 0", "unit 1", "unit 2"]
    np.testing.assert_allclose(forget.to_numpy(), trace.values["forget"].T, atol=10**-DECIMALS)
    inputs = tables["encoded inputs"]
    assert list(inputs.index) == list(TEXT.features)  # the inputs' rows are named by their characters
    np.testing.assert_array_equal(inputs.to_numpy(), TEXT.xs.T)


def test_compares_empty_slots_give_no_table_and_the_difference_has_its_own() -> None:
    a = lstm()
    b = cells.Network.create("rnn", TEXT.input_size, 3, seed=1).run(TEXT.xs).layers[0].forward
    _, view_b, diff = compare_views(a, b, TEXT.tokens, TEXT.tokens, labels=("A", "B"))
    shown_b = view_tables(view_b)
    drawn_b = [p for p in view_b.header["panels"] if not p.get("empty")]
    assert len(shown_b) == len(drawn_b) < len(view_b.header["panels"])  # an RNN has no f_t: no table for it
    assert diff is not None and view_tables(diff)


def test_a_heatmap_figure_gives_its_grid() -> None:
    trace = lstm()
    fig = gate_heatmap(trace, "cell", tokens=TEXT.tokens)
    [(_, table)] = figure_tables(fig)  # the grid only, not the markers laid over it to click
    heat = next(t for t in fig.data if t.type == "heatmap")
    np.testing.assert_allclose(table.to_numpy(), np.asarray(heat.z, dtype=float), atol=10**-DECIMALS)
    assert table.shape == np.asarray(heat.z).shape
    assert list(table.columns) == ["0·h", "1·e", "2·l", "3·l", "4·o"]  # as the axis writes them
    assert table.index.name == "unit" and list(table.index) == ["0", "1", "2"]


def test_curves_share_one_table_by_step() -> None:
    losses, accuracies = np.linspace(1.0, 0.1, 20), np.linspace(0.5, 1.0, 20)
    fig = learning_curves(losses, accuracies, total_steps=20, chance=0.5, title="Learning")
    tables = figure_tables(fig)
    assert tables
    table = tables[0][1]
    assert isinstance(table, pd.DataFrame) and len(table.columns) >= 2
    column = next(c for c in table.columns if np.allclose(table[c].dropna().to_numpy()[:20], losses.round(4)))
    assert table[column].notna().sum() == 20
