"""cells.load: whole models as they were saved, checked against the frameworks' own outputs, and hostile files refused.

The fixtures in tests/fixtures/models/ were made by tests/fixtures/make_models.py from models trained
briefly in PyTorch and Keras; each ``*.expected.npz`` holds what the framework computed.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files import vocabulary
from cells.files.model import to_json, to_npz

MODELS = Path(__file__).parents[1] / "fixtures" / "models"


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(MODELS / f"{stem}.expected.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def tolerance(a: np.ndarray) -> float:
    return 1e-5 if a.dtype == np.float32 else 1e-12


def check_against_framework(model: cells.LoadedModel, stem: str) -> cells.files.model.Reading:
    fx = expected(stem)
    reading = model.read(str(fx["text"]) if "text" in fx else fx["input"])
    if "ids" in fx:
        np.testing.assert_array_equal(reading.ids, fx["ids"])
    tol = tolerance(fx["output"])
    assert reading.trace.output.dtype == fx["output"].dtype
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=tol)
    if model.head is not None and model.head.activation == "softmax":
        np.testing.assert_allclose(reading.probabilities, fx["logits"], rtol=0, atol=tol)  # Keras gives p_t
    else:
        np.testing.assert_allclose(reading.logits, fx["logits"], rtol=0, atol=tol)
    return reading


def safetensors_bytes(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    import safetensors.numpy

    return safetensors.numpy.save(arrays, metadata=metadata)


def with_header(data: bytes, change) -> bytes:
    """The same safetensors file with its JSON header changed by ``change(header)``."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    change(header)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


# ----- as saved, against the framework ----------------------------------------------------------------
def test_a_char_lm_saved_as_safetensors_reads_text_as_pytorch_did():
    model = cells.load(MODELS / "char_lm.safetensors")
    reading = check_against_framework(model, "char_lm")
    found = model.found
    (lstm,) = found.recurrent
    assert (lstm.name, lstm.style, lstm.num_layers, lstm.input_size, lstm.hidden_size) == ("lstm", "nn.LSTM", 2, 8, 16)
    assert found.embedding == ("embed", (28, 8)) and found.head == ("fc", (28, 16))
    assert found.vocabulary_from == "file" and model.vocabulary[0] == " "  # from __metadata__
    assert set(found.used) == {*lstm.keys, "embed.weight", "fc.weight", "fc.bias"} and found.ignored == ()
    assert reading.tokens == tuple("the lazy fox jumps.")
    # The trained model's best guess after "the lazy fox jump" is "s".
    assert model.vocabulary[int(np.argmax(reading.logits[len("the lazy fox jump") - 1]))] == "s"


def test_the_float64_copy_matches_to_1e_12():
    check_against_framework(cells.load(MODELS / "char_lm_f64.safetensors"), "char_lm_f64")


def test_a_state_dict_pt_with_a_vocabulary_map_beside_it():
    pytest.importorskip("torch")
    model = cells.load(MODELS / "char_lm.pt", vocabulary=MODELS / "char_lm.vocab.json")
    check_against_framework(model, "char_lm")
    assert model.found.format == "torch" and model.found.vocabulary_from == "argument"


def test_a_word_level_bidirectional_gru_checkpoint_with_its_vocab_inside():
    pytest.importorskip("torch")
    model = cells.load(MODELS / "word_gru.pt")
    reading = check_against_framework(model, "word_gru")
    (gru,) = model.found.recurrent
    assert (gru.name, gru.style, gru.bidirectional, gru.kind) == ("encoder.rnn", "nn.GRU", True, "gru_torch")
    assert model.found.embedding == ("embedding", (12, 6)) and model.found.head == ("classifier", (2, 16))
    assert reading.tokens == ("the", "film", "was", "very", "good")
    assert model.found.ignored == ("epoch",) and model.found.vocabulary_from == "file"
    assert np.argmax(reading.logits[-1]) == 1  # it learnt "good" is good
    with pytest.raises(ValueError, match=r"unknown word 'superb' at step 3"):
        model.read("the film was superb")


