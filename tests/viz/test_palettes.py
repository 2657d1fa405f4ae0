"""The palettes (viz/style.py): what each one's scales are, that the colour-blind safe one stays readable under
simulated colour blindness, and that every figure builder and the gate view draw in the palette they are given.

Colour blindness is simulated with Machado, Oliveira and Fernandes (2009): a 3×3 matrix on linear RGB for
full protanopia, deuteranopia and tritanopia (severity 1.0); colours are then compared in CIELAB (ΔE*ab,
about 2.3 is the smallest difference anyone sees; 15 or more reads as a different colour at a glance).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import cells
from cells.gradflow import GradientFlow
from tests.viz.figjson import spec
from viz.gateview import ViewPanel, gate_view, pack, panel_view, unpack
from viz.gradflow import FlowCurve, gradient_flow_figure
from viz.heatmap import gate_heatmap
from viz.style import COLOURBLIND, PALETTES, STANDARD, Palette, colour_range, palette, stretched_range
from viz.weights import weight_frame, weight_heatmap

SIMULATIONS = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])  # D65


def rgb(colour: str | list[int]) -> np.ndarray:
    if isinstance(colour, str):
        return np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)], dtype=float)
    return np.asarray(colour, dtype=float)


def seen(colour: str | list[int], simulation: str | None) -> np.ndarray:
    """The CIELAB colour (L*, a*, b*) of an sRGB colour as seen with ``simulation`` (None: normal vision)."""
    c = rgb(colour) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if simulation is not None:
        linear = np.clip(SIMULATIONS[simulation] @ linear, 0, 1)
    xyz = SRGB_TO_XYZ @ linear / WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours: list, simulation: str | None) -> float:
    """The smallest ΔE*ab between any two of ``colours`` as seen with ``simulation``."""
    lab = [seen(c, simulation) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(lab, 2))


def test_the_standard_palette_is_viridis_and_red_blue_and_the_other_is_cividis_and_blue_orange() -> None:
    assert list(PALETTES) == ["standard", "colourblind"]
    sequential, diverging = STANDARD.stops("sequential", 11), STANDARD.stops("diverging", 11)
    assert (sequential[0], sequential[-1]) == ([68, 1, 84], [253, 231, 37])  # viridis' #440154 and #fde725
    assert diverging[0][2] > diverging[0][0] and diverging[-1][0] > diverging[-1][2]  # blue below 0, red above
    sequential, diverging = COLOURBLIND.stops("sequential", 11), COLOURBLIND.stops("diverging", 11)
    assert (sequential[0], sequential[-1]) == ([0, 34, 78], [254, 232, 56])  # cividis: dark blue to yellow
    assert diverging[0] == [4, 79, 124] and diverging[-1] == [119, 59, 0]  # blue below 0, orange above
    for p in PALETTES.values():
        assert all(min(c) >= 240 for c in [p.stops("diverging", 11)[5]])  # 0 is near white on both
        assert all(len(p.stops(s, 11)) == 11 and all(len(c) == 3 for c in p.stops(s, 11))
                   for s in ("sequential", "diverging"))


def test_the_colour_blind_palette_differs_from_the_standard_in_every_part() -> None:
    for scale in ("sequential", "diverging"):
        assert STANDARD.stops(scale, 11) != COLOURBLIND.stops(scale, 11)
    assert set(STANDARD.lines).isdisjoint(COLOURBLIND.lines)
    assert STANDARD.unit_mark != COLOURBLIND.unit_mark
    assert [STANDARD.kind_colour(k) for k in cells.KINDS] != [COLOURBLIND.kind_colour(k) for k in cells.KINDS]


@pytest.mark.parametrize("simulation", list(SIMULATIONS))
def test_the_colour_blind_lines_stay_apart_where_the_standard_ones_run_together(simulation: str) -> None:
    lstm = len(cells.KINDS["lstm"].SHOWN)  # the gate view draws one line per gate and state of the chosen unit
    assert closest_pair(list(COLOURBLIND.lines[:lstm]), simulation) > 15
    comparison = [COLOURBLIND.kind_colour(k) for k in ("lstm", "gru", "rnn")]  # the Train page's three curves
    assert closest_pair(comparison, simulation) > 50
    if simulation != "tritanopia":  # red-green colour blindness merges the standard green, red and orange
        assert closest_pair(list(STANDARD.lines[:lstm]), simulation) < 10


@pytest.mark.parametrize("simulation", [None, *SIMULATIONS])
def test_the_colour_blind_scales_read_as_numbers_with_any_colour_vision(simulation: str | None) -> None:
    lightness = [seen(c, simulation)[0] for c in COLOURBLIND.stops("sequential", 11)]
    assert all(b - a > 4 for a, b in itertools.pairwise(lightness)), lightness  # darker always means smaller
    stops = COLOURBLIND.stops("diverging", 11)
    lab = [seen(c, simulation) for c in stops]
    below, above = [c[0] for c in lab[:6]], [c[0] for c in lab[5:]]
    assert all(b > a for a, b in itertools.pairwise(below)) and all(b < a for a, b in itertools.pairwise(above))
    assert np.linalg.norm(lab[0] - lab[-1]) > 60  # −R and +R: two colours, not one
    assert np.linalg.norm(lab[2] - lab[-3]) > 60
    if simulation is None:  # the same lightness at ±v, so both signs' sizes read alike
        assert max(abs(a - b) for a, b in zip(below, above[::-1], strict=True)) < 3


def test_an_unknown_palette_says_which_there_are() -> None:
    assert palette("colourblind") is COLOURBLIND
    with pytest.raises(ValueError, match="expected one of standard, colourblind"):
        palette("rainbow")


def lstm_trace(steps: int = 9) -> cells.Trace:
    network = cells.Network.create("lstm", 3, 4, seed=1)
    return network.run(np.random.default_rng(1).standard_normal((steps, 3))).layers[0].forward


@pytest.mark.parametrize("p", PALETTES.values(), ids=list(PALETTES))
def test_figure_builders_draw_in_the_palette_they_are_given(p: Palette) -> None:
    trace = lstm_trace()
    tokens = list("abcdefghi")
    forget = spec(gate_heatmap(trace, "forget", tokens=tokens, unit=2, palette=p))
    heat = next(t for t in forget["data"] if t["type"] == "heatmap")
    assert stops(heat["colorscale"]) == spec_scale(p, "sequential")
    unit_box = next(s for s in forget["layout"]["shapes"] if s["name"] == "unit")
    assert unit_box["line"]["color"] == p.unit_mark and unit_box["line"]["dash"] == "dash"  # a shape, not a colour
    cell = spec(gate_heatmap(trace, "cell", tokens=tokens, palette=p))
    cell = next(t for t in cell["data"] if t["type"] == "heatmap")
    assert stops(cell["colorscale"]) == spec_scale(p, "diverging")
    weights = spec(weight_heatmap(weight_frame(trace.values["cell"][:4]), "W", p))["data"][0]
    assert stops(weights["colorscale"]) == spec_scale(p, "diverging")
    flow = GradientFlow("rnn", np.geomspace(1e-3, 1, 5), None)
    lines = spec(gradient_flow_figure([FlowCurve("LSTM", "lstm", flow), FlowCurve("plain RNN", "rnn", flow)],
                                      title="t", palette=p))["data"]
    assert [t["line"]["color"] for t in lines] == [p.kind_colour("lstm"), p.kind_colour("rnn")]


def spec_scale(p: Palette, scale: str) -> list:
    """A palette's scale as a figure's JSON holds it: Plotly spells a named scale out as [share, colour] stops."""
    import plotly.graph_objects as go

    return stops(spec(go.Figure(go.Heatmap(z=[[0]], colorscale=p.plotly(scale))))["data"][0]["colorscale"])


def stops(scale: list) -> list:
    """A figure's colour scale with its shares rounded, so Plotly's and a builder's arithmetic compare equal."""
    return [[round(float(share), 9), colour] for share, colour in scale]


