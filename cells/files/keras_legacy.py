"""Keras 2 HDF5 files, read as data: a whole model (``model.save("m.h5")``) or its weights (``save_weights``).

Keras 2 (and tf.keras in TensorFlow 1 and 2) wrote both with h5py; Keras 3 still writes the whole-model kind:

    /                 attrs keras_version ("2.2.4", "2.3.0-tf", "3.15.1"), backend, and for a whole model
                      model_config (the architecture as JSON)
    /model_weights    a whole model's weights, attrs layer_names, keras_version, backend
    <root>/<layer>    attrs weight_names ("lstm_1/kernel:0", "bidirectional_1/forward_lstm_1/bias:0" …),
                      each one a dataset at <layer>/<weight name>, in the order of layer.get_weights()

A weights-only file keeps its layer groups and layer_names at the root and has no config, so each layer
is worked out from its weights' names and shapes, and ``found.notes`` says what was inferred:

    kernel (I, 4H), recurrent_kernel (H, 4H), bias (4H,)   LSTM          bias (8H,): CuDNNLSTM
    kernel (I, 3H), recurrent_kernel (H, 3H), bias (3H,)   GRU, reset before the product (Keras 2's default)
                                              bias (2, 3H) GRU with reset_after   bias (6H,): CuDNNGRU
    embeddings (V, E)                                      Embedding
    kernel (D, K), bias (K,)                               Dense

**cuDNN layers.** A CuDNNLSTM or CuDNNGRU keeps Keras' shapes, but cuDNN reads each gate's (I, H) block
of the kernel as the rows of its (H, I) matrix, number after number, and each (H, H) recurrent block as
its transpose. So, as Keras' own loader converts them, gate block k becomes k.reshape(H, I).T and
recurrent block r becomes r.T. The bias is the input biases, then the recurrent ones: the LSTM's two
add up inside every gate (kept here as ``biases`` and ``hidden_biases``), and the GRU keeps both with the
reset gate applied after the recurrent product: kind "gru_torch", gates z, r, h in Keras' order.

**The gate activation.** ``recurrent_activation`` "hard_sigmoid" is clip(0.2·a + 0.5, 0, 1) in a Keras 2
file and relu6(a + 3)/6 in a Keras 3 one (cells.activations). A weights-only file names no activation:
it gets the default of the keras_version it names (hard sigmoid before Keras 2.3, σ from 2.3 on, σ for
every cuDNN layer), and ``found.notes`` says so; ``Network.with_gate_activation`` changes it.

Embedding → recurrent stack → Dense, in file order. A layer Gatescope cannot run (an attention pooling,
a concatenation) ends the stack: the embedding and the recurrent layers before it are kept and the head
is left out, with the layer's name in the notes. Recurrent layers that do not form one stack are listed
one by one in ``found.recurrent``, and ``layer=`` picks one.

Nothing here runs code from the file: the config is JSON read as data, and the file is opened through
cells.files.hdf5 (hard links only, every dataset's dtype and shape checked before its numbers are read,
each HDF5 object counted once against the byte budget, h5py's errors as ValueErrors naming the place).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from dataclasses import dataclass, field

import numpy as np

from cells.cell import Cell
from cells.files.budget import Budget
from cells.files.hdf5 import MAX_NAMES, H5File
from cells.files.interop import from_keras
from cells.files.parts import Found, Head, Parts, Recurrent
from cells.layers import Layer, Network

MAX_CONFIG = 10_000_000  # bytes of model_config
RECURRENT = ("LSTM", "GRU", "CuDNNLSTM", "CuDNNGRU")
PASS_THROUGH = ("InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "Masking")
_WEIGHTLESS = re.compile(r"(input|dropout|spatial_dropout1d|gaussian_noise|gaussian_dropout|masking)(_\d+)?$")


class _Unrunnable(Exception):  # noqa: N818 (a reason, not an error: the layer ends the stack)
    """A layer Gatescope cannot run; its message says why."""


# ----- the layers, from the config or from the weights' names and shapes -----------------------------------
@dataclass
class _Entry:
    """One layer of the file: its name, its class (from the config, or inferred), config and weights."""

    name: str
    cls: str
    config: dict
    weights: list[tuple[str, object]]  # (weight name, its dataset), in get_weights() order
    chained: bool = True  # its input is the layer before it (False where a functional model branches)
    inferred: str = ""  # what the class was inferred from, for a weights-only file

    def short(self, index: int) -> str:
        """The last part of weight ``index``'s name without ":0": kernel, recurrent_kernel, bias, embeddings."""
        return self.weights[index][0].rsplit("/", 1)[-1].split(":")[0]


