"""``load``: any model file as it was saved, untrusted, into a LoadedModel that reads text as the model does.

    m = load("char_lm.safetensors")        # or .pt/.pth, .keras, .weights.h5, .onnx, Gatescope .npz/.json
    r = m.read("hello")                     # through the model's own vocabulary and embedding
    r.trace.output                          # (T, D·H), as the framework's output
    r.logits                                # (T, K) from the model's head, or None
    r.values                                # (T, K) when the head predicts values (a regression), else None

Reading a model, for each step t of the text:

    k_t = index of token t in the vocabulary         (a character, or a white-space separated word)
    x_t = E[k_t]                                      (I,) row k_t of the embedding, (V, I)
    h_t = the network's output at t                   (D·H,)
    logits_t = W·h_t + b,  p_t = softmax(logits_t)    (K,) from the head
    ŷ_t = W·h_t + b                                   (K,) instead, from a head that predicts values

Without an embedding but with a vocabulary of I tokens, x_t is one-hot; without a vocabulary, ``read``
takes token indices (T,) or the inputs (T, I) themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from cells.files import budget, source, storage
from cells.files import vocabulary as vocab
from cells.files.parts import Found, Head, Parts, Recurrent, probabilities, read_head
from cells.layers import Network, NetworkTrace

MODEL_FORMAT = "gatescope-model"  # the JSON wrapper and the .npz extras that carry vocabulary, embedding and head
EXTRA = {"embedding": "model.embedding", "head.weights": "model.head.weights", "head.bias": "model.head.bias",
         "vocabulary": "model.vocabulary", "head.activation": "model.head.activation"}


@dataclass(frozen=True, eq=False)
class Reading:
    """One text read by a model: its tokens, the inputs they became, every gate, and the head's logits."""

    tokens: tuple[str, ...]  # (T,) the token read at each step
    ids: np.ndarray | None  # (T,) their vocabulary indices, None when inputs were given directly
    xs: np.ndarray  # (T, I) what the first layer read
    trace: NetworkTrace
    logits: np.ndarray | None  # (T, K) or None without a head
    activation: str = "linear"

    @property
    def probabilities(self) -> np.ndarray | None:
        """p_t over the head's K outputs, (T, K): softmax of the logits (σ for a sigmoid head); None for a
        head that predicts values."""
        if self.logits is None or self.activation == "value":
            return None
        return probabilities(self.logits, self.activation)

    @property
    def values(self) -> np.ndarray | None:
        """ŷ_t, (T, K): what a head that predicts values (a regression) predicts at each step; None otherwise."""
        return self.logits if self.activation == "value" else None


