"""A small drawing of one cell at one step: each gate a box coloured by its value for one unit.

Boxes use the same fixed colour ranges as the heatmaps, so a box and the heatmap cell under the
cursor have the same colour. Lines show where each value goes; ⊗ multiplies, ⊕ adds.
"""

from __future__ import annotations

import plotly.graph_objects as go

import cells
from viz.style import FONT_SIZE, base_layout, colour_range

# Each layout: value name -> (x, y) of its box; then the wires between named points.
_LSTM_BOXES = {"forget": (2.0, 1.0), "input": (3.7, 1.0), "candidate": (5.4, 1.0), "output": (7.3, 1.0),
               "cell": (9.6, 3.0), "hidden": (9.6, -0.4)}
_LSTM_NODES = {"C_{t-1}": (0.2, 3.0), "×f": (2.0, 3.0), "×i": (4.55, 2.0), "+": (4.55, 3.0),
               "tanh": (7.3, 2.2), "×o": (8.4, 1.0), "[h_{t-1}, x_t]": (0.2, -0.4)}
_LSTM_WIRES = [
    ("C_{t-1}", "×f"), ("×f", "+"), ("+", "cell"), ("forget", "×f"), ("input", "×i"), ("candidate", "×i"),
    ("×i", "+"), ("+", "tanh"), ("tanh", "×o"), ("output", "×o"), ("×o", "hidden"),
    ("[h_{t-1}, x_t]", "forget"), ("[h_{t-1}, x_t]", "input"), ("[h_{t-1}, x_t]", "candidate"),
    ("[h_{t-1}, x_t]", "output"),
]
_GRU_BOXES = {"reset": (2.0, 1.0), "update": (4.0, 1.0), "candidate": (6.0, 1.0), "hidden": (9.6, 3.0)}
_GRU_NODES = {"h_{t-1}": (0.2, 3.0), "×old": (4.0, 3.0), "×new": (6.0, 2.0), "+": (7.6, 3.0),
              "[h_{t-1}, x_t]": (0.2, -0.4)}
_GRU_WIRES = [
    ("h_{t-1}", "×old"), ("×old", "+"), ("+", "hidden"), ("update", "×old"), ("update", "×new"),
    ("candidate", "×new"), ("×new", "+"), ("reset", "candidate"), ("[h_{t-1}, x_t]", "reset"),
    ("[h_{t-1}, x_t]", "update"), ("[h_{t-1}, x_t]", "candidate"),
]
_RNN_BOXES = {"hidden": (5.0, 1.5)}
_RNN_NODES = {"[h_{t-1}, x_t]": (0.2, 1.5), "h_t out": (9.6, 1.5)}
_RNN_WIRES = [("[h_{t-1}, x_t]", "hidden"), ("hidden", "h_t out")]


def _layout(kind: str) -> tuple[dict, dict, list]:
    family = cells.cell_class(kind).FAMILY
    if family == "lstm":
        return _LSTM_BOXES, _LSTM_NODES, _LSTM_WIRES
    if family == "gru":
        z_old = cells.cell_class(kind).__name__ != "GRU"
        nodes = {**_GRU_NODES}
        labels = {"×old": "×z" if z_old else "×(1−z)", "×new": "×(1−z)" if z_old else "×z"}
        return _GRU_BOXES, {labels.get(k, k): v for k, v in nodes.items()}, [
            (labels.get(a, a), labels.get(b, b)) for a, b in _GRU_WIRES]
    return _RNN_BOXES, _RNN_NODES, _RNN_WIRES


def _text_colour(rgb: str) -> str:
    r, g, b = (float(c) for c in rgb[rgb.index("(") + 1 : -1].split(","))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def cell_diagram(trace: cells.Trace, t: int, unit: int) -> go.Figure:
    """The cell of ``trace`` at step ``t``, every box coloured by unit ``unit``'s value there."""
    step = trace.at(t)
    H = trace.hidden_size
    if not 0 <= unit < H:
        raise ValueError(f"unit: expected 0 to {H - 1}, got {unit}")
    boxes, nodes, wires = _layout(trace.kind)
    where = {**boxes, **nodes}
    shapes: list[dict] = []
    for a, b in wires:
        (x0, y0), (x1, y1) = where[a], where[b]
        path = f"M {x0},{y0} L {x0},{y1} L {x1},{y1}" if y0 != y1 and x0 != x1 else f"M {x0},{y0} L {x1},{y1}"
        shapes.append({"type": "path", "path": path, "line": {"color": "#888888", "width": 2}, "layer": "below"})
    annotations = []
    for name, (x, y) in boxes.items():
        value = float(step.values[name][unit])
        crange = colour_range(trace.family, name, trace.values[name])
        fill = crange.colour(value)
        shapes.append({"type": "rect", "name": name, "x0": x - 0.7, "x1": x + 0.7, "y0": y - 0.45, "y1": y + 0.45,
                       "fillcolor": fill, "line": {"color": "#333333", "width": 1.5}, "layer": "above"})
        symbol = cells.gate_info(trace.family, name).symbol
        annotations.append({"x": x, "y": y, "text": f"<b>{symbol}</b><br>{value:.2f}", "showarrow": False,
                            "font": {"size": FONT_SIZE, "color": _text_colour(fill)}})
    for name, (x, y) in nodes.items():
        annotations.append({"x": x, "y": y, "text": name.replace(" out", ""), "showarrow": False,
                            "font": {"size": FONT_SIZE - 1}, "bgcolor": "rgba(255,255,255,0.9)"})
    fig = go.Figure()
    label = cells.cell_class(trace.kind).LABEL
    layout = base_layout(300, f"{label}: unit {unit} at step {step.t}")
    layout.update(
        shapes=shapes, annotations=annotations,
        xaxis={"visible": False, "range": [-0.6, 10.5], "fixedrange": True},
        yaxis={"visible": False, "range": [-1.1, 3.7], "fixedrange": True},
        margin={"l": 10, "r": 10, "t": 45, "b": 10}, showlegend=False,
    )
    fig.update_layout(layout)
    return fig
