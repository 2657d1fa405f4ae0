"""The LSTM of the deck and its variants: peephole connections and the coupled input-forget gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.activations import GateActivation
from cells.cell import Arrays, Cell, StepParts
from cells.clamp import Clamp, apply, plan
from cells.gates import COMMON, GateInfo
from cells.trace import State

CONCAT = r"[h_{t-1}, x_t]"


def lstm_diagram(box_w: float, box_h: float) -> dict:
    """Where the LSTM family's boxes, ⊗/⊕ nodes, labels and wires go (box half sizes given by the drawing)."""
    gy, top, bus = 0.6, 3.0, -0.5
    f, i, g, o = 2.0, 3.8, 5.4, 7.2
    mul_i, add, tanh, mul_o = (4.6, 1.9), (4.6, top), (8.3, 2.1), (8.3, gy)
    return {
        "boxes": {"forget": (f, gy), "input": (i, gy), "candidate": (g, gy), "output": (o, gy),
                  "cell": (9.6, top), "hidden": (9.6, bus)},
        "nodes": {"mul_f": (f, top, "×"), "mul_i": (*mul_i, "×"), "add": (*add, "+"), "tanh": (*tanh, "tanh"),
                  "mul_o": (*mul_o, "×")},
        "labels": {"C_{t-1}": (0.8, top), "[h_{t-1}, x_t]": (0.8, bus)},
        "wires": (
            ((0.85, top), (9.6 - box_w, top)),  # the cell state line
            ((f, gy + box_h), (f, top)),
            ((i, gy + box_h), (i, mul_i[1]), mul_i), ((g, gy + box_h), (g, mul_i[1]), mul_i), (mul_i, add),
            ((tanh[0], top), tanh, mul_o), ((o + box_w, gy), mul_o), (mul_o, (mul_o[0], bus), (9.6 - box_w, bus)),
            ((0.85, bus), (o, bus)), *(((x, bus), (x, gy - box_h)) for x in (f, i, g, o)),
        ),
    }


def _sigma(lhs: str, gate: str) -> tuple[str, str, str]:
    return (lhs, rf"\sigma(%{{pre.{gate}}})", gate)


def _tanh(lhs: str, gate: str) -> tuple[str, str, str]:
    return (lhs, rf"\tanh(%{{pre.{gate}}})", gate)


_LSTM_NUMBERS = (
    _sigma("f_t", "forget"),
    _sigma("i_t", "input"),
    _tanh(r"\tilde{C}_t", "candidate"),
    ("C_t", r"%{forget:f} \cdot %{prev.cell:f} + %{input:f} \cdot %{candidate:f}", "cell"),
    _sigma("o_t", "output"),
    ("h_t", r"%{output:f} \cdot \tanh(%{cell})", "hidden"),
)