@dataclass(frozen=True, eq=False)
class LoadedModel:
    network: Network
    vocabulary: list[str] | None = None
    embedding: np.ndarray | None = None  # (V, I)
    head: Head | None = None
    found: Found | None = None
    name: str = ""

    def __post_init__(self) -> None:
        I = self.network.input_size
        if self.embedding is not None:
            E = np.asarray(self.embedding)
            if E.ndim != 2 or E.shape[1] != I or E.shape[0] == 0:
                raise ValueError(f"embedding: expected (tokens, {I}) for a network that reads {I} inputs, "
                                 f"got {E.shape}")
            if not np.all(np.isfinite(E)):
                raise ValueError("embedding: every value must be finite")
            E = np.array(E)
            E.flags.writeable = False
            object.__setattr__(self, "embedding", E)
        if self.head is not None and self.head.size > vocab.MAX_TOKENS:
            raise ValueError(f"output head: {self.head.size:,} outputs, more than the limit of {vocab.MAX_TOKENS:,} "
                             "(one per vocabulary token at most)")
        if self.head is not None and self.head.weights.shape[1] != self.output_size:
            raise ValueError(f"output head: expected weights (outputs, {self.output_size}) reading the network's "
                             f"output, got {self.head.weights.shape}")
        if self.vocabulary is not None:
            tokens = vocab.parse(list(self.vocabulary))
            rows = self.embedding.shape[0] if self.embedding is not None else I
            if len(tokens) > rows or (self.embedding is None and len(tokens) != rows):
                what = f"an embedding of {rows} rows" if self.embedding is not None else f"{rows} one-hot inputs"
                raise ValueError(f"vocabulary: {len(tokens)} tokens for {what}")
            object.__setattr__(self, "vocabulary", tokens)

    @property
    def output_size(self) -> int:
        return self.network.layers[-1].output_size

    @property
    def reads_text(self) -> bool:
        return self.vocabulary is not None

    def inputs(self, text_or_array: str | Sequence[int] | np.ndarray) -> tuple[tuple[str, ...], np.ndarray | None,
                                                                              np.ndarray]:
        """(tokens, ids, xs (T, I)) for text, token indices (T,) or inputs (T, I)."""
        I = self.network.input_size
        if isinstance(text_or_array, str):
            if self.vocabulary is None:
                raise ValueError("this model has no vocabulary: give one (a JSON list, a token -> index map or a "
                                 "file one token a line), or pass token indices or (T, I) inputs")
            tokens, ids = vocab.ids(text_or_array, self.vocabulary)
            return tuple(tokens), ids, self._rows(ids)
        a = np.asarray(text_or_array)
        if a.ndim == 1 and a.dtype.kind in "iu":
            rows = self.embedding.shape[0] if self.embedding is not None else I
            if a.size == 0 or a.min() < 0 or a.max() >= rows:
                raise ValueError(f"token indices: expected whole numbers from 0 to {rows - 1}, got "
                                 f"{'none' if a.size == 0 else f'{a.min()} to {a.max()}'}")
            labels = tuple(self.vocabulary[k] if self.vocabulary and k < len(self.vocabulary) else f"#{k}" for k in a)
            return labels, a.astype(np.int64), self._rows(a)
        if a.ndim == 2 and a.shape[1] == I and a.shape[0] > 0 and a.dtype.kind == "f":
            return tuple(f"t{t}" for t in range(len(a))), None, a
        raise ValueError(f"expected text, token indices (T,) or inputs (T, {I}), got "
                         f"{type(text_or_array).__name__} of shape {a.shape}")

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        if self.embedding is not None:
            return self.embedding[ids]  # (T, I)
        dtype = self.network.layers[0].forward.dtype
        return np.eye(self.network.input_size, dtype=dtype)[ids]  # (T, I) one-hot

    def read(self, text_or_array: str | Sequence[int] | np.ndarray) -> Reading:
        """Run the model over text (through its vocabulary and embedding), token indices or inputs."""
        tokens, ids, xs = self.inputs(text_or_array)
        trace = self.network.run(xs)
        logits = None if self.head is None else self.head.logits(trace.output)
        return Reading(tokens, ids, xs, trace, logits, "linear" if self.head is None else self.head.activation)

    @property
    def output_tokens(self) -> list[str] | None:
        """The token each output of the head stands for, when the head predicts the vocabulary's tokens."""
        if self.head is None or self.vocabulary is None or self.head.size != len(self.vocabulary):
            return None
        return list(self.vocabulary)

    def example(self, tokens: int = 12) -> str:
        """A short text this model reads as it is written: its first ``tokens`` vocabulary tokens that can be
        typed (characters without control characters; words, separated by spaces), checked by reading it back.
        "" when it reads no text (no vocabulary)."""
        if self.vocabulary is None:
            return ""
        chars = vocab.by_characters(self.vocabulary)
        typable = [t for t in self.vocabulary if t.isprintable() and (chars or not any(c.isspace() for c in t))]
        text = ("" if chars else " ").join(typable[:tokens])
        if not typable or tuple(self.inputs(text)[0]) != tuple(typable[:tokens]):
            raise ValueError("vocabulary: none of its tokens can be typed as text, so no text can be read")
        return text

    def with_vocabulary(self, vocabulary: object) -> LoadedModel:
        return replace(self, vocabulary=vocab.parse(vocabulary))

    def predicting(self, what: str) -> LoadedModel:
        """The same model with its head read as "values" (a regression) or "classes", as the user says."""
        head, note = read_head(self.head, self.embedding is not None or self.vocabulary is not None, what)
        found = self.found if self.found is None or note is None else replace(self.found,
                                                                              notes=(*self.found.notes, note))
        return replace(self, head=head, found=found)


def _reader(fmt: str):
    """The function that reads this format into Parts: (data, max_bytes, layer, name) -> Parts."""
    if fmt == "safetensors":
        from cells.files import safetensors_io
        return safetensors_io.parts
    if fmt == "torch":
        from cells.files import torch_io
        return torch_io.parts
    if fmt == "keras_h5":  # a Keras 2 .h5 (whole model or weights), else Keras 3's .weights.h5
        from cells.files import keras_legacy
        return keras_legacy.parts
    if fmt == "keras":
        from cells.files import keras_io
        return keras_io.reader(fmt)
    if fmt == "onnx":
        from cells.files import onnx_io
        return onnx_io.parts
    return _read_npz if fmt == "npz" else _read_json


