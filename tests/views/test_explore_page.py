"""The Explore page in Streamlit's AppTest: type, switch, step, break it, share it.

The gate view draws in the browser; here it is read as the data the browser receives (its header
and arrays), and the browser's cursor reports are sent as the component would send them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import cells
from cells import encode
from tests.views.apptest import equations_latex, gate_view, gate_views, report_cursor, sequence_box, type_text
from ui.model import MODEL_KEY
from viz.equations import deck_equations
from workbench import keys
from workbench.settings import EXAMPLES, MAX_STEPS

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
        at.button(key=keys.EXPLORE.first_view_drawn).click().run(timeout=TIMEOUT)
        assert not at.exception and MODEL_KEY not in at.session_state
    return at


def test_a_fixed_model_offers_no_reading_modes_and_the_drawn_network_gets_them_back() -> None:
    """The first view's model reads brackets through its own vocabulary: greyed-out modes would show one it does
    not use, so the page offers neither modes nor examples, and the box says how the model reads."""
    at = open_page(drawn=False)
    model = at.session_state[MODEL_KEY]
    assert keys.EXPLORE.seq_mode not in {r.key for r in at.radio}
    assert keys.EXPLORE.seq_example not in {s.key for s in at.selectbox}
    assert sequence_box(at, keys.EXPLORE.seq_text)["label"] == f"Sequence (the model reads {model.reads})"
    at.button(key=keys.EXPLORE.first_view_drawn).click().run(timeout=TIMEOUT)
    assert at.radio(key=keys.EXPLORE.seq_mode).value == "onehot"
    assert keys.EXPLORE.seq_example in {s.key for s in at.selectbox}
    assert sequence_box(at, keys.EXPLORE.seq_text)["label"] == "Sequence (one character per step)"


def panels(at: AppTest) -> list[str]:
    """The names of the gate view's panels, inputs first."""
    return [p["name"] for p in gate_view(at)[0]["panels"]]


def test_the_first_view_is_a_trained_model_with_its_unit_to_watch_selected() -> None:
    at = open_page(drawn=False)
    assert not errors(at)
    model = at.session_state[MODEL_KEY]
    assert model.label == "LSTM trained on brackets"
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == model.sequence
    assert at.session_state[keys.EXPLORE.cursor.unit] == 3 == model.watch  # "Watch unit 3 of C_t"
    assert gate_view(at)[0]["unit"] == 3  # the view starts on it
    assert any("What to look at" in m.value and "unit 3" in m.value for m in at.markdown)
    # the gates do something: unit 3 of C_t moves with the nesting depth on the text shown
    cell = model.network.run(model.inputs(model.sequence).xs).layers[0].forward.values["cell"]  # (T, H)
    depth = np.cumsum([1 if c == "(" else -1 for c in model.sequence])
    assert abs(np.corrcoef(cell[:, 3], depth)[0, 1]) > 0.9
    # the drawn random network is one click away, on the page's default text
    at.button(key=keys.EXPLORE.first_view_drawn).click().run(timeout=TIMEOUT)
    assert MODEL_KEY not in at.session_state and sequence_box(at, keys.EXPLORE.seq_text)["text"] == "hello world"
    assert not errors(at) and at.session_state[keys.EXPLORE.cursor.unit] == 0


def time_labels(at: AppTest) -> list[str]:
    """The step·token labels of the gate view's time axis."""
    return gate_view(at)[0]["labels"]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_drawn_view_shows_every_lstm_gate_the_equations_and_no_error() -> None:
    at = open_page()
    assert not errors(at)
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == "hello world"
    header, arrays = gate_view(at)
    assert [p["name"] for p in header["panels"]] == ["inputs", *cells.LSTM.SHOWN]
    assert [e["lhs"] for e in header["equations"]] == ["f<sub>t</sub>", "i<sub>t</sub>", "C̃<sub>t</sub>",
                                                       "C<sub>t</sub>", "o<sub>t</sub>", "h<sub>t</sub>"]
    assert arrays["forget"].shape == (11, 8) and arrays["inputs"].shape == (11, 8)
    assert not at.latex  # the lecture's equations wait in a closed expander, not drawn
    latex = equations_latex(at)
    assert r"f_t &= \sigma(W_f" in latex  # the lecture's equations, in the expander below the view
    at.switch_page("views/compare.py").run(timeout=TIMEOUT)
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    assert r"f_t &= \sigma(W_f" in " ".join(x.value for x in at.latex)  # still open after a visit elsewhere
    assert "2,000 steps" in sequence_box(at, keys.EXPLORE.seq_text)["help"]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_fills_the_box_and_redraws(name: str) -> None:
    at = open_page()
    at.selectbox(key=keys.EXPLORE.seq_example).set_value(name).run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    mode, text = EXAMPLES[name]
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == text
    assert at.radio(key=keys.EXPLORE.seq_mode).value == mode
    steps = len(text) if mode == "onehot" else len(text.split())
    assert gate_view(at)[0]["steps"] == steps
    assert time_labels(at)[0].startswith("0·" + (text[0] if mode == "onehot" else text.split()[0]))


