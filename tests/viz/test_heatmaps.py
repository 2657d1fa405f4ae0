"""Gate heatmaps, read from the JSON the browser gets."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from cells import encode
from tests.viz.figjson import spec
from viz.heatmap import gate_heatmap, heatmap_names
from viz.timeaxis import bin_steps, step_labels, time_axis


def lstm_trace(text: str = "hello world", hidden: int = 4, scale: float = 1.0) -> tuple[cells.Trace, tuple[str, ...]]:
    e = encode.one_hot(text)
    network = cells.Network.create("lstm", e.input_size, hidden, seed=1, scale=scale)
    return network.run(e.xs).layers[0].forward, e.tokens


def heat(s: dict) -> dict:
    return next(t for t in s["data"] if t["type"] == "heatmap")


@pytest.mark.parametrize("scale", [0.1, 5.0])
def test_colour_ranges_are_fixed_by_the_kind_of_value_not_the_data(scale: float) -> None:
    trace, tokens = lstm_trace(scale=scale)
    for name in ("forget", "input", "output"):
        h = heat(spec(gate_heatmap(trace, name, tokens=tokens)))
        assert (h["zmin"], h["zmax"]) == (0.0, 1.0)
    for name in ("candidate", "hidden"):
        h = heat(spec(gate_heatmap(trace, name, tokens=tokens)))
        assert (h["zmin"], h["zmax"], h["zmid"]) == (-1.0, 1.0, 0.0)


def test_cell_state_range_is_symmetric_covers_the_values_and_is_stated() -> None:
    # f = i = C̃ ≈ 1 at every step: the cell state counts the steps, up to about 7
    H, I = 2, 1
    zeros = {g: np.zeros((H, H + I)) for g in cells.LSTM.GATES}
    biases = {"forget": np.full(H, 10.0), "input": np.full(H, 10.0), "candidate": np.full(H, 10.0),
              "output": np.zeros(H)}
    trace = cells.LSTM(zeros, biases).run(np.zeros((7, I)))
    tokens = tuple("abcdefg")
    top = np.abs(trace.values["cell"]).max()
    assert top > 6
    s = spec(gate_heatmap(trace, "cell", tokens=tokens))
    h = heat(s)
    assert h["zmin"] == -h["zmax"] and h["zmax"] >= top
    assert h["zmax"] == 10  # a round number: ±10 covers 7
    assert f"±{h['zmax']:g}" in s["layout"]["title"]["text"]
    assert h["colorbar"]["title"]["text"] == f"±{h['zmax']:g}"


def test_values_drawn_are_the_trace_values_units_on_y_time_on_x() -> None:
    trace, tokens = lstm_trace()
    h = heat(spec(gate_heatmap(trace, "forget", tokens=tokens)))
    assert h["z"].shape == (trace.hidden_size, trace.steps)
    np.testing.assert_allclose(h["z"], trace.values["forget"].T, atol=6e-4)
    assert list(h["x"]) == list(range(trace.steps))


def test_time_labels_are_unique_even_with_repeated_tokens() -> None:
    trace, tokens = lstm_trace("hello")
    s = spec(gate_heatmap(trace, "hidden", tokens=tokens))
    ticks = s["layout"]["xaxis"]["ticktext"]
    assert ticks == ["0·h", "1·e", "2·l", "3·l", "4·o"]
    assert len(set(ticks)) == len(ticks)


def test_hover_names_gate_unit_step_token_and_value() -> None:
    trace, tokens = lstm_trace("hello")
    h = heat(spec(gate_heatmap(trace, "forget", tokens=tokens)))
    template = h["hovertemplate"]
    for part in ("f_t", "unit %{y}", "step %{x:d}", "token %{text}", "value %{z:.3f}"):
        assert part in template
    # the cell of unit 2 at step 3 carries that step's token and that unit's value
    assert h["text"][2][3] == "l"
    assert h["z"][2, 3] == pytest.approx(trace.values["forget"][3, 2], abs=6e-4)
    assert [t["type"] for t in spec(gate_heatmap(trace, "forget", tokens=tokens))["data"]] == ["heatmap"]


def test_cursor_box_sits_on_the_cursor_step_and_the_unit_row_is_outlined() -> None:
    trace, tokens = lstm_trace()
    s = spec(gate_heatmap(trace, "output", cursor=4, tokens=tokens, unit=2))
    shapes = {shape["name"]: shape for shape in s["layout"]["shapes"]}
    assert (shapes["cursor"]["x0"], shapes["cursor"]["x1"]) == (3.5, 4.5)
    assert (shapes["unit"]["y0"], shapes["unit"]["y1"]) == (1.5, 2.5)
    assert "shapes" not in spec(gate_heatmap(trace, "output", tokens=tokens))["layout"] or not spec(
        gate_heatmap(trace, "output", tokens=tokens))["layout"]["shapes"]


def test_long_sequences_are_binned_and_the_figure_says_so() -> None:
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((2000, 2))
    trace = cells.Network.create("gru", 2, 64, seed=0).run(xs).layers[0].forward
    tokens = [f"{v:.2f}" for v in xs[:, 0]]
    s = spec(gate_heatmap(trace, "update", cursor=1999, tokens=tokens))
    h = heat(s)
    columns = h["z"].shape[1]
    assert columns < 2000
    size = -(-2000 // columns)
    assert f"mean of {size} steps" in s["layout"]["title"]["text"]
    np.testing.assert_allclose(h["z"][:, 0], trace.values["update"][:size].mean(axis=0), atol=6e-4)
    cursor = next(shape for shape in s["layout"]["shapes"] if shape["name"] == "cursor")
    assert cursor["x0"] <= 1999 <= cursor["x1"]


def test_bin_steps_means_each_group_and_keeps_a_short_last_bin() -> None:
    values = np.arange(10, dtype=float)[:, None]  # (10, 1)
    np.testing.assert_allclose(bin_steps(values, 4)[:, 0], [1.5, 5.5, 8.5])


def test_time_axis_ticks_stay_few_on_long_sequences() -> None:
    axis = time_axis([str(t % 7) for t in range(1000)], 1000)
    assert len(axis.ticktext) <= 40
    assert step_labels(["a", "a"]) == ("0·a", "1·a")


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_kind_has_a_heatmap_per_gate_and_state(kind: str) -> None:
    trace = cells.Network.create(kind, 3, 2).run(np.eye(3)).layers[0].forward
    names = heatmap_names(trace)
    cls = cells.KINDS[kind]
    assert set(names) >= {*cls.GATES, cls.memory(), "hidden"}  # every gate and state has its heatmap
    assert names == cls.SHOWN  # in the order the kind declares
    for name in names:
        assert spec(gate_heatmap(trace, name))["layout"]["title"]["text"].startswith(
            cells.gate_info(trace.family, name).symbol)


def test_unknown_gate_and_wrong_token_count_are_value_errors() -> None:
    trace, tokens = lstm_trace("abc")
    with pytest.raises(ValueError, match="update"):
        gate_heatmap(trace, "update", tokens=tokens)
    with pytest.raises(ValueError, match="expected 3"):
        gate_heatmap(trace, "forget", tokens=("a",))


def test_vector_tokens_are_bracketed_so_their_numbers_stay_apart() -> None:
    assert step_labels(["0.3 0", "0.8 1", "a"]) == ("0·(0.3, 0)", "1·(0.8, 1)", "2·a")


def test_a_projected_h_t_has_a_row_per_number_of_h() -> None:
    trace = cells.Network.create("lstmp", 3, 6).run(np.eye(3)).layers[0].forward
    P = trace.values["hidden"].shape[1]
    assert trace.hidden_size > P  # h_t has fewer numbers than the cell has units
    s = spec(gate_heatmap(trace, "hidden"))
    assert heat(s)["z"].shape == (P, 3)
    assert len(s["layout"]["yaxis"]["ticktext"]) <= P
