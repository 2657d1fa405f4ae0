"""The layout of the small drawing of one cell that the gate view colours at every step: where each
gate's box, each ⊗ / ⊕ node, each label and each wire goes (pure data; the browser draws it).

Boxes take the same fixed colour ranges as the heatmaps, so a box and the heatmap cell under the
cursor have the same colour. Wires show where each value goes; ⊗ multiplies, ⊕ adds. The cell
state (or, in a GRU, the hidden state) runs along the top, the input [h_{t-1}, x_t] along the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

import cells

BOX_W, BOX_H = 0.62, 0.42  # half sizes of a gate box
NODE_R = 0.24  # radius of a ⊗ / ⊕ node
WIRE = "#7f7f7f"


@dataclass(frozen=True)
class Drawing:
    boxes: dict[str, tuple[float, float]]  # value name -> centre of its coloured box
    nodes: dict[str, tuple[float, float, str]]  # id -> centre and symbol ("×", "+", "1−", "tanh")
    labels: dict[str, tuple[float, float]]  # text -> where it is written (right-aligned)
    wires: tuple[tuple[tuple[float, float], ...], ...]  # polylines


def _lstm() -> Drawing:
    gy, top, bus = 0.6, 3.0, -0.5
    f, i, g, o = 2.0, 3.8, 5.4, 7.2
    mul_i, add, tanh, mul_o = (4.6, 1.9), (4.6, top), (8.3, 2.1), (8.3, gy)
    return Drawing(
        boxes={"forget": (f, gy), "input": (i, gy), "candidate": (g, gy), "output": (o, gy),
               "cell": (9.6, top), "hidden": (9.6, bus)},
        nodes={"mul_f": (f, top, "×"), "mul_i": (*mul_i, "×"), "add": (*add, "+"), "tanh": (*tanh, "tanh"),
               "mul_o": (*mul_o, "×")},
        labels={"C_{t-1}": (0.8, top), "[h_{t-1}, x_t]": (0.8, bus)},
        wires=(
            ((0.85, top), (9.6 - BOX_W, top)),  # the cell state line
            ((f, gy + BOX_H), (f, top)),
            ((i, gy + BOX_H), (i, mul_i[1]), mul_i), ((g, gy + BOX_H), (g, mul_i[1]), mul_i), (mul_i, add),
            ((tanh[0], top), tanh, mul_o), ((o + BOX_W, gy), mul_o), (mul_o, (mul_o[0], bus), (9.6 - BOX_W, bus)),
            ((0.85, bus), (o, bus)), *(((x, bus), (x, gy - BOX_H)) for x in (f, i, g, o)),
        ),
    )


def _gru(z_keeps_old: bool) -> Drawing:
    gy, top, bus = 0.6, 3.0, -0.5
    r, z, n = 1.6, 3.6, 6.0
    mul_r, mul_old, mul_new, add = (r, 2.0), (z, top), (n, 2.0), (n, top)
    branch = 4.8  # where z's second wire climbs to the new-candidate product
    one_minus = (branch, 1.4) if z_keeps_old else (z, 2.1)
    return Drawing(
        boxes={"reset": (r, gy), "update": (z, gy), "candidate": (n, gy), "hidden": (9.6, top)},
        nodes={"mul_r": (*mul_r, "×"), "mul_old": (*mul_old, "×"), "mul_new": (*mul_new, "×"), "add": (*add, "+"),
               "one_minus": (*one_minus, "1−")},
        labels={"h_{t-1}": (0.8, top), "[h_{t-1}, x_t]": (0.8, bus)},
        wires=(
            ((0.85, top), (9.6 - BOX_W, top)),  # the hidden state line
            ((r, top), mul_r), ((r, gy + BOX_H), mul_r),
            (mul_r, (2.6, mul_r[1]), (2.6, 1.3), (n - 0.4, 1.3), (n - 0.4, gy + BOX_H)),  # r * h_{t-1} into h̃
            ((z, gy + BOX_H), mul_old),
            ((z + BOX_W, gy), (branch, gy), (branch, mul_new[1]), mul_new),
            ((n, gy + BOX_H), mul_new), (mul_new, add),
            ((0.85, bus), (n, bus)), *(((x, bus), (x, gy - BOX_H)) for x in (r, z, n)),
        ),
    )


def _rnn() -> Drawing:
    return Drawing(
        boxes={"hidden": (5.0, 1.3)}, nodes={}, labels={"[h_{t-1}, x_t]": (2.2, 1.3), "→ h_t": (9.6, 1.3)},
        wires=(((2.25, 1.3), (5.0 - BOX_W, 1.3)), ((5.0 + BOX_W, 1.3), (8.4, 1.3))),
    )


def drawing(kind: str) -> Drawing:
    """The layout of a ``kind`` cell."""
    cls = cells.cell_class(kind)
    if cls.FAMILY == "lstm":
        return _lstm()
    if cls.FAMILY == "gru":
        return _gru(z_keeps_old=cls.__name__ != "GRU")
    return _rnn()
