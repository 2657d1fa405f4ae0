"""Backpropagation through time for every cell kind, for bidirectional layers and stacks.

Training reads a batch of B sequences of equal length T at once. ``forward`` is the engine's
``Cell.run`` for a batch (the same equations, proven equal per sequence by a test); it keeps every
value the backward pass needs. ``backward`` walks the steps from last to first and returns the
gradient of the loss with respect to every parameter, in the cell's own structure::

    {"weights": {gate: (H, H + I)}, "biases": {gate: (H,)},
     "hidden_biases": {gate: (H,)} (when the cell has them), "peepholes": {gate: (H, H)} (peephole cells)}

so an optimiser can update a cell with ``dataclasses.replace(cell, **new)``. Inside, arrays are
time-major, (T, B, ·): one step is one contiguous slice.

Notation of the backward pass: ``dX`` is ∂L/∂X; a_g is gate g's pre-activation; h_p and C_p are
h_{t-1} and C_{t-1}. σ'(a) = σ(1 - σ), tanh'(a) = 1 - tanh². The gradient reaching h_t is what the
loss sends at step t plus what step t+1 sends back (and likewise for C_t).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cells.activations import sigmoid
from cells.cell import Cell
from cells.gru import GRU, GRUResetAfter
from cells.layers import Layer, Network
from cells.learning.readout import Readout, loss_and_gradient
from cells.lstm import CoupledLSTM, PeepholeLSTM

Params = dict[str, dict[str, np.ndarray]]  # field -> gate -> array, as the cell stores them
NetworkParams = tuple[tuple[Params, ...], ...]  # layer -> direction -> Params


# ----- parameters as plain dicts ------------------------------------------------------------------
def with_parameters(cell: Cell, params: Params) -> Cell:
    """A copy of ``cell`` holding ``params`` (same structure as ``cell.parameters()``); checked by the cell."""
    return dataclasses.replace(cell, **{field: dict(per_gate) for field, per_gate in params.items()})


def network_parameters(network: Network) -> NetworkParams:
    return tuple(tuple(c.parameters() for c in layer.cells) for layer in network.layers)


def network_with(network: Network, params: NetworkParams) -> Network:
    """A copy of ``network`` holding ``params`` (layer -> direction -> Params)."""
    layers = []
    for layer, per_dir in zip(network.layers, params, strict=True):
        cells = [with_parameters(c, p) for c, p in zip(layer.cells, per_dir, strict=True)]
        layers.append(Layer(*cells))
    return Network(tuple(layers))


# ----- one cell, a batch of sequences -------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BatchRecord:
    """One cell's forward pass over a batch, in reading order; every array is time-major.

    ``pre`` and ``values`` hold the same names as the engine's Trace (each (T, B, H));
    ``previous_hidden``/``previous_cell`` are h_{t-1}/C_{t-1} for every step (T, B, H).
    """

    cell: Cell
    inputs: np.ndarray  # (T, B, I)
    pre: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    previous_hidden: np.ndarray  # (T, B, H)
    previous_cell: np.ndarray | None  # (T, B, H)

    @property
    def output(self) -> np.ndarray:
        return self.values["hidden"]  # (T, B, H)


def _split(cell: Cell) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fused views in GATES order: input weights (I, G·H), recurrent weights (G·H, H) and biases (G·H,).

    Every bias includes the recurrent bias b_h*, except the reset-after GRU's candidate, whose b_hn
    sits inside the reset product.
    """
    H = cell.hidden_size
    W_x = np.concatenate([cell.weights[g][:, H:] for g in cell.GATES]).T  # (I, G·H)
    W_h = np.concatenate([cell.weights[g][:, :H] for g in cell.GATES])  # (G·H, H)
    hb = cell.hidden_biases or {}
    b = np.concatenate([cell.biases[g] + (hb[g] if g in hb and not (isinstance(cell, GRUResetAfter)
                                                                      and g == "candidate") else 0.0)
                        for g in cell.GATES])  # (G·H,)
    return np.ascontiguousarray(W_x), np.ascontiguousarray(W_h), b