def _activation(config: dict, key: str, default: str | None) -> object:
    """An activation's name in a config: a string, or the built-in's name in a serialized function's dict
    (later tf.keras writes {"class_name": "function", "config": "tanh", …})."""
    value = config.get(key, default)
    if isinstance(value, dict) and isinstance(value.get("config"), str) and value.get("class_name") == "function":
        return value["config"]
    return value


def _version(text: str | None) -> tuple[int, int] | None:
    m = re.match(r"\s*(\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _inbound(layer: dict) -> set[str] | None:
    """The names of the layers a functional layer reads (Keras 2's and Keras 3's forms); None when not given."""
    nodes = layer.get("inbound_nodes")
    if nodes is None:
        return None
    names: set[str] = set()

    def walk(value: object, depth: int = 0) -> None:
        if depth > 50:
            return
        if isinstance(value, dict):
            history = value.get("keras_history")
            if isinstance(history, list) and history and isinstance(history[0], str):
                names.add(history[0])
            for v in value.values():
                walk(v, depth + 1)
        elif isinstance(value, list):
            if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
                names.add(value[0])  # Keras 2: [layer name, node index, tensor index, kwargs]
            else:
                for v in value:
                    walk(v, depth + 1)

    walk(nodes)
    return names


def _config_layers(config: object, what: str) -> list[dict]:
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"{what}: model_config: expected a Keras model's config, got {type(config).__name__}")
    cls, inner = config["class_name"], config.get("config")
    if cls not in ("Sequential", "Model", "Functional"):
        raise ValueError(f"{what}: model_config: expected a Sequential or functional model, got {cls!r}")
    layers = inner if isinstance(inner, list) else inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list) or not all(isinstance(la, dict) for la in layers):
        raise ValueError(f"{what}: model_config lists no layers")
    if len(layers) > MAX_NAMES:
        raise ValueError(f"{what}: model_config lists more than {MAX_NAMES} layers")
    return layers


def _layer_weights(f: H5File, root: object, name: str) -> list[tuple[str, object]]:
    group = f.node(root, name, f"layer {name!r}")
    if group is None:
        return []
    if not isinstance(group, f.h5py.Group):
        raise ValueError(f"{f.what}: layer {name!r} is not a group of weights")
    out = []
    for weight in f.names(group, "weight_names", f"layer {name!r}") or []:
        ds = f.node(group, weight, f"{name}/{weight}")
        if ds is None:
            raise ValueError(f"{f.what}: layer {name!r} names the weight {weight!r}, which is not in the file")
        f.fits(ds, f"{name}/{weight}", dims=2)  # a vector or a matrix within the budget, from metadata
        out.append((weight, ds))
    return out


def _from_config(f: H5File, config: object, root: object, names: list[str]) -> list[_Entry]:
    entries, previous = [], None
    for layer in _config_layers(config, f.what):
        cls = layer.get("class_name")
        cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        name = cfg.get("name", layer.get("name"))
        if not isinstance(cls, str) or not isinstance(name, str):
            raise ValueError(f"{f.what}: model_config: a layer without a class name or a name")
        inbound = _inbound(layer)
        chained = inbound is None or inbound == ({previous} if previous else set())
        entries.append(_Entry(name, cls, cfg, _layer_weights(f, root, name) if name in names else [], chained))
        previous = name
    return entries