def test_an_lstm_cell_loop_deep_inside_a_model_reads_features():
    pytest.importorskip("torch")
    model = cells.load(MODELS / "cell_loop.pt")
    check_against_framework(model, "cell_loop")
    (cell,) = model.found.recurrent
    assert (cell.name, cell.style) == ("_model.decoder.rnn", "nn.LSTMCell")
    assert model.found.embedding is None and model.found.head == ("_model.decoder.proj", (3, 8))
    assert model.found.ignored == ("scale",)
    with pytest.raises(ValueError, match="no vocabulary"):
        model.read("hello")


# ----- whole-model discovery ----------------------------------------------------------------------------
def torch_style(prefix: str, network: cells.Network) -> dict[str, np.ndarray]:
    return {f"{prefix}{k}": v for k, v in cells.to_torch(network).items()}


def test_more_than_one_recurrent_layer_is_listed_and_the_caller_chooses():
    first = cells.Network.create("lstm", 3, 4, seed=1, dtype=np.float32)
    second = cells.Network.create("gru_torch", 4, 5, num_layers=2, bidirectional=True, seed=2, dtype=np.float32)
    data = safetensors_bytes({**torch_style("rnn.", first), **torch_style("_model.decoder.rnn.", second),
                              "optimiser.step": np.zeros(1, np.float32)})
    model = cells.load(data)
    names = [r.name for r in model.found.recurrent]
    assert sorted(names) == ["_model.decoder.rnn", "rnn"]
    picked = cells.load(data, layer="_model.decoder.rnn")
    assert picked.network.kind == "gru_torch" and len(picked.network.layers) == 2 and picked.network.bidirectional
    xs = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_array_equal(picked.read(xs).trace.output, second.run(xs).output)
    assert "optimiser.step" in picked.found.ignored and "rnn.weight_ih_l0" in picked.found.ignored
    with pytest.raises(ValueError, match=r"layer: expected one of the recurrent layers found .*got 'lstm'"):
        cells.load(data, layer="lstm")


def test_a_file_without_recurrent_keys_says_what_it_holds():
    with pytest.raises(ValueError, match=r"expected the keys of an nn.LSTM.*found conv.weight"):
        cells.load(safetensors_bytes({"conv.weight": np.zeros((2, 3), np.float32)}))


def test_an_lstm_with_projections_reads_text_as_pytorch_did():
    model = cells.load(MODELS / "lstmp_lm.safetensors")
    reading = check_against_framework(model, "lstmp_lm")
    (lstm,) = model.found.recurrent
    assert (lstm.style, lstm.kind, lstm.num_layers, lstm.bidirectional) == ("nn.LSTM", "lstmp", 2, True)
    assert (lstm.input_size, lstm.hidden_size, lstm.state_size, lstm.output_size) == (5, 6, 3, 6)
    assert model.found.embedding == ("embed", (28, 5)) and model.found.head == ("fc", (28, 6))
    top = reading.trace.trace(1, "backward")
    assert top.values["cell"].shape == (19, 6) and top.values["hidden"].shape == (19, 3)  # C: H units, h: P
    assert reading.trace.layers[1].forward.inputs.shape == (19, 6)  # layer 2 reads D·P numbers


def test_the_float64_lstm_with_projections_matches_to_1e_12():
    check_against_framework(cells.load(MODELS / "lstmp_lm_f64.safetensors"), "lstmp_lm_f64")


def test_an_lstm_with_projections_saved_as_pt_and_gatescope_files_of_it():
    pytest.importorskip("torch")
    model = cells.load(MODELS / "lstmp_lm.pt", vocabulary=json.loads((MODELS / "char_lm.vocab.json").read_text()))
    check_against_framework(model, "lstmp_lm")
    for data, name in ((to_npz(model), "m.npz"), (to_json(model).encode(), "m.json")):
        check_against_framework(cells.load(data, name=name), "lstmp_lm")  # and back, through Gatescope's files


