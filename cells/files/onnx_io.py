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

from cells.files.interop import from_keras, from_torch
from cells.files.parts import Found, Head, Parts, Recurrent
from cells.layers import Network

ALLOWED = {"LSTM", "GRU", "Gather", "MatMul", "Add", "Gemm", "Squeeze", "Unsqueeze", "Transpose", "Reshape",
           "Shape", "Constant", "ConstantOfShape", "Concat", "Expand", "Slice", "Identity", "Cast", "Softmax",
           "Dropout", "Flatten"}
_ORDER = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2]}  # ONNX blocks (iofc, zrh) -> PyTorch's (ifgo, rzn)
_ACTIVATIONS = {"LSTM": [b"Sigmoid", b"Tanh", b"Tanh"], "GRU": [b"Sigmoid", b"Tanh"]}
_SIZES = {1: 4, 11: 8, 10: 2}  # ONNX FLOAT, DOUBLE, FLOAT16 element sizes


def _onnx():
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ValueError("ONNX model: reading it needs the onnx package (pip install onnx)") from None
    return onnx, numpy_helper


class _Graph:
    def __init__(self, data: bytes, max_bytes: int) -> None:
        onnx, self.numpy_helper = _onnx()
        try:
            self.model = onnx.load_model_from_string(data)
        except Exception:  # protobuf's DecodeError and friends
            raise ValueError("ONNX model: not a readable ONNX file (damaged, truncated or another kind of file)") \
                from None
        self.graph = self.model.graph
        if not self.graph.node:
            raise ValueError("ONNX model: the graph has no nodes")
        self.max_bytes = max_bytes
        self.initializers = {i.name: i for i in self.graph.initializer}
        self.inputs = {i.name for i in self.graph.input} - set(self.initializers)
        self.producer = {out: node for node in self.graph.node for out in node.output}
        self.attr = onnx.helper.get_attribute_value

    def attributes(self, node) -> dict:
        return {a.name: self.attr(a) for a in node.attribute}

    def array(self, name: str, what: str) -> np.ndarray:
        """An initializer (or Constant) as a float array, its size checked before it is converted."""
        tensor = self.initializers.get(name)
        if tensor is None and name in self.producer and self.producer[name].op_type == "Constant":
            tensor = self.attributes(self.producer[name]).get("value")
        if tensor is None:
            raise ValueError(f"ONNX model: {what} ({name!r}) is computed in the graph, not stored; Gatescope reads "
                             "stored weights only")
        if tensor.data_location == 1:  # EXTERNAL
            raise ValueError(f"ONNX model: {what} keeps its data in another file, never read")
        if tensor.data_type not in _SIZES:
            raise ValueError(f"ONNX model: {what} has element type {tensor.data_type}; expected float32 or float64")
        claimed = math.prod(tensor.dims) * _SIZES[tensor.data_type]
        if claimed > self.max_bytes:
            raise ValueError(f"ONNX model: {what} of shape {tuple(tensor.dims)} is larger than the limit of "
                             f"{self.max_bytes:,} bytes")
        try:
            a = self.numpy_helper.to_array(tensor)
        except Exception as e:
            raise ValueError(f"ONNX model: {what} cannot be read ({e})") from None
        return a.astype(np.float32) if a.dtype == np.float16 else a

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


def _zero_state(g: _Graph, name: str, what: str) -> None:
    """An initial state must be zero: stored zeros, or an Expand/ConstantOfShape of zeros."""
    if not name:
        return
    if name in g.inputs:
        raise ValueError(f"ONNX model: its {what} is an input of the graph; Gatescope starts from zeros")
    node = g.producer.get(name)
    if node is not None and node.op_type == "Expand":
        name = node.input[0]
    elif node is not None and node.op_type == "ConstantOfShape":
        value = g.attributes(node).get("value")
        if value is not None and np.any(g.numpy_helper.to_array(value)):
            raise ValueError(f"ONNX model: a non-zero {what}; Gatescope starts from zeros")
        return
    if g.is_stored(name) and np.any(g.array(name, what)):
        raise ValueError(f"ONNX model: a non-zero {what}; Gatescope starts from zeros")


