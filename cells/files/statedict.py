"""A whole model's state_dict (PyTorch or safetensors names): find the recurrent layers, the embedding and the head.

Recurrent modules are told by their key names, whatever prefix the model gives them:

    {prefix}.weight_ih_l{k}[_reverse], weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}   nn.LSTM / nn.GRU
    {prefix}.weight_ih, weight_hh, bias_ih, bias_hh                                nn.LSTMCell / nn.GRUCell

and their kind by weight_hh's shape: (4H, H) an LSTM, (3H, H) a GRU; an nn.LSTM with proj_size = P
also has weight_hr_l{k} (P, H), and its weight_hh is (4H, P). Arrays under other names ending in a
known role (``enc_w_ih``, ``decoder/Wh``, ``lstm/recurrent_kernel``) are recurrent layers too, told by
``cells.files.roles``. Beside the chosen one:

    embedding  a 2-D array with no bias beside it, (V, I) with I the recurrent input size (nn.Embedding's
               ``{name}.weight``, or any name: ``enc_emb``)
    head       a 2-D ``{name}.weight`` (or ``_w``; Keras' ``kernel`` transposed) (K, D·P) reading the
               recurrent output (P = H without a projection), with ``{name}.bias`` (or ``_b``) (K,)

A file holding several recurrent layers (an encoder and a decoder) lists each; an embedding or head
goes with the layer whose name it shares most of (``enc_emb`` with ``enc``), then, for a head, with a
decoder rather than an encoder, then with the nearest layer (the embedding before, the head after).
Among those that fit one layer, names say which (``embed``/``encoder`` for the embedding, ``fc``,
``head``, ``decoder``, ``out`` ... for the head), then the order of the keys. Everything else is
listed as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from cells.files import roles
from cells.files.interop import from_torch
from cells.files.parts import Found, Head, Parts, Recurrent
from cells.layers import Network

_LAYERED = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?")
_CELL = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_KINDS = {4: ("lstm", "LSTM"), 3: ("gru_torch", "GRU")}
_EMBEDDING_NAMES = ("embed", "emb", "encoder", "wte", "lookup", "token")
_HEAD_NAMES = ("fc", "head", "decoder", "out", "linear", "proj", "classifier", "lm", "dense", "logit", "readout")


def _split(key: str) -> tuple[str, str]:
    prefix, _, leaf = key.rpartition(".")
    return prefix, leaf


def _torch_groups(arrays: Mapping[str, np.ndarray]) -> dict[tuple[str, bool], list[str]]:
    """The keys under PyTorch's own names, by (prefix, whether layered as nn.LSTM's are)."""
    groups: dict[tuple[str, bool], list[str]] = {}
    for key in arrays:
        prefix, leaf = _split(key)
        if _LAYERED.fullmatch(leaf):
            groups.setdefault((prefix, True), []).append(key)
        elif leaf in _CELL and f"{prefix + '.' if prefix else ''}weight_hh" in arrays:
            groups.setdefault((prefix, False), []).append(key)
    return groups


def recurrent_modules(arrays: Mapping[str, np.ndarray]) -> tuple[list[Recurrent], list[str]]:
    """Every recurrent module the keys describe, in key order, and why any group of keys was not one."""
    groups = _torch_groups(arrays)
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
    words = re.split(r"[._/:\-]", name.lower())
    return -1 if any(w.startswith(h) for w in words for h in hints) else 0


_WEIGHT = ("weight", "embeddings", "kernel", "w")
_BIAS = ("bias", "b")


def _stem(key: str) -> tuple[str, str | None]:
    """(what the array belongs to, "weight", "kernel", "bias" or None): ``fc.weight`` -> ("fc", "weight")."""
    lower = key.lower()
    for ending in _WEIGHT + _BIAS:
        if len(key) > len(ending) and lower.endswith(ending) and lower[-len(ending) - 1] in roles.SEPARATORS:
            role = "bias" if ending in _BIAS else "kernel" if ending == "kernel" else "weight"
            return key[: -len(ending) - 1], role
    return key, None


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[._/:\-]", name.lower()) if w]


def _affinity(stem: str, module: Recurrent) -> int:
    """How many leading words of ``stem`` and the module's name agree: ``enc_emb`` and ``enc`` share one."""
    n = 0
    for a, b in zip(_words(stem), _words(module.name), strict=False):
        if a != b:
            break
        n += 1
    return n


