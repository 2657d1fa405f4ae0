"""The Weights page's tables and menus as plain values: a gate's editable tables ([W | b] per unit, and the
extras its kind declares), a data editor's edits applied to them (or a ValueError naming gate, row and
column: not a number, NaN, infinite), and the ready models' menu. The edits of a network themselves are
cells.edits'; the widgets are ui.weights'.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

import cells
from cells import presets
from cells.edits import cell_of, with_parameter
from viz.weights import bias_frame, projection_frame, square_frame, weight_frame
from workbench.model import Model, from_preset, from_pretrained, pretrained_manifest

DIRECTIONS = ("forward", "backward")
PICK = "— pick a ready model —"
SCALE_RANGE = (0.1, 3.0)
SHIFT_RANGE = (-10.0, 10.0)
INDEX_COLUMN = "_index"  # what st.data_editor calls the row labels' column in its edits and column_config
SHOWN = "{:.3f}"  # how the editors write a weight: as text, so that what the user types comes back as typed


def _number(value: object) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError
    number = float(value)  # ValueError/TypeError for text that is not a number
    if not math.isfinite(number):
        raise ValueError
    return number


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s numbers as the editors show them: text (``SHOWN``), so a cell typed full of letters comes back
    as those letters, to be refused by name, rather than as a number the browser made of them."""
    return frame.map(SHOWN.format)


def apply_edits(frame: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]], what: str) -> pd.DataFrame:
    """``frame`` with a data editor's ``edited_rows`` applied, or a ValueError naming ``what``, row and column.

    A cell given back as the very text it showed (``shown_table``: left without a change) keeps its exact value,
    not the rounded one it showed."""
    out = frame.copy()
    for row, changes in edited_rows.items():
        try:
            r = int(row)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: row {row!r} is not a row of this table") from None
        if not 0 <= r < len(out) or not isinstance(changes, Mapping):
            raise ValueError(f"{what}: row {row!r} is not a row of this table")
        for column, value in changes.items():
            if column == INDEX_COLUMN:  # the row labels: a unit's name, not a weight
                raise ValueError(f"{what}, row {out.index[r]}: the row names (the units) stay as they are; "
                                 "type numbers into the columns beside them. The weights stay as they were")
            if column not in out.columns:
                raise ValueError(f"{what}: there is no column {column!r}")
            c = out.columns.get_loc(column)
            if isinstance(value, str) and value.strip() == SHOWN.format(out.iloc[r, c]):
                continue  # opened and closed without a change
            try:
                out.iloc[r, c] = _number(value)
            except (TypeError, ValueError):
                shown = "an empty cell" if value is None or (isinstance(value, float) and math.isnan(value)) \
                    else repr(value)
                raise ValueError(f"{what}, row {out.index[r]}, column {column}: {shown} is not a finite number; "
                                 "the weights stay as they were") from None
    return out


def ready_models() -> dict[str, str]:
    """Menu value -> label: every preset and every shipped trained model."""
    options = {f"preset:{name}": f"Preset · {p.title}" for name, p in presets.PRESETS.items()}
    options |= {f"trained:{m['name']}": f"Trained · {m['label']}" for m in pretrained_manifest()}
    return options


def load_ready(value: str) -> Model:
    base, _, name = value.partition(":")
    return from_preset(name) if base == "preset" else from_pretrained(name)


def is_position(value: object, size: int) -> bool:
    """Whether a widget's ``value`` is a position 0 … size-1.

    A menu's value can come back from the browser as the label it showed (a model's "␣") when its options
    have changed since (another model's head: "#0", "#1"); that is no position, and no number."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 <= value < size


EXTRA_CAPTIONS = {
    "peepholes": "Peephole weights on the cell state C (the gate also looks at $C_{t-1}$; $o_t$ at $C_t$):",
    "projection": "Projection $W_{hr}$, shared by every gate: $h_t = W_{hr} \\cdot m_t$ with "
                  "$m_t = o_t * \\tanh(C_t)$; a row per number of $h_t$, a column per unit:",
}
EXTRA_FRAMES = {"projection": projection_frame}  # how an extra that is not (H, H) is laid out as a table


def _own_key(cell: cells.Cell, field: str, gate: str) -> str | None:
    """The key of ``field`` shown beside ``gate``'s editor: the gate itself, or the one key of a parameter
    that belongs to no gate (a projection's W_hr, under "hidden"); None when the field is not shown there."""
    gates = cell.EXTRA[field]
    if gate in gates:
        return gate
    return gates[0] if len(gates) == 1 and gates[0] not in cell.GATES else None


# The page's tasks after the preview, a tab each (views/weights.py); only the open one is drawn.
SECTIONS = ("Clamp or ablate a gate", "Presets", "Download and upload")


BIAS_COLUMNS = ("b", "b_h")  # a gate's bias, and PyTorch's/Keras' recurrent one, after its matrix in its table


def edit_tables(cell: cells.Cell, gate: str, features: list[str] | None) -> dict[str, pd.DataFrame]:
    """field -> the table its editor shows for this gate: "weights", the gate's row [W | b] per unit (its matrix,
    then its bias b, and b_h where the cell has one: one editor for W·[h_{t-1}, x_t] + b, which pins the bias
    columns beside the unit names), and the extras the kind declares for this gate (the peepholes) or for the
    whole cell (a projection's W_hr)."""
    tables = {"weights": pd.concat([weight_frame(cell.weights[gate], features, cell.state_size),
                                    bias_frame(cell, gate)], axis=1)}
    for field in cell.EXTRA:
        own = _own_key(cell, field, gate)
        if own is not None:
            tables[field] = EXTRA_FRAMES.get(field, square_frame)(getattr(cell, field)[own])
    return tables


def matrix_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A gate's [W | b] table without its bias columns: the matrix the heatmap draws."""
    return table.drop(columns=[c for c in BIAS_COLUMNS if c in table.columns])


def from_table(network: cells.Network, layer: int, direction: str, gate: str, field: str,
                 table: pd.DataFrame) -> cells.Network:
    if field == "weights":  # [W | b (| b_h)]
        network = with_parameter(network, layer, direction, "biases", gate, table["b"].to_numpy())
        if "b_h" in table.columns:
            network = with_parameter(network, layer, direction, "hidden_biases", gate, table["b_h"].to_numpy())
        table = matrix_frame(table)
    cell = cell_of(network, layer, direction)
    own = gate if field == "weights" else _own_key(cell, field, gate)
    return with_parameter(network, layer, direction, field, own, table.to_numpy())
