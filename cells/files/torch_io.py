"""PyTorch .pt/.pth files: ``torch.load(..., weights_only=True)`` where torch is installed, never otherwise.

A .pt file is a pickle (in a zip archive since PyTorch 1.6). Only PyTorch's restricted unpickler,
which builds tensors, dicts, lists and numbers and refuses everything else, ever opens one; without
torch the file is refused with the one line that converts it to safetensors.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import numpy as np

from cells.files import statedict
from cells.files.parts import Parts
from cells.files.source import zip_names

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


def read(data: bytes, max_bytes: int, name: str = "") -> tuple[dict[str, np.ndarray], object | None, list[str]]:
    """(float arrays by state_dict key, a vocabulary kept beside them or None, keys that are not float tensors)."""
    torch = _torch()
    if torch is None:
        raise ValueError("PyTorch file: it is a pickle, which Gatescope opens only with PyTorch's weights_only "
                         "loader, and PyTorch is not installed here. Convert it to safetensors where it is: "
                         f"{convert_command(name)}")
    if data[:4] == b"PK\x03\x04":
        zip_names(data, max_bytes, "PyTorch file")  # refuses archives that unpack beyond the cap
    try:
        loaded = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as e:  # weights_only refuses any object it does not know, with its own exception types
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise ValueError(f"PyTorch file: torch.load(weights_only=True) refused it: {first}") from None
    if hasattr(loaded, "state_dict") and not isinstance(loaded, Mapping):
        raise ValueError("PyTorch file: expected a state_dict (a dict of tensors), got a whole "
                         f"{type(loaded).__name__}; save model.state_dict() instead")
    if not isinstance(loaded, Mapping):
        raise ValueError(f"PyTorch file: expected a state_dict (a dict of tensors), got {type(loaded).__name__}")
    vocabulary = next((loaded[k] for k in VOCABULARY if k in loaded), None)
    other: list[str] = []
    for key in NESTED:
        inner = loaded.get(key)
        if isinstance(inner, Mapping) and any(isinstance(v, torch.Tensor) for v in inner.values()):
            other = [str(k) for k in loaded if k != key and k not in VOCABULARY]  # "epoch", "optimizer" …
            loaded = inner
            break
    arrays = {}
    for key, value in loaded.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.layout == torch.strided:
            tensor = value.detach().cpu()
            if tensor.dtype not in (torch.float32, torch.float64):
                tensor = tensor.float()
            arrays[str(key)] = tensor.numpy().copy()
        elif str(key) not in VOCABULARY:
            other.append(str(key))
    return arrays, vocabulary, other


def parts(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    arrays, words, other = read(data, max_bytes, name)
    return statedict.parts(arrays, "torch", layer, other, words)
