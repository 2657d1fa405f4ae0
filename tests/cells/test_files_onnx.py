"""ONNX models read as data: PyTorch's own exports, hand-built graphs checked against onnx's reference
evaluator, and graphs with ops Gatescope does not read refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import cells

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
WORDS = ["<pad>", "good", "bad", "great", "awful", "movie", "film", "was", "very", "not", "a", "the"]


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(MODELS / f"{stem}.expected.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize(("stem", "vocabulary"), [("char_lm", MODELS / "char_lm.vocab.json"), ("word_gru", WORDS)])
def test_pytorch_onnx_exports_match_pytorch(stem, vocabulary):
    model = cells.load(MODELS / f"{stem}.onnx", vocabulary=vocabulary)
    fx = expected(stem)
    reading = model.read(str(fx["text"]))
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(reading.logits, fx["logits"], rtol=0, atol=1e-5)
    assert model.found.embedding is not None and model.found.head is not None and model.found.ignored == ()


def test_the_stacked_export_becomes_one_two_layer_network():
    model = cells.load(MODELS / "char_lm.onnx", vocabulary=MODELS / "char_lm.vocab.json")
    (stack,) = model.found.recurrent
    assert stack.style == "ONNX stack" and stack.num_layers == 2 and len(model.network.layers) == 2


def graph(op: str, *, direction: str = "forward", layout: int = 0, linear_before_reset: int | None = None,
          head: str = "gemm", extra_op: str | None = None, dtype=np.float64, seed: int = 0):
    """A small ONNX model: Gather embedding -> LSTM/GRU -> (Squeeze, reshape) -> Gemm or MatMul+Add head -> Softmax."""
    rng = np.random.default_rng(seed)
    V, E, H, K = 7, 3, 4, 5
    G, D = (4 if op == "LSTM" else 3), (2 if direction == "bidirectional" else 1)
    elem = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    weights = {"emb": rng.normal(size=(V, E)), "W": rng.normal(size=(D, G * H, E)) * 0.6,
               "R": rng.normal(size=(D, G * H, H)) * 0.6, "B": rng.normal(size=(D, 2 * G * H)) * 0.3,
               "head_w": rng.normal(size=(D * H, K)), "head_b": rng.normal(size=K),
               "perm_shape": np.array([-1, D * H], dtype=np.int64)}
    inits = [numpy_helper.from_array(v.astype(dtype) if v.dtype.kind == "f" else v, k) for k, v in weights.items()]
    attrs = {"hidden_size": H, "direction": direction, "layout": layout}
    if linear_before_reset is not None:
        attrs["linear_before_reset"] = linear_before_reset
    nodes = [helper.make_node("Gather", ["emb", "ids"], ["x"])]
    x = "x"
    if layout == 1:
        nodes.append(helper.make_node("Unsqueeze", ["x", "zero"], ["xb"]))  # (1, T, E): batch first
        inits.append(numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"))
    else:
        nodes.append(helper.make_node("Unsqueeze", ["x", "one"], ["xb"]))  # (T, 1, E)
        inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "one"))
    x = "xb"
    nodes.append(helper.make_node(op, [x, "W", "R", "B"], ["y"], **attrs))
    # y: (T, D, 1, H) for layout 0, (1, T, D, H) for layout 1 -> (T, D·H)
    nodes.append(helper.make_node("Transpose", ["y"], ["yt"], perm=[0, 2, 1, 3] if layout == 0 else [0, 1, 2, 3]))
    nodes.append(helper.make_node("Reshape", ["yt", "perm_shape"], ["h"]))
    last = "h"
    if extra_op:
        nodes.append(helper.make_node(extra_op, ["h"], ["h2"]))
        last = "h2"
    if head == "gemm":
        nodes.append(helper.make_node("Gemm", [last, "head_w", "head_b"], ["logits"]))
    else:
        nodes += [helper.make_node("MatMul", [last, "head_w"], ["mm"]), helper.make_node("Add", ["mm", "head_b"],
                                                                                          ["logits"])]
    nodes.append(helper.make_node("Softmax", ["logits"], ["p"], axis=-1))
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
                          [helper.make_tensor_value_info("h", elem, None),
                           helper.make_tensor_value_info("p", elem, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


CASES = {
    "LSTM forward": dict(op="LSTM"),
    "LSTM bidirectional, batch first": dict(op="LSTM", direction="bidirectional", layout=1),
    "GRU linear_before_reset=0": dict(op="GRU", linear_before_reset=0),
    "GRU linear_before_reset=1, bidirectional": dict(op="GRU", linear_before_reset=1, direction="bidirectional"),
    "LSTM float32, MatMul head": dict(op="LSTM", head="matmul", dtype=np.float32),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hand_built_graphs_match_onnx_reference_evaluator(case):
    options = CASES[case]
    model_proto = graph(**options)
    ids = np.array([0, 3, 6, 1, 1, 5], dtype=np.int64)
    h, p = ReferenceEvaluator(model_proto).run(None, {"ids": ids})
    model = cells.load(model_proto.SerializeToString(), name="m.onnx")
    reading = model.read(ids)
    tol = 1e-5 if options.get("dtype") == np.float32 else 1e-12
    np.testing.assert_allclose(reading.trace.output, h, rtol=0, atol=tol)
    assert model.head.activation == "softmax"
    np.testing.assert_allclose(reading.probabilities, p, rtol=0, atol=tol)
    if options.get("linear_before_reset") == 0:
        assert model.network.kind == "gru_keras_v1"  # the reset gate before the matmul
    elif options["op"] == "GRU":
        assert model.network.kind == "gru_torch"


def test_ops_around_the_recurrent_node_that_are_not_read_are_refused_by_name():
    with pytest.raises(ValueError, match=r"ops Gatescope does not read around the recurrent layers: Relu"):
        cells.load(graph("LSTM", extra_op="Relu").SerializeToString(), name="m.onnx")


def test_weights_kept_in_another_file_are_never_read():
    proto = graph("LSTM")
    w = next(i for i in proto.graph.initializer if i.name == "W")
    w.ClearField("raw_data")
    w.ClearField("double_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="/etc/passwd")
    with pytest.raises(ValueError, match="keeps its data in another file, never read"):
        cells.load(proto.SerializeToString(), name="m.onnx")


def test_a_damaged_file_is_refused():
    with pytest.raises(ValueError, match="not a readable ONNX file"):
        cells.load(b"\x08\x07garbage that is not protobuf \xff\xff\xff", name="m.onnx")


def _state_from_another_file(location: str) -> bytes:
    """graph("LSTM") whose initial_h is ConstantOfShape with a ``value`` kept in ``location``."""
    proto = graph("LSTM")
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    value = TensorProto(name="v", data_type=TensorProto.DOUBLE, dims=[1])
    value.data_location = TensorProto.EXTERNAL
    value.external_data.add(key="location", value=location)
    proto.graph.initializer.append(numpy_helper.from_array(np.array([1, 1, 4], dtype=np.int64), "h0_shape"))
    proto.graph.node.insert(0, helper.make_node("ConstantOfShape", ["h0_shape"], ["h0"], value=value))
    lstm.input.extend(["", "h0"])  # sequence_lens empty, initial_h
    return proto.SerializeToString()


@pytest.mark.parametrize("location", ["app.py", "/etc/passwd", "no/such/file.bin"])
def test_an_initial_state_kept_in_another_file_is_refused_without_opening_it(location, tmp_path, monkeypatch):
    """The ConstantOfShape value's path resolves against the working directory, the repository under `make serve`:
    a sentinel app.py sits there, and no open() of any path happens while the file is read."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text("sentinel = 1\n" * 115)
    data = _state_from_another_file(location)
    import builtins
    import io
    import os

    opened = []
    real_open, real_os_open = builtins.open, os.open

    def record(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def record_os(path, *args, **kwargs):
        opened.append(str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", record)
    monkeypatch.setattr(io, "open", record)
    monkeypatch.setattr(os, "open", record_os)
    with pytest.raises(ValueError, match="initial hidden state keeps its data in another file, never read"):
        cells.load(data, name="m.onnx")
    assert opened == []


def test_attributes_of_the_wrong_type_are_refused_by_name():
    proto = graph("LSTM")
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    direction = next(a for a in lstm.attribute if a.name == "direction")
    lstm.attribute.remove(direction)
    lstm.attribute.append(helper.make_attribute("direction", 1))
    with pytest.raises(ValueError, match="attribute 'direction' has type 2; ONNX defines it as type 3"):
        cells.load(proto.SerializeToString(), name="m.onnx")


def test_nodes_sharing_one_weight_share_one_layer():
    """Two chained LSTM nodes naming the same W, R and B: one Layer object (one copy of the arrays), two layers."""
    proto = graph("LSTM")
    H = 4
    W = next(i for i in proto.graph.initializer if i.name == "W")
    W.CopyFrom(numpy_helper.from_array(np.random.default_rng(3).normal(size=(1, 4 * H, H)) * 0.5, "W"))
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    # the embedding gives 3 numbers; the shared W reads 4: feed the first LSTM a 4-wide embedding
    emb = next(i for i in proto.graph.initializer if i.name == "emb")
    emb.CopyFrom(numpy_helper.from_array(np.random.default_rng(4).normal(size=(7, H)), "emb"))
    nodes = list(proto.graph.node)
    at = nodes.index(lstm)
    second = helper.make_node("LSTM", ["y_sq", "W", "R", "B"], ["y2"], hidden_size=H)
    squeeze = helper.make_node("Squeeze", ["y", "one"], ["y_sq"])
    transpose = next(n for n in proto.graph.node if n.op_type == "Transpose")
    transpose.input[0] = "y2"
    proto.graph.node.insert(at + 1, squeeze)
    proto.graph.node.insert(at + 2, second)
    model = cells.load(proto.SerializeToString(), name="m.onnx")
    first, again = model.network.layers
    assert first is again and model.found.recurrent[0].num_layers == 2
    ids = np.array([0, 3, 6, 1], dtype=np.int64)
    h, _ = ReferenceEvaluator(proto).run(None, {"ids": ids})
    np.testing.assert_allclose(model.read(ids).trace.output, h, rtol=0, atol=1e-12)
