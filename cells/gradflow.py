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


def step_jacobians(cell: Cell, trace: Trace, steps: int | None = None) -> np.ndarray:
    r"""J_t = ∂s_t/∂s_{t-1} for every step (or the first ``steps``), (T, S, S), with s = h (S = P) or
    s = [h, C] (S = P + H): each kind's ``step_jacobian`` (its module writes out the formula), given every
    step of the trace at once. P is the width of h_t, H except for a cell with a projection."""
    P, first = cell.state_size, slice(steps)
    W = {g: cell.weights[g][:, :P] for g in cell.GATES}  # (H, P) recurrent columns
    c_prev = None if trace.previous_cell is None else trace.previous_cell[first]
    return cell.step_jacobian({k: a[first] for k, a in trace.values.items()}, trace.previous_hidden[first],
                              c_prev, W)


def gradient_flow(cell: Cell, xs: np.ndarray, initial_state: State | None = None) -> GradientFlow:
    """‖∂h_T/∂h_t‖ (and ‖∂C_T/∂C_t‖ for the LSTM family) for every step t of one sequence xs, (T, I)."""
    return trace_flow(cell, cell.run(xs, initial_state))


def trace_flow(cell: Cell, trace: Trace, steps: int | None = None) -> GradientFlow:
    """The gradient flow of the sequence the trace ran, or of its first ``steps`` steps alone: a cell reads
    its inputs in order, so those steps are the run of the first ``steps`` inputs, and one run of a long
    sequence answers for every shorter start of it."""
    J = step_jacobians(cell, trace, steps)  # (T, S, S)
    T, S, P = J.shape[0], J.shape[1], cell.state_size
    products = np.empty((T, S, S))  # products[t] = ∂s_{T-1}/∂s_t
    products[T - 1] = np.eye(S)
    for t in range(T - 1, 0, -1):
        products[t - 1] = products[t] @ J[t]  # ∂s_{T-1}/∂s_{t-1}
    hidden = _spectral_norms(products[:, :P, :P])
    cells = _spectral_norms(products[:, P:, P:]) if cell.HAS_CELL else None
    return GradientFlow(cell.KIND, hidden, cells)


def _spectral_norms(blocks: np.ndarray) -> np.ndarray:
    """The largest singular value of each (n, n) block of ``blocks``, (T,): √λ_max(BᵀB), one batched symmetric
    eigenvalue call (faster than an SVD, and as exact for the largest value). Each block is first divided by its
    largest entry, so that BᵀB neither underflows nor overflows where ‖B‖ is 1e-200 or 1e200."""
    scale = np.abs(blocks).max(axis=(1, 2))
    unit = blocks / np.where(scale > 0, scale, 1.0)[:, None, None]
    top = np.linalg.eigvalsh(np.swapaxes(unit, 1, 2) @ unit)[:, -1]
    return scale * np.sqrt(np.maximum(top, 0.0))
