"""The registry: every cell kind by its short name (``"lstm"``, ``"gru"`` ...), the one list pages and files use.

A kind is one module that declares everything about itself (see cells/README.md); to add one, write
its module and add one line below.
"""

from __future__ import annotations

from cells.cell import Cell
from cells.gru import GRU, GRUResetAfter, GRUResetBefore
from cells.lstm import LSTM, CoupledLSTM, PeepholeLSTM
from cells.mgu import MGU
from cells.rnn import RNN

REGISTERED: tuple[type[Cell], ...] = (
    LSTM,
    GRU,
    GRUResetAfter,
    PeepholeLSTM,
    CoupledLSTM,
    RNN,
    GRUResetBefore,
    MGU,
)
KINDS: dict[str, type[Cell]] = {cls.KIND: cls for cls in REGISTERED}


def cell_class(kind: str) -> type[Cell]:
    """The cell class called ``kind``, or a ValueError listing the known kinds."""
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"cell kind: expected one of {', '.join(KINDS)}, got {kind!r}") from None
