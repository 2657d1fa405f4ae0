"""ONNX models read as data with the ``onnx`` package: LSTM and GRU nodes, a Gather embedding and a MatMul/Gemm head.

An ONNX LSTM or GRU node holds, per direction d (0 forward, 1 reverse when ``direction`` is
"bidirectional"), with G gates in ONNX's own order (LSTM i, o, f, c; GRU z, r, h):

    W (D, G·H, I)   R (D, G·H, H)   B (D, 2·G·H) = [Wb, Rb]

An LSTM becomes PyTorch's layout (rows i, f, g, o; bias_ih = Wb, bias_hh = Rb) and goes through
``from_torch``. A GRU with ``linear_before_reset=1`` is PyTorch's GRU (r_t ∗ (R_h·h_{t-1} + Rb_h)),
the same way; with ``linear_before_reset=0`` (ONNX's default) the reset gate multiplies h_{t-1}
before R_h, which is Keras' reset_after=False: kernel = W[d]ᵀ (columns z, r, h as Keras orders
them), bias = Wb + Rb, through ``from_keras``. ``layout`` only moves the batch axis, never the weights.

Before the recurrent nodes a ``Gather`` of a 2-D initializer by the graph's input is the embedding;
after them the first ``MatMul`` by a (D·H, K) initializer (then an ``Add`` of a (K,) one) or ``Gemm`` is the
head, and a ``Softmax`` after it makes its outputs probabilities. Any other op is refused by name.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from cells.files import budget
from cells.files.interop import from_keras, from_torch
from cells.files.parts import Found, Head, Parts, Recurrent
from cells.layers import MAX_LAYERS, Layer, Network

ALLOWED = {"LSTM", "GRU", "Gather", "MatMul", "Add", "Gemm", "Squeeze", "Unsqueeze", "Transpose", "Reshape",
           "Shape", "Constant", "ConstantOfShape", "Concat", "Expand", "Slice", "Identity", "Cast", "Softmax",
           "Dropout", "Flatten"}
_ORDER = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2]}  # ONNX blocks (iofc, zrh) -> PyTorch's (ifgo, rzn)
_ACTIVATIONS = {"LSTM": [b"Sigmoid", b"Tanh", b"Tanh"], "GRU": [b"Sigmoid", b"Tanh"]}
_FLOATS = {1: 4, 11: 8, 10: 2}  # ONNX FLOAT, DOUBLE, FLOAT16 element sizes: what weights may be
_NUMBERS = {**_FLOATS, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 12: 4, 13: 8}  # and what a zero state may be
_ARITY = {"LSTM": 3, "GRU": 3, "Gather": 2, "MatMul": 2, "Gemm": 2, "Add": 2, "Expand": 2, "Reshape": 2}
MAX_NODES = 1_000  # a recurrent model's graph has tens; each check below walks the graph
MAX_RECURRENT = 64  # LSTM/GRU nodes in one graph
# Attributes the reader looks at, and the one type each must have (onnx.AttributeProto's enum)
_FLOAT, _INT, _STRING, _TENSOR, _INTS, _STRINGS = 1, 2, 3, 4, 7, 8
_ATTRIBUTE_TYPES = {"hidden_size": _INT, "direction": _STRING, "layout": _INT, "linear_before_reset": _INT,
                    "input_forget": _INT, "clip": _FLOAT, "activations": _STRINGS, "activation_alpha": 6,
                    "activation_beta": 6, "value": _TENSOR, "alpha": _FLOAT, "beta": _FLOAT, "transA": _INT,
                    "transB": _INT, "axis": _INT, "perm": _INTS}


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ValueError("ONNX model: reading it needs the onnx package (pip install onnx)") from None
    return onnx, numpy_helper


class _Graph:
    """The parsed graph, and the one checked path from any tensor in it (an initializer, a Constant's or a
    ConstantOfShape's value) to an array: data kept in another file refused, types and sizes checked, the
    bytes charged to the file's budget once per tensor, however many nodes use it."""

    def __init__(self, data: bytes, max_bytes: int) -> None:
        onnx, self.numpy_helper = _onnx()
        try:
            self.model = onnx.load_model_from_string(data)  # never loads external data: only this file's bytes
        except Exception:  # protobuf's DecodeError and friends
            raise ValueError("ONNX model: not a readable ONNX file (damaged, truncated or another kind of file)") \
                from None
        self.graph = self.model.graph
        if not self.graph.node:
            raise ValueError("ONNX model: the graph has no nodes")
        if len(self.graph.node) > MAX_NODES:
            raise ValueError(f"ONNX model: {len(self.graph.node):,} nodes in the graph, more than the limit of "
                             f"{MAX_NODES:,}")
        names = [n for node in self.graph.node for n in (node.op_type, node.name, *node.input, *node.output,
                                                           *(a.name for a in node.attribute))]
        names += [t.name for t in self.graph.initializer] + [i.name for i in self.graph.input]
        if not all(isinstance(n, str) for n in names):  # protobuf hands back bytes for text that is not UTF-8
            raise ValueError("ONNX model: a name in the graph is not UTF-8 text (a damaged file)")
        self.max_bytes = max_bytes
        self.budget = budget.Budget.for_file(data, max_bytes, "ONNX model")
        self.initializers = {i.name: i for i in self.graph.initializer}
        self.inputs = {i.name for i in self.graph.input} - set(self.initializers)
        self.producer = {out: node for node in self.graph.node for out in node.output}
        self.helper = onnx.helper
        self._arrays: dict[int, np.ndarray] = {}  # id of a TensorProto -> its array, converted once

    def attributes(self, node) -> dict:
        """A node's attributes by name, each the type ONNX gives it (a wrong type is refused, not guessed)."""
        out = {}
        where = node.name or node.op_type
        for a in node.attribute:
            wanted = _ATTRIBUTE_TYPES.get(a.name)
            if wanted is not None and a.type != wanted:
                raise ValueError(f"ONNX model: {where}: attribute {a.name!r} has type {a.type}; ONNX defines it as "
                                 f"type {wanted}")
            if a.type == 5 or a.type == 10:  # GRAPH, GRAPHS: a subgraph, never walked
                raise ValueError(f"ONNX model: {where}: attribute {a.name!r} holds a subgraph, not read")
            try:
                out[a.name] = self.helper.get_attribute_value(a)
            except Exception as e:  # an attribute of an undefined type
                raise ValueError(f"ONNX model: {where}: attribute {a.name!r} cannot be read ({e})") from None
        return out

    def text(self, node, name: str, default: str) -> str:
        value = self.attributes(node).get(name)
        if value is None:
            return default
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"ONNX model: {node.name or node.op_type}: attribute {name!r} is not text") from None

    def tensor(self, tensor, what: str, types: dict[int, int] = _FLOATS) -> np.ndarray:
        """The checked path every tensor goes through: no data from another file, ever; an element type from
        ``types``; its size charged to the budget before it is converted; a read-only array."""
        done = self._arrays.get(id(tensor))
        if done is not None:
            return done
        if not isinstance(tensor, self._tensor_type()):
            raise ValueError(f"ONNX model: {what} is not a tensor")
        if tensor.data_location == 1 or len(tensor.external_data):  # EXTERNAL: a path to another file
            raise ValueError(f"ONNX model: {what} keeps its data in another file, never read")
        if tensor.data_type not in types:
            wanted = "float32 or float64" if types is _FLOATS else "numbers"
            raise ValueError(f"ONNX model: {what} has element type {tensor.data_type}; expected {wanted}")
        dims = tuple(tensor.dims)
        if len(dims) > 8 or any(d < 0 for d in dims):
            raise ValueError(f"ONNX model: {what} has shape {dims}")
        claimed = math.prod(dims) * types[tensor.data_type]
        if claimed > self.max_bytes:
            raise ValueError(f"ONNX model: {what} of shape {dims} is larger than the limit of "
                             f"{self.max_bytes:,} bytes")
        self.budget.take(claimed * (2 if types[tensor.data_type] == 2 else 1), what)
        try:
            a = self.numpy_helper.to_array(tensor)
        except Exception as e:  # data of the wrong length for its shape, and the like
            raise ValueError(f"ONNX model: {what} cannot be read ({type(e).__name__}: {e})") from None
        if a.dtype == np.float16:
            a = a.astype(np.float32)
        a.flags.writeable = False
        self._arrays[id(tensor)] = a
        return a

    def _tensor_type(self) -> type:
        from onnx import TensorProto

        return TensorProto

    def stored(self, name: str):
        """The TensorProto stored under ``name``: an initializer, or a Constant node's value; else None."""
        tensor = self.initializers.get(name)
        if tensor is None and name in self.producer and self.producer[name].op_type == "Constant":
            tensor = self.attributes(self.producer[name]).get("value")
        return tensor

    def array(self, name: str, what: str) -> np.ndarray:
        """An initializer (or Constant) as a float array, through ``tensor``."""
        tensor = self.stored(name)
        if tensor is None:
            raise ValueError(f"ONNX model: {what} ({name!r}) is computed in the graph, not stored; Gatescope reads "
                             "stored weights only")
        return self.tensor(tensor, what)

    def dims(self, name: str, what: str) -> tuple[int, ...]:
        """A stored tensor's shape from its header, nothing converted."""
        tensor = self.stored(name)
        if tensor is None:
            raise ValueError(f"ONNX model: {what} ({name!r}) is computed in the graph, not stored; Gatescope reads "
                             "stored weights only")
        return tuple(int(d) for d in tensor.dims)

    def is_stored(self, name: str) -> bool:
        return name in self.initializers or (name in self.producer and self.producer[name].op_type == "Constant")

    def upstream(self, name: str) -> set[str]:
        """Every value ``name`` is computed from (the graph's inputs and stored weights included)."""
        seen, todo = set(), [name]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in self.producer:
                todo += [i for i in self.producer[n].input if i]
        return seen


