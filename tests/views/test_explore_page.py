"""The Explore page in Streamlit's AppTest: type, switch, scrub, click, break it, share it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import cells
from cells import encode
from ui import keys
from ui.model import MODEL_KEY
from ui.settings import EXAMPLES, MAX_STEPS
from viz.equations import deck_equations
from viz.heatmap import HEATMAPS

APP = Path(__file__).parents[2] / "app.py"
TIMEOUT = 120


def open_page(query: dict[str, str] | None = None, *, drawn: bool = True) -> AppTest:
    """Explore in a new session; with ``drawn``, one click from the first view's ready model to the drawn
    random network (a link naming any setting opens on what it names instead, with no click)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run(timeout=TIMEOUT)
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    assert not at.exception
    if drawn and MODEL_KEY in at.session_state:
        at.button(key=keys.FIRST_VIEW_DRAWN).click().run(timeout=TIMEOUT)
        assert not at.exception and MODEL_KEY not in at.session_state
    return at


def test_the_first_view_is_a_trained_model_with_its_unit_to_watch_selected() -> None:
    at = open_page(drawn=False)
    assert not errors(at)
    model = at.session_state[MODEL_KEY]
    assert model.label == "LSTM trained on brackets"
    assert at.text_area(key=keys.SEQ_TEXT).value == model.sequence
    assert at.session_state[keys.CURSOR_UNIT] == 3 == model.watch  # "Watch unit 3 of C_t"
    assert any("What to look at" in i.value and "unit 3" in i.value for i in at.info)
    # the gates do something: unit 3 of C_t moves with the nesting depth on the text shown
    cell = model.network.run(model.inputs(model.sequence).xs).layers[0].forward.values["cell"]  # (T, H)
    depth = np.cumsum([1 if c == "(" else -1 for c in model.sequence])
    assert abs(np.corrcoef(cell[:, 3], depth)[0, 1]) > 0.9
    # the drawn random network is one click away, on the page's default text
    at.button(key=keys.FIRST_VIEW_DRAWN).click().run(timeout=TIMEOUT)
    assert MODEL_KEY not in at.session_state and at.text_area(key=keys.SEQ_TEXT).value == "hello world"
    assert not errors(at) and at.session_state[keys.CURSOR_UNIT] == 0


def charts(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page by its key, as the JSON the browser gets."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[chart.proto.id] = spec
    return out


def heatmap_titles(at: AppTest) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in charts(at).values()]


def time_labels(at: AppTest) -> list[str]:
    """The tick labels of the first gate heatmap (the step·token labels of the sequence shown)."""
    specs = [s for s in charts(at).values() if "step" in json.dumps(s["layout"].get("xaxis", {}))]
    gates = [s for s in specs if not s["layout"]["title"]["text"].startswith("x_t")]
    return gates[0]["layout"]["xaxis"]["ticktext"]


def cursor_x(at: AppTest) -> list[float]:
    """Where the cursor box is on every chart that has one."""
    xs = []
    for spec in charts(at).values():
        for shape in spec["layout"].get("shapes", []):
            if shape.get("name") == "cursor":
                xs.append((shape["x0"] + shape["x1"]) / 2)
    return xs


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_drawn_view_shows_every_lstm_gate_the_equations_and_no_error() -> None:
    at = open_page()
    assert not errors(at)
    assert at.text_area(key=keys.SEQ_TEXT).value == "hello world"
    titles = heatmap_titles(at)
    for symbol in ("x_t", "f_t", "i_t", "C̃_t", "o_t", "C_t", "h_t"):
        assert any(t.startswith(symbol) for t in titles), symbol
    assert len(at.get("plotly_chart")) == 1 + 6 + 2  # inputs, six heatmaps, diagram, unit lines
    latex = " ".join(x.value for x in at.latex)
    assert r"f_t &= \sigma(W_f" in latex and r"&= \sigma(" in latex
    assert "2,000 steps" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_fills_the_box_and_redraws(name: str) -> None:
    at = open_page()
    at.selectbox(key=keys.SEQ_EXAMPLE).set_value(name).run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    mode, text = EXAMPLES[name]
    assert at.text_area(key=keys.SEQ_TEXT).value == text
    assert at.radio(key=keys.SEQ_MODE).value == mode
    steps = len(text) if mode == "onehot" else len(text.split())
    assert at.slider(key=keys.CURSOR_STEP).max == steps - 1
    assert time_labels(at)[0].startswith("0·" + (text[0] if mode == "onehot" else text.split()[0]))