def forward(cell: Cell, xs: np.ndarray) -> BatchRecord:
    """Run ``cell`` over a batch xs, (B, T, I), from zero states; the same numbers as ``cell.run``
    on each sequence, with everything the backward pass needs."""
    xs = np.asarray(xs, dtype=cell.dtype)
    if xs.ndim != 3 or xs.shape[2] != cell.input_size:
        raise ValueError(f"inputs: expected (batch, steps, {cell.input_size}), got shape {xs.shape}")
    return _forward_tm(cell, np.ascontiguousarray(xs.transpose(1, 0, 2)))


def _forward_tm(cell: Cell, xs: np.ndarray) -> BatchRecord:
    """``forward`` on time-major inputs xs, (T, B, I)."""
    T, B, _ = xs.shape
    H, G = cell.hidden_size, len(cell.GATES)
    W_x, W_h, b = _split(cell)
    proj = xs @ W_x + b  # (T, B, G·H): every gate's input part and bias, all steps at once
    pre = np.empty((T, B, G * H), cell.dtype)  # filled step by step
    hs = np.empty((T + 1, B, H), cell.dtype)  # h_0 (zeros), h_1 .. h_T
    hs[0] = 0.0
    W_hT = np.ascontiguousarray(W_h.T)  # (H, G·H)
    gate = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(cell.GATES)}
    values: dict[str, np.ndarray] = {}
    cs = None

    if cell.FAMILY == "lstm":
        coupled, peep = isinstance(cell, CoupledLSTM), isinstance(cell, PeepholeLSTM)
        cs = np.empty((T + 1, B, H), cell.dtype)  # C_0 (zeros), C_1 .. C_T
        cs[0] = 0.0
        names = ("forget", "input", "candidate", "output", "cell_tanh")
        v = {n: np.empty((T, B, H), cell.dtype) for n in names}
        if peep:
            P_fT, P_iT, P_oT = (np.ascontiguousarray(cell.peepholes[g].T) for g in ("forget", "input", "output"))
        for t in range(T):
            a = pre[t]
            np.add(proj[t], hs[t] @ W_hT, a)  # (B, G·H): W·[h_{t-1}, x_t] + b
            if peep:
                a[:, gate["forget"]] += cs[t] @ P_fT  # + P_f·C_{t-1}
                a[:, gate["input"]] += cs[t] @ P_iT  # + P_i·C_{t-1}
            f = sigmoid(a[:, gate["forget"]], v["forget"][t])  # (B, H)
            i = (np.subtract(1.0, f, v["input"][t]) if coupled  # coupled: i_t = 1 - f_t
                 else sigmoid(a[:, gate["input"]], v["input"][t]))
            g = np.tanh(a[:, gate["candidate"]], v["candidate"][t])
            c = np.add(f * cs[t], i * g, cs[t + 1])  # C_t = f_t*C_{t-1} + i_t*C̃_t
            if peep:
                a[:, gate["output"]] += c @ P_oT  # + P_o·C_t
            o = sigmoid(a[:, gate["output"]], v["output"][t])
            tc = np.tanh(c, v["cell_tanh"][t])
            np.multiply(o, tc, hs[t + 1])  # h_t = o_t*tanh(C_t)
        values = {"forget": v["forget"], "input": v["input"], "candidate": v["candidate"], "output": v["output"],
                  "cell": cs[1:], "cell_tanh": v["cell_tanh"], "hidden": hs[1:]}

    elif isinstance(cell, GRUResetAfter):
        zr = slice(0, 2 * H)
        W_zrT, W_nT = W_hT[:, zr], np.ascontiguousarray(W_hT[:, gate["candidate"]])  # (H, 2H), (H, H)
        b_hn = (cell.hidden_biases or {}).get("candidate", np.zeros(H, cell.dtype))  # (H,)
        v = {n: np.empty((T, B, H), cell.dtype) for n in ("update", "reset", "candidate_hidden", "candidate")}
        for t in range(T):
            a, h_p = pre[t], hs[t]
            np.add(proj[t, :, zr], h_p @ W_zrT, a[:, zr])
            z = sigmoid(a[:, gate["update"]], v["update"][t])  # share of the old state kept
            r = sigmoid(a[:, gate["reset"]], v["reset"][t])
            hn = np.add(h_p @ W_nT, b_hn, v["candidate_hidden"][t])  # W_hn·h_{t-1} + b_hn
            np.add(proj[t, :, gate["candidate"]], r * hn, a[:, gate["candidate"]])
            n = np.tanh(a[:, gate["candidate"]], v["candidate"][t])
            np.add((1.0 - z) * n, z * h_p, hs[t + 1])  # h_t = (1 - z_t)*n_t + z_t*h_{t-1}
        values = {"update": v["update"], "reset": v["reset"], "candidate_hidden": v["candidate_hidden"],
                  "candidate": v["candidate"], "hidden": hs[1:]}

    elif isinstance(cell, GRU):
        zr = slice(0, 2 * H)
        W_zrT, W_cT = W_hT[:, zr], np.ascontiguousarray(W_hT[:, gate["candidate"]])
        v = {n: np.empty((T, B, H), cell.dtype) for n in ("update", "reset", "reset_hidden", "candidate")}
        for t in range(T):
            a, h_p = pre[t], hs[t]
            np.add(proj[t, :, zr], h_p @ W_zrT, a[:, zr])
            z = sigmoid(a[:, gate["update"]], v["update"][t])
            r = sigmoid(a[:, gate["reset"]], v["reset"][t])
            rh = np.multiply(r, h_p, v["reset_hidden"][t])  # r_t*h_{t-1}
            np.add(proj[t, :, gate["candidate"]], rh @ W_cT, a[:, gate["candidate"]])
            n = np.tanh(a[:, gate["candidate"]], v["candidate"][t])
            if cell.Z_KEEPS_OLD:
                np.add(z * h_p, (1.0 - z) * n, hs[t + 1])  # h_t = z_t*h_{t-1} + (1 - z_t)*h̃_t
            else:
                np.add((1.0 - z) * h_p, z * n, hs[t + 1])  # h_t = (1 - z_t)*h_{t-1} + z_t*h̃_t
        values = {"update": v["update"], "reset": v["reset"], "reset_hidden": v["reset_hidden"],
                  "candidate": v["candidate"], "hidden": hs[1:]}

    else:  # plain RNN
        for t in range(T):
            np.add(proj[t], hs[t] @ W_hT, pre[t])
            np.tanh(pre[t], hs[t + 1])  # h_t = tanh(W·[h_{t-1}, x_t] + b)
        values = {"hidden": hs[1:]}

    pre_by_gate = {g: pre[:, :, gate[g]] for g in cell.GATES}
    return BatchRecord(cell, xs, pre_by_gate, values, hs[:-1], None if cs is None else cs[:-1])


