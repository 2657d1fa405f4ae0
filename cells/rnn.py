"""The plain recurrent network: the baseline that gating improves on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.cell import Arrays, Cell, StepParts
from cells.clamp import Clamp
from cells.gates import COMMON, GateInfo
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
    SHOWN: ClassVar[tuple[str, ...]] = ("hidden",)
    GATE_INFO: ClassVar[dict[str, GateInfo]] = {"hidden": COMMON["hidden"]}
    EQUATIONS: ClassVar[tuple[str, ...]] = (r"h_t = \tanh(W \cdot [h_{t-1}, x_t] + b)",)
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (("h_t", r"\tanh(%{pre.hidden})", "hidden"),)
    NOTE: ClassVar[str] = "The plain RNN: nothing decides what to keep; every step squashes the whole state."

    @staticmethod
    def diagram(box_w: float, box_h: float) -> dict:
        return {"boxes": {"hidden": (5.0, 1.3)}, "nodes": {},
                "labels": {"[h_{t-1}, x_t]": (2.2, 1.3), "→ h_t": (9.6, 1.3)},
                "wires": (((2.25, 1.3), (5.0 - box_w, 1.3)), ((5.0 + box_w, 1.3), (8.4, 1.3)))}

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        return a, {"hidden": np.tanh(a["hidden"])}  # h_t = tanh(W·[h_{t-1}, x_t] + b)

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, None, None]:
        """da = dh·(1 - h²); the caller sends da·W back to h_{t-1}."""
        h = v["hidden"]
        return {"hidden": dh * (1.0 - h * h)}, {}, None, None

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        """∂h/∂h_p = diag(1 - h²)·W: usually below 1 in norm, so the product over steps shrinks."""
        h = v["hidden"][..., None]
        return (1 - h * h) * W["hidden"]

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
