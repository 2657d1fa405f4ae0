"""The one table of gate and state names: the deck's symbols and each value's range.

Names are words (``forget``, ``input`` ...). Symbols differ by cell family only for the
candidate (the LSTM's C̃_t, the GRU's h̃_t). Everything that names or colours a gate reads it here.
Each kind lists its family's names in its ``GATE_INFO`` (picked from ``COMMON`` or its own), and the
table below is filled from those as the kinds are defined (see cells/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Range = Literal["sigmoid", "tanh", "unbounded"]
Family = str  # "lstm", "gru", "rnn", or a family a kind adds


@dataclass(frozen=True)
class GateInfo:
    name: str
    symbol: str  # plain text, e.g. "f_t"
    latex: str  # e.g. r"f_t"
    range: Range  # sigmoid values lie in [0, 1], tanh values in [-1, 1]
    title: str  # e.g. "forget gate"
    description: str  # e.g. "share of C_{t-1} kept"


_COMMON = {
    "forget": GateInfo("forget", "f_t", r"f_t", "sigmoid", "forget gate", "share of C_{t-1} kept"),
    "input": GateInfo("input", "i_t", r"i_t", "sigmoid", "input gate", "share of the candidate written"),
    "output": GateInfo("output", "o_t", r"o_t", "sigmoid", "output gate", "share of tanh(C_t) shown as h_t"),
    "cell": GateInfo("cell", "C_t", r"C_t", "unbounded", "cell state", "the memory, unbounded"),
    "cell_tanh": GateInfo("cell_tanh", "tanh(C_t)", r"\tanh(C_t)", "tanh", "squashed cell state",
                          "tanh(C_t), what the output gate scales"),
    "hidden": GateInfo("hidden", "h_t", r"h_t", "tanh", "hidden state (the output)", "the output of the step"),
    "update": GateInfo("update", "z_t", r"z_t", "sigmoid", "update gate", "mixes h_{t-1} and the candidate"),
    "reset": GateInfo("reset", "r_t", r"r_t", "sigmoid", "reset gate", "share of h_{t-1} the candidate sees"),
    "reset_hidden": GateInfo("reset_hidden", "r_t*h_{t-1}", r"r_t * h_{t-1}", "tanh", "reset-gated old state",
                             "what of h_{t-1} the candidate sees"),
    "candidate_hidden": GateInfo(
        "candidate_hidden", "W_hn·h_{t-1}+b_hn", r"W_{hn} h_{t-1} + b_{hn}", "unbounded",
        "recurrent part of the candidate",
        "before the reset gate scales it",
    ),
}

COMMON = _COMMON  # the names several families share; each kind's GATE_INFO picks its own from here

# (family, name) -> GateInfo, filled by the kinds as they are defined (each kind's GATE_INFO)
GATES: dict[tuple[Family, str], GateInfo] = {}


def gate_info(family: Family, name: str) -> GateInfo:
    """The symbol, range and description of gate or state ``name`` in a cell of ``family``."""
    try:
        return GATES[(family, name)]
    except KeyError:
        raise ValueError(f"unknown gate {name!r} for a {family} cell") from None