@pytest.mark.parametrize("p", PALETTES.values(), ids=list(PALETTES))
def test_the_gate_view_sends_the_palettes_stops_lines_and_mark(p: Palette) -> None:
    trace = lstm_trace()
    header, _ = unpack(pack(gate_view(trace, list("abcdefghi"), ["x0", "x1", "x2"], palette=p)))
    scales = {panel["name"]: panel["scale"] for panel in header["panels"]}
    assert scales["forget"]["stops"] == p.stops("sequential", 11)
    assert scales["cell"]["stops"] == scales["hidden"]["stops"] == p.stops("diverging", 11)
    assert header["colours"] == {"palette": p.name, "lines": list(p.lines), "unit_mark": p.unit_mark}
    assert scales["cell"]["stretched"] and not scales["hidden"]["stretched"]  # only C_t's range follows the data


def counting_trace(steps: int = 14) -> cells.Trace:
    """Unit 0 of C_t counts the steps (C_t ≈ t + 1); unit 1 grows by tanh(0.05) a step, staying near 0."""
    H, inputs = 2, 1
    zeros = {g: np.zeros((H, H + inputs)) for g in cells.LSTM.GATES}
    biases = {"forget": np.full(H, 10.0), "input": np.full(H, 10.0), "candidate": np.array([10.0, 0.05]),
              "output": np.zeros(H)}
    return cells.LSTM(zeros, biases).run(np.zeros((steps, inputs)))


def test_a_view_opens_on_each_units_own_range_when_the_unit_to_watch_would_be_pale() -> None:
    trace = counting_trace()
    tokens, features = [str(t) for t in range(trace.steps)], ["x"]
    opened = {watch: unpack(pack(gate_view(trace, tokens, features, watch=watch)))[0]["ranges"]
              for watch in (None, 0, 1)}
    assert opened == {None: "shared", 0: "shared", 1: "unit"}  # unit 1 uses 0.7 of C_t's ±20
    view = panel_view([ViewPanel("c", "C_t", "cell", colour_range("lstm", "cell", trace.values["cell"]),
                                 trace.values["cell"])], tokens, label="A", watch=1)
    assert unpack(pack(view))[0]["ranges"] == "unit"
    fixed = panel_view([ViewPanel("h", "h_t", "hidden", colour_range("lstm", "hidden"), trace.values["hidden"])],
                       tokens, label="A", watch=1)
    assert unpack(pack(fixed))[0]["ranges"] == "shared"  # a fixed range (tanh) is never stretched per unit
    assert stretched_range(trace.values["cell"]).zmax == 20.0
