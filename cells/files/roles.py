"""Arrays under any names: recurrent layers told by how their names end and by their shapes, or roles given by hand.

A recurrent layer's arrays are found under any prefix (``enc_``, ``decoder/``, ``rnn.``) when their
names end, case aside, in one of these (optionally with PyTorch's ``_l{k}`` and ``_l{k}_reverse`` for
stacked and backward layers, in PyTorch's layout):

    PyTorch's layout, row blocks LSTM i, f, g, o and GRU r, z, n
        input weights     weight_ih, w_ih, wih, wx, w_x       (G·H, I)
        recurrent weights weight_hh, w_hh, whh, wh, w_h       (G·H, H)
        biases            bias_ih, b_ih, bih, bx, b_x  and  bias_hh, b_hh, bhh, bh, b_h   (G·H,)
    Keras' layout, column blocks LSTM i, f, c, o and GRU z, r, h
        kernel (I, G·H), recurrent_kernel (H, G·H), bias (G·H,), or (2, G·H) for a GRU with reset_after

G, the number of gate blocks, comes from the recurrent weights: 4 an LSTM, 3 a GRU. Weights named in
PyTorch's way but stored (H, G·H), as ``h @ W`` code keeps them, are read transposed, in PyTorch's
gate order, and ``Found.notes`` says so. Embeddings and heads beside the layers are found by
``statedict`` by prefix and shape.

Where nothing is recognised, ``assign`` builds the model from roles given by hand:

    {"kind": "lstm" | "gru", "layout": "torch" (default) | "keras",
     "input": name, "recurrent": name, "bias_input": name, "bias_recurrent": name,
     "embedding": name, "head_weights": name, "head_bias": name}

``list_arrays`` gives a file's arrays (name, shape, dtype) to choose from, ``suggest`` a first guess
from their shapes, and ``problems`` says, as they are chosen, which of them do not fit the others;
``cells.load(path, roles=...)`` then builds the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from cells.files.interop import from_keras, from_torch
from cells.files.parts import Found, Head, Parts, Recurrent
from cells.layers import Network

TORCH_ENDINGS = {
    "weight_ih": ("weight_ih", "w_ih", "wih", "wx", "w_x"),
    "weight_hh": ("weight_hh", "w_hh", "whh", "wh", "w_h"),
    "bias_ih": ("bias_ih", "b_ih", "bih", "bx", "b_x"),
    "bias_hh": ("bias_hh", "b_hh", "bhh", "bh", "b_h"),
}
KERAS_ENDINGS = {"kernel": ("kernel",), "recurrent_kernel": ("recurrent_kernel",), "bias": ("bias",)}
SEPARATORS = "._/:-"
_LAYER = re.compile(r"(.*?)_l(\d+)(_reverse)?")
_GATES = {4: "LSTM", 3: "GRU"}


def _ending(key: str, endings: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """(prefix, role) when ``key`` ends in one of ``endings`` after a separator (or is one); longest first."""
    lower = key.lower()
    for role, ending in sorted(((r, e) for r, es in endings.items() for e in es), key=lambda p: -len(p[1])):
        if lower == ending:
            return "", role
        if lower.endswith(ending) and lower[-len(ending) - 1] in SEPARATORS:
            return key[: -len(ending) - 1], role
    return None


def split_role(key: str) -> tuple[str, str, str, int, bool] | None:
    """(prefix, layout, role, layer, backward) of a recurrent layer's array name, or None."""
    m = _LAYER.fullmatch(key)
    if m:
        found = _ending(m.group(1), TORCH_ENDINGS)
        if found:
            return found[0], "torch", found[1], int(m.group(2)), m.group(3) is not None
    found = _ending(key, TORCH_ENDINGS)
    if found:
        return found[0], "torch", found[1], 0, False
    found = _ending(key, KERAS_ENDINGS)
    if found:
        return found[0], "keras", found[1], 0, False
    return None


@dataclass(frozen=True)
class Named:
    """A recurrent layer found by its names' endings: what it is, how to build it, what was decided."""

    module: Recurrent
    build: Callable[[], Network]
    notes: tuple[str, ...] = ()


def _float2d(a: object) -> bool:
    return isinstance(a, np.ndarray) and a.ndim == 2 and a.dtype.kind == "f" and 0 not in a.shape


