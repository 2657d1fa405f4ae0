"""Line charts of chosen units over time: h_t (and C_t for LSTMs), with the time cursor."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.colors import qualitative

import cells
from viz.heatmap import _time_xaxis, cursor_shapes
from viz.style import TICK_SIZE, base_layout, compact
from viz.timeaxis import time_axis

PALETTE = qualitative.D3


def unit_lines(
    trace: cells.Trace, units: Sequence[int], cursor: int | None = None, tokens: Sequence[str] | None = None
) -> go.Figure:
    """h_t (solid) and, for cells with one, C_t (dashed) of each unit in ``units`` over every step."""
    H = trace.hidden_size
    units = [int(u) for u in units if 0 <= int(u) < H]
    tokens = tuple(tokens) if tokens is not None else tuple(str(t) for t in range(trace.steps))
    if len(tokens) != trace.steps:
        raise ValueError(f"tokens: expected {trace.steps} (one per step), got {len(tokens)}")
    axis = time_axis(tokens, trace.steps)  # lines draw every step
    names = ["hidden"] + (["cell"] if "cell" in trace.values else [])
    fig = go.Figure()
    for k, u in enumerate(units):
        colour = PALETTE[k % len(PALETTE)]
        for name in names:
            info = cells.gate_info(trace.family, name)
            fig.add_trace(go.Scatter(
                x=axis.positions.astype("int32"), y=compact(trace.values[name][:, u]),
                mode="lines+markers" if trace.steps <= 60 else "lines",
                name=f"{info.symbol} unit {u}",
                line={"color": colour, "dash": "solid" if name == "hidden" else "dash", "width": 2.5},
                hovertemplate=f"<b>{info.symbol}</b> unit {u}<br>step %{{x}}<br>value %{{y:.3f}}<extra></extra>",
            ))
    what = " and ".join(cells.gate_info(trace.family, n).symbol for n in names)
    title = f"{what} of the chosen units" if units else "pick units to follow"
    layout = base_layout(320, title)
    layout.update(
        xaxis=_time_xaxis(axis), yaxis={"title": {"text": "value"}, "zeroline": True, "tickfont": {"size": TICK_SIZE}},
        shapes=cursor_shapes(axis, cursor, None, 0), hovermode="closest",
        # the legend on the figure's bottom edge: never over the axis title, however tall the tick labels
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
    )
    layout["margin"] = {**layout["margin"], "b": 140}
    fig.update_layout(layout)
    return fig