def test_typing_a_sequence_redraws_the_heatmaps() -> None:
    at = open_page()
    type_text(at, keys.EXPLORE.seq_text, "abcab")
    assert not errors(at)
    assert time_labels(at) == ["0·a", "1·b", "2·c", "3·a", "4·b"]
    at.radio(key=keys.EXPLORE.seq_mode).set_value("embed").run(timeout=TIMEOUT)
    at.number_input(key=keys.EXPLORE.embed_size).set_value(5).run(timeout=TIMEOUT)
    assert not errors(at)
    assert gate_view(at)[0]["panels"][0]["row_names"] == ["e1", "e2", "e3", "e4", "e5"]


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_cell_kind_shows_its_own_gates_and_equations(kind: str) -> None:
    at = open_page()
    at.selectbox(key=keys.EXPLORE.net_kind).set_value(kind).run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    header, _ = gate_view(at)
    assert [p["name"] for p in header["panels"]] == ["inputs", *cells.KINDS[kind].SHOWN]
    assert len(header["equations"]) == len(deck_equations(kind))
    latex = equations_latex(at)
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
    at.toggle(key=keys.EXPLORE.net_bidirectional).set_value(True).run(timeout=TIMEOUT)
    at.number_input(key=keys.EXPLORE.net_layers).set_value(3).run(timeout=TIMEOUT)
    assert not errors(at)
    assert at.selectbox(key=keys.EXPLORE.view_layer).options == ["layer 1 (input)", "layer 2", "layer 3"]
    at.selectbox(key=keys.EXPLORE.view_layer).set_value(2).run(timeout=TIMEOUT)
    at.radio(key=keys.EXPLORE.view_direction).set_value("backward").run(timeout=TIMEOUT)
    assert not at.exception and not errors(at)
    header, arrays = gate_view(at)
    assert header["where"] == "layer 3, backward" and header["reverse"]
    assert header["panels"][0]["title"] == "layer 2's h_t, this layer's input"
    assert header["panels"][0]["row_names"][:2] == ["→h0", "→h1"]
    # the view shows that direction's numbers: layer 3's backward cell is not layer 1's forward cell
    network = cells.Network.create("lstm", 8, 8, num_layers=3, bidirectional=True, seed=0)
    trace = network.run(encode.one_hot("hello world").xs).layers[2].backward
    np.testing.assert_array_equal(arrays["forget"], trace.values["forget"])


def test_the_cursor_report_moves_the_link_and_never_reruns_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_run = cells.Network.run

    def counting_run(self: cells.Network, *args: object, **kwargs: object) -> cells.NetworkTrace:
        calls.append(1)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(cells.Network, "run", counting_run)
    st.cache_data.clear()
    at = open_page({"seq": "cursor test"})
    assert len(calls) == 1
    sent = gate_view(at)
    report_cursor(at, 5, 3)
    assert not at.exception
    assert at.query_params["t"] == "5" and at.query_params["unit"] == "3"
    assert at.session_state[keys.EXPLORE.cursor.step] == 5 and at.session_state[keys.EXPLORE.cursor.unit] == 3
    # the view the browser has stays as it is (same start), so it keeps the user's cursor
    assert gate_view(at)[0]["id"] == sent[0]["id"]
    assert len(calls) == 1, "a cursor report ran the network again"


def test_a_new_sequence_keeps_the_start_and_a_link_sets_it() -> None:
    at = open_page({"seq": "abcdefgh", "t": "6", "unit": "2"})
    header, _ = gate_view(at)
    assert (header["t"], header["unit"]) == (6, 2)
    report_cursor(at, 3, 1)
    type_text(at, keys.EXPLORE.seq_text, "abcdefghij")
    header, _ = gate_view(at)
    assert header["steps"] == 10
    assert (header["t"], header["unit"]) == (6, 2)  # the browser keeps its own cursor (3, 1) on a new trace
    assert at.query_params["t"] == "3" and at.query_params["unit"] == "1"
    type_text(at, keys.EXPLORE.seq_text, "ab")  # shorter than the cursor: clamped
    assert not at.exception and gate_view(at)[0]["t"] <= 1