@dataclass(frozen=True)
class _Candidate:
    key: str
    stem: str
    position: int
    W: np.ndarray  # (rows, D) as the model multiplies: the head's (K, D·P), the embedding's (V, I)
    bias: str | None = None
    transposed: bool = False


def _candidates(arrays: Mapping[str, np.ndarray], taken: set[str]) -> tuple[list[_Candidate], list[_Candidate]]:
    """(embeddings, heads) that any layer might read: 2-D float arrays outside the recurrent layers."""
    stems = {}
    for key in arrays:
        if key not in taken:
            stem, role = _stem(key)
            stems.setdefault((stem.lower(), role), key)
    embeddings, heads = [], []
    for position, (key, a) in enumerate(arrays.items()):
        if key in taken or a.dtype.kind != "f" or a.ndim != 2 or 0 in a.shape:
            continue
        stem, role = _stem(key)
        bias = stems.get((stem.lower(), "bias")) if role in ("weight", "kernel") else None
        if bias is not None and (arrays[bias].ndim != 1 or arrays[bias].dtype.kind != "f"):
            bias = None
        if role in ("weight", None) and bias is None:
            embeddings.append(_Candidate(key, stem, position, a))
        if role in ("weight", "kernel"):
            heads.append(_Candidate(key, stem, position, a, bias, role == "kernel"))
    return embeddings, heads


def _fits_head(c: _Candidate, module: Recurrent, arrays: Mapping[str, np.ndarray]) -> _Candidate | None:
    """``c`` as a head of ``module``: (K, D·P), or transposed when it is a Keras kernel or only fits that way."""
    D = module.output_size
    W = c.W
    if c.transposed or (W.shape[1] != D and W.shape[0] == D):
        W, transposed = W.T, True
    else:
        transposed = False
    if W.shape[1] != D or (c.bias is not None and arrays[c.bias].shape != (W.shape[0],)):
        return None
    return _Candidate(c.key, c.stem, c.position, np.ascontiguousarray(W), c.bias, transposed)


def _owner(stem: str, position: int, fitting: list[tuple[int, Recurrent, tuple[int, int]]], head: bool) -> int:
    """Which of the fitting layers an embedding (head=False) or head goes with: shared name, a decoder, nearness."""
    def rank(item: tuple[int, Recurrent, tuple[int, int]]) -> tuple:
        _, module, (first, last) = item
        if head:
            near = position - last if position > last else 10**9 + first - position
            decoder = 0 if any(w.startswith("dec") for w in _words(module.name)) else 1
        else:
            near = first - position if position < first else 10**9 + position - last
            decoder = 0
        return (-_affinity(stem, module), decoder, near)
    return min(fitting, key=rank)[0]


