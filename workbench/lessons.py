"""The Lessons page's stops, as data.

A stop is one idea of the deck, in the deck's order: a paragraph, the equation with the term it is
about highlighted, a ready model with an input that makes the point, the heatmaps that show it, and
one "try this" control that edits the model (or the input) so the point can be seen changing.
The page (views/lessons.py, with ui.lessons for the presenter mode) only draws what ``show`` returns.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import cells
from cells import encode, presets
from cells.dynamics import Settling, first_bit_settling, time_constant
from cells.edits import with_bias, with_weight
from cells.gradflow import GradientFlow, gradient_flow
from cells.learning.tasks import FirstBit
from cells.learning.train import load_model
from workbench import corpus_lesson, lesson_text
from workbench.corpus import load_shipped, text_models
from workbench.lesson_text import Content
from workbench.model import PRETRAINED, Model, from_network, from_preset, from_pretrained, pretrained_manifest
from workbench.model_files import from_loaded

# ----- what a stop shows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Scene:
    """The model a stop runs and the text it reads (and, for the gradient stop, the model it is compared with)."""

    model: Model
    text: str
    compare: Model | None = None


@dataclass(frozen=True)
class Knob:
    """The "try this" control: a slider whose value edits the scene."""

    label: str  # plain words: it is the slider's accessible name too, where $…$ math would be read out raw
    low: float
    high: float
    default: float
    step: float
    apply: Callable[[Scene, float], Scene]


@dataclass(frozen=True)
class Panel:
    """One figure of a stop: gate or state ``name`` of one layer and direction, or ``"gradient"``."""

    name: str
    layer: int = 0
    direction: str = "forward"
    caption: str = ""  # said above the heatmap's own title, e.g. "Layer 2"


@dataclass(frozen=True)
class Stop:
    """A stop's model, figures and control; its words are in lessons/<slug>.md (``content``), and the numbers
    they quote are filled from the stop as built (``text``)."""

    slug: str  # its URL: ?stop=<slug>, and its file: lessons/<slug>.md
    build: Callable[[], Scene]
    panels: tuple[Panel, ...]
    knob: Knob
    unit: int = 0  # the unit to outline
    cursor: int = 0  # the step the cursor starts on

    @property
    def layer(self) -> int:
        """The layer its figures show, from 0 (the first one's, where they show several)."""
        return next((p.layer for p in self.panels if p.name != "gradient"), 0)

    @property
    def content(self) -> Content:
        """The stop's file as written, placeholders and all."""
        return _content(self.slug)

    @property
    def title(self) -> str:
        return self.content.title

    @property
    def equation(self) -> str:
        """LaTeX for st.latex, the stop's term on a coloured box."""
        return self.content.equation

    @property
    def explanation(self) -> str:
        """The paragraph, its numbers filled from the stop's models."""
        return text(self).explanation

    @property
    def try_this(self) -> str:
        return text(self).try_this


@dataclass(frozen=True, eq=False)
class Shown:
    """A stop run at one knob value: everything its figures need."""

    scene: Scene
    encoded: encode.Encoded
    trace: cells.NetworkTrace
    flows: tuple[GradientFlow, ...] = ()  # gradient stop: the model's, then the compared model's


# ----- the "try this" edits -----------------------------------------------------------------------------

def edited(scene: Scene, network: cells.Network, what: str) -> Scene:
    """The scene with a new network for its model, the label saying what changed."""
    return dataclasses.replace(scene, model=scene.model.edited(network, f"{_base_label(scene.model)} ({what})"))


def _base_label(model: Model) -> str:
    return model.label.split(" (")[0]


def set_bias(gate: str, symbol: str, *, unit: int | None = None, layer: int = 0) -> Callable[[Scene, float], Scene]:
    def apply(scene: Scene, value: float) -> Scene:
        network = with_bias(scene.model.network, gate, value, unit=unit, layer=layer)
        return edited(scene, network, f"{symbol} = {value:g}")
    return apply


def set_weight(gate: str, unit: int, column: int, symbol: str) -> Callable[[Scene, float], Scene]:
    def apply(scene: Scene, value: float) -> Scene:
        return edited(scene, with_weight(scene.model.network, gate, unit, column, value), f"{symbol} = {value:g}")
    return apply


def shift_compared_forget(scene: Scene, value: float) -> Scene:
    """Move every forget-gate bias of the compared LSTM by ``value``."""
    assert scene.compare is not None
    network = with_bias(scene.compare.network, "forget", value, shift=True)
    return dataclasses.replace(scene, compare=scene.compare.edited(
        network, f"{_base_label(scene.compare)} (forget biases {value:+g})"))


def set_last_number(scene: Scene, value: float) -> Scene:
    """The input with its last number replaced by ``value``."""
    numbers = [p.strip() for p in scene.text.split(",")]
    return dataclasses.replace(scene, text=", ".join([*numbers[:-1], f"{value:g}"]))


# ----- the stops' models -------------------------------------------------------------------------------

OPEN = presets.OPEN  # σ(20) ≈ 1: a gate held open
BRACKETS = "(a(b(ab))a)(b)((a)b)"
LATCH = presets.PRESETS["latch"].sequence
NUMBERS = presets.PRESETS["remember"].sequence


def gradient_scene() -> Scene:
    rnn, lstm = from_pretrained("first_bit_rnn"), from_pretrained("first_bit_lstm")
    return Scene(rnn, FirstBit.EXAMPLE, compare=lstm)


def preset_scene(name: str) -> Callable[[], Scene]:
    def build() -> Scene:
        model = from_preset(name)
        return Scene(model, model.sequence)
    return build


def output_gate_scene() -> Scene:
    """Bracket depth in C_t, shown in h_t only on an 'a'."""
    model = from_network(presets.depth_read_on("a"), "Bracket depth, read out on 'a'", vocabulary="()ab",
                         sequence=BRACKETS, note="o_t opens only on 'a': h_t shows the depth there and is 0 elsewhere.")
    return Scene(model, BRACKETS)


def peephole_scene() -> Scene:
    """Bracket depth in C_t; the output gate looks at C_t itself."""
    network = presets.peephole_depth()
    cell = network.layers[0].forward
    P, b = float(cell.peepholes["output"][0, 0]), float(cell.biases["output"][0])  # the numbers the note quotes
    model = from_network(network, "Peephole LSTM: bracket depth, shown from depth 2", vocabulary="()ab",
                         sequence=BRACKETS, note=f"o_t = σ({P:g}·C_t − {-b:g}) reads the cell state: it opens when "
                                             "the depth is 2 or more.")
    return Scene(model, BRACKETS)


def coupled_scene() -> Scene:
    """The latch with one gate."""
    model = from_network(presets.coupled_latch(), "Coupled-gate LSTM: latch a marked value",
                         sequence=LATCH, note="The marker shuts f_t, which opens i_t = 1 − f_t.")
    return Scene(model, LATCH)


def bidirectional_scene() -> Scene:
    """The remember-forever cell in both directions."""
    model = from_network(presets.remember_both_ways(), "Bidirectional: remember in both directions",
                         sequence=NUMBERS, note="Unit 0 of C_t: forward holds the first number, backward the last.")
    return Scene(model, NUMBERS)


DEEP_THRESHOLD = presets.DEEP_THRESHOLD


def deep_scene() -> Scene:
    """Layer 1 tracks the bracket depth; layer 2 reads its h_t and counts the steps spent at depth 2 or more."""
    model = from_network(presets.deep_counter(), "Two layers: depth, then time spent deep", vocabulary="()ab",
                         sequence=BRACKETS,
                         note="Layer 2's C_t counts the steps at which layer 1 says the depth is 2 or more.")
    return Scene(model, BRACKETS)


CODE_UNIT = corpus_lesson.record()  # the unit the census found in a shipped text model (lessons/code-unit.json)


def code_unit_scene() -> Scene:
    """The shipped text model on the window of its held-out text where the census's unit shows its concept."""
    assert CODE_UNIT is not None
    entry = next(e for e in text_models() if e["name"] == CODE_UNIT["model"])
    model = from_loaded(load_shipped(entry["name"]), entry["label"])
    return Scene(dataclasses.replace(model, watch=int(CODE_UNIT["unit"])), CODE_UNIT["text"])


def code_unit_stops() -> tuple[Stop, ...]:
    """The stop of a real unit found by the census, when its record is there."""
    if CODE_UNIT is None:
        return ()
    layer, unit, bias = int(CODE_UNIT["layer"]), int(CODE_UNIT["unit"]), float(CODE_UNIT["forget_bias"])
    caption = f"Layer {layer + 1}"
    return (Stop(
        slug="code-unit",
        build=code_unit_scene,
        panels=(Panel("cell", layer=layer, caption=caption),),  # a real model's 192 units: one map fits a projector
        knob=Knob(f"Forget-gate bias of unit {unit}", float(round(bias - 10.0)), float(round(bias + 10.0)), bias, 0.5,
                  set_bias("forget", "b_f", unit=unit, layer=layer)),
        unit=unit,
        cursor=int(CODE_UNIT["cursor"]),
    ),)


FIRST_BIT_LSTM = "first_bit_lstm"


def settling_scene() -> Scene:
    """The shipped first-bit LSTM on the task's example: its watched unit's C_t holds the first bit."""
    return Scene(from_pretrained(FIRST_BIT_LSTM), FirstBit.EXAMPLE)


def settling_stops() -> tuple[Stop, ...]:
    """The stop of the first-bit LSTM's fixed points, its knob the watched unit's forget-gate bias as shipped."""
    model = from_pretrained(FIRST_BIT_LSTM)
    unit = int(model.watch or 0)
    bias = float(model.network.layers[0].forward.biases["forget"][unit])
    return (Stop(
        slug="settles",
        build=settling_scene,
        panels=(Panel("cell"), Panel("forget")),
        knob=Knob(f"Forget-gate bias of unit {unit}", float(round(bias - 8.0)), float(round(bias + 8.0)), bias, 0.5,
                  set_bias("forget", "b_f", unit=unit)),
        unit=unit,
    ),)


# ----- the stops, in the deck's order ------------------------------------------------------------------

STOPS: tuple[Stop, ...] = (
    Stop(
        slug="rnn-forgets",
        build=gradient_scene,
        panels=(Panel("gradient"), Panel("hidden", caption="Plain RNN")),
        knob=Knob("Shift of the LSTM's forget-gate biases", -6.0, 2.0, 0.0, 0.5, shift_compared_forget),
    ),
    Stop(
        slug="conveyor-belt",
        build=preset_scene("remember"),
        panels=(Panel("cell"), Panel("input")),
        knob=Knob("Forget-gate bias of unit 0", -5.0, 20.0, OPEN, 0.5, set_bias("forget", "b_f", unit=0)),
    ),
    Stop(
        slug="forget-gate",
        build=preset_scene("counter"),
        panels=(Panel("forget"), Panel("cell")),
        knob=Knob("Forget-gate bias", -10.0, 20.0, OPEN, 0.5, set_bias("forget", "b_f")),
        cursor=6,
    ),
    Stop(
        slug="input-gate",
        build=preset_scene("latch"),
        panels=(Panel("input"), Panel("candidate"), Panel("cell")),
        knob=Knob("Input-gate bias", -20.0, 20.0, -OPEN, 1.0, set_bias("input", "b_i")),
        cursor=1,
    ),
    Stop(
        slug="cell-update",
        build=preset_scene("bracket-depth"),
        panels=(Panel("candidate"), Panel("cell")),
        knob=Knob("Candidate weight on ')'", -10.0, 10.0, -presets.FULL, 1.0,
                  set_weight("candidate", 0, 1 + "()ab".index(")"), "W_C[')']")),
        cursor=4,
    ),
    Stop(
        slug="output-gate",
        build=output_gate_scene,
        panels=(Panel("output"), Panel("hidden")),
        knob=Knob("Output-gate bias", -20.0, 20.0, -OPEN, 1.0, set_bias("output", "b_o")),
        cursor=5,
    ),
    *code_unit_stops(),
    *settling_stops(),
    Stop(
        slug="gru",
        build=preset_scene("gru-latch"),
        panels=(Panel("update"), Panel("hidden")),
        knob=Knob("Update-gate bias", -20.0, 20.0, -OPEN, 1.0, set_bias("update", "b_z")),
        cursor=1,
    ),
    Stop(
        slug="peephole",
        build=peephole_scene,
        panels=(Panel("cell"), Panel("output")),
        knob=Knob("Output-gate bias", -50.0, 10.0, -1.5 * OPEN, 1.0, set_bias("output", "b_o")),
        cursor=4,
    ),
    Stop(
        slug="coupled-gate",
        build=coupled_scene,
        panels=(Panel("forget"), Panel("input"), Panel("cell")),
        knob=Knob("Forget-gate bias", -5.0, 20.0, OPEN, 0.5, set_bias("forget", "b_f")),
        cursor=1,
    ),
    Stop(
        slug="bidirectional",
        build=bidirectional_scene,
        panels=(Panel("cell", caption="Forward"), Panel("cell", direction="backward", caption="Backward")),
        knob=Knob("Last number of the input", -1.0, 1.0, -0.8, 0.1, set_last_number),
    ),
    Stop(
        slug="deep",
        build=deep_scene,
        panels=(Panel("cell", caption="Layer 1"), Panel("cell", layer=1, caption="Layer 2")),
        knob=Knob("Layer 2's input-gate bias", -100.0, 0.0, DEEP_THRESHOLD, 1.0,
                  set_bias("input", "b_i", layer=1)),
        cursor=4,
    ),
)
BY_SLUG = {stop.slug: stop for stop in STOPS}


def find(slug: object) -> Stop | None:
    """The stop called ``slug``, or None for anything else (a link may hold anything)."""
    return BY_SLUG.get(slug) if isinstance(slug, str) else None


def show(stop: Stop, value: float | None = None) -> Shown:
    """Run ``stop``'s model with its knob at ``value`` (default: the knob's default, the stop as built)."""
    scene = stop.build()
    if value is not None and value != stop.knob.default:
        scene = stop.knob.apply(scene, float(value))
    encoded = scene.model.inputs(scene.text)
    trace = scene.model.network.run(encoded.xs)
    flows: tuple[GradientFlow, ...] = ()
    if any(p.name == "gradient" for p in stop.panels):
        models = [scene.model] + ([scene.compare] if scene.compare is not None else [])
        flows = tuple(gradient_flow(m.network.layers[0].forward, m.inputs(scene.text).xs) for m in models)
    return Shown(scene, encoded, trace, flows)


def panel_trace(shown: Shown, panel: Panel) -> cells.Trace:
    return shown.trace.trace(panel.layer, panel.direction)


def knob_note(stop: Stop, value: float) -> str | None:
    """While the knob is off the stop's own value, the paragraph (written for the stop as built) no longer
    describes the charts: say so, with both values. None while it does."""
    k = stop.knob
    if value == k.default:
        return None
    return (f"{k.label} is now {value:g}, not {k.default:g}: the paragraph above describes the stop as built; "
            "the charts show the model as you set it.")


# ----- the stops' words: lessons/<slug>.md, numbers quoted from the stop's models ---------------------------

@functools.cache
def _content(slug: str) -> Content:
    return lesson_text.read(slug)


@dataclass(frozen=True)
class Text:
    """A stop's paragraph and prompt with their numbers filled in."""

    explanation: str
    try_this: str


def _shipped(name: str, part: str) -> float:
    """``accuracy`` from the manifest, or an option of the task the model was trained on (``gap``)."""
    entry = next(m for m in pretrained_manifest() if m["name"] == name)
    if part == "accuracy":
        return float(entry["accuracy"])
    options = load_model(PRETRAINED / entry["file"]).task.options()
    if part not in options:
        raise ValueError(f"{name} has an accuracy and its task's {', '.join(options)}; not {part!r}")
    return options[part]


def _parameter(stop: Stop, shown: Shown, layer: int, gate: str, what: str, column: str | None) -> float:
    """One number of layer ``layer`` (counted from 1), forward cell, the stop's unit: the gate's ``bias``, its
    ``peephole``, or its ``weight`` on an input column (a feature's name, or x1, x2 … counted from 1)."""
    network = shown.scene.model.network
    if not 1 <= layer <= len(network.layers):
        raise ValueError(f"layer{layer}: the model has layers 1 to {len(network.layers)}")
    cell = network.layers[layer - 1].forward
    if gate not in cell.GATES:
        raise ValueError(f"{cell.LABEL} has the gates {', '.join(cell.GATES)}; not {gate!r}")
    unit = stop.unit
    if what == "bias" and column is None:
        return float(cell.biases[gate][unit])
    if what == "peephole" and column is None:
        return float(cell.peepholes[gate][unit, unit])
    if what == "weight" and column is not None:
        inputs = cell.input_size
        names = list(shown.encoded.features) if layer == 1 else []
        index = names.index(column) if column in names else int(column[1:]) - 1 if column[:1] == "x" else -1
        if not 0 <= index < inputs:
            raise ValueError(f"weight: expected an input column ({', '.join(names) or 'x1 …'}), got {column!r}")
        return float(cell.weights[gate][unit, cell.state_size + index])
    raise ValueError(f"expected layer<k>.<gate>.bias, .peephole or .weight.<input>, got .{what}")


def quote(stop: Stop, shown: Shown, name: str) -> float:
    """The number a placeholder names, from the stop as built (``shown``) and the shipped models:
    ``<shipped model>.accuracy`` or ``.<its task option>``; ``knob.default`` (``.low``, ``.high``);
    ``layer<k>.<gate>.bias`` (``.peephole``, ``.weight.<input>``) of the stop's model, its unit;
    ``gradient.<kind>.first_step``, ‖∂h_T/∂h_0‖ of the stop's model of that kind; ``census.<part>``, the
    code-unit stop's record (``census_quote``)."""
    head, *rest = name.split(".")
    shipped = [m["name"] for m in pretrained_manifest()]
    if head in shipped and len(rest) == 1:
        return _shipped(head, rest[0])
    if head == "knob" and rest in (["default"], ["low"], ["high"]):
        return getattr(stop.knob, rest[0])
    if head.startswith("layer") and head[5:].isdigit() and len(rest) in (2, 3):
        return _parameter(stop, shown, int(head[5:]), rest[0], rest[1], rest[2] if len(rest) == 3 else None)
    if head == "census" and len(rest) == 1 and CODE_UNIT is not None:
        return census_quote(rest[0])
    if head == "settling":
        return settling_quote(_settling(shown), ".".join(rest))
    if head == "gradient" and len(rest) == 2 and rest[1] == "first_step":
        flow = next((f for f in shown.flows if f.kind == rest[0]), None)
        if flow is None:
            raise ValueError(f"the stop has gradients of {', '.join(f.kind for f in shown.flows) or 'no model'}")
        return float(flow.hidden[0])
    raise ValueError(f"no number is called {name!r}: expected a shipped model's (one of {', '.join(shipped)}), "
                     "knob.…, layer<k>.…, settling.… or gradient.…")


def _settling(shown: Shown) -> Settling:
    """cells.dynamics.first_bit_settling of the stop's model as built: its network and head, the shipped task."""
    model = shown.scene.model
    name = model.source.split(":", 1)[1] if model.source.startswith("trained:") else ""
    entry = next((m for m in pretrained_manifest() if m["name"] == name), None)
    if entry is None or model.readout is None:
        raise ValueError(f"settling.…: expected a stop of a shipped first-bit model, got {model.label!r}")
    trained = load_model(PRETRAINED / entry["file"])
    return first_bit_settling(dataclasses.replace(trained, network=model.network, readout=model.readout))


def settling_quote(settling: Settling, part: str) -> float:
    """A number of what the fixed-point search finds: ``points``, ``stable``, ``unstable``, or of the point
    the run with first bit b settles into, ``bit<b>.eigenvalue`` (its largest |λ|), ``bit<b>.steps`` (its time
    constant, -1 / ln|λ|) and ``bit<b>.slow`` (how many eigenvalues lie near 1)."""
    points = settling.found.points
    counts = {"points": len(points), "stable": len(settling.stable), "unstable": len(points) - len(settling.stable)}
    if part in counts:
        return float(counts[part])
    bit, _, what = part.partition(".")
    if bit in ("bit0", "bit1") and what in ("eigenvalue", "steps", "slow"):
        end = settling.ends[int(bit[3])]  # first_bit_settling's runs: first bit 0, then 1
        if end is None:
            raise ValueError(f"settling.{part}: the run whose first bit is {bit[3]} settles on no point")
        p = points[end]
        return {"eigenvalue": p.spectral_radius, "steps": time_constant(p.spectral_radius),
                "slow": float(len(p.slow()))}[what]
    raise ValueError(f"settling.{part}: expected points, stable, unstable or bit0/bit1 .eigenvalue, .steps, .slow")


def census_quote(part: str) -> float | str:
    """A number (or a phrase made of numbers and the census's names) of the code-unit stop's record."""
    r = CODE_UNIT
    assert r is not None
    entry = next(e for e in text_models() if e["name"] == r["model"])
    parts: dict[str, float | str] = {
        "unit": r["unit"], "layer": r["layer"] + 1, "score": r["score"],
        "concept": corpus_lesson.concept_label(r["concept"]), "measure": "AUC" if r["measure"] == "auc" else "r",
        "model": entry["label"], "ablation": corpus_lesson.ablation_words(r), "link": corpus_lesson.link(r),
        "bias": r["forget_bias"], "sense": corpus_lesson.sense_words(r),
        "read": corpus_lesson.text_words(r, bool(entry.get("corpus"))),
    }
    if part not in parts:
        raise ValueError(f"census.{part}: expected one of {', '.join(parts)}")
    return parts[part]


@functools.cache
def _text(slug: str) -> Text:
    stop = BY_SLUG[slug]
    shown = show(stop)
    content, where = stop.content, f"lessons/{slug}.md"
    return Text(lesson_text.fill(content.explanation, lambda n: quote(stop, shown, n), where),
                lesson_text.fill(content.try_this, lambda n: quote(stop, shown, n), where))


def text(stop: Stop) -> Text:
    """The stop's words as the page shows them: numbers filled from the stop at its knob's default."""
    return _text(stop.slug)
