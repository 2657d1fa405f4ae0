"""The minimal gated unit (Zhou, Wu, Zhang & Zhou, 2016): a GRU with one gate doing both jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.cell import Arrays, Cell, StepParts
from cells.clamp import Clamp, apply, plan
from cells.gates import COMMON, GateInfo
from cells.trace import State


@dataclass(frozen=True, eq=False)
class MGU(Cell):
    r"""Minimal gated unit: the forget gate both filters what the candidate sees and mixes the states.

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)              forget gate: share of the new candidate
        h̃_t = tanh(W_h·[f_t * h_{t-1}, x_t] + b_h)      candidate
        h_t = (1 - f_t) * h_{t-1} + f_t * h̃_t          hidden state

    So 1 - f_t is the share of h_{t-1} kept, as 1 - z_t in the lecture's GRU, and f_t plays the
    reset gate's part inside the candidate too.
    """

    KIND: ClassVar[str] = "mgu"
    LABEL: ClassVar[str] = "Minimal gated unit (MGU)"
    FAMILY: ClassVar[str] = "mgu"
    GATES: ClassVar[tuple[str, ...]] = ("forget", "candidate")
    SIGMOID: ClassVar[tuple[str, ...]] = ("forget",)
    SHOWN: ClassVar[tuple[str, ...]] = ("forget", "candidate", "hidden")
    KEEP: ClassVar[tuple[str, int]] = ("forget", -1)  # 1 - f_t of h_{t-1} is kept
    RECURRENT_INPUT: ClassVar[dict[str, str]] = {"candidate": "forget_hidden"}  # W_h's hidden columns see f_t*h_{t-1}
    GATE_INFO: ClassVar[dict[str, GateInfo]] = {
        "forget": GateInfo("forget", "f_t", "f_t", "sigmoid", "forget gate", "share of h_{t-1} replaced by h̃_t"),
        "candidate": GateInfo("candidate", "h̃_t", r"\tilde{h}_t", "tanh", "candidate hidden state",
                              "what could replace h_{t-1}"),
        "forget_hidden": GateInfo("forget_hidden", "f_t*h_{t-1}", r"f_t * h_{t-1}", "tanh", "forget-gated old state",
                                  "what of h_{t-1} the candidate sees"),
        "hidden": COMMON["hidden"],
    }
    EQUATIONS: ClassVar[tuple[str, ...]] = (
        r"f_t = \sigma(W_f \cdot [h_{t-1}, x_t] + b_f)",
        r"\tilde{h}_t = \tanh(W_h \cdot [f_t * h_{t-1}, x_t] + b_h)",
        r"h_t = (1 - f_t) * h_{t-1} + f_t * \tilde{h}_t",
    )
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("f_t", r"\sigma(%{pre.forget})", "forget"),
        (r"\tilde{h}_t", r"\tanh(%{pre.candidate})", "candidate"),
        ("h_t", r"(1 - %{forget}) \cdot %{prev.hidden:f} + %{forget:f} \cdot %{candidate:f}", "hidden"),
    )
    NOTE: ClassVar[str] = ("The minimal gated unit: one forget gate does the GRU's two jobs. f_t is the share of "
                           "the NEW candidate (1 − f_t of h_{t-1} is kept), and the candidate sees f_t * h_{t-1}.")

    @staticmethod
    def diagram(box_w: float, box_h: float) -> dict:
        """The forget gate's wires: into f_t * h_{t-1} for the candidate, and both sides of the mix."""
        gy, top, bus = 0.6, 3.0, -0.5
        f, n = 2.4, 6.0
        mul_f, mul_old, mul_new, add, one_minus = (f, 2.0), (4.2, top), (n, 2.0), (n, top), (4.2, 2.1)
        return {
            "boxes": {"forget": (f, gy), "candidate": (n, gy), "hidden": (9.6, top)},
            "nodes": {"mul_f": (*mul_f, "×"), "mul_old": (*mul_old, "×"), "mul_new": (*mul_new, "×"),
                      "add": (*add, "+"), "one_minus": (*one_minus, "1−")},
            "labels": {"h_{t-1}": (0.8, top), "[h_{t-1}, x_t]": (0.8, bus)},
            "wires": (
                ((0.85, top), (9.6 - box_w, top)),  # the hidden state line
                ((f, top), mul_f), ((f, gy + box_h), mul_f),
                (mul_f, (3.2, mul_f[1]), (3.2, 1.3), (n - 0.4, 1.3), (n - 0.4, gy + box_h)),  # f * h_{t-1} into h̃
                ((f + box_w, gy), (4.2, gy), one_minus), (one_minus, mul_old),
                ((f + box_w, gy), (4.9, gy), (4.9, mul_new[1]), mul_new),
                ((n, gy + box_h), mul_new), (mul_new, add),
                ((0.85, bus), (n, bus)), *(((x, bus), (x, gy - box_h)) for x in (f, n)),
            ),
        }

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        f = self.sigma(a["forget"])  # f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
        fh = f * h_p  # f_t * h_{t-1}
        a["candidate"] = parts.xw["candidate"] + fh @ parts.W["candidate"].T  # W_h·[f_t*h_{t-1}, x_t] + b_h
        n = np.tanh(a["candidate"])  # h̃_t
        h = (1.0 - f) * h_p + f * n  # h_t = (1 - f_t)*h_{t-1} + f_t*h̃_t
        return a, {"forget": f, "forget_hidden": fh, "candidate": n, "hidden": h}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray, None]:
        r"""dh̃ = dh·f, da_h̃ = dh̃·(1 - h̃²), d(f·h_p) = da_h̃·W_h̃;
        df = dh·(h̃ - h_p) + d(f·h_p)·h_p, da_f = df·σ'(a_f); dh_p = dh·(1 - f) + d(f·h_p)·f (+ da_f·W_f)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, n = v["forget"], v["candidate"]
        da_n = (dh * f) * (1.0 - n * n)
        dfh = da_n @ W["candidate"]  # ∂L/∂(f·h_p)
        df = dh * (n - h_p) + dfh * h_p
        return {"forget": df * ds(f), "candidate": da_n}, {}, dh * (1.0 - f) + dfh * f, None

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""∂h/∂h_p = diag(1 - f) + diag(h̃ - h_p)·diag(σ'_f)W_f + diag(f)·∂h̃/∂h_p,
        ∂h̃/∂h_p = diag(1 - h̃²)·W_h̃·(diag(f) + diag(h_p)·diag(σ'_f)W_f)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, n, hp = (a[..., None] for a in (v["forget"], v["candidate"], h_p))
        D = np.eye(h_p.shape[-1])
        df = ds(f) * W["forget"]  # ∂f/∂h_p
        dn = (1 - n * n) * (W["candidate"] @ (f * D + hp * df))
        return (1 - f) * D + (n - hp) * df + f * dn

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_f = self._recurrent_weights(("forget",))  # (H, H)
        hard, scale = self.sigma.hard, self.sigma.scale
        W_f *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5 (a hard σ folds nothing in)
        W_c = self._recurrent_weights(("candidate",))  # (H, H)
        pre[:, :1] *= scale
        flat = pre.reshape(T, 2 * H)
        rows = np.empty((T, 4 * H), pre.dtype)  # every step's [f, h̃, f*h_{t-1}, h]
        s = np.empty(4 * H, pre.dtype)
        f, cand, fh, h = s[:H], s[H : 2 * H], s[2 * H : 3 * H], s[3 * H :]
        rec, old, new = np.empty(H, pre.dtype), np.empty(H, pre.dtype), np.empty(H, pre.dtype)
        half, one = np.full(H, 0.5, pre.dtype), np.ones(H, pre.dtype)
        todo_f, todo_c = plan(clamps, {"forget": f}, T), plan(clamps, {"candidate": cand}, T)
        h[:] = state.hidden
        for t in range(T):
            p_f, p_c = flat[t, :H], flat[t, H:]
            np.dot(h, W_f, rec)
            np.add(p_f, rec, p_f)
            np.tanh(p_f, f)
            if hard is None:
                np.multiply(f, half, f)
                np.add(f, half, f)  # f_t
            else:
                hard(p_f, f)  # clip(slope·a + 0.5, 0, 1)
            if todo_f and todo_f[t]:
                apply(todo_f[t])
            np.multiply(f, h, fh)  # f_t * h_{t-1}
            np.dot(fh, W_c, new)
            np.add(p_c, new, p_c)  # W_h·[f_t*h_{t-1}, x_t] + b_h
            np.tanh(p_c, cand)  # h̃_t
            if todo_c and todo_c[t]:
                apply(todo_c[t])
            np.subtract(one, f, old)
            np.multiply(f, cand, new)
            np.multiply(old, h, h)
            np.add(h, new, h)  # h_t = (1 - f_t)*h_{t-1} + f_t*h̃_t
            rows[t] = s
        pre[:, :1] /= scale
        return {"forget": rows[:, :H], "candidate": rows[:, H : 2 * H], "forget_hidden": rows[:, 2 * H : 3 * H],
                "hidden": rows[:, 3 * H :]}
