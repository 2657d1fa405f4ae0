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

from cells.cell import Arrays, Cell, StepParts
from cells.clamp import Clamp, apply, plan
from cells.gates import COMMON, GateInfo
from cells.trace import State

CONCAT = r"[h_{t-1}, x_t]"
_ZR_EQUATIONS = (
    r"z_t = \sigma(W_z \cdot " + CONCAT + r" + b_z)",
    r"r_t = \sigma(W_r \cdot " + CONCAT + r" + b_r)",
    r"\tilde{h}_t = \tanh(W \cdot [r_t * h_{t-1}, x_t] + b)",
)
_ZR_NUMBERS = (("z_t", r"\sigma(%{pre.update})", "update"), ("r_t", r"\sigma(%{pre.reset})", "reset"))


def gru_diagram(z_keeps_old: bool) -> object:
    """The layout of a GRU drawing: where z's two wires go depends on which share z is."""

    def layout(box_w: float, box_h: float) -> dict:
        gy, top, bus = 0.6, 3.0, -0.5
        r, z, n = 1.6, 3.6, 6.0
        mul_r, mul_old, mul_new, add = (r, 2.0), (z, top), (n, 2.0), (n, top)
        branch = 4.8  # where z's second wire climbs to the new-candidate product
        one_minus = (branch, 1.4) if z_keeps_old else (z, 2.1)
        return {
            "boxes": {"reset": (r, gy), "update": (z, gy), "candidate": (n, gy), "hidden": (9.6, top)},
            "nodes": {"mul_r": (*mul_r, "×"), "mul_old": (*mul_old, "×"), "mul_new": (*mul_new, "×"),
                      "add": (*add, "+"), "one_minus": (*one_minus, "1−")},
            "labels": {"h_{t-1}": (0.8, top), "[h_{t-1}, x_t]": (0.8, bus)},
            "wires": (
                ((0.85, top), (9.6 - box_w, top)),  # the hidden state line
                ((r, top), mul_r), ((r, gy + box_h), mul_r),
                (mul_r, (2.6, mul_r[1]), (2.6, 1.3), (n - 0.4, 1.3), (n - 0.4, gy + box_h)),  # r * h_{t-1} into h̃
                ((z, gy + box_h), mul_old),
                ((z + box_w, gy), (branch, gy), (branch, mul_new[1]), mul_new),
                ((n, gy + box_h), mul_new), (mul_new, add),
                ((0.85, bus), (n, bus)), *(((x, bus), (x, gy - box_h)) for x in (r, z, n)),
            ),
        }

    return staticmethod(layout)


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
    SHOWN: ClassVar[tuple[str, ...]] = ("update", "reset", "candidate", "hidden")
    GATE_INFO: ClassVar[dict[str, GateInfo]] = {
        **{n: COMMON[n] for n in ("update", "reset", "reset_hidden", "candidate_hidden", "hidden")},
        "candidate": GateInfo("candidate", "h̃_t", r"\tilde{h}_t", "tanh", "candidate hidden state",
                              "what could replace h_{t-1}"),
    }
    KEEP: ClassVar[tuple[str, int]] = ("update", -1)  # the share of h_{t-1} carried into h_t is 1 - z_t
    RECURRENT: ClassVar[tuple[tuple[str, ...], ...]] = (("update", "reset"),)
    RECURRENT_INPUT: ClassVar[dict[str, str]] = {"candidate": "reset_hidden"}  # W's hidden columns see r_t*h_{t-1}
    EQUATIONS: ClassVar[tuple[str, ...]] = (*_ZR_EQUATIONS, r"h_t = (1 - z_t) * h_{t-1} + z_t * \tilde{h}_t")
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        *_ZR_NUMBERS, (r"\tilde{h}_t", r"\tanh(%{pre.candidate})", "candidate"),
        ("h_t", r"(1 - %{update}) \cdot %{prev.hidden:f} + %{update:f} \cdot %{candidate:f}", "hidden"))
    NOTE: ClassVar[str] = ("The lecture's GRU: z_t is the share of the NEW candidate h̃_t; the reset gate acts "
                           "before the matrix product. (The lecture omits biases; here they are b_z, b_r, b.)")
    diagram = gru_diagram(z_keeps_old=False)

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        z = self.sigma(a["update"])  # z_t
        r = self.sigma(a["reset"])  # r_t
        rh = r * h_p  # r_t * h_{t-1}
        a["candidate"] = parts.xw["candidate"] + rh @ parts.W["candidate"].T  # W·[r_t*h_{t-1}, x_t] + b
        n = np.tanh(a["candidate"])  # h̃_t
        if self.Z_KEEPS_OLD:  # noqa: SIM108 (the two forms, each as its lecture writes it)
            h = z * h_p + (1.0 - z) * n  # h_t = z_t*h_{t-1} + (1 - z_t)*h̃_t
        else:
            h = (1.0 - z) * h_p + z * n  # h_t = (1 - z_t)*h_{t-1} + z_t*h̃_t
        return a, {"update": z, "reset": r, "reset_hidden": rh, "candidate": n, "hidden": h}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray | None, None]:
        r"""dh̃ = dh·z, dz = dh·(h̃ - h_p), dh_p = dh·(1 - z) (z and 1 - z swap where z keeps the old state);
        da_h̃ = dh̃·(1 - h̃²), d(r·h_p) = da_h̃·W_h̃, dr = d(r·h_p)·h_p, dh_p += d(r·h_p)·r."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        z, r, n = v["update"], v["reset"], v["candidate"]
        if self.Z_KEEPS_OLD:
            dn, dz, dh_p = dh * (1.0 - z), dh * (h_p - n), dh * z
        else:
            dn, dz, dh_p = dh * z, dh * (n - h_p), dh * (1.0 - z)
        da_n = dn * (1.0 - n * n)
        drh = da_n @ W["candidate"]  # ∂L/∂(r·h_p)
        da = {"update": dz * ds(z), "reset": (drh * h_p) * ds(r), "candidate": da_n}
        return da, {}, dh_p + drh * r, None

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""∂h/∂h_p = diag(1 - z) + diag(h̃ - h_p)·diag(σ'_z)W_z + diag(z)·∂h̃/∂h_p,
        ∂h̃/∂h_p = diag(1 - h̃²)·W_h̃·(diag(r) + diag(h_p)·diag(σ'_r)W_r)   (z and 1 - z swap where z keeps the old)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        z, r, n, hp = (a[..., None] for a in (v["update"], v["reset"], v["candidate"], h_p))
        D = np.eye(h_p.shape[-1])
        dn = (1 - n * n) * (W["candidate"] @ (r * D + hp * ds(r) * W["reset"]))
        if self.Z_KEEPS_OLD:
            return z * D + (hp - n) * ds(z) * W["update"] + (1 - z) * dn
        return (1 - z) * D + (n - hp) * ds(z) * W["update"] + z * dn

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_zr = self._recurrent_weights(("update", "reset"))  # (H, 2H)
        hard, scale = self.sigma.hard, self.sigma.scale
        W_zr *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5 (a hard σ folds nothing in)
        W_c = self._recurrent_weights(("candidate",))  # (H, H)
        pre[:, :2] *= scale
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
            if hard is None:
                np.multiply(zr, half, zr)
                np.add(zr, half, zr)  # z_t, r_t
            else:
                hard(p_zr, zr)  # clip(slope·a + 0.5, 0, 1)
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
        pre[:, :2] /= scale
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
    KEEP: ClassVar[tuple[str, int]] = ("update", +1)  # z_t is the share of h_{t-1} kept
    EQUATIONS: ClassVar[tuple[str, ...]] = (*_ZR_EQUATIONS, r"h_t = z_t * h_{t-1} + (1 - z_t) * \tilde{h}_t")
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        *_ZR_NUMBERS, (r"\tilde{h}_t", r"\tanh(%{pre.candidate})", "candidate"),
        ("h_t", r"%{update:f} \cdot %{prev.hidden:f} + (1 - %{update}) \cdot %{candidate:f}", "hidden"))
    NOTE: ClassVar[str] = ("Keras reset_after=False: the reset gate acts before the product as in the lecture, "
                           "but z_t is the share of the OLD state h_{t-1} that is kept (the lecture's 1 − z_t).")
    diagram = gru_diagram(z_keeps_old=True)


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
    SHOWN: ClassVar[tuple[str, ...]] = GRU.SHOWN
    KEEP: ClassVar[tuple[str, int]] = ("update", +1)  # z_t: the share of h_{t-1} carried into h_t
    DRAWS_HIDDEN_BIASES: ClassVar[bool] = True  # PyTorch draws b_h* too; it matters inside r*(W_hn h + b_hn)
    RECURRENT: ClassVar[tuple[tuple[str, ...], ...]] = (("update", "reset"), ("candidate",))
    EQUATIONS: ClassVar[tuple[str, ...]] = (
        r"z_t = \sigma(W_z \cdot " + CONCAT + r" + b_z + b_{hz})",
        r"r_t = \sigma(W_r \cdot " + CONCAT + r" + b_r + b_{hr})",
        r"\tilde{h}_t = \tanh(W_{in} x_t + b_{in} + r_t * (W_{hn} h_{t-1} + b_{hn}))",
        r"h_t = (1 - z_t) * \tilde{h}_t + z_t * h_{t-1}",
    )
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        *_ZR_NUMBERS,
        (r"\tilde{h}_t", r"\tanh(%{direct} + %{reset:f} \cdot %{candidate_hidden:f}) = \tanh(%{pre.candidate})",
         "candidate"),
        ("h_t", r"(1 - %{update}) \cdot %{candidate:f} + %{update:f} \cdot %{prev.hidden:f}", "hidden"))
    NOTE: ClassVar[str] = ("PyTorch nn.GRU and Keras reset_after=True: z_t is the share of the OLD state h_{t-1} "
                           "that is kept (the lecture's 1 − z_t), and the reset gate scales W_hn·h_{t-1} + b_hn "
                           "after the product.")
    diagram = gru_diagram(z_keeps_old=True)

    @classmethod
    def derived(cls, values: Arrays, pre: Arrays) -> Arrays:
        """W_in·x_t + b_in: the candidate's argument less the reset-gated recurrent part."""
        return {"direct": pre["candidate"] - values["reset"] * values["candidate_hidden"]}

    def _bias(self, gate: str) -> np.ndarray:
        return self.biases[gate] if gate == "candidate" else super()._bias(gate)

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        b_hn = (self.hidden_biases or {}).get("candidate", 0.0)
        z = self.sigma(a["update"])  # z_t: share of the old state kept
        r = self.sigma(a["reset"])  # r_t
        hn = parts.hw["candidate"] + b_hn  # W_hn·h_{t-1} + b_hn
        a["candidate"] = parts.xw["candidate"] + r * hn  # W_in·x_t + b_in + r_t*(W_hn·h_{t-1} + b_hn)
        n = np.tanh(a["candidate"])  # n_t (h̃_t)
        h = (1.0 - z) * n + z * h_p  # h_t = (1 - z_t)*n_t + z_t*h_{t-1}
        return a, {"update": z, "reset": r, "candidate_hidden": hn, "candidate": n, "hidden": h}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray | None, None]:
        r"""dn = dh·(1 - z), dz = dh·(h_p - n), dh_p = dh·z, da_n = dn·(1 - n²);
        dr = da_n·(W_hn h_p + b_hn); d(W_hn h_p + b_hn) = da_n·r (to b_hn, W_hn and h_p)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        z, r, n, hn = v["update"], v["reset"], v["candidate"], v["candidate_hidden"]
        da_n = (dh * (1.0 - z)) * (1.0 - n * n)
        da = {"update": (dh * (h_p - n)) * ds(z), "reset": (da_n * hn) * ds(r), "candidate": da_n}
        return da, {"candidate": da_n * r}, dh * z, None

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""∂h/∂h_p = diag(z) + diag(h_p - n)·diag(σ'_z)W_z + diag(1 - z)·∂n/∂h_p,
        ∂n/∂h_p = diag(1 - n²)·(diag(W_hn h_p + b_hn)·diag(σ'_r)W_r + diag(r)·W_hn)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        z, r, n, hn, hp = (a[..., None] for a in (v["update"], v["reset"], v["candidate"], v["candidate_hidden"], h_p))
        dn = (1 - n * n) * (hn * ds(r) * W["reset"] + r * W["candidate"])
        return z * np.eye(h_p.shape[-1]) + (hp - n) * ds(z) * W["update"] + (1 - z) * dn

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.GATES)  # (H, 3H): z, r, and W_hn
        hard, scale = self.sigma.hard, self.sigma.scale
        W_h[:, : 2 * H] *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5 (a hard σ folds nothing in)
        b_hn = (self.hidden_biases or {}).get("candidate", np.zeros(H, pre.dtype))  # (H,)
        pre[:, :2] *= scale
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
            if hard is None:
                np.multiply(zr, half, zr)
                np.add(zr, half, zr)  # z_t, r_t
            else:
                hard(p_zr, zr)  # clip(slope·a + 0.5, 0, 1)
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
        pre[:, :2] /= scale
        return {"update": rows[:, :H], "reset": rows[:, H : 2 * H], "candidate_hidden": rows[:, 3 * H : 4 * H],
                "candidate": rows[:, 2 * H : 3 * H], "hidden": rows[:, 4 * H :]}