def _beside(arrays: Mapping[str, np.ndarray], modules: list[Recurrent], chosen: int
            ) -> tuple[_Candidate | None, _Candidate | None, list[str]]:
    """The embedding and head that go with layer ``chosen``, and notes on those that go with another."""
    order = {k: n for n, k in enumerate(arrays)}
    spans = [(min(order[k] for k in m.keys), max(order[k] for k in m.keys)) for m in modules]
    taken = {k for m in modules for k in m.keys}
    embeddings, heads = _candidates(arrays, taken)
    module, (first, last) = modules[chosen], spans[chosen]
    notes = []

    def mine(c: _Candidate, fits: Callable[[Recurrent], bool], head: bool) -> bool:
        fitting = [(n, m, spans[n]) for n, m in enumerate(modules) if fits(m)]
        owner = _owner(c.stem, c.position, fitting, head)
        if owner != chosen:
            notes.append(f"{c.stem}: the {'head' if head else 'embedding'} of {modules[owner].name or 'another layer'}"
                         f", not of {module.name or 'this layer'}")
        return owner == chosen

    emb = [c for c in embeddings if c.W.shape[1] == module.input_size
           and mine(c, lambda m, c=c: c.W.shape[1] == m.input_size, False)]
    embedding = min(emb, key=lambda c: (-_affinity(c.stem, module), _score(c.stem, _EMBEDDING_NAMES),
                                        0 if c.position < first else 1, c.position), default=None)
    fitted = [f for c in heads if c.key != (embedding.key if embedding else None)
              and (f := _fits_head(c, module, arrays)) is not None
              and mine(c, lambda m, c=c: _fits_head(c, m, arrays) is not None, True)]
    head = min(fitted, key=lambda c: (-_affinity(c.stem, module), _score(c.stem, _HEAD_NAMES),
                                      0 if c.bias is not None else 1, 0 if c.position > last else 1, c.position),
               default=None)
    if head is not None and head.transposed:
        notes.append(f"{head.stem}: head weights stored ({module.output_size}, {head.W.shape[0]}), read transposed")
    return embedding, head, notes


def parts(arrays: Mapping[str, np.ndarray], fmt: str, layer: int | str | None = None,
          other: list[str] | None = None, vocabulary: object | None = None) -> Parts:
    """The Parts of a state_dict: the chosen recurrent module, its embedding and head, and the rest ignored."""
    found, problems = recurrent_modules(arrays)
    named, more = roles.recurrent_modules(arrays, {k for keys in _torch_groups(arrays).values() for k in keys})
    builders: list[tuple[Recurrent, Callable[[], Network], tuple[str, ...]]] = [
        *((r, lambda r=r: network_of(arrays, r), ()) for r in found), *((n.module, n.build, n.notes) for n in named)]
    order = {k: n for n, k in enumerate(arrays)}
    builders.sort(key=lambda b: min(order[k] for k in b[0].keys))
    problems += more
    if not builders:
        listed = ", ".join(list(arrays)[:8]) or "no float arrays"
        why = f" ({'; '.join(problems)})" if problems else ""
        raise ValueError(f"expected the keys of an nn.LSTM, nn.GRU, nn.LSTMCell or nn.GRUCell (weight_ih_l0, "
                         f"weight_hh_l0 … under any prefix), or arrays whose names end in w_ih and w_hh (Wx and Wh, "
                         f"kernel and recurrent_kernel …); found {listed}{why}. Arrays under other names can be "
                         f"given their roles by hand: cells.load(path, roles={{…}})")
    modules = [b[0] for b in builders]
    chosen = choose(modules, layer)
    module, build, notes = builders[chosen]
    network = build()
    embedding, head, beside = _beside(arrays, modules, chosen)
    used = list(module.keys)
    if embedding is not None:
        used.append(embedding.key)
    if head is not None:
        used += [head.key] + ([head.bias] if head.bias is not None else [])
    ignored = [k for k in arrays if k not in used] + list(other or [])
    W = None if head is None else head.W
    return Parts(network, Found(
        format=fmt, recurrent=tuple(modules), chosen=chosen,
        embedding=None if embedding is None else (embedding.stem, embedding.W.shape),
        head=None if head is None else (head.stem, W.shape),
        used=tuple(used), ignored=tuple(ignored), notes=tuple(problems) + notes + tuple(beside),
    ), None if embedding is None else embedding.W,
        None if head is None else Head(W, np.zeros(W.shape[0], W.dtype) if head.bias is None else arrays[head.bias]),
        vocabulary)
