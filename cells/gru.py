"""The GRU in the deck's form and in the two forms PyTorch and Keras use.

The three differ in two conventions, kept apart on purpose and never converted silently:
- the role of z: in the deck z_t is the share of the *new* candidate; in PyTorch and Keras z is
  the share of the *old* state that is kept (so their z is the deck's 1 - z);
- where the reset gate acts: before the recurrent matmul (deck, Keras ``reset_after=False``) or
  after it, on W_hn·h + b_hn (PyTorch, Keras ``reset_after=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.cell import Cell
from cells.clamp import Clamp, apply, plan
from cells.trace import State


@dataclass(frozen=True, eq=False)
class GRU(Cell):
    r"""Gated recurrent unit, the deck's equations:

        z_t = σ(W_z·[h_{t-1}, x_t] + b_z)              update gate: share of the new candidate
        r_t = σ(W_r·[h_{t-1}, x_t] + b_r)              reset gate
        h̃_t = tanh(W·[r_t * h_{t-1}, x_t] + b)         candidate
        h_t = (1 - z_t) * h_{t-1} + z_t * h̃_t          hidden state

    The deck has no biases; they are here, zero unless set.
    """

    KIND: ClassVar[str] = "gru"
    LABEL: ClassVar[str] = "GRU (lecture's form)"
    FAMILY: ClassVar[str] = "gru"
    GATES: ClassVar[tuple[str, ...]] = ("update", "reset", "candidate")
    SIGMOID: ClassVar[tuple[str, ...]] = ("update", "reset")
    Z_KEEPS_OLD: ClassVar[bool] = False

    @classmethod
    def keep_share(cls, values: dict[str, np.ndarray]) -> np.ndarray:
        """The share of h_{t-1} carried into h_t: 1 - z_t in the deck's form, z_t where z keeps the old state."""
        return values["update"] if cls.Z_KEEPS_OLD else 1.0 - values["update"]

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_zr = self._recurrent_weights(("update", "reset"))  # (H, 2H)
        W_zr *= 0.5  # σ(a) = 0.5·tanh(a/2) + 0.5
        W_c = self._recurrent_weights(("candidate",))  # (H, H)
        pre[:, :2] *= 0.5
        flat = pre.reshape(T, 3 * H)
        rows = np.empty((T, 5 * H), pre.dtype)  # every step's [z, r, h̃, r*h_{t-1}, h]
        s = np.empty(5 * H, pre.dtype)
        zr, z, r, cand, rh, h = s[: 2 * H], s[:H], s[H : 2 * H], s[2 * H : 3 * H], s[3 * H : 4 * H], s[4 * H :]
        rec, old, new = np.empty(2 * H, pre.dtype), np.empty(H, pre.dtype), np.empty(H, pre.dtype)
        half, one = np.full(2 * H, 0.5, pre.dtype), np.ones(H, pre.dtype)
        todo_zr, todo_c = plan(clamps, {"update": z, "reset": r}, T), plan(clamps, {"candidate": cand}, T)
        h[:] = state.hidden
        keep, take = (z, old) if self.Z_KEEPS_OLD else (old, z)  # which of z and 1 - z weighs h_{t-1}
        for t in range(T):
            p_zr, p_c = flat[t, : 2 * H], flat[t, 2 * H :]
            np.dot(h, W_zr, rec)
            np.add(p_zr, rec, p_zr)
            np.tanh(p_zr, zr)
            np.multiply(zr, half, zr)
            np.add(zr, half, zr)  # z_t, r_t
            if todo_zr and todo_zr[t]:
                apply(todo_zr[t])
            np.multiply(r, h, rh)  # r_t * h_{t-1}
            np.dot(rh, W_c, new)
            np.add(p_c, new, p_c)  # W·[r_t*h_{t-1}, x_t] + b
            np.tanh(p_c, cand)  # h̃_t
            if todo_c and todo_c[t]:
                apply(todo_c[t])
            np.subtract(one, z, old)
            np.multiply(take, cand, new)
            np.multiply(keep, h, h)
            np.add(h, new, h)  # h_t = (1 - z_t)*h_{t-1} + z_t*h̃_t (the roles swap when z keeps the old state)
            rows[t] = s
        pre[:, :2] *= 2.0
        return {"update": rows[:, :H], "reset": rows[:, H : 2 * H], "reset_hidden": rows[:, 3 * H : 4 * H],
                "candidate": rows[:, 2 * H : 3 * H], "hidden": rows[:, 4 * H :]}


