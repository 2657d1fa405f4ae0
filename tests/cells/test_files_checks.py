"""What a file can make a reader do: typed checks at the boundary, budgets counted once, capped vocabularies,
and a model that must be able to read its own example."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

import cells
from cells.files import budget, storage
from cells.files import vocabulary as vocab
from cells.files.hdf5 import H5File
from cells.files.model import LoadedModel
from cells.files.parts import Head

h5py = pytest.importorskip("h5py")


def _safetensors(V: int, words: str | None = None, dtype: object = "F32", I: int = 4, H: int = 3) -> bytes:
    rng = np.random.default_rng(0)
    arrays = {"embed.weight": rng.normal(size=(V, I)), "rnn.weight_ih_l0": rng.normal(size=(4 * H, I)),
              "rnn.weight_hh_l0": rng.normal(size=(4 * H, H))}
    header, data = ({"__metadata__": {"vocabulary": words}} if words is not None else {}), b""
    for name, a in arrays.items():
        raw = a.astype(np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["rnn.weight_ih_l0"]["dtype"] = dtype
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


# ----- 8: a model that cannot read its own example ---------------------------------------------------------
def test_a_word_vocabulary_with_a_space_inside_a_token_is_refused_at_load_time():
    data = _safetensors(5, json.dumps(["good", "very bad", "movie", "a", "the"]))
    with pytest.raises(ValueError, match=r"token 1, 'very bad', holds white space; a vocabulary of words reads text "
                                         r"split at white space, so it could never be typed"):
        cells.load(data, name="m.safetensors")
    with pytest.raises(ValueError, match="holds white space"):  # given beside the file, the same
        cells.load(_safetensors(5), vocabulary=["good", "bad", "new\tline", "a", "the"], name="m.safetensors")


def test_the_example_is_text_the_model_reads_back_token_for_token():
    words = cells.load(_safetensors(5, json.dumps(["<pad>", "good", "bad", "a", "the"])), name="m.safetensors")
    assert words.example() == "<pad> good bad a the"
    assert words.read(words.example()).tokens == ("<pad>", "good", "bad", "a", "the")
    chars = cells.load(_safetensors(6), vocabulary=["\n", "\r", "a", " ", "b", "c"], name="m.safetensors")
    assert chars.example() == "a bc"  # control characters cannot be typed into a box: left out
    assert chars.read(chars.example()).tokens == ("a", " ", "b", "c")


def test_a_vocabulary_of_only_untypable_characters_is_refused():
    with pytest.raises(ValueError, match="none of its tokens can be typed"):
        cells.load(_safetensors(3), vocabulary=["\n", "\r", "\x00"], name="m.safetensors")


# ----- 9: vocabulary caps ------------------------------------------------------------------------------------
def test_a_vocabulary_over_the_cap_is_refused_naming_the_limit():
    words = [f"w{k}" for k in range(vocab.MAX_TOKENS + 1)]
    with pytest.raises(ValueError, match=r"expected 1 to 100,000 tokens, got 100,001"):
        vocab.parse(words)
    with pytest.raises(ValueError, match=r"expected 1 to 100,000 tokens, got 100,001"):
        vocab.parse({w: k for k, w in enumerate(words)})
    assert len(vocab.parse(words[:-1])) == vocab.MAX_TOKENS


def test_long_tokens_and_a_head_wider_than_any_vocabulary_are_refused():
    with pytest.raises(ValueError, match=r"token 1 has 101 characters, more than the limit of 100"):
        vocab.parse(["a", "b" * 101])
    network = cells.Network.create("lstm", 3, 2, seed=0)
    head = Head(np.zeros((vocab.MAX_TOKENS + 1, 2), np.float32), np.zeros(vocab.MAX_TOKENS + 1, np.float32))
    with pytest.raises(ValueError, match=r"output head: 100,001 outputs, more than the limit of 100,000"):
        LoadedModel(network, head=head)


def test_a_vocabulary_nested_deeply_is_refused():
    with pytest.raises(ValueError, match="JSON nested too deeply"):
        vocab.parse(("[" * 100_000 + "]" * 100_000).encode())


# ----- 6: JSON types at the boundary -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [["F32"], {"F32": 1}, 4, None])
def test_a_safetensors_dtype_of_the_wrong_type_is_refused(dtype):
    with pytest.raises(ValueError, match=r"tensor 'rnn.weight_ih_l0' has an unknown dtype"):
        cells.load(_safetensors(5, dtype=dtype), name="m.safetensors")


@pytest.mark.parametrize("field", ["kind", "dtype"])
@pytest.mark.parametrize("value", [[], {}])
def test_gatescope_json_fields_of_the_wrong_type_are_refused(field, value):
    doc = json.loads(storage.to_json(cells.Network.create("lstm", 3, 2, seed=0)))
    doc["layers"][0]["forward"][field] = value
    with pytest.raises(ValueError, match=rf"model JSON: layers\[0\].forward.{field}: expected"):
        cells.load(json.dumps(doc).encode(), name="m.json")


KERAS_CONFIGS = {
    "config.json's config: expected an object, got list": {"class_name": "Sequential", "config": []},
    r"config.json's config.layers\[0\]: expected an object, got str": {
        "class_name": "Sequential", "config": {"layers": ["LSTM"]}},
    r"config.layers\[0\].config: expected an object, got list": {
        "class_name": "Sequential", "config": {"layers": [{"class_name": "LSTM", "config": [1]}]}},
    r"config.layers\[0\].class_name: expected text, got list": {
        "class_name": "Sequential", "config": {"layers": [{"class_name": ["LSTM"]}]}},
    r"config.layers\[0\].config.layer: expected an object, got list": {
        "class_name": "Sequential", "config": {"layers": [{"class_name": "Bidirectional", "config": {"layer": []}}]}},
    r"config.layers\[0\].config.name: expected text, got dict": {
        "class_name": "Sequential", "config": {"layers": [{"class_name": "LSTM", "config": {"name": {}}}]}},
}


@pytest.mark.parametrize("message", list(KERAS_CONFIGS))
def test_keras_configs_of_the_wrong_json_types_are_refused_by_place(message):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("config.json", json.dumps(KERAS_CONFIGS[message]))
        z.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match=message):
        cells.load(out.getvalue(), name="m.keras")


def test_the_last_net_names_the_file(monkeypatch):
    from cells.files import safetensors_io

    def broken(*args: object) -> None:
        raise KeyError("x")

    monkeypatch.setattr(safetensors_io, "parts", broken)
    with pytest.raises(ValueError, match=r"m.safetensors: could not be read \(KeyError: 'x'\)"):
        cells.load(_safetensors(5), name="m.safetensors")


# ----- 2-5: budgets ---------------------------------------------------------------------------------------------
def test_the_budget_is_three_times_the_file_with_a_floor_and_a_ceiling():
    assert budget.limit_for(1_000, 100_000_000) == budget.MIN_LIMIT
    assert budget.limit_for(50_000_000, 100_000_000) == 150_000_000
    assert budget.limit_for(50_000_000, 1_000) == 3_000


def test_a_zip_member_inflates_in_chunks_and_stops_at_its_claim():
    """A member whose directory claims 2,000 bytes over a stream of 50 MB of zeros: 2,000 bytes come out, then the
    CRC of what came is found wrong; zipfile's own read() would inflate the whole stream first."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big", bytes(50_000_000))
    data = bytearray(out.getvalue())
    for at in (data.find(b"PK\x03\x04") + 22, data.find(b"PK\x01\x02") + 24):  # the sizes, in both headers
        data[at : at + 4] = struct.pack("<L", 2_000)
    b = budget.Budget(budget.MIN_LIMIT, "lying.zip")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z, pytest.raises(ValueError, match="big cannot be unpacked"):
        budget.read_member(z, "big", b)
    assert b.used == 2_000