def _torch_group(prefix: str, roles: dict[tuple[str, int, bool], str], arrays: Mapping[str, np.ndarray]
                 ) -> Named | str:
    name = prefix or "(no prefix)"
    ih, hh = roles.get(("weight_ih", 0, False)), roles.get(("weight_hh", 0, False))
    if ih is None or hh is None:
        return f"{name}: names like a recurrent layer's, but no input and recurrent weights (w_ih and w_hh)"
    W = arrays[hh]
    if not (_float2d(W) and _float2d(arrays[ih])):
        return f"{name}: {hh} and {ih} should be 2-D float arrays"
    rows, cols = W.shape
    if rows % cols == 0 and rows // cols in _GATES:
        transposed, G, H = False, rows // cols, cols
    elif cols % rows == 0 and cols // rows in _GATES:
        transposed, G, H = True, cols // rows, rows
    else:
        return (f"{name}: {hh} is {W.shape}; expected (4·H, H) for an LSTM or (3·H, H) for a GRU "
                "(or the transpose)")
    layers = 1 + max(layer for _, layer, _ in roles)
    bidirectional = any(back for _, _, back in roles)
    sub: dict[str, np.ndarray] = {}
    notes = []
    for (role, layer, back), key in roles.items():
        a = arrays[key]
        sub[f"{role}_l{layer}{'_reverse' if back else ''}"] = a.T if transposed and a.ndim == 2 else a
    for layer in range(layers):
        for back in ((False, True) if bidirectional else (False,)):
            suffix = f"_l{layer}{'_reverse' if back else ''}"
            have = [b for b in ("bias_ih", "bias_hh") if b + suffix in sub]
            if len(have) == 1:  # one bias of the two: the other is zero
                other = "bias_hh" if have[0] == "bias_ih" else "bias_ih"
                sub[other + suffix] = np.zeros_like(sub[have[0] + suffix])
                notes.append(f"{name}: only {have[0].replace('bias_', 'the ')} bias given; the other counted as zero")
    label = _GATES[G]
    if transposed:
        order = "i, f, g, o" if G == 4 else "r, z, n"
        notes.append(f"{name}: weights stored (H, {G}·H) and (I, {G}·H), read transposed, in PyTorch's gate order "
                     f"{order}")
    ih_shape = sub["weight_ih_l0"].shape
    module = Recurrent(name=prefix, style=f"{label}, PyTorch's layout", kind="lstm" if G == 4 else "gru_torch",
                       num_layers=layers, bidirectional=bidirectional, input_size=int(ih_shape[1]),
                       hidden_size=H, keys=tuple(roles.values()))

    def build() -> Network:
        try:
            return from_torch("lstm" if G == 4 else "gru", sub, num_layers=layers, bidirectional=bidirectional)
        except ValueError as e:
            raise ValueError(f"{name} ({label}, PyTorch's layout): {e}") from None

    return Named(module, build, tuple(notes))


def _keras_group(prefix: str, roles: dict[tuple[str, int, bool], str], arrays: Mapping[str, np.ndarray]
                 ) -> Named | str:
    name = prefix or "(no prefix)"
    k, rk, b = (roles.get((r, 0, False)) for r in ("kernel", "recurrent_kernel", "bias"))
    if k is None or rk is None:
        return f"{name}: names like a Keras layer's, but no kernel and recurrent_kernel"
    R = arrays[rk]
    if not (_float2d(R) and _float2d(arrays[k])) or R.shape[1] % R.shape[0] or R.shape[1] // R.shape[0] not in _GATES:
        return f"{name}: {rk} is {np.shape(R)}; expected (H, 4·H) for an LSTM or (H, 3·H) for a GRU"
    G, H = R.shape[1] // R.shape[0], R.shape[0]
    bias = arrays[b] if b is not None else None
    family = "lstm" if G == 4 else "gru"
    kind = "lstm" if G == 4 else "gru_keras_v1" if bias is not None and bias.ndim == 1 else "gru_torch"
    module = Recurrent(name=prefix, style=f"{_GATES[G]}, Keras' layout", kind=kind, num_layers=1,
                       bidirectional=False, input_size=int(arrays[k].shape[0]), hidden_size=H,
                       keys=tuple(v for v in (k, rk, b) if v is not None))

    def build() -> Network:
        try:
            return Network((from_keras(family, arrays[k], R, bias),))
        except ValueError as e:
            raise ValueError(f"{name} ({_GATES[G]}, Keras' layout): {e}") from None

    return Named(module, build)