_PASS_THROUGH = ("Expand", "Identity", "Cast", "Reshape", "Unsqueeze", "Squeeze")  # zeros stay zeros


def _zero_state(g: _Graph, name: str, what: str) -> None:
    """An initial state must be zero: stored zeros, or zeros from ConstantOfShape, through shape-only ops."""
    for _ in range(MAX_NODES):
        if not name:
            return
        if name in g.inputs:
            raise ValueError(f"ONNX model: its {what} is an input of the graph; Gatescope starts from zeros")
        node = g.producer.get(name)
        if node is not None and node.op_type in _PASS_THROUGH and node.input:
            name = node.input[0]
            continue
        if node is not None and node.op_type == "ConstantOfShape":
            value = g.attributes(node).get("value")  # absent: float zeros
            if value is not None and np.any(g.tensor(value, f"the value of {what}", _NUMBERS)):
                raise ValueError(f"ONNX model: a non-zero {what}; Gatescope starts from zeros")
            return
        tensor = g.stored(name)
        if tensor is None:
            raise ValueError(f"ONNX model: its {what} ({name!r}) is computed in the graph; Gatescope starts from "
                             "zeros")
        if np.any(g.tensor(tensor, what, _NUMBERS)):
            raise ValueError(f"ONNX model: a non-zero {what}; Gatescope starts from zeros")
        return
    raise ValueError(f"ONNX model: its {what} is computed through a loop of nodes")


