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

from cells.activations import sigmoid
from cells.cell import Cell
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
    LABEL: ClassVar[str] = "GRU (deck form)"
    FAMILY: ClassVar[str] = "gru"
    GATES: ClassVar[tuple[str, ...]] = ("update", "reset", "candidate")
    SIGMOID: ClassVar[tuple[str, ...]] = ("update", "reset")
    Z_KEEPS_OLD: ClassVar[bool] = False

    def _recur(self, pre: np.ndarray, state: State) -> dict[str, np.ndarray]:
        T, G, H = pre.shape
        W_zr = self._recurrent_weights(("update", "reset"))  # (H, 2H)
        W_c = self._recurrent_weights(("candidate",))  # (H, H)
        flat = pre.reshape(T, G * H)
        act = np.empty_like(pre)  # (T, 3, H)
        reset_hidden, hidden = np.empty((T, H), pre.dtype), np.empty((T, H), pre.dtype)
        h = state.hidden
        for t in range(T):
            flat[t, : 2 * H] += h @ W_zr  # (2H,)
            p, a = pre[t], act[t]
            sigmoid(p[:2], out=a[:2])  # z_t, r_t
            z, r, g = a
            rh = np.multiply(r, h, out=reset_hidden[t])  # r_t * h_{t-1}
            p[2] += rh @ W_c  # W·[r_t*h_{t-1}, x_t] + b
            np.tanh(p[2], out=g)  # h̃_t
            old, new = (z, 1.0 - z) if self.Z_KEEPS_OLD else (1.0 - z, z)
            h = np.multiply(old, h, out=hidden[t])
            h += new * g
        return {"update": act[:, 0], "reset": act[:, 1], "reset_hidden": reset_hidden,
                "candidate": act[:, 2], "hidden": hidden}


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

    def _bias(self, gate: str) -> np.ndarray:
        return self.biases[gate] if gate == "candidate" else super()._bias(gate)

    def _recur(self, pre: np.ndarray, state: State) -> dict[str, np.ndarray]:
        T, G, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, 3H)
        b_hn = (self.hidden_biases or {}).get("candidate", np.zeros(H, pre.dtype))  # (H,)
        flat = pre.reshape(T, G * H)
        act = np.empty_like(pre)  # (T, 3, H)
        candidate_hidden, hidden = np.empty((T, H), pre.dtype), np.empty((T, H), pre.dtype)
        h = state.hidden
        for t in range(T):
            q = h @ W_h  # (3H,)
            flat[t, : 2 * H] += q[: 2 * H]
            p, a = pre[t], act[t]
            sigmoid(p[:2], out=a[:2])  # z_t, r_t
            z, r, n = a
            hn = np.add(q[2 * H :], b_hn, out=candidate_hidden[t])  # W_hn·h_{t-1} + b_hn
            p[2] += r * hn
            np.tanh(p[2], out=n)  # n_t
            h_new = np.multiply(1.0 - z, n, out=hidden[t])
            h_new += z * h  # h_t = (1 - z_t)*n_t + z_t*h_{t-1}
            h = h_new
        return {"update": act[:, 0], "reset": act[:, 1], "candidate_hidden": candidate_hidden,
                "candidate": act[:, 2], "hidden": hidden}
