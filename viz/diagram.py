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


@dataclass(frozen=True)
class Drawing:
    boxes: dict[str, tuple[float, float]]  # value name -> centre of its coloured box
    nodes: dict[str, tuple[float, float, str]]  # id -> centre and symbol ("×", "+", "1−", "tanh")
    labels: dict[str, tuple[float, float]]  # text -> where it is written (right-aligned)
    wires: tuple[tuple[tuple[float, float], ...], ...]  # polylines


def drawing(kind: str) -> Drawing:
    """The layout of a ``kind`` cell, as its module declares it."""
    return Drawing(**cells.cell_class(kind).diagram(BOX_W, BOX_H))