def backward(record: BatchRecord, dh_out: np.ndarray) -> tuple[Params, np.ndarray]:
    r"""Gradients of the loss for one cell, given ∂L/∂h_t from above at every step, dh_out (T, B, H).

    Returns (the parameter gradients in the cell's structure, ∂L/∂x_t (T, B, I)). With
    dh = dh_out_t + (what step t+1 sends to h_t), and dC likewise, step t sends back:

    LSTM (coupled: i = 1 - f, so df = dC·(C_p - C̃) and dC̃ = dC·(1 - f)):
        do = dh·tanh(C)          da_o = do·σ'(a_o)
        dC += dh·o·(1 - tanh²C)  (+ da_o·P_o for peepholes)
        da_f = dC·C_p·σ'(a_f)    da_i = dC·C̃·σ'(a_i)    da_C̃ = dC·i·(1 - C̃²)
        dC_p = dC·f              (+ da_f·P_f + da_i·P_i)
        dh_p = Σ_g da_g·W_hg
    GRU, deck (z = share of the new): h = (1 - z)·h_p + z·h̃, h̃ = tanh(W_x x + W_h (r·h_p) + b)
        dh̃ = dh·z  dz = dh·(h̃ - h_p)  dh_p = dh·(1 - z)   (Keras v1: z and 1 - z swap roles)
        da_h̃ = dh̃·(1 - h̃²)   d(r·h_p) = da_h̃·W_hh̃   dr = d(r·h_p)·h_p   dh_p += d(r·h_p)·r
        dh_p += da_z·W_hz + da_r·W_hr
    GRU, reset after (PyTorch): h = (1 - z)·n + z·h_p, n = tanh(W_in x + b_in + r·(W_hn h_p + b_hn))
        dn = dh·(1 - z)  dz = dh·(h_p - n)  dh_p = dh·z  da_n = dn·(1 - n²)
        dr = da_n·(W_hn h_p + b_hn)   d(W_hn h_p + b_hn) = da_n·r  -> db_hn, dW_hn, dh_p
    RNN: da = dh·(1 - h²), dh_p = da·W_h.

    Every weight gradient is then a sum over steps and sequences: dW_g = Σ da_g ⊗ [input of the
    recurrent part (h_p, or r·h_p for the deck GRU's candidate), x_t].
    """
    cell = record.cell
    T, B, H = record.output.shape
    G = len(cell.GATES)
    _, W_h, _ = _split(cell)  # (G·H, H)
    gate = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(cell.GATES)}
    da = np.empty((T, B, G * H), cell.dtype)  # ∂L/∂a for every gate, step and sequence
    V, h_prev = record.values, record.previous_hidden
    dh_next = np.zeros((B, H), cell.dtype)
    grads: Params = {}

    if cell.FAMILY == "lstm":
        coupled, peep = isinstance(cell, CoupledLSTM), isinstance(cell, PeepholeLSTM)
        c_prev = record.previous_cell
        dc_next = np.zeros((B, H), cell.dtype)
        if peep:
            P_f, P_i, P_o = (cell.peepholes[g] for g in ("forget", "input", "output"))
        for t in range(T - 1, -1, -1):
            f, i, g, o = V["forget"][t], V["input"][t], V["candidate"][t], V["output"][t]
            tc = V["cell_tanh"][t]
            dh = dh_out[t] + dh_next  # (B, H)
            d = da[t]
            da_o = np.multiply(dh * tc, o * (1.0 - o), d[:, gate["output"]])
            dc = dc_next + dh * o * (1.0 - tc * tc)
            if peep:
                dc += da_o @ P_o
            if coupled:
                da_f = np.multiply(dc * (c_prev[t] - g), f * (1.0 - f), d[:, gate["forget"]])
                np.multiply(dc * (1.0 - f), 1.0 - g * g, d[:, gate["candidate"]])
            else:
                da_f = np.multiply(dc * c_prev[t], f * (1.0 - f), d[:, gate["forget"]])
                da_i = np.multiply(dc * g, i * (1.0 - i), d[:, gate["input"]])
                np.multiply(dc * i, 1.0 - g * g, d[:, gate["candidate"]])
            dc_next = dc * f
            if peep:
                dc_next += da_f @ P_f + da_i @ P_i
            dh_next = d @ W_h  # (B, H)
        W_rec_in = {g: h_prev for g in cell.GATES}
        if peep:
            cells_now, flat = V["cell"].reshape(-1, H), lambda a: a.reshape(-1, H)
            grads["peepholes"] = {
                "forget": flat(da[:, :, gate["forget"]]).T @ flat(c_prev),  # (H, H)
                "input": flat(da[:, :, gate["input"]]).T @ flat(c_prev),
                "output": flat(da[:, :, gate["output"]]).T @ cells_now,
            }
        db_hidden = {g: None for g in cell.GATES}

    elif isinstance(cell, GRUResetAfter):
        W_zr, W_n = W_h[: 2 * H], W_h[gate["candidate"]]  # (2H, H), (H, H)
        dhn_all = np.empty((T, B, H), cell.dtype)  # ∂L/∂(W_hn h_p + b_hn)
        for t in range(T - 1, -1, -1):
            z, r, n, hn, h_p = V["update"][t], V["reset"][t], V["candidate"][t], V["candidate_hidden"][t], h_prev[t]
            dh = dh_out[t] + dh_next
            d = da[t]
            da_n = np.multiply(dh * (1.0 - z), 1.0 - n * n, d[:, gate["candidate"]])
            np.multiply(dh * (h_p - n), z * (1.0 - z), d[:, gate["update"]])
            np.multiply(da_n * hn, r * (1.0 - r), d[:, gate["reset"]])
            dhn = np.multiply(da_n, r, dhn_all[t])
            dh_next = dh * z + d[:, : 2 * H] @ W_zr + dhn @ W_n
        W_rec_in = {g: h_prev for g in cell.GATES}
        db_hidden = {g: None for g in cell.GATES}
        db_hidden["candidate"] = dhn_all.sum(axis=(0, 1))

    elif isinstance(cell, GRU):
        W_zr, W_c = W_h[: 2 * H], W_h[gate["candidate"]]
        for t in range(T - 1, -1, -1):
            z, r, n, h_p = V["update"][t], V["reset"][t], V["candidate"][t], h_prev[t]
            dh = dh_out[t] + dh_next
            d = da[t]
            if cell.Z_KEEPS_OLD:
                dn, dz, dh_p = dh * (1.0 - z), dh * (h_p - n), dh * z
            else:
                dn, dz, dh_p = dh * z, dh * (n - h_p), dh * (1.0 - z)
            da_n = np.multiply(dn, 1.0 - n * n, d[:, gate["candidate"]])
            drh = da_n @ W_c  # ∂L/∂(r·h_p)
            np.multiply(dz, z * (1.0 - z), d[:, gate["update"]])
            np.multiply(drh * h_p, r * (1.0 - r), d[:, gate["reset"]])
            dh_next = dh_p + drh * r + d[:, : 2 * H] @ W_zr
        W_rec_in = {g: h_prev for g in cell.GATES}
        W_rec_in["candidate"] = V["reset_hidden"]
        db_hidden = {g: None for g in cell.GATES}

    else:  # plain RNN
        hs = V["hidden"]
        for t in range(T - 1, -1, -1):
            dh = dh_out[t] + dh_next
            np.multiply(dh, 1.0 - hs[t] * hs[t], da[t])
            dh_next = da[t] @ W_h
        W_rec_in = {"hidden": h_prev}
        db_hidden = {"hidden": None}

    # Sums over steps and sequences, one matmul per distinct recurrent input
    flat_da = da.reshape(T * B, G * H)
    dW_x = flat_da.T @ record.inputs.reshape(T * B, -1)  # (G·H, I)
    dW_h = flat_da.T @ h_prev.reshape(T * B, H)  # (G·H, H), right for every gate that reads h_p
    db = flat_da.sum(axis=0)  # (G·H,)
    weights, biases = {}, {}
    for g in cell.GATES:
        rec = dW_h[gate[g]]
        if W_rec_in[g] is not h_prev:
            rec = flat_da[:, gate[g]].T @ W_rec_in[g].reshape(T * B, H)
        if isinstance(cell, GRUResetAfter) and g == "candidate":
            rec = dhn_all.reshape(T * B, H).T @ h_prev.reshape(T * B, H)  # dW_hn
        weights[g] = np.concatenate([rec, dW_x[gate[g]]], axis=1)  # (H, H + I) over [h_{t-1}, x_t]
        biases[g] = db[gate[g]]
    grads["weights"], grads["biases"] = weights, biases
    if cell.hidden_biases is not None:
        grads["hidden_biases"] = {g: (biases[g] if db_hidden[g] is None else db_hidden[g])
                                  for g in cell.GATES if g in cell.hidden_biases}
    dxs = da @ _split(cell)[0].T  # (T, B, I)
    order = ("weights", "biases", "hidden_biases", "peepholes")
    return {k: grads[k] for k in order if k in grads}, dxs