def recurrent_modules(arrays: Mapping[str, np.ndarray], taken: set[str] = frozenset()) -> tuple[list[Named],
                                                                                                list[str]]:
    """Every recurrent layer the names' endings describe (keys in ``taken`` left alone), and why a group was not one."""
    groups: dict[tuple[str, str], dict[tuple[str, int, bool], str]] = {}
    for key in arrays:
        found = None if key in taken else split_role(key)
        if found is not None:
            prefix, layout, role, layer, back = found
            groups.setdefault((prefix, layout), {})[(role, layer, back)] = key
    named, problems = [], []
    for (prefix, layout), roles in groups.items():
        if layout == "keras" and ("recurrent_kernel", 0, False) not in roles:
            continue  # a Dense layer's kernel and bias: a head, not a recurrent layer
        if layout == "torch" and {r for r, _, _ in roles} <= {"bias_ih", "bias_hh"}:
            problems.append(f"{prefix or '(no prefix)'}: biases of a recurrent layer, but no weights beside them")
            continue
        result = (_torch_group if layout == "torch" else _keras_group)(prefix, roles, arrays)
        if isinstance(result, str):
            problems.append(result)
        else:
            named.append(result)
    return named, problems


# ----- roles given by hand ----------------------------------------------------------------------------
ROLES = {"input": "input weights", "recurrent": "recurrent weights", "bias_input": "input bias",
         "bias_recurrent": "recurrent bias", "embedding": "embedding", "head_weights": "head weights",
         "head_bias": "head bias"}
KINDS = ("lstm", "gru")
LAYOUTS = ("torch", "keras")


@dataclass(frozen=True)
class ArrayInfo:
    """One array of a file, as a page offers it for a role."""

    name: str
    shape: tuple[int, ...]
    dtype: str


def describe(arrays: Mapping[str, np.ndarray]) -> list[ArrayInfo]:
    """Name, shape and dtype of every array, in the file's order."""
    return [ArrayInfo(str(k), tuple(int(n) for n in np.shape(a)), str(np.asarray(a).dtype)) for k, a in arrays.items()]


def problems(shapes: Mapping[str, tuple[int, ...]], roles: Mapping[str, str]) -> list[str]:
    """What does not fit among the roles chosen so far (any may be missing yet), one sentence each.

    ``shapes`` maps the file's names to their shapes (``{a.name: a.shape for a in describe(arrays)}``).
    The recurrent weights fix H (and the kind fixes G, 4 for an LSTM, 3 for a GRU); every other role is
    checked against them: input weights (G·H, I), biases (G·H,), embedding (V, I), head (K, H) and
    bias (K,), each transposed in Keras' layout.
    """
    out = []
    unknown = sorted(set(roles) - set(ROLES) - {"kind", "layout"})
    if unknown:
        out.append(f"roles: unknown {', '.join(unknown)}; expected kind, layout and {', '.join(ROLES)}")
    kind, layout = roles.get("kind"), roles.get("layout", "torch")
    if kind not in KINDS:
        out.append(f"kind: expected 'lstm' or 'gru', got {kind!r}")
    if layout not in LAYOUTS:
        out.append(f"layout: expected 'torch' (PyTorch's, gates in rows) or 'keras' (gates in columns), "
                   f"got {layout!r}")
    chosen = {r: roles[r] for r in ROLES if roles.get(r) is not None}
    for role, name in chosen.items():
        if name not in shapes:
            out.append(f"{ROLES[role]}: no array named {name!r} in the file")
    seen: dict[str, str] = {}
    for role, name in chosen.items():
        if name in seen:
            out.append(f"{ROLES[role]}: {name!r} is already the {ROLES[seen[name]]}")
        seen.setdefault(name, role)
    if out:
        return out
    G = 4 if kind == "lstm" else 3
    keras = layout == "keras"
    label = f"{'an LSTM' if G == 4 else 'a GRU'} in {'Keras' if keras else 'PyTorch'}'s layout"

    def shape(role: str) -> tuple[int, ...] | None:
        return tuple(shapes[chosen[role]]) if role in chosen else None

    def bad(role: str, want: str) -> None:
        out.append(f"{ROLES[role]} {chosen[role]!r}: expected {want} for {label}, got {shape(role)}")

    H = I = None
    rec = shape("recurrent")
    if rec is not None:
        r = rec[::-1] if keras else rec
        if len(r) != 2 or r[1] == 0 or r[0] != G * r[1]:
            bad("recurrent", f"(H, {G}·H)" if keras else f"({G}·H, H)")
        else:
            H = r[1]
    inp = shape("input")
    if inp is not None:
        i = inp[::-1] if keras else inp
        rows = f"{G * H}" if H else f"{G}·H"
        if len(i) != 2 or i[1] == 0 or (H and i[0] != G * H) or (not H and i[0] % G):
            given = f" (H = {H} from the recurrent weights)" if H else ""
            bad("input", (f"(I, {rows})" if keras else f"({rows}, I)") + given)
        else:
            I, H = i[1], H or i[0] // G
    n = G * H if H else None
    for role in ("bias_input", "bias_recurrent"):
        b = shape(role)
        if b is None:
            continue
        stacked = keras and kind == "gru" and role == "bias_input"  # Keras' GRU bias with reset_after: (2, 3·H)
        one = len(b) == 1 and b[0] > 0 and b[0] % G == 0 and (n is None or b[0] == n)
        two = stacked and len(b) == 2 and b[0] == 2 and b[1] % G == 0 and (n is None or b[1] == n)
        if not (one or two):
            bad(role, f"({n or f'{G}·H'},)" + (f" or (2, {n or '3·H'}) with reset_after" if stacked else ""))
        if two and "bias_recurrent" in chosen:
            out.append(f"recurrent bias: the (2, {b[1]}) input bias {chosen[role]!r} holds both biases already")
    emb = shape("embedding")
    if emb is not None and (len(emb) != 2 or 0 in emb or (I and emb[1] != I)):
        bad("embedding", f"(V, {I if I else 'I'}), one row per token, as wide as the input weights read")
    head = shape("head_weights")
    K = None
    if head is not None:
        h = head[::-1] if keras else head
        if len(h) != 2 or 0 in h or (H and h[1] != H):
            want = f"{'(' + str(H or 'H') + ', K)' if keras else '(K, ' + str(H or 'H') + ')'}"
            bad("head_weights", f"{want}, reading the {H or 'H'} hidden units")
        else:
            K = h[0]
    hb = shape("head_bias")
    if hb is not None and (len(hb) != 1 or (K and hb[0] != K)):
        bad("head_bias", f"({K if K else 'K'},), one per output of the head")
    if hb is not None and head is None:
        out.append("head bias: choose the head weights too")
    for role in ("input", "recurrent"):
        if role not in chosen:
            out.append(f"{ROLES[role]}: not chosen yet")
    return out


