"""The Compare page's panes as plain values: what a pane runs and reads, the start modes, the defaults, and
the page's share-link fields.

Each pane (``"a"`` or ``"b"``) is a full configuration: where its network comes from (drawn at random, a
preset, a shipped trained model, or the model picked on Explore/Weights), a shift of the bias of the gate
that keeps memory (``cells.edits.memory_bias``), and its input. The widgets and cached runs are ui.compare's.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import cells
from cells import encode, presets
from workbench import keys
from workbench.model import pretrained_manifest
from workbench.settings import (
    MAX_EMBED,
    MAX_HIDDEN,
    MAX_LAYERS,
    MAX_SEED,
    MAX_STEPS,
    MODES,
    Field,
    _choice,
    _flag,
    _scale,
    _text,
    _whole,
)

PANES = ("a", "b")
SOURCES = {"random": "Drawn at random", "preset": "Hand-built preset", "trained": "Trained model",
           "current": "The model from Explore/Weights"}
LINK_SOURCES = ("random", "preset", "trained", "current")  # "current": the link's model=…&weights=…
STARTS = {"models": "Same input, two models", "inputs": "Same model, two inputs",
          "weights": "Same model, two weight settings"}
VIEWS = {"side": "Side by side", "bidirectional": "Bidirectional", "deep": "Deep stack"}
MAX_SHIFT = 10.0
SHIFT_LABEL = "Extra bias to keep memory"
TRAINED = tuple(m["name"] for m in pretrained_manifest())


@dataclass(frozen=True)
class PaneNetwork:
    source: str  # one of SOURCES
    preset: str
    trained: str
    kind: str
    hidden: int
    seed: int
    scheme: str
    scale: float
    shift: float  # added to the bias of the gate that keeps memory
    bidirectional: bool
    layers: int


@dataclass(frozen=True)
class PaneInput:
    mode: str  # "onehot" | "embed" | "numbers" (networks drawn at random); models read text their own way
    text: str
    embed_size: int
    embed_seed: int


@dataclass(frozen=True, eq=False)
class PaneRun:
    label: str  # what the pane runs, for headings: "LSTM, 8 units, seed 0"
    reads: str  # how its text became inputs
    encoded: encode.Encoded
    trace: cells.NetworkTrace
    watch: int | None = None  # the unit a fixed model's note says to watch

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.encoded.tokens

    @property
    def steps(self) -> int:
        return self.encoded.steps

    @property
    def layers(self) -> int:
        return len(self.trace.layers)

    @property
    def bidirectional(self) -> bool:
        return self.trace.layers[0].backward is not None

    @property
    def hidden(self) -> int:
        return self.trace.trace(0).hidden_size

    def view(self, layer: int, direction: str) -> cells.Trace:
        """The trace of ``layer`` and ``direction``, or the nearest one this pane has."""
        return self.trace.trace(min(layer, self.layers - 1), direction)


# ----- defaults, start modes and the share link ----------------------------------------------------
PANE_DEFAULTS: dict[str, Any] = {
    "source": "random", "preset": "remember", "trained": TRAINED[0], "kind": "lstm", "hidden": 8, "seed": 0,
    "scheme": "pytorch", "scale": 1.0, "shift": 0.0, "bidirectional": False, "layers": 1, "mode": "onehot",
    "text": "hello world", "embed_size": 8, "embed_seed": 0,
}
DEFAULTS: dict[str, Any] = {
    **{keys.COMPARE.pane("a", name): value for name, value in PANE_DEFAULTS.items()},
    **{keys.COMPARE.pane("b", name): value for name, value in PANE_DEFAULTS.items()},
    keys.COMPARE.pane("b", "kind"): "gru",
    keys.COMPARE.start: "models",
    keys.COMPARE.same_input: True,
    keys.COMPARE.same_net: False,
    keys.COMPARE.view: "side",
    keys.COMPARE.view_pane: "a",
    keys.COMPARE.layer: 0,
    keys.COMPARE.direction: "forward",
    keys.COMPARE.cursor.step: 0,
    keys.COMPARE.cursor.unit: 0,
    keys.COMPARE.gate: "cell",
    keys.COMPARE.pane("a", "more"): False,  # each pane's "More settings", closed
    keys.COMPARE.pane("b", "more"): False,
    keys.COMPARE.pane("a", "unfolded"): False,  # in presenter mode, each pane's settings, folded away
    keys.COMPARE.pane("b", "unfolded"): False,
    keys.COMPARE.summary: False,  # the summary tables, one click away
}

# What each start mode sets: (pane A, pane B, shared) on top of the defaults.
START_SETTINGS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "models": ({"kind": "lstm"}, {"kind": "gru"}, {keys.COMPARE.same_input: True, keys.COMPARE.same_net: False}),
    "inputs": ({"kind": "lstm"}, {"kind": "lstm", "text": "jello world"},
               {keys.COMPARE.same_input: False, keys.COMPARE.same_net: True}),
    "weights": ({"kind": "lstm"}, {"kind": "lstm", "shift": 2.0},
                {keys.COMPARE.same_input: True, keys.COMPARE.same_net: False}),
}
MORE = ("scheme", "scale", "shift", "bidirectional")  # a drawn pane's "More settings"
START_OPENS = {"weights": ("b",)}  # the panes whose "More settings" a start mode opens: where its change is
START_NOTES = {
    "models": "Both panes read the same text; A is an LSTM and B the lecture's GRU, both with 8 units.",
    "inputs": "One network reads two texts that differ in their first character: B − A shows how far that "
              "one change travels.",
    "weights": "The same LSTM twice, but B's forget-gate bias is raised by 2: B keeps more of its memory. "
               "Try two seeds instead.",
}


def joint_vocabulary(*texts: str) -> str:
    """Every character of ``texts`` once, in first-seen order."""
    return "".join(dict.fromkeys("".join(texts)))


def describe(network: PaneNetwork) -> str:
    n = network
    shift = f", keep-memory bias {n.shift:+g}" if n.shift else ""
    if n.source != "random":
        return {"preset": f"Preset: {presets.PRESETS[n.preset].title}", "trained": n.trained,
                "current": "The model from Explore/Weights"}[n.source] + shift
    shape = f"{n.layers} layers × " if n.layers > 1 else ""
    both = "bidirectional " if n.bidirectional else ""
    return f"{cells.KINDS[n.kind].LABEL}, {shape}{both}{n.hidden} units, seed {n.seed}{shift}"


DEFAULT_NETWORK = PaneNetwork(**{f.name: PANE_DEFAULTS[f.name] for f in dataclasses.fields(PaneNetwork)})
DEFAULT_INPUT = PaneInput("onehot", "hello world", 8, 0)



# ----- the share link: its own parameter names (a_kind, b_seq, cmp_t ...) -----------------------------
GATES = ("forget", "input", "candidate", "output", "cell", "hidden", "update", "reset")


def _shift_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number from {-MAX_SHIFT:g} to {MAX_SHIFT:g}") from None
    if not (math.isfinite(value) and -MAX_SHIFT <= value <= MAX_SHIFT):
        raise ValueError(f"expected a number from {-MAX_SHIFT:g} to {MAX_SHIFT:g}")
    return value


def _pane_fields(p: str) -> tuple[Field, ...]:
    k = lambda name: keys.COMPARE.pane(p, name)  # noqa: E731
    return (
        Field(f"{p}_src", k("source"), _choice(LINK_SOURCES)),
        Field(f"{p}_preset", k("preset"), _choice(presets.PRESETS)),
        Field(f"{p}_trained", k("trained"), _choice(TRAINED)),
        Field(f"{p}_kind", k("kind"), _choice(cells.KINDS)),
        Field(f"{p}_hidden", k("hidden"), _whole(1, MAX_HIDDEN)),
        Field(f"{p}_seed", k("seed"), _whole(0, MAX_SEED)),
        Field(f"{p}_init", k("scheme"), _choice(cells.SCHEMES)),
        Field(f"{p}_scale", k("scale"), _scale, lambda v: f"{v:g}"),
        Field(f"{p}_shift", k("shift"), _shift_value, lambda v: f"{v:g}"),
        Field(f"{p}_bidir", k("bidirectional"), _flag, lambda v: "1" if v else "0"),
        Field(f"{p}_layers", k("layers"), _whole(1, MAX_LAYERS)),
        Field(f"{p}_mode", k("mode"), _choice(MODES)),
        Field(f"{p}_seq", k("text"), _text),
        Field(f"{p}_esize", k("embed_size"), _whole(1, MAX_EMBED)),
        Field(f"{p}_eseed", k("embed_seed"), _whole(0, MAX_SEED)),
    )


VIEW_FIELDS: tuple[Field, ...] = (
    Field("cmp_start", keys.COMPARE.start, _choice(STARTS)),
    Field("same_input", keys.COMPARE.same_input, _flag, lambda v: "1" if v else "0"),
    Field("same_net", keys.COMPARE.same_net, _flag, lambda v: "1" if v else "0"),
    Field("cmp_view", keys.COMPARE.view, _choice(VIEWS)),
    Field("cmp_pane", keys.COMPARE.view_pane, _choice(PANES)),
    Field("cmp_layer", keys.COMPARE.layer, _whole(0, MAX_LAYERS - 1)),
    Field("cmp_dir", keys.COMPARE.direction, _choice(("forward", "backward"))),
    Field("cmp_gate", keys.COMPARE.gate, _choice(GATES)),
)
CURSOR_FIELDS: tuple[Field, ...] = (
    Field("cmp_t", keys.COMPARE.cursor.step, _whole(0, MAX_STEPS - 1)),
    Field("cmp_unit", keys.COMPARE.cursor.unit, _whole(0, MAX_HIDDEN - 1)),
)
FIELDS: tuple[Field, ...] = (*_pane_fields("a"), *_pane_fields("b"), *VIEW_FIELDS, *CURSOR_FIELDS)
SETTING_FIELDS = tuple(f for f in FIELDS if f not in CURSOR_FIELDS)
