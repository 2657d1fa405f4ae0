"""Heatmaps of one gate or state over time: units on y, steps on x, one fixed colour range.

The pages step through a trace in the gate view (viz/gateview.py); these Plotly heatmaps are for
the files a user saves (Explore's "Figures as HTML"). Hover names the gate, unit, step, token and value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

import cells
from viz.figure import colorscale, figure
from viz.style import STANDARD, TICK_SIZE, ColourRange, Palette, base_layout, colour_range, compact
from viz.timeaxis import MAX_CELLS, TimeAxis, bin_steps, columns_for, time_axis

CURSOR_COLOUR = "#111111"


def _height(rows: int) -> int:
    return 170 + 11 * min(rows, 24)


def _row_ticks(names: Sequence[str], most: int = 10) -> dict:
    """Label every row when there are few, else every k-th, so labels never overlap."""
    step = -(-len(names) // most)  # ceil
    rows = range(0, len(names), step)
    return {"tickmode": "array", "tickvals": list(rows), "ticktext": [names[r] for r in rows]}


def cursor_shapes(axis: TimeAxis, cursor: int | None, unit: int | None, rows: int,
                  palette: Palette = STANDARD) -> list[dict]:
    """A solid box around the cursor's column, and a thin dashed box around the chosen unit's row: told apart
    by their shape, not only their colour."""
    shapes = []
    if cursor is not None:
        x0, x1 = axis.cursor_span(cursor)
        shapes.append({"type": "rect", "name": "cursor", "xref": "x", "yref": "paper", "x0": x0, "x1": x1,
                       "y0": 0, "y1": 1, "line": {"color": CURSOR_COLOUR, "width": 3}, "layer": "above"})
    if unit is not None and 0 <= unit < rows:
        shapes.append({"type": "rect", "name": "unit", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
                       "y0": unit - 0.5, "y1": unit + 0.5, "layer": "above",
                       "line": {"color": palette.unit_mark, "width": 2, "dash": "dash"}})
    return shapes


def _time_xaxis(axis: TimeAxis) -> dict:
    return {
        "title": {"text": "step · token" if not axis.binned else "step"},
        "tickmode": "array",
        "tickvals": list(axis.tickvals),
        "ticktext": list(axis.ticktext),
        "tickangle": 0 if len(axis.tickvals) <= 12 else -45 if len(axis.tickvals) <= 30 else -90,
        "range": [-0.5, axis.steps - 0.5],
        "showgrid": False,
        "zeroline": False,
        "tickfont": {"size": TICK_SIZE},
    }


def matrix_figure(
    values: np.ndarray,
    axis: TimeAxis,
    crange: ColourRange,
    *,
    title: str,
    what: str,
    row_title: str,
    cursor: int | None = None,
    unit: int | None = None,
    palette: Palette = STANDARD,
) -> go.Figure:
    """A (T, R) array as a heatmap on ``axis``, rows on y numbered from 0, with hover naming ``what``, row,
    step and value, coloured by ``palette``."""
    cols = compact(bin_steps(values, axis.bin))  # (N, R)
    R = cols.shape[1]
    z = cols.T  # (R, N): rows on y
    x = axis.positions.astype(np.int16)  # (N,)
    y = np.arange(R, dtype=np.uint8 if R < 256 else np.int16)  # (R,)
    tokens = None if axis.binned else [label.split("·", 1)[1] for label in axis.labels]
    step_part = (f"steps %{{x:d}} ± {axis.bin // 2} (mean of {axis.bin})" if axis.binned
                 else "step %{x:d} · token %{text}")
    text = None if tokens is None else [tokens] * R  # (R, N): each cell's token
    lines = [f"<b>{what}</b>", f"{row_title} %{{y}}", step_part, "value %{z:.3f}"]
    heat = {
        "type": "heatmap", "x": x, "y": y, "z": z, "text": text, "name": what,
        "zmin": crange.zmin, "zmax": crange.zmax, "colorscale": colorscale(palette.plotly(crange.scale)),
        "colorbar": {"title": {"text": crange.label, "side": "right"}, "thickness": 14, "x": 1.01, "len": 1.0,
                     "tickfont": {"size": TICK_SIZE}},
        "hovertemplate": "<br>".join(line for line in lines if line) + "<extra></extra>",
        "xgap": 0, "ygap": 1 if R <= 32 else 0,
    }
    if crange.zmin < 0:
        heat["zmid"] = 0.0
    if text is None:
        del heat["text"]
    layout = base_layout(_height(R), title)
    layout.update(
        xaxis=_time_xaxis(axis),
        yaxis={"title": {"text": row_title}, "autorange": "reversed", "tickfont": {"size": TICK_SIZE},
               "zeroline": False, "showgrid": False, **_row_ticks([str(r) for r in range(R)])},
        shapes=cursor_shapes(axis, cursor, unit, R, palette),
        hovermode="closest",
        dragmode=False,
    )
    return figure([heat], layout)


def gate_title(family: str, name: str, crange: ColourRange, axis: TimeAxis) -> str:
    """``f_t  forget gate``, the cell state's colour range when it is not fixed, and any time binning."""
    info = cells.gate_info(family, name)
    title = f"{info.symbol}  {info.title}"
    if info.range == "unbounded":
        title += f" (colours {crange.label})"
    return f"{title} · {axis.note}" if axis.note else title


def gate_heatmap(
    trace: cells.Trace,
    name: str,
    cursor: int | None = None,
    tokens: Sequence[str] | None = None,
    *,
    unit: int | None = None,
    max_cells: int | None = None,
    palette: Palette = STANDARD,
) -> go.Figure:
    """Gate or state ``name`` of ``trace`` over time: units on y, steps on x labelled by ``tokens``.

    The colour range is the value's fixed range (see ``viz.style``) in ``palette``'s colours; ``cursor``
    draws a box round that step's column and ``unit`` outlines that unit's row.
    """
    if name not in trace.values:
        raise ValueError(f"gate {name!r}: this {trace.kind} trace records {', '.join(trace.values)}")
    values = trace.values[name]  # (T, H), or (T, P) for the h_t of an LSTM with projections
    tokens = tuple(tokens) if tokens is not None else tuple(str(t) for t in range(trace.steps))
    if len(tokens) != trace.steps:
        raise ValueError(f"tokens: expected {trace.steps} (one per step), got {len(tokens)}")
    H = values.shape[1]
    axis = time_axis(tokens, columns_for(H, max_cells or MAX_CELLS))
    crange = colour_range(trace.family, name, values)
    info = cells.gate_info(trace.family, name)
    return matrix_figure(
        values, axis, crange, title=gate_title(trace.family, name, crange, axis), what=info.symbol,
        row_title="unit", cursor=cursor, unit=unit, palette=palette,
    )


def heatmap_names(trace: cells.Trace) -> tuple[str, ...]:
    """The gates and states a trace's page shows, one heatmap each, in the lecture's order (the kind's SHOWN)."""
    return cells.cell_class(trace.kind).SHOWN
