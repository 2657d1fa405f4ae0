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
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

import cells
from cells import encode, interop, presets
from cells.readout import Readout
from cells.tasks import TASKS, Task, make_task
from cells.train import load_model

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
    """A few steps any model of this kind can read: its characters, or a one-hot walk in numbers."""
    if vocabulary:
        return vocabulary * max(1, 12 // len(vocabulary))
    if embedding is not None:
        return "hello world"
    return "; ".join(" ".join("1" if j == t % size else "0" for j in range(size)) for t in range(max(size, 6)))


def from_network(network: cells.Network, label: str, *, vocabulary: str | None = None, sequence: str = "",
                 note: str = "", embedding: tuple[int, int] | None = None) -> Model:
    """A model of any network: one-hot over ``vocabulary`` when given, characters embedded with
    ``embedding = (size, seed)`` when given, else typed numbers. Without a ``sequence`` it gets a
    small one it can read."""
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
    """A model shipped in assets/pretrained (made by ``python -m cells.train``)."""
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
MAX_UPLOAD_BYTES = 5_000_000
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


def _open_npz(data: bytes) -> dict[str, np.ndarray]:
    """Every array of an untrusted .npz: no pickles, nothing that unpacks beyond the cap."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
            if sum(m.file_size for m in members) > MAX_UPLOAD_BYTES:
                raise ValueError(f"its arrays unpack to more than {MAX_UPLOAD_BYTES:,} bytes")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
        raise ValueError("not a .npz file: not a zip archive, or truncated") from None
    except ValueError as e:
        message = str(e)
        if "pickle" in message:
            message = "an array holds Python objects (a pickle), never loaded"
        raise ValueError(f"not a readable .npz: {message}") from None


def _torch_layout(arrays: dict[str, np.ndarray]) -> tuple[str, int, bool]:
    """Kind, layers and bidirectional read off a PyTorch state_dict's keys and shapes."""
    hh = arrays.get("weight_hh_l0")
    if not isinstance(hh, np.ndarray) or hh.ndim != 2 or hh.shape[1] == 0 or hh.shape[0] % hh.shape[1]:
        raise ValueError("PyTorch state_dict: weight_hh_l0 must be a (gates·hidden, hidden) matrix, got "
                         + (f"shape {hh.shape}" if isinstance(hh, np.ndarray) else "none"))
    gates = hh.shape[0] // hh.shape[1]
    if gates not in (3, 4):
        raise ValueError(f"PyTorch state_dict: weight_hh_l0 has {gates} gate blocks; nn.LSTM has 4, nn.GRU 3")
    numbers = [int(m.group(1)) for key in arrays if (m := re.fullmatch(r"\w+?_l(\d+)(_reverse)?", key))]
    return ("lstm" if gates == 4 else "gru"), max(numbers) + 1, any(k.endswith("_reverse") for k in arrays)


def _from_keras_arrays(arrays: dict[str, np.ndarray], kind: str | None, reset_after: bool | None) -> cells.Network:
    pattern = re.compile(r"layer(\d+)\.(forward|backward)\.(kernel|recurrent_kernel|bias)")
    found: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    for key, a in arrays.items():
        m = pattern.fullmatch(key)
        if m is None:
            raise ValueError(f"Keras arrays: unexpected key {key!r}; expected layer{{k}}.forward.kernel, "
                             "recurrent_kernel and bias")
        found.setdefault(int(m.group(1)), {}).setdefault(m.group(2), {})[m.group(3)] = a
    if sorted(found) != list(range(len(found))):
        raise ValueError(f"Keras arrays: layers must be numbered 0, 1, …, got {sorted(found)}")
    layers = []
    for k in range(len(found)):
        if "forward" not in found[k]:
            raise ValueError(f"Keras arrays: layer{k} has no forward arrays")
        directions = []
        for direction in ("forward", "backward"):
            parts = found[k].get(direction)
            if parts is None:
                continue
            missing = [n for n in ("kernel", "recurrent_kernel") if n not in parts]
            if missing:
                raise ValueError(f"Keras arrays: layer{k}.{direction} is missing {', '.join(missing)}")
            rk, bias = parts["recurrent_kernel"], parts.get("bias")
            this_kind = kind
            if this_kind is None:
                if rk.ndim != 2 or rk.shape[0] == 0 or rk.shape[1] not in (3 * rk.shape[0], 4 * rk.shape[0]):
                    raise ValueError(f"Keras arrays: layer{k}.{direction}.recurrent_kernel must be (units, 3·units) "
                                     f"for a GRU or (units, 4·units) for an LSTM, got {rk.shape}")
                this_kind = "lstm" if rk.shape[1] == 4 * rk.shape[0] else "gru"
            after = reset_after if reset_after is not None else not (bias is not None and bias.ndim == 1)
            try:
                layer = cells.from_keras(this_kind, parts["kernel"], rk, bias, reset_after=after)
            except ValueError as e:
                raise ValueError(f"Keras arrays, layer{k}.{direction}: {e}") from None
            directions.append(layer.forward)
        try:
            layers.append(cells.Layer(*directions))
        except ValueError as e:
            raise ValueError(f"Keras arrays, layer{k}: {e}") from None
    try:
        return cells.Network(tuple(layers))
    except ValueError as e:
        raise ValueError(f"Keras arrays: {e}") from None


def detect_format(name: str, data: bytes) -> str:
    """Which of FORMATS an upload is, from its name and (for .npz) its array names."""
    if name.lower().endswith(".json"):
        return "json"
    if not name.lower().endswith(".npz"):
        raise ValueError(f"{name}: expected a .npz or .json file")
    keys = set(_open_npz(data))
    if cells.storage.META_KEY in keys:
        return "npz"
    if any(k.startswith(("weight_ih", "weight_hh")) for k in keys):
        return "torch"
    if any(k.endswith(KERAS_NAMES) for k in keys):
        return "keras"
    listed = ", ".join(sorted(keys)[:6]) or "no arrays"
    raise ValueError(f"{name}: not a Gatescope, PyTorch or Keras weight file (it holds {listed})")


def load_upload(name: str, data: bytes, *, kind: str | None = None, layers: int | None = None,
                bidirectional: bool | None = None, reset_after: bool | None = None,
                vocabulary: str | None = None) -> Model:
    """A Model from an uploaded file's bytes, or a ValueError naming what is wrong with it.

    Gatescope .npz/JSON carry everything. A PyTorch state_dict's kind ("lstm"/"gru"), layers and
    directions, and Keras' kind and ``reset_after``, are read off its keys and shapes unless given.
    The model reads one-hot ``vocabulary`` when it is given, else typed numbers.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"{name}: expected the file's bytes")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{name}: {len(data):,} bytes is over the limit of {MAX_UPLOAD_BYTES:,}")
    fmt = detect_format(name, bytes(data))
    if fmt == "npz":
        network = cells.load_npz(bytes(data), max_bytes=MAX_UPLOAD_BYTES)
    elif fmt == "json":
        network = cells.from_json(bytes(data), max_bytes=MAX_UPLOAD_BYTES)
    elif fmt == "torch":
        arrays = _open_npz(bytes(data))
        guessed_kind, guessed_layers, guessed_bidir = _torch_layout(arrays)
        try:
            network = cells.from_torch(kind or guessed_kind, arrays, num_layers=layers or guessed_layers,
                                       bidirectional=guessed_bidir if bidirectional is None else bidirectional)
        except ValueError as e:
            raise ValueError(f"PyTorch {e}") from None
    else:
        network = _from_keras_arrays(_open_npz(bytes(data)), kind, reset_after)
    if vocabulary:
        return from_network(network, f"Uploaded: {name}", vocabulary=vocabulary)
    return from_network(network, f"Uploaded: {name}")


# ----- share links: small models ride in the query string -------------------------------------
LINK_MAX_HIDDEN = 8
LINK_MAX_CHARS = 8_000  # longest weights parameter written or read
_LINK_VERSION = "w1"


def _link_cells(network: cells.Network) -> list[cells.Cell]:
    return [cell for layer in network.layers for cell in layer.cells]


def _link_parameters(cell: cells.Cell, hidden_gates: tuple[str, ...]) -> list[tuple[str, str, tuple[int, ...]]]:
    """(field, gate, shape) of every parameter of a cell like this one, in link order."""
    H, I = cell.hidden_size, cell.input_size
    out = [("weights", g, (H, H + I)) for g in cell.GATES] + [("biases", g, (H,)) for g in cell.GATES]
    out += [("hidden_biases", g, (H,)) for g in hidden_gates]
    out += [("peepholes", g, (H, H)) for g in getattr(cell, "PEEPHOLES", ())]
    return out


def link_problem(network: cells.Network) -> str | None:
    """Why these weights cannot ride in a share link, or None when they can."""
    if network.hidden_size > LINK_MAX_HIDDEN:
        return (f"This model has hidden size {network.hidden_size}; share links carry weights up to hidden size "
                f"{LINK_MAX_HIDDEN}. Download the model file and send that instead.")
    if network.kind == "mixed" or len({c.hidden_size for c in _link_cells(network)}) != 1:
        return "This model mixes cell kinds or sizes; download the model file and send that instead."
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


def model_to_link(model: Model) -> dict[str, str]:
    """Query parameters that bring this model back: where it came from, and its weights when edited or made here."""
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
