"""Fixed models: how they read typed text, their first weights, their files in and out, and their share links."""

import base64
import dataclasses
import io
import json
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

import cells
from cells import presets
from workbench.model import from_network, from_preset, from_pretrained, pretrained_manifest
from workbench.model_files import (
    MAX_UPLOAD_BYTES,
    export_keras,
    export_npz,
    export_problem,
    export_torch,
    from_loaded,
    load_upload,
)
from workbench.model_link import model_from_link, model_link_problem, model_to_link, weights_from_link, weights_to_link


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_runs_its_own_sequence(name: str) -> None:
    model = from_preset(name)
    trace = model.network.run(model.inputs(model.sequence).xs)
    assert trace.output.shape[0] == len(model.inputs(model.sequence).tokens)
    assert model.note and model.label.startswith("Preset: ")


@pytest.mark.parametrize("name", [m["name"] for m in pretrained_manifest()])
def test_every_shipped_model_runs_its_example_and_predicts(name: str) -> None:
    model = from_pretrained(name)
    encoded = model.inputs(model.sequence)
    hs = model.network.run(encoded.xs).output
    assert model.readout is not None
    assert model.readout.input_size == hs.shape[1]


def test_text_a_model_cannot_read_is_refused_naming_the_character() -> None:
    with pytest.raises(ValueError, match="'x' at step 2"):
        from_preset("bracket-depth").inputs("((x))")
    with pytest.raises(ValueError, match="reads 3 numbers per step"):
        from_network(cells.Network.create("lstm", 3, 4), "drawn").inputs("1 2; 3 4")


def test_a_vocabulary_must_fit_the_network() -> None:
    with pytest.raises(ValueError, match="2 characters for a network that reads 3 inputs"):
        from_network(cells.Network.create("gru", 3, 4), "drawn", vocabulary="ab")
    model = from_network(cells.Network.create("gru", 3, 4), "drawn", vocabulary="abc")
    np.testing.assert_array_equal(model.inputs("cab").xs, np.eye(3)[[2, 0, 1]])


def test_edits_keep_the_first_weights_for_a_reset() -> None:
    model = from_preset("counter")
    cell = model.network.layers[0].forward
    edited_cell = dataclasses.replace(cell, biases={**cell.biases, "forget": cell.biases["forget"] - 3})
    once = model.edited(cells.Network((cells.Layer(edited_cell),)))
    twice = once.edited(cells.Network((cells.Layer(cell),)))
    assert once.original is model.network and twice.original is model.network


# ----- files: every export loads back; every malformed upload is refused with its problem named ------

XS = np.random.default_rng(3).normal(size=(7, 3))


def same_outputs(a: cells.Network, b: cells.Network, atol: float = 0.0) -> None:
    np.testing.assert_allclose(a.run(XS).output, b.run(XS).output, atol=atol, rtol=0)


