"""Model files: exports in every format a network fits, and the checked loading of untrusted uploads.

Every upload goes through ``cells.load``, which checks headers and sizes before it allocates; what a
file held is said back a line at a time (``describe_found``).
"""

from __future__ import annotations

import dataclasses
import io
import re
from functools import partial

import numpy as np

import cells
from cells import encode
from cells.activations import GATE_ACTIVATIONS
from cells.files import interop
from cells.files import source as file_source
from cells.files import vocabulary as file_vocabulary
from cells.files.model import LoadedModel
from cells.files.parts import Found
from cells.files.roles import ArrayInfo, list_arrays
from workbench.model import Model, from_network

MAX_UPLOAD_BYTES = file_source.MAX_BYTES  # 100 MB; .streamlit/config.toml sets server.maxUploadSize to match
FORMATS = {"npz": "Gatescope model (.npz)", "json": "Gatescope model (JSON)",
           "torch": "PyTorch state_dict (.npz)", "keras": "Keras weight arrays (.npz)"}
KERAS_NAMES = ("kernel", "recurrent_kernel", "bias")


def _npz_bytes(arrays: dict[str, np.ndarray], compressed: bool = True) -> bytes:
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **arrays)
    return out.getvalue()


def export_npz(network: cells.Network) -> bytes:
    out = io.BytesIO()
    cells.save_npz(network, out)
    return out.getvalue()


def export_torch(network: cells.Network) -> bytes:
    """PyTorch's state_dict as .npz: load with ``{k: torch.from_numpy(v) for k, v in np.load(f).items()}``."""
    return _npz_bytes(cells.to_torch(network))


def export_keras(network: cells.Network) -> bytes:
    """Keras ``get_weights()`` arrays per layer and direction: ``layer{k}.{direction}.kernel`` and so on."""
    arrays = {}
    for k, layer in enumerate(network.layers):
        for direction, cell in zip(("forward", "backward"), layer.cells, strict=False):
            for name, a in zip(KERAS_NAMES, cells.to_keras(cell), strict=True):
                arrays[f"layer{k}.{direction}.{name}"] = a
    return _npz_bytes(arrays)


def export_problem(network: cells.Network, fmt: str) -> str | None:
    """Why ``network`` cannot be written in ``fmt``, or None when it can."""
    kinds = {cell.KIND for layer in network.layers for cell in layer.cells}
    if fmt == "torch" and (len(kinds) != 1 or not kinds <= set(interop.TORCH_KINDS)):
        return ("PyTorch has nn.LSTM and nn.GRU only: this export takes LSTM cells or GRU cells in PyTorch's form "
                f"(gru_torch); this model has {', '.join(sorted(kinds))}.")
    if fmt == "keras" and not kinds <= set(interop.KERAS_KINDS):
        return (f"Keras has LSTM and GRU only: this export takes {', '.join(interop.KERAS_KINDS)} cells; "
                f"this model has {', '.join(sorted(kinds))}.")
    return None


def export_warning(network: cells.Network, fmt: str) -> str | None:
    """What a user must know before using an export in ``fmt`` ("torch", "keras"): a gate activation the
    framework's layer does not compute by itself. None when the file computes as Gatescope does."""
    activation = network.gate_activation
    if activation == "sigmoid" or fmt not in ("torch", "keras"):
        return None
    formula = "; ".join(GATE_ACTIVATIONS[a].formula for a in sorted({c.gate_activation for layer in network.layers
                                                                      for c in layer.cells}) if a != "sigmoid")
    if fmt == "torch":
        return (f"These gates use {formula}. PyTorch's nn.LSTM and nn.GRU compute σ, so loaded there this model's "
                "gates, and so its outputs, differ: write the cell out with that activation to match.")
    if activation == "hard_sigmoid":
        return (f"These gates use {formula}, Keras 2's hard sigmoid: build the layer with "
                "recurrent_activation='hard_sigmoid' in Keras 2; Keras 3's 'hard_sigmoid' is relu6(x + 3)/6, so "
                "there give it lambda x: keras.ops.clip(0.2 * x + 0.5, 0, 1).")
    return (f"These gates use {formula}: build the layer with recurrent_activation='hard_sigmoid' (Keras 3's), or "
            "its outputs differ.")


