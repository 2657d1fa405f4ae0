"""Untrusted bytes in: read with a size cap, and tell the format by what the bytes are.

The cap is checked before a byte is read (a path's size, an upload's length), and every reader
below checks its own headers and sizes again before it allocates anything.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile

MAX_BYTES = 100_000_000  # the upload cap; .streamlit/config.toml sets server.maxUploadSize to match
FORMATS = {
    "safetensors": "safetensors file",
    "torch": "PyTorch .pt/.pth file",
    "keras": "Keras 3 .keras model",
    "keras_h5": "Keras .weights.h5 file",
    "onnx": "ONNX model",
    "npz": ".npz file",
    "json": "Gatescope JSON model",
}
EXTENSIONS = ("safetensors", "pt", "pth", "bin", "keras", "h5", "onnx", "npz", "json")
_HDF5 = b"\x89HDF\r\n\x1a\n"


def read(source: object, *, max_bytes: int = MAX_BYTES, what: str = "model file") -> tuple[str, bytes]:
    """(name, bytes) of a path or a bytes object, refusing more than ``max_bytes`` before reading."""
    too_big = f"{what}: larger than the limit of {max_bytes:,} bytes"
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > max_bytes:
            raise ValueError(f"{too_big} ({len(source):,} bytes)")
        return "", bytes(source)
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
            if size > max_bytes:
                raise ValueError(f"{too_big} ({size:,} bytes)")
            with open(source, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as e:
            raise ValueError(f"{what}: cannot read {os.fspath(source)!r}: {e.strerror or e}") from None
        if len(data) > max_bytes:
            raise ValueError(too_big)
        return os.path.basename(os.fspath(source)), data
    raise ValueError(f"{what}: expected a path or the file's bytes, got {type(source).__name__}")


def zip_names(data: bytes, max_bytes: int, what: str) -> list[str]:
    """The member names of a zip archive whose members, unpacked, stay within ``max_bytes``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise ValueError(f"{what}: not an intact zip archive (damaged or truncated)") from None
    if len(members) > 10_000:
        raise ValueError(f"{what}: {len(members):,} files inside, more than the limit of 10,000")
    if sum(m.file_size for m in members) > max_bytes:
        raise ValueError(f"{what}: its contents unpack to more than the limit of {max_bytes:,} bytes")
    return [m.filename for m in members]


_BY_EXTENSION = {"safetensors": "safetensors", "pt": "torch", "pth": "torch", "bin": "torch", "keras": "keras",
                 "h5": "keras_h5", "onnx": "onnx", "npz": "npz", "json": "json"}


def sniff(name: str, data: bytes, max_bytes: int = MAX_BYTES) -> str:
    """Which of FORMATS these bytes are: by their content, by the name only where the content has no mark."""
    lower = name.lower()
    by_name = _BY_EXTENSION.get(lower.rsplit(".", 1)[-1]) if "." in lower else None
    what = f"{name or 'file'}: not a {FORMATS[by_name]}" if by_name else (name or "file")
    if data[:4] == b"PK\x03\x04":
        names = zip_names(data, max_bytes, what)
        if "config.json" in names and "model.weights.h5" in names:
            return "keras"
        if any(n.endswith("data.pkl") for n in names):
            return "torch"
        if any(n.endswith(".npy") for n in names):
            return "npz"
        raise ValueError(f"{name or 'zip archive'}: a zip archive that is not a Keras .keras model, a PyTorch "
                         f"file or a .npz (it holds {', '.join(names[:5]) or 'nothing'})")
    if data[:8] == _HDF5:
        return "keras_h5"
    if len(data) >= 10 and data[8:9] == b"{" and 2 <= struct.unpack("<Q", data[:8])[0] <= len(data) - 8:
        return "safetensors"
    if data[:1] == b"\x80":  # a pickle (protocol 2 or later): PyTorch's legacy format
        return "torch"
    if by_name in ("json", "onnx") or data.lstrip()[:1] == b"{":
        return by_name or "json"
    if by_name:
        raise ValueError(f"{what}: damaged, truncated, or another kind of file")
    extension = lower.rsplit(".", 1)[-1] if "." in lower else "no extension"
    raise ValueError(f"{name or 'file'}: not a file Gatescope reads ({extension}); expected one of "
                     f"{', '.join(FORMATS.values())}")
