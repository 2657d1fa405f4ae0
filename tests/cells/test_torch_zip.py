""".pt files without PyTorch: cells.files.torch_zip against torch.load(weights_only=True), and hostile archives refused.

The fixtures were written by tests/fixtures/make_wild_models.py and make_models.py with torch; the
expected arrays beside them are what torch.load gave. ``no_torch`` hides torch from import, as on a
machine without it.
"""

from __future__ import annotations

import io
import pickletools
import struct
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files import torch_io, torch_zip

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
PT = ("char_lm", "word_gru", "cell_loop", "lstmp_lm", "pt_layouts", "seq2seq_gru", "sine_cell")
CAP = 100_000_000


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(MODELS / f"{stem}.expected.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def same(a: object, b: object, path: str = "") -> None:
    """``a`` and ``b`` hold the same containers, keys in the same order, and bit-equal arrays of one dtype."""
    if isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, path
        assert a.tobytes() == b.tobytes(), path
    elif isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), path
        for k in b:
            same(a[k], b[k], f"{path}/{k}")
    elif isinstance(b, list | tuple):
        assert isinstance(a, tuple) == isinstance(b, tuple) and len(a) == len(b), path  # torch.Size is a tuple
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{k}]")
    else:
        assert a == b, path


# ----- the same arrays as torch.load ---------------------------------------------------------------------
def test_every_layout_pytorch_stores_reads_as_torch_load_gave_it(no_torch):
    loaded = torch_io.load((MODELS / "pt_layouts.pt").read_bytes(), CAP)
    fx = expected("pt_layouts")
    for path, want in fx.items():
        got = loaded
        for part in path.split("/"):
            got = got[part]
        same(got, want, path)
    t = loaded["tensors"]
    assert t["f16"].dtype == t["bf16"].dtype == np.float32 and t["steps"].dtype == np.int64
    np.testing.assert_array_equal(t["transposed"], t["base"].T)  # a view with strides (1, 5)
    np.testing.assert_array_equal(t["every_other"], t["base"][::2, 1::2])  # offset 1, strides (10, 2)
    assert t["scalar"].shape == () and t["empty"].shape == (0, 3)
    assert loaded["raw"] == b"\x00\x01binary" and loaded["labels"] == {"a", "b"} and loaded["shape"] == (3, 4)
    assert loaded["pair"] == (1, "two") and loaded["nothing"] is None and loaded["lr"] == 0.001


@pytest.mark.parametrize("stem", PT)
def test_without_torch_every_pt_fixture_gives_torch_loads_arrays(stem, monkeypatch):
    pytest.importorskip("torch")
    data = (MODELS / f"{stem}.pt").read_bytes()
    with_torch = torch_io.load(data, CAP)
    monkeypatch.setitem(sys.modules, "torch", None)
    same(torch_io.load(data, CAP), with_torch)


def big_endian(data: bytes) -> bytes:
    """The same checkpoint as a big-endian machine writes it: byteorder "big", every storage's values swapped."""
    archive, pickle = torch_zip.check(data, CAP)
    reader = torch_zip.Unpickler(archive, CAP)
    reader.load(pickle)
    sizes = {f"{archive.prefix}data/{k}": torch_zip._itemsize(s.dtype) for k, s in reader.storages.items()}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            body = z.read(info)
            if info.filename == archive.prefix + "byteorder":
                body = b"big"
            elif info.filename in sizes and sizes[info.filename] > 1:
                n = sizes[info.filename]
                body = np.frombuffer(body, f"<u{n}").astype(f">u{n}").tobytes()
            w.writestr(info.filename, body)
    return out.getvalue()


def test_a_big_endian_checkpoint_reads_to_the_same_numbers(no_torch):
    data = (MODELS / "pt_layouts.pt").read_bytes()
    same(torch_io.load(big_endian(data), CAP), torch_io.load(data, CAP))


