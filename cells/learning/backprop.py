"""Backpropagation through time for every cell kind, for bidirectional layers and stacks.

The maths of each kind (its reference step and its backward step) lives in the kind's module;
this file runs them over a batch and sums the gradients.

Training reads a batch of B sequences of equal length T at once. ``forward`` is the engine's
``Cell.run`` for a batch (the same equations, proven equal per sequence by a test); it keeps every
value the backward pass needs. ``backward`` walks the steps from last to first and returns the
gradient of the loss with respect to every parameter, in the cell's own structure::

    {"weights": {gate: (H, P + I)}, "biases": {gate: (H,)},
     "hidden_biases": {gate: (H,)} (when the cell has them), "peepholes": {gate: (H, H)} (peephole cells),
     "projection": {"hidden": (P, H)} (the LSTM with projections)}

(H units; P = the width of h_t, which is H except for a cell with a projection.)

so an optimiser can update a cell with ``dataclasses.replace(cell, **new)``. Inside, arrays are
time-major, (T, B, ·): one step is one contiguous slice.

Notation of the backward pass: ``dX`` is ∂L/∂X; a_g is gate g's pre-activation; h_p and C_p are
h_{t-1} and C_{t-1}. σ'(a) = σ(1 - σ), tanh'(a) = 1 - tanh². The gradient reaching h_t is what the
loss sends at step t plus what step t+1 sends back (and likewise for C_t).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cells.cell import Cell, StepParts
from cells.layers import Layer, Network
from cells.learning.readout import Readout, loss_and_gradient

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

    ``steps[t]`` and ``pres[t]`` are what the kind's reference step returned at step t (values and
    pre-activations, each (B, H)); ``values`` and ``pre`` stack them, (T, B, H) per name, as the
    engine's Trace names them. ``previous_hidden``/``previous_cell`` are h_{t-1} (T, B, P) and C_{t-1} (T, B, H).
    """

    cell: Cell
    inputs: np.ndarray  # (T, B, I)
    steps: tuple[dict[str, np.ndarray], ...]
    pres: tuple[dict[str, np.ndarray], ...]
    output: np.ndarray  # (T, B, P): h_t for every step
    previous_hidden: np.ndarray  # (T, B, P)
    previous_cell: np.ndarray | None  # (T, B, H)

    @cached_property
    def values(self) -> dict[str, np.ndarray]:
        return {name: self.value(name) for name in self.steps[0]}

    def value(self, name: str) -> np.ndarray:
        """One recorded value for every step, (T, B, H) ((T, B, P) for h_t)."""
        return self.output if name == "hidden" else np.stack([v[name] for v in self.steps])

    @cached_property
    def pre(self) -> dict[str, np.ndarray]:
        return {g: np.stack([a[g] for a in self.pres]) for g in self.cell.GATES}


def _split(cell: Cell) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fused views in GATES order: input weights (I, G·H), recurrent weights (G·H, P) and biases (G·H,).

    Every bias is the cell's own ``_bias`` (b_g plus b_hg where the kind folds it in).
    """
    P = cell.state_size
    W_x = np.concatenate([cell.weights[g][:, P:] for g in cell.GATES]).T  # (I, G·H)
    W_h = np.concatenate([cell.weights[g][:, :P] for g in cell.GATES])  # (G·H, P)
    b = np.concatenate([cell._bias(g) for g in cell.GATES])  # (G·H,)
    return np.ascontiguousarray(W_x), np.ascontiguousarray(W_h), b


def _hidden_columns(cell: Cell) -> dict[str, np.ndarray]:
    """Every gate's hidden columns, (H, P) each, contiguous."""
    P = cell.state_size
    return {g: np.ascontiguousarray(cell.weights[g][:, :P]) for g in cell.GATES}


def _columns(cell: Cell, gates: tuple[str, ...]) -> slice | np.ndarray:
    """The columns of ``gates`` in a (·, G·H) array in GATES order: a slice when they sit side by side."""
    H, k = cell.hidden_size, [cell.GATES.index(g) for g in gates]
    if k == list(range(k[0], k[0] + len(k))):
        return slice(k[0] * H, (k[-1] + 1) * H)
    return np.concatenate([np.arange(j * H, (j + 1) * H) for j in k])


def forward(cell: Cell, xs: np.ndarray, initial: tuple[np.ndarray, np.ndarray | None] | None = None
            ) -> BatchRecord:
    """Run ``cell`` over a batch xs, (B, T, I), from zero states (or ``initial`` = (h_0 (B, P), C_0 (B, H) or
    None)); the same numbers as ``cell.run`` on each sequence, with everything the backward pass needs."""
    xs = np.asarray(xs, dtype=cell.dtype)
    if xs.ndim != 3 or xs.shape[2] != cell.input_size:
        raise ValueError(f"inputs: expected (batch, steps, {cell.input_size}), got shape {xs.shape}")
    return _forward_tm(cell, np.ascontiguousarray(xs.transpose(1, 0, 2)), initial)


