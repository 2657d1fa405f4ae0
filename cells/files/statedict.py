"""A whole model's state_dict (PyTorch or safetensors names): find the recurrent layers, the embedding and the head.

Recurrent modules are told by their key names, whatever prefix the model gives them:

    {prefix}.weight_ih_l{k}[_reverse], weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}   nn.LSTM / nn.GRU
    {prefix}.weight_ih, weight_hh, bias_ih, bias_hh                                nn.LSTMCell / nn.GRUCell

and their kind by weight_hh's shape: (4H, H) an LSTM, (3H, H) a GRU; an nn.LSTM with proj_size = P
also has weight_hr_l{k} (P, H), and its weight_hh is (4H, P). Beside the chosen one:

    embedding  a 2-D ``{name}.weight`` with no bias, (V, I) with I the recurrent input size (nn.Embedding)
    head       a 2-D ``{name}.weight`` (K, D·P) reading the recurrent output (P = H without a projection),
               with ``{name}.bias`` (K,) (nn.Linear)

Where more than one fits, names say which (``embed``/``encoder`` for the embedding, ``fc``, ``head``,
``decoder``, ``out`` ... for the head) and then the order of the keys (the embedding before, the head
after). Everything else is listed as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from cells.files.interop import from_torch
from cells.files.parts import Found, Head, Parts, Recurrent

_LAYERED = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?")
_CELL = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_KINDS = {4: ("lstm", "LSTM"), 3: ("gru_torch", "GRU")}
_EMBEDDING_NAMES = ("embed", "emb", "encoder", "wte", "lookup", "token")
_HEAD_NAMES = ("fc", "head", "decoder", "out", "linear", "proj", "classifier", "lm", "dense", "logit", "readout")


def _split(key: str) -> tuple[str, str]:
    prefix, _, leaf = key.rpartition(".")
    return prefix, leaf


def recurrent_modules(arrays: Mapping[str, np.ndarray]) -> tuple[list[Recurrent], list[str]]:
    """Every recurrent module the keys describe, in key order, and why any group of keys was not one."""
    groups: dict[tuple[str, bool], list[str]] = {}
    for key in arrays:
        prefix, leaf = _split(key)
        if _LAYERED.fullmatch(leaf):
            groups.setdefault((prefix, True), []).append(key)
        elif leaf in _CELL and f"{prefix + '.' if prefix else ''}weight_hh" in arrays:
            groups.setdefault((prefix, False), []).append(key)
    found, problems = [], []
    for (prefix, layered), keys in groups.items():
        dot = prefix + "." if prefix else ""
        hh = arrays.get(f"{dot}weight_hh_l0" if layered else f"{dot}weight_hh")
        ih = arrays.get(f"{dot}weight_ih_l0" if layered else f"{dot}weight_ih")
        name = prefix or "(no prefix)"
        hr = arrays.get(f"{dot}weight_hr_l0") if layered else None
        if any("weight_hr" in k for k in keys):
            if hh is None or ih is None or hr is None or hr.ndim != 2 or ih.ndim != 2 or 0 in hr.shape \
                    or hh.shape != (4 * hr.shape[1], hr.shape[0]):
                problems.append(f"{name}: keys like an nn.LSTM with proj_size, but no (4·H, P) weight_hh_l0 beside a "
                                f"(P, H) weight_hr_l0 and a weight_ih_l0")
                continue
            numbers = [int(m.group(2)) for k in keys if (m := _LAYERED.fullmatch(_split(k)[1]))]
            found.append(Recurrent(name=prefix, style="nn.LSTM", kind="lstmp", num_layers=max(numbers) + 1,
                                   bidirectional=any(k.endswith("_reverse") for k in keys),
                                   input_size=int(ih.shape[1]), hidden_size=int(hr.shape[1]), keys=tuple(keys),
                                   state_size=int(hr.shape[0])))
            continue
        if hh is None or ih is None or hh.ndim != 2 or ih.ndim != 2 or hh.shape[1] == 0 or hh.shape[0] % hh.shape[1]:
            problems.append(f"{name}: keys like a recurrent layer's, but no (gates·H, H) weight_hh"
                            f"{'_l0' if layered else ''} and weight_ih{'_l0' if layered else ''}")
            continue
        gates = hh.shape[0] // hh.shape[1]
        if gates not in _KINDS:
            problems.append(f"{name}: weight_hh has {gates} gate blocks; an LSTM has 4 and a GRU 3 "
                            "(a plain nn.RNN is not read from files)")
            continue
        kind, label = _KINDS[gates]
        if layered:
            numbers = [int(m.group(2)) for k in keys if (m := _LAYERED.fullmatch(_split(k)[1]))]
            layers, bidirectional = max(numbers) + 1, any(k.endswith("_reverse") for k in keys)
            style = f"nn.{label}"
        else:
            layers, bidirectional, style = 1, False, f"nn.{label}Cell"
        found.append(Recurrent(name=prefix, style=style, kind=kind, num_layers=layers, bidirectional=bidirectional,
                               input_size=int(ih.shape[1]), hidden_size=int(hh.shape[1]), keys=tuple(keys)))
    return found, problems


def choose(found: list[Recurrent], layer: int | str | None) -> int:
    """Which module to read: an index, a name, or (None) the first."""
    if not found:
        raise ValueError("no recurrent layer found")
    if layer is None:
        return 0
    if isinstance(layer, int) and not isinstance(layer, bool):
        if 0 <= layer < len(found):
            return layer
    else:
        names = [r.name for r in found]
        if layer in names:
            return names.index(layer)
    listed = ", ".join(f"{k}: {r.name or '(no prefix)'}" for k, r in enumerate(found))
    raise ValueError(f"layer: expected one of the recurrent layers found ({listed}), got {layer!r}")


def network_of(arrays: Mapping[str, np.ndarray], module: Recurrent):
    """The cells.Network of one recurrent module, through cells.files.interop.from_torch."""
    dot = module.name + "." if module.name else ""
    if module.style.endswith("Cell"):
        sub = {f"{leaf}_l0": arrays[f"{dot}{leaf}"] for leaf in _CELL if f"{dot}{leaf}" in arrays}
    else:
        sub = {k[len(dot):]: arrays[k] for k in module.keys}
    family = "gru" if module.kind == "gru_torch" else "lstm"  # nn.LSTM, with or without proj_size
    try:
        return from_torch(family, sub, num_layers=module.num_layers, bidirectional=module.bidirectional)
    except ValueError as e:
        raise ValueError(f"{module.name or 'the recurrent layer'} ({module.style}): {e}") from None


def _score(name: str, hints: tuple[str, ...]) -> int:
    words = re.split(r"[._]", name.lower())
    return -1 if any(w.startswith(h) for w in words for h in hints) else 0


def _embedding(arrays: Mapping[str, np.ndarray], module: Recurrent, first: int) -> str | None:
    candidates = []
    for position, (key, a) in enumerate(arrays.items()):
        prefix, leaf = _split(key)
        if (leaf != "weight" or a.dtype.kind != "f" or a.ndim != 2 or a.shape[1] != module.input_size
                or f"{prefix}.bias" in arrays):
            continue
        candidates.append((_score(prefix, _EMBEDDING_NAMES), 0 if position < first else 1, position, key))
    return min(candidates)[3] if candidates else None


def _head(arrays: Mapping[str, np.ndarray], module: Recurrent, last: int, taken: str | None) -> str | None:
    candidates = []
    for position, (key, a) in enumerate(arrays.items()):
        prefix, leaf = _split(key)
        if leaf != "weight" or key == taken or a.dtype.kind != "f" or a.ndim != 2 or a.shape[1] != module.output_size:
            continue
        bias = arrays.get(f"{prefix}.bias")
        if bias is not None and (bias.shape != (a.shape[0],) or bias.dtype.kind != "f"):
            continue
        candidates.append((_score(prefix, _HEAD_NAMES), 0 if bias is not None else 1, 0 if position > last else 1,
                           position, key))
    return min(candidates)[4] if candidates else None


def parts(arrays: Mapping[str, np.ndarray], fmt: str, layer: int | str | None = None,
          other: list[str] | None = None, vocabulary: object | None = None) -> Parts:
    """The Parts of a state_dict: the chosen recurrent module, its embedding and head, and the rest ignored."""
    found, problems = recurrent_modules(arrays)
    if not found:
        listed = ", ".join(list(arrays)[:8]) or "no float arrays"
        why = f" ({'; '.join(problems)})" if problems else ""
        raise ValueError(f"expected the keys of an nn.LSTM, nn.GRU, nn.LSTMCell or nn.GRUCell (weight_ih_l0, "
                         f"weight_hh_l0 … under any prefix), found {listed}{why}")
    chosen = choose(found, layer)
    module = found[chosen]
    network = network_of(arrays, module)
    order = list(arrays)
    positions = [order.index(k) for k in module.keys]
    embedding_key = _embedding(arrays, module, min(positions))
    head_key = _head(arrays, module, max(positions), embedding_key)
    used = list(module.keys)
    embedding = head = None
    if embedding_key is not None:
        embedding = arrays[embedding_key]
        used.append(embedding_key)
    if head_key is not None:
        prefix = _split(head_key)[0]
        bias = arrays.get(f"{prefix}.bias")
        W = arrays[head_key]
        head = Head(W, np.zeros(W.shape[0], W.dtype) if bias is None else bias)
        used += [head_key] + ([f"{prefix}.bias"] if bias is not None else [])
    ignored = [k for k in arrays if k not in used] + list(other or [])
    return Parts(network, Found(
        format=fmt, recurrent=tuple(found), chosen=chosen,
        embedding=None if embedding is None else (_split(embedding_key)[0], embedding.shape),
        head=None if head is None else (_split(head_key)[0], head.weights.shape),
        used=tuple(used), ignored=tuple(ignored), notes=tuple(problems),
    ), embedding, head, vocabulary)
