"""The registry: every cell kind by its short name (``"lstm"``, ``"gru"`` ...), the one list pages and files use.

A kind is one module that declares everything about itself (see cells/README.md); to add one, write
its module and add one line below.
"""

from __future__ import annotations

from cells.cell import Cell
from cells.gates import GATES
from cells.gru import GRU, GRUResetAfter, GRUResetBefore
from cells.lstm import LSTM, CoupledLSTM, PeepholeLSTM
from cells.lstmp import ProjectedLSTM
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
    ProjectedLSTM,
)
_OWN = ("reference_step", "backward_step", "step_jacobian", "diagram", "_recur")  # what no kind may inherit from Cell


def check_kind(cls: type[Cell]) -> type[Cell]:
    """``cls`` if it declares everything a kind must (cells/README.md), else a ValueError naming what is missing."""
    where = f"cell kind {getattr(cls, 'KIND', '') or cls.__name__!r}"
    missing = [name for name in _OWN if getattr(cls, name) is getattr(Cell, name)]
    missing += [name for name in ("KIND", "LABEL", "FAMILY", "GATES", "SHOWN", "EQUATIONS", "NUMBERS")
                if not getattr(cls, name)]
    if missing:
        raise ValueError(f"{where}: expected its own {', '.join(missing)}")
    if len(cls.NUMBERS) != len(cls.EQUATIONS):
        raise ValueError(f"{where}: expected one NUMBERS template per equation, got {len(cls.NUMBERS)} for "
                         f"{len(cls.EQUATIONS)}")
    unnamed = [n for n in dict.fromkeys((*cls.GATES, *cls.SHOWN)) if (cls.FAMILY, n) not in GATES]
    if unnamed:
        raise ValueError(f"{where}: no GATE_INFO for {', '.join(unnamed)} in the {cls.FAMILY!r} family")
    if cls.KEEP is not None and cls.KEEP[0] not in cls.GATES:
        raise ValueError(f"{where}: KEEP names {cls.KEEP[0]!r}, which is not one of its gates {list(cls.GATES)}")
    return cls


KINDS: dict[str, type[Cell]] = {cls.KIND: check_kind(cls) for cls in REGISTERED}


def cell_class(kind: str) -> type[Cell]:
    """The cell class called ``kind``, or a ValueError listing the known kinds."""
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"cell kind: expected one of {', '.join(KINDS)}, got {kind!r}") from None