def _read_npz(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    """A Gatescope .npz (with its extras), or a state_dict saved with np.savez."""
    arrays = storage.read_npz(data, max_bytes=max_bytes)
    if storage.META_KEY not in arrays:
        from cells.files import keras_io, statedict
        if any(keras_io.NPZ_KEY.fullmatch(k) for k in arrays):
            return keras_io.npz_parts(arrays)  # Gatescope's Keras export: layer{k}.{direction}.kernel …
        return statedict.parts(arrays, "npz", layer)
    extra = {field: arrays.pop(key) for field, key in EXTRA.items() if key in arrays}
    network = storage.network_from_arrays(arrays)
    words = None
    if "vocabulary" in extra:
        v = extra["vocabulary"]
        if v.dtype.kind != "U" or v.ndim != 0:
            raise ValueError(f"model file: {EXTRA['vocabulary']} should be JSON text, got a {v.dtype} array")
        words = str(v[()])
    head = None
    if "head.weights" in extra:
        activation = str(extra["head.activation"][()]) if "head.activation" in extra else "linear"
        head = Head(extra["head.weights"], extra.get("head.bias", np.zeros(len(extra["head.weights"]))), activation)
    embedding = extra.get("embedding")
    return Parts(network, _own_found("npz", network, list(arrays) + list(EXTRA[f] for f in extra), embedding, head,
                                     (EXTRA["embedding"], EXTRA["head.weights"])),
                 embedding, head, words)


def _own_found(fmt: str, network: Network, used: list[str], embedding: np.ndarray | None = None,
               head: Head | None = None, names: tuple[str, str] = ("embedding", "head")) -> Found:
    """What a Gatescope file held: its network, and the embedding and head beside it (``names`` in the file)."""
    layer = network.layers[0]
    module = Recurrent("gatescope", "Gatescope network", network.kind, len(network.layers), layer.bidirectional,
                       network.input_size, network.hidden_size, (), network.state_size)
    found = Found(fmt, (module,), 0, used=tuple(used))
    if embedding is not None and np.ndim(embedding) == 2:  # another shape is refused with the LoadedModel
        found = replace(found, embedding=(names[0], tuple(map(int, np.shape(embedding)))))
    if head is not None:
        found = replace(found, head=(names[1], tuple(map(int, head.weights.shape))))
    return found


def _read_json(data: bytes, max_bytes: int, layer: int | str | None, name: str) -> Parts:
    budget.take_json(data, budget.Budget.for_file(data, max_bytes, name or "model JSON"), "parsing its JSON")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        doc = None
    if not (isinstance(doc, dict) and doc.get("format") == MODEL_FORMAT):
        doc = None  # parsed again below: not held twice
        network = storage.from_json(data, max_bytes=max_bytes)  # Gatescope's network JSON, with its own messages
        return Parts(network, _own_found("json", network, ["layers"]))
    expected = {"format", "version", "network", "vocabulary", "embedding", "head"}
    if set(doc) - expected or "network" not in doc:
        raise ValueError(f"model JSON: expected the fields {', '.join(sorted(expected))}, got "
                         f"{', '.join(sorted(map(str, doc)))}")
    if doc.get("version") != 1:
        raise ValueError(f"model JSON: version: expected 1, got {doc.get('version')!r}")
    network = storage.from_json(json.dumps(doc["network"]), max_bytes=max_bytes)

    def matrix(value: object, what: str) -> np.ndarray:
        try:
            a = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"model JSON: {what}: expected nested lists of numbers") from None
        return a.astype(network.layers[0].forward.dtype)

    embedding = None if doc.get("embedding") is None else matrix(doc["embedding"], "embedding")
    head = None
    if doc.get("head") is not None:
        h = doc["head"]
        if not isinstance(h, dict) or not {"weights", "bias"} <= set(h):
            raise ValueError("model JSON: head: expected an object with weights and bias")
        head = Head(matrix(h["weights"], "head.weights"), matrix(h["bias"], "head.bias"),
                    str(h.get("activation", "linear")))
    return Parts(network, _own_found("json", network, sorted(doc), embedding, head), embedding, head,
                 doc.get("vocabulary"))