def check_model(model: cells.LoadedModel, stem: str) -> None:
    fx = expected(stem)
    reading = model.read(fx["input"] if "input" in fx else fx["ids"])
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(reading.logits, fx["logits"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("stem", ["char_lm", "word_gru", "cell_loop", "lstmp_lm", "sine_cell"])
def test_cells_load_reads_every_model_without_torch_as_pytorch_ran_it(stem, no_torch):
    model = cells.load(MODELS / f"{stem}.pt")
    check_model(model, stem)
    assert model.found.format == "torch"


def test_with_and_without_torch_cells_load_builds_the_same_network(monkeypatch):
    pytest.importorskip("torch")
    for stem in ("word_gru", "lstmp_lm", "cell_loop"):
        a = cells.load(MODELS / f"{stem}.pt")
        with monkeypatch.context() as m:
            m.setitem(sys.modules, "torch", None)
            b = cells.load(MODELS / f"{stem}.pt")
        xs = np.random.default_rng(3).standard_normal((7, a.network.input_size)).astype(np.float32)
        np.testing.assert_array_equal(a.network.run(xs).output, b.network.run(xs).output)
        assert a.found.used == b.found.used and a.found.ignored == b.found.ignored


# ----- refused, each by name ----------------------------------------------------------------------------
def test_a_whole_model_saved_with_torch_save_is_refused_by_its_classes(monkeypatch):
    data = (MODELS / "pt_module.pt").read_bytes()
    for hidden in (True, False):
        with monkeypatch.context() as m:
            if hidden:
                m.setitem(sys.modules, "torch", None)
            with pytest.raises(ValueError, match=r"a whole model saved with torch.save\(model\).*torch.nn.modules"
                                                 r".*torch.save\(model.state_dict\(\)"):
                cells.load(data, name="model.pt")


def test_dtypes_without_a_legacy_storage_read_through_rebuild_tensor_v3(monkeypatch):
    torch = pytest.importorskip("torch")
    sd = {"u16": torch.tensor([1, 2, 65535]).to(torch.uint16), "u32": torch.tensor([[7], [8]]).to(torch.uint32)}
    buffer = io.BytesIO()
    torch.save(sd, buffer)
    want = torch_io.load(buffer.getvalue(), CAP)
    assert want["u16"].dtype == np.uint16
    eight = io.BytesIO()
    torch.save({"f8": torch.randn(4).to(torch.float8_e4m3fn)}, eight)
    monkeypatch.setitem(sys.modules, "torch", None)
    same(torch_io.load(buffer.getvalue(), CAP), want)
    with pytest.raises(ValueError, match=r"names torch.float8_e4m3fn, a part of PyTorch that Gatescope does not read"):
        torch_io.load(eight.getvalue(), CAP)


def test_a_torchscript_model_is_refused_as_one(monkeypatch):
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated, and still in files
        torch.jit.save(torch.jit.script(torch.nn.LSTM(3, 4)), buffer)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ValueError, match=r"a TorchScript model saved with torch.jit.save: .*carries code.*"
                                         r"torch.save\(model.state_dict\(\)"):
        cells.load(buffer.getvalue(), name="scripted.pt")


def test_a_legacy_pt_needs_torch_and_says_how_to_convert_it(no_torch):
    with pytest.raises(ValueError, match=r"legacy format.*PyTorch is not installed here.*save_file\(torch.load"
                                         r"\('old.pt'"):
        cells.load((MODELS / "pt_legacy.pt").read_bytes(), name="old.pt")


def test_a_legacy_pt_still_loads_where_torch_is_installed():
    pytest.importorskip("torch")
    model = cells.load(MODELS / "pt_legacy.pt")
    assert model.network.kind == "lstm" and model.network.hidden_size == 4


# A small assembler of protocol-2 pickles, to write what torch.save would never write.
def op(code: str) -> bytes:
    return {"mark": b"(", "tuple": b"t", "dict": b"}", "setitem": b"s", "reduce": b"R", "persid": b"Q",
            "false": b"\x89", "empty_tuple": b")", "stop": b".", "build": b"b", "newobj": b"\x81",
            "list": b"]", "append": b"a"}[code]


def glob(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def text(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def num(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)


def ints(values: tuple[int, ...]) -> bytes:
    return op("mark") + b"".join(num(v) for v in values) + op("tuple")


def tensor(key: str, numel: int, size: tuple[int, ...], stride: tuple[int, ...], offset: int = 0,
           storage: str = "FloatStorage") -> bytes:
    pid = op("mark") + text("storage") + glob("torch", storage) + text(key) + text("cpu") + num(numel) + op("tuple")
    hooks = glob("collections", "OrderedDict") + op("empty_tuple") + op("reduce")
    return (glob("torch._utils", "_rebuild_tensor_v2") + op("mark") + pid + op("persid") + num(offset)
            + ints(size) + ints(stride) + op("false") + hooks + op("tuple") + op("reduce"))


def archive(pickle: bytes, storages: dict[str, bytes] | None = None, compress: int = zipfile.ZIP_STORED,
            extra: int = 0) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as z:
        z.writestr("archive/data.pkl", pickle)
        z.writestr("archive/byteorder", "little")
        for key, body in (storages or {}).items():
            z.writestr(f"archive/data/{key}", body)
        for k in range(extra):
            z.writestr(f"archive/extra/{k}", b"")
        z.writestr("archive/version", "3\n")
    return out.getvalue()


def state_dict(*items: tuple[str, bytes]) -> bytes:
    return b"\x80\x02" + op("dict") + b"".join(text(k) + v + op("setitem") for k, v in items) + op("stop")


FLOATS = np.arange(6, dtype="<f4").tobytes()


def test_a_hand_made_strided_view_reads_the_right_numbers(no_torch):
    pickle = state_dict(("w", tensor("0", 6, (2, 2), (1, 3), offset=1)))  # columns of a (2, 3) matrix, from 1
    loaded = torch_zip.load(archive(pickle, {"0": FLOATS}), CAP)
    np.testing.assert_array_equal(loaded["w"], np.arange(6, dtype=np.float32).reshape(2, 3)[:, 1:].T)


HOSTILE = {
    "a global off the list": (state_dict(("x", glob("os", "system") + op("mark") + text("echo hi") + op("tuple")
                                          + op("reduce"))), r"names os.system, which is not a tensor"),
    "a __reduce__ payload": (b"\x80\x02" + glob("__builtin__", "eval") + op("mark") + text("1+1") + op("tuple")
                             + op("reduce") + op("stop"), r"names builtins.eval.*__reduce__ payload"),
    "a call of an allowed type": (state_dict(("x", glob("torch", "FloatStorage") + op("empty_tuple")
                                              + op("reduce"))), r"a __reduce__ call of torch.FloatStorage"),
    "a class built by NEWOBJ": (state_dict(("x", glob("collections", "OrderedDict") + op("empty_tuple")
                                            + op("newobj"))), r"opcode NEWOBJ"),
    "BUILD on a list": (state_dict(("x", op("list") + op("dict") + op("build"))), r"a BUILD of list"),
    "a view past its storage's end": (state_dict(("w", tensor("0", 6, (3, 3), (3, 1)))),
                                      r"reaches past the end of its storage data/0 \(6 values\)"),
    "a storage smaller than it claims": (state_dict(("w", tensor("0", 60, (6,), (1,)))),
                                         r"claims 60 values of 4 bytes \(240 bytes\), the archive holds 24"),
    "a storage missing from the archive": (state_dict(("w", tensor("7", 6, (6,), (1,)))),
                                           r"storage '7' is named in the pickle but missing"),
    "a persistent id that is not a storage": (state_dict(("w", op("mark") + text("module") + op("tuple")
                                                          + op("persid"))), r"persistent id that is not"),
    "a tensor claiming a terabyte": (state_dict(("w", tensor("0", 6, (1 << 20, 1 << 20), (0, 0)))),
                                     r"takes 4,398,046,511,104 bytes, more than"),
    "a truncated pickle": (state_dict(("w", tensor("0", 6, (6,), (1,))))[:-30], r"not a well-formed pickle"),
    "an unbalanced stack": (b"\x80\x02" + op("dict") + op("dict") + op("stop"), r"stack unbalanced"),


    "a deep tuple as a dict key": (b"\x80\x02}K\x01" + b"\x85" * 300_000 + b"K\x02s.",
                                   r"a dict key or set item that is a tuple, not text"),
    "an unhashable set item": (b"\x80\x02" + glob("builtins", "set") + op("mark") + op("list") + op("list")
                               + op("append") + op("tuple") + op("reduce") + op("stop"), r"set item that is a list"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_pickles_are_refused_by_name(case, no_torch):
    pickle, message = HOSTILE[case]
    with pytest.raises(ValueError, match=message):
        torch_zip.load(archive(pickle, {"0": FLOATS}), CAP)


def test_a_deeply_nested_value_is_listed_not_followed(no_torch):
    deep = b"]" * 200_000 + b"a" * 199_999  # a list in a list … 200,000 deep
    data = archive(state_dict(("w", tensor("0", 6, (2, 3), (3, 1))), ("deep", deep)), {"0": FLOATS})
    with pytest.raises(ValueError, match=r"expected the keys of an nn.LSTM.*found w"):
        cells.load(data, name="deep.pt")


def test_hostile_pickles_never_run_anything(no_torch, capsys):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("this must never print",))

    with pytest.raises(ValueError, match=r"names builtins.print"):
        cells.load(archive(pickle.dumps({"w": Evil()}, protocol=2)), name="evil.pt")
    assert capsys.readouterr().out == ""


def test_a_zip_bomb_is_refused_before_it_is_inflated(no_torch):
    bomb = archive(state_dict(("w", tensor("0", 6, (6,), (1,)))), {"0": FLOATS, "pad": bytes(2_000_000)},
                   compress=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 10_000
    with pytest.raises(ValueError, match=r"unpack to more than the limit of 1,000,000 bytes"):
        torch_zip.load(bomb, 1_000_000)


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """The archive with ``member``'s uncompressed size rewritten in its local and central headers."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    body = bytearray(data)
    struct.pack_into("<I", body, info.header_offset + 22, size)  # local header: uncompressed size
    entry = struct.unpack_from("<I", body, body.rfind(b"PK\x05\x06") + 16)[0]  # the central directory
    while body[entry : entry + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", body, entry + 28)
        if body[entry + 46 : entry + 46 + n] == member.encode():
            struct.pack_into("<I", body, entry + 24, size)
        entry += 46 + n + m + k
    return bytes(body)


def test_a_member_that_inflates_past_its_declared_size_is_refused(no_torch):
    data = archive(state_dict(("w", tensor("0", 6, (6,), (1,)))), {"0": bytes(500_000)},
                   compress=zipfile.ZIP_DEFLATED)
    liar = lie_about_size(data, "archive/data/0", 24)  # says 24 bytes: 6 floats, as the pickle claims
    with pytest.raises(ValueError, match=r"data/0 is damaged or truncated|inflates past"):
        torch_zip.load(liar, CAP)


def test_too_many_members_are_refused(no_torch):
    data = archive(state_dict(), extra=10_001)
    with pytest.raises(ValueError, match=r"10,004 files inside, more than the limit of 10,000"):
        torch_zip.load(data, CAP)


def test_files_that_are_no_checkpoint_are_refused(no_torch):
    with pytest.raises(ValueError, match=r"expected one \{name\}/data.pkl in the archive, found none"):
        torch_zip.load(zip_of({"a/b.txt": b"x"}), CAP)
    with pytest.raises(ValueError, match=r"format version '99'"):
        torch_zip.load(zip_of({"m/data.pkl": state_dict(), "m/version": b"99\n"}), CAP)
    with pytest.raises(ValueError, match=r"byteorder record says b'middle'"):
        torch_zip.load(zip_of({"m/data.pkl": state_dict(), "m/byteorder": b"middle"}), CAP)
    with pytest.raises(ValueError, match=r"lies outside the archive's folder"):
        torch_zip.load(zip_of({"m/data.pkl": state_dict(), "other/data/0": b""}), CAP)


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


# ----- fuzz: mutated checkpoints give a model or a ValueError, never anything else -------------------------
OPCODES = [o.code.encode("latin-1") for o in pickletools.opcodes]


def mutate_pickle(pickle: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(pickle)
    how = rng.integers(4)
    if how == 0:  # flip bytes
        for _ in range(rng.integers(1, 4)):
            b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
    elif how == 1:  # an opcode swapped for another
        positions = [pos for _, _, pos in pickletools.genops(pickle)]
        b[positions[rng.integers(len(positions))]] = OPCODES[rng.integers(len(OPCODES))][0]
    elif how == 2:  # cut short
        del b[rng.integers(len(b)) :]
    else:  # a span repeated
        start = int(rng.integers(len(b)))
        b[start:start] = b[start : start + int(rng.integers(1, 40))]
    return bytes(b)


def mutate_archive(data: bytes, rng: np.random.Generator) -> bytes:
    """The checkpoint with data.pkl mutated (CRCs made right), a member truncated, or raw bytes flipped."""
    how = rng.integers(3)
    if how == 2:
        b = bytearray(data)
        for _ in range(rng.integers(1, 4)):
            b[rng.integers(len(b))] ^= 1 << int(rng.integers(8))
        return bytes(b)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(out, "w") as w:
        infos = z.infolist()
        victim = infos[rng.integers(len(infos))].filename
        for info in infos:
            body = z.read(info)
            if how == 0 and info.filename.endswith("data.pkl"):
                body = mutate_pickle(body, rng)
            elif how == 1 and info.filename == victim:
                body = body[: rng.integers(len(body) + 1)]
            w.writestr(info.filename, body)
    return out.getvalue()


FUZZ_CASES = 150  # per fixture: 7 fixtures, 1,050 mutated files a run


@pytest.mark.parametrize("stem", PT)
def test_fuzzed_checkpoints_load_or_raise_a_value_error(stem, no_torch):
    data = (MODELS / f"{stem}.pt").read_bytes()
    rng = np.random.default_rng(sum(map(ord, stem)))
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(FUZZ_CASES):
        mutated = mutate_archive(data, rng)
        try:
            cells.load(mutated, name=f"{stem}.pt")
            outcomes["loaded"] += 1
        except ValueError:
            outcomes["refused"] += 1
    assert sum(outcomes.values()) == FUZZ_CASES and outcomes["refused"] > 0