def test_typing_a_sequence_redraws_the_heatmaps() -> None:
    at = open_page()
    at.text_area(key=keys.SEQ_TEXT).input("abcab").run(timeout=TIMEOUT)
    assert not errors(at)
    assert time_labels(at) == ["0·a", "1·b", "2·c", "3·a", "4·b"]
    at.radio(key=keys.SEQ_MODE).set_value("embed").run(timeout=TIMEOUT)
    at.number_input(key=keys.EMBED_SIZE).set_value(5).run(timeout=TIMEOUT)
    assert not errors(at)
    input_spec = next(s for s in charts(at).values() if s["layout"]["title"]["text"].startswith("x_t"))
    assert input_spec["layout"]["yaxis"]["ticktext"] == ["e1", "e2", "e3", "e4", "e5"]


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_cell_kind_shows_its_own_gates_and_equations(kind: str) -> None:
    at = open_page()
    at.selectbox(key=keys.NET_KIND).set_value(kind).run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    family = cells.KINDS[kind].FAMILY
    shown = [c.proto.id for c in at.get("plotly_chart")]
    assert len(shown) == 1 + len(HEATMAPS[family]) + 2
    latex = " ".join(x.value for x in at.latex)
    for line in deck_equations(kind):
        lhs, rule = line.split(" = ", 1)
        assert f"{lhs} &= {rule}" in latex
    captions = " ".join(c.value for c in at.caption)
    if kind in ("gru_torch", "gru_keras_v1"):
        assert "OLD state" in captions
    if kind == "gru":
        assert "NEW candidate" in captions


def test_bidirectional_three_layers_shows_the_chosen_layer_and_direction() -> None:
    at = open_page()
    at.toggle(key=keys.NET_BIDIRECTIONAL).set_value(True).run(timeout=TIMEOUT)
    at.number_input(key=keys.NET_LAYERS).set_value(3).run(timeout=TIMEOUT)
    assert not errors(at)
    assert at.selectbox(key=keys.VIEW_LAYER).options == ["layer 1 (input)", "layer 2", "layer 3"]
    at.selectbox(key=keys.VIEW_LAYER).set_value(2).run(timeout=TIMEOUT)
    at.radio(key=keys.VIEW_DIRECTION).set_value("backward").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    assert any("layer 3, backward" in m.value for m in at.markdown)
    assert any(t.startswith("x_t  layer 3's input: layer 2's h_t") for t in heatmap_titles(at))
    # the heatmap shows that direction's numbers: layer 3's backward cell is not layer 1's forward cell
    network = cells.Network.create("lstm", 8, 8, num_layers=3, bidirectional=True, seed=0)
    trace = network.run(encode.one_hot("hello world").xs).layers[2].backward
    forget = next(s for s in charts(at).values() if s["layout"]["title"]["text"].startswith("f_t"))
    z = forget["data"][0]["z"]
    values = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.float32).reshape(8, 11)
    np.testing.assert_allclose(values, trace.values["forget"].T, atol=6e-4)


def test_moving_the_cursor_never_reruns_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_run = cells.Network.run

    def counting_run(self: cells.Network, *args: object, **kwargs: object) -> cells.NetworkTrace:
        calls.append(1)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(cells.Network, "run", counting_run)
    st.cache_data.clear()
    at = open_page({"seq": "cursor test"})
    assert len(calls) == 1
    at.slider(key=keys.CURSOR_STEP).set_value(4).run(timeout=TIMEOUT)
    assert set(cursor_x(at)) == {4.0}
    at.button(key=keys.CURSOR_NEXT).click().run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == 5
    assert set(cursor_x(at)) == {5.0}
    assert any(m.value.startswith("**Step 5** · token `r`") for m in at.markdown)
    at.button(key=keys.CURSOR_PREV).click().run(timeout=TIMEOUT)
    at.number_input(key=keys.CURSOR_UNIT).set_value(3).run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == 4
    assert any("unit 3" in m.value for m in at.markdown)
    assert len(calls) == 1, "scrubbing the cursor or picking a unit ran the network again"


