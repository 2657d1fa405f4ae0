"""Keras 2 .h5 files (whole models and save_weights files, cuDNN layers, hard sigmoid) against Keras' outputs,
and hostile variants of them refused with a ValueError that names the place.

The fixtures were made by ``tests/fixtures/make_keras2.py`` (Keras 3 computing the outputs, h5py writing
Keras 2's layout); reading them needs h5py only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files.interop import from_keras
from cells.files.parts import probabilities

h5py = pytest.importorskip("h5py")

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
PANGRAM = "the quick brown fox jumps over the lazy dog. "
CHARS = sorted(set(PANGRAM))
ATOL = 1e-5  # float32 files against Keras' float32 outputs


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(MODELS / f"{stem}.expected.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def check(stem: str, **kwargs: object) -> cells.LoadedModel:
    """Load the fixture and check its output (and head) against Keras' numbers."""
    fx = expected(stem)
    model = cells.load(MODELS / f"{stem}.h5", vocabulary=CHARS if "text" in fx else None, **kwargs)
    reading = model.read(str(fx["text"]) if "text" in fx else fx["input"])
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=ATOL)
    if "logits" in fx and "decoder_output" not in fx:  # the seq2seq file's logits are its decoder's
        got = reading.probabilities if model.head.activation == "softmax" else reading.logits
        np.testing.assert_allclose(got, fx["logits"], rtol=0, atol=ATOL)
    assert model.found.format == "keras2_h5"
    return model


# ----- each kind of file against Keras -------------------------------------------------------------------
def test_a_keras2_whole_model_with_the_hard_sigmoid_matches_keras() -> None:
    model = check("keras2_lm")
    assert model.network.kind == "lstm" and model.network.gate_activation == "hard_sigmoid"
    assert model.head.activation == "softmax"
    assert model.found.embedding == ("embedding_1", (28, 8)) and model.found.head == ("dense_1", (28, 16))
    assert model.found.recurrent[0].style == "Keras 2 LSTM"
    assert any("clip(0.2·a + 0.5, 0, 1)" in note for note in model.found.notes)
    # The hard sigmoid is what makes it match: with σ the same weights give other outputs.
    soft = cells.LoadedModel(model.network.with_gate_activation("sigmoid"), model.vocabulary, model.embedding)
    assert np.abs(soft.read(str(expected("keras2_lm")["text"])).trace.output - expected("keras2_lm")["output"]
                  ).max() > 1e-2


def test_keras3_writes_a_legacy_h5_whose_hard_sigmoid_is_relu6() -> None:
    model = check("keras3_legacy_gru")
    assert model.network.kind == "gru_torch" and model.network.gate_activation == "hard_sigmoid_relu6"
    assert model.head.activation == "linear"
    keras2 = cells.LoadedModel(model.network.with_gate_activation("hard_sigmoid"), model.vocabulary, model.embedding)
    fx = expected("keras3_legacy_gru")
    assert np.abs(keras2.read(str(fx["text"])).trace.output - fx["output"]).max() > 1e-3


def test_weights_only_embedding_and_two_cudnn_lstms_match_keras() -> None:
    model = check("keras2_cudnn_weights")
    assert [layer.forward.hidden_size for layer in model.network.layers] == [12, 10]
    assert model.network.gate_activation == "sigmoid"  # cuDNN's gates are σ
    assert model.found.recurrent[0].style == "Keras 2 stack: CuDNNLSTM, CuDNNLSTM"
    inferred = next(note for note in model.found.notes if note.startswith("no config"))
    assert "cu_dnnlstm_1: CuDNNLSTM: kernel (8, 48), recurrent_kernel (12, 48), bias (96,)" in inferred
    assert "embedding_1: Embedding: embeddings (28, 8)" in inferred and "dense_1: Dense" in inferred
    assert any("activation is not known" in note for note in model.found.notes)
    # The two biases are kept apart, and add up inside every gate.
    cell = model.network.layers[0].forward
    assert cell.hidden_biases is not None and set(cell.hidden_biases) == set(cell.GATES)