@pytest.mark.parametrize(
    ("mode", "text", "message"),
    [
        ("numbers", "1 2 x 4", "'x' at step 2 is not a number"),
        ("numbers", "1 2; 3 4; 5", "step 2 has 1 number, expected 2"),
        ("onehot", "", "empty"),
        ("onehot", "a" * (MAX_STEPS + 1), "2,001 steps"),
        ("numbers", "1 " * (MAX_STEPS + 5), "the limit is 2,000"),
        ("onehot", "a" * 6_000, "the sequence has 6,000 steps; the limit is 2,000"),  # as the page's caption says
    ],
)
def test_bad_input_shows_what_and_where_and_keeps_the_last_good_view(mode: str, text: str, message: str) -> None:
    at = open_page()
    type_text(at, keys.EXPLORE.seq_text, "good")
    before = time_labels(at)
    assert before == ["0·g", "1·o", "2·o", "3·d"]
    at.radio(key=keys.EXPLORE.seq_mode).set_value(mode).run(timeout=TIMEOUT)
    type_text(at, keys.EXPLORE.seq_text, text)
    assert not at.exception
    shown = " ".join(errors(at))
    assert message in shown and "Showing the last sequence that worked" in shown
    assert time_labels(at) == before
    assert panels(at)[0] == "inputs"


def test_a_bad_sequence_keeps_the_last_good_one_but_still_applies_the_new_network() -> None:
    at = open_page()
    at.radio(key=keys.EXPLORE.seq_mode).set_value("numbers").run(timeout=TIMEOUT)  # "hello world" is not numbers
    assert any("'hello' at step 0 is not a number" in e for e in errors(at))
    at.selectbox(key=keys.EXPLORE.net_kind).set_value("gru").run(timeout=TIMEOUT)
    assert "update" in panels(at)
    assert time_labels(at)[0] == "0·h"


def test_network_that_overflows_is_reported_and_the_view_stays() -> None:
    at = open_page()
    at.number_input(key=keys.EXPLORE.net_scale).set_value(20.0).run(timeout=TIMEOUT)
    assert not at.exception  # a large scale saturates the gates; it must not break the page
    assert panels(at) == ["inputs", *cells.LSTM.SHOWN]


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ({"hidden": "999"}, "hidden='999'"),
        ({"kind": "evil"}, "kind='evil'"),
        ({"seq": "x" * 200_000}, "200,000 characters is over the limit of 100,000"),
        ({"layers": "-3", "scale": "1e400"}, "layers='-3'"),
        ({"t": "abc", "units": "1,2,x"}, "t='abc'"),
        ({"mode": "numbers", "seq": "1 2 banana"}, "'banana' at step 2"),
    ],
)
def test_hostile_links_show_an_error_and_the_page_still_draws(query: dict[str, str], bad: str) -> None:
    at = open_page(query)
    assert not at.exception
    assert any(bad in e for e in errors(at)), errors(at)
    assert panels(at)[0] == "inputs"


def test_a_megabyte_link_is_dropped_whole_and_the_default_view_draws() -> None:
    at = open_page({"seq": "x" * 1_000_000, "hidden": "3"})  # Streamlit ignores query strings over 512 KiB
    assert not at.exception
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == "hello world"
    assert time_labels(at)[0] == "0·h"


def test_gate_view_payload_at_2000_steps_and_64_units_is_under_3_mb() -> None:
    rng = np.random.default_rng(3)
    text = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz ()"), MAX_STEPS))
    at = open_page({"seq": text, "hidden": "64", "t": "1000", "unit": "31"})
    assert not errors(at)
    element = gate_views(at)[0].proto
    size = len(element.bytes) + len(element.js_content) + len(element.css_content)
    assert size < 3_000_000, f"{size:,} bytes for the view"
    header, arrays = gate_view(at)
    assert header["precision"] == "f2" and arrays["forget"].shape == (MAX_STEPS, 64)  # every step, no binning
    assert (header["t"], header["unit"]) == (1000, 31)


