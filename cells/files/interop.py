"""Weights in and out of PyTorch and Keras layouts, with NumPy only (torch and keras are never imported).

Our cells keep one (H, P + I) matrix per named gate over [h_{t-1}, x_t], hidden columns first
(P = H but for the LSTM with projections). PyTorch and Keras fuse the gates into big matrices, each
in its own gate order and orientation:

    PyTorch nn.LSTM  weight_ih (4H, I), weight_hh (4H, H), rows    i, f, g, o; bias_ih, bias_hh (4H,)
      proj_size = P  weight_hh (4H, P) and weight_hr (P, H), h_t = W_hr·(o_t ∗ tanh(C_t))
    PyTorch nn.GRU   weight_ih (3H, I), weight_hh (3H, H), rows    r, z, n;    bias_ih, bias_hh (3H,)
    Keras LSTM       kernel (I, 4H), recurrent_kernel (H, 4H), columns i, f, c, o; bias (4H,)
    Keras GRU        kernel (I, 3H), recurrent_kernel (H, 3H), columns z, r, h;
                     bias (2, 3H) with reset_after=True (row 0 input, row 1 recurrent), (3H,) without

Every conversion here is a re-slicing and transposing of those blocks: no number is changed, so a
round trip gives back the very same arrays.
"""

from __future__ import annotations

import re

import numpy as np

from cells.cell import Cell, first_nonfinite
from cells.gru import GRUResetAfter, GRUResetBefore
from cells.layers import MAX_LAYERS, Layer, Network
from cells.lstm import LSTM
from cells.lstmp import ProjectedLSTM

# Gate names in the order the frameworks stack their blocks.
TORCH_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),  # i, f, g, o
    "gru": ("reset", "update", "candidate"),  # r, z, n
}
KERAS_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),  # i, f, c, o
    "gru": ("update", "reset", "candidate"),  # z, r, h
}
TORCH_KINDS = ("lstm", "lstmp", "gru_torch")  # the cell kinds whose equations are nn.LSTM's and nn.GRU's
KERAS_KINDS = ("lstm", "gru_torch", "gru_keras_v1")
_TORCH_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_CONVERT_HINT = "convert tensors first: {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}"


def _check_kind(kind: object) -> str:
    if kind not in TORCH_ORDER:
        raise ValueError(f"kind: expected 'lstm' or 'gru', got {kind!r}")
    return str(kind)


def _checked(value: object, name: str, shape: tuple[int, ...] | None = None, hint: str = "") -> np.ndarray:
    """``value`` if it is a finite float32/float64 array of ``shape``, else a ValueError naming ``name``."""
    if not isinstance(value, np.ndarray):
        extra = f" ({hint})" if hint else ""
        raise ValueError(f"{name}: expected a NumPy array, got {type(value).__name__}{extra}")
    if value.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name}: expected float32 or float64 values, got {value.dtype}")
    if shape is not None and value.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name}: every value must be finite, found {first_nonfinite(value)}")
    return value


def _one_dtype(arrays: dict[str, np.ndarray]) -> np.dtype:
    """The dtype every array shares, or a ValueError naming two that differ."""
    first_name, first = next(iter(arrays.items()))
    for name, a in arrays.items():
        if a.dtype != first.dtype:
            raise ValueError(f"dtypes: every array must have the same dtype, got {first.dtype} for {first_name} "
                             f"and {a.dtype} for {name}")
    return first.dtype


def _blocks(fused: np.ndarray, order: tuple[str, ...], H: int) -> dict[str, np.ndarray]:
    """Split a fused array along its first axis into one block of H per gate."""
    return {g: fused[k * H : (k + 1) * H] for k, g in enumerate(order)}