def test_a_bidirectional_cudnn_gru_whole_model_matches_keras() -> None:
    model = check("keras2_cudnn_gru")
    assert model.network.kind == "gru_torch" and model.network.bidirectional
    assert model.head.activation == "softmax" and model.found.head == ("time_distributed_1", (28, 14))
    assert model.found.recurrent[0].style == "Keras 2 Bidirectional(CuDNNGRU)"


def test_two_plain_lstms_saved_by_keras_2_2_take_its_default_hard_sigmoid() -> None:
    model = check("keras2_lstm_weights")
    assert model.network.gate_activation == "hard_sigmoid" and model.embedding is None and model.head is None
    assert any("lstm_1: no recurrent_activation in the file: read with the hard sigmoid" in note and
               "Keras 2.2.0" in note for note in model.found.notes)


def test_keras_2s_own_gru_resets_before_the_product() -> None:
    model = check("keras2_gru_weights")
    assert model.network.kind == "gru_keras_v1" and model.network.gate_activation == "hard_sigmoid"
    assert any("gru_1: GRU: kernel (3, 21), recurrent_kernel (7, 21), bias (21,)" in n for n in model.found.notes)


def test_a_gru_without_bias_takes_reset_after_from_its_config(tmp_path: Path) -> None:
    """use_bias=False leaves two arrays: the shapes cannot say where the reset acts, the config can."""
    path = tmp_path / "nobias.h5"
    rng = np.random.default_rng(3)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "GRU", "config": {
        "name": "gru_1", "units": 4, "use_bias": False, "reset_after": True, "recurrent_activation": "sigmoid"}}]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"], f.attrs["model_config"] = b"2.2.4", json.dumps(config).encode()
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"gru_1"])
        group = weights.create_group("gru_1")
        group.attrs["weight_names"] = np.array([b"gru_1/kernel:0", b"gru_1/recurrent_kernel:0"])
        group["gru_1/kernel:0"] = rng.normal(size=(3, 12)).astype(np.float32)
        group["gru_1/recurrent_kernel:0"] = rng.normal(size=(4, 12)).astype(np.float32)
    assert cells.load(path).network.kind == "gru_torch"
    with h5py.File(path, "r+") as f:
        config["config"]["layers"][0]["config"]["reset_after"] = False
        f.attrs["model_config"] = json.dumps(config).encode()
    assert cells.load(path).network.kind == "gru_keras_v1"


@pytest.mark.parametrize("stem", ["keras2_cudnn_weights", "keras2_cudnn_gru"])
def test_the_cudnn_layout_conversion_is_needed(stem: str) -> None:
    """Read as if the arrays were a plain LSTM/GRU's (biases added, no reordering), the model computes
    something else: the conversion is what makes it match."""
    fx = expected(stem)
    with h5py.File(MODELS / f"{stem}.h5", "r") as f:
        root = f.get("model_weights", f)
        layers = []
        for name in (n.decode() for n in root.attrs["layer_names"]):
            group = root[name]
            arrays = [group[w.decode()][()] for w in group.attrs["weight_names"]]
            if name.startswith(("cu_dnn", "bidirectional")):
                halves = [arrays[:3], arrays[3:]] if len(arrays) == 6 else [arrays]
                directions = []
                for k, r, b in halves:
                    kind = "lstm" if r.shape[1] == 4 * r.shape[0] else "gru"
                    naive = b.reshape(2, -1).sum(0) if kind == "lstm" else b.reshape(2, -1)
                    directions.append(from_keras(kind, k, r, naive).forward)
                layers.append(cells.Layer(*directions))
            elif name.startswith("embedding"):
                table = arrays[0]
    ids = np.array([CHARS.index(c) for c in str(fx["text"])])
    naive = cells.Network(tuple(layers)).run(table[ids]).output
    assert np.abs(naive - fx["output"]).max() > 0.05
    model = cells.load(MODELS / f"{stem}.h5", vocabulary=CHARS)
    np.testing.assert_allclose(model.read(str(fx["text"])).trace.output, fx["output"], rtol=0, atol=ATOL)
    # Predictions one can judge: trained on the pangram, the model spells it out again, read as Keras reads it.
    text = PANGRAM * 2
    right = model.read(text[:-1]).logits.argmax(1) == [CHARS.index(c) for c in text[1:]]  # (T,)
    assert right.mean() > 0.9
    wrong = cells.LoadedModel(cells.Network(tuple(layers)), CHARS, table, model.head).read(text[:-1])
    assert (wrong.logits.argmax(1) == [CHARS.index(c) for c in text[1:]]).mean() < 0.5


