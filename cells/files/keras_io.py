"""Keras weights: ``layer.get_weights()`` lists, Gatescope's Keras .npz, and Keras 3 ``.keras`` / ``.weights.h5`` files.

A ``.keras`` file is a zip of ``config.json`` (the layers, in order, as data) and ``model.weights.h5``
(their arrays). Both are read as data with ``json`` and ``h5py``; Keras' own loader, which can run
code named in the config, is never called, and a config naming any layer but these is refused:

    InputLayer, Embedding, LSTM, GRU, Bidirectional(LSTM|GRU, merge_mode="concat"), Dense, Dropout

In the HDF5 file each layer's arrays sit under ``layers/<name>/vars/0, 1, …`` (a recurrent layer's
under ``…/cell/vars``, a Bidirectional's under ``…/forward_layer/cell`` and ``…/backward_layer/cell``):
LSTM/GRU kernel (I, G·H), recurrent_kernel (H, G·H), bias; Embedding embeddings (V, E); Dense
kernel (D, K) and bias (K,), so the head's W is kernel.T. A ``.weights.h5`` without its config is
put in order by its layers' names and sizes: each recurrent layer reads what the one before writes.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import math
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from cells.files import budget
from cells.files.hdf5 import H5File
from cells.files.interop import from_weights_list
from cells.files.parts import Found, Head, Parts, Recurrent
from cells.layers import Layer, Network

ALLOWED = ("InputLayer", "Embedding", "LSTM", "GRU", "Bidirectional", "Dense", "Dropout")
RECURRENT = ("LSTM", "GRU")
MAX_CONFIG = 10_000_000


# ----- Gatescope's own Keras export: layer{k}.{direction}.{kernel|recurrent_kernel|bias} ---------------
NPZ_KEY = re.compile(r"layer(\d+)\.(forward|backward)\.(kernel|recurrent_kernel|bias)")


def npz_parts(arrays: dict[str, np.ndarray]) -> Parts:
    """The Network of the arrays Gatescope's Keras export writes (one layer{k}.{direction} group each)."""
    found: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    for key, a in arrays.items():
        m = NPZ_KEY.fullmatch(key)
        if m is None:
            raise ValueError(f"Keras arrays: unexpected key {key!r}; expected layer{{k}}.forward.kernel, "
                             "recurrent_kernel and bias")
        found.setdefault(int(m.group(1)), {}).setdefault(m.group(2), {})[m.group(3)] = a
    if sorted(found) != list(range(len(found))):
        raise ValueError(f"Keras arrays: layers must be numbered 0, 1, …, got {sorted(found)}")
    layers, modules = [], []
    for k in range(len(found)):
        if "forward" not in found[k]:
            raise ValueError(f"Keras arrays: layer{k} has no forward arrays")
        weights = []
        for direction in ("forward", "backward"):
            parts = found[k].get(direction)
            if parts is None:
                continue
            missing = [n for n in ("kernel", "recurrent_kernel") if n not in parts]
            if missing:
                raise ValueError(f"Keras arrays: layer{k}.{direction} is missing {', '.join(missing)}")
            weights.append([parts[n] for n in ("kernel", "recurrent_kernel", "bias") if n in parts])
        if len(weights) == 2 and len(weights[0]) != len(weights[1]):
            raise ValueError(f"Keras arrays: layer{k}: the forward and backward directions differ in their bias")
        try:
            layer = from_weights_list(None, [a for w in weights for a in w])
        except ValueError as e:
            raise ValueError(f"Keras arrays, layer{k}: {e}") from None
        layers.append(layer)
        modules.append(_module(f"layer{k}", layer, tuple(f"layer{k}.{d}" for d in found[k])))
    try:
        network = Network(tuple(layers))
    except ValueError as e:
        raise ValueError(f"Keras arrays: {e}") from None
    return Parts(network, Found("npz", (_stack(modules, "Keras arrays"),), 0, used=tuple(arrays)))


