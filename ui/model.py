"""The model the user brought or made: a preset, a trained or uploaded network, or edited weights.

Until the user picks one, the pages draw a fresh network from the Network settings for whatever
sequence is typed. A ``Model`` is fixed instead: its input size is set, so it says how typed text
becomes its inputs (``encode``), and the pages show it until the user goes back to drawn networks.
Everything here but the three session functions is plain Python, testable without Streamlit: the
models, the checked loading of uploaded files, exports, and the compact weights of share links.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

import cells
from cells import encode, presets
from cells.files import interop
from cells.files import source as file_source
from cells.files import vocabulary as file_vocabulary
from cells.files.model import LoadedModel
from cells.files.parts import Found
from cells.learning.readout import Readout
from cells.learning.tasks import TASKS, Task, make_task
from cells.learning.train import load_model
from ui.settings import MAX_LINK_TEXT

PRETRAINED = Path(__file__).parents[1] / "assets" / "pretrained"
# What a shipped model's task reads, and an input to show it (the tasks' own encoders check it).
TASK_READS = {"brackets": "brackets ( and )", "counting": "a's, one X, then b's", "first_bit": "0s and 1s",
              "sine": "numbers, one per step", "text": "lower-case text"}
TASK_EXAMPLES = {
    "brackets": "(()(()))((()))()",
    "counting": "aaaaXbbbb.",
    "first_bit": "1" + "0110100101" * 5,
    "sine": " ".join(f"{math.sin(2 * math.pi * t / 12):.2f}" for t in range(36)),
    "text": "the input gate decides",
}
MODEL_KEY = "model"  # session state: the current Model, or absent for networks drawn from the settings


@dataclass(frozen=True, eq=False)
class Model:
    """A fixed network and everything a page needs to show it."""

    network: cells.Network
    label: str  # "LSTM trained on brackets", "Preset: bracket-depth tracker", "Edited LSTM"
    reads: str  # how typed text becomes inputs, said for the user: "characters of '()ab', one-hot"
    encode: Callable[[str], encode.Encoded]  # typed text -> inputs; ValueError naming what is wrong
    sequence: str = ""  # an input that shows what the model does
    note: str = ""  # one line on what to look at
    readout: Readout | None = None  # trained models predict something from h_t
    original: cells.Network | None = None  # the network before any edit, for "reset"
    vocabulary: str | None = None  # the one-hot columns, for models that read characters one-hot
    source: str = ""  # where it came from, for share links: "preset:counter", "trained:brackets_lstm", "numbers",
    # "task:brackets" (trained on the Train page: it reads text as that task does)
    loaded: LoadedModel | None = None  # a model from a file: its own vocabulary, embedding and output head
    watch: int | None = None  # the unit whose behaviour tells the story, which pages select first

    def inputs(self, text: str) -> encode.Encoded:
        """``text`` as this model's inputs, or a ValueError saying what does not fit."""
        encoded = self.encode(text)
        if encoded.input_size != self.network.input_size:
            raise ValueError(f"this model reads {self.network.input_size} numbers per step "
                             f"({self.reads}), the sequence has {encoded.input_size}")
        return encoded

    @property
    def shown_note(self) -> str:
        """The note while it is true: it was written for the model's own weights, so after an edit it gives
        way to a line that still holds."""
        if self.original is None:
            return self.note
        unit = f" Unit {self.watch} is the one to watch for what the edit changed." if self.watch is not None else ""
        return f"Edited weights: what was said about the original weights may no longer hold.{unit}"

    def edited(self, network: cells.Network, label: str | None = None) -> Model:
        """The same model with new weights; ``original`` keeps the first ones."""
        return dataclasses.replace(self, network=network, label=label or self.label,
                                   original=self.original or self.network)


_SYMBOL = re.compile(r"(?<![\w$\\])([A-Za-z])_(t|\{t-1\})(?![\w}])")


def symbols_as_math(text: str) -> str:
    """Plain-text symbols (``C_t``, ``h_{t-1}``) as Markdown math, for notes shown in captions and boxes."""
    return _SYMBOL.sub(lambda m: f"${m.group(1)}_{m.group(2)}$", text)


def _one_hot(vocabulary: str, text: str) -> encode.Encoded:
    return encode.one_hot(text, vocabulary=vocabulary)


def reads_characters(vocabulary: str) -> str:
    return f"characters of {''.join(encode.visible(c) for c in vocabulary)!r}, one-hot"


