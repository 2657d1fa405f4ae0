"""Model files: every kind round trips exactly through .npz and JSON, and every malformed file is refused
with a message that says what is wrong."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files.storage import from_json, load_npz, save_npz, to_json

XS = np.random.default_rng(7).standard_normal((6, 3))


def parameters(cell: cells.Cell) -> dict[str, dict[str, np.ndarray] | None]:
    return {f.name: getattr(cell, f.name) for f in dataclasses.fields(cell)}


def assert_same_network(a: cells.Network, b: cells.Network) -> None:
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert len(la.cells) == len(lb.cells)
        for ca, cb in zip(la.cells, lb.cells, strict=True):
            assert type(ca) is type(cb)
            assert ca.dtype == cb.dtype
            pa, pb = parameters(ca), parameters(cb)
            assert pa.keys() == pb.keys()
            for field, per_gate in pa.items():
                if per_gate is None or isinstance(per_gate, str):  # no parameters, or the gate activation's name
                    assert pb[field] == per_gate, field
                    continue
                assert per_gate.keys() == pb[field].keys(), field
                for gate, value in per_gate.items():
                    assert pb[field][gate].dtype == value.dtype
                    np.testing.assert_array_equal(pb[field][gate], value, err_msg=f"{field} {gate}")
    np.testing.assert_array_equal(a.run(XS).output, b.run(XS).output)


def through_npz(net: cells.Network, tmp_path: Path) -> cells.Network:
    path = tmp_path / "model.npz"
    save_npz(net, path)
    return load_npz(path)


# ----- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(cells.KINDS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_kind_round_trips_exactly(kind, bidirectional, tmp_path):
    net = cells.Network.create(kind, 3, 4, num_layers=3, bidirectional=bidirectional, seed=11)
    assert_same_network(net, through_npz(net, tmp_path))
    assert_same_network(net, from_json(to_json(net)))


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_float32_round_trips_exactly(kind, tmp_path):
    net = cells.Network.create(kind, 3, 5, num_layers=2, bidirectional=True, seed=4, dtype=np.float32)
    for again in (through_npz(net, tmp_path), from_json(to_json(net))):
        assert again.layers[1].backward.dtype == np.float32
        assert_same_network(net, again)


def test_recurrent_biases_round_trip_including_partial_ones(tmp_path):
    state = cells.to_torch(cells.Network.create("gru_torch", 3, 4, num_layers=2, seed=1))
    net = cells.from_torch("gru", state, num_layers=2)
    assert_same_network(net, through_npz(net, tmp_path))
    cell = cells.initialise("lstm", 3, 4, seed=2)
    partial = dataclasses.replace(cell, hidden_biases={"candidate": np.full(4, 0.25)})
    net = cells.Network((cells.Layer(partial),))
    for again in (through_npz(net, tmp_path), from_json(to_json(net))):
        assert list(again.layers[0].forward.hidden_biases) == ["candidate"]
        assert_same_network(net, again)


def test_mixed_kinds_and_file_objects(tmp_path):
    net = cells.Network((cells.Layer(cells.initialise("peephole", 3, 4, seed=1), cells.initialise("coupled", 3, 4)),
                         cells.Layer(cells.initialise("rnn", 8, 2, dtype=np.float32))))
    buffer = io.BytesIO()
    save_npz(net, buffer)
    assert_same_network(net, load_npz(io.BytesIO(buffer.getvalue())))
    assert_same_network(net, load_npz(buffer.getvalue()))
    assert_same_network(net, from_json(to_json(net).encode()))


def test_save_writes_exactly_the_name_given(tmp_path):
    save_npz(cells.Network.create("gru", 2, 3), tmp_path / "weights.bin")
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]


def test_json_says_what_it_holds():
    doc = json.loads(to_json(cells.Network.create("lstm", 3, 4, bidirectional=True)))
    assert doc["format"] == "gatescope-network" and doc["version"] == 1
    forward = doc["layers"][0]["forward"]
    assert {k: forward[k] for k in ("kind", "input_size", "hidden_size", "dtype", "hidden_biases")} == {
        "kind": "lstm", "input_size": 3, "hidden_size": 4, "dtype": "float64", "hidden_biases": None}
    assert np.shape(forward["parameters"]["weights"]["forget"]) == (4, 7)
    assert "backward" in doc["layers"][0]


# ----- malformed .npz ------------------------------------------------------------------------------
@pytest.fixture
def good(tmp_path) -> dict[str, np.ndarray]:
    """The arrays of a valid file (one LSTM layer, 3 inputs, 4 units), to spoil one at a time."""
    path = tmp_path / "good.npz"
    save_npz(cells.Network.create("lstm", 3, 4, seed=0), path)
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def write(tmp_path: Path, arrays: dict[str, object], allow_pickle: bool = False) -> Path:
    path = tmp_path / "spoiled.npz"
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=allow_pickle, **arrays)
    return path


def refused(path_or_file: object, message: str, **options) -> None:
    with pytest.raises(ValueError, match=message):
        load_npz(path_or_file, **options)


def test_refuses_random_bytes(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    refused(path, r"^model file: not a \.npz file: not a zip archive, or truncated$")


def test_refuses_truncated_file(tmp_path, good):
    data = write(tmp_path, good).read_bytes()
    refused(data[: len(data) // 2], r"^model file: not a \.npz file: not a zip archive, or truncated$")


def test_refuses_damaged_member(tmp_path, good):
    data = bytearray(write(tmp_path, good).read_bytes())
    at = data.find(b"\x93NUMPY", 200)  # inside some array's data, after the header
    data[at + 120] ^= 0xFF
    refused(bytes(data), r"^model file: the archive is damaged or truncated \(BadZipFile: Bad CRC-32")


def test_refuses_pickled_objects(tmp_path, good):
    good["layers.0.forward.weights.forget"] = np.array([{"payload": 1}] * 4, dtype=object)
    refused(write(tmp_path, good, allow_pickle=True),
            r"array layers\.0\.forward\.weights\.forget holds Python objects \(a pickle\), never loaded")


def test_refuses_missing_and_extra_arrays(tmp_path, good):
    spoiled = dict(good)
    del spoiled["layers.0.forward.weights.forget"], spoiled["layers.0.forward.biases.output"]
    refused(write(tmp_path, spoiled),
            r"^model file: missing parameters layers\.0\.forward\.weights\.forget, layers\.0\.forward\.biases\.output$")
    refused(write(tmp_path, {**good, "layers.0.forward.weights.update": np.zeros((4, 7))}),
            r"^model file: unexpected parameters layers\.0\.forward\.weights\.update$")
    refused(write(tmp_path, {**good, "layers.1.forward.biases.forget": np.zeros(4)}),
            r"unexpected parameters layers\.1\.forward\.biases\.forget")
    refused(write(tmp_path, {**good, "notes": np.zeros(1)}), r"^model file: unexpected array notes$")
    del good["gatescope"]
    refused(write(tmp_path, good), r"^model file: no 'gatescope' description inside: not a Gatescope model file$")


def test_refuses_a_member_that_is_not_an_array(tmp_path, good):
    path = write(tmp_path, good)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("readme.txt", "hello")
    refused(path, r"^model file: member readme\.txt is not a \.npy array$")


def test_refuses_non_finite_values(tmp_path, good):
    W = good["layers.0.forward.weights.input"].copy()
    W[2, 5] = np.nan
    refused(write(tmp_path, {**good, "layers.0.forward.weights.input": W}),
            r"^model file: layers\.0\.forward\.weights\.input: every value must be finite, found nan at row 2, "
            r"column 5$")
    b = good["layers.0.forward.biases.forget"].copy()
    b[1] = -np.inf
    refused(write(tmp_path, {**good, "layers.0.forward.biases.forget": b}),
            r"biases\.forget: every value must be finite, found -inf at position 1")


def test_refuses_wrong_shapes(tmp_path, good):
    refused(write(tmp_path, {**good, "layers.0.forward.weights.output": np.zeros((4, 6))}),
            r"^model file: layers\.0\.forward\.weights\.output: expected shape \(4, 7\), got \(4, 6\)$")
    refused(write(tmp_path, {**good, "layers.0.forward.biases.output": np.zeros((1, 4))}),
            r"biases\.output: expected shape \(4,\), got \(1, 4\)")


@pytest.mark.parametrize(("value", "dtype"), [
    (np.zeros((4, 7), np.int64), "int64"),
    (np.zeros((4, 7), np.complex128), "complex128"),
    (np.full((4, 7), "0.1"), "<U3"),
    (np.zeros((4, 7), np.float16), "float16"),
    (np.zeros((4, 7), bool), "bool"),
])
def test_refuses_wrong_dtypes(tmp_path, good, value, dtype):
    refused(write(tmp_path, {**good, "layers.0.forward.weights.candidate": value}),
            rf"^model file: layers\.0\.forward\.weights\.candidate: expected float32 or float64 numbers, got {dtype}$")


def test_refuses_a_dtype_other_than_the_cells(tmp_path, good):
    refused(write(tmp_path, {**good, "layers.0.forward.biases.input": np.zeros(4, np.float32)}),
            r"biases\.input: expected float64 like the cell's dtype, got float32")


def test_refuses_oversize_files_before_reading(tmp_path, good):
    path = write(tmp_path, good)
    refused(path, r"^model file: larger than the limit of 1,000 bytes$", max_bytes=1000)
    with open(path, "rb") as f:
        refused(f, r"^model file: larger than the limit of 1,000 bytes$", max_bytes=1000)
    big = write(tmp_path, {**good, "layers.0.forward.weights.forget": np.zeros((1000, 1000))})
    refused(big, r"larger than the limit of 5,000,000 bytes")
    bomb = tmp_path / "bomb.npz"
    with open(bomb, "wb") as f:  # small on disk, 8 MB unpacked
        np.savez_compressed(f, **{**good, "layers.0.forward.weights.forget": np.zeros((1000, 1000))})
    assert bomb.stat().st_size < 100_000
    refused(bomb, r"^model file: its arrays unpack to more than the limit of 5,000,000 bytes$")


def test_refuses_an_array_header_claiming_a_huge_shape(tmp_path, good):
    """A .npy header can promise 80 GB in a few bytes; it is refused before numpy allocates anything."""
    path = write(tmp_path, good)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000)})
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("layers.0.forward.peepholes.forget.npy", header.getvalue() + b"\0" * 64)
    refused(path, r"^model file: array layers\.0\.forward\.peepholes\.forget of shape \(100000, 100000\) is larger "
                  r"than the limit of 5,000,000 bytes$")


def test_refuses_a_bad_description(tmp_path, good):
    meta = json.loads(str(good["gatescope"]))

    def with_meta(change) -> Path:
        spoiled = json.loads(json.dumps(meta))
        change(spoiled)
        return write(tmp_path, {**good, "gatescope": np.array(json.dumps(spoiled))})

    refused(with_meta(lambda m: m.update(format="other-tool")),
            r"^model file: format: expected 'gatescope-network', got 'other-tool'$")
    refused(with_meta(lambda m: m.update(version=2)), r"^model file: version: expected 1 .*got 2$")
    refused(with_meta(lambda m: m["layers"][0]["forward"].update(kind="transformer")),
            r"^model file: layers\[0\]\.forward\.kind: expected one of lstm, gru, .*got 'transformer'$")
    refused(with_meta(lambda m: m["layers"][0]["forward"].update(dtype="int8")),
            r"layers\[0\]\.forward\.dtype: expected 'float32' or 'float64', got 'int8'")
    refused(write(tmp_path, {**good, "gatescope": np.array("{not json")}), r"^model file: not valid JSON: ")
    refused(write(tmp_path, {**good, "gatescope": np.zeros(3)}),
            r"^model file: the 'gatescope' description: expected JSON text, got a float64 array of shape \(3,\)$")


# ----- malformed JSON ------------------------------------------------------------------------------
@pytest.fixture
def doc() -> dict:
    return json.loads(to_json(cells.Network.create("gru_torch", 2, 3, num_layers=2, seed=1)))


def json_refused(text: object, message: str, **options) -> None:
    with pytest.raises(ValueError, match=message):
        from_json(text, **options)


def test_json_refuses_text_that_is_not_json():
    json_refused("{'format': 1}", r"^model JSON: not valid JSON: Expecting property name enclosed in double quotes "
                                  r"at line 1, column 2$")
    json_refused("", r"^model JSON: not valid JSON: Expecting value at line 1, column 1$")
    json_refused(b"\xff\xfe{}", r"^model JSON: not valid JSON: not UTF-8 text$")
    json_refused("[" * 100_000, r"^model JSON: not valid JSON")
    json_refused(3, r"^model JSON: expected text, got int$")


def test_json_refuses_oversize_text(doc):
    text = json.dumps(doc)
    json_refused(text, r"^model JSON: larger than the limit of 100 bytes$", max_bytes=100)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("version"), r"^model JSON: description: missing field version$"),
    (lambda d: d.update(extra=1), r"^model JSON: description: unexpected field extra$"),
    (lambda d: d.update(version="1"), r"^model JSON: version: expected 1 .*got '1'$"),
    (lambda d: d.update(layers={}), r"^model JSON: layers: expected a list of 1 to 16 layers, got dict$"),
    (lambda d: d.update(layers=[]), r"^model JSON: layers: expected a list of 1 to 16 layers, got 0 layers$"),
    (lambda d: d["layers"][1].pop("forward"), r"^model JSON: layers\[1\]: missing field forward$"),
    (lambda d: d["layers"][1].update(sideways={}), r"^model JSON: layers\[1\]: unexpected field sideways$"),
    (lambda d: d["layers"][0]["forward"].update(hidden_size=-1),
     r"^model JSON: layers\[0\]\.forward\.hidden_size: expected a whole number from 1 to 4096, got -1$"),
    (lambda d: d["layers"][0]["forward"].update(input_size=2.5),
     r"^model JSON: layers\[0\]\.forward\.input_size: expected a whole number from 1 to 100000, got 2\.5$"),
    (lambda d: d["layers"][0]["forward"].update(hidden_biases=["forget"]),
     r"^model JSON: layers\[0\]\.forward\.hidden_biases: expected null or a list of distinct gates from "
     r"\['update', 'reset', 'candidate'\], got \['forget'\]$"),
    (lambda d: d["layers"][0]["forward"].update(parameters=[]),
     r"^model JSON: layers\[0\]\.forward\.parameters: expected an object, got list$"),
    (lambda d: d["layers"][0]["forward"]["parameters"].update(biases=[1, 2]),
     r"^model JSON: layers\[0\]\.forward\.parameters\.biases: expected gates, got list$"),
    (lambda d: d["layers"][0]["forward"]["parameters"]["weights"].pop("reset"),
     r"^model JSON: missing parameters layers\[0\]\.forward\.parameters\.weights\.reset$"),
    (lambda d: d["layers"][0]["forward"]["parameters"].update(peepholes={"forget": [[0.0]]}),
     r"^model JSON: unexpected parameters layers\[0\]\.forward\.parameters\.peepholes\.forget$"),
    (lambda d: d["layers"][0]["forward"]["parameters"]["biases"].update(reset=["0.1", "0.2", "0.3"]),
     r"^model JSON: layers\[0\]\.forward\.parameters\.biases\.reset: expected numbers, got text$"),
    (lambda d: d["layers"][0]["forward"]["parameters"]["biases"].update(reset=[0.1, None, 0.3]),
     r"biases\.reset: expected numbers, got mixed or missing values$"),
    (lambda d: d["layers"][0]["forward"]["parameters"]["biases"].update(reset=[True, False, True]),
     r"biases\.reset: expected numbers, got true/false$"),
    (lambda d: d["layers"][0]["forward"]["parameters"]["weights"].update(reset=[[0.1, 0.2], [0.3]]),
     r"weights\.reset: expected nested lists of numbers of equal length"),
    (lambda d: d["layers"][0]["forward"]["parameters"]["weights"].update(reset=[[0.0] * 4] * 3),
     r"^model JSON: layers\[0\]\.forward\.parameters\.weights\.reset: expected shape \(3, 5\), got \(3, 4\)$"),
    (lambda d: d["layers"][1]["forward"].update(input_size=2),
     r"layers\[1\]\.forward\.parameters\.weights\.update: expected shape \(3, 5\), got \(3, 6\)"),
])
def test_json_refuses_a_wrong_field(doc, change, message):
    change(doc)
    json_refused(json.dumps(doc), message)


def test_json_refuses_non_finite_numbers(doc):
    text = json.dumps(doc)
    first = doc["layers"][0]["forward"]["parameters"]["biases"]["update"][0]
    json_refused(text.replace(json.dumps(first), "NaN", 1),
                 r"^model JSON: NaN is not a number this format allows; every value must be finite$")
    json_refused(text.replace(json.dumps(first), "-Infinity", 1), r"^model JSON: -Infinity is not a number")
    json_refused(text.replace(json.dumps(first), "1e999", 1),
                 r"^model JSON: layers\[0\]\.forward\.parameters\.biases\.update: every value must be finite, "
                 r"found inf at position 0$")


def test_json_refuses_numbers_too_large_for_float32():
    doc = json.loads(to_json(cells.Network.create("rnn", 1, 1, dtype=np.float32)))
    doc["layers"][0]["forward"]["parameters"]["biases"]["hidden"] = [1e300]
    json_refused(json.dumps(doc), r"biases\.hidden: a value is too large for float32$")


def test_a_network_that_does_not_fit_together_is_refused(doc):
    doc["layers"][1]["forward"]["input_size"] = 2
    for gate, W in doc["layers"][1]["forward"]["parameters"]["weights"].items():
        doc["layers"][1]["forward"]["parameters"]["weights"][gate] = [row[:5] for row in W]
    json_refused(json.dumps(doc), r"^model JSON: layer 1: expected input size 3 \(layer 0's output\), got 2$")
