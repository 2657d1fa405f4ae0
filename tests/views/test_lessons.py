"""The Lessons page in Streamlit's AppTest: walk every stop, links restore a stop, presenter mode, try-this, Explore."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.views.apptest import gate_view, report_cursor
from tests.viz.figjson import decode
from ui.model import MODEL_KEY
from workbench import keys
from workbench.lessons import BY_SLUG, STOPS, Stop

APP = Path(__file__).parents[2] / "app.py"
TIMEOUT = 120


def open_lessons(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.switch_page("views/lessons.py")  # opened straight on the page, as its link does
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def heading(at: AppTest) -> str:
    return at.header[0].value


def figures(at: AppTest) -> list[dict]:
    """The page's Plotly figures in order, as the browser gets them (typed arrays decoded)."""
    return [decode(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def heatmaps(at: AppTest) -> list[np.ndarray]:
    """The stop's gate view panels' values in order, each units × steps."""
    header, arrays = gate_view(at, keys.LESSONS.cursor.view)
    return [arrays[p["name"]].T for p in header["panels"]]


def drawn(at: AppTest) -> int:
    """How many panels the stop draws: its view's heatmaps and its Plotly charts."""
    views = [e for e in at.get("bidi_component") if e.proto.id.endswith(keys.LESSONS.cursor.view)]
    return len(at.get("plotly_chart")) + (len(gate_view(at, keys.LESSONS.cursor.view)[0]["panels"]) if views else 0)


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_walk_every_stop_from_first_to_last_with_next() -> None:
    at = open_lessons()
    for k, stop in enumerate(STOPS):
        assert not at.exception, (stop.slug, at.exception)
        assert heading(at) == f"{k + 1}. {stop.title}"
        assert progress_text(at) == f"Stop {k + 1} of {len(STOPS)}"
        assert at.query_params["stop"] == stop.slug  # the first stop's link names it too
        assert drawn(at) == len(stop.panels)
        assert any(r"\colorbox" in latex.value for latex in at.latex)
        assert not at.error and not at.warning
        assert at.button(key=keys.LESSONS.prev).disabled == (k == 0)
        if k < len(STOPS) - 1:
            at.button(key=keys.LESSONS.next).click().run(timeout=TIMEOUT)
    assert at.button(key=keys.LESSONS.next).disabled
    at.button(key=keys.LESSONS.prev).click().run(timeout=TIMEOUT)
    assert heading(at) == f"{len(STOPS) - 1}. {STOPS[-2].title}"


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.slug)
def test_each_stops_link_opens_it(stop: Stop) -> None:
    at = open_lessons({"stop": stop.slug})
    assert heading(at).endswith(stop.title)
    assert not at.warning
    if any(p.name != "gradient" for p in stop.panels):
        header = gate_view(at, keys.LESSONS.cursor.view)[0]
        assert (header["t"], header["unit"]) == (stop.cursor, stop.unit)
    assert at.slider(key=keys.LESSONS.knob(stop.slug)).value == stop.knob.default


def test_a_rerun_that_brings_the_address_from_before_a_stop_change_keeps_the_new_stop() -> None:
    """The browser sends its address with every rerun request. One sent before the run of a Page Down reached it
    (the gate view reports its cursor a moment after the last arrow key) still names the old stop: the page
    stays on the stop the user went to, and the link names it."""
    at = open_lessons({"stop": "forget-gate"})
    at.button(key=keys.LESSONS.next).click().run(timeout=TIMEOUT)
    assert heading(at).endswith(BY_SLUG["input-gate"].title)
    at.query_params["stop"] = "forget-gate"  # the address as the browser still showed it
    at.run(timeout=TIMEOUT)
    assert heading(at).endswith(BY_SLUG["input-gate"].title)
    assert at.query_params["stop"] == "input-gate"


@pytest.mark.parametrize("raw", ["no-such-stop", "<script>alert(1)</script>", "FORGET-GATE", "x" * 5000])
def test_a_hostile_or_unknown_stop_shows_a_message_and_the_first_stop(raw: str) -> None:
    at = open_lessons({"stop": raw})
    assert heading(at) == f"1. {STOPS[0].title}"
    message = at.warning[0].value
    assert "no lesson stop called" in message and "forget-gate" in message
    assert len(message) < 400


def test_presenter_link_turns_presenter_mode_on_and_hides_the_extras() -> None:
    normal = open_lessons({"stop": "gru"})
    assert normal.toggle(key=keys.LESSONS.present).value is False
    assert normal.sidebar.button  # the list of stops
    assert [b for b in normal.button if b.key == keys.LESSONS.open_explore]

    at = open_lessons({"stop": "gru", "present": "1"})
    assert at.toggle(key=keys.LESSONS.present).value is True
    assert heading(at).endswith(BY_SLUG["gru"].title)
    assert not at.sidebar.button
    assert [b for b in at.button if b.key == keys.LESSONS.open_explore]  # a presenter opens Explore too
    kept = {b.key for b in at.button}
    assert {keys.LESSONS.prev, keys.LESSONS.next} <= kept
    assert gate_view(at, keys.LESSONS.cursor.view)[0]["big"]  # the view sized for a projector
    assert not gate_view(normal, keys.LESSONS.cursor.view)[0]["big"]
    css = " ".join(str(h.proto) for h in at.get("html"))
    assert "stSidebar" in css and "font-size: 24px" in css

    at.toggle(key=keys.LESSONS.present).set_value(False).run(timeout=TIMEOUT)
    assert "present" not in at.query_params
    assert at.sidebar.button


def test_forget_bias_minus_3_makes_the_cell_state_fade_in_the_heatmap() -> None:
    at = open_lessons({"stop": "forget-gate"})
    text = BY_SLUG["forget-gate"].build().text
    counted = heatmaps(at)[1][0]  # C_t, unit 0
    assert counted[-1] == pytest.approx(text.count("a"), abs=1e-3)
    at.slider(key=keys.LESSONS.knob("forget-gate")).set_value(-3.0).run(timeout=TIMEOUT)
    assert not at.exception
    f, c = (values[0] for values in heatmaps(at))
    assert np.allclose(f, 0.047, atol=1e-3)
    assert c.max() < 1.1 and c[-1] < 0.1  # no count builds up; it fades after each 'a'
    assert at.button(key=keys.LESSONS.reset).disabled is False
    at.button(key=keys.LESSONS.reset).click().run(timeout=TIMEOUT)
    assert heatmaps(at)[1][0][-1] == pytest.approx(text.count("a"), abs=1e-3)


def test_the_view_starts_at_the_stops_step_keeps_the_users_and_a_new_stop_starts_at_its_own() -> None:
    at = open_lessons({"stop": "output-gate"})
    stop = BY_SLUG["output-gate"]
    header = gate_view(at, keys.LESSONS.cursor.view)[0]
    assert (header["t"], header["unit"]) == (stop.cursor, stop.unit)
    report_cursor(at, stop.cursor + 2, 0, key=keys.LESSONS.cursor.view)  # the user steps on twice in the browser
    assert at.session_state[keys.LESSONS.cursor.step] == stop.cursor + 2
    assert gate_view(at, keys.LESSONS.cursor.view)[0]["id"] == header["id"]  # the browser keeps its own cursor
    at.button(key=keys.LESSONS.next).click().run(timeout=TIMEOUT)
    header = gate_view(at, keys.LESSONS.cursor.view)[0]
    after = STOPS[[s.slug for s in STOPS].index("output-gate") + 1]
    assert (header["t"], header["unit"]) == (after.cursor, after.unit)


def test_open_in_explore_carries_the_model_and_the_input() -> None:
    at = open_lessons({"stop": "cell-update"})
    at.slider(key=keys.LESSONS.knob("cell-update")).set_value(10.0).run(timeout=TIMEOUT)
    report_cursor(at, 3, 0, key=keys.LESSONS.cursor.view)  # where the user stopped the cursor
    at.button(key=keys.LESSONS.open_explore).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    model = at.session_state[MODEL_KEY]
    stop = BY_SLUG["cell-update"]
    assert at.session_state[keys.EXPLORE.seq_text] == stop.build().text
    assert "W_C[')'] = 10" in model.label
    W = model.network.layers[0].forward.weights["candidate"]
    assert W[0, 1 + "()ab".index(")")] == 10.0  # the edited weight, exactly as on the stop
    assert model.original is not None  # and the stop's model before the edit, for a reset
    assert at.session_state[keys.EXPLORE.cursor.step] == 3


def test_open_in_explore_carries_a_numbers_model_unchanged() -> None:
    at = open_lessons({"stop": "input-gate"})
    at.button(key=keys.LESSONS.open_explore).click().run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    model = at.session_state[MODEL_KEY]
    assert at.session_state[keys.EXPLORE.seq_text] == BY_SLUG["input-gate"].build().text
    assert at.session_state[keys.EXPLORE.seq_mode] == "numbers"
    assert model.label == "Preset: LSTM: latch a marked value" and model.original is None
