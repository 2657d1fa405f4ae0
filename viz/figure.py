"""Plotly figures from plain dicts, handed over whole, without Plotly's per-property checks.

``go.Heatmap(...)`` and ``fig.update_layout(...)`` check and coerce every property on the way in:
about 25 ms for one of this project's heatmaps, paid on every rerun that draws it (issue: a whole
class on one server). The builders in viz/ write the JSON they mean as dicts and call ``figure``;
their tests read that JSON back (tests/viz), which is where a misspelt property shows.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.colors import get_colorscale


def figure(data: Sequence[dict], layout: dict) -> go.Figure:
    """A figure of ``data`` (trace dicts, each with its ``type``) and ``layout``, built unchecked."""
    return go.Figure(data=list(data), layout=layout, _validate=False)


@functools.lru_cache(maxsize=64)
def colorscale(name: str) -> tuple[tuple[float, str], ...]:
    """A named Plotly colour scale ("Viridis", "RdBu_r") as the (share, colour) stops the browser takes:
    unchecked figures get no name lookup, and plotly.js does not know reversed ("_r") names."""
    return tuple((float(share), colour) for share, colour in get_colorscale(name))