def _infer(entry: _Entry, after_recurrent: bool) -> None:
    """The class of a weights-only file's layer, from its weights' names and shapes (``entry.inferred`` says how).
    A lone (V, E) array is an Embedding when it is called ``embeddings``, or comes before any recurrent layer."""
    shapes = [tuple(ds.shape) for _, ds in entry.weights]
    shorts = [entry.short(k) for k in range(len(shapes))]
    n = len(shapes)
    if n == 0:
        known = _WEIGHTLESS.match(entry.name)
        entry.cls = "Dropout" if known else "?"
        entry.inferred = "no weights" if known else ("no weights, and its name does not say it is a Dropout: without "
                                                     "the config, what it computes is not known")
        return
    if n in (2, 3, 4, 6) and _recurrent_shapes(shapes[: n // 2] if n in (4, 6) else shapes) and (
            n in (2, 3) or _recurrent_shapes(shapes[n // 2 :])):
        arrays = shapes[: n // 2] if n in (4, 6) else shapes
        G, H = arrays[0][1], arrays[1][0]
        bias = arrays[2] if len(arrays) == 3 else None
        family = "LSTM" if G == 4 * H else "GRU"
        cudnn = bias is not None and bias == (2 * G,)
        cls = ("CuDNN" if cudnn else "") + family
        entry.config = {"name": entry.name}
        if family == "GRU" and not cudnn:
            entry.config["reset_after"] = bias is not None and len(bias) == 2
        described = f"kernel {arrays[0]}, recurrent_kernel {arrays[1]}" + (f", bias {bias}" if bias else "")
        if family == "GRU" and bias is None:
            described += " (no bias, so reset_after is not told by the shapes: read as False, Keras 2's default)"
        if n in (4, 6):
            entry.config = {"name": entry.name, "layer": {"class_name": cls, "config": dict(entry.config)}}
            entry.cls, entry.inferred = "Bidirectional", f"Bidirectional({cls}): two directions of {described}"
        else:
            entry.cls, entry.inferred = cls, f"{cls}: {described}"
        return
    lone_table = n == 1 and len(shapes[0]) == 2 and shorts[0] != "kernel"
    if lone_table and (shorts[0] == "embeddings" or not after_recurrent):
        entry.cls, entry.inferred = "Embedding", f"Embedding: {shorts[0]} {shapes[0]}"
        return
    if len(shapes[0]) == 2 and ((n == 1 and shorts[0] == "kernel") or (n == 2 and shapes[1] == (shapes[0][1],))):
        entry.cls, entry.inferred = "Dense", f"Dense: kernel {shapes[0]}" + (f", bias {shapes[1]}" if n == 2 else "")
        entry.config = {"name": entry.name, "activation": "linear"}
        return
    entry.cls = "?"
    entry.inferred = "weights " + ", ".join(f"{s} {shape}" for s, shape in zip(shorts, shapes, strict=True))


def _recurrent_shapes(shapes: list[tuple[int, ...]]) -> bool:
    if len(shapes) not in (2, 3) or len(shapes[0]) != 2 or len(shapes[1]) != 2:
        return False
    (I, G), (H, G2) = shapes[0], shapes[1]
    if H == 0 or I == 0 or G != G2 or G not in (3 * H, 4 * H):
        return False
    if len(shapes) == 2:
        return True
    bias = shapes[2]
    return bias in ((G,), (2 * G,)) or (G == 3 * H and bias == (2, G))


def _from_names(f: H5File, root: object, names: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    for name in names:
        entry = _Entry(name, "?", {"name": name}, _layer_weights(f, root, name))
        _infer(entry, any(e.cls in RECURRENT or e.cls == "Bidirectional" for e in entries))
        entries.append(entry)
    return entries


# ----- recurrent layers -----------------------------------------------------------------------------------
def _cudnn_kernel(kernel: np.ndarray, gates: int) -> np.ndarray:
    """Keras' kernel (I, G·H) of a cuDNN layer: each gate's block is read by cuDNN as the rows of its
    (H, I) matrix, so the block Keras' equations need is block.reshape(H, I).T."""
    I, GH = kernel.shape
    H = GH // gates
    return np.concatenate([kernel[:, k * H : (k + 1) * H].reshape(H, I).T for k in range(gates)], axis=1)


def _cudnn_recurrent(recurrent: np.ndarray, gates: int) -> np.ndarray:
    """Keras' recurrent_kernel (H, G·H) of a cuDNN layer: each gate's (H, H) block transposed."""
    H = recurrent.shape[0]
    return np.concatenate([recurrent[:, k * H : (k + 1) * H].T for k in range(gates)], axis=1)


def _gate_activation(cls: str, cfg: dict, version: tuple[int, int] | None, keras_version: str | None,
                     name: str, notes: list[str]) -> str:
    """The gate activation of a recurrent layer: from its config, or the default of the file's Keras version."""
    if cls.startswith("CuDNN"):
        return "sigmoid"  # cuDNN's gates are σ, whatever a config says
    given = _activation(cfg, "recurrent_activation", None)
    if given is None:
        if version is None:
            notes.append(f"{name}: the file names no Keras version and no recurrent_activation: read with σ "
                         "(Keras 2.3 and later); a model trained by an older Keras used its hard sigmoid")
            return "sigmoid"
        if version < (2, 3):
            tf = " (tf.keras in TensorFlow 2 defaulted to σ: change it if TensorFlow 2 saved this)" \
                if "tf" in (keras_version or "") else ""
            notes.append(f"{name}: no recurrent_activation in the file: read with the hard sigmoid "
                         f"clip(0.2·a + 0.5, 0, 1), the default of Keras {keras_version} (before 2.3){tf}")
            return "hard_sigmoid"
        notes.append(f"{name}: no recurrent_activation in the file: read with σ, the default of Keras {keras_version}")
        return "sigmoid"
    if given == "sigmoid":
        return "sigmoid"
    if given == "hard_sigmoid":
        keras3 = version is not None and version >= (3, 0)
        notes.append(f"{name}: recurrent_activation hard_sigmoid, in Keras {keras_version or '2'}: "
                     + ("relu6(a + 3)/6, Keras 3's" if keras3 else "clip(0.2·a + 0.5, 0, 1), Keras 2's"))
        return "hard_sigmoid_relu6" if keras3 else "hard_sigmoid"
    raise _Unrunnable(f"its recurrent_activation is {given!r:.80}; Gatescope's gates use sigmoid or hard_sigmoid")


def _recurrent(entry: _Entry, f: H5File, version: tuple[int, int] | None, keras_version: str | None,
               notes: list[str]) -> tuple[Layer, str]:
    """The Layer of a recurrent entry (plain or Bidirectional) and its style, or _Unrunnable."""
    bidirectional = entry.cls == "Bidirectional"
    inner = entry.config.get("layer") if bidirectional else {"class_name": entry.cls, "config": entry.config}
    if not isinstance(inner, dict) or inner.get("class_name") not in RECURRENT:
        got = inner.get("class_name") if isinstance(inner, dict) else inner
        raise _Unrunnable(f"a Bidirectional layer around {got!r}, not an LSTM or GRU")
    cls, cfg = inner["class_name"], inner.get("config") if isinstance(inner.get("config"), dict) else {}
    if bidirectional and entry.config.get("merge_mode", "concat") != "concat":
        raise _Unrunnable(f"it merges its directions with {entry.config.get('merge_mode')!r}; Gatescope shows "
                          "merge_mode='concat'")
    if _activation(cfg, "activation", "tanh") != "tanh":
        raise _Unrunnable(f"its activation is {cfg.get('activation')!r:.80}; Gatescope's cells use tanh")
    if cfg.get("go_backwards"):
        raise _Unrunnable("go_backwards=True outside a Bidirectional layer")
    if cfg.get("stateful"):
        notes.append(f"{entry.name}: stateful=True: read from a zero state, as after reset_states()")
    sigma = _gate_activation(cls, cfg, version, keras_version, entry.name, notes)
    if cls.startswith("CuDNN"):
        notes.append(f"{entry.name}: {cls} weights read from cuDNN's layout as Keras converts them; its gates are σ")
    arrays = [f.read(ds, f"{entry.name}/{w}") for w, ds in entry.weights]
    halves = [arrays[: len(arrays) // 2], arrays[len(arrays) // 2 :]] if bidirectional else [arrays]
    if bidirectional and (len(arrays) not in (4, 6)):
        raise ValueError(f"{f.what}: Bidirectional layer {entry.name!r}: expected 4 or 6 arrays, got {len(arrays)}")
    directions = []
    for side, half in zip(("forward", "backward"), halves, strict=False):
        where = f"layer {entry.name!r}" + (f", {side} direction" if bidirectional else "")
        try:
            directions.append(_cell(cls, cfg, half, sigma, where))
        except ValueError as e:
            raise ValueError(f"{f.what}: {where}: {e}") from None
    layer = Layer(*directions)
    style = f"Keras {version[0] if version else ''} {f'Bidirectional({cls})' if bidirectional else cls}"
    return layer, re.sub(" +", " ", style)


def _cell(cls: str, cfg: dict, arrays: list[np.ndarray], sigma: str, where: str) -> Cell:
    """One direction's cell from its get_weights() arrays, cuDNN layouts converted as Keras converts them."""
    if len(arrays) not in (2, 3):
        raise ValueError(f"expected kernel, recurrent_kernel and bias (2 or 3 arrays), got {len(arrays)}")
    kernel, recurrent = arrays[0], arrays[1]
    bias = arrays[2] if len(arrays) == 3 else None
    family = "lstm" if cls.endswith("LSTM") else "gru"
    G = 4 if family == "lstm" else 3
    if recurrent.ndim != 2 or recurrent.shape[1] != G * recurrent.shape[0] or recurrent.shape[0] == 0:
        raise ValueError(f"recurrent_kernel: expected (units, {G}·units) for {cls}, got {recurrent.shape}")
    H = recurrent.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != G * H or kernel.shape[0] == 0:
        raise ValueError(f"kernel: expected (input size, {G * H}), got {kernel.shape}")
    hidden_biases = None
    if cls.startswith("CuDNN"):
        if bias is None or bias.shape != (2 * G * H,):
            raise ValueError(f"bias: expected ({2 * G * H},) for {cls}: the input biases, then the recurrent ones, "
                             f"got {None if bias is None else bias.shape}")
        kernel, recurrent = _cudnn_kernel(kernel, G), _cudnn_recurrent(recurrent, G)
        if family == "lstm":  # the two biases add up inside every gate: keep them apart, as PyTorch does
            bias, second = bias[: G * H], bias[G * H :]
            hidden_biases = dict(zip(("input", "forget", "candidate", "output"),
                                     np.split(second, G), strict=True))
        else:
            bias = bias.reshape(2, G * H)  # row 0 the input biases, row 1 the recurrent ones: reset after
    reset_after = None
    if family == "gru" and bias is None:  # use_bias=False: only the config can say where the reset acts
        reset_after = bool(cfg.get("reset_after", False))
    elif family == "gru":
        reset_after = bias.ndim == 2
        if "reset_after" in cfg and not cls.startswith("CuDNN") and bool(cfg["reset_after"]) != reset_after:
            raise ValueError(f"bias: reset_after={cfg['reset_after']} in the config, but the bias has shape "
                             f"{None if bias is None else bias.shape}")
    cell = from_keras(family, kernel, recurrent, bias, reset_after=reset_after).forward
    changes: dict = {"gate_activation": sigma}
    if hidden_biases is not None:
        changes["hidden_biases"] = hidden_biases
    return dataclasses.replace(cell, **changes)


# ----- assembling the network ---------------------------------------------------------------------------
@dataclass
class _Stack:
    entries: list[_Entry] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    start: int = 0  # index of its first entry in the file's order
    end: int = 0  # index after its last recurrent entry

    def module(self) -> Recurrent:
        first, cell = self.layers[0], self.layers[0].forward
        name = " → ".join(e.name for e in self.entries)
        if len(self.styles) == 1:
            style = self.styles[0]
        else:  # "Keras 2 stack: CuDNNLSTM, CuDNNLSTM"
            style = " ".join(self.styles[0].split()[:2]) + " stack: " + ", ".join(s.split()[-1] for s in self.styles)
        keys = tuple(w for e in self.entries for w, _ in e.weights)
        return Recurrent(name, style, cell.KIND, len(self.layers), first.bidirectional, cell.input_size,
                         cell.hidden_size, keys)


def _stacks(entries: list[_Entry], f: H5File, version: tuple[int, int] | None, keras_version: str | None,
            notes: list[str]) -> tuple[list[_Stack], dict[int, str]]:
    """The runs of recurrent layers that feed one another, and why each other layer ended a run (by index)."""
    stacks: list[_Stack] = []
    stoppers: dict[int, str] = {}
    current: _Stack | None = None
    for k, entry in enumerate(entries):
        is_recurrent = entry.cls in RECURRENT or entry.cls == "Bidirectional"
        if not is_recurrent:
            if entry.cls in PASS_THROUGH and entry.chained:
                continue
            current = None
            if entry.cls not in ("Embedding", "Dense", "TimeDistributed", "Activation") or not entry.chained:
                stoppers[k] = entry.inferred or entry.cls
            continue
        try:
            layer, style = _recurrent(entry, f, version, keras_version, notes)
        except _Unrunnable as why:
            stoppers[k] = f"{entry.cls}: {why}"
            current = None
            continue
        fits = current is not None and entry.chained and current.layers[-1].output_size == layer.input_size
        if not fits:
            current = _Stack(start=k)
            stacks.append(current)
        current.entries.append(entry)
        current.layers.append(layer)
        current.styles.append(style)
        current.end = k + 1
    return stacks, stoppers


def _embedding(entries: list[_Entry], stack: _Stack, f: H5File) -> tuple[_Entry, np.ndarray] | None:
    """The Embedding right before the stack (only pass-through layers between), if its width fits."""
    k = stack.start - 1
    while k >= 0 and entries[k].cls in PASS_THROUGH:
        k -= 1
    if k < 0 or entries[k].cls != "Embedding" or not entries[stack.start].chained:
        return None
    entry = entries[k]
    if len(entry.weights) != 1:
        raise ValueError(f"{f.what}: Embedding {entry.name!r}: expected one (input_dim, output_dim) array, got "
                         f"{len(entry.weights)}")
    table = f.read(entry.weights[0][1], f"{entry.name}/{entry.weights[0][0]}")
    if table.ndim != 2 or table.shape[1] != stack.layers[0].input_size:
        return None
    return entry, table


def _head(entries: list[_Entry], stack: _Stack, f: H5File, stoppers: dict[int, str], config_known: bool,
          notes: list[str]) -> tuple[_Entry, Head] | None:
    """The Dense (or TimeDistributed(Dense)) right after the stack, with its activation; notes say why not."""
    k = stack.end
    while k < len(entries) and entries[k].cls in PASS_THROUGH and entries[k].chained:
        k += 1
    if k >= len(entries):
        return None
    entry = entries[k]
    if k in stoppers:
        notes.append(f"the head is left out: {entry.name!r} ({stoppers[k]}) is not a layer Gatescope runs, so what "
                     "comes after it is not read")
        return None
    cfg = entry.config
    if entry.cls == "TimeDistributed":
        inner = cfg.get("layer") if isinstance(cfg.get("layer"), dict) else {}
        if inner.get("class_name") != "Dense":
            notes.append(f"the head is left out: {entry.name!r} wraps {inner.get('class_name')!r}, not a Dense layer")
            return None
        cfg = inner.get("config") if isinstance(inner.get("config"), dict) else {}
    elif entry.cls != "Dense":
        return None
    if not entry.chained:
        return None
    arrays = [f.read(ds, f"{entry.name}/{w}") for w, ds in entry.weights]
    if not arrays or arrays[0].ndim != 2 or arrays[0].shape[0] != stack.layers[-1].output_size:
        notes.append(f"the head is left out: Dense {entry.name!r} does not read the recurrent layers' "
                     f"{stack.layers[-1].output_size} outputs")
        return None
    kernel = arrays[0]
    bias = arrays[1] if len(arrays) > 1 else np.zeros(kernel.shape[1], kernel.dtype)
    activation = _activation(cfg, "activation", "linear")
    after = k + 1
    if activation == "linear" and after < len(entries) and entries[after].cls == "Activation" and \
            entries[after].chained:
        activation = _activation(entries[after].config, "activation", "linear")
    if activation not in ("linear", "softmax", "sigmoid"):
        notes.append(f"the head is left out: Dense {entry.name!r} has activation {activation!r}; the head Gatescope "
                     "reads is linear, softmax or sigmoid")
        return None
    if not config_known:
        notes.append(f"{entry.name}: without the model's config, the head's activation is not known: read as logits")
    try:
        return entry, Head(np.ascontiguousarray(kernel.T), bias, activation)
    except ValueError as e:
        raise ValueError(f"{f.what}: Dense {entry.name!r}: {e}") from None


def _choose(stacks: list[_Stack], layer: int | str | None) -> int:
    if layer is None:
        return 0
    if isinstance(layer, int) and not isinstance(layer, bool):
        if 0 <= layer < len(stacks):
            return layer
    else:
        for k, stack in enumerate(stacks):
            if layer == stack.module().name or layer in [e.name for e in stack.entries]:
                return k
    listed = ", ".join(f"{k}: {s.module().name}" for k, s in enumerate(stacks))
    raise ValueError(f"layer: expected one of the recurrent layers found ({listed}), got {layer!r}")


def is_legacy(data: bytes) -> bool:
    """Whether an HDF5 file is a Keras 2 style one (layer_names, or a model_config and model_weights)."""
    try:
        import h5py

        with h5py.File(io.BytesIO(data), "r") as f:
            attrs = set(f.attrs)
            return bool({"layer_names", "layer_names0", "model_config"} & attrs) or "model_weights" in f
    except (ImportError, OSError, ValueError, RuntimeError, KeyError, TypeError):
        return False  # the Keras 3 reader then says what is wrong with it


def parts(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    """The Parts of a Keras 2 style .h5 file; a Keras 3 .weights.h5 goes to keras_io's reader."""
    if not is_legacy(data):
        from cells.files import keras_io

        try:
            return keras_io.reader("keras_h5")(data, max_bytes, layer, name)
        except (OSError, RuntimeError, KeyError, TypeError) as e:  # h5py's, from a damaged file
            raise ValueError(f"{name or 'Keras .h5 file'}: a damaged HDF5 structure ({e})") from None
    f = H5File(data, Budget.for_file(data, max_bytes, name or "Keras .h5 file"))
    try:
        return _read(f, layer)
    except (OSError, RuntimeError, KeyError, TypeError) as e:  # h5py's, from a damaged structure not met above
        raise ValueError(f"{f.what}: a damaged HDF5 structure ({e})") from None
    finally:
        f.close()


ATTRIBUTE_SECONDS = 5.0  # how long reading every attribute the reader uses may take


def _read_attributes(f: H5File) -> None:
    """Every attribute ``_read`` uses (the config, the versions, the layers' and their weights' names), read
    the way it reads them, so that ``f.remember`` can read them ahead in a process with a deadline."""
    root = f.file
    f.text(root, "model_config", "the file")
    f.text(root, "keras_version", "the file")
    weights_root = f.node(root, "model_weights", "model_weights") or root
    if weights_root is not root:
        f.text(weights_root, "keras_version", "model_weights")
    for name in f.names(weights_root, "layer_names", "the weights") or []:
        group = f.node(weights_root, name, f"layer {name!r}")
        if isinstance(group, f.h5py.Group):
            f.names(group, "weight_names", f"layer {name!r}")


def _read(f: H5File, layer: int | str | None) -> Parts:
    f.remember(lambda: _read_attributes(f), ATTRIBUTE_SECONDS)
    root = f.file
    config_text = f.text(root, "model_config", "the file")
    keras_version = f.text(root, "keras_version", "the file")
    weights_root = root
    found = f.node(root, "model_weights", "model_weights")
    if config_text is not None or found is not None:
        weights_root = found
        if weights_root is None or not isinstance(weights_root, f.h5py.Group):
            raise ValueError(f"{f.what}: a model_config but no model_weights group: the model was saved without "
                             "its weights")
        keras_version = keras_version or f.text(weights_root, "keras_version", "model_weights")
    names = f.names(weights_root, "layer_names", "the weights")
    if names is None:
        raise ValueError(f"{f.what}: no layer_names attribute: not a Keras .h5 file of weights")
    version = _version(keras_version)
    if version is not None and version[0] < 2:
        raise ValueError(f"{f.what}: saved by Keras {keras_version}; Keras 1 files are not read")
    notes: list[str] = []
    if config_text is not None:
        if len(config_text) > MAX_CONFIG:
            raise ValueError(f"{f.what}: model_config is larger than {MAX_CONFIG:,} bytes")
        try:
            config = json.loads(config_text)
        except (json.JSONDecodeError, RecursionError):
            raise ValueError(f"{f.what}: model_config is not valid JSON") from None
        entries = _from_config(f, config, weights_root, names)
    else:
        entries = _from_names(f, weights_root, names)
        inferred = [f"{e.name}: {e.inferred}" for e in entries if e.weights]
        notes.append(f"no config in the file (saved with save_weights, Keras {keras_version or 'version unknown'}): "
                     "each layer was inferred from its weights: " + "; ".join(inferred))
    stacks, stoppers = _stacks(entries, f, version, keras_version, notes)
    if not stacks:
        why = "; ".join(f"{entries[k].name}: {reason}" for k, reason in stoppers.items())
        raise ValueError(f"{f.what}: no LSTM, GRU or cuDNN recurrent layer Gatescope can run" +
                         (f" ({why})" if why else ""))
    chosen = _choose(stacks, layer)
    stack = stacks[chosen]
    if len(stacks) > 1:
        notes.append(f"{len(stacks)} recurrent modules that do not feed one another: reading "
                     f"{stack.module().name!r} (layer= picks another)")
    last = stack.entries[-1]
    inner = last.config.get("layer", {}).get("config", {}) if last.cls == "Bidirectional" else last.config
    if config_text is not None and not inner.get("return_sequences", True):
        notes.append(f"{last.name} returns only its last step: the model's output is the head's at the last step")
    embedding = _embedding(entries, stack, f)
    head = _head(entries, stack, f, stoppers, config_text is not None, notes)
    for entry in (e for e in entries if e.cls == "Embedding" and e.config.get("mask_zero")):
        notes.append(f"{entry.name}: mask_zero=True; Gatescope reads every step, token 0 included")
    try:
        network = Network(tuple(stack.layers))
    except ValueError as e:
        raise ValueError(f"{f.what}: the recurrent layers do not fit together: {e}") from None
    used = [e.name for e in stack.entries] + ([embedding[0].name] if embedding else []) + (
        [head[0].name] if head else [])
    ignored = [e.name for e in entries if e.name not in used and e.weights]
    found = Found("keras2_h5", tuple(s.module() for s in stacks), chosen,
                  embedding=None if embedding is None else (embedding[0].name, embedding[1].shape),
                  head=None if head is None else (head[0].name, head[1].weights.shape), used=tuple(used),
                  ignored=tuple(ignored), notes=tuple(notes))
    return Parts(network, found, None if embedding is None else embedding[1], None if head is None else head[1])
