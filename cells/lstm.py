"""The LSTM of the deck and its variants: peephole connections and the coupled input-forget gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.cell import Cell, as_float_array
from cells.clamp import Clamp, apply, plan
from cells.trace import State


def _lstm_values(rows: np.ndarray, H: int) -> dict[str, np.ndarray]:
    """Name the columns of the per-step rows [o, i, f, C̃, C, tanh(C), h], (T, 7H)."""
    return {"forget": rows[:, 2 * H : 3 * H], "input": rows[:, H : 2 * H], "candidate": rows[:, 3 * H : 4 * H],
            "output": rows[:, :H], "cell": rows[:, 4 * H : 5 * H], "cell_tanh": rows[:, 5 * H : 6 * H],
            "hidden": rows[:, 6 * H :]}


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
    GATES: ClassVar[tuple[str, ...]] = ("forget", "input", "candidate", "output")
    SIGMOID: ClassVar[tuple[str, ...]] = ("forget", "input", "output")
    # Fused order puts [i, f] beside [C̃, C_{t-1}] in the step's row: one multiply gives i*C̃ and f*C.
    FUSED: ClassVar[tuple[str, ...]] = ("output", "input", "forget", "candidate")
    HAS_CELL: ClassVar[bool] = True

    @classmethod
    def keep_share(cls, values: dict[str, np.ndarray]) -> np.ndarray:
        """f_t: the share of C_{t-1} carried into C_t."""
        return values["forget"]

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.FUSED)  # (H, 4H): o, i, f, C̃
        W_h[:, : 3 * H] *= 0.5  # σ(a) = 0.5·tanh(a/2) + 0.5
        pre[:, :3] *= 0.5
        flat = pre.reshape(T, 4 * H)
        rows = np.empty((T, 7 * H), pre.dtype)  # every step's [o, i, f, C̃, C, tanh(C), h]
        s = np.empty(7 * H, pre.dtype)  # the current step's row
        gates, sig, i_f, cand_c = s[: 4 * H], s[: 3 * H], s[H : 3 * H], s[3 * H : 5 * H]
        o, c, c_tanh, h = s[:H], s[4 * H : 5 * H], s[5 * H : 6 * H], s[6 * H :]
        rec, products = np.empty(4 * H, pre.dtype), np.empty(2 * H, pre.dtype)
        i_cand, f_c = products[:H], products[H:]
        half = np.full(3 * H, 0.5, pre.dtype)  # an array, not a Python float: a faster ufunc call
        todo = plan(clamps, {"output": o, "input": i_f[:H], "forget": i_f[H:], "candidate": cand_c[:H]}, T)
        c[:], h[:] = state.cell, state.hidden
        for t in range(T):
            p = flat[t]
            np.dot(h, W_h, rec)
            np.add(p, rec, p)  # W·[h_{t-1}, x_t] + b for every gate
            np.tanh(p, gates)
            np.multiply(sig, half, sig)
            np.add(sig, half, sig)  # o_t, i_t, f_t
            if todo and todo[t]:
                apply(todo[t])
            np.multiply(i_f, cand_c, products)  # i_t*C̃_t and f_t*C_{t-1}
            np.add(f_c, i_cand, c)  # C_t = f_t*C_{t-1} + i_t*C̃_t
            np.tanh(c, c_tanh)
            np.multiply(o, c_tanh, h)  # h_t = o_t*tanh(C_t)
            rows[t] = s
        pre[:, :3] *= 2.0
        return _lstm_values(rows, H)


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

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.FUSED)  # (H, 4H): o, i, f, C̃
        W_h[:, : 3 * H] *= 0.5  # σ(a) = 0.5·tanh(a/2) + 0.5, as in the LSTM
        P_if = 0.5 * np.concatenate([self.peepholes["input"], self.peepholes["forget"]]).T  # (H, 2H)
        P_o = 0.5 * self.peepholes["output"].T  # (H, H)
        pre[:, :3] *= 0.5
        flat = pre.reshape(T, 4 * H)
        rows = np.empty((T, 7 * H), pre.dtype)
        s = np.empty(7 * H, pre.dtype)
        i_f_g, i_f, cand_c = s[H : 4 * H], s[H : 3 * H], s[3 * H : 5 * H]
        o, c, c_tanh, h = s[:H], s[4 * H : 5 * H], s[5 * H : 6 * H], s[6 * H :]
        rec, peep = np.empty(4 * H, pre.dtype), np.empty(2 * H, pre.dtype)
        products = np.empty(2 * H, pre.dtype)
        i_cand, f_c = products[:H], products[H:]
        half = np.full(2 * H, 0.5, pre.dtype)
        todo = plan(clamps, {"input": i_f[:H], "forget": i_f[H:], "candidate": cand_c[:H]}, T)
        todo_o = plan(clamps, {"output": o}, T)
        c[:], h[:] = state.cell, state.hidden
        for t in range(T):
            p = flat[t]
            np.dot(h, W_h, rec)
            np.add(p, rec, p)
            p_if, p_o = p[H : 3 * H], p[:H]
            np.dot(c, P_if, peep)
            np.add(p_if, peep, p_if)  # i and f also see C_{t-1}
            np.tanh(p[H:], i_f_g)
            np.multiply(i_f, half, i_f)
            np.add(i_f, half, i_f)  # i_t, f_t
            if todo and todo[t]:
                apply(todo[t])
            np.multiply(i_f, cand_c, products)
            np.add(f_c, i_cand, c)  # C_t
            np.dot(c, P_o, peep[:H])
            np.add(p_o, peep[:H], p_o)  # o sees the new C_t
            np.tanh(p_o, o)
            np.multiply(o, half[:H], o)
            np.add(o, half[:H], o)  # o_t
            if todo_o and todo_o[t]:
                apply(todo_o[t])
            np.tanh(c, c_tanh)
            np.multiply(o, c_tanh, h)
            rows[t] = s
        pre[:, :3] *= 2.0
        return _lstm_values(rows, H)


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
    GATES: ClassVar[tuple[str, ...]] = ("forget", "candidate", "output")
    SIGMOID: ClassVar[tuple[str, ...]] = ("forget", "output")
    FUSED: ClassVar[tuple[str, ...]] = ("output", "forget", "candidate")
    HAS_CELL: ClassVar[bool] = True

    @classmethod
    def keep_share(cls, values: dict[str, np.ndarray]) -> np.ndarray:
        """f_t: the share of C_{t-1} carried into C_t."""
        return values["forget"]

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.FUSED)  # (H, 3H): o, f, C̃
        W_h[:, : 2 * H] *= 0.5  # σ(a) = 0.5·tanh(a/2) + 0.5
        pre[:, :2] *= 0.5
        flat = pre.reshape(T, 3 * H)
        rows = np.empty((T, 7 * H), pre.dtype)  # [o, f, C̃, i, C, tanh(C), h]
        s = np.empty(7 * H, pre.dtype)
        gates, sig = s[: 3 * H], s[: 2 * H]
        o, f, cand, i = s[:H], s[H : 2 * H], s[2 * H : 3 * H], s[3 * H : 4 * H]
        c, c_tanh, h = s[4 * H : 5 * H], s[5 * H : 6 * H], s[6 * H :]
        rec, written = np.empty(3 * H, pre.dtype), np.empty(H, pre.dtype)
        half, one = np.full(2 * H, 0.5, pre.dtype), np.ones(H, pre.dtype)
        todo = plan(clamps, {"output": o, "forget": f, "candidate": cand}, T)
        c[:], h[:] = state.cell, state.hidden
        for t in range(T):
            p = flat[t]
            np.dot(h, W_h, rec)
            np.add(p, rec, p)
            np.tanh(p, gates)
            np.multiply(sig, half, sig)
            np.add(sig, half, sig)  # o_t, f_t
            if todo and todo[t]:
                apply(todo[t])
            np.subtract(one, f, i)  # i_t = 1 - f_t
            np.multiply(i, cand, written)
            np.multiply(f, c, c)
            np.add(c, written, c)  # C_t = f_t*C_{t-1} + (1 - f_t)*C̃_t
            np.tanh(c, c_tanh)
            np.multiply(o, c_tanh, h)
            rows[t] = s
        pre[:, :2] *= 2.0
        return {"forget": rows[:, H : 2 * H], "input": rows[:, 3 * H : 4 * H], "candidate": rows[:, 2 * H : 3 * H],
                "output": rows[:, :H], "cell": rows[:, 4 * H : 5 * H], "cell_tanh": rows[:, 5 * H : 6 * H],
                "hidden": rows[:, 6 * H :]}