@dataclass(frozen=True, eq=False)
class GRUResetBefore(GRU):
    r"""The GRU of Keras with ``reset_after=False``: the deck's reset placement, PyTorch's z.

        z_t = σ(W_z·[h_{t-1}, x_t] + b_z)              update gate: share of the OLD state kept
        r_t = σ(W_r·[h_{t-1}, x_t] + b_r)
        h̃_t = tanh(W·[r_t * h_{t-1}, x_t] + b)
        h_t = z_t * h_{t-1} + (1 - z_t) * h̃_t
    """

    KIND: ClassVar[str] = "gru_keras_v1"
    LABEL: ClassVar[str] = "GRU (Keras reset_after=False form)"
    Z_KEEPS_OLD: ClassVar[bool] = True


@dataclass(frozen=True, eq=False)
class GRUResetAfter(Cell):
    r"""The GRU of PyTorch ``nn.GRU`` and Keras ``reset_after=True``: reset after the matmul.

        z_t = σ(W_z·[h_{t-1}, x_t] + b_z + b_hz)       update gate: share of the OLD state kept
        r_t = σ(W_r·[h_{t-1}, x_t] + b_r + b_hr)
        n_t = tanh(W_in·x_t + b_in + r_t * (W_hn·h_{t-1} + b_hn))    candidate (h̃_t)
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    ``weights["candidate"]`` is [W_hn, W_in]; b_hn, the candidate's entry in ``hidden_biases``,
    sits inside the reset gate's product, so it is not folded into the bias like the others.
    """

    KIND: ClassVar[str] = "gru_torch"
    LABEL: ClassVar[str] = "GRU (PyTorch/Keras form)"
    FAMILY: ClassVar[str] = "gru"
    GATES: ClassVar[tuple[str, ...]] = ("update", "reset", "candidate")
    SIGMOID: ClassVar[tuple[str, ...]] = ("update", "reset")

    @classmethod
    def keep_share(cls, values: dict[str, np.ndarray]) -> np.ndarray:
        """z_t: in this form the update gate is the share of h_{t-1} carried into h_t."""
        return values["update"]

    def _bias(self, gate: str) -> np.ndarray:
        return self.biases[gate] if gate == "candidate" else super()._bias(gate)

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, 3H): z, r, and W_hn
        W_h[:, : 2 * H] *= 0.5  # σ(a) = 0.5·tanh(a/2) + 0.5
        b_hn = (self.hidden_biases or {}).get("candidate", np.zeros(H, pre.dtype))  # (H,)
        pre[:, :2] *= 0.5
        flat = pre.reshape(T, 3 * H)
        rows = np.empty((T, 5 * H), pre.dtype)  # every step's [z, r, n, W_hn·h_{t-1} + b_hn, h]
        s = np.empty(5 * H, pre.dtype)
        zr, z, r, n, hn, h = s[: 2 * H], s[:H], s[H : 2 * H], s[2 * H : 3 * H], s[3 * H : 4 * H], s[4 * H :]
        rec, tmp = np.empty(3 * H, pre.dtype), np.empty(H, pre.dtype)
        rec_zr, rec_n = rec[: 2 * H], rec[2 * H :]
        half, one = np.full(2 * H, 0.5, pre.dtype), np.ones(H, pre.dtype)
        todo_zr, todo_n = plan(clamps, {"update": z, "reset": r}, T), plan(clamps, {"candidate": n}, T)
        h[:] = state.hidden
        for t in range(T):
            p_zr, p_n = flat[t, : 2 * H], flat[t, 2 * H :]
            np.dot(h, W_h, rec)
            np.add(p_zr, rec_zr, p_zr)
            np.tanh(p_zr, zr)
            np.multiply(zr, half, zr)
            np.add(zr, half, zr)  # z_t, r_t
            if todo_zr and todo_zr[t]:
                apply(todo_zr[t])
            np.add(rec_n, b_hn, hn)  # W_hn·h_{t-1} + b_hn
            np.multiply(r, hn, tmp)
            np.add(p_n, tmp, p_n)  # W_in·x_t + b_in + r_t*(W_hn·h_{t-1} + b_hn)
            np.tanh(p_n, n)  # n_t
            if todo_n and todo_n[t]:
                apply(todo_n[t])
            np.subtract(one, z, tmp)
            np.multiply(tmp, n, tmp)
            np.multiply(z, h, h)
            np.add(h, tmp, h)  # h_t = (1 - z_t)*n_t + z_t*h_{t-1}
            rows[t] = s
        pre[:, :2] *= 2.0
        return {"update": rows[:, :H], "reset": rows[:, H : 2 * H], "candidate_hidden": rows[:, 3 * H : 4 * H],
                "candidate": rows[:, 2 * H : 3 * H], "hidden": rows[:, 4 * H :]}