def test_a_projection_of_the_wrong_shape_is_named_not_misread():
    sd = {"lstm.weight_ih_l0": np.zeros((16, 3), np.float32), "lstm.weight_hh_l0": np.zeros((16, 3), np.float32),
          "lstm.weight_hr_l0": np.zeros((2, 4), np.float32)}
    with pytest.raises(ValueError, match=r"lstm: keys like an nn.LSTM with proj_size, but no \(4·H, P\) weight_hh_l0"):
        cells.load(safetensors_bytes(sd))


# ----- vocabularies ---------------------------------------------------------------------------------------
def test_vocabularies_come_as_lists_maps_and_text_files():
    assert vocabulary.parse(["a", "b"]) == ["a", "b"]
    assert vocabulary.parse({"b": 1, "a": 0}) == ["a", "b"]
    assert vocabulary.parse(b"hello\nworld\n") == ["hello", "world"]
    assert vocabulary.parse(b'[" ", "\\n"]') == [" ", "\n"]
    with pytest.raises(ValueError, match="index 1 is missing"):
        vocabulary.parse({"a": 0, "b": 2})
    with pytest.raises(ValueError, match="appears twice"):
        vocabulary.parse(["a", "a"])
    with pytest.raises(ValueError, match="line 2 is empty"):
        vocabulary.parse(b"a\n\nb\n")
    with pytest.raises(ValueError, match=r"unknown character 'z' at step 2"):
        vocabulary.ids("abz", ["a", "b"])


def test_a_vocabulary_larger_than_the_embedding_is_refused():
    with pytest.raises(ValueError, match="29 tokens for an embedding of 28 rows"):
        cells.load(MODELS / "char_lm.safetensors", vocabulary=[*map(chr, range(97, 123)), "0", "1", "2"])


# ----- Gatescope's own files carry everything --------------------------------------------------------------
@pytest.mark.parametrize("writer", [to_npz, lambda m: to_json(m).encode()], ids=["npz", "json"])
def test_gatescope_files_keep_vocabulary_embedding_and_head(writer):
    model = cells.load(MODELS / "char_lm_f64.safetensors")
    back = cells.load(writer(model))
    assert back.vocabulary == model.vocabulary
    np.testing.assert_array_equal(back.embedding, model.embedding)
    np.testing.assert_array_equal(back.head.weights, model.head.weights)
    check_against_framework(back, "char_lm_f64")


@pytest.mark.parametrize("writer, names", [(to_npz, ("model.embedding", "model.head.weights")),
                                           (lambda m: to_json(m).encode(), ("embedding", "head"))],
                         ids=["npz", "json"])
def test_gatescope_files_say_they_hold_their_embedding_and_head(writer, names):
    back = cells.load(writer(cells.load(MODELS / "char_lm.safetensors")))
    assert back.found.embedding == (names[0], (28, 8))  # what the upload's "held" list names, not "none found"
    assert back.found.head == (names[1], (28, 16))
    plain = cells.load(to_npz(cells.LoadedModel(back.network)))
    assert plain.found.embedding is None and plain.found.head is None


# ----- from_keras ------------------------------------------------------------------------------------------
def test_from_keras_takes_get_weights_lists_and_bidirectional_arrays():
    forward = cells.Network.create("gru_torch", 3, 4, seed=3).layers[0]
    backward = cells.Network.create("gru_torch", 3, 4, seed=4).layers[0]
    one = cells.from_keras("gru", list(cells.to_keras(forward)))
    assert one.forward.KIND == "gru_torch"
    both = cells.from_keras("gru", [*cells.to_keras(forward), *cells.to_keras(backward)])
    xs = np.random.default_rng(1).standard_normal((5, 3))
    np.testing.assert_allclose(both.run(xs).output, cells.Layer(forward.forward, backward.forward).run(xs).output,
                               atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="got 5 arrays"):
        cells.from_keras("lstm", [np.zeros((3, 16))] * 5)