def suggest(shapes: Mapping[str, tuple[int, ...]]) -> dict[str, str]:
    """Roles guessed from shapes alone, for a page to start from (``problems`` then checks what the user keeps).

    Every 2-D array of (G·H, H) (PyTorch's layout) or (H, G·H) (Keras') may be the recurrent weights; for
    each, the other roles are filled in file order (input weights with G·H rows, or columns, biases of G·H,
    an embedding as wide as the input weights, a head reading H units with a bias of its size), and
    the guess that fills the most roles wins (an LSTM before a GRU, the first in the file, on a tie).
    """
    best: dict[str, str] = {}
    for G in (4, 3):
        for n, shape in shapes.items():
            if len(shape) != 2 or 0 in shape:
                continue
            for keras in (False, True):
                H = shape[0] if keras else shape[1]
                if (shape[1] if keras else shape[0]) == G * H:
                    guess = _fill(shapes, n, G, H, keras)
                    if len(guess) > len(best):
                        best = guess
    return best


def _fill(shapes: Mapping[str, tuple[int, ...]], recurrent: str, G: int, H: int, keras: bool) -> dict[str, str]:
    found = {"kind": "lstm" if G == 4 else "gru", "layout": "keras" if keras else "torch", "recurrent": recurrent}
    free = [n for n in shapes if n != recurrent]

    def take(role: str, fits: Callable[[tuple[int, ...]], bool]) -> str | None:
        for n in free:
            if fits(tuple(shapes[n])):
                found[role] = n
                free.remove(n)
                return n
        return None

    inp = take("input", lambda s: len(s) == 2 and 0 not in s and (s[1] if keras else s[0]) == G * H)
    take("bias_input", lambda s: s == (G * H,) or (keras and G == 3 and s == (2, G * H)))
    if not keras:
        take("bias_recurrent", lambda s: s == (G * H,))
    if inp is not None:
        I = shapes[inp][0] if keras else shapes[inp][1]
        take("embedding", lambda s: len(s) == 2 and s[1] == I and s[0] > 0)
    head = take("head_weights", lambda s: len(s) == 2 and 0 not in s and (s[0] if keras else s[1]) == H)
    if head is not None:
        K = shapes[head][1] if keras else shapes[head][0]
        take("head_bias", lambda s: s == (K,))
    return found