_INDEX = re.compile(r"\d+")


def _token_indices(text: str) -> np.ndarray:
    """Typed token indices, "3 1 4, 1": whole numbers separated by spaces or commas."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    for k, part in enumerate(parts):
        if not _INDEX.fullmatch(part):
            raise ValueError(f"token indices: {part[:20]!r} at step {k} is not a whole number")
    if not parts:
        raise ValueError("token indices: expected at least one, got none")
    return np.array([int(p) for p in parts], dtype=np.int64)


def _loaded_encode(loaded: LoadedModel, text: str) -> encode.Encoded:
    """Typed text through a file's own vocabulary and embedding (or typed token indices without a vocabulary)."""
    if not isinstance(text, str):
        raise ValueError(f"expected text, got {type(text).__name__}")
    tokens, _, xs = loaded.inputs(text if loaded.vocabulary is not None else _token_indices(text))
    labels = tuple(encode.visible(t) if len(t) == 1 else t for t in tokens)
    if loaded.embedding is not None:
        features = tuple(f"e{j + 1}" for j in range(xs.shape[1]))
    else:
        features = encode._feature_names(loaded.vocabulary)
    return encode.Encoded(xs, labels, features)


def loaded_reads(loaded: LoadedModel) -> str:
    """How a file's model reads typed text, said for the user."""
    words = loaded.vocabulary
    through = (f", through its embedding ({loaded.embedding.shape[0]} × {loaded.embedding.shape[1]})"
               if loaded.embedding is not None else ", one-hot")
    if words is None:
        rows = loaded.embedding.shape[0]
        return f"token indices 0–{rows - 1}, one per step{through}"
    if file_vocabulary.by_characters(words):
        shown = "".join(encode.visible(c) for c in words[:60]) + ("…" if len(words) > 60 else "")
        return f"characters of {shown!r}{through}"
    return f"words of its {len(words):,}-word vocabulary, separated by spaces{through}"


def loaded_note(loaded: LoadedModel) -> str:
    """What to look at in a file's model that reads through its own vocabulary or embedding, said for every page
    that shows it (Explore and Weights draw the head's predictions with the gates)."""
    words = "the model's own " + " and ".join(w for w, has in (("vocabulary", loaded.vocabulary is not None),
                                                              ("embedding", loaded.embedding is not None)) if has)
    what = "Typed text goes" if loaded.vocabulary is not None else "Typed token indices go"
    if loaded.head is None:
        return f"{what} through {words}."
    return f"{what} through {words}; what its output head predicts is shown with the gates."


def from_loaded(loaded: LoadedModel, label: str) -> Model:
    """The page's Model of a file's model: typed text goes through its own vocabulary and embedding."""
    network = loaded.network
    plain = loaded.embedding is None and loaded.head is None
    if plain and loaded.vocabulary is None:
        return dataclasses.replace(from_network(network, label), loaded=loaded)
    if plain and file_vocabulary.by_characters(loaded.vocabulary):
        chars = "".join(loaded.vocabulary)
        return dataclasses.replace(from_network(network, label, vocabulary=chars), loaded=loaded)
    if loaded.vocabulary is None and loaded.embedding is None:
        return dataclasses.replace(from_network(network, label), loaded=loaded)
    if loaded.vocabulary is not None:
        by_chars = file_vocabulary.by_characters(loaded.vocabulary)
        sample = loaded.vocabulary[: 12 if by_chars else 6]
        sequence = ("".join(sample) if by_chars else " ".join(sample))
    else:
        sequence = " ".join(str(k % loaded.embedding.shape[0]) for k in range(8))
    return Model(network, label, loaded_reads(loaded), partial(_loaded_encode, loaded), sequence, loaded_note(loaded),
                 vocabulary="".join(loaded.vocabulary) if loaded.embedding is None and loaded.vocabulary else None,
                 source="file", loaded=loaded)


