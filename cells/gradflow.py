"""How far back a gradient reaches: ‖∂h_T/∂h_t‖ (and ‖∂C_T/∂C_t‖) for every step t of a sequence.

BPTT multiplies one Jacobian per step, J_t = ∂s_t/∂s_{t-1}, where the state s_t is h_t, or
[h_t, C_t] for the LSTM family. So

    ∂s_T/∂s_t = J_T · J_{T-1} · … · J_{t+1}

and the blocks of that product are ∂h_T/∂h_t (holding C_t fixed) and ∂C_T/∂C_t. In a plain RNN
each factor is diag(1 - h_t²)·W, whose norm is usually below 1: the product shrinks geometrically
and the first steps stop mattering to the gradient (the vanishing gradient). The LSTM's cell path
has ∂C_t/∂C_{t-1} = diag(f_t) plus small terms through the gates: with forget gates near 1 the
product stays near 1. This is why the deck's LSTM exists.

Every J_t is exact, computed from the values the Trace records (no finite differences). Norms are
spectral norms (the largest singular value: the most any direction of the gradient can be scaled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cells.cell import Cell
from cells.gru import GRU, GRUResetAfter
from cells.lstm import CoupledLSTM, PeepholeLSTM
from cells.trace import State, Trace


@dataclass(frozen=True, eq=False)
class GradientFlow:
    kind: str
    hidden: np.ndarray  # (T,) ‖∂h_{T-1}/∂h_t‖ for t = 0 .. T-1 (0-based steps; the last is 1)
    cell: np.ndarray | None  # (T,) ‖∂C_{T-1}/∂C_t‖ for the LSTM family, else None

    @property
    def steps(self) -> int:
        return len(self.hidden)

    def back(self, k: int) -> float:
        """‖∂h_T/∂h_{T-k}‖: the gradient's size k steps before the end."""
        return float(self.hidden[self.steps - 1 - k])


def _sig(v: np.ndarray) -> np.ndarray:
    return v * (1.0 - v)  # σ'(a) from σ(a)


def step_jacobians(cell: Cell, trace: Trace) -> np.ndarray:
    r"""J_t = ∂s_t/∂s_{t-1} for every step, (T, S, S), with s = h (S = H) or s = [h, C] (S = 2H).

    LSTM (W_g the recurrent columns of gate g; P_g peepholes, zero for the plain LSTM):
        ∂C/∂h_p = diag(C_p σ'_f)W_f + diag(C̃ σ'_i)W_i + diag(i(1 - C̃²))W_C
        ∂C/∂C_p = diag(f) + diag(C_p σ'_f)P_f + diag(C̃ σ'_i)P_i
        ∂a_o/∂· = W_o (for h_p) + P_o·∂C/∂·
        ∂h/∂·   = diag(tanh(C) σ'_o)·∂a_o/∂· + diag(o(1 - tanh²C))·∂C/∂·
    Coupled: i = 1 - f, so ∂C/∂h_p = diag((C_p - C̃)σ'_f)W_f + diag((1 - f)(1 - C̃²))W_C.
    GRU, deck: ∂h/∂h_p = diag(1 - z) + diag(h̃ - h_p)·diag(σ'_z)W_z + diag(z)·∂h̃/∂h_p,
        ∂h̃/∂h_p = diag(1 - h̃²)·W_h̃·(diag(r) + diag(h_p)·diag(σ'_r)W_r)   (Keras v1: z and 1 - z swap)
    GRU, reset after: ∂h/∂h_p = diag(z) + diag(h_p - n)·diag(σ'_z)W_z + diag(1 - z)·∂n/∂h_p,
        ∂n/∂h_p = diag(1 - n²)·(diag(W_hn h_p + b_hn)·diag(σ'_r)W_r + diag(r)·W_hn)
    RNN: ∂h/∂h_p = diag(1 - h²)·W.
    """
    H, T = cell.hidden_size, trace.steps
    W = {g: cell.weights[g][:, :H] for g in cell.GATES}  # (H, H) recurrent columns
    V, h_prev = trace.values, trace.previous_hidden
    D = np.eye(H)
    if cell.FAMILY == "lstm":
        c_prev = trace.previous_cell
        P = dict(cell.peepholes) if isinstance(cell, PeepholeLSTM) else {}
        zero = np.zeros((H, H))
        out = np.empty((T, 2 * H, 2 * H))
        for t in range(T):
            f, i, g, o, tc = (V[n][t][:, None] for n in ("forget", "input", "candidate", "output", "cell_tanh"))
            cp = c_prev[t][:, None]
            if isinstance(cell, CoupledLSTM):
                dC_dh = (cp - g) * _sig(f) * W["forget"] + (1 - f) * (1 - g * g) * W["candidate"]
            else:
                dC_dh = cp * _sig(f) * W["forget"] + g * _sig(i) * W["input"] + i * (1 - g * g) * W["candidate"]
            dC_dc = f * D + cp * _sig(f) * P.get("forget", zero) + g * _sig(i) * P.get("input", zero)
            Po = P.get("output", zero)
            dao_dh, dao_dc = W["output"] + Po @ dC_dh, Po @ dC_dc
            out[t, :H, :H] = tc * _sig(o) * dao_dh + o * (1 - tc * tc) * dC_dh
            out[t, :H, H:] = tc * _sig(o) * dao_dc + o * (1 - tc * tc) * dC_dc
            out[t, H:, :H], out[t, H:, H:] = dC_dh, dC_dc
        return out
    out = np.empty((T, H, H))
    for t in range(T):
        hp = h_prev[t][:, None]
        if isinstance(cell, GRUResetAfter):
            z, r, n, hn = (V[k][t][:, None] for k in ("update", "reset", "candidate", "candidate_hidden"))
            dn = (1 - n * n) * (hn * _sig(r) * W["reset"] + r * W["candidate"])
            out[t] = z * D + (hp - n) * _sig(z) * W["update"] + (1 - z) * dn
        elif isinstance(cell, GRU):
            z, r, n = (V[k][t][:, None] for k in ("update", "reset", "candidate"))
            dn = (1 - n * n) * (W["candidate"] @ (r * D + hp * _sig(r) * W["reset"]))
            if cell.Z_KEEPS_OLD:
                out[t] = z * D + (hp - n) * _sig(z) * W["update"] + (1 - z) * dn
            else:
                out[t] = (1 - z) * D + (n - hp) * _sig(z) * W["update"] + z * dn
        else:
            h = V["hidden"][t][:, None]
            out[t] = (1 - h * h) * W["hidden"]
    return out


def gradient_flow(cell: Cell, xs: np.ndarray, initial_state: State | None = None) -> GradientFlow:
    """‖∂h_T/∂h_t‖ (and ‖∂C_T/∂C_t‖ for the LSTM family) for every step t of one sequence xs, (T, I)."""
    trace = cell.run(xs, initial_state)
    J = step_jacobians(cell, trace)  # (T, S, S)
    T, S, H = trace.steps, J.shape[1], cell.hidden_size
    M = np.eye(S)  # ∂s_{T-1}/∂s_t, starting at t = T-1
    hidden, cells = np.empty(T), np.empty(T) if S == 2 * H else None
    for t in range(T - 1, -1, -1):
        hidden[t] = np.linalg.norm(M[:H, :H], 2)
        if cells is not None:
            cells[t] = np.linalg.norm(M[H:, H:], 2)
        M = M @ J[t]  # ∂s_{T-1}/∂s_{t-1}
    return GradientFlow(cell.KIND, hidden, cells)