def _fuse(per_gate: dict[str, np.ndarray], order: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([per_gate[g] for g in order])


def _zeros_like_biases(cell: Cell) -> dict[str, np.ndarray]:
    return {g: np.zeros(cell.hidden_size, cell.dtype) for g in cell.GATES}


# ----- PyTorch ---------------------------------------------------------------------------------
def _torch_keys(num_layers: int, bidirectional: bool, bias: bool, projected: bool = False) -> list[str]:
    """Every key of the state_dict, in PyTorch's order."""
    params = (_TORCH_PARAMS if bias else _TORCH_PARAMS[:2]) + (("weight_hr",) if projected else ())
    suffixes = ("", "_reverse") if bidirectional else ("",)
    return [f"{p}_l{k}{s}" for k in range(num_layers) for s in suffixes for p in params]


def _unexpected_hint(extra: list[str], num_layers: int, bidirectional: bool) -> str:
    hints = []
    deeper = [int(m.group(1)) for k in extra if (m := re.search(r"_l(\d+)", k)) and int(m.group(1)) >= num_layers]
    if deeper:
        hints.append(f"the state_dict has layer {max(deeper)}: pass num_layers={max(deeper) + 1}?")
    if not bidirectional and any(k.endswith("_reverse") for k in extra):
        hints.append("it has _reverse keys: pass bidirectional=True?")
    return "; " + "; ".join(hints) if hints else ""


def from_torch(kind: str, state_dict: dict[str, np.ndarray], *, num_layers: int = 1,
               bidirectional: bool = False) -> Network:
    """A Network equal to a PyTorch ``nn.LSTM`` (kind "lstm", with or without proj_size) or ``nn.GRU`` (kind "gru").

    ``state_dict`` maps PyTorch's names to NumPy arrays, ``{k: v.numpy() for k, v in m.state_dict().items()}``.
    For layer k (``_l{k}``, and ``_l{k}_reverse`` for the backward direction), with G gates,
    I_k = input size for layer 0 and D·H above it:

        weight_ih_l{k} (G·H, I_k)   weight_hh_l{k} (G·H, H)   bias_ih_l{k}, bias_hh_l{k} (G·H,)

    whose row blocks are, in order, LSTM i, f, g, o and GRU r, z, n. Each gate g becomes

        weights[g]       = [W_hh_g, W_ih_g]   (H, H + I_k), hidden columns first like the deck
        biases[g]        = b_ih_g
        hidden_biases[g] = b_hh_g

    LSTM -> ``cells.LSTM`` (both biases add up inside every gate). An nn.LSTM with ``proj_size`` = P
    has ``weight_hr_l{k}`` (P, H) too, ``weight_hh_l{k}`` is (4H, P) and I_k = D·P above layer 0:
    -> ``cells.ProjectedLSTM`` ("lstmp") with ``projection = {"hidden": weight_hr}``. GRU -> ``cells.GRUResetAfter``
    ("gru_torch"): update = z, reset = r, candidate = n with b_hn kept in
    ``hidden_biases["candidate"]``, inside r_t * (W_hn·h_{t-1} + b_hn). A ``bias=False`` model has no
    bias keys: its biases are zero and ``hidden_biases`` None. float32 stays float32, float64 float64.
    ``Network.run(xs).output`` then equals PyTorch's ``output[:, 0, :]`` for one sequence ``xs``.
    """
    kind = _check_kind(kind)
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or not 1 <= num_layers <= MAX_LAYERS:
        raise ValueError(f"num_layers: expected a whole number from 1 to {MAX_LAYERS}, got {num_layers!r}")
    if not isinstance(bidirectional, bool):
        raise ValueError(f"bidirectional: expected True or False, got {bidirectional!r}")
    if not isinstance(state_dict, dict):
        raise ValueError(f"state_dict: expected a dict of arrays, got {type(state_dict).__name__} ({_CONVERT_HINT})")
    bias = any(str(k).rsplit(".", 1)[-1].startswith("bias_") for k in state_dict)
    projected = kind == "lstm" and any(str(k).startswith("weight_hr") for k in state_dict)
    wanted = _torch_keys(num_layers, bidirectional, bias, projected)
    missing = [k for k in wanted if k not in state_dict]
    extra = sorted(str(k) for k in state_dict if k not in wanted)
    if missing:
        prefixes = sorted({str(k)[: -len(m)] for k in state_dict for m in missing if str(k).endswith("." + m)})
        hint = f"; the keys carry a prefix: remove {prefixes[0]!r} from them first" if prefixes else ""
        raise ValueError(f"state_dict: missing keys {', '.join(missing)}{hint}")
    if extra:
        raise ValueError(f"state_dict: unexpected keys {', '.join(extra)}"
                         f"{_unexpected_hint(extra, num_layers, bidirectional)}")
    for k in wanted:
        _checked(state_dict[k], k, hint=_CONVERT_HINT)
    dtype = _one_dtype({k: state_dict[k] for k in wanted})

    order = TORCH_ORDER[kind]
    G = len(order)
    first = state_dict["weight_hh_l0"]
    if projected:  # weight_hr_l0 (P, H) says both sizes
        hr = state_dict["weight_hr_l0"]
        if hr.ndim != 2 or 0 in hr.shape or hr.shape[0] > hr.shape[1]:
            raise ValueError(f"weight_hr_l0: expected shape (proj_size, hidden) with proj_size ≤ hidden, "
                             f"got {hr.shape}")
        P, H = hr.shape
        if first.shape != (G * H, P):
            raise ValueError(f"weight_hh_l0: expected shape ({G * H}, {P}) for an LSTM of hidden size {H} and "
                             f"proj_size {P}, got {first.shape}")
    elif first.ndim != 2 or first.shape[0] != G * first.shape[1] or first.shape[1] == 0:
        raise ValueError(f"weight_hh_l0: expected shape ({G}·hidden, hidden) for {'an LSTM' if G == 4 else 'a GRU'}, "
                         f"got {first.shape}")
    else:
        H = P = first.shape[1]
    if state_dict["weight_ih_l0"].ndim != 2 or state_dict["weight_ih_l0"].shape[1] == 0:
        raise ValueError(f"weight_ih_l0: expected shape ({G * H}, input size), got {state_dict['weight_ih_l0'].shape}")
    size = state_dict["weight_ih_l0"].shape[1]
    directions = ("", "_reverse") if bidirectional else ("",)
    cls = (ProjectedLSTM if projected else LSTM) if kind == "lstm" else GRUResetAfter

    layers = []
    for layer in range(num_layers):
        cells = []
        for suffix in directions:
            name = f"_l{layer}{suffix}"
            shapes = {"weight_ih": (G * H, size), "weight_hh": (G * H, P), "bias_ih": (G * H,), "bias_hh": (G * H,),
                      "weight_hr": (P, H)}
            arrays = {p: _checked(state_dict[p + name], p + name, shapes[p]) for p in shapes if p + name in
                      state_dict}
            W_ih = _blocks(arrays["weight_ih"], order, H)  # gate -> (H, I_k)
            W_hh = _blocks(arrays["weight_hh"], order, H)  # gate -> (H, P)
            weights = {g: np.concatenate([W_hh[g], W_ih[g]], axis=1) for g in order}  # (H, P + I_k)
            if bias:
                biases, hidden_biases = _blocks(arrays["bias_ih"], order, H), _blocks(arrays["bias_hh"], order, H)
            else:
                biases, hidden_biases = {g: np.zeros(H, dtype) for g in order}, None
            extra = {"projection": {"hidden": arrays["weight_hr"]}} if projected else {}
            cells.append(cls(weights=weights, biases=biases, hidden_biases=hidden_biases, **extra))
        layers.append(Layer(*cells))
        size = P * len(directions)
    return Network(tuple(layers))


def to_torch(network: Network, *, bias: bool = True) -> dict[str, np.ndarray]:
    """The PyTorch state_dict of ``network``, the exact inverse of ``from_torch``.

    Every layer must hold "lstm" cells (-> nn.LSTM), "lstmp" cells (-> nn.LSTM with proj_size, whose
    ``weight_hr`` is the projection) or every layer "gru_torch" cells (-> nn.GRU), all of one hidden
    size (and one proj_size), all bidirectional or none. Gate g's [W_hh_g, W_ih_g] is split back and
    the row blocks stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n); ``bias_ih`` is
    ``biases``, ``bias_hh`` is ``hidden_biases`` (zeros where a gate has none). With ``bias=False``
    no bias keys are written, which is only allowed when every bias is zero. Load it with
    ``model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``. The arrays carry no gate
    activation: nn.LSTM and nn.GRU compute σ, so a network whose ``gate_activation`` is a hard sigmoid
    computes otherwise in PyTorch.
    """
    if not isinstance(network, Network):
        raise ValueError(f"network: expected a cells.Network, got {type(network).__name__}")
    kinds = {cell.KIND for layer in network.layers for cell in layer.cells}
    if len(kinds) != 1 or next(iter(kinds)) not in TORCH_KINDS:
        raise ValueError(f"PyTorch export: only networks of one kind, {' or '.join(TORCH_KINDS)} (nn.LSTM, nn.GRU), "
                         f"can be exported, got {', '.join(sorted(kinds))}")
    order = TORCH_ORDER["gru" if kinds == {"gru_torch"} else "lstm"]
    if len({layer.bidirectional for layer in network.layers}) != 1:
        raise ValueError("PyTorch export: every layer must be bidirectional, or none")
    if len({(cell.hidden_size, cell.state_size) for layer in network.layers for cell in layer.cells}) != 1:
        raise ValueError("PyTorch export: every layer must have the same hidden size (and h_t size)")
    if len({cell.dtype for layer in network.layers for cell in layer.cells}) != 1:
        raise ValueError("PyTorch export: every cell must have the same dtype")
    first = network.layers[0].forward
    if first.PROJECTED and first.state_size >= first.hidden_size:
        raise ValueError(f"PyTorch export: nn.LSTM's proj_size must be smaller than its hidden size, got h_t of "
                         f"{first.state_size} numbers for {first.hidden_size} units")

    out: dict[str, np.ndarray] = {}
    for k, layer in enumerate(network.layers):
        for cell, suffix in zip(layer.cells, ("", "_reverse"), strict=False):
            P, name = cell.state_size, f"_l{k}{suffix}"
            out["weight_ih" + name] = _fuse({g: cell.weights[g][:, P:] for g in order}, order)  # (G·H, I_k)
            out["weight_hh" + name] = _fuse({g: cell.weights[g][:, :P] for g in order}, order)  # (G·H, P)
            hidden_biases = {**_zeros_like_biases(cell), **(cell.hidden_biases or {})}
            if bias:
                out["bias_ih" + name] = _fuse(cell.biases, order)  # (G·H,)
                out["bias_hh" + name] = _fuse(hidden_biases, order)  # (G·H,)
            elif any(np.any(b) for b in (*cell.biases.values(), *hidden_biases.values())):
                raise ValueError(f"PyTorch export with bias=False: layer {k}{' backward' if suffix else ''} has "
                                 f"non-zero biases that would be lost; export with bias=True")
            if cell.PROJECTED:
                out["weight_hr" + name] = np.array(cell.projection["hidden"])  # (P, H)
    return out


# ----- Keras -----------------------------------------------------------------------------------
def from_keras(kind: str, kernel: np.ndarray | list[np.ndarray], recurrent_kernel: np.ndarray | None = None,
               bias: np.ndarray | None = None, *, reset_after: bool | None = None) -> Layer:
    """A Layer equal to a Keras ``LSTM`` (kind "lstm") or ``GRU`` (kind "gru"), or a ``Bidirectional`` one.

    ``from_keras(kind, layer.get_weights())`` takes the list as Keras gives it: 2 or 3 arrays for one
    direction, 4 or 6 for a ``Bidirectional`` layer (the forward layer's, then the backward layer's),
    and gives a bidirectional Layer for the latter. ``reset_after`` (GRU) is read off the bias's
    shape unless given. The three arrays may also be passed one by one, as below.

    The arrays are ``layer.get_weights()``: ``kernel`` (I, G·H), ``recurrent_kernel`` (H, G·H),
    ``bias``, whose column blocks are LSTM i, f, c, o and GRU z, r, h. Each gate g becomes

        weights[g] = [recurrent_kernel_g.T, kernel_g.T]   (H, H + I), hidden columns first

    - LSTM: ``bias`` (4H,) -> ``biases`` of a ``cells.LSTM``.
    - GRU, ``reset_after=True`` (Keras' default): ``bias`` (2, 3H), row 0 the input bias ->
      ``biases``, row 1 the recurrent bias -> ``hidden_biases``; a ``cells.GRUResetAfter``
      ("gru_torch"), whose recurrent candidate bias sits inside r_t * (W_hh·h_{t-1} + b_hh).
    - GRU, ``reset_after=False``: ``bias`` (3H,) -> ``biases`` of a ``cells.GRUResetBefore``
      ("gru_keras_v1"), the reset gate applied to h_{t-1} before the matmul.

    In both GRUs z is the share of the OLD state kept, as in Keras. ``bias=None`` (``use_bias=False``)
    gives zero biases. ``reset_after`` is ignored for the LSTM. The dtype of the arrays is kept.
    """
    if isinstance(kernel, (list, tuple)):
        if recurrent_kernel is not None or bias is not None:
            raise ValueError("from_keras: give layer.get_weights() as one list, or the three arrays, not both")
        return from_weights_list(kind, list(kernel), reset_after=reset_after)
    kind = _check_kind(kind)
    if reset_after is None:
        reset_after = not (isinstance(bias, np.ndarray) and bias.ndim == 1)  # Keras' default, unless the bias says not
    if not isinstance(reset_after, bool):
        raise ValueError(f"reset_after: expected True or False, got {reset_after!r}")
    if recurrent_kernel is None:
        raise ValueError("recurrent_kernel: expected a NumPy array, got nothing (or pass layer.get_weights() as "
                         "one list)")
    order = KERAS_ORDER[kind]
    G = len(order)
    recurrent_kernel = _checked(recurrent_kernel, "recurrent_kernel")
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != G * recurrent_kernel.shape[0] or \
            recurrent_kernel.shape[0] == 0:
        raise ValueError(f"recurrent_kernel: expected shape (units, {G}·units) for a Keras {kind.upper()}, "
                         f"got {recurrent_kernel.shape}")
    H = recurrent_kernel.shape[0]
    kernel = _checked(kernel, "kernel")
    if kernel.ndim != 2 or kernel.shape[1] != G * H or kernel.shape[0] == 0:
        raise ValueError(f"kernel: expected shape (input size, {G * H}), got {kernel.shape}")
    arrays = {"kernel": kernel, "recurrent_kernel": recurrent_kernel}
    two_biases = kind == "gru" and reset_after
    if bias is not None:
        arrays["bias"] = _checked(bias, "bias", (2, G * H) if two_biases else (G * H,))
    dtype = _one_dtype(arrays)

    K, R = _blocks(kernel.T, order, H), _blocks(recurrent_kernel.T, order, H)  # gate -> (H, I), (H, H)
    weights = {g: np.concatenate([R[g], K[g]], axis=1) for g in order}  # (H, H + I)
    zeros = {g: np.zeros(H, dtype) for g in order}
    hidden_biases = None
    if bias is None:
        biases = zeros
    elif two_biases:
        biases, hidden_biases = _blocks(bias[0], order, H), _blocks(bias[1], order, H)
    else:
        biases = _blocks(bias, order, H)
    cls = LSTM if kind == "lstm" else GRUResetAfter if reset_after else GRUResetBefore
    return Layer(cls(weights=weights, biases=biases, hidden_biases=hidden_biases))


def to_keras(layer_or_cell: Layer | Cell) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(kernel, recurrent_kernel, bias)`` for Keras' ``layer.set_weights``, the inverse of ``from_keras``.

    Takes a cell, or a one-direction Layer (for a bidirectional one, export ``layer.forward`` and
    ``layer.backward`` separately into the two halves of ``keras.layers.Bidirectional``):

    - "lstm" -> Keras LSTM; bias (4H,) = biases + hidden_biases (Keras has one bias per gate, and
      the two add up inside each gate, so the sum computes the same).
    - "gru_torch" -> Keras GRU with reset_after=True; bias (2, 3H) = [biases, hidden_biases].
    - "gru_keras_v1" -> Keras GRU with reset_after=False; bias (3H,) = biases + hidden_biases.

    Column blocks are LSTM i, f, c, o and GRU z, r, h; kernel_g = W_g[:, H:].T and
    recurrent_kernel_g = W_g[:, :H].T. A missing recurrent bias counts as zero. The arrays carry no gate
    activation: give the Keras layer the ``recurrent_activation`` the cell's ``gate_activation`` names
    (Keras 3's "hard_sigmoid" is "hard_sigmoid_relu6" here; Keras 2's needs it as a function in Keras 3).
    """
    if isinstance(layer_or_cell, Layer):
        if layer_or_cell.bidirectional:
            raise ValueError("Keras export: a bidirectional layer has two cells; export layer.forward and "
                             "layer.backward one by one (the two halves of keras.layers.Bidirectional)")
        cell = layer_or_cell.forward
    elif isinstance(layer_or_cell, Cell):
        cell = layer_or_cell
    else:
        raise ValueError(f"Keras export: expected a cells.Layer or cells.Cell, got {type(layer_or_cell).__name__}")
    if cell.KIND not in KERAS_KINDS:
        raise ValueError(f"Keras export: only {', '.join(KERAS_KINDS)} cells can be exported, got {cell.KIND}")
    order = KERAS_ORDER[cell.FAMILY]
    H = cell.hidden_size
    kernel = _fuse({g: cell.weights[g][:, H:] for g in order}, order).T  # (I, G·H)
    recurrent_kernel = _fuse({g: cell.weights[g][:, :H] for g in order}, order).T  # (H, G·H)
    hidden_biases = {**_zeros_like_biases(cell), **(cell.hidden_biases or {})}
    if cell.KIND == "gru_torch":
        bias = np.stack([_fuse(cell.biases, order), _fuse(hidden_biases, order)])  # (2, 3H)
    else:
        bias = _fuse({g: cell.biases[g] + hidden_biases[g] for g in order}, order)  # (G·H,)
    return np.ascontiguousarray(kernel), np.ascontiguousarray(recurrent_kernel), bias


# ----- Keras get_weights() lists -------------------------------------------------------------------------
def _family(kind: str, weights: list[np.ndarray]) -> str:
    if kind in ("lstm", "gru"):
        return kind
    if kind is None and weights and isinstance(weights[1 if len(weights) > 1 else 0], np.ndarray):
        rk = weights[1] if len(weights) > 1 else weights[0]
        if rk.ndim == 2 and rk.shape[0] and rk.shape[1] in (3 * rk.shape[0], 4 * rk.shape[0]):
            return "lstm" if rk.shape[1] == 4 * rk.shape[0] else "gru"
    raise ValueError(f"kind: expected 'lstm' or 'gru', got {kind!r}")


def from_weights_list(kind: str | None, weights: list[np.ndarray], *, reset_after: bool | None = None) -> Layer:
    """A Layer from ``layer.get_weights()`` of a Keras LSTM/GRU (2 or 3 arrays) or of a Bidirectional
    one (4 or 6: the forward layer's arrays, then the backward layer's)."""
    if len(weights) not in (2, 3, 4, 6):
        raise ValueError(f"Keras weights: expected layer.get_weights() of an LSTM or GRU (kernel, recurrent_kernel "
                         f"and bias: 2 or 3 arrays) or of a Bidirectional one (4 or 6), got {len(weights)} arrays")
    family = _family(kind, weights)
    if len(weights) in (2, 3):
        halves = [weights]
    else:
        half = len(weights) // 2
        halves = [weights[:half], weights[half:]]
    directions = []
    for direction, arrays in zip(("forward", "backward"), halves, strict=False):
        kernel, recurrent = arrays[0], arrays[1]
        bias = arrays[2] if len(arrays) == 3 else None
        try:
            directions.append(from_keras(family, kernel, recurrent, bias, reset_after=reset_after).forward)
        except ValueError as e:
            raise ValueError(f"Keras weights, {direction} layer: {e}" if len(halves) == 2 else str(e)) from None
    return Layer(*directions)