def test_share_link_round_trip() -> None:
    query = {"mode": "onehot", "seq": "abcabc", "kind": "gru_torch", "hidden": "5", "seed": "3", "init": "xavier",
             "scale": "0.5", "bidir": "1", "layers": "2", "layer": "1", "dir": "backward", "t": "4", "unit": "2"}
    at = open_page(query)
    assert not errors(at)
    assert sequence_box(at, keys.EXPLORE.seq_text)["text"] == "abcabc"
    assert at.selectbox(key=keys.EXPLORE.net_kind).value == "gru_torch"
    assert at.number_input(key=keys.EXPLORE.net_hidden).value == 5
    assert at.number_input(key=keys.EXPLORE.net_seed).value == 3
    assert at.selectbox(key=keys.EXPLORE.net_scheme).value == "xavier"
    assert at.number_input(key=keys.EXPLORE.net_scale).value == 0.5
    assert at.toggle(key=keys.EXPLORE.net_bidirectional).value is True
    assert at.number_input(key=keys.EXPLORE.net_layers).value == 2
    assert at.selectbox(key=keys.EXPLORE.view_layer).value == 1
    assert at.radio(key=keys.EXPLORE.view_direction).value == "backward"
    assert (gate_view(at)[0]["t"], gate_view(at)[0]["unit"]) == (4, 2)
    assert dict(at.query_params) == {k: v for k, v in query.items() if k != "mode"}  # one-hot is the default
    # change widgets: the link follows
    at.number_input(key=keys.EXPLORE.net_hidden).set_value(9).run(timeout=TIMEOUT)
    at.selectbox(key=keys.EXPLORE.net_kind).set_value("rnn").run(timeout=TIMEOUT)
    report_cursor(at, 1, 0)
    assert at.query_params["hidden"] == "9" and at.query_params["kind"] == "rnn" and at.query_params["t"] == "1"
    # and a new session opened on that link shows the same view
    again = open_page(dict(at.query_params))
    assert again.number_input(key=keys.EXPLORE.net_hidden).value == 9
    assert again.selectbox(key=keys.EXPLORE.net_kind).value == "rnn"
    assert gate_view(again)[0]["t"] == 1


@pytest.mark.parametrize(("key", "kept", "note"), [
    (keys.EXPLORE.net_hidden, 8, "Hidden size was left empty: kept 8."),
    (keys.EXPLORE.net_scale, 1.5, "Weight scale was left empty: kept 1.5."),
    (keys.EXPLORE.net_layers, 2, "Layers was left empty: kept 2."),
])
def test_an_emptied_number_box_keeps_its_last_value_and_says_so(key: str, kept: float, note: str) -> None:
    at = open_page({"scale": "1.5", "layers": "2"})
    at.number_input(key=key).set_value(None).run(timeout=TIMEOUT)  # what an emptied box sends, should it arrive
    assert not at.exception and not errors(at)
    assert at.number_input(key=key).value == kept
    assert note in [c.value for c in at.sidebar.caption]
    assert at.query_params.get("hidden") is None and at.query_params["scale"] == "1.5"
    assert at.query_params["layers"] == "2"
    assert at.selectbox(key=keys.EXPLORE.view_layer).options == ["layer 1 (input)", "layer 2"]
    at.number_input(key=keys.EXPLORE.net_hidden).set_value(5).run(timeout=TIMEOUT)  # a typed value still applies
    assert at.query_params["hidden"] == "5" and at.number_input(key=key).value == (5 if key == keys.EXPLORE.net_hidden
                                                                                   else kept)



def test_the_sequence_box_says_what_shift_enter_types_in_each_mode() -> None:
    at = open_page()
    box = sequence_box(at, keys.EXPLORE.seq_text)
    assert box["keys"] == "Enter applies · Shift+Enter: a ⏎ step" and box["newline"] is True  # a line break is a step
    assert box["label"] == "Sequence (one character per step)" and box["big"] is False
    at.radio(key=keys.EXPLORE.seq_mode).set_value("numbers").run(timeout=TIMEOUT)
    assert sequence_box(at,
                        keys.EXPLORE.seq_text)["keys"] == "Enter applies · Shift+Enter: new step"  # one step per line


def test_presenter_mode_sizes_the_sequence_box_for_a_projector() -> None:
    at = open_page({"present": "1"})
    assert sequence_box(at, keys.EXPLORE.seq_text)["big"] is True


def test_presenter_mode_says_what_a_fixed_model_reads_without_its_list_of_inputs() -> None:
    """On a projector the box's label keeps to one line: the first view's bracket model reads "brackets", its
    inputs listed in the sidebar, which presenter mode hides, not above the box."""
    at = open_page({"present": "1"}, drawn=False)
    model = at.session_state[MODEL_KEY]
    label = sequence_box(at, keys.EXPLORE.seq_text)["label"]
    assert "; inputs" in model.reads and "inputs" not in label
    assert label == f"Sequence (the model reads {model.reads.split('; ')[0]})"


@pytest.mark.parametrize("drawn", [True, False])
def test_a_refused_text_leaves_the_link_describing_the_text_on_screen(drawn: bool) -> None:
    """10,000 characters are refused and the page keeps showing the last good text: so does the link."""
    at = open_page(drawn=drawn)
    good = "((()))" if not drawn else "gates"
    type_text(at, keys.EXPLORE.seq_text, good)
    assert at.query_params["seq"] == good
    type_text(at, keys.EXPLORE.seq_text, "(" * 10_000)
    assert not at.exception and any("Showing the last sequence that worked" in e.value for e in at.error)
    assert gate_view(at)[0]["steps"] == len(good)
    assert at.query_params["seq"] == good  # the link still opens what is on screen