def npz_bytes(**arrays: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


@pytest.mark.parametrize("kind", list(cells.KINDS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gatescope_files_of_every_kind_load_back_exactly(kind: str, bidirectional: bool) -> None:
    network = cells.Network.create(kind, 3, 4, num_layers=2, bidirectional=bidirectional, seed=5)
    for name, data in (("m.npz", export_npz(network)), ("m.json", cells.to_json(network).encode())):
        model = load_upload(name, data)
        same_outputs(network, model.network)
        assert model.reads == "numbers, 3 per step" and model.label == f"Uploaded: {name}"


@pytest.mark.parametrize("kind", ["lstm", "gru_torch"])
@pytest.mark.parametrize(("layers", "bidirectional"), [(1, False), (2, True)])
def test_pytorch_state_dicts_load_back_with_layout_read_off_the_keys(kind: str, layers: int,
                                                                     bidirectional: bool) -> None:
    network = cells.Network.create(kind, 3, 4, num_layers=layers, bidirectional=bidirectional, seed=2)
    data = export_torch(network)
    assert set(np.load(io.BytesIO(data))) >= {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    loaded = load_upload("sd.npz", data)
    same_outputs(network, loaded.network)
    (module,) = loaded.loaded.found.recurrent  # kind, layers and directions are read off the keys alone
    assert (module.num_layers, module.bidirectional, module.kind) == (layers, bidirectional, kind)


def test_pytorch_export_is_what_nn_lstm_computes() -> None:
    torch = pytest.importorskip("torch")
    network = cells.Network.create("lstm", 3, 4, num_layers=2, bidirectional=True, seed=9)
    arrays = np.load(io.BytesIO(export_torch(network)))
    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    lstm.load_state_dict({k: torch.from_numpy(arrays[k]) for k in arrays.files})
    out, _ = lstm(torch.from_numpy(XS)[:, None, :])
    np.testing.assert_allclose(out[:, 0].detach().numpy(), network.run(XS).output, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru_torch", "gru_keras_v1"])
def test_keras_arrays_load_back_with_reset_after_read_off_the_bias(kind: str) -> None:
    network = cells.Network.create(kind, 3, 4, num_layers=2, bidirectional=True, seed=4)
    data = export_keras(network)
    assert set(np.load(io.BytesIO(data))) >= {"layer0.forward.kernel", "layer0.backward.recurrent_kernel",
                                              "layer1.forward.bias"}
    loaded = load_upload("k.npz", data).network
    assert loaded.kind == kind
    same_outputs(network, loaded, atol=1e-12)  # Keras keeps one LSTM bias: b + b_h is summed


def test_formats_that_cannot_hold_a_kind_say_so() -> None:
    peephole = cells.Network.create("peephole", 3, 4)
    assert "nn.LSTM and nn.GRU only" in export_problem(peephole, "torch")
    assert "Keras has LSTM and GRU only" in export_problem(peephole, "keras")
    assert export_problem(cells.Network.create("gru_torch", 3, 4), "torch") is None
    assert "gru_keras_v1" in export_problem(cells.Network.create("gru_keras_v1", 3, 4), "torch")


def test_an_uploaded_model_reads_the_vocabulary_it_is_given() -> None:
    network = cells.Network.create("lstm", 3, 4)
    model = load_upload("m.npz", export_npz(network), vocabulary="abc")
    np.testing.assert_array_equal(model.inputs("cab").xs, np.eye(3)[[2, 0, 1]])
    with pytest.raises(ValueError, match="2 tokens for 3 one-hot inputs"):
        load_upload("m.npz", export_npz(network), vocabulary="ab")


def _torch_dict() -> dict[str, np.ndarray]:
    return cells.to_torch(cells.Network.create("lstm", 3, 4))


def _pickled() -> bytes:
    out = io.BytesIO()
    np.savez(out, weight_ih_l0=np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return out.getvalue()


def _json_wrong_shape() -> bytes:
    doc = json.loads(cells.to_json(cells.Network.create("lstm", 3, 4)))
    doc["layers"][0]["forward"]["parameters"]["weights"]["forget"] = [[1.0, 2.0]]
    return json.dumps(doc).encode()


def _zip_without_arrays() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    return out.getvalue()


def _huge_header_npz() -> bytes:
    """A .npz whose one .npy header claims 10^13 float64 values (72.8 TiB) in a file of a few hundred bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("weight_ih_l0.npy", header.getvalue() + b"\0" * 64)  # the header writes its own magic
    return out.getvalue()


MALFORMED = {
    "an array header claiming 10^13 values": ("huge.npz", _huge_header_npz(), "larger than the limit of 100,000,000"),
    "too large": ("big.npz", b"\0" * (MAX_UPLOAD_BYTES + 1), "over the limit"),
    "not a zip": ("m.npz", b"this is not a zip file", "not a .npz file"),
    "truncated": ("m.npz", export_npz(cells.Network.create("lstm", 3, 4))[:300], "not a .npz file"),
    "no arrays we know": ("m.npz", _zip_without_arrays(), "a .npz (it holds readme.txt)"),
    "unknown keys": ("m.npz", npz_bytes(foo=np.zeros(3)), "found foo"),
    "pickled objects": ("sd.npz", _pickled(), "pickle"),
    "torch wrong shape": ("sd.npz", npz_bytes(**{**_torch_dict(), "bias_ih_l0": np.zeros(12)}),
                          "bias_ih_l0: expected shape (16,), got (12,)"),
    "torch missing key": ("sd.npz", npz_bytes(**{k: v for k, v in _torch_dict().items() if k != "bias_hh_l0"}),
                          "missing keys bias_hh_l0"),
    "torch integer dtype": ("sd.npz", npz_bytes(**{**_torch_dict(), "bias_ih_l0": np.zeros(16, np.int64)}),
                            "expected float32 or float64 values, got int64"),
    "torch NaN": ("sd.npz", npz_bytes(**{**_torch_dict(), "bias_ih_l0": np.full(16, np.nan)}), "finite"),
    "torch inf": ("sd.npz", npz_bytes(**{**_torch_dict(), "weight_hh_l0": np.full((16, 4), np.inf)}), "finite"),
    "torch three gates per hidden size 5": ("sd.npz", npz_bytes(weight_hh_l0=np.zeros((10, 5)),
                                                                weight_ih_l0=np.zeros((10, 3))), "weight_hh_l0"),
    "keras wrong key": ("k.npz", npz_bytes(**{"layer0.forward.kernel": np.zeros((3, 16)), "layer0.fwd.bias":
                                              np.zeros(16)}), "unexpected key 'layer0.fwd.bias'"),
    "keras missing recurrent kernel": ("k.npz", npz_bytes(**{"layer0.forward.kernel": np.zeros((3, 16))}),
                                       "missing recurrent_kernel"),
    "keras wrong shape": ("k.npz", npz_bytes(**{"layer0.forward.kernel": np.zeros((3, 12)),
                                                "layer0.forward.recurrent_kernel": np.zeros((4, 16))}),
                          "kernel: expected shape (input size, 16), got (3, 12)"),
    "gatescope npz NaN": ("m.npz", None, "finite"),
    "json not json": ("m.json", b"{not json", "not valid JSON"),
    "json wrong shape": ("m.json", _json_wrong_shape(), "expected shape (4, 7), got (1, 2)"),
    "json NaN": ("m.json", b'{"format": "gatescope-network", "version": 1, "layers": NaN}', "NaN"),
    "json a list": ("m.json", b"[1, 2, 3]", "expected an object"),
    "wrong extension": ("m.txt", b"PK", "not a file Gatescope reads (txt)"),
    "truncated PyTorch file": ("m.pt", b"PK", "not a PyTorch .pt/.pth file"),
}


def _nan_gatescope_npz() -> bytes:
    data = io.BytesIO(export_npz(cells.Network.create("lstm", 3, 4)))
    arrays = dict(np.load(data))
    arrays["layers.0.forward.biases.forget"] = np.full(4, np.nan)
    return npz_bytes(**arrays)


@pytest.mark.parametrize("case", list(MALFORMED))
def test_every_malformed_upload_is_refused_naming_the_problem(case: str) -> None:
    name, data, problem = MALFORMED[case]
    if data is None:
        data = _nan_gatescope_npz()
    with pytest.raises(ValueError, match=re.escape(problem)):
        load_upload(name, data)


# ----- share links ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_small_weights_ride_in_a_link_and_come_back_to_float32_precision(kind: str) -> None:
    network = cells.Network.create(kind, 3, 4, num_layers=2, bidirectional=True, seed=1)
    text = weights_to_link(network)
    assert len(text) < 8000 and set(text) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    same_outputs(network, weights_from_link(text), atol=1e-6)


def test_large_models_say_the_link_cannot_carry_them() -> None:
    with pytest.raises(ValueError, match="hidden size 12; share links carry weights up to hidden size 8"):
        weights_to_link(cells.Network.create("lstm", 3, 12))


def test_an_edited_preset_comes_back_from_its_link() -> None:
    model = from_preset("counter")
    assert model_to_link(model) == {"model": "preset:counter"}
    cell = model.network.layers[0].forward
    edited = model.edited(cells.Network((cells.Layer(dataclasses.replace(
        cell, biases={**cell.biases, "forget": cell.biases["forget"] - 25})),)))
    back = model_from_link(**{"source": model_to_link(edited)["model"], "weights": model_to_link(edited)["weights"]})
    np.testing.assert_allclose(back.network.layers[0].forward.biases["forget"], [-5.0])
    assert back.original is not None and back.inputs("ab").xs.shape == (2, 2)


@pytest.mark.parametrize("activation", ["hard_sigmoid", "hard_sigmoid_relu6"])
def test_a_hard_sigmoid_rides_in_the_link_and_an_old_link_reads_as_sigma(activation: str) -> None:
    network = cells.Network.create("gru", 3, 4, seed=5, num_layers=2).with_gate_activation(activation)
    back = weights_from_link(weights_to_link(network))
    assert back.gate_activation == activation
    xs = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_allclose(back.run(xs).output, network.run(xs).output, atol=1e-6)
    sigma = cells.Network.create("gru", 3, 4, seed=5)
    old = weights_to_link(sigma)
    assert old.startswith("w1.gru.1.1.4.3.")  # a σ network's link is as it always was
    assert weights_from_link(old).gate_activation == "sigmoid"
    edited = from_preset("counter").edited(from_preset("counter").network.with_gate_activation(activation))
    link = model_to_link(edited)
    assert model_from_link(link["model"], link["weights"]).network.gate_activation == activation


HOSTILE_LINKS = {
    "garbage": "hello",
    "wrong version": "w9.lstm.1.1.4.3.-.AAAA",
    "unknown kind": "w1.transformer.1.1.4.3.-.AAAA",
    "hidden too large": "w1.lstm.1.1.999.3.-.AAAA",
    "not base64 of zlib": "w1.lstm.1.1.4.3.-.!!!!",
    "too few numbers": "w1.lstm.1.1.4.3.-." + weights_to_link(cells.Network.create("lstm", 2, 4)).split(".")[-1],
    "not finite": "w1.rnn.1.1.1.1.-." + base64.urlsafe_b64encode(zlib.compress(
        np.array([np.nan, 0, 0], np.float32).tobytes())).decode(),
    "bad hidden-bias gates": "w1.lstm.1.1.4.3.99.AAAA",
    "too long": "w1." + "A" * 9000,
    "unknown gate activation": "w2.lstm.swish.1.1.4.3.-.AAAA",
    "hard sigmoid on a cell without σ gates": "w2.rnn.hard_sigmoid.1.1.1.1.-."
    + weights_to_link(cells.Network.create("rnn", 1, 1)).split(".")[-1],
}


@pytest.mark.parametrize("case", list(HOSTILE_LINKS))
def test_hostile_weights_in_a_link_are_refused(case: str) -> None:
    with pytest.raises(ValueError):
        weights_from_link(HOSTILE_LINKS[case])


def test_a_link_naming_an_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="preset 'nope'"):
        model_from_link("preset:nope", None)
    with pytest.raises(ValueError, match="needs its weights"):
        model_from_link("numbers", None)
    with pytest.raises(ValueError, match="expected preset:"):
        model_from_link("http://evil", None)


# ----- models from files as saved -----------------------------------------------------------------
MODELS = Path(__file__).parents[1] / "fixtures" / "models"


def test_an_uploaded_char_lm_reads_typed_text_through_its_own_embedding() -> None:
    from workbench.model_files import describe_found

    model = load_upload("char_lm.safetensors", (MODELS / "char_lm.safetensors").read_bytes())
    assert model.reads.startswith("characters of '␣.abc") and "through its embedding (28 × 8)" in model.reads
    encoded = model.inputs("the lazy")
    np.testing.assert_array_equal(encoded.xs, model.loaded.embedding[[model.loaded.vocabulary.index(c)
                                                                      for c in "the lazy"]])
    assert encoded.tokens[3] == "␣" and encoded.features[0] == "e1"
    with pytest.raises(ValueError, match="unknown character 'Q' at step 1"):
        model.inputs("aQ")
    with pytest.raises(ValueError, match="expected text"):
        model.inputs(None)  # the page's fallback when no text was kept
    lines = describe_found(model.loaded.found)
    assert "→ used: nn.LSTM lstm: 2 layers, 8 inputs, 16 units" in lines
    assert "Embedding embed: 28 tokens × 8 numbers" in lines and "Vocabulary: from the file." in lines
    with pytest.raises(ValueError, match="This model came from a file"):
        model_to_link(model)


def test_a_vocabulary_file_is_read_and_the_typed_fallback_never_refuses_a_file() -> None:
    data = (MODELS / "char_lm.pt").read_bytes()  # read without PyTorch where it is not installed
    model = load_upload("char_lm.pt", data, vocabulary=(MODELS / "char_lm.vocab.json").read_bytes())
    assert model.loaded.vocabulary[:3] == [" ", ".", "a"]
    # A drawn network's one-hot characters do not fit a model with its own embedding: they are not used.
    fallback = load_upload("char_lm.pt", data, fallback_vocabulary="helo wrd")
    assert fallback.loaded.vocabulary is None and fallback.reads.startswith("token indices 0–27")
    np.testing.assert_array_equal(fallback.inputs("3 1, 4").xs, fallback.loaded.embedding[[3, 1, 4]])
    # A plain network that reads 8 inputs takes the fallback when it fits.
    plain = load_upload("sd.npz", export_torch(cells.Network.create("lstm", 8, 3)), fallback_vocabulary="helo wrd")
    assert plain.vocabulary == "helo wrd"


def test_a_note_written_for_the_weights_goes_with_an_edit_and_comes_back_with_a_reset() -> None:
    import dataclasses

    from cells.edits import with_bias
    from workbench.model import from_preset

    model = from_preset("counter")
    assert model.shown_note == model.note and "+20" in model.note
    edited = model.edited(with_bias(model.network, "forget", -3.0))
    assert "+20" not in edited.shown_note and "unit 0" in edited.shown_note.lower()
    back = dataclasses.replace(edited, network=edited.original, original=None)
    assert back.shown_note == model.note


def test_plain_symbols_in_notes_become_markdown_math_and_math_stays_math() -> None:
    from workbench.model import symbols_as_math

    assert symbols_as_math("Watch unit 3 of C_t; h_{t-1} too.") == "Watch unit 3 of $C_t$; $h_{t-1}$ too."
    assert symbols_as_math("already $f_t$, and x_1") == "already $f_t$, and x_1"


def test_a_pytorch_upload_without_torch_loads_and_a_legacy_one_says_how_to_convert_it(monkeypatch,
                                                                                      tmp_path: Path) -> None:
    """What the Weights page shows for a .pt file on a machine without PyTorch: a zip checkpoint loads; a legacy
    pickle gets the one line to run where PyTorch is, which (run there) makes a safetensors file that loads."""
    import shlex
    import sys

    with monkeypatch.context() as m:
        m.setitem(sys.modules, "torch", None)  # as on a machine without PyTorch: import torch fails
        model = load_upload("char_lm.pt", (MODELS / "char_lm.pt").read_bytes(),
                            vocabulary=(MODELS / "char_lm.vocab.json").read_bytes())
        assert model.loaded.head.size == 28 and model.loaded.network.hidden_size == 16
        with pytest.raises(ValueError) as refused:
            load_upload("old.pt", (MODELS / "pt_legacy.pt").read_bytes())
    message = str(refused.value)
    assert message.startswith("old.pt: PyTorch file: ") and "PyTorch is not installed here" in message
    command = message.split("Convert it to safetensors where it is: ", 1)[1]
    assert command == ("python -c \"import torch; from safetensors.torch import save_file; "
                       "save_file(torch.load('old.pt', weights_only=True), 'old.safetensors')\"")
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    (tmp_path / "old.pt").write_bytes((MODELS / "pt_legacy.pt").read_bytes())
    python, flag, code = shlex.split(command)
    assert (python, flag) == ("python", "-c")
    monkeypatch.chdir(tmp_path)
    exec(code, {})  # what `python -c` runs, here where PyTorch is
    model = load_upload("old.safetensors", (tmp_path / "old.safetensors").read_bytes())
    assert model.loaded.network.kind == "lstm" and model.loaded.network.hidden_size == 4


def test_a_file_model_s_note_says_where_its_predictions_are_shown_and_only_when_it_has_a_head() -> None:
    # Explore and Weights show the note above the gates, and the head's predictions with them.
    chars = load_upload("char_lm.safetensors", (MODELS / "char_lm.safetensors").read_bytes())
    assert chars.note == ("Typed text goes through the model's own vocabulary and embedding; what its output head "
                          "predicts is shown with the gates.")
    indices = load_upload("word_gru.onnx", (MODELS / "word_gru.onnx").read_bytes())
    assert indices.note.startswith("Typed token indices go through the model's own embedding; what its output")
    headless = dataclasses.replace(chars.loaded, head=None)
    assert from_loaded(headless, "x").note == "Typed text goes through the model's own vocabulary and embedding."


def test_the_weights_page_s_link_settings_come_back_and_wrong_parts_are_named() -> None:
    from workbench.model_link import Clamp, Knob, PageLink, page_from_query, page_to_query

    original = cells.Network.create("lstm", 3, 4, seed=3)
    page = PageLink(7, (Knob("shift", 0, "forward", "forget", 3.0), Knob("scale", 0, "forward", "input", 1.0)),
                    Clamp("input", 0.25, (1, 3), 2, 9), original)
    query = page_to_query(page)
    assert query["knobs"] == "shift~0~forward~forget~3"  # a knob at its default is left out
    back, errors = page_from_query(query)
    assert not errors and back.step == 7 and back.knobs == page.knobs[:1] and back.clamp == page.clamp
    np.testing.assert_allclose(back.original.layers[0].forward.weights["forget"],
                               original.layers[0].forward.weights["forget"], rtol=1e-6)
    hostile = {"wstep": "-1", "knobs": "shift~0~forward~forget~99,scale~9~up~x~1,ok", "clamp": "input~2~~0~1",
               "orig": "w1.nope"}
    back, errors = page_from_query(hostile)
    assert (back.step, back.knobs, back.clamp, back.original) == (None, (), None, None)
    assert [e.split(":")[0] for e in errors] == ["wstep", "knobs", "knobs", "knobs", "clamp", "orig"]


def test_a_plain_file_model_with_a_head_is_not_put_in_a_link_that_would_lose_its_head() -> None:
    model = load_upload("sine_cell.pt", (MODELS / "sine_cell.pt").read_bytes())
    assert model.loaded.head is not None and model.source == "numbers"
    assert "send the file instead" in model_link_problem(model)
    with pytest.raises(ValueError):
        model_to_link(model)


def test_a_trained_model_names_its_inputs_in_quotes_so_brackets_read_as_inputs_not_punctuation() -> None:
    reads = from_pretrained("brackets_lstm").reads
    assert reads == "brackets ( and ); inputs “(”, “)”"
    assert "(, )" not in reads and reads.count("(") == 2  # the two brackets it reads, nothing more
    assert from_pretrained("text_lstm").reads.startswith("lower-case text; inputs “␣”, “,”, “.”")  # a space shows
    assert from_pretrained("sine_gru").reads.startswith("numbers")  # the sequence box's number mode keys on this