def _embedded(size: int, seed: int, text: str) -> encode.Encoded:
    return encode.embed(text, size, seed)


def _example(size: int, vocabulary: str | None, embedding: tuple[int, int] | None) -> str:
    """A few steps any model of this kind can read: its characters, or a one-hot walk in numbers.

    The example goes into the sequence box and the share link, so it keeps to the link's limit
    (MAX_LINK_TEXT characters): a wide model's walk takes as many steps as fit, at least one.
    """
    if vocabulary:
        return (vocabulary * max(1, 12 // len(vocabulary)))[:MAX_LINK_TEXT]
    if embedding is not None:
        return "hello world"
    width = 2 * size  # "0 " per input, "; " between steps
    steps = max(1, min(max(size, 6), MAX_LINK_TEXT // width))
    return "; ".join(" ".join("1" if j == t % size else "0" for j in range(size)) for t in range(steps))


def _check_readable(network: cells.Network) -> None:
    """Refuse a network no typed input can drive: wider than any encoder goes."""
    if network.input_size > encode.MAX_FEATURES:
        raise ValueError(f"this network reads {network.input_size:,} inputs per step; Gatescope reads at most "
                         f"{encode.MAX_FEATURES:,} per step (typed numbers, or characters one-hot)")


def from_network(network: cells.Network, label: str, *, vocabulary: str | None = None, sequence: str = "",
                 note: str = "", embedding: tuple[int, int] | None = None) -> Model:
    """A model of any network: one-hot over ``vocabulary`` when given, characters embedded with
    ``embedding = (size, seed)`` when given, else typed numbers. Without a ``sequence`` it gets a
    small one it can read."""
    _check_readable(network)
    if not sequence:
        sequence = _example(network.input_size, vocabulary, embedding)
    if vocabulary is not None:
        if len(vocabulary) != network.input_size:
            raise ValueError(f"vocabulary: {len(vocabulary)} characters for a network that reads "
                             f"{network.input_size} inputs")
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError(f"vocabulary: every character once, got {vocabulary!r}")
        return Model(network, label, reads_characters(vocabulary), partial(_one_hot, vocabulary), sequence, note,
                     vocabulary=vocabulary, source="chars:" + vocabulary)
    if embedding is not None:
        size, seed = embedding
        if size != network.input_size:
            raise ValueError(f"embedding: size {size} for a network that reads {network.input_size} inputs")
        return Model(network, label, f"characters embedded in {size} numbers (seed {seed})",
                     partial(_embedded, size, seed), sequence, note, source=f"embed:{size}:{seed}")
    reads = f"numbers, {network.input_size} per step"
    return Model(network, label, reads, encode.parse_numbers, sequence, note, source="numbers")


def from_preset(name: str) -> Model:
    """A hand-built preset from cells.presets, with its sequence and what to watch."""
    p = presets.preset(name)
    reads = reads_characters(p.vocabulary) if p.vocabulary is not None else f"numbers ({p.mode})"
    return Model(p.build(), f"Preset: {p.title}", reads, p.inputs, p.sequence, f"{p.watch} {p.explanation}",
                 vocabulary=p.vocabulary, source=f"preset:{name}", watch=0)  # every preset's story is in unit 0


def pretrained_manifest() -> list[dict]:
    """The shipped trained models: name, file, label, task, accuracy and which unit to watch."""
    return json.loads((PRETRAINED / "manifest.json").read_text())["models"]


def from_pretrained(name: str) -> Model:
    """A model shipped in assets/pretrained (made by ``python -m cells.learning.train``)."""
    entry = next((m for m in pretrained_manifest() if m["name"] == name), None)
    if entry is None:
        raise ValueError(f"pretrained model: expected one of {', '.join(m['name'] for m in pretrained_manifest())}, "
                         f"got {name!r}")
    trained = load_model(PRETRAINED / entry["file"])
    task = trained.task
    return Model(trained.network, entry["label"], task_reads(task), task.encode, TASK_EXAMPLES.get(task.NAME, ""),
                 entry["watch"]["note"], readout=trained.readout, source=f"trained:{name}",
                 watch=int(entry["watch"]["unit"]))


def task_reads(task: Task) -> str:
    """How a model trained on ``task`` reads typed text, said for the user."""
    return f"{TASK_READS.get(task.NAME, task.LABEL)} (inputs: {', '.join(task.features)})"


def from_task(network: cells.Network, task_name: str, label: str, *, sequence: str = "", note: str = "",
              readout: Readout | None = None, watch: int | None = None) -> Model:
    """A network trained on one of cells.tasks, reading typed text as that task does (its encoder does not
    depend on the task's options), so a share link needs only the task's name and the weights."""
    if task_name not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(TASKS)}, got {task_name[:40]!r}")
    task = make_task(task_name)
    if network.input_size != task.input_size:
        raise ValueError(f"a network reading {network.input_size} inputs cannot read the {task.LABEL.lower()} "
                         f"task's {task.input_size}")
    return Model(network, label, task_reads(task), task.encode, sequence or TASK_EXAMPLES.get(task_name, ""), note,
                 readout=readout, source=f"task:{task_name}", watch=watch)


# ----- session -------------------------------------------------------------------------------------
def current_model() -> Model | None:
    """The model the user picked, or None while pages draw networks from the settings."""
    return st.session_state.get(MODEL_KEY)


def use_model(model: Model) -> None:
    """Make ``model`` the one the pages show (call from a button's callback or before st.switch_page)."""
    st.session_state[MODEL_KEY] = model


def drop_model() -> None:
    """Go back to networks drawn from the Network settings."""
    st.session_state.pop(MODEL_KEY, None)


# ----- files: export, and import of untrusted uploads -------------------------------------------
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
    that shows it (only the Weights page draws the head's predictions)."""
    words = "the model's own " + " and ".join(w for w, has in (("vocabulary", loaded.vocabulary is not None),
                                                              ("embedding", loaded.embedding is not None)) if has)
    what = "Typed text goes" if loaded.vocabulary is not None else "Typed token indices go"
    if loaded.head is None:
        return f"{what} through {words}."
    return f"{what} through {words}; the Weights page shows what its output head predicts beside the gates."


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


def describe_found(found: Found) -> list[str]:
    """What a file held, a line each, for the page."""
    fmt = file_source.FORMATS.get(found.format, found.format)
    lines = [f"Format: {fmt}."]
    for k, r in enumerate(found.recurrent):
        mark = "→ used: " if k == found.chosen else ""
        shape = (f"{r.num_layers} layer{'s' if r.num_layers > 1 else ''}{', bidirectional' if r.bidirectional else ''}"
                 f", {r.input_size} inputs, {r.hidden_size} units")
        if r.state_size is not None and r.state_size != r.hidden_size:
            shape += f", projected to an h_t of {r.state_size} (proj_size)"
        lines.append(f"{mark}{r.style} `{r.name or '(no prefix)'}`: {shape}")
    if found.embedding:
        name, (V, E) = found.embedding
        lines.append(f"Embedding `{name}`: {V} tokens × {E} numbers")
    else:
        lines.append("No embedding found: the first layer reads its inputs directly.")
    if found.head:
        name, (K, D) = found.head
        lines.append(f"Output head `{name}`: {K} outputs from {D} numbers")
    else:
        lines.append("No output head found.")
    if found.vocabulary_from:
        lines.append(f"Vocabulary: from the {'file' if found.vocabulary_from == 'file' else 'vocabulary you gave'}.")
    if found.ignored:
        shown = ", ".join(f"`{k}`" for k in found.ignored[:12]) + (" …" if len(found.ignored) > 12 else "")
        lines.append(f"Ignored: {shown}")
    lines += list(found.notes)
    return lines


def load_upload(name: str, data: bytes, *, vocabulary: object | None = None, layer: int | str | None = None,
                fallback_vocabulary: str | None = None) -> Model:
    """A Model from an uploaded file's bytes, or a ValueError naming what is wrong with it.

    Every format goes through ``cells.load``, which checks headers and sizes before it allocates.
    ``vocabulary`` (typed characters, or a vocabulary file's bytes) overrides the file's own;
    ``fallback_vocabulary`` is used only when the file has none, no embedding, and it fits.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"{name}: expected the file's bytes")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{name}: {len(data):,} bytes is over the limit of {MAX_UPLOAD_BYTES:,}")
    if isinstance(vocabulary, str):
        vocabulary = list(vocabulary) if vocabulary else None
    try:
        loaded = cells.load(bytes(data), vocabulary, name=name, layer=layer)
    except ValueError as e:
        message = str(e)
        raise ValueError(message if name and message.startswith(name) else f"{name}: {message}") from None
    if (loaded.vocabulary is None and loaded.embedding is None and fallback_vocabulary
            and len(fallback_vocabulary) == loaded.network.input_size):
        loaded = loaded.with_vocabulary(list(fallback_vocabulary))
    return from_loaded(loaded, f"Uploaded: {name}")


# ----- share links: small models ride in the query string -------------------------------------
LINK_MAX_HIDDEN = 8
LINK_MAX_CHARS = 8_000  # longest weights parameter written or read
_LINK_VERSION = "w1"


def _link_cells(network: cells.Network) -> list[cells.Cell]:
    return [cell for layer in network.layers for cell in layer.cells]


def _link_parameters(cell: cells.Cell, hidden_gates: tuple[str, ...]) -> list[tuple[str, str, tuple[int, ...]]]:
    """(field, gate, shape) of every parameter of a cell like this one, in link order."""
    H, P, I = cell.hidden_size, cell.state_size, cell.input_size  # P: h_t's width, H but for a projection
    out = [("weights", g, (H, P + I)) for g in cell.GATES] + [("biases", g, (H,)) for g in cell.GATES]
    out += [("hidden_biases", g, (H,)) for g in hidden_gates]
    out += [(field, g, cell.extra_shape(field, H, P)) for field, gates in cell.EXTRA.items() for g in gates]
    return out


def link_problem(network: cells.Network) -> str | None:
    """Why these weights cannot ride in a share link, or None when they can."""
    if network.hidden_size > LINK_MAX_HIDDEN:
        return (f"This model has hidden size {network.hidden_size}; share links carry weights up to hidden size "
                f"{LINK_MAX_HIDDEN}. Download the model file and send that instead.")
    if network.kind == "mixed" or len({c.hidden_size for c in _link_cells(network)}) != 1:
        return "This model mixes cell kinds or sizes; download the model file and send that instead."
    if any(c.state_size != c.default_state_size(c.hidden_size) for c in _link_cells(network)):
        return ("This model's h_t has a size of its own (a projection's P); share links carry the default one. "
                "Download the model file and send that instead.")
    if len({tuple(c.hidden_biases or ()) for c in _link_cells(network)}) != 1:
        return "This model's cells differ in their hidden biases; download the model file and send that instead."
    return None


def weights_to_link(network: cells.Network) -> str:
    """The weights as one query-string value: a short header, then base64 of zlib'd float32 numbers."""
    problem = link_problem(network)
    if problem:
        raise ValueError(problem)
    first = network.layers[0].forward
    hidden_gates = tuple(g for g in first.GATES if g in (first.hidden_biases or {}))
    numbers = [np.asarray(getattr(cell, field)[gate], np.float32).ravel()
               for cell in _link_cells(network) for field, gate, _ in _link_parameters(cell, hidden_gates)]
    payload = base64.urlsafe_b64encode(zlib.compress(np.concatenate(numbers).tobytes(), 9)).decode().rstrip("=")
    gates = "".join(str(first.GATES.index(g)) for g in hidden_gates) or "-"
    header = [_LINK_VERSION, network.kind, str(len(network.layers)), "2" if network.bidirectional else "1",
              str(network.hidden_size), str(network.input_size), gates]
    text = ".".join(header) + "." + payload
    if len(text) > LINK_MAX_CHARS:
        raise ValueError(f"These weights take {len(text):,} characters, more than a share link carries "
                         f"({LINK_MAX_CHARS:,}); download the model file and send that instead.")
    return text


def weights_from_link(text: str) -> cells.Network:
    """The network a share link's weights parameter describes, or a ValueError saying what is wrong."""
    if not isinstance(text, str) or len(text) > LINK_MAX_CHARS:
        raise ValueError(f"expected at most {LINK_MAX_CHARS:,} characters")
    parts = text.split(".")
    if len(parts) != 8 or parts[0] != _LINK_VERSION:
        raise ValueError("not weights written by this Gatescope")
    _, kind, layers, directions, hidden, inputs, gates, payload = parts
    if kind not in cells.KINDS:
        raise ValueError(f"unknown cell kind {kind!r}")
    sizes = []
    for what, value, top in (("layers", layers, 4), ("directions", directions, 2), ("hidden size", hidden,
                             LINK_MAX_HIDDEN), ("input size", inputs, 256)):
        if not value.isdigit() or not 1 <= int(value) <= top:
            raise ValueError(f"{what}: expected a whole number from 1 to {top}, got {value[:20]!r}")
        sizes.append(int(value))
    n_layers, n_dirs, H, I = sizes
    cls = cells.cell_class(kind)
    if gates != "-" and (not gates.isdigit() or len(set(gates)) != len(gates)
                         or any(int(c) >= len(cls.GATES) for c in gates)):
        raise ValueError(f"hidden-bias gates: {gates[:20]!r} is not a list of this cell's gates")
    hidden_gates = () if gates == "-" else tuple(cls.GATES[int(c)] for c in gates)
    template = cells.Network.create(kind, I, H, num_layers=n_layers, bidirectional=n_dirs == 2)
    wanted = [(cell, _link_parameters(cell, hidden_gates)) for cell in _link_cells(template)]
    count = sum(math.prod(shape) for _, params in wanted for *_, shape in params)
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), 4 * count + 1)
    except (ValueError, zlib.error):
        raise ValueError("the weights are not intact base64 of compressed numbers") from None
    if len(raw) != 4 * count or inflate.unconsumed_tail:
        raise ValueError(f"expected {count} numbers for this model, got a different amount")
    values = np.frombuffer(raw, np.float32).astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("every weight must be a finite number")
    built, at = [], 0
    for cell, params in wanted:
        fields: dict[str, dict[str, np.ndarray]] = {}
        for field, gate, shape in params:
            size = math.prod(shape)
            fields.setdefault(field, {})[gate] = values[at : at + size].reshape(shape)
            at += size
        fields.setdefault("hidden_biases", None)
        built.append(dataclasses.replace(cell, **fields))
    per_layer = [built[k : k + n_dirs] for k in range(0, len(built), n_dirs)]
    return cells.Network(tuple(cells.Layer(*pair) for pair in per_layer))


def model_link_problem(model: Model) -> str | None:
    """Why this model cannot ride in a share link, or None when it can."""
    if model.source == "file":
        return ("This model came from a file with its own vocabulary, embedding or output head, which a link does not "
                "carry: send the file instead.")
    return link_problem(model.network)


def model_to_link(model: Model) -> dict[str, str]:
    """Query parameters that bring this model back: where it came from, and its weights when edited or made here."""
    if model.source == "file":
        raise ValueError(model_link_problem(model))
    params = {"model": model.source or "numbers"}
    base = model.source.split(":", 1)[0]
    if base in ("preset", "trained") and model.original is None:
        return params
    params["weights"] = weights_to_link(model.network)
    return params


def model_from_link(source: str, weights: str | None) -> Model:
    """The model a share link names, or a ValueError naming the part that is wrong."""
    base, _, rest = source.partition(":")
    if base == "preset":
        model = from_preset(rest)
    elif base == "trained":
        model = from_pretrained(rest)
    elif base in ("chars", "embed", "numbers", "task"):
        if weights is None:
            raise ValueError(f"model={source[:40]!r} needs its weights parameter")
        model = None
    else:
        raise ValueError(f"model: expected preset:…, trained:…, task:…, chars:…, embed:… or numbers, "
                         f"got {source[:40]!r}")
    if weights is None:
        return model
    try:
        network = weights_from_link(weights)
    except ValueError as e:
        raise ValueError(f"weights: {e}") from None
    if model is not None:
        if (network.input_size, network.kind) != (model.network.input_size, model.network.kind):
            raise ValueError(f"weights: a {network.kind} reading {network.input_size} inputs does not fit "
                             f"{model.label}")
        return model.edited(network, label=f"{model.label} (edited)" if "edited" not in model.label else None)
    if base == "task":
        try:
            return from_task(network, rest, f"{cells.KINDS[network.kind].LABEL} trained on the Train page "
                                            f"({rest.replace('_', ' ')})")
        except ValueError as e:
            raise ValueError(f"model: {e}") from None
    if base == "chars":
        return from_network(network, "Edited model from a link", vocabulary=rest)
    if base == "embed":
        size, _, seed = rest.partition(":")
        if not (size.isdigit() and seed.isdigit()):
            raise ValueError(f"model: expected embed:size:seed, got {source[:40]!r}")
        return from_network(network, "Edited model from a link", embedding=(int(size), int(seed)))
    return from_network(network, "Edited model from a link")