# ----- layers and stacks --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NetworkRecord:
    """A network's forward pass over a batch: one BatchRecord per layer and direction (reading order)."""

    network: Network
    layers: tuple[tuple[BatchRecord, ...], ...]
    output: np.ndarray  # (T, B, D·H), the last layer's output in input order


def network_forward(network: Network, xs: np.ndarray) -> NetworkRecord:
    """Every layer over a batch xs, (B, T, I); a backward direction reads each sequence from its end."""
    xs = np.asarray(xs, dtype=network.layers[0].forward.dtype)
    if xs.ndim != 3 or xs.shape[2] != network.input_size:
        raise ValueError(f"inputs: expected (batch, steps, {network.input_size}), got shape {xs.shape}")
    h = np.ascontiguousarray(xs.transpose(1, 0, 2))  # (T, B, I)
    records = []
    for layer in network.layers:
        fwd = _forward_tm(layer.forward, h)
        if layer.backward is None:
            records.append((fwd,))
            h = fwd.output
            continue
        bwd = _forward_tm(layer.backward, np.ascontiguousarray(h[::-1]))
        records.append((fwd, bwd))
        h = np.concatenate([fwd.output, bwd.output[::-1]], axis=2)  # (T, B, 2H)
    return NetworkRecord(network, tuple(records), h)