def assign(arrays: Mapping[str, np.ndarray], roles: Mapping[str, str], fmt: str = "npz",
           vocabulary: object | None = None) -> Parts:
    """The model the roles describe, or a ValueError naming every role that does not fit."""
    found = problems({k: np.shape(a) for k, a in arrays.items()}, roles)
    if found:
        raise ValueError("roles: " + "; ".join(found))
    for role in ROLES:
        name = roles.get(role)
        if name is not None and np.asarray(arrays[name]).dtype.kind != "f":
            raise ValueError(f"{ROLES[role]} {name!r}: expected float values, got {np.asarray(arrays[name]).dtype}")
    kind, keras = roles["kind"], roles.get("layout", "torch") == "keras"
    get = {r: arrays[roles[r]] for r in ROLES if roles.get(r) is not None}
    try:
        if keras:
            bias = get.get("bias_input")
            if "bias_recurrent" in get:
                if bias is None:
                    bias = np.zeros_like(get["bias_recurrent"])
                bias = np.stack([bias, get["bias_recurrent"]]) if kind == "gru" else bias + get["bias_recurrent"]
            network = Network((from_keras(kind, get["input"], get["recurrent"], bias),))
        else:
            sd = {"weight_ih_l0": get["input"], "weight_hh_l0": get["recurrent"]}
            if "bias_input" in get or "bias_recurrent" in get:
                like = get.get("bias_input", get.get("bias_recurrent"))
                sd["bias_ih_l0"] = get.get("bias_input", np.zeros_like(like))
                sd["bias_hh_l0"] = get.get("bias_recurrent", np.zeros_like(like))
            network = from_torch(kind, sd)
    except ValueError as e:
        raise ValueError(f"roles: {e}") from None
    head = None
    if "head_weights" in get:
        W = get["head_weights"].T if keras else get["head_weights"]
        W = np.ascontiguousarray(W)
        head = Head(W, get.get("head_bias", np.zeros(W.shape[0], W.dtype)))
    embedding = get.get("embedding")
    cell = network.layers[0].forward
    used = tuple(roles[r] for r in ROLES if roles.get(r) is not None)
    module = Recurrent("assigned", f"{'LSTM' if kind == 'lstm' else 'GRU'} by roles, "
                       f"{'Keras' if keras else 'PyTorch'}'s layout", cell.KIND, 1, False, cell.input_size,
                       cell.hidden_size, used)
    listed = ", ".join(f"{ROLES[r]} {roles[r]}" for r in ROLES if roles.get(r) is not None)
    return Parts(network, Found(
        format=fmt, recurrent=(module,), chosen=0,
        embedding=None if embedding is None else (roles["embedding"], tuple(embedding.shape)),
        head=None if head is None else (roles["head_weights"], head.weights.shape),
        used=used, ignored=tuple(k for k in arrays if k not in used),
        notes=(f"roles given by hand: {listed}",),
    ), embedding, head, vocabulary)


# ----- a file's arrays, for a page to offer ----------------------------------------------------------------
NAMED_FORMATS = ("npz", "safetensors", "torch")


def read_arrays(data: bytes, max_bytes: int, fmt: str, name: str = "") -> tuple[dict[str, np.ndarray], object | None]:
    """Every float array of a .npz, .safetensors or .pt file by its name, and a vocabulary kept beside them."""
    from cells.files import safetensors_io, source, storage, torch_io

    if fmt == "npz":
        return {k: a for k, a in storage.read_npz(data, max_bytes=max_bytes).items() if a.dtype.kind == "f"}, None
    if fmt == "safetensors":
        arrays, metadata, _ = safetensors_io.read(data, max_bytes)
        return arrays, next((metadata[k] for k in safetensors_io.VOCABULARY_KEYS if k in metadata), None)
    if fmt == "torch":
        arrays, words, _ = torch_io.read(data, max_bytes, name)
        return arrays, words
    raise ValueError(f"roles: arrays are given roles in .npz, .safetensors and .pt files; this is a "
                     f"{source.FORMATS.get(fmt, fmt)}, whose layers are read from the file's own description")


def list_arrays(path_or_bytes: object, *, name: str = "", max_bytes: int | None = None) -> list[ArrayInfo]:
    """Name, shape and dtype of each float array in a .npz, .safetensors or .pt file, for a page to offer."""
    from cells.files import source

    cap = source.MAX_BYTES if max_bytes is None else max_bytes
    given, data = source.read(path_or_bytes, max_bytes=cap)
    return describe(read_arrays(data, cap, source.sniff(name or given, data, cap), name or given)[0])


def parts(data: bytes, max_bytes: int, fmt: str, name: str, roles: Mapping[str, str]) -> Parts:
    """The Parts of a file whose arrays are given their roles by hand (``assign``)."""
    if not isinstance(roles, Mapping):
        raise ValueError(f"roles: expected a dict of role -> array name, got {type(roles).__name__}")
    arrays, vocabulary = read_arrays(data, max_bytes, fmt, name)
    return assign(arrays, roles, fmt, vocabulary)