def _describe(g: _Graph, node) -> Recurrent:
    """What a recurrent node is, from its attributes and its weights' shapes: nothing converted yet."""
    op = node.op_type
    if len(node.input) < 3 or not node.output or not node.output[0]:
        raise ValueError(f"ONNX model: {node.name or op}: an {op} node needs X, W and R inputs and an output")
    a = g.attributes(node)
    name = node.name or f"{op} {node.output[0]}"
    direction = g.text(node, "direction", "forward")
    if direction not in ("forward", "bidirectional"):
        raise ValueError(f"ONNX model: {name} reads {direction!r}; Gatescope reads forward or both ways "
                         "(bidirectional)")
    if a.get("activations") not in (None, _ACTIVATIONS[op]):
        shown = [x.decode("utf-8", "replace") for x in a["activations"]]
        raise ValueError(f"ONNX model: {name} uses activations {shown}; the cells use "
                         f"{[x.decode() for x in _ACTIVATIONS[op]]}")
    if "clip" in a:
        raise ValueError(f"ONNX model: {name} clips its pre-activations (clip={a['clip']}); the cells never clip")
    if a.get("input_forget", 0):
        raise ValueError(f"ONNX model: {name} couples its input and forget gates (input_forget=1), not read here")
    if a.get("layout", 0) not in (0, 1) or a.get("linear_before_reset", 0) not in (0, 1):
        raise ValueError(f"ONNX model: {name}: layout and linear_before_reset are 0 or 1")
    inputs = list(node.input) + [""] * (8 - len(node.input))
    if op == "LSTM" and inputs[7] and np.any(g.array(inputs[7], f"{name} peepholes")):
        raise ValueError(f"ONNX model: {name} has peephole weights P; they are not read from ONNX")
    if inputs[4]:
        raise ValueError(f"ONNX model: {name} takes sequence lengths; Gatescope reads one whole sequence")
    _zero_state(g, inputs[5], f"{name} initial hidden state")
    if op == "LSTM":
        _zero_state(g, inputs[6], f"{name} initial cell state")
    W, R = g.dims(inputs[1], f"{name} W"), g.dims(inputs[2], f"{name} R")
    G = 4 if op == "LSTM" else 3
    D = 2 if direction == "bidirectional" else 1
    if len(W) != 3 or len(R) != 3 or W[0] != D or R[0] != D or R[2] == 0 or R[1] != G * R[2] or W[1] != R[1]:
        raise ValueError(f"ONNX model: {name}: expected W ({D}, {G}·H, I) and R ({D}, {G}·H, H), got {W} and {R}")
    H, I = R[2], W[2]
    if a.get("hidden_size", H) != H:
        raise ValueError(f"ONNX model: {name}: hidden_size {a['hidden_size']} but R is {R}")
    before_reset = op == "GRU" and not a.get("linear_before_reset", 0)
    kind = "gru_keras_v1" if before_reset else ("lstm" if op == "LSTM" else "gru_torch")
    style = f"ONNX {op}" + (" (linear_before_reset=0)" if before_reset else "")
    return Recurrent(name, style, kind, 1, D == 2, I, H, tuple(i for i in inputs[1:4] if i))


