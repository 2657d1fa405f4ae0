"""Models under their own names: recurrent layers told by how their names end, roles given by hand, value heads.

seq2seq_gru.* and sine_cell.pt were written by tests/fixtures/make_wild_models.py with PyTorch; the
expected outputs beside them are PyTorch's.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cells
from cells.files import roles
from cells.files.model import to_json, to_npz

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
SEQ2SEQ = ("npz", "safetensors", "pt")


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(MODELS / f"{stem}.expected.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def npz(arrays: dict[str, np.ndarray]) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def safetensors(arrays: dict[str, np.ndarray]) -> bytes:
    import safetensors.numpy

    return safetensors.numpy.save(arrays)


# ----- an encoder-decoder GRU under its own names ------------------------------------------------------
@pytest.mark.parametrize("ext", SEQ2SEQ)
def test_an_encoder_decoder_gru_lists_both_and_each_reads_as_pytorch_ran_it(ext, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # the .pt too is read without PyTorch
    path, fx = MODELS / f"seq2seq_gru.{ext}", expected("seq2seq_gru")
    model = cells.load(path)
    listed = {r.name: r for r in model.found.recurrent}
    assert set(listed) == {"enc", "dec"}
    assert [(r.style, r.kind, r.input_size, r.hidden_size) for r in listed.values()] == \
        [("GRU, PyTorch's layout", "gru_torch", 6, 8)] * 2
    enc, dec = cells.load(path, layer="enc"), cells.load(path, layer="dec")
    assert enc.found.embedding == ("enc_emb", (10, 6)) and enc.found.head is None
    assert "fc: the head of dec, not of enc" in enc.found.notes
    assert dec.found.embedding == ("dec_emb", (12, 6)) and dec.found.head == ("fc", (12, 8))
    assert set(dec.found.used) == {"dec_w_ih", "dec_w_hh", "dec_b_ih", "dec_b_hh", "dec_emb", "fc_w", "fc_b"}
    np.testing.assert_allclose(enc.read(fx["src"]).trace.output, fx["enc_output"], rtol=0, atol=1e-5)
    reading = dec.read(fx["tgt"])
    np.testing.assert_allclose(reading.trace.output, fx["dec_output"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(reading.logits, fx["logits"], rtol=0, atol=1e-5)
    assert not dec.head.predicts_value and reading.probabilities is not None  # tokens in: class scores


def lstm_and_head(seed: int = 0) -> tuple[cells.Network, np.ndarray, np.ndarray]:
    net = cells.Network.create("lstm", 3, 4, seed=seed, dtype=np.float32)
    rng = np.random.default_rng(seed)
    return net, rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)


def renamed(net: cells.Network, names: dict[str, str]) -> dict[str, np.ndarray]:
    sd = cells.to_torch(net)
    return {names[k.removesuffix("_l0")]: v for k, v in sd.items()}


ENDINGS = {
    "w_ih": {"weight_ih": "enc_w_ih", "weight_hh": "enc_w_hh", "bias_ih": "enc_b_ih", "bias_hh": "enc_b_hh"},
    "W_ih": {"weight_ih": "enc.W_ih", "weight_hh": "enc.W_hh", "bias_ih": "enc.b_ih", "bias_hh": "enc.b_hh"},
    "weight_ih": {"weight_ih": "lstm_weight_ih", "weight_hh": "lstm_weight_hh", "bias_ih": "lstm_bias_ih",
                  "bias_hh": "lstm_bias_hh"},
    "Wx": {"weight_ih": "rnn/Wx", "weight_hh": "rnn/Wh", "bias_ih": "rnn/bx", "bias_hh": "rnn/bh"},
}


@pytest.mark.parametrize("style", ENDINGS)
@pytest.mark.parametrize("container", [npz, safetensors])
def test_pytorch_layout_under_any_names_ending_in_a_role(style, container):
    net, W, b = lstm_and_head()
    arrays = {**renamed(net, ENDINGS[style]), "out_w": W, "out_b": b}
    model = cells.load(container(arrays), name="m")
    (module,) = model.found.recurrent
    assert module.kind == "lstm" and module.hidden_size == 4 and model.found.head == ("out", (5, 4))
    xs = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    reading = model.read(xs)
    np.testing.assert_array_equal(reading.trace.output, net.run(xs).output)
    np.testing.assert_allclose(reading.values, net.run(xs).output @ W.T + b, rtol=0, atol=1e-6)  # features in


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["lstm", "gru_torch"]), prefix=st.sampled_from(["", "enc", "model.rnn", "Decoder_1"]),
       separator=st.sampled_from(list(roles.SEPARATORS)), style=st.integers(0, 4), upper=st.booleans())
def test_any_prefix_separator_and_ending_reads_the_same_network(kind, prefix, separator, style, upper):
    net = cells.Network.create(kind, 3, 5, seed=4, dtype=np.float32)
    endings = {role: names[style] for role, names in roles.TORCH_ENDINGS.items()}
    arrays = {}
    for key, value in cells.to_torch(net).items():
        ending = endings[key.removesuffix("_l0")]
        ending = ending.upper() if upper else ending
        arrays[f"{prefix}{separator}{ending}" if prefix else ending] = value
    model = cells.load(npz(arrays), name="m.npz")
    (module,) = model.found.recurrent
    assert module.name == prefix and module.kind == kind
    xs = np.random.default_rng(4).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.read(xs).trace.output, net.run(xs).output)


def test_weights_stored_for_h_at_w_are_read_transposed_and_said_so():
    net, W, b = lstm_and_head()
    arrays = {k: v.T if v.ndim == 2 else v for k, v in renamed(net, ENDINGS["Wx"]).items()}  # (I, 4H), (H, 4H)
    arrays |= {"fc_w": np.ascontiguousarray(W.T), "fc_b": b}  # (H, K), as h @ W code keeps it
    model = cells.load(npz(arrays), name="m.npz")
    xs = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.read(xs).trace.output, net.run(xs).output)
    assert any("read transposed, in PyTorch's gate order i, f, g, o" in n for n in model.found.notes)
    assert any("fc: head weights stored (4, 5), read transposed" in n for n in model.found.notes)


def test_keras_layout_kernel_and_recurrent_kernel_under_any_prefix():
    gru = cells.Network.create("gru_torch", 3, 4, seed=5, dtype=np.float32)
    kernel, recurrent, bias = cells.to_keras(gru.layers[0])
    W = np.random.default_rng(5).standard_normal((4, 2)).astype(np.float32)  # Dense kernel (H, K)
    arrays = {"model/gru/kernel": kernel, "model/gru/recurrent_kernel": recurrent, "model/gru/bias": bias,
              "model/dense/kernel": W, "model/dense/bias": np.zeros(2, np.float32)}
    model = cells.load(safetensors(arrays), name="m.safetensors")
    (module,) = model.found.recurrent
    assert (module.name, module.style, module.kind) == ("model/gru", "GRU, Keras' layout", "gru_torch")
    assert model.found.head == ("model/dense", (2, 4))
    xs = np.random.default_rng(6).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.read(xs).trace.output, gru.run(xs).output, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.read(xs).values, gru.run(xs).output @ W, rtol=0, atol=1e-6)


def test_stacked_bidirectional_layers_under_a_prefix_with_pytorch_suffixes():
    net = cells.Network.create("gru_torch", 3, 4, num_layers=2, bidirectional=True, seed=7, dtype=np.float32)
    arrays = {f"encoder_{k.replace('weight_', 'w_').replace('bias_', 'b_')}": v for k, v in cells.to_torch(net).items()}
    assert "encoder_w_ih_l1_reverse" in arrays
    model = cells.load(npz(arrays), name="m.npz")
    (module,) = model.found.recurrent
    assert (module.name, module.num_layers, module.bidirectional) == ("encoder", 2, True)
    xs = np.random.default_rng(8).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(model.read(xs).trace.output, net.run(xs).output)


def test_names_that_say_nothing_point_to_roles_by_hand():
    with pytest.raises(ValueError, match=r"names end in w_ih and w_hh.*found a, b.*roles=\{…\}"):
        cells.load(npz({"a": np.zeros((16, 3), np.float32), "b": np.zeros((16, 4), np.float32)}), name="m.npz")
    with pytest.raises(ValueError, match=r"lstm: enc_w_hh is \(7, 3\); expected \(4·H, H\)|enc: enc_w_hh is \(7, 3\)"):
        cells.load(npz({"enc_w_ih": np.zeros((7, 3), np.float32), "enc_w_hh": np.zeros((7, 3), np.float32)}),
                   name="m.npz")


# ----- roles given by hand ------------------------------------------------------------------------------
def anonymous() -> tuple[dict[str, np.ndarray], cells.Network, np.ndarray]:
    net, W, b = lstm_and_head(3)
    sd = cells.to_torch(net)
    E = np.random.default_rng(3).standard_normal((9, 3)).astype(np.float32)
    arrays = {"a": sd["weight_ih_l0"], "b": sd["weight_hh_l0"], "c": sd["bias_ih_l0"], "d": sd["bias_hh_l0"],
              "e": E, "f": W, "g": b, "step": np.ones(1, np.float32)}
    return arrays, net, E


ALL = {"kind": "lstm", "input": "a", "recurrent": "b", "bias_input": "c", "bias_recurrent": "d", "embedding": "e",
       "head_weights": "f", "head_bias": "g"}


@pytest.mark.parametrize("container", [npz, safetensors])
def test_roles_given_by_hand_build_the_model(container):
    arrays, net, E = anonymous()
    model = cells.load(container(arrays), name="m", roles=ALL)
    ids = np.array([0, 4, 8, 2])
    reading = model.read(ids)
    np.testing.assert_array_equal(reading.trace.output, net.run(E[ids]).output)
    np.testing.assert_allclose(reading.logits, net.run(E[ids]).output @ arrays["f"].T + arrays["g"], atol=1e-6)
    assert model.found.embedding == ("e", (9, 3)) and model.found.head == ("f", (5, 4))
    assert model.found.ignored == ("step",) and model.found.notes[0].startswith("roles given by hand: input weights a")


def test_roles_are_checked_as_they_are_chosen():
    shapes = {a.name: a.shape for a in roles.describe(anonymous()[0])}
    assert roles.problems(shapes, {"kind": "lstm", "input": "a"}) == ["recurrent weights: not chosen yet"]
    assert roles.problems(shapes, {"kind": "gru", "recurrent": "b"}) == [
        "recurrent weights 'b': expected (3·H, H) for a GRU in PyTorch's layout, got (16, 4)",
        "input weights: not chosen yet"]
    wrong = roles.problems(shapes, {"kind": "lstm", "input": "e", "recurrent": "b", "bias_input": "g",
                                    "head_weights": "a"})
    assert wrong == [
        "input weights 'e': expected (16, I) (H = 4 from the recurrent weights) for an LSTM in PyTorch's layout, "
        "got (9, 3)",
        "input bias 'g': expected (16,) for an LSTM in PyTorch's layout, got (5,)",
        "head weights 'a': expected (K, 4), reading the 4 hidden units for an LSTM in PyTorch's layout, got (16, 3)",
    ]
    assert roles.problems(shapes, {**ALL, "embedding": "a"}) == ["embedding: 'a' is already the input weights"]
    assert roles.problems(shapes, {**ALL, "head_bias": "zzz"}) == ["head bias: no array named 'zzz' in the file"]
    assert roles.problems(shapes, {**ALL, "kind": "rnn"})[0] == "kind: expected 'lstm' or 'gru', got 'rnn'"
    with pytest.raises(ValueError, match=r"roles: input bias 'g': expected \(16,\)"):
        cells.load(npz(anonymous()[0]), name="m.npz", roles={**ALL, "bias_input": "g", "head_bias": None})


def test_roles_in_keras_layout_and_the_arrays_a_page_offers():
    gru = cells.Network.create("gru_keras_v1", 3, 4, seed=9, dtype=np.float32)
    kernel, recurrent, bias = cells.to_keras(gru.layers[0])
    data = npz({"k": kernel, "r": recurrent, "bb": bias})
    assert roles.list_arrays(data, name="m.npz") == [roles.ArrayInfo("k", (3, 12), "float32"),
                                                     roles.ArrayInfo("r", (4, 12), "float32"),
                                                     roles.ArrayInfo("bb", (12,), "float32")]
    model = cells.load(data, name="m.npz", roles={"kind": "gru", "layout": "keras", "input": "k", "recurrent": "r",
                                                  "bias_input": "bb"})
    assert model.network.kind == "gru_keras_v1"
    xs = np.random.default_rng(9).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.read(xs).trace.output, gru.run(xs).output, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"roles: arrays are given roles in .npz, .safetensors and .pt files"):
        cells.load(MODELS / "keras_char_lm.keras", roles={"kind": "lstm"})


def test_the_arrays_of_a_pt_file_are_listed_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    listed = roles.list_arrays(MODELS / "seq2seq_gru.pt")
    assert listed[:2] == [roles.ArrayInfo("enc_emb", (10, 6), "float32"), roles.ArrayInfo("enc_w_ih", (24, 6),
                                                                                          "float32")]


# ----- value heads -----------------------------------------------------------------------------------------
def test_an_lstm_cell_regression_predicts_values_not_probabilities(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    model, fx = cells.load(MODELS / "sine_cell.pt"), expected("sine_cell")
    assert model.head.predicts_value and model.head.activation == "value"
    assert any("1 output with no softmax or sigmoid in the file" in n and "read as predicted values" in n
               for n in model.found.notes)
    reading = model.read(fx["input"])
    np.testing.assert_allclose(reading.values, fx["logits"], rtol=0, atol=1e-5)
    assert reading.probabilities is None and reading.values.shape == (15, 1)
    # It learnt the wave: after two steps each prediction is close to the next sample.
    assert np.abs(reading.values[2:-1, 0] - fx["input"][3:, 0]).max() < 0.15


def test_the_user_says_what_the_head_predicts():
    data = (MODELS / "sine_cell.pt").read_bytes()
    classes = cells.load(data, name="sine.pt", head_predicts="classes")
    assert not classes.head.predicts_value and classes.read(np.zeros((3, 1), np.float32)).values is None
    back = classes.predicting("values")
    assert back.head.predicts_value and back.found.notes[-1] == "head: its 1 output read as predicted values, as asked"
    char = cells.load(MODELS / "char_lm.safetensors")  # an embedding and 28 outputs: class scores
    assert char.head.activation == "linear" and not any("head:" in n for n in char.found.notes)
    assert char.predicting("values").read("the").values.shape == (3, 28)
    with pytest.raises(ValueError, match=r"head_predicts: expected 'values' or 'classes', got 'probabilities'"):
        cells.load(data, name="sine.pt", head_predicts="probabilities")


def test_a_value_head_survives_gatescope_files():
    model = cells.load(MODELS / "sine_cell.pt")
    for data, name in ((to_npz(model), "m.npz"), (to_json(model).encode(), "m.json")):
        again = cells.load(data, name=name)
        assert again.head.predicts_value
        np.testing.assert_array_equal(again.head.weights, model.head.weights)


def test_an_npz_in_keras_layout_under_layer_names_is_not_taken_for_gatescope_s_keras_export():
    lstm = cells.Network.create("lstm", 3, 4, seed=11, dtype=np.float32)
    kernel, recurrent, bias = cells.to_keras(lstm.layers[0])
    model = cells.load(npz({"layers/lstm/kernel": kernel, "layers/lstm/recurrent_kernel": recurrent,
                            "layers/lstm/bias": bias}), name="m.npz")
    assert model.found.recurrent[0].name == "layers/lstm"
    xs = np.random.default_rng(11).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.read(xs).trace.output, lstm.run(xs).output, rtol=0, atol=1e-6)


def test_roles_are_guessed_from_shapes_for_a_page_to_start_from():
    arrays, _, _ = anonymous()
    shapes = {a.name: a.shape for a in roles.describe(arrays)}
    assert roles.suggest(shapes) == {**ALL, "layout": "torch"}
    assert roles.problems(shapes, roles.suggest(shapes)) == []
    gru = cells.Network.create("gru_torch", 3, 4, seed=2, dtype=np.float32)
    kernel, recurrent, bias = cells.to_keras(gru.layers[0])
    keras = {"p": kernel.shape, "q": recurrent.shape, "r": bias.shape}
    assert roles.suggest(keras) == {"kind": "gru", "layout": "keras", "recurrent": "q", "input": "p",
                                    "bias_input": "r"}
    assert roles.suggest({"x": (3, 3)}) == {}


def test_bfloat16_and_float16_safetensors_read_widened_to_float32():
    import json
    import struct

    net = cells.Network.create("lstm", 3, 4, seed=12, dtype=np.float32)
    sd = {f"rnn.{k}": v for k, v in cells.to_torch(net).items()}
    halves = {k: (v.view(np.uint32) >> 16).astype("<u2") for k, v in sd.items()}  # bfloat16: the high half
    body, entries = b"", {}
    for k, v in halves.items():
        entries[k] = {"dtype": "BF16", "shape": list(v.shape), "data_offsets": [len(body), len(body) + v.nbytes]}
        body += v.tobytes()
    entries["rnn.extra"] = {"dtype": "F16", "shape": [2], "data_offsets": [len(body), len(body) + 4]}
    body += np.array([0.5, -2.0], "<f2").tobytes()
    text = json.dumps(entries).encode()
    model = cells.load(struct.pack("<Q", len(text)) + text + body, name="m.safetensors")
    cell = model.network.layers[0].forward
    want = (halves["rnn.weight_hh_l0"].astype(np.uint32) << 16).view(np.float32)  # what torch's .float() gives
    assert cell.dtype == np.float32
    np.testing.assert_array_equal(cells.to_torch(model.network)["weight_hh_l0"], want)
    assert "rnn.extra" in model.found.ignored
