"""Downloads and the page's figure payload."""

from __future__ import annotations

import base64
import io
import re

import numpy as np

import cells
from cells import encode
from viz.export import COLUMNS, figure_html, gate_view_html, trace_csv, trace_frame, trace_npz
from viz.gateview import gate_view, pack
from viz.heatmap import gate_heatmap


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


def test_the_offline_view_is_one_file_with_its_script_style_and_data_inside() -> None:
    trace, e = run("hello", hidden=4)
    packed = pack(gate_view(trace.layers[0].forward, e.tokens, e.features))
    html = gate_view_html(packed, "A <b>title</b>")
    assert html.startswith("<!doctype html>") and "<title>A &lt;b&gt;title&lt;/b&gt;</title>" in html
    # nothing to fetch: no script, style or image from an address, so it opens with no network
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|@import|fetch\(|import\s*\(""", html)
    assert "export default" not in html and "function mountGateView" in html and ".gv-bar" in html
    data = re.search(r'atob\("([A-Za-z0-9+/=]+)"\)', html).group(1)
    assert base64.b64decode(data) == packed
