"""Edits of a network's parameters: each returns a new Network and leaves the one it was given as it was.

Parameters are frozen dataclasses, so an edit is ``dataclasses.replace`` on one cell and a new Layer and
Network around it. Every page that edits weights (Weights' editors and knobs, the Lessons' "try this"
sliders, Compare's memory bias) and training's head start for memory call these, so an edit means the
same thing everywhere:

- ``scaled``: one gate's matrix W_g times a factor, W_g ← k·W_g;
- ``shifted``: one gate's bias moved for every unit, b_g ← b_g + δ;
- ``with_bias`` / ``with_weight``: one bias or one weight set (or a bias moved) in every cell of a layer;
- ``with_parameter``: one gate's array of any field (weights, biases, hidden biases, peepholes, projection);
- ``with_cell``: one cell swapped for another;
- ``memory_bias``: the bias of the gate that keeps the old state moved in every cell, by the kind's ``KEEP``
  sign, so a positive amount always keeps more: b_f + δ for the LSTM, b_z − δ for the lecture's GRU
  (keep share 1 − z_t), b_z + δ for PyTorch's and Keras' GRU (keep share z_t); a plain RNN has no such gate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from cells.cell import Cell
from cells.layers import Layer, Network


def cell_of(network: Network, layer: int, direction: str) -> Cell:
    """The cell of ``layer`` (0-based) in ``direction`` ("forward" or "backward"), or a ValueError."""
    if not 0 <= layer < len(network.layers):
        raise ValueError(f"layer: expected 0 to {len(network.layers) - 1}, got {layer}")
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction: expected forward or backward, got {direction!r}")
    cell = network.layers[layer].forward if direction == "forward" else network.layers[layer].backward
    if cell is None:
        raise ValueError(f"layer {layer + 1} has no backward direction")
    return cell


def with_cell(network: Network, layer: int, direction: str, cell: Cell) -> Network:
    """``network`` with the cell of ``layer`` and ``direction`` swapped for ``cell``."""
    cell_of(network, layer, direction)
    old = network.layers[layer]
    new = Layer(cell, old.backward) if direction == "forward" else Layer(old.forward, cell)
    return Network(tuple(new if k == layer else other for k, other in enumerate(network.layers)))


def with_parameter(network: Network, layer: int, direction: str, field: str, gate: str,
                   value: np.ndarray) -> Network:
    """``network`` with one gate's ``field`` ("weights", "biases", "hidden_biases", "peepholes", "projection")
    set to ``value``; the cell's own checks refuse a wrong shape."""
    cell = cell_of(network, layer, direction)
    current = getattr(cell, field) or {}
    return with_cell(network, layer, direction, dataclasses.replace(cell, **{field: {**current, gate: value}}))


def scaled(network: Network, layer: int, direction: str, gate: str, factor: float) -> Network:
    """The gate's whole matrix W_g (hidden and input columns) times ``factor``: W_g ← k·W_g."""
    cell = cell_of(network, layer, direction)
    return with_parameter(network, layer, direction, "weights", gate, cell.weights[gate] * factor)


def shifted(network: Network, layer: int, direction: str, gate: str, amount: float) -> Network:
    """The gate's bias plus ``amount`` for every unit: b_g ← b_g + δ ("forget-gate bias +3")."""
    cell = cell_of(network, layer, direction)
    return with_parameter(network, layer, direction, "biases", gate, cell.biases[gate] + amount)


def each_cell(network: Network, change: Callable[[Cell], Cell], layer: int | None = None) -> Network:
    """``network`` with every cell of ``layer`` (both directions; every layer when None) replaced by
    ``change(cell)``."""
    def edit(k: int, old: Layer) -> Layer:
        if layer is not None and k != layer:
            return old
        return Layer(change(old.forward), None if old.backward is None else change(old.backward))
    return Network(tuple(edit(k, old) for k, old in enumerate(network.layers)))


def with_bias(network: Network, gate: str, value: float, *, unit: int | None = None, layer: int = 0,
              shift: bool = False) -> Network:
    """Gate ``gate``'s bias set to ``value`` (or moved by it, ``shift``), for one unit or all of them, in every
    cell of ``layer``."""
    def change(cell: Cell) -> Cell:
        b = np.array(cell.biases[gate])  # (H,)
        where = slice(None) if unit is None else unit
        b[where] = b[where] + value if shift else value
        return dataclasses.replace(cell, biases={**cell.biases, gate: b})
    return each_cell(network, change, layer)


def with_weight(network: Network, gate: str, unit: int, column: int, value: float, *, layer: int = 0) -> Network:
    """One weight of ``gate`` (row ``unit``, column ``column`` over [h_{t-1}, x_t]) set to ``value``, in every
    cell of ``layer``."""
    def change(cell: Cell) -> Cell:
        W = np.array(cell.weights[gate])  # (H, P + I)
        W[unit, column] = value
        return dataclasses.replace(cell, weights={**cell.weights, gate: W})
    return each_cell(network, change, layer)


def memory_bias(network: Network, amount: float) -> Network:
    """``network`` with ``amount`` added to the bias of the gate that keeps the old state, in every cell:
    b_g + s·δ for the kind's ``KEEP = (g, s)`` (s = +1 when the gate is the share kept, −1 when 1 minus it is).
    Cells with no such gate (the plain RNN) stay as they are; ``amount == 0`` gives ``network`` itself."""
    if amount == 0:
        return network

    def change(cell: Cell) -> Cell:
        if cell.KEEP is None:
            return cell
        gate, sign = cell.KEEP
        return dataclasses.replace(cell, biases={**cell.biases, gate: cell.biases[gate] + sign * amount})
    return each_cell(network, change)
