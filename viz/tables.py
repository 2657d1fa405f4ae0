"""Every chart's numbers as tables, for readers who cannot see the colours or the lines (pure: no Streamlit).

``view_tables`` turns a gate view (viz.gateview) into one table per drawn panel: a row per unit (or input),
a column per step labelled as the view's time axis is. ``figure_tables`` does the same for any Plotly figure:
a heatmap becomes its grid, lines and bars one table whose rows are their x values and columns their traces.
Both read the very arrays the chart draws, so the table and the picture cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from viz.gateview import GateView

DECIMALS = 4  # what a table shows of each value; the downloads keep every digit


def view_tables(view: GateView) -> list[tuple[str, pd.DataFrame]]:
    """(title, table) for every drawn panel of ``view``: values (rows × steps), rows named as the view names
    them ("unit 0", or the input's name), columns by the time axis's labels ("0·h")."""
    header = view.header
    tables = []
    for panel in header["panels"]:
        if panel.get("empty"):
            continue
        values = np.asarray(view.arrays[panel["name"]])  # (T, rows)
        names = panel["row_names"] or [f"{panel['row_title']} {k}" for k in range(values.shape[1])]
        table = pd.DataFrame(values.T.round(DECIMALS), index=pd.Index(names, name=panel["row_title"]),
                             columns=list(header["labels"]))
        tables.append((panel["title"], table))
    return tables


def _labels(values: object, n: int) -> list:
    """Axis values as table labels: as given, or 0..n-1 when the trace has none."""
    if values is None:
        return list(range(n))
    return [v.item() if isinstance(v, np.generic) else v for v in np.asarray(values, dtype=object).ravel()]


def _title(fig: go.Figure) -> str:
    return fig.layout.title.text or ""


def _axis(fig: go.Figure, trace: object, letter: str) -> object:
    """The layout axis a trace is drawn on ("x2" -> layout.xaxis2)."""
    name = getattr(trace, f"{letter}axis", None) or letter
    return fig.layout[f"{letter}axis{name[1:]}"]


def _ticks(fig: go.Figure, trace: object, letter: str, values: list) -> list:
    """Axis values as the axis writes them (its tick text for its tick values), else as they are."""
    axis = _axis(fig, trace, letter)
    if axis.tickvals is not None and axis.ticktext is not None:
        text = {float(v): str(t) for v, t in zip(axis.tickvals, axis.ticktext, strict=False)}
        return [text.get(float(v), v) if isinstance(v, int | float) else v for v in values]
    return values


def _grid(fig: go.Figure, trace: go.Heatmap) -> pd.DataFrame:
    z = np.asarray(trace.z, dtype=float)
    if z.ndim == 1:
        z = z[None, :]
    rows, columns = z.shape
    index = _ticks(fig, trace, "y", _labels(trace.y, rows)[:rows])
    header = _ticks(fig, trace, "x", _labels(trace.x, columns)[:columns])
    table = pd.DataFrame(z.round(DECIMALS), index=index, columns=header)
    table.index.name = _axis(fig, trace, "y").title.text or None
    table.columns.name = _axis(fig, trace, "x").title.text or None
    return table


def _series(traces: Sequence) -> pd.DataFrame | None:
    """Lines, markers and bars side by side, one column per trace, rows by x; None if their x values repeat
    within a trace (then each trace gets its own table)."""
    columns = {}
    for k, trace in enumerate(traces):
        y = np.asarray(trace.y if trace.y is not None else [], dtype=float)
        x = _labels(trace.x, len(y))[: len(y)]
        if len(set(map(str, x))) != len(x):
            return None
        name = trace.name or f"trace {k + 1}"
        while name in columns:
            name += "′"
        columns[name] = pd.Series(y.round(DECIMALS), index=x)
    return pd.concat(columns, axis=1) if columns else None


def figure_tables(fig: go.Figure) -> list[tuple[str, pd.DataFrame]]:
    """(title, table) for the numbers ``fig`` draws: each heatmap's grid, labelled as its axes are, or else its
    lines and bars together."""
    title = _title(fig)
    tables: list[tuple[str, pd.DataFrame]] = []
    heatmaps = [t for t in fig.data if t.type == "heatmap" and t.z is not None]
    for trace in heatmaps:  # one heatmap goes by the figure's title, several (subplots) by their own names
        name = (title or trace.name) if len(heatmaps) == 1 else (trace.name or title)
        tables.append((name or "", _grid(fig, trace)))
    lines = [t for t in fig.data if t.type in ("scatter", "scattergl", "bar") and t.y is not None]
    if lines:
        joined = _series(lines)
        if joined is not None:
            tables.append((title, joined))
        else:
            for k, trace in enumerate(lines):
                y = np.asarray(trace.y, dtype=float).round(DECIMALS)
                table = pd.DataFrame({trace.name or f"trace {k + 1}": y}, index=_labels(trace.x, len(y))[: len(y)])
                tables.append((trace.name or title, table))
    return tables