def _forward_tm(cell: Cell, xs: np.ndarray, initial: tuple[np.ndarray, np.ndarray | None] | None = None
                ) -> BatchRecord:
    """``forward`` on time-major inputs xs, (T, B, I): the kind's ``reference_step`` at every step, from zero
    states or from ``initial`` = (h_0 (B, P), C_0 (B, H) or None)."""
    T, B, _ = xs.shape
    H, P = cell.hidden_size, cell.state_size
    W_x, _, b = _split(cell)
    proj = xs @ W_x + b  # (T, B, G·H): every gate's input part and bias, all steps at once
    gate = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(cell.GATES)}
    W = _hidden_columns(cell)
    groups = [(group, _columns(cell, group), np.ascontiguousarray(np.concatenate([W[g] for g in group]).T))
              for group in cell.RECURRENT]  # the gates whose W·h_{t-1} is one product, (P, len·H)
    h_p = np.zeros((B, P), cell.dtype) if initial is None else initial[0]  # h_0
    c_p = (np.zeros((B, H), cell.dtype) if initial is None else initial[1]) if cell.HAS_CELL else None  # C_0
    h_0, c_0 = h_p, c_p
    pres: list[dict[str, np.ndarray]] = []
    steps: list[dict[str, np.ndarray]] = []
    hs = np.empty((T, B, P), cell.dtype)
    for t in range(T):
        xw = {g: proj[t, :, gate[g]] for g in cell.GATES}
        a, hw = {}, {}
        for group, columns, W_group in groups:
            product = h_p @ W_group  # (B, len·H): W_g's hidden columns times h_{t-1}
            summed = proj[t, :, columns] + product  # W_g·[h_{t-1}, x_t] + b_g
            for k, g in enumerate(group):
                a[g], hw[g] = summed[:, k * H : (k + 1) * H], product[:, k * H : (k + 1) * H]
        pre, v = cell.reference_step(a, h_p, c_p, StepParts(xw, hw, W))
        pres.append(pre)
        steps.append(v)
        hs[t] = h_p = v["hidden"]
        c_p = v.get("cell")
    previous_cell = np.stack([c_0, *(v["cell"] for v in steps[:-1])]) if cell.HAS_CELL else None  # (T, B, H)
    previous_hidden = np.concatenate([h_0[None], hs[:-1]])  # (T, B, P)
    return BatchRecord(cell, xs, tuple(steps), tuple(pres), hs, previous_hidden, previous_cell)


@dataclass(frozen=True, eq=False)
class StateGradients:
    """What one backward pass through a cell sends to every step (time-major, reading order): ∂L/∂a_g for
    every gate side by side in GATES order, ``da`` (T, B, G·H), and ``dr`` where a kind's recurrent product
    differs (else ``da`` itself); all that reaches h_t, ``dh`` (T, B, P), and C_t, ``dc`` (T, B, H) or None."""

    da: np.ndarray
    dr: np.ndarray
    dh: np.ndarray
    dc: np.ndarray | None

    def inputs(self, cell: Cell) -> np.ndarray:
        """∂L/∂x_t = Σ_g da_g·W_g's input columns, (T, B, I)."""
        return self.da @ _split(cell)[0].T


def backward_states(record: BatchRecord, dh_out: np.ndarray, dc_out: np.ndarray | None = None) -> StateGradients:
    r"""Walk the steps from last to first with the kind's ``backward_step``, given ∂L/∂h_t from outside at every
    step, dh_out (T, B, P), and ∂L/∂C_t, dc_out (T, B, H), where the loss reads the cell state itself.

    With dh = dh_out_t + (what step t+1 sends to h_t), and dC likewise, the kind's ``backward_step``
    gives ∂L/∂a_g for every gate (and what reaches h_{t-1} and C_{t-1}); this adds what goes back
    through the hidden columns of the gates that read h_{t-1} (Σ_g da_g·W_hg, one product per group).
    """
    cell = record.cell
    T, B, P = record.output.shape
    H = cell.hidden_size
    W = _hidden_columns(cell)
    groups = [(_columns(cell, group), np.concatenate([W[g] for g in group])) for group in cell.RECURRENT]
    h_prev, c_prev = record.previous_hidden, record.previous_cell
    da_rows: list[np.ndarray] = [None] * T  # ∂L/∂a for every gate, step and sequence: (B, G·H) per step
    dr_rows: list[np.ndarray] = [None] * T  # ∂L/∂(hidden columns · their input), the same where a kind's is
    dh_next = np.zeros((B, P), cell.dtype)
    dc_next = np.zeros((B, H), cell.dtype) if cell.HAS_CELL else None
    dh_rows: list[np.ndarray] = [None] * T  # ∂L/∂h_t, all that reaches it: (B, P) per step
    dc_rows: list[np.ndarray] = [None] * T  # ∂L/∂C_t likewise, (B, H) per step
    for t in range(T - 1, -1, -1):
        dh_rows[t] = dh = dh_out[t] + dh_next  # (B, P)
        if dc_next is not None and dc_out is not None:
            dc_next = dc_next + dc_out[t]
        dc_rows[t] = dc_next
        d_a, d_r, dh_p, dc_next = cell.backward_step(record.steps[t], h_prev[t],
                                                      None if c_prev is None else c_prev[t], dh, dc_next, W)
        da_rows[t] = np.concatenate([d_a[g] for g in cell.GATES], axis=1)
        dr_rows[t] = np.concatenate([d_r.get(g, d_a[g]) for g in cell.GATES], axis=1) if d_r else da_rows[t]
        for columns, W_group in groups:
            back = dr_rows[t][:, columns] @ W_group  # (B, P)
            dh_p = back if dh_p is None else dh_p + back
        dh_next = dh_p
    da = np.stack(da_rows)  # (T, B, G·H)
    dr = np.stack(dr_rows) if any(r is not a for r, a in zip(dr_rows, da_rows, strict=True)) else da
    return StateGradients(da, dr, np.stack(dh_rows), np.stack(dc_rows) if cell.HAS_CELL else None)


