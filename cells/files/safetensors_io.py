"""safetensors files, read with NumPy alone after checking the header.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON

    {"__metadata__": {str: str}, name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}

and the tensors' bytes (little-endian), each at [begin, end) of the data that follows. Nothing is
allocated until every tensor's dtype, shape and offsets agree with each other and with the file's
length; then each float tensor is copied out of its span. F16 and BF16 (the high half of a float32,
which NumPy lacks) are widened to float32, as the .pt reader widens them.
"""

from __future__ import annotations

import itertools
import json
import math
import struct

import numpy as np

from cells.files import statedict
from cells.files.parts import Parts

_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}  # floats only: weights; F16 and BF16 are widened to float32
_NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2"}
_OTHER = {"I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1, "U16": 2, "U32": 4, "U64": 8}
MAX_HEADER = 10_000_000


def header(data: bytes, max_bytes: int) -> tuple[dict[str, dict], dict[str, str]]:
    """(tensors, metadata) of a safetensors file, every entry checked against the file's length."""
    if len(data) < 8:
        raise ValueError("safetensors: shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(MAX_HEADER, len(data) - 8):
        raise ValueError(f"safetensors: the header claims {n:,} bytes, the file has {len(data) - 8:,} after the "
                         "length")
    try:
        parsed = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("safetensors: the header is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"safetensors: the header should be an object, got {type(parsed).__name__}")
    metadata = parsed.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("safetensors: __metadata__ should map names to text")
    size = len(data) - 8 - n
    spans = []
    for name, entry in parsed.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"safetensors: tensor {name!r} should have dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if not isinstance(dtype, str) or (dtype not in _DTYPES and dtype not in _OTHER):
            raise ValueError(f"safetensors: tensor {name!r} has an unknown dtype {dtype!r}")
        if not (isinstance(shape, list) and len(shape) <= 8
                and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
            raise ValueError(f"safetensors: tensor {name!r} has shape {shape!r}, expected whole numbers")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise ValueError(f"safetensors: tensor {name!r} has data_offsets {offsets!r}, expected [begin, end]")
        claimed = math.prod(shape) * {**_DTYPES, **_OTHER}[dtype]
        if claimed > max_bytes:
            raise ValueError(f"safetensors: tensor {name!r} of shape {tuple(shape)} claims {claimed:,} bytes, over "
                             f"the limit of {max_bytes:,}")
        if offsets[1] - offsets[0] != claimed:
            raise ValueError(f"safetensors: tensor {name!r} of shape {tuple(shape)} and {dtype} needs {claimed:,} "
                             f"bytes, its offsets span {offsets[1] - offsets[0]:,}")
        if offsets[1] > size:
            raise ValueError(f"safetensors: tensor {name!r} ends at byte {offsets[1]:,}, past the data's "
                             f"{size:,} bytes")
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    for (_, end, a), (begin, _, b) in itertools.pairwise(spans):
        if begin < end:
            raise ValueError(f"safetensors: tensors {a!r} and {b!r} overlap")
    return parsed, metadata


def read(data: bytes, max_bytes: int) -> tuple[dict[str, np.ndarray], dict[str, str], list[str]]:
    """(float arrays by name, metadata, names of tensors that are not floats) of a safetensors file."""
    tensors, metadata = header(data, max_bytes)
    start = 8 + struct.unpack("<Q", data[:8])[0]  # the data's first byte
    out = {}
    for name, entry in tensors.items():
        dtype = entry["dtype"]
        if dtype not in _DTYPES:
            continue
        shape = tuple(entry["shape"])
        a = np.frombuffer(data, _NUMPY[dtype], count=math.prod(shape), offset=start + entry["data_offsets"][0])
        if dtype == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        out[name] = a.astype(np.float32 if dtype != "F64" else np.float64).reshape(shape)  # a native copy
    return out, metadata, sorted(k for k, e in tensors.items() if e["dtype"] not in _DTYPES)


VOCABULARY_KEYS = ("vocabulary", "vocab", "tokens", "itos", "stoi")


def parts(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    """A whole model's tensors, with a vocabulary from ``__metadata__`` (JSON text under "vocabulary") if any."""
    arrays, metadata, other = read(data, max_bytes)
    words = next((metadata[k] for k in VOCABULARY_KEYS if k in metadata), None)
    return statedict.parts(arrays, "safetensors", layer, other, words)
