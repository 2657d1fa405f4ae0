"""Model files: a whole Network to and from a .npz archive or a JSON document, safe for untrusted files.

One description serves both files. Its top level is

    {"format": "gatescope-network", "version": 1, "layers": [LAYER, ...]}

with LAYER = {"forward": CELL} or {"forward": CELL, "backward": CELL}, and

    CELL = {"kind": "lstm", "input_size": I, "hidden_size": H, "dtype": "float64",
            "hidden_biases": ["forget", ...] or null}

naming which gates have a recurrent bias. A cell whose gates are not squashed by σ also says
``"gate_activation": "hard_sigmoid"`` (or another name in cells.activations.GATE_ACTIVATIONS; absent, σ),
and a cell whose h_t is a projection of P < H numbers (kind "lstmp") ``"state_size": P`` (absent, P is
H). The parameters are, per cell, ``weights`` (H, P + I) and ``biases`` (H,) for every gate,
``hidden_biases`` (H,) for the gates listed, for "peephole" cells ``peepholes`` (H, H) for forget,
input and output, and for "lstmp" cells ``projection`` (P, H) under the name ``hidden``, all in the
cell's dtype (float32 or float64):

- in a .npz each is an array named ``layers.{k}.{direction}.{field}.{gate}``, beside the
  description stored as JSON text in the array ``gatescope``;
- in JSON each CELL has a ``"parameters"`` object, ``{field: {gate: nested lists}}``.

Loading trusts nothing: the size is capped before anything is parsed, ``np.load`` never unpickles,
and every key, shape, dtype and value is checked. Each refusal is a ValueError saying what was wrong.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from cells.activations import GATE_ACTIVATIONS
from cells.cell import Cell, first_nonfinite
from cells.files import budget
from cells.initializers import MAX_HIDDEN, MAX_INPUT
from cells.kinds import KINDS, cell_class
from cells.layers import MAX_LAYERS, Layer, Network

FORMAT = "gatescope-network"
VERSION = 1
META_KEY = "gatescope"
MAX_BYTES = 5_000_000
DIRECTIONS = ("forward", "backward")
_CELL_FIELDS = ("kind", "input_size", "hidden_size", "dtype", "hidden_biases")
_DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}
_MAX_MEMBERS = 10_000


# ----- writing ---------------------------------------------------------------------------------
def _describe_cell(cell: Cell) -> dict[str, Any]:
    spec = {"kind": cell.KIND, "input_size": cell.input_size, "hidden_size": cell.hidden_size,
            "dtype": str(cell.dtype),
            "hidden_biases": None if cell.hidden_biases is None else [g for g in cell.GATES if g in cell.hidden_biases]}
    if cell.state_size != cell.hidden_size:
        spec["state_size"] = cell.state_size
    if cell.gate_activation != "sigmoid":  # absent means σ: files without it read as they always did
        spec["gate_activation"] = cell.gate_activation
    return spec


def _describe(network: Network, inline: bool) -> dict[str, Any]:
    if not isinstance(network, Network):
        raise ValueError(f"network: expected a cells.Network, got {type(network).__name__}")
    layers = []
    for layer in network.layers:
        entry = {}
        for direction, cell in zip(DIRECTIONS, layer.cells, strict=False):
            entry[direction] = _describe_cell(cell)
            if inline:
                entry[direction]["parameters"] = {field: {g: a.tolist() for g, a in per_gate.items()}
                                                  for field, per_gate in cell.parameters().items()}
        layers.append(entry)
    return {"format": FORMAT, "version": VERSION, "layers": layers}


def _arrays(network: Network) -> dict[str, np.ndarray]:
    return {f"layers.{k}.{direction}.{field}.{gate}": a
            for k, layer in enumerate(network.layers)
            for direction, cell in zip(DIRECTIONS, layer.cells, strict=False)
            for field, per_gate in cell.parameters().items()
            for gate, a in per_gate.items()}


def save_npz(network: Network, path_or_file: str | os.PathLike | IO[bytes]) -> None:
    """Write ``network`` as a compressed .npz (to a path, exactly that name, or a binary file object)."""
    meta = json.dumps(_describe(network, inline=False))
    arrays = {META_KEY: np.array(meta), **_arrays(network)}
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, "wb") as f:
            np.savez_compressed(f, **arrays)
    else:
        np.savez_compressed(path_or_file, **arrays)


def to_json(network: Network) -> str:
    """``network`` as one JSON document: the description with every parameter inline as lists."""
    return json.dumps(_describe(network, inline=True), allow_nan=False, separators=(",", ":"))


# ----- reading the description -------------------------------------------------------------------
class _RefusedError(ValueError):
    """A problem found while reading; the public functions prefix it with the file kind."""


def _fields(obj: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(obj, dict):
        raise _RefusedError(f"{where}: expected an object, got {type(obj).__name__}")
    missing = [f for f in required if f not in obj]
    if missing:
        raise _RefusedError(f"{where}: missing field {', '.join(missing)}")
    extra = [str(f) for f in obj if f not in required and f not in optional]
    if extra:
        raise _RefusedError(f"{where}: unexpected field {', '.join(extra)}")
    return obj


def _size(value: object, where: str, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise _RefusedError(f"{where}: expected a whole number from 1 to {top}, got {value!r}")
    return value


def _check_cell(obj: object, where: str, inline: bool) -> dict:
    spec = _fields(obj, where, _CELL_FIELDS + (("parameters",) if inline else ()), ("state_size", "gate_activation"))
    if not isinstance(spec["kind"], str) or spec["kind"] not in KINDS:
        raise _RefusedError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {spec['kind']!r}")
    _size(spec["input_size"], f"{where}.input_size", MAX_INPUT)
    _size(spec["hidden_size"], f"{where}.hidden_size", MAX_HIDDEN)
    if "state_size" in spec:
        if not cell_class(spec["kind"]).PROJECTED:
            raise _RefusedError(f"{where}.state_size: a {spec['kind']} cell's h_t has its hidden size; "
                                f"only a cell with a projection gives one")
        _size(spec["state_size"], f"{where}.state_size", spec["hidden_size"])
    if "gate_activation" in spec and (not isinstance(spec["gate_activation"], str)
                                      or spec["gate_activation"] not in GATE_ACTIVATIONS):
        raise _RefusedError(f"{where}.gate_activation: expected one of {', '.join(GATE_ACTIVATIONS)}, got "
                            f"{spec['gate_activation']!r}")
    if not isinstance(spec["dtype"], str) or spec["dtype"] not in _DTYPES:
        raise _RefusedError(f"{where}.dtype: expected 'float32' or 'float64', got {spec['dtype']!r}")
    gates = cell_class(spec["kind"]).GATES
    listed = spec["hidden_biases"]
    if listed is not None and (not isinstance(listed, list) or not all(g in gates for g in listed)
                               or len(set(listed)) != len(listed)):
        raise _RefusedError(f"{where}.hidden_biases: expected null or a list of distinct gates from {list(gates)}, "
                       f"got {listed!r}")
    return spec


def _check_description(meta: object, inline: bool) -> list[dict[str, dict]]:
    """The checked layers of a description: a list of {direction: cell spec}."""
    top = _fields(meta, "description", ("format", "version", "layers"))
    if top["format"] != FORMAT:
        raise _RefusedError(f"format: expected {FORMAT!r}, got {top['format']!r}")
    if isinstance(top["version"], bool) or top["version"] != VERSION:
        raise _RefusedError(f"version: expected {VERSION} (the version this Gatescope reads), got {top['version']!r}")
    layers = top["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS:
        got = f"{len(layers)} layers" if isinstance(layers, list) else type(layers).__name__
        raise _RefusedError(f"layers: expected a list of 1 to {MAX_LAYERS} layers, got {got}")
    checked = []
    for k, layer in enumerate(layers):
        entry = _fields(layer, f"layers[{k}]", ("forward",), ("backward",))
        checked.append({d: _check_cell(entry[d], f"layers[{k}].{d}", inline) for d in DIRECTIONS if d in entry})
    return checked


def _expected_shapes(spec: dict) -> dict[tuple[str, str], tuple[int, ...]]:
    """(field, gate) -> shape of every parameter a cell of this description must have."""
    cls = cell_class(spec["kind"])
    H, I = spec["hidden_size"], spec["input_size"]
    P = spec.get("state_size", H)
    shapes = {("weights", g): (H, P + I) for g in cls.GATES}
    shapes |= {("biases", g): (H,) for g in cls.GATES}
    shapes |= {("hidden_biases", g): (H,) for g in spec["hidden_biases"] or ()}
    shapes |= {(field, g): cls.extra_shape(field, H, P) for field, gates in cls.EXTRA.items() for g in gates}
    return shapes


def _check_array(a: np.ndarray, name: str, dtype: np.dtype, shape: tuple[int, ...], from_text: bool) -> np.ndarray:
    """``a`` checked and in ``dtype``. Arrays from a .npz must already have that dtype; numbers
    from JSON text (read as float64) are converted, if they fit."""
    if a.dtype.kind != "f" or a.dtype.itemsize not in (4, 8):
        raise _RefusedError(f"{name}: expected float32 or float64 numbers, got {a.dtype}")
    if not from_text and a.dtype.newbyteorder("=") != dtype.newbyteorder("="):
        raise _RefusedError(f"{name}: expected {dtype} like the cell's dtype, got {a.dtype}")
    if a.shape != shape:
        raise _RefusedError(f"{name}: expected shape {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise _RefusedError(f"{name}: every value must be finite, found {first_nonfinite(a)}")
    if np.any(np.abs(a) > np.finfo(dtype).max):
        raise _RefusedError(f"{name}: a value is too large for {dtype}")
    return a.astype(dtype)  # native byte order


def _build(layers: list[dict[str, dict]], arrays: dict[tuple[int, str, str, str], np.ndarray],
           name_of: Any, from_text: bool = False) -> Network:
    """The Network the checked description and its arrays describe; ``name_of(key)`` names an array."""
    wanted = {(k, d, field, gate): (spec, shape)
              for k, layer in enumerate(layers) for d, spec in layer.items()
              for (field, gate), shape in _expected_shapes(spec).items()}
    missing = [name_of(key) for key in wanted if key not in arrays]
    if missing:
        raise _RefusedError(f"missing parameters {', '.join(missing)}")
    extra = [name_of(key) for key in arrays if key not in wanted]
    if extra:
        raise _RefusedError(f"unexpected parameters {', '.join(sorted(extra))}")
    checked = {key: _check_array(arrays[key], name_of(key), _DTYPES[spec["dtype"]], shape, from_text)
               for key, (spec, shape) in wanted.items()}

    built = []
    for k, layer in enumerate(layers):
        cells = []
        for d, spec in layer.items():
            params: dict[str, dict[str, np.ndarray]] = {}
            for (kk, dd, field, gate), a in checked.items():
                if (kk, dd) == (k, d):
                    params.setdefault(field, {})[gate] = a
            params.setdefault("hidden_biases", None)
            try:
                cells.append(cell_class(spec["kind"])(**params, gate_activation=spec.get("gate_activation", "sigmoid")))
            except ValueError as e:
                raise _RefusedError(f"layers[{k}].{d}: {e}") from None
        try:
            built.append(Layer(*cells))
        except ValueError as e:
            raise _RefusedError(f"layers[{k}]: {e}") from None
    try:
        return Network(tuple(built))
    except ValueError as e:
        raise _RefusedError(str(e)) from None


# ----- .npz --------------------------------------------------------------------------------------
def _read_capped(path_or_file: object, max_bytes: int, what: str) -> bytes:
    """All bytes of a path, bytes object or binary file, refusing more than ``max_bytes``."""
    too_big = f"{what}: larger than the limit of {max_bytes:,} bytes"
    if isinstance(path_or_file, (bytes, bytearray, memoryview)):
        data = bytes(path_or_file)
    elif isinstance(path_or_file, (str, os.PathLike)):
        try:
            if os.path.getsize(path_or_file) > max_bytes:
                raise ValueError(too_big)
            with open(path_or_file, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as e:
            raise ValueError(f"{what}: cannot read {os.fspath(path_or_file)!r}: {e.strerror or e}") from None
    elif hasattr(path_or_file, "read"):
        data = path_or_file.read(max_bytes + 1)
        if not isinstance(data, bytes):
            raise ValueError(f"{what}: expected a file opened in binary mode, got {type(data).__name__} from read()")
    else:
        raise ValueError(f"{what}: expected a path or a binary file, got {type(path_or_file).__name__}")
    if len(data) > max_bytes:
        raise ValueError(too_big)
    return data


def _npz_key(name: str) -> tuple[int, str, str, str] | None:
    """``layers.{k}.{direction}.{field}.{gate}`` as a tuple, or None for any other name."""
    parts = name.split(".")
    if len(parts) != 5 or parts[0] != "layers" or not parts[1].isdigit() or parts[1] != str(int(parts[1])):
        return None
    return int(parts[1]), parts[2], parts[3], parts[4]


def _npz_name(key: tuple[int, str, str, str]) -> str:
    return "layers.{}.{}.{}.{}".format(*key)


def _check_header(z: zipfile.ZipFile, member: zipfile.ZipInfo, max_bytes: int) -> int:
    """Read one .npy header, before numpy allocates anything: no objects, no size beyond the cap."""
    name = member.filename.removesuffix(".npy")
    try:
        with z.open(member) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"version {version} of the .npy format is not read here")
    except (zipfile.BadZipFile, zlib.error, OSError) as e:
        raise _RefusedError(f"the archive is damaged or truncated ({type(e).__name__}: {e})") from None
    except (ValueError, EOFError) as e:
        raise _RefusedError(f"array {name} is not a readable .npy array: {e}") from None
    if dtype.hasobject:
        raise _RefusedError(f"array {name} holds Python objects (a pickle), never loaded")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > max_bytes:
        raise _RefusedError(f"array {name} of shape {shape} is larger than the limit of {max_bytes:,} bytes")
    return nbytes


def _open_npz(data: bytes, max_bytes: int) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
            if len(members) > _MAX_MEMBERS:
                raise _RefusedError(f"{len(members)} arrays inside, more than the limit of {_MAX_MEMBERS}")
            if sum(m.file_size for m in members) > max_bytes:
                raise _RefusedError(f"its arrays unpack to more than the limit of {max_bytes:,} bytes")
            unpacked = budget.Budget.for_file(data, max_bytes, "the archive")
            for m in members:
                if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise _RefusedError(f"{m.filename} is compressed with method {m.compress_type}; only stored or "
                                        "deflated arrays are read")
                if not m.filename.endswith(".npy"):  # np.load would inflate such a member whole
                    raise _RefusedError(f"member {m.filename} is not a .npy array")
                nbytes = _check_header(z, m, max_bytes)  # every array's size, counted before numpy reads any
                try:
                    unpacked.take(nbytes, f"array {m.filename.removesuffix('.npy')}")
                except ValueError as e:
                    raise _RefusedError(str(e).removeprefix("the archive: ")) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as e:
        if isinstance(e, _RefusedError):
            raise
        raise _RefusedError("not a .npz file: not a zip archive, or truncated") from None

    out = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for name in npz.files:
                try:
                    a = npz[name]
                except ValueError as e:
                    if "pickle" in str(e):
                        raise _RefusedError(f"array {name} holds Python objects (a pickle), never loaded") from None
                    raise _RefusedError(f"array {name} is not a readable .npy array: {e}") from None
                if not isinstance(a, np.ndarray):
                    raise _RefusedError(f"member {name} is not a .npy array")
                out[name] = a
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
        raise _RefusedError(f"the archive is damaged or truncated ({type(e).__name__}: {e})") from None
    return out


def load_npz(path_or_file: str | os.PathLike | IO[bytes] | bytes, *, max_bytes: int = MAX_BYTES) -> Network:
    """The Network saved by ``save_npz``, from a path, a binary file object or bytes.

    Refuses, with a ValueError starting "model file:", anything over ``max_bytes`` (before reading
    it), anything that is not an intact .npz, pickled objects, a missing or unknown description,
    and any missing, extra, misshapen, non-float or non-finite array.
    """
    data = _read_capped(path_or_file, max_bytes, "model file")
    return network_from_arrays(read_npz(data, max_bytes=max_bytes))


def read_npz(data: bytes, *, max_bytes: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """Every array of an untrusted .npz's bytes: each .npy header is read and checked (no objects, no
    size beyond ``max_bytes``) before numpy allocates anything; a ValueError starting "model file:"."""
    if len(data) > max_bytes:
        raise ValueError(f"model file: larger than the limit of {max_bytes:,} bytes")
    try:
        return _open_npz(data, max_bytes)
    except _RefusedError as e:
        raise ValueError(f"model file: {e}") from None


def network_from_arrays(arrays: dict[str, np.ndarray]) -> Network:
    """The Network that the arrays of a Gatescope .npz (from ``read_npz``) describe, every one checked."""
    arrays = dict(arrays)
    try:
        meta_array = arrays.pop(META_KEY, None)
        if meta_array is None:
            raise _RefusedError(f"no {META_KEY!r} description inside: not a Gatescope model file")
        if meta_array.dtype.kind != "U" or meta_array.ndim != 0:
            raise _RefusedError(f"the {META_KEY!r} description: expected JSON text, got a {meta_array.dtype} array of "
                           f"shape {meta_array.shape}")
        layers = _check_description(_parse_json(str(meta_array[()])), inline=False)
        keyed = {}
        for name, a in arrays.items():
            key = _npz_key(name)
            if key is None:
                raise _RefusedError(f"unexpected array {name}")
            keyed[key] = a
        return _build(layers, keyed, _npz_name)
    except _RefusedError as e:
        raise ValueError(f"model file: {e}") from None


# ----- JSON --------------------------------------------------------------------------------------
def _refuse_constant(name: str) -> None:
    raise _RefusedError(f"{name} is not a number this format allows; every value must be finite")


def _parse_json(text: str) -> object:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise _RefusedError(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise _RefusedError("not valid JSON: nested too deeply") from None


def _json_array(value: object, name: str) -> np.ndarray:
    """Nested lists of numbers as a float64 array; anything else refused."""
    try:
        a = np.array(value)
    except (ValueError, TypeError):
        raise _RefusedError(f"{name}: expected nested lists of numbers of equal length (a matrix or vector)") from None
    if a.dtype.kind not in "iuf":
        raise _RefusedError(f"{name}: expected numbers, got {_json_kind(a)}")
    return a.astype(np.float64)


def _json_kind(a: np.ndarray) -> str:
    return {"U": "text", "b": "true/false", "O": "mixed or missing values"}.get(a.dtype.kind, str(a.dtype))


def from_json(text: str | bytes, *, max_bytes: int = MAX_BYTES) -> Network:
    """The Network written by ``to_json``; refusals are ValueErrors starting "model JSON:".

    Each array is read as float64 and then stored in its cell's ``dtype`` (a float32 value written by
    ``to_json`` comes back exactly). Shapes, gates, sizes and every field are checked.
    """
    if isinstance(text, (bytes, bytearray)):
        size = len(text)
    elif isinstance(text, str):
        size = len(text.encode("utf-8", errors="replace"))
    else:
        raise ValueError(f"model JSON: expected text, got {type(text).__name__}")
    if size > max_bytes:
        raise ValueError(f"model JSON: larger than the limit of {max_bytes:,} bytes")
    try:
        if isinstance(text, (bytes, bytearray)):
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError:
                raise _RefusedError("not valid JSON: not UTF-8 text") from None
        layers = _check_description(_parse_json(text), inline=True)
        arrays = {}
        for k, layer in enumerate(layers):
            for d, spec in layer.items():
                where = f"layers[{k}].{d}.parameters"
                params = spec["parameters"]
                if not isinstance(params, dict):
                    raise _RefusedError(f"{where}: expected an object, got {type(params).__name__}")
                for field, per_gate in params.items():
                    if not isinstance(per_gate, dict):
                        raise _RefusedError(f"{where}.{field}: expected gates, got {type(per_gate).__name__}")
                    for gate, value in per_gate.items():
                        key = (k, d, str(field), str(gate))
                        arrays[key] = _json_array(value, _json_name(key))
        return _build(layers, arrays, _json_name, from_text=True)
    except _RefusedError as e:
        raise ValueError(f"model JSON: {e}") from None


def _json_name(key: tuple[int, str, str, str]) -> str:
    return "layers[{}].{}.parameters.{}.{}".format(*key)