def _module(name: str, layer: Layer, keys: tuple[str, ...], style: str | None = None) -> Recurrent:
    cell = layer.forward
    label = "LSTM" if cell.FAMILY == "lstm" else "GRU"
    style = style or f"Keras {'Bidirectional(' + label + ')' if layer.bidirectional else label}"
    return Recurrent(name, style, cell.KIND, 1, layer.bidirectional, cell.input_size, cell.hidden_size, keys)


def _stack(modules: list[Recurrent], style: str) -> Recurrent:
    first = modules[0]
    return Recurrent(" → ".join(m.name for m in modules), style if len(modules) > 1 else first.style, first.kind,
                     len(modules), first.bidirectional, first.input_size, first.hidden_size,
                     tuple(k for m in modules for k in m.keys))


# ----- HDF5, read as data through cells.files.hdf5 -----------------------------------------------------
def _open(data: bytes, max_bytes: int, what: str, size: int | None = None) -> H5File:
    """``data`` opened with the budget of the uploaded file (``size``: its size when the HDF5 file came out
    of it, a .keras zip)."""
    return H5File(data, budget.Budget(budget.limit_for(size or len(data), max_bytes), what))


def _var_names(h5: H5File, group: object, name: str) -> tuple[object, list[str]]:
    node = h5.node(group, "vars")
    if node is None:
        return None, []
    if not isinstance(node, h5.h5py.Group):
        raise ValueError(f"{h5.what}: {name}/vars is not a group")
    return node, sorted(h5.members(node, f"{name}/vars"), key=lambda n: int(n) if n.isdigit() else math.inf)


def _vars(h5: H5File, group: object, name: str) -> list[np.ndarray]:
    """The arrays under ``group/vars`` in their order 0, 1, …"""
    node, names = _var_names(h5, group, name)
    return [h5.read(h5.node(node, n), f"{name}/vars/{n}") for n in names]


def _shapes(h5: H5File, group: object, name: str) -> list[tuple[int, ...]]:
    """The shapes of ``vars``, from the file's metadata: nothing is read."""
    node, names = _var_names(h5, group, name)
    return [h5.shape(h5.node(node, n), f"{name}/vars/{n}") for n in names]


