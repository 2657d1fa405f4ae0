"""Share links of models: where a model came from, and small weights as one query-string value."""

from __future__ import annotations

import base64
import dataclasses
import math
import zlib
from dataclasses import dataclass

import numpy as np

import cells
from cells.activations import GATE_ACTIVATIONS
from workbench.model import Model, from_network, from_preset, from_pretrained, from_task

LINK_MAX_HIDDEN = 8
LINK_MAX_CHARS = 8_000  # longest weights parameter written or read
_LINK_VERSION = "w1"  # kind, layers, directions, H, I, hidden-bias gates, numbers: gates squashed by σ
_LINK_VERSION_ACTIVATION = "w2"  # the same, with the gate activation after the kind (a hard sigmoid)


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
    if network.gate_activation == "mixed":
        return "This model's cells differ in their gate activation; download the model file and send that instead."
    return None


def weights_to_link(network: cells.Network) -> str:
    """The weights as one query-string value: a short header, then base64 of zlib'd float32 numbers.

    The header names the gate activation when it is not σ ("w2.lstm.hard_sigmoid.…"); a σ network's link is
    the first version's, so links written before the activation rode along read as they did."""
    problem = link_problem(network)
    if problem:
        raise ValueError(problem)
    first = network.layers[0].forward
    hidden_gates = tuple(g for g in first.GATES if g in (first.hidden_biases or {}))
    numbers = [np.asarray(getattr(cell, field)[gate], np.float32).ravel()
               for cell in _link_cells(network) for field, gate, _ in _link_parameters(cell, hidden_gates)]
    payload = base64.urlsafe_b64encode(zlib.compress(np.concatenate(numbers).tobytes(), 9)).decode().rstrip("=")
    gates = "".join(str(first.GATES.index(g)) for g in hidden_gates) or "-"
    activation = network.gate_activation
    named = [] if activation == "sigmoid" else [activation]
    header = [_LINK_VERSION if not named else _LINK_VERSION_ACTIVATION, network.kind, *named,
              str(len(network.layers)), "2" if network.bidirectional else "1",
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
    activation = "sigmoid"
    if len(parts) == 9 and parts[0] == _LINK_VERSION_ACTIVATION:
        activation = parts.pop(2)
        if activation not in GATE_ACTIVATIONS:
            raise ValueError(f"gate activation: expected one of {', '.join(GATE_ACTIVATIONS)}, got "
                             f"{activation[:20]!r}")
    elif len(parts) != 8 or parts[0] != _LINK_VERSION:
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
    network = cells.Network(tuple(cells.Layer(*pair) for pair in per_layer))
    if activation == "sigmoid":
        return network
    try:
        return network.with_gate_activation(activation)
    except ValueError as e:
        raise ValueError(f"gate activation: {e}") from None


def _file_only(model: Model) -> bool:
    """Whether the model has parts only its file carries: a vocabulary or embedding of its own, or an output head
    (a link carries the recurrent weights alone)."""
    return model.source == "file" or (model.loaded is not None and model.loaded.head is not None)


def model_link_problem(model: Model) -> str | None:
    """Why this model cannot ride in a share link, or None when it can."""
    if _file_only(model):
        return ("This model came from a file with its own vocabulary, embedding or output head, which a link does not "
                "carry: send the file instead.")
    return link_problem(model.network)


def model_to_link(model: Model) -> dict[str, str]:
    """Query parameters that bring this model back: where it came from, and its weights when edited or made here."""
    if _file_only(model):
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


# ----- the Weights page's own settings: the step, the knobs, the clamp and the weights before any edit ---------------
PAGE_PARAMS = ("wstep", "knobs", "clamp", "orig")
_KNOB_RANGES = {"scale": (0.1, 3.0), "shift": (-10.0, 10.0)}  # workbench.weights' SCALE_RANGE and SHIFT_RANGE
_DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class Knob:
    """One gate's knob as the page applied it: "scale" multiplies its matrix, "shift" adds to its bias."""

    what: str
    layer: int
    direction: str
    gate: str
    value: float


@dataclass(frozen=True)
class Clamp:
    """The page's clamp: ``gate`` held at ``value`` for ``units`` (empty: all) at steps first..last."""

    gate: str
    value: float
    units: tuple[int, ...]
    first: int
    last: int


@dataclass(frozen=True)
class PageLink:
    """What the Weights page keeps in its link beside the model (``model_to_link``): the step its cursor is at,
    the knobs it has applied (already in the weights: the link says where each knob stands), the clamp, and the
    weights before any edit, for "Reset" (when the model's source cannot give them back)."""

    step: int | None = None
    knobs: tuple[Knob, ...] = ()
    clamp: Clamp | None = None
    original: cells.Network | None = None


def _number(text: str) -> float:
    value = float(text)  # ValueError for what is not a number
    if not math.isfinite(value):
        raise ValueError
    return value


def page_to_query(page: PageLink) -> dict[str, str]:
    """The query parameters (of PAGE_PARAMS) that say ``page``; a setting at its default is left out."""
    out = {}
    if page.step:
        out["wstep"] = str(int(page.step))
    knobs = [k for k in page.knobs if k.value != (1.0 if k.what == "scale" else 0.0)]
    if knobs:
        out["knobs"] = ",".join(f"{k.what}~{k.layer}~{k.direction}~{k.gate}~{k.value:g}" for k in knobs)
    if page.clamp is not None:
        c = page.clamp
        out["clamp"] = f"{c.gate}~{c.value:g}~{'-'.join(map(str, c.units))}~{c.first}~{c.last}"
    if page.original is not None and link_problem(page.original) is None:
        out["orig"] = weights_to_link(page.original)
    return out


def page_from_query(params: dict[str, str]) -> tuple[PageLink, list[str]]:
    """The page's settings a link gives, and what was wrong (each wrong part is left out, the rest kept)."""
    errors: list[str] = []
    step = None
    if "wstep" in params:
        text = params["wstep"]
        if isinstance(text, str) and text.isdigit() and len(text) <= 6:
            step = int(text)
        else:
            errors.append(f"wstep: expected a step number, got {str(text)[:20]!r}")
    knobs = []
    for part in (params.get("knobs") or "").split(",")[:64] if isinstance(params.get("knobs"), str) else []:
        if not part:
            continue
        fields = part.split("~")
        try:
            what, layer, direction, gate, value = fields
            low, high = _KNOB_RANGES[what]
            if not (layer.isdigit() and int(layer) < 8 and direction in _DIRECTIONS and gate.isalpha()
                    and len(gate) <= 20):
                raise ValueError
            number = _number(value)
            if not low <= number <= high:
                raise ValueError
        except (ValueError, KeyError):
            errors.append(f"knobs: {part[:40]!r} is not what, layer, direction, gate and a value in its range")
            continue
        knobs.append(Knob(what, int(layer), direction, gate, number))
    clamp = None
    if isinstance(params.get("clamp"), str):
        try:
            gate, value, units, first, last = params["clamp"].split("~")
            number = _number(value)
            unit_list = tuple(int(u) for u in units.split("-")) if units else ()
            if not (gate.isalpha() and len(gate) <= 20 and -1.0 <= number <= 1.0 and first.isdigit()
                    and last.isdigit() and int(first) <= int(last) and all(0 <= u < 1024 for u in unit_list)):
                raise ValueError
            clamp = Clamp(gate, number, unit_list, int(first), int(last))
        except ValueError:
            errors.append(f"clamp: {params['clamp'][:40]!r} is not gate, value, units, first and last step")
    original = None
    if "orig" in params:
        try:
            original = weights_from_link(params["orig"])
        except ValueError as e:
            errors.append(f"orig: {e}")
    return PageLink(step, tuple(knobs), clamp, original), errors