def _recurrent(g: _Graph, node) -> tuple[Network, Recurrent]:
    op = node.op_type
    a = g.attributes(node)
    name = node.name or f"{op} {node.output[0]}"
    direction = a.get("direction", b"forward").decode()
    if direction == "reverse":
        raise ValueError(f"ONNX model: {name} reads only in reverse; Gatescope reads forward or both ways")
    if a.get("activations") not in (None, _ACTIVATIONS[op]):
        raise ValueError(f"ONNX model: {name} uses activations {[x.decode() for x in a['activations']]}; the cells "
                         f"use {[x.decode() for x in _ACTIVATIONS[op]]}")
    if "clip" in a:
        raise ValueError(f"ONNX model: {name} clips its pre-activations (clip={a['clip']}); the cells never clip")
    if a.get("input_forget", 0):
        raise ValueError(f"ONNX model: {name} couples its input and forget gates (input_forget=1), not read here")
    inputs = list(node.input) + [""] * (8 - len(node.input))
    if op == "LSTM" and inputs[7] and np.any(g.array(inputs[7], f"{name} peepholes")):
        raise ValueError(f"ONNX model: {name} has peephole weights P; they are not read from ONNX")
    if inputs[4]:
        raise ValueError(f"ONNX model: {name} takes sequence lengths; Gatescope reads one whole sequence")
    _zero_state(g, inputs[5], f"{name} initial hidden state")
    if op == "LSTM":
        _zero_state(g, inputs[6], f"{name} initial cell state")
    W, R = g.array(inputs[1], f"{name} W"), g.array(inputs[2], f"{name} R")
    G = 4 if op == "LSTM" else 3
    D = 2 if direction == "bidirectional" else 1
    if W.ndim != 3 or R.ndim != 3 or W.shape[0] != D or R.shape[0] != D or R.shape[1] != G * R.shape[2]:
        raise ValueError(f"ONNX model: {name}: expected W ({D}, {G}·H, I) and R ({D}, {G}·H, H), got {W.shape} and "
                         f"{R.shape}")
    H, I = R.shape[2], W.shape[2]
    B = g.array(inputs[3], f"{name} B") if inputs[3] else np.zeros((D, 2 * G * H), W.dtype)
    if B.shape != (D, 2 * G * H):
        raise ValueError(f"ONNX model: {name}: expected B ({D}, {2 * G * H}), got {B.shape}")

    def blocks(a: np.ndarray) -> np.ndarray:  # ONNX gate blocks along axis 0 -> PyTorch's order
        return np.concatenate([a[k * H : (k + 1) * H] for k in _ORDER[op]])

    before_reset = op == "GRU" and not a.get("linear_before_reset", 0)
    if before_reset:
        cells = [from_keras("gru", np.ascontiguousarray(W[d].T), np.ascontiguousarray(R[d].T),
                            B[d, : 3 * H] + B[d, 3 * H :], reset_after=False).forward for d in range(D)]
        from cells.layers import Layer

        network = Network((Layer(*cells),))
    else:
        sd = {}
        for d, suffix in zip(range(D), ("", "_reverse"), strict=False):
            sd |= {f"weight_ih_l0{suffix}": blocks(W[d]), f"weight_hh_l0{suffix}": blocks(R[d]),
                   f"bias_ih_l0{suffix}": blocks(B[d, : G * H]), f"bias_hh_l0{suffix}": blocks(B[d, G * H :])}
        network = from_torch(op.lower(), sd, bidirectional=D == 2)
    kind = network.kind
    style = f"ONNX {op}" + (" (linear_before_reset=0)" if before_reset else "")
    return network, Recurrent(name, style, kind, 1, D == 2, I, H, tuple(i for i in inputs[1:4] if i))


def parts(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    g = _Graph(data, max_bytes)
    unknown = sorted({n.op_type for n in g.graph.node} - ALLOWED)
    if unknown:
        raise ValueError(f"ONNX model: ops Gatescope does not read around the recurrent layers: {', '.join(unknown)} "
                         f"(it reads {', '.join(sorted(ALLOWED))})")
    nodes = [n for n in g.graph.node if n.op_type in ("LSTM", "GRU")]
    if not nodes:
        raise ValueError("ONNX model: no LSTM or GRU node in the graph")
    built = [_recurrent(g, n) for n in nodes]
    chained = all(n.output[0] in g.upstream(m.input[0]) for n, m in itertools.pairwise(nodes))
    if chained:  # one stack: each node reads what the one before wrote
        try:
            network = Network(tuple(layer_ for net, _ in built for layer_ in net.layers))
        except ValueError as e:
            raise ValueError(f"ONNX model: the recurrent nodes do not stack: {e}") from None
        first = built[0][1]
        module = Recurrent(" → ".join(r.name for _, r in built), first.style if len(built) == 1 else "ONNX stack",
                           network.kind, len(built), first.bidirectional, first.input_size, first.hidden_size,
                           tuple(k for _, r in built for k in r.keys))
        modules, chosen, last = [module], 0, nodes[-1]
    else:
        from cells.files.statedict import choose

        modules = [r for _, r in built]
        chosen = choose(modules, layer)
        network, last = built[chosen][0], nodes[chosen]
    first_node = nodes[0] if chained else nodes[chosen]
    used = [k for m in modules for k in m.keys] if chained else list(modules[chosen].keys)

    embedding = embedding_name = None
    before = g.upstream(first_node.input[0])
    for node in g.graph.node:
        if node.op_type == "Gather" and node.output[0] in before and g.is_stored(node.input[0]) \
                and node.input[1] in g.inputs:
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
        Wt = g.array(weight, "the head's weights")
        a = g.attributes(node)
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