def load(path_or_bytes: object, vocabulary: object | None = None, *, name: str = "", layer: int | str | None = None,
         max_bytes: int = source.MAX_BYTES, roles: dict[str, str] | None = None,
         head_predicts: str | None = None) -> LoadedModel:
    """The model in a file as it was saved, or a ValueError saying what was expected and what came.

    ``vocabulary`` (a list of tokens, a token -> index map, a vocabulary file's bytes or its path)
    overrides one found in the file. ``layer`` picks the recurrent module, by index or name, when a
    file has more than one (``m.found.recurrent`` lists them); ``name`` is the file name when bytes are given.
    ``roles`` builds the model from arrays named by hand (``cells.files.roles``: kind, layout, input,
    recurrent, biases, embedding, head) in a .npz, .safetensors or .pt file. ``head_predicts``
    ("values" or "classes") says what the head's outputs are where the file does not
    (``cells.files.parts.read_head``).
    """
    given_name, data = source.read(path_or_bytes, max_bytes=max_bytes)
    name = name or given_name
    try:
        return _load(data, vocabulary, name, layer, max_bytes, roles, head_predicts)
    except ValueError:
        raise
    except RecursionError:
        raise ValueError(f"{name or 'model file'}: nested too deeply to read") from None
    except Exception as e:  # the last net: every reader checks types itself, and the fuzz test keeps it so
        raise ValueError(f"{name or 'model file'}: could not be read ({type(e).__name__}: {str(e)[:200]})") from None


def _load(data: bytes, vocabulary: object | None, name: str, layer: int | str | None, max_bytes: int,
          roles: dict[str, str] | None, head_predicts: str | None) -> LoadedModel:
    fmt = source.sniff(name, data, max_bytes)
    if roles is not None:
        from cells.files import roles as by_hand
        parts = by_hand.parts(data, max_bytes, fmt, name, roles)
    else:
        parts = _reader(fmt)(data, max_bytes, layer, name)
    words, where = parts.vocabulary, "file"
    if vocabulary is not None:
        words, where = vocabulary, "argument"
    tokens = None
    if words is not None:
        if isinstance(words, str) and where == "file":
            words = vocab.from_text(words, "the file's vocabulary")
        tokens = vocab.parse(words, "vocabulary" if where == "argument" else "the file's vocabulary")
    head, note = read_head(parts.head, parts.embedding is not None or tokens is not None, head_predicts)
    found = replace(parts.found, vocabulary_from=where if tokens is not None else None,
                    notes=parts.found.notes + ((note,) if note else ()))
    loaded = LoadedModel(parts.network, tokens, parts.embedding, head, found, name)
    loaded.example()  # a model that cannot read its own example is refused now, not on every page after
    return loaded


# ----- writing Gatescope's own files with everything on board ------------------------------------
def to_npz(model: LoadedModel) -> bytes:
    """A Gatescope .npz of the network, with the vocabulary, embedding and head beside it."""
    import io

    out = io.BytesIO()
    arrays = {storage.META_KEY: np.array(json.dumps(storage._describe(model.network, inline=False))),
              **storage._arrays(model.network)}
    if model.embedding is not None:
        arrays[EXTRA["embedding"]] = model.embedding
    if model.head is not None:
        arrays[EXTRA["head.weights"]] = model.head.weights
        arrays[EXTRA["head.bias"]] = model.head.bias
        arrays[EXTRA["head.activation"]] = np.array(model.head.activation)
    if model.vocabulary is not None:
        arrays[EXTRA["vocabulary"]] = np.array(json.dumps(model.vocabulary))
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def to_json(model: LoadedModel) -> str:
    """One JSON document: ``{"format": "gatescope-model", "network": …, "vocabulary", "embedding", "head"}``."""
    head = None if model.head is None else {"weights": model.head.weights.tolist(), "bias": model.head.bias.tolist(),
                                            "activation": model.head.activation}
    doc = {"format": MODEL_FORMAT, "version": 1, "network": json.loads(storage.to_json(model.network)),
           "vocabulary": model.vocabulary, "embedding": None if model.embedding is None else model.embedding.tolist(),
           "head": head}
    return json.dumps(doc, allow_nan=False, separators=(",", ":"))
