"""PyTorch .pt/.pth files: ``torch.load(..., weights_only=True)`` where torch is installed, ``torch_zip`` elsewhere.

A .pt file is a pickle, in a zip archive since PyTorch 1.6. It is only ever opened by an unpickler
that builds tensors, dicts, lists and numbers and refuses everything else: PyTorch's restricted one
where torch is installed, ``cells.files.torch_zip`` (NumPy only, the same bargain) where it is not.
Both give the same arrays. A legacy pickle (before 1.6) needs torch; without it it is refused with
the one line that converts it to safetensors. A whole model saved with ``torch.save(model)`` is
refused by the classes it names, either way.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import numpy as np

from cells.files import statedict, torch_zip
from cells.files.parts import Parts

CONVERT = ("python -c \"import torch; from safetensors.torch import save_file; "
           "save_file(torch.load('{name}', weights_only=True), '{stem}.safetensors')\"")
_PLAIN_NAME = re.compile(r"[\w.+-]+\.(pt|pth|bin)")  # a name the command can quote as it is
NESTED = ("state_dict", "model_state_dict", "model", "net", "module")  # where checkpoints keep the weights
VOCABULARY = ("vocabulary", "vocab", "itos", "chars", "stoi", "tokens")


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def convert_command(name: str = "") -> str:
    """The one line that turns the .pt file ``name`` into safetensors where PyTorch is installed."""
    name = name if _PLAIN_NAME.fullmatch(name) else "model.pt"
    return CONVERT.format(name=name, stem=name.rsplit(".", 1)[0])


def load(data: bytes, max_bytes: int, name: str = "") -> object:
    """The object saved in a .pt file, every tensor as a NumPy array: float16 and bfloat16 widened to float32,
    other dtypes kept; a ValueError for anything but tensors in plain containers."""
    torch = _torch()
    if data[:4] == b"PK\x03\x04":
        torch_zip.check(data, max_bytes)  # the archive's sizes, and a whole model refused by its classes' names
        if torch is None:
            return torch_zip.load(data, max_bytes)
    elif torch is None:
        if not torch_zip.is_legacy(data):
            raise ValueError("PyTorch file: not a zip archive or a pickle (damaged, or another kind of file)")
        raise ValueError("PyTorch file: PyTorch's legacy format (saved before PyTorch 1.6, or with "
                         "_use_new_zipfile_serialization=False) is a bare pickle, which Gatescope opens only with "
                         "PyTorch's weights_only loader, and PyTorch is not installed here. Convert it to "
                         f"safetensors where it is: {convert_command(name)}")
    try:
        loaded = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as e:  # weights_only refuses any object it does not know, with its own exception types
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise ValueError(f"PyTorch file: torch.load(weights_only=True) refused it: {first}") from None
    return _numpy(torch, loaded, 2)


def _numpy(torch, value: object, depth: int) -> object:
    """``value`` with its tensors as NumPy arrays, ``depth`` containers deep (a state dict, in a checkpoint)."""
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided:
            return value  # sparse and quantised tensors stay what they are, and are listed as not read
        tensor = value.detach().cpu()
        if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
            tensor = tensor.float()
        try:
            return tensor.numpy().copy()
        except TypeError:  # a dtype NumPy lacks
            return value
    if depth and isinstance(value, Mapping):
        return {k: _numpy(torch, v, depth - 1) for k, v in value.items()}
    return value


def read(data: bytes, max_bytes: int, name: str = "") -> tuple[dict[str, np.ndarray], object | None, list[str]]:
    """(float arrays by state_dict key, a vocabulary kept beside them or None, keys that are not float tensors)."""
    loaded = load(data, max_bytes, name)
    if not isinstance(loaded, Mapping):
        raise ValueError(f"PyTorch file: expected a state_dict (a dict of tensors), got {_what(loaded)}")
    vocabulary = next((loaded[k] for k in VOCABULARY if k in loaded), None)
    other: list[str] = []
    for key in NESTED:
        inner = loaded.get(key)
        if isinstance(inner, Mapping) and any(isinstance(v, np.ndarray) for v in inner.values()):
            other = [str(k) for k in loaded if k != key and k not in VOCABULARY]  # "epoch", "optimizer" …
            loaded = inner
            break
    arrays = {}
    for key, value in loaded.items():
        if isinstance(value, np.ndarray) and value.dtype in (np.float32, np.float64):
            arrays[str(key)] = value
        elif str(key) not in VOCABULARY:
            other.append(str(key))
    return arrays, vocabulary, other


def _what(value: object) -> str:
    return "a tensor" if isinstance(value, np.ndarray) else type(value).__name__


def parts(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    arrays, words, other = read(data, max_bytes, name)
    return statedict.parts(arrays, "torch", layer, other, words)