# ----- hostile files -------------------------------------------------------------------------------------
def test_a_legacy_pickle_is_never_opened_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as on a machine without PyTorch
    assert cells.load(MODELS / "word_gru.pt").network.kind == "gru_torch"  # a zip checkpoint: read without torch
    legacy = b"\x80\x02c__builtin__\neval\nq\x00X\x04\x00\x00\x00'hi'q\x01\x85q\x02Rq\x03."  # eval('hi') if unpickled
    with pytest.raises(ValueError, match=r"PyTorch is not installed here.*save_file\(torch.load\('evil.pt', "
                                         r"weights_only=True\), 'evil.safetensors'\)"):  # the file's own name
        cells.load(legacy, name="evil.pt")
    with pytest.raises(ValueError, match=r"torch.load\('model.pt'"):  # a name the command cannot quote as it is
        cells.load(legacy, name="it's mine.pt")


def test_a_pickle_that_runs_code_is_refused_with_or_without_torch(monkeypatch):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("this must never print",))

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(Evil(), protocol=2))
        z.writestr("archive/version", "3\n")
    with pytest.raises(ValueError, match=r"its pickle names builtins.print"):
        cells.load(buf.getvalue(), name="evil.pt")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ValueError, match=r"its pickle names builtins.print"):
        cells.load(buf.getvalue(), name="evil.pt")


def _sd() -> dict[str, np.ndarray]:
    return torch_style("lstm.", cells.Network.create("lstm", 3, 4, dtype=np.float32))


HOSTILE_SAFETENSORS = {
    "offsets past the end": (lambda h: h["lstm.bias_hh_l0"].update(data_offsets=[0, 10**9]),
                             r"claims 1,000,000,000 bytes|needs 64 bytes, its offsets span"),
    "a size that disagrees with the shape": (lambda h: h["lstm.bias_hh_l0"].update(shape=[17]),
                                             "needs 68 bytes, its offsets span 64"),
    "a 1 GB claimed tensor": (lambda h: h["lstm.bias_hh_l0"].update(shape=[250_000_000], data_offsets=[0, 10**9]),
                              "claims 1,000,000,000 bytes, over the limit of 100,000,000"),
    "overlapping tensors": (lambda h: h["lstm.bias_ih_l0"].update(data_offsets=h["lstm.bias_hh_l0"]["data_offsets"]),
                            "overlap"),
    "a header that is not an object": (lambda h: h.clear() or h.update({"x": 3}), "should have dtype, shape"),
}


@pytest.mark.parametrize("case", list(HOSTILE_SAFETENSORS))
def test_safetensors_whose_header_lies_are_refused(case):
    change, message = HOSTILE_SAFETENSORS[case]
    with pytest.raises(ValueError, match=message):
        cells.load(with_header(safetensors_bytes(_sd()), change), name="m.safetensors")


def test_a_header_length_beyond_the_file_is_refused():
    data = safetensors_bytes(_sd())
    lying = struct.pack("<Q", 10**12) + data[8:]
    with pytest.raises(ValueError, match="not a safetensors file"):
        cells.load(lying, name="m.safetensors")


def test_an_npz_header_claiming_ten_trillion_values_is_refused_before_allocating():
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("weight_ih_l0.npy", header.getvalue())
    with pytest.raises(ValueError, match=r"shape \(10000000000000,\) is larger than the limit"):
        cells.load(out.getvalue(), name="huge.npz")


def test_files_over_the_cap_are_refused_before_reading(tmp_path):
    path = tmp_path / "big.safetensors"
    path.write_bytes(b"\0" * 2_000)
    with pytest.raises(ValueError, match=r"larger than the limit of 1,000 bytes \(2,000 bytes\)"):
        cells.load(path, max_bytes=1_000)


def test_the_upload_cap_is_the_one_streamlit_is_told():
    import tomllib

    from cells.files.source import MAX_BYTES

    config = tomllib.loads((Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1_000_000 == MAX_BYTES == 100_000_000