def test_play_advances_the_cursor_and_pause_stops_it() -> None:
    at = open_page({"seq": "abcd"})
    at.button(key=keys.CURSOR_PLAY).click().run(timeout=TIMEOUT)
    assert at.session_state[keys.PLAYING]
    first = at.slider(key=keys.CURSOR_STEP).value
    at.run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == first + 1
    assert [b.key for b in at.button if b.key in (keys.CURSOR_PLAY, keys.CURSOR_PAUSE)] == [keys.CURSOR_PAUSE]
    at.button(key=keys.CURSOR_PAUSE).click().run(timeout=TIMEOUT)
    assert not at.session_state[keys.PLAYING]
    stopped = at.slider(key=keys.CURSOR_STEP).value
    at.run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == stopped
    for _ in range(6):  # playing to the end stops there
        at.button(key=keys.CURSOR_PLAY).click().run(timeout=TIMEOUT) if not at.session_state[keys.PLAYING] else \
            at.run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == 3
    assert not at.exception


def test_clicking_a_heatmap_cell_moves_cursor_and_unit() -> None:
    at = open_page()
    selection = {"selection": {"points": [{"x": 6, "y": 5, "curve_number": 1, "point_index": 61}],
                               "point_indices": [61], "box": [], "lasso": []}}
    at.session_state[keys.heatmap("cell")] = selection
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.slider(key=keys.CURSOR_STEP).value == 6
    assert at.number_input(key=keys.CURSOR_UNIT).value == 5
    assert 5 in at.multiselect(key=keys.FOLLOW_UNITS).value
    assert set(cursor_x(at)) == {6.0}
    lines = next(s for s in charts(at).values() if "chosen units" in s["layout"]["title"]["text"])
    assert "h_t unit 5" in [d["name"] for d in lines["data"]]
    # the same selection again (any later rerun) does not pull the cursor back
    at.slider(key=keys.CURSOR_STEP).set_value(2).run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == 2


def test_clicking_the_input_heatmap_moves_only_the_cursor() -> None:
    at = open_page()
    at.number_input(key=keys.CURSOR_UNIT).set_value(4).run(timeout=TIMEOUT)
    at.session_state[keys.INPUT_HEATMAP] = {"selection": {"points": [{"x": 7, "y": 1}], "point_indices": [],
                                                          "box": [], "lasso": []}}
    at.run(timeout=TIMEOUT)
    assert at.slider(key=keys.CURSOR_STEP).value == 7
    assert at.number_input(key=keys.CURSOR_UNIT).value == 4


@pytest.mark.parametrize(
    ("mode", "text", "message"),
    [
        ("numbers", "1 2 x 4", "'x' at step 3 is not a number"),
        ("numbers", "1 2; 3 4; 5", "step 3 has 1 number, expected 2"),
        ("onehot", "", "empty"),
        ("onehot", "a" * (MAX_STEPS + 1), "2,001 steps"),
        ("numbers", "1 " * (MAX_STEPS + 5), "this page runs up to 2,000"),
    ],
)
def test_bad_input_shows_what_and_where_and_keeps_the_last_good_view(mode: str, text: str, message: str) -> None:
    at = open_page()
    at.text_area(key=keys.SEQ_TEXT).input("good").run(timeout=TIMEOUT)
    before = time_labels(at)
    assert before == ["0·g", "1·o", "2·o", "3·d"]
    at.radio(key=keys.SEQ_MODE).set_value(mode).run(timeout=TIMEOUT)
    at.text_area(key=keys.SEQ_TEXT).input(text).run(timeout=TIMEOUT)
    assert not at.exception
    shown = " ".join(errors(at))
    assert message in shown and "Showing the last sequence that worked" in shown
    assert time_labels(at) == before
    assert len(at.get("plotly_chart")) == 9


def test_a_bad_sequence_keeps_the_last_good_one_but_still_applies_the_new_network() -> None:
    at = open_page()
    at.radio(key=keys.SEQ_MODE).set_value("numbers").run(timeout=TIMEOUT)  # "hello world" is not numbers
    assert any("'hello' at step 1 is not a number" in e for e in errors(at))
    at.selectbox(key=keys.NET_KIND).set_value("gru").run(timeout=TIMEOUT)
    assert any(t.startswith("z_t") for t in heatmap_titles(at))
    assert time_labels(at)[0] == "0·h"