def test_a_member_compressed_otherwise_is_refused_before_it_is_inflated():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("big", bytes(1000))
    with zipfile.ZipFile(out) as z, pytest.raises(ValueError, match="compressed with method 12"):
        budget.read_member(z, "big", budget.Budget(budget.MIN_LIMIT, "m.zip"))


def test_an_hdf5_object_is_read_and_counted_once_however_many_links_name_it():
    out = io.BytesIO()
    with h5py.File(out, "w") as f:
        f["a"] = np.ones((100, 100), np.float32)
        f["b"] = f["a"]  # a hard link: the same object
        f["c"] = np.ones((10,), np.float64)
    f = H5File(out.getvalue(), budget.Budget(40_050, "m.h5"))
    a, b = f.read(f.node(f.file, "a"), "a"), f.read(f.node(f.file, "b"), "b")
    assert a is b and f.budget.used == 40_000  # not 80,000
    assert not a.flags.writeable
    with pytest.raises(ValueError, match=r"m.h5: c needs 80 bytes; this file may unpack to at most 40,050 "
                                         r"bytes, 40,000 of them used already"):
        f.read(f.node(f.file, "c"), "c")
    f.close()


def test_an_hdf5_dataset_is_refused_from_its_metadata_before_it_is_read():
    out = io.BytesIO()
    with h5py.File(out, "w") as f:  # chunks never written: the file is small, a read makes 40 MB
        f.create_dataset("big", shape=(1000, 10_000), dtype=np.float32, chunks=(10, 10_000), fillvalue=1.0)
    f = H5File(out.getvalue(), budget.Budget(1_000_000, "m.h5"))
    with pytest.raises(ValueError, match="big needs 40,000,000 bytes"):
        f.read(f.node(f.file, "big"), "big")
    assert f.budget.used == 0
    f.close()


def test_json_is_counted_before_it_is_parsed():
    """2 bytes a number in the file, about 40 once parsed: a JSON file is charged by its values first."""
    network = json.loads(storage.to_json(cells.Network.create("lstm", 3, 2, seed=0)))
    doc = json.dumps({"format": "gatescope-model", "version": 1, "network": network, "vocabulary": None,
                      "head": None})
    short = (doc[:-1] + ', "embedding": [[' + "0," * 1_999_999 + "0]]}").encode()  # 4 MB of "0,"
    with pytest.raises(ValueError, match=r"m.json: parsing its JSON needs 80,00\d,\d{3} bytes; this file may unpack "
                                         r"to at most 64,000,000 bytes"):
        cells.load(short, name="m.json")
    assert cells.load(doc.encode(), name="m.json").network.hidden_size == 2  # an ordinary file is not


def test_a_read_that_never_ends_is_stopped_at_its_deadline():
    import time

    assert budget.in_child(lambda: {"a": [1, 2]}, 5.0, "m.h5") == {"a": [1, 2]}
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"m.h5: its names could not be read within 0.5 s \(a damaged file\)"):
        budget.in_child(lambda: [0 for _ in iter(int, 1)], 0.5, "m.h5: its names")  # loops forever
    assert time.monotonic() - start < 3
