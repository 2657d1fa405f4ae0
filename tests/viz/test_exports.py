"""Downloads and the page's figure payload."""

from __future__ import annotations

import io

import numpy as np
import pytest

import cells
from cells import encode
from tests.viz.figjson import spec
from viz.diagram import cell_diagram
from viz.export import COLUMNS, figure_html, payload_bytes, trace_csv, trace_frame, trace_npz
from viz.heatmap import gate_heatmap, heatmap_names, input_heatmap
from viz.lines import unit_lines
from viz.style import colour_range

PAGE_BUDGET = 3_000_000  # bytes of figure JSON the Explore page may send


def run(text: str, kind: str = "lstm", hidden: int = 3, **kw: object) -> tuple[cells.NetworkTrace, encode.Encoded]:
    e = encode.one_hot(text)
    return cells.Network.create(kind, e.input_size, hidden, seed=0, **kw).run(e.xs), e


def test_csv_is_long_form_one_row_per_value() -> None:
    trace, e = run("hello", num_layers=2, bidirectional=True)
    frame = trace_frame(trace, e.tokens)
    assert tuple(frame.columns) == COLUMNS
    per_direction = 7 * 5 * 3  # LSTM values (f, i, C̃, o, C, tanh C, h) × T × H
    assert len(frame) == 2 * 2 * per_direction
    assert set(frame["direction"]) == {"forward", "backward"} and set(frame["layer"]) == {0, 1}
    row = frame[(frame.layer == 1) & (frame.direction == "backward") & (frame.step == 2) & (frame.gate == "cell")
                & (frame.unit == 1)]
    assert row["token"].item() == "l"
    assert row["value"].item() == trace.layers[1].backward.values["cell"][2, 1]
    import pandas as pd

    back = pd.read_csv(io.BytesIO(trace_csv(trace, e.tokens)))
    assert tuple(back.columns) == COLUMNS and len(back) == len(frame)


def test_npz_holds_every_array_by_layer_direction_and_gate() -> None:
    trace, e = run("abc", kind="gru", bidirectional=True)
    data = np.load(io.BytesIO(trace_npz(trace, e.tokens)))
    np.testing.assert_array_equal(data["layer0/backward/values/update"], trace.layers[0].backward.values["update"])
    np.testing.assert_array_equal(data["layer0/forward/pre/candidate"], trace.layers[0].forward.pre["candidate"])
    assert list(data["tokens"]) == ["a", "b", "c"]
    np.testing.assert_array_equal(data["inputs"], e.xs)


def test_figure_html_is_a_standalone_page() -> None:
    trace, e = run("ab")
    html = figure_html(gate_heatmap(trace.layers[0].forward, "forget", tokens=e.tokens))
    assert "<html>" in html and "Plotly.newPlot" in html
    assert '<script src="http' not in html and len(html) > 1_000_000  # plotly.js is inside: it opens offline


def page_figures(trace: cells.NetworkTrace, e: encode.Encoded, cursor: int, units: list[int]) -> list:
    t = trace.layers[0].forward
    return [input_heatmap(e.xs, e.tokens, e.features),
            *(gate_heatmap(t, name, cursor=cursor, tokens=e.tokens, unit=units[0]) for name in heatmap_names(t)),
            cell_diagram(t, cursor, units[0]), unit_lines(t, units, cursor=cursor, tokens=e.tokens)]


@pytest.mark.parametrize("steps", [250, 2000])
def test_page_figures_stay_under_the_payload_budget_at_64_units(steps: int) -> None:
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz ␣()"), steps))
    trace, e = run(text, hidden=64)
    size = payload_bytes(page_figures(trace, e, cursor=steps // 2, units=[0, 5, 63]))
    assert size < PAGE_BUDGET, f"{size:,} bytes at T={steps}, H=64"


def test_diagram_boxes_take_the_heatmap_colour_of_their_value() -> None:
    trace, _ = run("hello", hidden=4)
    t = trace.layers[0].forward
    s = spec(cell_diagram(t, 2, 3))
    boxes = {shape["name"]: shape for shape in s["layout"]["shapes"] if "name" in shape}
    assert set(boxes) == {"forget", "input", "candidate", "output", "cell", "hidden"}
    for name, box in boxes.items():
        assert box["fillcolor"] == colour_range("lstm", name, t.values[name]).colour(t.values[name][2, 3])
    texts = " ".join(a["text"] for a in s["layout"]["annotations"])
    assert f"{t.values['forget'][2, 3]:.2f}" in texts


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_diagram_draws_every_kind(kind: str) -> None:
    trace, _ = run("abc", kind=kind, hidden=2)
    boxes = [s for s in spec(cell_diagram(trace.layers[0].forward, 0, 1))["layout"]["shapes"] if "name" in s]
    assert len(boxes) == len(cells.KINDS[kind].SHOWN)  # one box per gate and state the page shows


def test_unit_lines_follow_h_and_c_of_each_chosen_unit_with_the_cursor() -> None:
    trace, e = run("hello", hidden=4)
    t = trace.layers[0].forward
    s = spec(unit_lines(t, [1, 3], cursor=2, tokens=e.tokens))
    names = [d["name"] for d in s["data"]]
    assert names == ["h_t unit 1", "C_t unit 1", "h_t unit 3", "C_t unit 3"]
    np.testing.assert_allclose(s["data"][3]["y"], t.values["cell"][:, 3], atol=6e-4)
    cursor = s["layout"]["shapes"][0]
    assert (cursor["x0"], cursor["x1"]) == (1.5, 2.5)
    gru, _ = run("hello", kind="gru", hidden=2)
    assert len(spec(unit_lines(gru.layers[0].forward, [0], tokens=e.tokens))["data"]) == 1
