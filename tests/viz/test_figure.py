"""viz.figure: unchecked figures carry the theme's layout and only the trace defaults they use."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest

from tests.viz.figjson import spec
from viz.figure import figure

LINE = {"type": "scatter", "x": np.arange(3), "y": np.ones(3)}
GRID = {"type": "heatmap", "z": np.eye(3)}


@pytest.fixture(params=["plotly", "plotly_white"])
def default_theme(request: pytest.FixtureRequest):
    before = pio.templates.default
    pio.templates.default = request.param
    yield request.param
    pio.templates.default = before


def test_a_figure_carries_the_theme_layout_and_the_defaults_of_its_own_trace_types(default_theme: str) -> None:
    full = pio.templates[default_theme].to_plotly_json()
    for data, kinds in (([LINE], {"scatter"}), ([GRID], {"heatmap"}), ([LINE, GRID], {"scatter", "heatmap"})):
        template = spec(figure(data, {"height": 300}))["layout"]["template"]
        assert template["layout"] == json.loads(json.dumps(full["layout"]))
        assert set(template["data"]) == kinds & set(full["data"])
        for kind in template["data"]:
            assert template["data"][kind] == json.loads(json.dumps(full["data"][kind]))


def test_the_trimmed_theme_makes_a_small_figure_several_times_smaller() -> None:
    """Sent on every rerun that draws the chart: most of a small figure was the theme's unused defaults."""
    fig = figure([LINE], {"height": 300})
    with_all = fig.to_dict()
    with_all["layout"]["template"] = pio.templates[pio.templates.default].to_plotly_json()
    trimmed, full = len(pio.to_json(fig, validate=False)), len(pio.to_json(with_all, validate=False))
    assert trimmed < full / 2


def test_a_template_the_builder_names_is_kept() -> None:
    assert spec(figure([LINE], {"template": {"layout": {"font": {"size": 30}}}}))["layout"]["template"] == {
        "layout": {"font": {"size": 30}}}
