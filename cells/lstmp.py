"""The LSTM with projections (Sak, Senior & Beaufays, 2014; PyTorch's nn.LSTM with proj_size > 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.cell import Arrays, Cell, StepParts
from cells.clamp import Clamp, apply, plan
from cells.gates import GateInfo
from cells.lstm import LSTM, lstm_diagram
from cells.trace import State


def _diagram(box_w: float, box_h: float) -> dict:
    """The LSTM's drawing, with o_t ∗ tanh(C_t) as m_t where the LSTM has h_t, and W_hr lifting it into h_t
    above (the wire runs round the right of the boxes, clear of their names)."""
    d = lstm_diagram(box_w, box_h)
    m, h, side = (9.6, -0.66), (9.6, 1.42), 10.32  # m_t low, h_t under C_t's box, W_hr's name between
    return {
        "boxes": {**{k: v for k, v in d["boxes"].items() if k != "hidden"}, "unprojected": m, "hidden": h},
        "nodes": d["nodes"],
        "labels": {**d["labels"], "W_{hr}": (side - 0.06, 0.69)},
        "wires": (*d["wires"], ((m[0] + box_w, m[1]), (side, m[1]), (side, h[1]), (h[0] + box_w, h[1]))),
    }


@dataclass(frozen=True, eq=False)
class ProjectedLSTM(Cell):
    r"""LSTM with a projection: the units' output m_t is mapped to a smaller h_t, which is what the
    gates read back at the next step and what the layer outputs (PyTorch's nn.LSTM, proj_size = P):

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)          forget gate                   (H,)
        i_t = σ(W_i·[h_{t-1}, x_t] + b_i)          input gate                    (H,)
        C̃_t = tanh(W_C·[h_{t-1}, x_t] + b_C)       candidate                     (H,)
        C_t = f_t * C_{t-1} + i_t * C̃_t            cell state                    (H,)
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)          output gate                   (H,)
        m_t = o_t * tanh(C_t)                      the units' output             (H,)
        h_t = W_hr·m_t                             hidden state, the projection  (P,)

    Every gate's weights are (H, P + I), since h_{t-1} has P numbers; W_hr is (P, H), stored as
    ``projection = {"hidden": W_hr}`` so it travels with the other per-gate parameters. h_t is not
    squashed: its values can leave [-1, 1].
    """

    projection: dict[str, np.ndarray] | None = None  # "hidden" -> W_hr, (P, H)

    KIND: ClassVar[str] = "lstmp"
    LABEL: ClassVar[str] = "LSTM with projection (LSTMP)"
    FAMILY: ClassVar[str] = "lstmp"
    GATES: ClassVar[tuple[str, ...]] = LSTM.GATES
    SIGMOID: ClassVar[tuple[str, ...]] = LSTM.SIGMOID
    FUSED: ClassVar[tuple[str, ...]] = LSTM.FUSED
    HAS_CELL: ClassVar[bool] = True
    PROJECTED: ClassVar[bool] = True
    SHOWN: ClassVar[tuple[str, ...]] = ("forget", "input", "candidate", "output", "cell", "unprojected", "hidden")
    KEEP: ClassVar[tuple[str, int]] = ("forget", +1)  # f_t: the share of C_{t-1} carried into C_t
    EXTRA: ClassVar[dict[str, tuple[str, ...]]] = {"projection": ("hidden",)}
    GATE_INFO: ClassVar[dict[str, GateInfo]] = {
        **LSTM.GATE_INFO,
        "unprojected": GateInfo("unprojected", "m_t", "m_t", "tanh", "units' output (before the projection)",
                                "o_t ∗ tanh(C_t), what W_hr maps to h_t"),
        "hidden": GateInfo("hidden", "h_t", "h_t", "unbounded", "hidden state (the projected output)",
                           "W_hr·m_t: P numbers, not squashed"),
    }
    EQUATIONS: ClassVar[tuple[str, ...]] = (*LSTM.EQUATIONS[:5], r"m_t = o_t * \tanh(C_t)", r"h_t = W_{hr} \cdot m_t")
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        *LSTM.NUMBERS[:5],
        ("m_t", r"%{output:f} \cdot \tanh(%{cell})", "unprojected"),
        ("h_t", r"%{unprojected_norm} \cdot %{projected_along:f}", "hidden"),
    )
    NOTE: ClassVar[str] = ("An LSTM whose output m_t = o_t ∗ tanh(C_t) (H units) is mapped by W_hr to a shorter h_t "
                           "(P numbers), which the gates read back. h_t has no unit of its own past P: for a unit "
                           "u ≥ P the numbers show h_t's last row. Its h_t line writes W_hr·m_t as |m_t| (the "
                           "length of m_t) times W_hr's row along m_t's direction.")
    diagram = staticmethod(_diagram)

    @classmethod
    def derived(cls, values: Arrays, pre: Arrays) -> Arrays:
        """W_hr·m_t written as two numbers: |m_t| = sqrt(Σ_u m_t[u]²), the length of what W_hr projects ((T, 1)
        or (1,): one a step), times W_hr's rows along m_t's direction, W_hr·(m_t/|m_t|) ((T, P) or (P,); 0 when
        m_t = 0), so that h_t = |m_t| · W_hr·(m_t/|m_t|) holds number by number."""
        norm = np.linalg.norm(values["unprojected"], axis=-1, keepdims=True)  # (T, 1)
        hidden = values["hidden"]  # (T, P)
        along = np.divide(hidden, norm, out=np.zeros_like(hidden), where=norm > 0)  # (T, P)
        return {"unprojected_norm": norm, "projected_along": along}

    # ----- sizes ---------------------------------------------------------------------------------
    def _state_width(self, hidden: int) -> int:
        given = self.projection
        if not isinstance(given, dict) or set(given) != {"hidden"}:
            got = sorted(given) if isinstance(given, dict) else type(given).__name__
            raise ValueError(f"projection weights: expected {{'hidden': W_hr of shape (P, {hidden})}}, got {got}")
        shape = np.shape(given["hidden"])
        if len(shape) != 2 or shape[1] != hidden or not 1 <= shape[0] <= hidden:
            raise ValueError(f"hidden projection weights: expected (P, {hidden}) with 1 ≤ P ≤ {hidden}, "
                             f"got {shape}")
        return int(shape[0])

    @classmethod
    def default_state_size(cls, hidden_size: int) -> int:
        return max(1, hidden_size // 2)

    @classmethod
    def extra_shape(cls, field: str, hidden_size: int, state_size: int) -> tuple[int, int]:
        return (state_size, hidden_size)

    # ----- the maths ------------------------------------------------------------------------------
    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        f = self.sigma(a["forget"])  # f_t
        i = self.sigma(a["input"])  # i_t
        g = np.tanh(a["candidate"])  # C̃_t
        c = f * c_p + i * g  # C_t = f_t*C_{t-1} + i_t*C̃_t
        o = self.sigma(a["output"])  # o_t
        tc = np.tanh(c)
        m = o * tc  # m_t = o_t*tanh(C_t), (·, H)
        h = m @ self.projection["hidden"].T  # h_t = W_hr·m_t, (·, P)
        return a, {"forget": f, "input": i, "candidate": g, "output": o, "cell": c, "cell_tanh": tc,
                   "unprojected": m, "hidden": h}

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, None, np.ndarray]:
        r"""dm = W_hrᵀ·dh; then the LSTM's step with dm in place of dh: do = dm·tanh(C), da_o = do·σ'(a_o);
        dC += dm·o·(1 - tanh²C); da_f = dC·C_p·σ'(a_f), da_i = dC·C̃·σ'(a_i), da_C̃ = dC·i·(1 - C̃²); dC_p = dC·f."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, i, g, o, tc = v["forget"], v["input"], v["candidate"], v["output"], v["cell_tanh"]
        dm = dh @ self.projection["hidden"]  # (·, H)
        da_o = (dm * tc) * ds(o)
        dc = dc + dm * o * (1.0 - tc * tc)
        da = {"forget": (dc * c_p) * ds(f), "input": (dc * g) * ds(i),
              "candidate": (dc * i) * (1.0 - g * g), "output": da_o}
        return da, {}, None, dc * f

    def extra_gradients(self, da: Arrays, values: Arrays, previous_cell: np.ndarray | None, dh: np.ndarray
                        ) -> Arrays:
        """∂L/∂W_hr = Σ_t dh_t ⊗ m_t, (P, H)."""
        P, H = self.state_size, self.hidden_size
        return {"projection": {"hidden": dh.reshape(-1, P).T @ values["unprojected"].reshape(-1, H)}}

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        r"""s = [h (P), C (H)]. ∂C/∂h_p = diag(C_p σ'_f)W_f + diag(C̃ σ'_i)W_i + diag(i(1 - C̃²))W_C (H, P),
        ∂C/∂C_p = diag(f); ∂m/∂· = diag(tanh(C) σ'_o)·∂a_o/∂· + diag(o(1 - tanh²C))·∂C/∂· with
        ∂a_o/∂h_p = W_o, ∂a_o/∂C_p = 0; and ∂h/∂· = W_hr·∂m/∂·."""
        ds = self.sigma.derivative  # σ'(a) from σ(a)
        f, i, g, o, tc, cp = (a[..., None] for a in (v["forget"], v["input"], v["candidate"], v["output"],
                                                      v["cell_tanh"], c_p))
        H, P = c_p.shape[-1], h_p.shape[-1]
        W_hr = self.projection["hidden"]  # (P, H)
        dC_dh = cp * ds(f) * W["forget"] + g * ds(i) * W["input"] + i * (1 - g * g) * W["candidate"]
        dC_dc = f * np.eye(H)
        dm_dh = tc * ds(o) * W["output"] + o * (1 - tc * tc) * dC_dh  # (H, P)
        dm_dc = o * (1 - tc * tc) * dC_dc  # (H, H)
        out = np.empty((*c_p.shape[:-1], P + H, P + H))  # (S, S), or (T, S, S) for every step at once
        out[..., :P, :P], out[..., :P, P:] = W_hr @ dm_dh, W_hr @ dm_dc
        out[..., P:, :P], out[..., P:, P:] = dC_dh, dC_dc
        return out

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        T, _, H = pre.shape
        P = self.state_size
        W_h = self._recurrent_weights(self.FUSED)  # (P, 4H): o, i, f, C̃
        hard, scale = self.sigma.hard, self.sigma.scale
        W_h[:, : 3 * H] *= scale  # σ(a) = 0.5·tanh(a/2) + 0.5 (a hard σ folds nothing in)
        W_hr = np.ascontiguousarray(self.projection["hidden"].T)  # (H, P)
        pre[:, :3] *= scale
        flat = pre.reshape(T, 4 * H)
        rows = np.empty((T, 7 * H + P), pre.dtype)  # every step's [o, i, f, C̃, C, tanh(C), m, h]
        s = np.empty(7 * H + P, pre.dtype)  # the current step's row
        gates, sig, i_f, cand_c = s[: 4 * H], s[: 3 * H], s[H : 3 * H], s[3 * H : 5 * H]
        o, c, c_tanh, m, h = s[:H], s[4 * H : 5 * H], s[5 * H : 6 * H], s[6 * H : 7 * H], s[7 * H :]
        rec, products = np.empty(4 * H, pre.dtype), np.empty(2 * H, pre.dtype)
        i_cand, f_c = products[:H], products[H:]
        half = np.full(3 * H, 0.5, pre.dtype)
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
            np.multiply(o, c_tanh, m)  # m_t = o_t*tanh(C_t)
            np.dot(m, W_hr, h)  # h_t = W_hr·m_t
            rows[t] = s
        pre[:, :3] /= scale
        return {"forget": rows[:, 2 * H : 3 * H], "input": rows[:, H : 2 * H], "candidate": rows[:, 3 * H : 4 * H],
                "output": rows[:, :H], "cell": rows[:, 4 * H : 5 * H], "cell_tanh": rows[:, 5 * H : 6 * H],
                "unprojected": rows[:, 6 * H : 7 * H], "hidden": rows[:, 7 * H :]}