def test_a_layer_gatescope_cannot_run_ends_the_stack_and_leaves_the_head_out() -> None:
    model = check("keras2_attention")
    assert model.head is None and model.found.embedding == ("embedding_1", (28, 5))
    assert any("the head is left out: 'attention_weighted_average_1'" in note for note in model.found.notes)
    assert "dense_1" in model.found.ignored and "attention_weighted_average_1" in model.found.ignored


def test_recurrent_layers_that_do_not_form_one_stack_are_listed_and_picked() -> None:
    fx = expected("keras2_seq2seq")
    model = check("keras2_seq2seq")  # the first, the encoder, without a head
    assert [r.name for r in model.found.recurrent] == ["lstm_1", "lstm_2"] and model.found.chosen == 0
    assert model.head is None and any("layer= picks another" in note for note in model.found.notes)
    for choice in (1, "lstm_2"):
        decoder = cells.load(MODELS / "keras2_seq2seq.h5", layer=choice)
        assert decoder.found.chosen == 1 and decoder.found.head == ("dense_1", (3, 5))
        reading = decoder.read(fx["decoder_input"])
        np.testing.assert_allclose(reading.trace.output, fx["decoder_output"], rtol=0, atol=ATOL)
        np.testing.assert_allclose(reading.logits, fx["logits"], rtol=0, atol=ATOL)
    with pytest.raises(ValueError, match=r"layer: expected one of the recurrent layers found \(0: lstm_1, 1: lstm_2\)"):
        cells.load(MODELS / "keras2_seq2seq.h5", layer=2)


def test_a_keras3_weights_h5_still_goes_to_its_own_reader() -> None:
    model = cells.load(MODELS / "keras_char_lm.weights.h5", vocabulary=CHARS)
    assert model.found.format == "keras_h5"
    fx = expected("keras_char_lm")
    np.testing.assert_allclose(probabilities(model.read(str(fx["text"])).logits), fx["logits"], rtol=0, atol=ATOL)


def test_the_loaded_model_saves_and_reloads_with_its_hard_sigmoid(tmp_path: Path) -> None:
    from cells.files import model as file_model

    model = cells.load(MODELS / "keras2_lm.h5", vocabulary=CHARS)
    path = tmp_path / "again.npz"
    path.write_bytes(file_model.to_npz(model))
    again = cells.load(path)
    assert again.network.gate_activation == "hard_sigmoid"
    fx = expected("keras2_lm")
    np.testing.assert_allclose(again.read(str(fx["text"])).trace.output, fx["output"], rtol=0, atol=ATOL)