def _build(g: _Graph, node, module: Recurrent, built: dict[tuple, Network]) -> Network:
    """The Network of one recurrent node; nodes with the same weights and attributes share one (``built``)."""
    op, name, H = node.op_type, module.name, module.hidden_size
    inputs = list(node.input) + [""] * (4 - len(node.input))
    key = (op, module.kind, module.bidirectional, *inputs[1:4])
    if key in built:
        return built[key]
    W, R = g.array(inputs[1], f"{name} W"), g.array(inputs[2], f"{name} R")
    G, D = (4 if op == "LSTM" else 3), (2 if module.bidirectional else 1)
    B = g.array(inputs[3], f"{name} B") if inputs[3] else np.zeros((D, 2 * G * H), W.dtype)
    if W.shape[0] != D or R.shape != (D, G * H, H) or B.shape != (D, 2 * G * H):
        raise ValueError(f"ONNX model: {name}: expected W ({D}, {G}·H, I), R {(D, G * H, H)} and B "
                         f"{(D, 2 * G * H)}, got {W.shape}, {R.shape} and {B.shape}")
    if W.dtype != R.dtype or W.dtype != B.dtype:
        raise ValueError(f"ONNX model: {name}: W, R and B differ in type ({W.dtype}, {R.dtype}, {B.dtype})")
    # the layers built from these weights: a copy of them in the cells' layout
    g.budget.take(W.nbytes + R.nbytes + B.nbytes, f"the cells of {name}")

    def blocks(a: np.ndarray) -> np.ndarray:  # ONNX gate blocks along axis 0 -> PyTorch's order
        return np.concatenate([a[k * H : (k + 1) * H] for k in _ORDER[op]])

    if module.kind == "gru_keras_v1":
        cells = [from_keras("gru", np.ascontiguousarray(W[d].T), np.ascontiguousarray(R[d].T),
                            B[d, : 3 * H] + B[d, 3 * H :], reset_after=False).forward for d in range(D)]
        network = Network((Layer(*cells),))
    else:
        sd = {}
        for d, suffix in zip(range(D), ("", "_reverse"), strict=False):
            sd |= {f"weight_ih_l0{suffix}": blocks(W[d]), f"weight_hh_l0{suffix}": blocks(R[d]),
                   f"bias_ih_l0{suffix}": blocks(B[d, : G * H]), f"bias_hh_l0{suffix}": blocks(B[d, G * H :])}
        network = from_torch(op.lower(), sd, bidirectional=D == 2)
    built[key] = network
    return network