def network_backward(record: NetworkRecord, d_out: np.ndarray) -> tuple[NetworkParams, np.ndarray]:
    """Gradients for every layer and direction, given ∂L/∂output, d_out (T, B, D·H) in input order.

    Layer k's input gradient is layer k-1's output gradient; a backward direction's gradients are
    flipped into its reading order and back. Returns (layer -> direction -> Params, ∂L/∂x (T, B, I)).
    """
    grads = []
    d = d_out
    for recs in reversed(record.layers):
        H = recs[0].output.shape[2]
        g_fwd, dx = backward(recs[0], np.ascontiguousarray(d[:, :, :H]))
        if len(recs) == 1:
            grads.append((g_fwd,))
        else:
            g_bwd, dx_b = backward(recs[1], np.ascontiguousarray(d[::-1, :, H:]))
            grads.append((g_fwd, g_bwd))
            dx = dx + dx_b[::-1]
        d = dx
    return tuple(reversed(grads)), d


# ----- a network with its readout -----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Gradients:
    """The loss of a batch and its gradient for every parameter of the network and the readout."""

    loss: float
    network: NetworkParams  # layer -> direction -> Params, shaped like network_parameters()
    readout: dict[str, np.ndarray]  # "weights" (K, D), "bias" (K,)
    outputs: np.ndarray  # the readout's y: (B, T, K) for "each", (B, K) for "last"


