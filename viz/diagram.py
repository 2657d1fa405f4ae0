"""A small drawing of one cell at one step: each gate a box coloured by its value for one unit.

Boxes use the same fixed colour ranges as the heatmaps, so a box and the heatmap cell under the
cursor have the same colour. Wires show where each value goes; ⊗ multiplies, ⊕ adds. The cell
state (or, in a GRU, the hidden state) runs along the top, the input [h_{t-1}, x_t] along the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

import cells
from viz.style import FONT_SIZE, base_layout, colour_range

BOX_W, BOX_H = 0.62, 0.42  # half sizes of a gate box
NODE_R = 0.24  # radius of a ⊗ / ⊕ node
WIRE = "#7f7f7f"


@dataclass(frozen=True)
class Drawing:
    boxes: dict[str, tuple[float, float]]  # value name -> centre of its coloured box
    nodes: dict[str, tuple[float, float, str]]  # id -> centre and symbol ("×", "+", "1−", "tanh")
    labels: dict[str, tuple[float, float]]  # text -> where it is written (right-aligned)
    wires: tuple[tuple[tuple[float, float], ...], ...]  # polylines


def drawing(kind: str) -> Drawing:
    """The layout of a ``kind`` cell, as its module declares it."""
    return Drawing(**cells.cell_class(kind).diagram(BOX_W, BOX_H))


def _text_colour(rgb: str) -> str:
    r, g, b = (float(c) for c in rgb[rgb.index("(") + 1 : -1].split(","))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def cell_diagram(trace: cells.Trace, t: int, unit: int) -> go.Figure:
    """The cell of ``trace`` at step ``t``, every box coloured by unit ``unit``'s value there."""
    step = trace.at(t)
    H = trace.hidden_size
    if not 0 <= unit < H:
        raise ValueError(f"unit: expected 0 to {H - 1}, got {unit}")
    d = drawing(trace.kind)
    shapes: list[dict] = []
    for line in d.wires:
        path = "M " + " L ".join(f"{x},{y}" for x, y in line)
        shapes.append({"type": "path", "path": path, "line": {"color": WIRE, "width": 2.5}, "layer": "below"})
    annotations = []
    for name, (x, y) in d.boxes.items():
        value = float(step.values[name][unit])
        fill = colour_range(trace.family, name, trace.values[name]).colour(value)
        shapes.append({"type": "rect", "name": name, "x0": x - BOX_W, "x1": x + BOX_W, "y0": y - BOX_H,
                       "y1": y + BOX_H, "fillcolor": fill, "line": {"color": "#333333", "width": 1.5},
                       "layer": "above"})
        symbol = cells.gate_info(trace.family, name).symbol
        annotations.append({"x": x, "y": y, "text": f"<b>{symbol}</b><br>{value:.2f}", "showarrow": False,
                            "font": {"size": FONT_SIZE, "color": _text_colour(fill)}})
    for x, y, symbol in d.nodes.values():
        wide = len(symbol) > 1
        rx = NODE_R * (1.8 if wide else 1.0)
        shapes.append({"type": "rect" if wide else "circle", "x0": x - rx, "x1": x + rx, "y0": y - NODE_R,
                       "y1": y + NODE_R, "fillcolor": "#ffffff", "line": {"color": WIRE, "width": 2},
                       "layer": "above"})
        annotations.append({"x": x, "y": y, "text": symbol, "showarrow": False, "font": {"size": FONT_SIZE}})
    for text, (x, y) in d.labels.items():
        annotations.append({"x": x, "y": y, "text": text, "showarrow": False, "xanchor": "right",
                            "font": {"size": FONT_SIZE - 1, "color": "#444444"}})
    label = cells.cell_class(trace.kind).LABEL
    fig = go.Figure()
    layout = base_layout(340, f"{label}: unit {unit} at step {step.t}")
    layout.update(
        shapes=shapes, annotations=annotations,
        xaxis={"visible": False, "range": [-1.9, 10.4], "fixedrange": True},
        yaxis={"visible": False, "range": [-1.1, 3.6], "fixedrange": True, "scaleanchor": None},
        margin={"l": 10, "r": 10, "t": 45, "b": 10}, showlegend=False,
    )
    fig.update_layout(layout)
    return fig