def backward(record: BatchRecord, dh_out: np.ndarray) -> tuple[Params, np.ndarray]:
    r"""Gradients of the loss for one cell, given ∂L/∂h_t from above at every step, dh_out (T, B, P).

    Returns (the parameter gradients in the cell's structure, ∂L/∂x_t (T, B, I)). With
    dh = dh_out_t + (what step t+1 sends to h_t), and dC likewise, the kind's ``backward_step``
    gives ∂L/∂a_g for every gate (and what reaches h_{t-1} and C_{t-1}); this adds what goes back
    through the hidden columns of the gates that read h_{t-1} (Σ_g da_g·W_hg, one product per group).

    Every weight gradient is then a sum over steps and sequences: dW_g = Σ da_g ⊗ [input of the
    recurrent part (h_p, or what RECURRENT_INPUT names), x_t]; b_g gets Σ da_g, a recurrent bias
    Σ dr_g (equal to da_g except where the kind says otherwise, as PyTorch's b_hn).
    """
    cell = record.cell
    T, B, P = record.output.shape
    H, G = cell.hidden_size, len(cell.GATES)
    gate = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(cell.GATES)}
    h_prev, c_prev = record.previous_hidden, record.previous_cell
    states = backward_states(record, dh_out)
    da, dr = states.da, states.dr

    # Sums over steps and sequences, one matmul per distinct recurrent input
    flat_da, flat_dr = da.reshape(T * B, G * H), dr.reshape(T * B, G * H)
    dW_x = flat_da.T @ record.inputs.reshape(T * B, -1)  # (G·H, I)
    dW_h = flat_dr.T @ h_prev.reshape(T * B, P)  # (G·H, P), right for every gate that reads h_p
    db, db_h = flat_da.sum(axis=0), flat_dr.sum(axis=0)  # (G·H,)
    weights, biases = {}, {}
    for g in cell.GATES:
        rec = dW_h[gate[g]]
        if g in cell.RECURRENT_INPUT:
            rec = flat_dr[:, gate[g]].T @ record.value(cell.RECURRENT_INPUT[g]).reshape(T * B, P)
        weights[g] = np.concatenate([rec, dW_x[gate[g]]], axis=1)  # (H, P + I) over [h_{t-1}, x_t]
        biases[g] = db[gate[g]]
    grads: Params = {"weights": weights, "biases": biases}
    if cell.hidden_biases is not None:
        grads["hidden_biases"] = {g: db_h[gate[g]] for g in cell.GATES if g in cell.hidden_biases}
    if cell.EXTRA:
        grads.update(cell.extra_gradients({g: da[:, :, gate[g]] for g in cell.GATES}, record.values, c_prev,
                                          states.dh))
    dxs = states.inputs(cell)  # (T, B, I)
    return grads, dxs


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
        h = np.concatenate([fwd.output, bwd.output[::-1]], axis=2)  # (T, B, 2P)
    return NetworkRecord(network, tuple(records), h)


def network_backward(record: NetworkRecord, d_out: np.ndarray) -> tuple[NetworkParams, np.ndarray]:
    """Gradients for every layer and direction, given ∂L/∂output, d_out (T, B, D·P) in input order.

    Layer k's input gradient is layer k-1's output gradient; a backward direction's gradients are
    flipped into its reading order and back. Returns (layer -> direction -> Params, ∂L/∂x (T, B, I)).
    """
    grads = []
    d = d_out
    for recs in reversed(record.layers):
        P = recs[0].output.shape[2]  # the width of one direction's h_t
        g_fwd, dx = backward(recs[0], np.ascontiguousarray(d[:, :, :P]))
        if len(recs) == 1:
            grads.append((g_fwd,))
        else:
            g_bwd, dx_b = backward(recs[1], np.ascontiguousarray(d[::-1, :, P:]))
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