def _group_name(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()  # Bidirectional -> bidirectional, GRU -> g_r_u


def _snake(class_name: str) -> str:
    return {"LSTM": "lstm", "GRU": "gru"}.get(class_name, _group_name(class_name))


def _find_group(h5: H5File, config_name: str, class_name: str, seen: dict[str, int], by_name: bool = False) -> object:
    """The HDF5 group of a config layer: the one whose vars name it, else Keras' snake_case name and counter.
    ``by_name``: the config was made from the groups' own names (a .weights.h5 alone), so no attribute is read
    (a damaged variable-length attribute can send HDF5 into an endless loop)."""
    layers = h5.node(h5.file, "layers")
    if layers is None:
        raise ValueError(f"{h5.what}: no layers group inside")
    if by_name:
        group = h5.node(layers, config_name)
        if group is None:
            raise ValueError(f"{h5.what}: no arrays for layer {config_name!r} ({class_name})")
        return group
    if not hasattr(h5, "vars_names"):
        h5.vars_names = _vars_names(h5, layers)
    for name, named in h5.vars_names.items():
        if named == config_name:
            return h5.node(layers, name)
    base = _snake(class_name)
    count = seen.get(base, 0)
    seen[base] = count + 1
    group = h5.node(layers, base if count == 0 else f"{base}_{count}")
    if group is None:
        raise ValueError(f"{h5.what}: no arrays for layer {config_name!r} ({class_name})")
    return group


ATTRIBUTE_SECONDS = 5.0  # how long reading the layers' names may take


def _vars_name(h5: H5File, name: str, layers: object) -> str | None:
    try:
        vars_ = h5.node(layers, f"{name}/vars")
        return h5.text(vars_, "name", f"layers/{name}/vars") if vars_ is not None else None
    except Exception:  # an unreadable attribute (too large, damaged, not text) names nothing
        return None


def _vars_names(h5: H5File, layers: object) -> dict[str, str | None]:
    """Each layer group's ``vars`` "name" attribute (None where absent or not text), read in a forked process
    with a deadline: a damaged variable-length attribute can send HDF5 into an endless loop that holds the
    whole process (every thread of it), so it is never read in this one."""
    names = h5.members(layers, "layers")
    found = budget.in_child(lambda: {name: _vars_name(h5, name, layers) for name in names}, ATTRIBUTE_SECONDS,
                            f"{h5.what}: its layers' names")
    if not isinstance(found, dict):
        raise ValueError(f"{h5.what}: its layers' names could not be read (a damaged HDF5 file)")
    return found


def _recurrent_weights(h5: H5File, group: object, name: str, bidirectional: bool) -> list[np.ndarray]:
    if bidirectional:
        out = []
        for side in ("forward_layer", "backward_layer"):
            cell = h5.node(group, f"{side}/cell")
            if cell is None:
                raise ValueError(f"{h5.what}: {name} has no {side}/cell arrays")
            out += _vars(h5, cell, f"{name}/{side}/cell")
        return out
    cell = h5.node(group, "cell")
    if cell is None:
        raise ValueError(f"{h5.what}: {name} has no cell arrays")
    return _vars(h5, cell, f"{name}/cell")


# ----- .keras: config.json says the order ------------------------------------------------------------
def _check_recurrent(config: dict, name: str) -> str:
    """The layer's gate activation (Keras 3's "hard_sigmoid" is relu6(a + 3)/6), or a ValueError."""
    if config.get("activation", "tanh") != "tanh":
        raise ValueError(f"Keras layer {name!r}: activation {config.get('activation')!r}; Gatescope's cells use tanh")
    gate = {"sigmoid": "sigmoid", "hard_sigmoid": "hard_sigmoid_relu6"}.get(config.get("recurrent_activation",
                                                                                      "sigmoid"))
    if gate is None:
        raise ValueError(f"Keras layer {name!r}: recurrent_activation {config.get('recurrent_activation')!r}; "
                         "Gatescope's gates use sigmoid or hard_sigmoid")
    if config.get("go_backwards"):
        raise ValueError(f"Keras layer {name!r}: go_backwards=True outside a Bidirectional layer is not read")
    if config.get("stateful"):
        raise ValueError(f"Keras layer {name!r}: stateful layers are not read")
    return gate


def _object(value: object, where: str) -> dict:
    """A JSON object of config.json ({} for a missing one), or a ValueError saying what came instead."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"Keras model: config.json's {where}: expected an object, got {type(value).__name__}")
    return value


def _typed(layer: object, where: str, inner: bool = False) -> None:
    """A layer entry's JSON types, checked where the reader looks: objects where it calls .get, text where
    it compares names (a Bidirectional's inner layers too, one level down)."""
    if not isinstance(layer, dict):
        raise ValueError(f"Keras model: config.json's {where}: expected an object, got {type(layer).__name__}")
    for key in ("class_name", "module", "registered_name"):
        if layer.get(key) is not None and not isinstance(layer[key], str):
            raise ValueError(f"Keras model: config.json's {where}.{key}: expected text, got "
                             f"{type(layer[key]).__name__}")
    cfg = _object(layer.get("config"), f"{where}.config")
    for key in ("name", "activation", "recurrent_activation", "merge_mode"):
        if cfg.get(key) is not None and not isinstance(cfg[key], str):
            raise ValueError(f"Keras model: config.json's {where}.config.{key}: expected text, got "
                             f"{type(cfg[key]).__name__}")
    for key in ("layer", "backward_layer"):
        if cfg.get(key) is not None and not inner:
            _typed(cfg[key], f"{where}.config.{key}", inner=True)


def _layers(config: object) -> list[dict]:
    if not isinstance(config, dict) or config.get("class_name") not in ("Sequential", "Functional"):
        got = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ValueError(f"Keras model: expected a Sequential or Functional model in config.json, got {got!r}")
    layers = _object(config.get("config"), "config").get("layers")
    if not isinstance(layers, list):
        raise ValueError("Keras model: config.json lists no layers")
    for k, layer in enumerate(layers):
        _typed(layer, f"config.layers[{k}]")
        cls = layer.get("class_name")
        if cls == "Lambda":
            raise ValueError("Keras model: it has a Lambda layer, which holds Python code; Gatescope never runs "
                             "code from a file")
        module, registered = layer.get("module"), layer.get("registered_name")
        if cls not in ALLOWED or (module not in (None, "keras.layers")) or registered not in (None, cls):
            shown = registered or cls
            raise ValueError(f"Keras model: layer {shown!r} is not one Gatescope reads (a custom or unsupported "
                             f"layer; it reads {', '.join(ALLOWED)})")
        if cls == "Bidirectional":
            inner = (layer.get("config") or {}).get("layer") or {}
            if inner.get("class_name") not in RECURRENT or inner.get("module") not in (None, "keras.layers"):
                raise ValueError(f"Keras model: a Bidirectional layer around {inner.get('class_name')!r}; "
                                 "expected LSTM or GRU")
            back = (layer.get("config") or {}).get("backward_layer")
            if back is not None and back.get("class_name") != inner.get("class_name"):
                raise ValueError("Keras model: a Bidirectional layer whose two directions differ in kind")
    return layers


def _read_keras(data: bytes, max_bytes: int, layer_choice: object, name: str) -> Parts:
    what = name or "Keras model"
    unpacked = budget.Budget.for_file(data, max_bytes, what)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            config_text = budget.read_member(z, "config.json", unpacked, MAX_CONFIG)
            weights = budget.read_member(z, "model.weights.h5", unpacked)  # streamed, stopped at the budget
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, RuntimeError):
        raise ValueError(f"{what}: a damaged .keras archive (config.json and model.weights.h5 expected)") from None
    try:
        config = json.loads(config_text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError(f"{what}: config.json is not valid JSON") from None
    layers = _layers(config)
    h5 = _open(weights, max_bytes, f"{what} (model.weights.h5)", size=len(data))
    try:
        return _assemble(h5, layers, "keras")
    finally:
        h5.close()


def _assemble(h5: H5File, layers: list[dict], fmt: str) -> Parts:
    """Embedding → recurrent layers → Dense, in config order."""
    seen: dict[str, int] = {}
    embedding = head = None
    embedding_name = head_name = ""
    cells_, modules, used, ignored, notes = [], [], [], [], []
    activation = "linear"
    after_recurrent: list[str] = []
    layers_built: dict[tuple, Layer] = {}
    for layer in layers:
        cls, cfg = layer["class_name"], layer.get("config") or {}
        name = str(cfg.get("name", cls))
        if cls in ("InputLayer", "Dropout"):
            continue
        group = _find_group(h5, name, cls, seen, by_name=fmt == "keras_h5")
        if cls == "Embedding":
            if cells_:
                raise ValueError(f"Keras model: an Embedding ({name!r}) after a recurrent layer")
            (embedding,) = _vars(h5, group, name)[:1] or [None]
            if embedding is None or embedding.ndim != 2:
                raise ValueError(f"Keras model: Embedding {name!r} has no (input_dim, output_dim) array")
            embedding_name = name
            if cfg.get("mask_zero"):
                notes.append(f"{name}: mask_zero=True; Gatescope reads every step, token 0 included")
            used.append(name)
        elif cls in RECURRENT or cls == "Bidirectional":
            if after_recurrent:
                raise ValueError(f"Keras model: {after_recurrent[0]!r} sits between recurrent layers; only "
                                 "Dropout may")
            bidirectional = cls == "Bidirectional"
            inner = _object(_object(cfg.get("layer"), "layer").get("config"), "layer.config") if bidirectional \
                else cfg
            inner_cls = _object(cfg.get("layer"), "layer").get("class_name") if bidirectional else cls
            if bidirectional and cfg.get("merge_mode", "concat") != "concat":
                raise ValueError(f"Keras model: Bidirectional {name!r} merges with {cfg.get('merge_mode')!r}; "
                                 "Gatescope reads merge_mode='concat'")
            gate = _check_recurrent(inner, name)
            arrays = _recurrent_weights(h5, group, name, bidirectional)
            reset_after = bool(inner.get("reset_after", True)) if inner_cls == "GRU" else None
            key = (inner_cls, reset_after, *map(id, arrays))  # hard links to the same arrays: one Layer, one copy
            if key not in layers_built:
                h5.budget.take(sum(a.nbytes for a in arrays), f"the cells of layer {name!r}")
                try:
                    layers_built[key] = from_weights_list(inner_cls.lower(), arrays, reset_after=reset_after)
                except ValueError as e:
                    raise ValueError(f"Keras model, layer {name!r}: {e}") from None
            built = layers_built[key]
            if gate != "sigmoid":
                built = Layer(*(dataclasses.replace(cell, gate_activation=gate) for cell in built.cells))
                notes.append(f"{name}: recurrent_activation hard_sigmoid, Keras 3's relu6(a + 3)/6")
            cells_.append(built)
            modules.append(_module(name, built, (name,)))
            used.append(name)
        elif cls == "Dense":
            if not cells_:
                ignored.append(name)
                notes.append(f"{name}: a Dense layer before the recurrent layers is not read")
                continue
            after_recurrent.append(name)
            if head is not None:
                head = None
                notes.append("more than one Dense layer after the recurrent layers: no head is read")
                ignored.append(name)
                continue
            vars_ = _vars(h5, group, name)
            if not vars_ or vars_[0].ndim != 2:
                raise ValueError(f"Keras model: Dense {name!r} has no (inputs, units) kernel")
            kernel = vars_[0]
            bias = vars_[1] if len(vars_) > 1 else np.zeros(kernel.shape[1], kernel.dtype)
            activation = cfg.get("activation", "linear")
            if activation not in ("linear", "softmax", "sigmoid"):
                raise ValueError(f"Keras model: Dense {name!r} has activation {activation!r}; the head Gatescope "
                                 "reads is linear, softmax or sigmoid")
            head = Head(np.ascontiguousarray(kernel.T), bias, activation)
            head_name = name
            used.append(name)
    if not cells_:
        raise ValueError("Keras model: no LSTM, GRU or Bidirectional layer in it")
    try:
        network = Network(tuple(cells_))
    except ValueError as e:
        raise ValueError(f"Keras model: the recurrent layers do not fit together: {e}") from None
    if embedding is not None and embedding.shape[1] != network.input_size:
        raise ValueError(f"Keras model: the Embedding gives {embedding.shape[1]} numbers, the first recurrent layer "
                         f"reads {network.input_size}")
    if head is not None and head.weights.shape[1] != network.layers[-1].output_size:
        raise ValueError(f"Keras model: the Dense layer reads {head.weights.shape[1]} numbers, the last recurrent "
                         f"layer gives {network.layers[-1].output_size}")
    found = Found(fmt, (_stack(modules, "Keras stack"),), 0,
                  embedding=None if embedding is None else (embedding_name, embedding.shape),
                  head=None if head is None else (head_name, head.weights.shape), used=tuple(used),
                  ignored=tuple(ignored), notes=tuple(notes))
    return Parts(network, found, embedding, head)


# ----- .weights.h5 alone: order from names and sizes ----------------------------------------------------
_CLASSES = {"embedding": "Embedding", "lstm": "LSTM", "gru": "GRU", "bidirectional": "Bidirectional",
            "dense": "Dense"}


def _read_weights_h5(data: bytes, max_bytes: int, layer_choice: object, name: str) -> Parts:
    h5 = _open(data, max_bytes, name or "Keras weights")
    try:
        group = h5.node(h5.file, "layers")
        if group is None:
            raise ValueError(f"{h5.what}: no layers group: not a Keras 3 .weights.h5 file")
        by_class: dict[str, list[str]] = {}
        ignored = []
        for child in h5.members(group, "layers"):
            base = re.sub(r"_\d+$", "", child)
            if base in _CLASSES:
                by_class.setdefault(_CLASSES[base], []).append(child)
            else:
                ignored.append(child)

        def number(n: str) -> int:
            m = re.search(r"_(\d+)$", n)
            return int(m.group(1)) if m else 0

        recurrent = sorted(by_class.get("LSTM", []) + by_class.get("GRU", []) + by_class.get("Bidirectional", []),
                           key=number)
        if not recurrent:
            raise ValueError(f"{h5.what}: no lstm, gru or bidirectional layer inside")
        info = {child: _sizes(h5, h5.node(group, child), child) for child in recurrent}  # metadata only
        order = None
        if len(recurrent) <= 6:
            for perm in itertools.permutations(recurrent):
                if all(info[b].input_size == info[a].output_size for a, b in itertools.pairwise(perm)):
                    order = list(perm)
                    break
        if order is None:
            raise ValueError(f"{h5.what}: its recurrent layers {', '.join(recurrent)} do not form one stack")
        layers = [{"class_name": "Embedding", "config": {"name": n}} for n in sorted(by_class.get("Embedding", []),
                                                                                    key=number)[:1]]
        for child in order:
            inner = "LSTM" if info[child].family == "lstm" else "GRU"
            reset = {"reset_after": info[child].reset_after}
            if child.startswith("bidirectional"):
                layers.append({"class_name": "Bidirectional", "config": {"name": child, "layer": {
                    "class_name": inner, "config": reset}}})
            else:
                layers.append({"class_name": inner, "config": {"name": child, **reset}})
        dense = sorted(by_class.get("Dense", []), key=number)
        fitting = [d for d in dense if (v := _shapes(h5, h5.node(group, d), d)) and len(v[0]) == 2
                   and v[0][0] == info[order[-1]].output_size]
        if fitting:
            layers.append({"class_name": "Dense", "config": {"name": fitting[-1], "activation": "linear"}})
        parts = _assemble(h5, layers, "keras_h5")
        notes = parts.found.notes + (("without its config, the head's activation is not known: read as logits",)
                                     if fitting else ())
        extra = tuple(ignored) + tuple(d for d in dense if d not in fitting[-1:])
        return Parts(parts.network, _replace(parts.found, notes=notes, ignored=parts.found.ignored + extra),
                     parts.embedding, parts.head)
    finally:
        h5.close()


@dataclass(frozen=True)
class _Sizes:
    """A recurrent layer of a .weights.h5 as its arrays' shapes say, before any is read."""

    family: str  # "lstm" or "gru"
    input_size: int
    output_size: int  # D·H
    reset_after: bool


def _sizes(h5: H5File, node: object, child: str) -> _Sizes:
    """kernel (I, G·H), recurrent_kernel (H, G·H), bias (G·H,) or a GRU's (2, 3H), per direction: from metadata."""
    sides = ["forward_layer/cell", "backward_layer/cell"] if child.startswith("bidirectional") else ["cell"]
    found = []
    for side in sides:
        cell = h5.node(node, side)
        if cell is None:
            raise ValueError(f"{h5.what}: {child} has no {side} arrays")
        shapes = _shapes(h5, cell, f"{child}/{side}")
        if len(shapes) not in (2, 3) or len(shapes[0]) != 2 or len(shapes[1]) != 2 or shapes[1][0] == 0:
            raise ValueError(f"{h5.what}, layer {child!r}: expected a kernel (I, G·H), a recurrent kernel (H, G·H) "
                             f"and a bias, got shapes {shapes}")
        (I, GH), (H, GH2) = shapes[0], shapes[1]
        if GH != GH2 or GH not in (3 * H, 4 * H):
            raise ValueError(f"{h5.what}, layer {child!r}: a kernel {shapes[0]} and a recurrent kernel {shapes[1]} "
                             "are not an LSTM's (4H columns) or a GRU's (3H)")
        found.append((I, H, "lstm" if GH == 4 * H else "gru", len(shapes) < 3 or len(shapes[2]) == 2))
    if len(set(found)) != 1:
        raise ValueError(f"{h5.what}, layer {child!r}: its two directions differ in shape or kind")
    I, H, family, reset_after = found[0]
    return _Sizes(family, I, H * len(sides), reset_after)


def _replace(found: Found, **changes: object) -> Found:
    from dataclasses import replace

    return replace(found, **changes)


def reader(fmt: str):
    return _read_keras if fmt == "keras" else _read_weights_h5