def test_network_that_overflows_is_reported_and_the_view_stays() -> None:
    at = open_page()
    at.number_input(key=keys.NET_SCALE).set_value(20.0).run(timeout=TIMEOUT)
    assert not at.exception  # a large scale saturates the gates; it must not break the page
    assert len(at.get("plotly_chart")) == 9


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"hidden": "999"}, "hidden='999'"),
        ({"kind": "evil"}, "kind='evil'"),
        ({"seq": "x" * 200_000}, "200,000 characters is over the limit of 100,000"),
        ({"layers": "-3", "scale": "1e400"}, "layers='-3'"),
        ({"t": "abc", "units": "1,2,x"}, "t='abc'"),
        ({"mode": "numbers", "seq": "1 2 banana"}, "'banana' at step 3"),
    ],
)
def test_hostile_links_show_an_error_and_the_page_still_draws(query: dict[str, str], bad: str) -> None:
    at = open_page(query)
    assert not at.exception
    assert any(bad in e for e in errors(at)), errors(at)
    assert len(at.get("plotly_chart")) >= 3


def test_a_megabyte_link_is_dropped_whole_and_the_default_view_draws() -> None:
    at = open_page({"seq": "x" * 1_000_000, "hidden": "3"})  # Streamlit ignores query strings over 512 KiB
    assert not at.exception
    assert at.text_area(key=keys.SEQ_TEXT).value == "hello world"
    assert len(at.get("plotly_chart")) == 9


def test_page_figure_payload_at_2000_steps_and_64_units_is_under_3_mb() -> None:
    rng = np.random.default_rng(3)
    text = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz ()"), MAX_STEPS))
    at = open_page({"seq": text, "hidden": "64", "units": "0,31,63", "t": "1000", "unit": "31"})
    assert not errors(at)
    size = sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))
    assert size < 3_000_000, f"{size:,} bytes of figures"
    assert any("mean of" in t for t in heatmap_titles(at))  # long sequences are binned, and say so


def test_share_link_round_trip() -> None:
    query = {"mode": "onehot", "seq": "abcabc", "kind": "gru_torch", "hidden": "5", "seed": "3", "init": "xavier",
             "scale": "0.5", "bidir": "1", "layers": "2", "layer": "1", "dir": "backward", "t": "4", "unit": "2",
             "units": "1,2"}
    at = open_page(query)
    assert not errors(at)
    assert at.text_area(key=keys.SEQ_TEXT).value == "abcabc"
    assert at.selectbox(key=keys.NET_KIND).value == "gru_torch"
    assert at.number_input(key=keys.NET_HIDDEN).value == 5
    assert at.number_input(key=keys.NET_SEED).value == 3
    assert at.selectbox(key=keys.NET_SCHEME).value == "xavier"
    assert at.number_input(key=keys.NET_SCALE).value == 0.5
    assert at.toggle(key=keys.NET_BIDIRECTIONAL).value is True
    assert at.number_input(key=keys.NET_LAYERS).value == 2
    assert at.selectbox(key=keys.VIEW_LAYER).value == 1
    assert at.radio(key=keys.VIEW_DIRECTION).value == "backward"
    assert at.slider(key=keys.CURSOR_STEP).value == 4
    assert at.number_input(key=keys.CURSOR_UNIT).value == 2
    assert at.multiselect(key=keys.FOLLOW_UNITS).value == [1, 2]
    assert dict(at.query_params) == {k: v for k, v in query.items() if k != "mode"}  # one-hot is the default
    # change widgets: the link follows
    at.number_input(key=keys.NET_HIDDEN).set_value(9).run(timeout=TIMEOUT)
    at.selectbox(key=keys.NET_KIND).set_value("rnn").run(timeout=TIMEOUT)
    at.slider(key=keys.CURSOR_STEP).set_value(1).run(timeout=TIMEOUT)
    assert at.query_params["hidden"] == "9" and at.query_params["kind"] == "rnn" and at.query_params["t"] == "1"
    # and a new session opened on that link shows the same view
    again = open_page(dict(at.query_params))
    assert again.number_input(key=keys.NET_HIDDEN).value == 9
    assert again.selectbox(key=keys.NET_KIND).value == "rnn"
    assert again.slider(key=keys.CURSOR_STEP).value == 1
