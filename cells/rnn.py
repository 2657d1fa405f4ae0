"""The plain recurrent network: the baseline that gating improves on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.cell import Cell
from cells.clamp import Clamp
from cells.trace import State


@dataclass(frozen=True, eq=False)
class RNN(Cell):
    r"""Elman's tanh RNN, with the same [h_{t-1}, x_t] convention as the deck's gated cells:

        h_t = tanh(W·[h_{t-1}, x_t] + b)

    Nothing decides what to keep: every step squashes the whole state through W and tanh.
    """

    KIND: ClassVar[str] = "rnn"
    LABEL: ClassVar[str] = "Plain RNN (tanh)"
    FAMILY: ClassVar[str] = "rnn"
    GATES: ClassVar[tuple[str, ...]] = ("hidden",)
    CLAMPABLE: ClassVar[bool] = False

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, H)
        flat = pre.reshape(T, H)
        hidden = np.empty((T, H), pre.dtype)
        rec = np.empty(H, pre.dtype)
        h = state.hidden
        for t in range(T):
            p = flat[t]
            np.dot(h, W_h, rec)
            np.add(p, rec, p)  # W·[h_{t-1}, x_t] + b
            h = np.tanh(p, hidden[t])  # h_t
        return {"hidden": hidden}