def _lstm_jacobian(v: Arrays, dC_dh: np.ndarray, dC_dc: np.ndarray, dao_dh: np.ndarray, dao_dc: np.ndarray,
                   sigma: GateActivation) -> np.ndarray:
    """The (2H, 2H) step Jacobian of s = [h, C] from the cell state's and the output gate's derivatives."""
    o, tc = v["output"][..., None], v["cell_tanh"][..., None]
    _sig = sigma.derivative
    H = o.shape[-2]
    out = np.empty((*o.shape[:-2], 2 * H, 2 * H))  # (2H, 2H), or (T, 2H, 2H) for every step at once
    out[..., :H, :H] = tc * _sig(o) * dao_dh + o * (1 - tc * tc) * dC_dh
    out[..., :H, H:] = tc * _sig(o) * dao_dc + o * (1 - tc * tc) * dC_dc
    out[..., H:, :H], out[..., H:, H:] = dC_dh, dC_dc
    return out


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
    SHOWN: ClassVar[tuple[str, ...]] = ("forget", "input", "candidate", "output", "cell", "hidden")
    KEEP: ClassVar[tuple[str, int]] = ("forget", +1)  # f_t: the share of C_{t-1} carried into C_t
    GATE_INFO: ClassVar[dict[str, GateInfo]] = {
        **{n: COMMON[n] for n in ("forget", "input", "output", "cell", "cell_tanh", "hidden")},
        "candidate": GateInfo("candidate", "C̃_t", r"\tilde{C}_t", "tanh", "candidate cell values",
                              "what could be written to C_t"),
    }
    EQUATIONS: ClassVar[tuple[str, ...]] = (
        r"f_t = \sigma(W_f \cdot " + CONCAT + r" + b_f)",
        r"i_t = \sigma(W_i \cdot " + CONCAT + r" + b_i)",
        r"\tilde{C}_t = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
        r"C_t = f_t * C_{t-1} + i_t * \tilde{C}_t",
        r"o_t = \sigma(W_o \cdot " + CONCAT + r" + b_o)",
        r"h_t = o_t * \tanh(C_t)",
    )
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = _LSTM_NUMBERS
    NOTE: ClassVar[str] = ("The lecture's LSTM: the forget gate keeps a share of the old cell state, the input gate "
                           "writes a share of the candidate.")
    diagram = staticmethod(lstm_diagram)

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        f = self.sigma(a["forget"])  # f_t
        i = self.sigma(a["input"])  # i_t
        g = np.tanh(a["candidate"])  # C̃_t
        c = f * c_p + i * g  # C_t = f_t*C_{t-1} + i_t*C̃_t
        o = self.sigma(a["output"])  # o_t
        tc = np.tanh(c)
        h = o * tc  # h_t = o_t*tanh(C_t)
        return a, {"forget": f, "input": i, "candidate": g, "output": o, "cell": c, "cell_tanh": tc, "hidden": h}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray | None, np.ndarray]:
        r"""do = dh·tanh(C), da_o = do·σ'(a_o); dC += dh·o·(1 - tanh²C);
        da_f = dC·C_p·σ'(a_f), da_i = dC·C̃·σ'(a_i), da_C̃ = dC·i·(1 - C̃²); dC_p = dC·f."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, i, g, o, tc = v["forget"], v["input"], v["candidate"], v["output"], v["cell_tanh"]
        da_o = (dh * tc) * ds(o)
        dc = dc + dh * o * (1.0 - tc * tc)
        da = {"forget": (dc * c_p) * ds(f), "input": (dc * g) * ds(i),
              "candidate": (dc * i) * (1.0 - g * g), "output": da_o}
        return da, {}, None, dc * f

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""∂C/∂h_p = diag(C_p σ'_f)W_f + diag(C̃ σ'_i)W_i + diag(i(1 - C̃²))W_C,  ∂C/∂C_p = diag(f),
        ∂h/∂· = diag(tanh(C) σ'_o)·∂a_o/∂· + diag(o(1 - tanh²C))·∂C/∂·  with ∂a_o/∂h_p = W_o."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, i, g, cp = (a[..., None] for a in (v["forget"], v["input"], v["candidate"], c_p))
        H = c_p.shape[-1]
        dC_dh = cp * ds(f) * W["forget"] + g * ds(i) * W["input"] + i * (1 - g * g) * W["candidate"]
        return _lstm_jacobian(v, dC_dh, f * np.eye(H), W["output"], np.zeros((H, H)), self.sigma)

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.FUSED)  # (H, 4H): o, i, f, C̃
        hard, scale = self.sigma.hard, self.sigma.scale
        W_h[:, : 3 * H] *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5 (a hard σ folds nothing in)
        pre[:, :3] *= scale
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
            if hard is None:
                np.multiply(sig, half, sig)
                np.add(sig, half, sig)  # o_t, i_t, f_t
            else:
                hard(p[: 3 * H], sig)  # clip(slope·a + 0.5, 0, 1)
            if todo and todo[t]:
                apply(todo[t])
            np.multiply(i_f, cand_c, products)  # i_t*C̃_t and f_t*C_{t-1}
            np.add(f_c, i_cand, c)  # C_t = f_t*C_{t-1} + i_t*C̃_t
            np.tanh(c, c_tanh)
            np.multiply(o, c_tanh, h)  # h_t = o_t*tanh(C_t)
            rows[t] = s
        pre[:, :3] /= scale
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
    EXTRA: ClassVar[dict[str, tuple[str, ...]]] = {"peepholes": ("forget", "input", "output")}
    EQUATIONS: ClassVar[tuple[str, ...]] = (
        r"f_t = \sigma(W_f \cdot " + CONCAT + r" + P_f C_{t-1} + b_f)",
        r"i_t = \sigma(W_i \cdot " + CONCAT + r" + P_i C_{t-1} + b_i)",
        r"\tilde{C}_t = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
        r"C_t = f_t * C_{t-1} + i_t * \tilde{C}_t",
        r"o_t = \sigma(W_o \cdot " + CONCAT + r" + P_o C_t + b_o)",
        r"h_t = o_t * \tanh(C_t)",
    )
    NOTE: ClassVar[str] = ("The gates also look at the cell state (P are the peephole weights; the lecture writes "
                           "them as extra columns of W over [C_{t-1}, h_{t-1}, x_t]).")

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        P = self.peepholes
        a["forget"] = a["forget"] + c_p @ P["forget"].T  # + P_f·C_{t-1}
        a["input"] = a["input"] + c_p @ P["input"].T  # + P_i·C_{t-1}
        f, i, g = self.sigma(a["forget"]), self.sigma(a["input"]), np.tanh(a["candidate"])
        c = f * c_p + i * g  # C_t
        a["output"] = a["output"] + c @ P["output"].T  # + P_o·C_t
        o = self.sigma(a["output"])
        tc = np.tanh(c)
        return a, {"forget": f, "input": i, "candidate": g, "output": o, "cell": c, "cell_tanh": tc, "hidden": o * tc}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray | None, np.ndarray]:
        """As the LSTM's, plus the peephole paths: dC += da_o·P_o, dC_p += da_f·P_f + da_i·P_i."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        P = self.peepholes
        f, i, g, o, tc = v["forget"], v["input"], v["candidate"], v["output"], v["cell_tanh"]
        da_o = (dh * tc) * ds(o)
        dc = dc + dh * o * (1.0 - tc * tc) + da_o @ P["output"]
        da_f, da_i = (dc * c_p) * ds(f), (dc * g) * ds(i)
        da = {"forget": da_f, "input": da_i, "candidate": (dc * i) * (1.0 - g * g), "output": da_o}
        return da, {}, None, dc * f + da_f @ P["forget"] + da_i @ P["input"]

    def extra_gradients(self, da: Arrays, values: Arrays, previous_cell: np.ndarray | None, dh: np.ndarray
                        ) -> Arrays:
        H = self.hidden_size
        flat = lambda a: a.reshape(-1, H)  # noqa: E731
        return {"peepholes": {"forget": flat(da["forget"]).T @ flat(previous_cell),  # (H, H)
                              "input": flat(da["input"]).T @ flat(previous_cell),
                              "output": flat(da["output"]).T @ flat(values["cell"])}}

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""As the LSTM's, with ∂C/∂C_p = diag(f) + diag(C_p σ'_f)P_f + diag(C̃ σ'_i)P_i and ∂a_o/∂· += P_o·∂C/∂·."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        P = self.peepholes
        f, i, g, cp = (a[..., None] for a in (v["forget"], v["input"], v["candidate"], c_p))
        H = c_p.shape[-1]
        dC_dh = cp * ds(f) * W["forget"] + g * ds(i) * W["input"] + i * (1 - g * g) * W["candidate"]
        dC_dc = f * np.eye(H) + cp * ds(f) * P["forget"] + g * ds(i) * P["input"]
        return _lstm_jacobian(v, dC_dh, dC_dc, W["output"] + P["output"] @ dC_dh, P["output"] @ dC_dc, self.sigma)

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.FUSED)  # (H, 4H): o, i, f, C̃
        hard, scale = self.sigma.hard, self.sigma.scale
        W_h[:, : 3 * H] *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5, as in the LSTM
        P_if = scale * np.concatenate([self.peepholes["input"], self.peepholes["forget"]]).T  # (H, 2H)
        P_o = scale * self.peepholes["output"].T  # (H, H)
        pre[:, :3] *= scale
        flat = pre.reshape(T, 4 * H)
        rows = np.empty((T, 7 * H), pre.dtype)
        s = np.empty(7 * H, pre.dtype)
        i_f_g, i_f, cand_c = s[H : 4 * H], s[H : 3 * H], s[3 * H : 5 * H]
        o, c, c_tanh, h = s[:H], s[4 * H : 5 * H], s[5 * H : 6 * H], s[6 * H :]
        rec, peep = np.empty(4 * H, pre.dtype), np.empty(2 * H, pre.dtype)
        products = np.empty(2 * H, pre.dtype)
        i_cand, f_c = products[:H], products[H:]
        half = np.full(2 * H, 0.5, pre.dtype)
        half_o = half[:H]
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
            if hard is None:
                np.multiply(i_f, half, i_f)
                np.add(i_f, half, i_f)  # i_t, f_t
            else:
                hard(p_if, i_f)  # clip(slope·a + 0.5, 0, 1)
            if todo and todo[t]:
                apply(todo[t])
            np.multiply(i_f, cand_c, products)
            np.add(f_c, i_cand, c)  # C_t
            np.dot(c, P_o, peep[:H])
            np.add(p_o, peep[:H], p_o)  # o sees the new C_t
            np.tanh(p_o, o)
            if hard is None:
                np.multiply(o, half_o, o)
                np.add(o, half_o, o)  # o_t
            else:
                hard(p_o, o)  # clip(slope·a + 0.5, 0, 1)
            if todo_o and todo_o[t]:
                apply(todo_o[t])
            np.tanh(c, c_tanh)
            np.multiply(o, c_tanh, h)
            rows[t] = s
        pre[:, :3] /= scale
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
    SHOWN: ClassVar[tuple[str, ...]] = LSTM.SHOWN
    KEEP: ClassVar[tuple[str, int]] = ("forget", +1)
    EQUATIONS: ClassVar[tuple[str, ...]] = (
        r"f_t = \sigma(W_f \cdot " + CONCAT + r" + b_f)",
        r"i_t = 1 - f_t",
        r"\tilde{C}_t = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
        r"C_t = f_t * C_{t-1} + (1 - f_t) * \tilde{C}_t",
        r"o_t = \sigma(W_o \cdot " + CONCAT + r" + b_o)",
        r"h_t = o_t * \tanh(C_t)",
    )
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        _LSTM_NUMBERS[0], ("i_t", r"1 - %{forget}", "input"), *_LSTM_NUMBERS[2:])
    NOTE: ClassVar[str] = "What is forgotten is exactly what is written: the input gate is 1 − f_t, not learned."
    diagram = staticmethod(lstm_diagram)

    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        f = self.sigma(a["forget"])
        i = np.subtract(1.0, f)  # i_t = 1 - f_t
        g = np.tanh(a["candidate"])
        c = f * c_p + i * g  # C_t = f_t*C_{t-1} + (1 - f_t)*C̃_t
        o = self.sigma(a["output"])
        tc = np.tanh(c)
        return a, {"forget": f, "input": i, "candidate": g, "output": o, "cell": c, "cell_tanh": tc, "hidden": o * tc}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray | None, np.ndarray]:
        """i = 1 - f, so da_f = dC·(C_p - C̃)·σ'(a_f) and da_C̃ = dC·(1 - f)·(1 - C̃²)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, g, o, tc = v["forget"], v["candidate"], v["output"], v["cell_tanh"]
        da_o = (dh * tc) * ds(o)
        dc = dc + dh * o * (1.0 - tc * tc)
        da = {"forget": (dc * (c_p - g)) * ds(f), "candidate": (dc * (1.0 - f)) * (1.0 - g * g),
              "output": da_o}
        return da, {}, None, dc * f

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""∂C/∂h_p = diag((C_p - C̃)σ'_f)W_f + diag((1 - f)(1 - C̃²))W_C, ∂C/∂C_p = diag(f)."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, g, cp = (a[..., None] for a in (v["forget"], v["candidate"], c_p))
        H = c_p.shape[-1]
        dC_dh = (cp - g) * ds(f) * W["forget"] + (1 - f) * (1 - g * g) * W["candidate"]
        return _lstm_jacobian(v, dC_dh, f * np.eye(H), W["output"], np.zeros((H, H)), self.sigma)

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        W_h = self._recurrent_weights(self.FUSED)  # (H, 3H): o, f, C̃
        hard, scale = self.sigma.hard, self.sigma.scale
        W_h[:, : 2 * H] *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5
        pre[:, :2] *= scale
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
            if hard is None:
                np.multiply(sig, half, sig)
                np.add(sig, half, sig)  # o_t, f_t
            else:
                hard(p[: 2 * H], sig)  # clip(slope·a + 0.5, 0, 1)
            if todo and todo[t]:
                apply(todo[t])
            np.subtract(one, f, i)  # i_t = 1 - f_t
            np.multiply(i, cand, written)
            np.multiply(f, c, c)
            np.add(c, written, c)  # C_t = f_t*C_{t-1} + (1 - f_t)*C̃_t
            np.tanh(c, c_tanh)
            np.multiply(o, c_tanh, h)
            rows[t] = s
        pre[:, :2] /= scale
        return {"forget": rows[:, H : 2 * H], "input": rows[:, 3 * H : 4 * H], "candidate": rows[:, 2 * H : 3 * H],
                "output": rows[:, :H], "cell": rows[:, 4 * H : 5 * H], "cell_tanh": rows[:, 5 * H : 6 * H],
                "hidden": rows[:, 6 * H :]}
