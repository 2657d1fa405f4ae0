"""The LSTM of the deck and its variants: peephole connections and the coupled input-forget gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.activations import sigmoid
from cells.cell import Cell, as_float_array
from cells.trace import State


@dataclass(frozen=True, eq=False)
class LSTM(Cell):
    r"""Long short-term memory, exactly the deck's equations:

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)          forget gate
        i_t = σ(W_i·[h_{t-1}, x_t] + b_i)          input gate
        C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)       candidate
        C_t = f_t * C_{t-1} + i_t * C̃_t            cell state
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)          output gate
        h_t = o_t * tanh(C_t)                      hidden state

    With ``hidden_biases`` (models from PyTorch or Keras) each gate's argument gains + b_h*.
    """

    KIND: ClassVar[str] = "lstm"
    LABEL: ClassVar[str] = "LSTM"
    FAMILY: ClassVar[str] = "lstm"
    GATES: ClassVar[tuple[str, ...]] = ("forget", "input", "output", "candidate")
    SIGMOID: ClassVar[tuple[str, ...]] = ("forget", "input", "output")
    HAS_CELL: ClassVar[bool] = True

    def _recur(self, pre: np.ndarray, state: State) -> dict[str, np.ndarray]:
        T, G, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, 4H)
        flat = pre.reshape(T, G * H)  # a view: adding to it completes pre
        act = np.empty_like(pre)  # (T, 4, H)
        cell, cell_tanh, hidden = (np.empty((T, H), pre.dtype) for _ in range(3))
        h, c = state.hidden, state.cell
        for t in range(T):
            flat[t] += h @ W_h  # (4H,) W·[h_{t-1}, x_t] + b for every gate
            p, a = pre[t], act[t]
            sigmoid(p[:3], out=a[:3])  # f_t, i_t, o_t
            np.tanh(p[3], out=a[3])  # C̃_t
            f, i, o, g = a
            c = np.multiply(f, c, out=cell[t])
            c += i * g  # C_t = f_t*C_{t-1} + i_t*C̃_t
            h = np.multiply(o, np.tanh(c, out=cell_tanh[t]), out=hidden[t])  # h_t = o_t*tanh(C_t)
        return {"forget": act[:, 0], "input": act[:, 1], "candidate": act[:, 3], "output": act[:, 2],
                "cell": cell, "cell_tanh": cell_tanh, "hidden": hidden}


@dataclass(frozen=True, eq=False)
class PeepholeLSTM(LSTM):
    r"""LSTM with peephole connections (Gers & Schmidhuber): the gates also look at the cell state.

        f_t = σ(W_f·[h_{t-1}, x_t] + P_f·C_{t-1} + b_f)
        i_t = σ(W_i·[h_{t-1}, x_t] + P_i·C_{t-1} + b_i)
        C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)
        C_t = f_t * C_{t-1} + i_t * C̃_t
        o_t = σ(W_o·[h_{t-1}, x_t] + P_o·C_t + b_o)
        h_t = o_t * tanh(C_t)

    The deck writes this as W_f·[C_{t-1}, h_{t-1}, x_t]; P_f is that matrix's C columns, (H, H).
    A diagonal P is the original one-peephole-per-cell form. ``peepholes=None`` means all zero.
    """

    peepholes: dict[str, np.ndarray] | None = None  # "forget", "input", "output" -> (H, H)

    KIND: ClassVar[str] = "peephole"
    LABEL: ClassVar[str] = "Peephole LSTM"
    PEEPHOLES: ClassVar[tuple[str, ...]] = ("forget", "input", "output")

    def _check_extra(self, dtype: np.dtype, hidden: int) -> None:
        given = self.peepholes
        if given is None:
            given = {g: np.zeros((hidden, hidden)) for g in self.PEEPHOLES}
        if not isinstance(given, dict) or set(given) != set(self.PEEPHOLES):
            got = sorted(given) if isinstance(given, dict) else type(given).__name__
            raise ValueError(f"peephole weights: expected gates {list(self.PEEPHOLES)}, got {got}")
        checked = {g: as_float_array(given[g], f"{g} peephole weights", dtype, (hidden, hidden))
                   for g in self.PEEPHOLES}
        object.__setattr__(self, "peepholes", checked)

    def _recur(self, pre: np.ndarray, state: State) -> dict[str, np.ndarray]:
        T, G, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, 4H)
        P_fi = np.ascontiguousarray(np.concatenate([self.peepholes["forget"], self.peepholes["input"]]).T)  # (H, 2H)
        P_o = np.ascontiguousarray(self.peepholes["output"].T)  # (H, H)
        flat = pre.reshape(T, G * H)
        act = np.empty_like(pre)  # (T, 4, H)
        cell, cell_tanh, hidden = (np.empty((T, H), pre.dtype) for _ in range(3))
        h, c = state.hidden, state.cell
        for t in range(T):
            flat[t] += h @ W_h  # (4H,)
            flat[t, : 2 * H] += c @ P_fi  # f and i also see C_{t-1}
            p, a = pre[t], act[t]
            sigmoid(p[:2], out=a[:2])  # f_t, i_t
            np.tanh(p[3], out=a[3])  # C̃_t
            f, i, o, g = a
            c = np.multiply(f, c, out=cell[t])
            c += i * g  # C_t
            p[2] += c @ P_o  # o sees the new C_t
            sigmoid(p[2], out=o)
            h = np.multiply(o, np.tanh(c, out=cell_tanh[t]), out=hidden[t])
        return {"forget": act[:, 0], "input": act[:, 1], "candidate": act[:, 3], "output": act[:, 2],
                "cell": cell, "cell_tanh": cell_tanh, "hidden": hidden}


@dataclass(frozen=True, eq=False)
class CoupledLSTM(Cell):
    r"""LSTM with coupled input and forget gates: what is forgotten is exactly what is written.

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
        i_t = 1 - f_t
        C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)
        C_t = f_t * C_{t-1} + (1 - f_t) * C̃_t
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
        h_t = o_t * tanh(C_t)
    """

    KIND: ClassVar[str] = "coupled"
    LABEL: ClassVar[str] = "Coupled-gate LSTM"
    FAMILY: ClassVar[str] = "lstm"
    GATES: ClassVar[tuple[str, ...]] = ("forget", "output", "candidate")
    SIGMOID: ClassVar[tuple[str, ...]] = ("forget", "output")
    HAS_CELL: ClassVar[bool] = True

    def _recur(self, pre: np.ndarray, state: State) -> dict[str, np.ndarray]:
        T, G, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, 3H)
        flat = pre.reshape(T, G * H)
        act = np.empty_like(pre)  # (T, 3, H)
        input_gate, cell, cell_tanh, hidden = (np.empty((T, H), pre.dtype) for _ in range(4))
        h, c = state.hidden, state.cell
        for t in range(T):
            flat[t] += h @ W_h  # (3H,)
            p, a = pre[t], act[t]
            sigmoid(p[:2], out=a[:2])  # f_t, o_t
            np.tanh(p[2], out=a[2])  # C̃_t
            f, o, g = a
            i = np.subtract(1.0, f, out=input_gate[t])  # i_t = 1 - f_t
            c = np.multiply(f, c, out=cell[t])
            c += i * g
            h = np.multiply(o, np.tanh(c, out=cell_tanh[t]), out=hidden[t])
        return {"forget": act[:, 0], "input": input_gate, "candidate": act[:, 2], "output": act[:, 1],
                "cell": cell, "cell_tanh": cell_tanh, "hidden": hidden}