def loss_and_gradients(network: Network, readout: Readout, xs: np.ndarray, targets: np.ndarray,
                       mask: np.ndarray | None = None) -> Gradients:
    """Forward over a batch xs (B, T, I), the readout and its loss, then BPTT back to every parameter.

        y_t = W_y·h_t + b_y;  dW_y = Σ_t dy_t ⊗ h_t,  db_y = Σ_t dy_t,  dh_t = W_yᵀ·dy_t

    For a readout ``at="last"`` only the last step's output is read, so dh_t = 0 for t < T (for a
    bidirectional top layer that is [h_T forward, h_T backward], like PyTorch's output[-1]).
    ``targets`` and ``mask`` are per sequence and step (B, T, ...) or per sequence (B, ...) for "last".
    """
    record = network_forward(network, xs)
    hs = record.output  # (T, B, D)
    top = hs[-1] if readout.at == "last" else hs.transpose(1, 0, 2)  # (B, D) or (B, T, D)
    y = readout.outputs(top)
    value, dy = loss_and_gradient(readout, y, targets, mask)
    r_grads = {"weights": dy.reshape(-1, dy.shape[-1]).T @ top.reshape(-1, top.shape[-1]),  # (K, D)
               "bias": dy.reshape(-1, dy.shape[-1]).sum(axis=0)}
    d_top = dy @ readout.weights  # (B, D) or (B, T, D)
    d_out = np.zeros_like(hs)
    if readout.at == "last":
        d_out[-1] = d_top
    else:
        d_out[:] = d_top.transpose(1, 0, 2)
    n_grads, _ = network_backward(record, d_out)
    return Gradients(value, n_grads, r_grads, y)