def arrays_for_roles(name: str, data: bytes) -> list[ArrayInfo]:
    """The float arrays of a file whose layers were not recognised, for the user to give roles to; empty when the
    file is not of a kind whose arrays can be given roles (.npz, .safetensors, .pt), or has fewer than two."""
    try:
        arrays = list_arrays(bytes(data), name=name, max_bytes=MAX_UPLOAD_BYTES)
    except Exception:  # a file the readers refuse, or make raise anything: there is nothing to give roles to
        return []
    return arrays if len(arrays) >= 2 else []


def describe_found(found: Found) -> list[str]:
    """What a file held, a line each, for the page: plain text (names from the file as they are spelt), which the
    page shows through ``workbench.literal.literal``, never as Markdown."""
    fmt = file_source.FORMATS.get(found.format, found.format)
    lines = [f"Format: {fmt}."]
    for k, r in enumerate(found.recurrent):
        mark = "→ used: " if k == found.chosen else ""
        shape = (f"{r.num_layers} layer{'s' if r.num_layers > 1 else ''}{', bidirectional' if r.bidirectional else ''}"
                 f", {r.input_size} inputs, {r.hidden_size} units")
        if r.state_size is not None and r.state_size != r.hidden_size:
            shape += f", projected to an h_t of {r.state_size} (proj_size)"
        lines.append(f"{mark}{r.style} {r.name or '(no prefix)'}: {shape}")
    if found.embedding:
        name, (V, E) = found.embedding
        lines.append(f"Embedding {name}: {V} tokens × {E} numbers")
    else:
        lines.append("No embedding found: the first layer reads its inputs directly.")
    if found.head:
        name, (K, D) = found.head
        lines.append(f"Output head {name}: {K} outputs from {D} numbers")
    else:
        lines.append("No output head found.")
    if found.vocabulary_from:
        lines.append(f"Vocabulary: from the {'file' if found.vocabulary_from == 'file' else 'vocabulary you gave'}.")
    if found.ignored:
        shown = ", ".join(found.ignored[:12]) + (" …" if len(found.ignored) > 12 else "")
        lines.append(f"Ignored: {shown}")
    lines += list(found.notes)
    return lines


def load_upload(name: str, data: bytes, *, vocabulary: object | None = None, layer: int | str | None = None,
                fallback_vocabulary: str | None = None, roles: dict[str, str] | None = None) -> Model:
    """A Model from an uploaded file's bytes, or a ValueError naming what is wrong with it.

    Every format goes through ``cells.load``, which checks headers and sizes before it allocates.
    ``vocabulary`` (typed characters, or a vocabulary file's bytes) overrides the file's own;
    ``fallback_vocabulary`` is used only when the file has none, no embedding, and it fits. ``roles`` builds
    the model from arrays given their roles by hand (``cells.files.roles``).
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"{name}: expected the file's bytes")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{name}: {len(data):,} bytes is over the limit of {MAX_UPLOAD_BYTES:,}")
    if isinstance(vocabulary, str):
        vocabulary = list(vocabulary) if vocabulary else None
    try:
        loaded = cells.load(bytes(data), vocabulary, name=name, layer=layer, roles=roles)
    except ValueError as e:
        message = str(e)
        raise ValueError(message if name and message.startswith(name) else f"{name}: {message}") from None
    if (loaded.vocabulary is None and loaded.embedding is None and fallback_vocabulary
            and len(fallback_vocabulary) == loaded.network.input_size):
        loaded = loaded.with_vocabulary(list(fallback_vocabulary))
    return from_loaded(loaded, f"Uploaded: {name}")