def parts(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    g = _Graph(data, max_bytes)
    unknown = sorted({n.op_type for n in g.graph.node} - ALLOWED)
    if unknown:
        raise ValueError(f"ONNX model: ops Gatescope does not read around the recurrent layers: {', '.join(unknown)} "
                         f"(it reads {', '.join(sorted(ALLOWED))})")
    for node in g.graph.node:
        if not node.output or not node.output[0] or len(node.input) < _ARITY.get(node.op_type, 0):
            raise ValueError(f"ONNX model: {node.name or node.op_type}: a {node.op_type} node needs "
                             f"{_ARITY.get(node.op_type, 0)} inputs and an output, got {len(node.input)} and "
                             f"{len(node.output)}")
    nodes = [n for n in g.graph.node if n.op_type in ("LSTM", "GRU")]
    if not nodes:
        raise ValueError("ONNX model: no LSTM or GRU node in the graph")
    if len(nodes) > MAX_RECURRENT:
        raise ValueError(f"ONNX model: {len(nodes)} recurrent nodes, more than the limit of {MAX_RECURRENT}")
    described = [_describe(g, n) for n in nodes]
    chained = all(n.output[0] in g.upstream(m.input[0]) for n, m in itertools.pairwise(nodes))
    built: dict[tuple, Network] = {}
    if chained:  # one stack: each node reads what the one before wrote
        if len(nodes) > MAX_LAYERS:
            raise ValueError(f"ONNX model: a stack of {len(nodes)} recurrent nodes, more than the limit of "
                             f"{MAX_LAYERS} layers")
        nets = [_build(g, n, r, built) for n, r in zip(nodes, described, strict=True)]
        try:  # nodes sharing their weights share one Layer object, and so one copy of its arrays
            network = Network(tuple(layer_ for net in nets for layer_ in net.layers))
        except ValueError as e:
            raise ValueError(f"ONNX model: the recurrent nodes do not stack: {e}") from None
        first = described[0]
        module = Recurrent(" → ".join(r.name for r in described), first.style if len(nodes) == 1 else "ONNX stack",
                           network.kind, len(nodes), first.bidirectional, first.input_size, first.hidden_size,
                           tuple(k for r in described for k in r.keys))
        modules, chosen, last = [module], 0, nodes[-1]
    else:
        from cells.files.statedict import choose

        modules = described
        chosen = choose(modules, layer)
        network, last = _build(g, nodes[chosen], described[chosen], built), nodes[chosen]  # only the one used
    first_node = nodes[0] if chained else nodes[chosen]
    used = [k for m in modules for k in m.keys] if chained else list(modules[chosen].keys)

    embedding = embedding_name = None
    before = g.upstream(first_node.input[0])
    for node in g.graph.node:
        if node.op_type == "Gather" and node.output[0] in before and g.is_stored(node.input[0]) \
                and node.input[1] in g.inputs and len(g.dims(node.input[0], "the embedding")) == 2:
            embedding = g.array(node.input[0], "the embedding")
            if embedding.ndim != 2 or embedding.shape[1] != network.input_size:
                raise ValueError(f"ONNX model: the Gather before the recurrent layers reads a {embedding.shape} table; "
                                 f"expected (tokens, {network.input_size})")
            embedding_name = node.input[0]
            used.append(embedding_name)
            break

    head = head_name = None
    position = list(g.graph.node).index(last)
    D = network.layers[-1].output_size
    for node in list(g.graph.node)[position + 1 :]:
        if node.op_type not in ("MatMul", "Gemm") or last.output[0] not in g.upstream(node.output[0]):
            continue
        weight = next((i for i in node.input[:2] if g.is_stored(i)), None)
        if weight is None:
            continue
        a = g.attributes(node)
        dims = g.dims(weight, "the head's weights")
        if len(dims) != 2 or (dims[1] if node.op_type == "Gemm" and a.get("transB", 0) else dims[0]) != D:
            continue  # not a head of this network: never converted
        Wt = g.array(weight, "the head's weights")
        if node.op_type == "Gemm":
            W = (Wt if a.get("transB", 0) else Wt.T) * a.get("alpha", 1.0)
            bias = g.array(node.input[2], "the head's bias") * a.get("beta", 1.0) if len(node.input) > 2 and \
                node.input[2] else np.zeros(W.shape[0], W.dtype)
            out = node.output[0]
        else:
            W = Wt.T
            adds = [n for n in g.graph.node if n.op_type == "Add" and node.output[0] in n.input]
            stored = [i for n in adds for i in n.input if g.is_stored(i)]
            bias = g.array(stored[0], "the head's bias") if stored else np.zeros(W.shape[0], W.dtype)
            out = adds[0].output[0] if adds and stored else node.output[0]
        if W.ndim != 2 or W.shape[1] != D or bias.shape != (W.shape[0],):
            continue
        softmax = any(n.op_type == "Softmax" and out in n.input for n in g.graph.node)
        head = Head(np.ascontiguousarray(W), bias.astype(W.dtype), "softmax" if softmax else "linear")
        head_name = weight
        used += [weight] + ([stored[0]] if node.op_type == "MatMul" and stored else [])
        break
    ignored = [k for k in g.initializers if k not in used]
    found = Found("onnx", tuple(modules), chosen,
                  embedding=None if embedding is None else (embedding_name, embedding.shape),
                  head=None if head is None else (head_name, head.weights.shape), used=tuple(used),
                  ignored=tuple(ignored))
    return Parts(network, found, embedding, head)
