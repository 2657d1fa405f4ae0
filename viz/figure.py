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
import plotly.io as pio
from plotly.colors import get_colorscale


def figure(data: Sequence[dict], layout: dict) -> go.Figure:
    """A figure of ``data`` (trace dicts, each with its ``type``) and ``layout``, built unchecked, with the
    default theme's layout and its defaults for the trace types it has (see ``theme``)."""
    data = list(data)
    if "template" not in layout:
        layout = {**layout, "template": theme(pio.templates.default, tuple(sorted({d["type"] for d in data})))}
    return go.Figure(data=data, layout=layout, _validate=False)


@functools.lru_cache(maxsize=32)
def theme(name: str, types: tuple[str, ...]) -> dict:
    """Theme ``name``'s layout, and its defaults for the trace ``types`` alone. A theme holds defaults for every
    kind of chart (the app's, Streamlit's, has ten); a figure carries its theme in full, and it is copied and
    encoded on every rerun and sent each time. The parts for kinds the figure does not draw change nothing."""
    full = pio.templates[name].to_plotly_json()
    return {"layout": full.get("layout", {}),
            "data": {kind: styles for kind, styles in full.get("data", {}).items() if kind in types}}


def colorscale(scale: str | Sequence[Sequence]) -> Sequence[Sequence]:
    """A colour scale as the (share, colour) stops the browser takes: a Plotly name ("Viridis", "RdBu_r") looked
    up (unchecked figures get no lookup, and plotly.js does not know reversed "_r" names), stops as they are."""
    return _named(scale) if isinstance(scale, str) else scale


@functools.lru_cache(maxsize=64)
def _named(name: str) -> tuple[tuple[float, str], ...]:
    return tuple((float(share), colour) for share, colour in get_colorscale(name))
