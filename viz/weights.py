"""Weights as tables and pictures: one gate's matrix as a DataFrame and a heatmap, and the
difference a clamped gate makes (ΔC, Δh) over time.

Columns follow the lecture's [h_{t-1}, x_t]: the H hidden columns h0…h(H−1) first, then the inputs
x0, x1, …, named by the input's features when it has them. Rows are the units u0, u1, …: one numbering,
from 0, as the gate heatmaps count units.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import cells
from viz.figure import colorscale, figure
from viz.gateview import GateView, ViewPanel, panel_view
from viz.style import STANDARD, Palette, base_layout, colour_range, stretched_range, symmetric_range

SMALL_TICKS = 12  # a weight matrix has a label per column; they must fit beside the editor


def unit_names(hidden: int) -> list[str]:
    return [f"u{u}" for u in range(hidden)]


def column_names(hidden: int, features: Sequence[str] | None, inputs: int) -> list[str]:
    """h0…h(H−1), then x0…x(I−1), each input named by its feature when there is one: ``x1 (b)``.
    Counted from 0, as units are: column h3 is what unit 3's h_{t-1} contributes."""
    names = [f"h{j}" for j in range(hidden)]
    if features is not None and len(features) == inputs:
        names += [f"x{j} ({f})" for j, f in enumerate(features)]
    else:
        names += [f"x{j}" for j in range(inputs)]
    return names


def weight_frame(matrix: np.ndarray, features: Sequence[str] | None = None, hidden: int | None = None
                 ) -> pd.DataFrame:
    """An (H, P + I) gate matrix as a table: rows u0…, columns h0…, x0…; ``hidden`` is P, the numbers
    of h_{t-1} (H, the rows, unless a projection makes h_t shorter)."""
    H, width = matrix.shape
    P = H if hidden is None else hidden
    return pd.DataFrame(np.asarray(matrix, np.float64), index=unit_names(H),
                        columns=column_names(P, features, width - P))


def square_frame(matrix: np.ndarray) -> pd.DataFrame:
    """An (H, H) peephole matrix on C: rows u0…, columns C0…."""
    H = matrix.shape[0]
    return pd.DataFrame(np.asarray(matrix, np.float64), index=unit_names(H),
                        columns=[f"C{j}" for j in range(H)])


def projection_frame(matrix: np.ndarray) -> pd.DataFrame:
    """A (P, H) projection W_hr as a table: a row per number of h_t (h0…), a column per unit's m_t (m0…)."""
    P, H = matrix.shape
    return pd.DataFrame(np.asarray(matrix, np.float64), index=[f"h{r}" for r in range(P)],
                        columns=[f"m{u}" for u in range(H)])


def bias_frame(cell: cells.Cell, gate: str) -> pd.DataFrame:
    """One gate's bias b (and PyTorch's/Keras' recurrent bias b_h where the cell has one) per unit."""
    data = {"b": np.asarray(cell.biases[gate], np.float64)}
    if cell.hidden_biases is not None and gate in cell.hidden_biases:
        data["b_h"] = np.asarray(cell.hidden_biases[gate], np.float64)
    return pd.DataFrame(data, index=unit_names(cell.hidden_size))


def weight_heatmap(frame: pd.DataFrame, title: str, palette: Palette = STANDARD) -> go.Figure:
    """A weight table as a heatmap: diverging colours centred on 0 over a round symmetric range."""
    values = frame.to_numpy(np.float64)
    bound = symmetric_range(values)
    rows, cols = list(frame.index), list(frame.columns)
    heat = {
        "type": "heatmap", "z": np.round(values, 4).astype(np.float32), "x": list(range(len(cols))),
        "y": list(range(len(rows))), "zmin": -bound, "zmax": bound, "zmid": 0.0,
        "colorscale": colorscale(palette.plotly("diverging")), "xgap": 1, "ygap": 1,
        "text": [[f"{r} · {c}" for c in cols] for r in rows],
        "hovertemplate": "%{text}<br>weight %{z:.4f}<extra></extra>",
        "colorbar": {"title": {"text": f"±{bound:g}", "side": "right"}, "thickness": 12,
                     "tickfont": {"size": SMALL_TICKS}},
    }
    small = {"size": SMALL_TICKS}
    every = -(-len(cols) // 24)  # at most 24 column labels
    # at least six rows tall: with one or two units the colour bar would squeeze its ticks together
    layout = base_layout(170 + 22 * max(6, min(len(rows), 32)), title)
    layout.update(
        margin={"l": 50, "r": 70, "t": 45, "b": 100},
        xaxis={"tickmode": "array", "tickvals": list(range(0, len(cols), every)), "ticktext": cols[::every],
               "tickangle": -90, "tickfont": small, "showgrid": False, "zeroline": False},
        yaxis={"tickmode": "array", "tickvals": list(range(len(rows))), "ticktext": rows, "autorange": "reversed",
               "tickfont": small, "showgrid": False, "zeroline": False},
        dragmode=False,
    )
    return figure([heat], layout)


def clamp_view(clamped: cells.Trace, free: cells.Trace, gate: str, tokens: Sequence[str], what: str,
               palette: Palette = STANDARD) -> GateView:
    """A clamp's effect as one view: the clamped gate, then how far the cell state (where the cell has one)
    and h_t moved, clamped − unclamped, on diverging scales centred on 0 whose range they state."""
    info = cells.gate_info(clamped.family, gate)
    panels = [ViewPanel("clamped", info.latex, f"{info.title}, {what}",
                        colour_range(clamped.family, gate, clamped.values[gate]), clamped.values[gate])]
    for name in ("cell", "hidden"):
        if name not in clamped.values:
            continue
        delta = clamped.values[name] - free.values[name]  # (T, H)
        symbol = cells.gate_info(clamped.family, name).latex
        panels.append(ViewPanel(f"delta_{name}", rf"\Delta {symbol}",
                                f"{cells.gate_info(clamped.family, name).description}: clamped − unclamped",
                                stretched_range(delta), delta))
    return panel_view(panels, tokens, label=f"{info.symbol} clamped", columns=1, palette=palette)
