"""The attribution and state-space panels' data as the browser receives it (viz.insight), and the "where it
settles" figure and table (viz.settle): built from the engine's own answers, checked without a browser."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cells
from cells import encode
from cells.attribution import Target, connectivity, integrated_gradients, memory_path
from cells.dynamics import fixed_points, pca
from viz.gateview import gate_view, pack, unpack
from viz.insight import Attributed, with_insight
from viz.settle import fixed_point_table, settle_figure

TEXT = encode.one_hot("hello world")


def network(kind: str = "lstm", **kw: object) -> cells.Network:
    return cells.Network.create(kind, TEXT.xs.shape[1], 4, seed=0, **kw)


def view(trace: cells.Trace, **kw: object) -> tuple[dict, dict]:
    return unpack(pack(with_insight(gate_view(trace, TEXT.tokens, TEXT.features), trace, **kw)))


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_the_view_carries_the_keep_share_the_memory_path_is_made_of(kind: str) -> None:
    trace = network(kind).run(TEXT.xs).trace(0)
    header, arrays = view(trace)
    keep = cells.cell_class(kind).keep_share(trace.values)
    if keep is None:  # the plain RNN: no gate keeps memory, so there is no memory path to draw
        assert header["attribution"]["memory"] is False and "attr.keep" not in arrays
        return
    said = header["attribution"]
    assert said["memory"] is True
    # the keep gate is one of the view's maps already: the view names it (and the sign) rather than send it twice
    assert "attr.keep" not in arrays and said["keep"]["gate"] == cells.cell_class(kind).KEEP[0]
    gate = arrays[said["keep"]["gate"]]
    sent = gate if said["keep"]["sign"] > 0 else 1.0 - gate
    np.testing.assert_allclose(sent, keep, rtol=0, atol=1e-12)
    # the running product of what was sent is the engine's memory path
    t = 6
    path = np.zeros_like(keep)
    path[t] = 1.0
    for s in range(t - 1, -1, -1):
        path[s] = path[s + 1] * sent[s + 1]
    np.testing.assert_allclose(path, memory_path(trace, t), atol=1e-12)


def test_the_attribution_at_the_reported_step_and_its_sum_beside_the_change() -> None:
    net = network("gru", bidirectional=True)
    trace = net.run(TEXT.xs).trace(0, "backward")
    target = Target(step=4, output="hidden", unit=2, layer=0, direction="backward")
    conn = connectivity(net, TEXT.xs, target)
    ig = integrated_gradients(net, TEXT.xs, target, steps=64)
    header, arrays = view(trace, attributed=Attributed(conn, 0, "backward", ig, "zeros"))
    said = header["attribution"]
    assert said["step"] == 4 and said["target"] == "h_t of unit 2"
    np.testing.assert_allclose(arrays["attr.norm"][:, 0], conn.norm)
    assert np.all(arrays["attr.norm"][:4, 0] == 0)  # a backward direction at step 4 reads only the inputs from 4 on
    np.testing.assert_allclose(arrays["attr.path"], conn.path(0, "backward"))
    np.testing.assert_allclose(arrays["attr.ig"][:, 0], ig.per_step)
    assert said["ig"]["total"] == pytest.approx(said["ig"]["change"], rel=0.01)
    assert header["live"] == ["attr.norm", "attr.path", "attr.ig"]


def test_a_new_step_s_attribution_keeps_the_view_s_base_id_and_a_new_trace_does_not() -> None:
    net = network()
    trace = net.run(TEXT.xs).trace(0)

    def packed(step: int, t: cells.Trace = trace) -> dict:
        conn = connectivity(net, TEXT.xs, Target(step=step, output="cell", unit=1, layer=0))
        return unpack(pack(with_insight(gate_view(t, TEXT.tokens, TEXT.features), t,
                                        attributed=Attributed(conn, 0, "forward"))))[0]

    a, b = packed(3), packed(7)
    assert a["id"] != b["id"] and a["base"] == b["base"]  # the browser refreshes the view on screen
    other = network("lstm").run(TEXT.xs[::-1].copy()).trace(0)
    assert packed(3, other)["base"] != a["base"]  # a new run is a new view


def test_the_state_space_is_the_engine_s_projection_with_fixed_points_in_it() -> None:
    cell = cells.Network.create("lstm", TEXT.xs.shape[1], 3, seed=2).layers[0].forward
    trace = cell.run(TEXT.xs)
    projection = pca(trace, 2)
    found = fixed_points(cell, None, starts=trace, n_starts=16)
    header, arrays = view(trace, projection=projection, found=found)
    np.testing.assert_allclose(arrays["states.xy"], projection.coordinates[0])
    states = header["states"]
    assert states["explained"] == pytest.approx(list(projection.explained))
    assert len(states["points"]) == len(found.points) >= 1
    first = found.points[0]
    assert [states["points"][0]["x"], states["points"][0]["y"]] == pytest.approx(list(projection.project(first.hidden)))
    assert states["points"][0]["stable"] == first.stable
    json.dumps(header, allow_nan=False)


def test_where_it_settles_draws_tanh_2h_s_three_points_two_stable_and_says_so() -> None:
    # h <- tanh(2h + x): with no input held, tanh(2h); the run's inputs move it so that it has a direction to draw
    cell = cells.RNN(weights={"hidden": np.array([[2.0, 1.0]])}, biases={"hidden": np.zeros(1)})
    xs = np.array([[0.9], [0.3], [-0.5], [0.1]])
    trace = cell.run(xs)
    found = fixed_points(cell, None, starts=np.array([[-0.9], [-0.01], [0.01], [0.9], [0.0]]))
    table = fixed_point_table(found)
    assert sorted(table["stable"]) == ["no", "yes", "yes"]
    unstable = table[table["stable"] == "no"].iloc[0]
    assert unstable["largest |λ|"] == pytest.approx(2.0, abs=1e-6)
    projection = pca(trace, 2)
    fig = settle_figure(projection, ["a", "b", "c", "d"], found)
    names = [t.name for t in fig.data]
    assert "stable fixed point" in names and "unstable fixed point" in names
    stable = fig.data[names.index("stable fixed point")]
    mean = float(projection.mean[0])  # one unit: PC1 is h itself, less the run's mean
    assert sorted(stable.x) == [pytest.approx(-0.9575 - mean, abs=1e-4), pytest.approx(0.9575 - mean, abs=1e-4)]
    assert "PC1" in fig.layout.xaxis.title.text


def test_a_large_view_sends_the_gradient_s_path_as_a_byte_a_value_and_the_colours_stay() -> None:
    net = cells.Network.create("lstm", 5, 64, seed=0)
    xs = np.random.default_rng(0).standard_normal((2000, 5))  # (T, I)
    trace = net.run(xs).trace(0)
    conn = connectivity(net, xs, Target(step=1999, output="cell", unit=0, layer=0))
    data = pack(with_insight(gate_view(trace, ["a"] * 2000, [f"x{i}" for i in range(5)]), trace,
                             attributed=Attributed(conn, 0, "forward")))
    header, arrays = unpack(data)
    entry = next(e for e in header["arrays"] if e["name"] == "attr.path")
    assert header["precision"] == "f2" and entry["dtype"] == "u1"
    path = conn.path(0, "forward")
    assert np.max(np.abs(arrays["attr.path"] - path)) <= path.max() / 255 / 2 + 1e-12  # within half a level
    assert len(data) < 3_000_000