# ----- hostile variants -----------------------------------------------------------------------------------
def copy(stem: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{stem}.h5"
    shutil.copy(MODELS / f"{stem}.h5", path)
    return path


def refused(path: Path, match: str, **kwargs: object) -> None:
    with pytest.raises(ValueError, match=match):
        cells.load(path, **kwargs)


def test_bad_attributes_are_refused(tmp_path: Path) -> None:
    path = copy("keras2_lstm_weights", tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["layer_names"] = 7
    refused(path, "the attribute layer_names of the weights: expected a list of names, got int64")
    with h5py.File(path, "r+") as f:
        f.attrs["layer_names"] = np.array([b"lstm_1", b"\xff\xfe"])
    refused(path, "layer_names of the weights holds a name that is not UTF-8")
    with h5py.File(path, "r+") as f:
        f.attrs["layer_names"] = np.array([b"lstm_1", b"lstm_2"])
        f.attrs["keras_version"] = b"1.2.2"
    refused(path, "saved by Keras 1.2.2; Keras 1 files are not read")


def test_a_bad_model_config_is_refused(tmp_path: Path) -> None:
    path = copy("keras2_lm", tmp_path)
    for value, message in ((b"{not json", "model_config is not valid JSON"),
                           (json.dumps([1, 2]).encode(), "model_config: expected a Keras model's config, got list"),
                           (b"[" * 100_000 + b"]" * 100_000, "model_config is not valid JSON"),
                           (json.dumps({"class_name": "Sequential", "config": {"layers": 3}}).encode(),
                            "model_config lists no layers"),
                           (np.array([1.5, 2.5]), "the attribute model_config of the file: expected text")):
        with h5py.File(path, "r+") as f:
            f.attrs["model_config"] = value
        refused(path, message)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = b'{"class_name": "Sequential", "config": {"layers": []}}'
        del f["model_weights"]
    refused(path, "a model_config but no model_weights group: the model was saved without its weights")


def test_config_choices_gatescope_cannot_follow_are_named(tmp_path: Path) -> None:
    path = copy("keras2_lm", tmp_path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][2]["config"]["recurrent_activation"] = "relu"
        f.attrs["model_config"] = json.dumps(config).encode()
    refused(path, r"no LSTM, GRU or cuDNN recurrent layer Gatescope can run \(lstm_1: LSTM: its recurrent_activation "
                  r"is 'relu'")
    path = copy("keras2_cudnn_gru", tmp_path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["merge_mode"] = "sum"
        f.attrs["model_config"] = json.dumps(config).encode()
    refused(path, "bidirectional_1: Bidirectional: it merges its directions with 'sum'")


def test_a_config_layer_gatescope_cannot_run_leaves_the_head_out(tmp_path: Path) -> None:
    path = copy("keras2_lm", tmp_path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        layers = config["config"]["layers"]
        layers.insert(3, {"name": "lambda_1", "class_name": "Lambda", "config": {"name": "lambda_1", "function": [
            "4wEAAAAAAAAA", None, None]}, "inbound_nodes": [[["lstm_1", 0, 0, {}]]]})
        layers[4]["inbound_nodes"] = [[["lambda_1", 0, 0, {}]]]
        f.attrs["model_config"] = json.dumps(config).encode()
    model = cells.load(path, vocabulary=CHARS)
    assert model.head is None and model.found.embedding == ("embedding_1", (28, 8))
    assert any("the head is left out: 'lambda_1' (Lambda)" in note for note in model.found.notes)
    fx = expected("keras2_lm")
    np.testing.assert_allclose(model.read(str(fx["text"])).trace.output, fx["output"], rtol=0, atol=ATOL)
    # A functional model whose Dense reads another layer than the LSTM: no head either.
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        del config["config"]["layers"][3]
        config["config"]["layers"][3]["inbound_nodes"] = [[["embedding_1", 0, 0, {}]]]
        f.attrs["model_config"] = json.dumps(config).encode()
    assert cells.load(path, vocabulary=CHARS).head is None


def test_activations_serialized_as_functions_are_read(tmp_path: Path) -> None:
    path = copy("keras2_lm", tmp_path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        lstm = config["config"]["layers"][2]["config"]
        for key, name in (("activation", "tanh"), ("recurrent_activation", "hard_sigmoid")):
            lstm[key] = {"module": "keras.activations", "class_name": "function", "config": name,
                         "registered_name": "function"}
        f.attrs["model_config"] = json.dumps(config).encode()
    check_at(path, "keras2_lm")
    assert cells.load(path).network.gate_activation == "hard_sigmoid"


def test_wrong_types_and_lying_shapes_are_refused(tmp_path: Path) -> None:
    path = copy("keras2_lm", tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/lstm_1/lstm_1"]
        del group["recurrent_kernel:0"]
        group["recurrent_kernel:0"] = np.zeros((16, 63), np.float32)
    refused(path, r"layer 'lstm_1': recurrent_kernel: expected \(units, 4·units\) for LSTM, got \(16, 63\)")
    with h5py.File(path, "r+") as f:
        group = f["model_weights/lstm_1/lstm_1"]
        del group["recurrent_kernel:0"]
        group["recurrent_kernel:0"] = np.zeros((16, 64), np.int32)
    refused(path, "lstm_1/lstm_1/recurrent_kernel:0: expected float16, float32 or float64 values, got int32")
    with h5py.File(path, "r+") as f:
        group = f["model_weights/lstm_1/lstm_1"]
        del group["recurrent_kernel:0"]
        # A shape its metadata claims, 40 GB of float32, in a file of a few kB: refused before a byte is read.
        group.create_dataset("recurrent_kernel:0", shape=(100_000, 100_000), dtype=np.float32, chunks=(16, 64))
    refused(path, r"recurrent_kernel:0 of shape \(100000, 100000\) is larger than the limit")
    with h5py.File(path, "r+") as f:
        group = f["model_weights/lstm_1"]
        group.attrs["weight_names"] = np.array([b"lstm_1/kernel:0", b"lstm_1/nowhere:0", b"lstm_1/bias:0"])
    refused(path, "layer 'lstm_1' names the weight 'lstm_1/nowhere:0', which is not in the file")


def test_a_small_file_naming_much_data_is_refused_by_the_shared_budget_rule(tmp_path: Path) -> None:
    """A few kB naming 70 MB (chunks never written, read back as the fill value): under the 100 MB upload cap,
    but over what budget.limit_for lets a small file make (64 MB), so refused from metadata before a read."""
    path = copy("keras2_lm", tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["model_weights/lstm_1/lstm_1"]
        del group["recurrent_kernel:0"]
        group.create_dataset("recurrent_kernel:0", shape=(16, 1_100_000), dtype=np.float32, chunks=(16, 1000))
    assert path.stat().st_size < 1_000_000
    refused(path, r"recurrent_kernel:0 of shape \(16, 1100000\) is larger than the limit of 64,000,000 bytes")


def test_links_to_elsewhere_are_never_followed(tmp_path: Path) -> None:
    path = copy("keras2_lstm_weights", tmp_path)
    with h5py.File(path, "r+") as f:
        group = f["lstm_1/lstm_1"]
        del group["kernel:0"]
        group["kernel:0"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/data")
    refused(path, "lstm_1/kernel:0 is a link to elsewhere, never followed")
    with h5py.File(path, "r+") as f:
        group = f["lstm_1/lstm_1"]
        del group["kernel:0"]
        group["kernel:0"] = h5py.SoftLink("/lstm_2/lstm_2/kernel:0")
    refused(path, "is a link to elsewhere, never followed")


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    data = (MODELS / "keras2_cudnn_weights.h5").read_bytes()
    path = tmp_path / "cut.h5"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.h5: not a readable HDF5 file \(damaged or truncated\)"):
        cells.load(path)


def test_a_dataset_two_names_lead_to_is_counted_once(tmp_path: Path) -> None:
    """A Bidirectional layer whose backward weights are hard links to the forward ones: read once, so a
    byte budget a little above the file's size suffices (reading it twice would not fit)."""
    rng = np.random.default_rng(0)
    I, H = 100, 250
    path = tmp_path / "shared.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"bidirectional_1"])
        f.attrs["keras_version"] = b"2.2.4"
        group = f.create_group("bidirectional_1")
        names = [f"bidirectional_1/{side}_lstm_1/{w}:0" for side in ("forward", "backward")
                 for w in ("kernel", "recurrent_kernel", "bias")]
        group.attrs["weight_names"] = np.array([n.encode() for n in names])
        for name, shape in zip(names[:3], ((I, 4 * H), (H, 4 * H), (4 * H,)), strict=True):
            group.create_dataset(name, data=rng.normal(size=shape).astype(np.float32) * 0.1)
        for forward, backward in zip(names[:3], names[3:], strict=True):
            group[backward] = group[forward]  # a second hard link to the same dataset
    size = path.stat().st_size
    model = cells.load(path, max_bytes=size + 50_000)
    assert model.network.bidirectional and model.network.hidden_size == H
    layer = model.network.layers[0]
    np.testing.assert_array_equal(layer.forward.weights["forget"], layer.backward.weights["forget"])


def test_older_keras_2_layouts_read_too(tmp_path: Path) -> None:
    """Keras before 2.2.3 wrote a Sequential's config as a bare list of layers, and any Keras splits a long
    layer_names attribute into layer_names0, layer_names1 …"""
    path = copy("keras2_cudnn_gru", tmp_path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"] = config["config"]["layers"]
        f.attrs["model_config"] = json.dumps(config).encode()
    check_at(path, "keras2_cudnn_gru")
    path = copy("keras2_lstm_weights", tmp_path)
    with h5py.File(path, "r+") as f:
        del f.attrs["layer_names"]
        f.attrs["layer_names0"] = np.array([b"lstm_1"])
        f.attrs["layer_names1"] = np.array([b"lstm_2"])
    check_at(path, "keras2_lstm_weights")


def check_at(path: Path, stem: str) -> None:
    fx = expected(stem)
    model = cells.load(path, vocabulary=CHARS if "text" in fx else None)
    reading = model.read(str(fx["text"]) if "text" in fx else fx["input"])
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=ATOL)


@pytest.mark.parametrize("stem", ["keras2_lm", "keras2_cudnn_weights"])
def test_damaged_bytes_give_a_model_or_a_value_error(stem: str) -> None:
    """Bytes changed at random in a file: every load ends in a model or a ValueError, never another error."""
    data = (MODELS / f"{stem}.h5").read_bytes()
    rng = np.random.default_rng(7)
    outcomes = {"model": 0, "refused": 0}
    for _ in range(40):
        damaged = bytearray(data)
        for at in rng.integers(0, len(data), rng.integers(1, 6)):
            damaged[at] = rng.integers(0, 256)
        try:
            cells.load(bytes(damaged), name=f"{stem}.h5")
            outcomes["model"] += 1
        except ValueError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == 40, outcomes  # some damage was met


def test_an_attribute_read_that_never_ends_is_cut_off_and_the_file_refused(monkeypatch) -> None:
    """A damaged variable-length attribute can send HDF5 into a loop that holds the whole process; the reader
    reads every attribute it uses in a child process with a deadline, so the file is refused and the server
    goes on (here the loop is played by a read that sleeps far past the deadline)."""
    import time

    from cells.files import hdf5, keras_legacy

    real = hdf5.H5File._attr

    def endless(self, node, name, where):
        if name == "layer_names":
            time.sleep(60)
        return real(self, node, name, where)

    monkeypatch.setattr(hdf5.H5File, "_attr", endless)
    monkeypatch.setattr(keras_legacy, "ATTRIBUTE_SECONDS", 0.5)
    started = time.monotonic()
    with pytest.raises(ValueError, match=r"its attributes could not be read within 0\.5 s"):
        cells.load(MODELS / "keras2_lm.h5")
    assert time.monotonic() - started < 10
    monkeypatch.setattr(hdf5.H5File, "_attr", real)
    assert cells.load(MODELS / "keras2_lm.h5").network.layers  # an intact file still reads
