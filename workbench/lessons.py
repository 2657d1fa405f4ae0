"""The Lessons page's stops, as data.

A stop is one idea of the deck, in the deck's order: a paragraph, the equation with the term it is
about highlighted, a ready model with an input that makes the point, the heatmaps that show it, and
one "try this" control that edits the model (or the input) so the point can be seen changing.
The page (views/lessons.py, with ui.lessons for the presenter mode) only draws what ``show`` returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import cells
from cells import encode, presets
from cells.edits import with_bias, with_weight
from cells.gradflow import GradientFlow, gradient_flow
from cells.learning.tasks import FirstBit
from workbench.model import Model, from_network, from_preset, from_pretrained

HIGHLIGHT = "#ffe27a"  # the colour behind the term a stop is about


def mark(tex: str) -> str:
    """``tex`` on a coloured box: the term of the equation this stop is about."""
    return rf"\colorbox{{{HIGHLIGHT}}}{{$\displaystyle {tex}$}}"


CONCAT = r"[h_{t-1}, x_t]"


def lines(*rows: str) -> str:
    """Equations on rows of their own, centred, so a long set fits a projector's width."""
    return r"\begin{gathered} " + r" \\[6pt] ".join(rows) + r" \end{gathered}"


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
    slug: str  # its URL: ?stop=<slug>
    title: str
    explanation: str
    equation: str  # LaTeX for st.latex, the stop's term inside mark()
    build: Callable[[], Scene]
    panels: tuple[Panel, ...]
    try_this: str
    knob: Knob
    unit: int = 0  # the unit to outline
    cursor: int = 0  # the step the cursor starts on


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
    model = from_network(presets.peephole_depth(), "Peephole LSTM: bracket depth, shown from depth 2",
                         vocabulary="()ab", sequence=BRACKETS,
                         note="o_t = σ(20·C_t − 30) reads the cell state: it opens when the depth is 2 or more.")
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


# ----- the stops, in the deck's order ------------------------------------------------------------------

STOPS: tuple[Stop, ...] = (
    Stop(
        slug="rnn-forgets",
        title="Why plain RNNs forget",
        explanation=(
            "Training sends the error back through time. To learn from step t, the gradient at the end is "
            "multiplied by one Jacobian for every step in between. In a plain RNN each factor is "
            "$\\operatorname{diag}(1 - h_k^2)\\,W_h$, usually smaller than 1, so the product shrinks geometrically:"
            " 50 steps back it is around 10⁻¹⁸, and the first input can no longer teach the network anything. "
            "Both models were trained to recall the first bit after 50 more: the RNN is at chance (46%), the LSTM"
            " gets every sequence right. Along its cell state each step multiplies by $f_t$, which it learned to "
            "keep near 1, so its gradient $\\lVert \\partial C_T / \\partial C_t \\rVert$ does not vanish."
        ),
        equation=(r"h_t = \tanh(W_h h_{t-1} + W_x x_t + b) \qquad \frac{\partial h_T}{\partial h_t} = "
                  r"\prod_{k=t+1}^{T} " + mark(r"\operatorname{diag}(1 - h_k^2)\, W_h")),
        build=gradient_scene,
        panels=(Panel("gradient"), Panel("hidden", caption="Plain RNN")),
        try_this=("Shift every forget-gate bias of the LSTM by −4: $f_t$ drops far below 1 and its gradient "
                  "vanishes like the RNN's."),
        knob=Knob("Shift of the LSTM's forget-gate biases", -6.0, 2.0, 0.0, 0.5, shift_compared_forget),
    ),
    Stop(
        slug="conveyor-belt",
        title="The cell state: a conveyor belt",
        explanation=(
            "The LSTM keeps a second state, $C_t$, that runs along the whole sequence like a conveyor belt. Only "
            "two light operations touch it at each step: a multiplication by the forget gate and the addition of "
            "new content. Nothing squashes it, so with $f_t$ ≈ 1 and $i_t$ ≈ 0 whatever sits on the belt arrives "
            "at the last step untouched, and so does its gradient. In this preset unit 0 puts the first number, "
            "$\\tanh(x_1)$, on the belt (its input gate is open only at step 0) and carries it to the end."
        ),
        equation=mark("C_t") + r" = f_t * " + mark("C_{t-1}") + r" + i_t * \tilde{C}_t",
        build=preset_scene("remember"),
        panels=(Panel("cell"), Panel("input")),
        try_this=("Lower unit 0's forget-gate bias from 20 to 2: $f_t$ = σ(2) ≈ 0.88, and the stored number leaks"
                  " off the belt a little at every step."),
        knob=Knob("Forget-gate bias of unit 0", -5.0, 20.0, OPEN, 0.5, set_bias("forget", "b_f", unit=0)),
    ),
    Stop(
        slug="forget-gate",
        title="The forget gate",
        explanation=(
            "$f_t$ holds one number between 0 and 1 per unit and step: the share of the old cell state that is "
            "kept. 1 keeps everything, 0 wipes it. It is computed from $h_{t-1}$ and $x_t$ like any layer, so a "
            "network can learn when to forget: at a full stop, at a new sentence. Here the forget gate is held "
            "open by a bias of +20, so $f_t$ ≈ 1 and $C_t$ counts the a's: each 'a' adds 1 and nothing leaks "
            "away."
        ),
        equation=(mark("f_t") + r" = \sigma(W_f \cdot " + CONCAT + " + " + mark("b_f") + r") \qquad C_t = "
                  + mark("f_t") + r" * C_{t-1} + i_t * \tilde{C}_t"),
        build=preset_scene("counter"),
        panels=(Panel("forget"), Panel("cell")),
        try_this=("Set the forget-gate bias to −3: $f_t$ = σ(−3) ≈ 0.05, the cell keeps 5% of its count at each "
                  "step, and $C_t$ fades back to 0 after every 'a'."),
        knob=Knob("Forget-gate bias", -10.0, 20.0, OPEN, 0.5, set_bias("forget", "b_f")),
        cursor=6,
    ),
    Stop(
        slug="input-gate",
        title="The input gate and the candidate",
        explanation=(
            "Writing comes in two parts. The candidate $\\tilde{C}_t$ = tanh(…) proposes new content between −1 "
            "and 1; the input gate $i_t$, between 0 and 1, decides how much of it goes into the cell. "
            "Because what to write and whether to write are separate, a cell can ignore most of its input. Here "
            "each step reads a value and a marker: the marker alone opens $i_t$ (bias −20, weight +40 on the "
            "marker), so only marked values are written (and the forget gate, shut by the same marker, clears the "
            "old one)."
        ),
        equation=lines(mark("i_t") + r" = \sigma(W_i \cdot " + CONCAT + r" + b_i) \qquad " + mark(r"\tilde{C}_t")
                       + r" = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
                       r"C_t = f_t * C_{t-1} + " + mark(r"i_t * \tilde{C}_t")),
        build=preset_scene("latch"),
        panels=(Panel("input"), Panel("candidate"), Panel("cell")),
        try_this=("Raise the input-gate bias $b_i$ from −20 to +20: the gate opens at every step, and every "
                  "value, marked or not, is added into $C_t$."),
        knob=Knob("Input-gate bias", -20.0, 20.0, -OPEN, 1.0, set_bias("input", "b_i")),
        cursor=1,
    ),
    Stop(
        slug="cell-update",
        title="The cell update",
        explanation=(
            "The new cell state is the sum of what is kept, $f_t \\cdot C_{t-1}$, and what is written, $i_t \\cdot "
            "\\tilde{C}_t$. Because it is a sum and not a squashing function, $C_t$ can count without limit. In "
            "this preset $f_t$ ≈ 1 keeps the running total, $i_t$ opens on either bracket, and the candidate is "
            "+1 for '(' and −1 for ')': $C_t$ is the nesting depth, and letters leave it alone."
        ),
        equation=r"C_t = " + mark(r"f_t * C_{t-1}") + " + " + mark(r"i_t * \tilde{C}_t"),
        build=preset_scene("bracket-depth"),
        panels=(Panel("candidate"), Panel("cell")),
        try_this=("Turn the candidate's weight on ')' from −10 to +10: closing brackets now add 1 instead of "
                  "taking it away, and $C_t$ counts brackets instead of measuring depth."),
        knob=Knob("Candidate weight on ')'", -10.0, 10.0, -presets.FULL, 1.0,
                  set_weight("candidate", 0, 1 + "()ab".index(")"), "W_C[')']")),
        cursor=4,
    ),
    Stop(
        slug="output-gate",
        title="The output gate",
        explanation=(
            "The cell state is private memory; $h_t$ is what the cell shows: to the next layer, to the readout "
            "and to itself at the next step. The output gate decides, per unit, how much of tanh($C_t$) to show. "
            "Here $C_t$ tracks the bracket depth as before, but $o_t$ opens only on the letter 'a' (bias −20, "
            "weight +40 on 'a'): $h_t$ is 0 almost everywhere and reports the depth only when an 'a' asks, while "
            "$C_t$ keeps counting underneath."
        ),
        equation=(mark("o_t") + r" = \sigma(W_o \cdot " + CONCAT + r" + b_o) \qquad h_t = " + mark("o_t")
                  + r" * \tanh(C_t)"),
        build=output_gate_scene,
        panels=(Panel("output"), Panel("hidden")),
        try_this=("Raise the output-gate bias $b_o$ from −20 to +20: the gate stays open and $h_t$ shows the "
                  "depth at every step, not only at the a's."),
        knob=Knob("Output-gate bias", -20.0, 20.0, -OPEN, 1.0, set_bias("output", "b_o")),
        cursor=5,
    ),
    Stop(
        slug="gru",
        title="The GRU: two gates do the work of three",
        explanation=(
            "The GRU folds the cell state into $h_t$ and needs two gates. The update gate $z_t$ does the work of "
            "the LSTM's forget and input gates at once: it keeps $1 - z_t$ of the old state and takes $z_t$ of "
            "the candidate, so keeping and writing always add up to 1. The reset gate $r_t$ decides how much of "
            "$h_{t-1}$ the candidate may look at. This GRU latches marked values like the input-gate stop, with "
            "one gate where the LSTM used two: the marker opens $z_t$."
        ),
        equation=lines(mark("z_t") + r" = \sigma(W_z \cdot " + CONCAT + r") \qquad " + mark("r_t")
                       + r" = \sigma(W_r \cdot " + CONCAT + ")",
                       r"\tilde{h}_t = \tanh(W \cdot [" + mark("r_t") + r" * h_{t-1}, x_t]) \qquad h_t = (1 - "
                       + mark("z_t") + r") * h_{t-1} + " + mark("z_t") + r" * \tilde{h}_t"),
        build=preset_scene("gru-latch"),
        panels=(Panel("update"), Panel("hidden")),
        try_this=("Raise the update-gate bias $b_z$ from −20 to +20: $z_t$ ≈ 1 at every step, the GRU takes every"
                  " new candidate, and $h_t$ just follows tanh(value)."),
        knob=Knob("Update-gate bias", -20.0, 20.0, -OPEN, 1.0, set_bias("update", "b_z")),
        cursor=1,
    ),
    Stop(
        slug="peephole",
        title="LSTM variant: peephole connections",
        explanation=(
            "In the lecture's LSTM the gates see $h_{t-1}$ and $x_t$ but never the cell state itself: a cell whose "
            "output gate was shut cannot tell what it holds. Peephole connections add a weight from C to each "
            "gate: $f_t$ and $i_t$ look at $C_{t-1}$, $o_t$ at the new $C_t$. Here the output gate reads the "
            "bracket depth straight from the cell, $o_t = \\sigma(20\\,C_t - 30)$, so $h_t$ speaks only while the "
            "depth is 2 or more."
        ),
        equation=lines(r"o_t = \sigma(W_o \cdot " + CONCAT + " + " + mark(r"P_o\, C_t") + r" + b_o)",
                       r"f_t = \sigma(W_f \cdot " + CONCAT + " + " + mark(r"P_f\, C_{t-1}") + r" + b_f)"),
        build=peephole_scene,
        panels=(Panel("cell"), Panel("output")),
        try_this=("Set the output-gate bias $b_o$ from −30 to −10: $o_t = \\sigma(20\\,C_t - 10)$ now opens from "
                  "depth 1."),
        knob=Knob("Output-gate bias", -50.0, 10.0, -1.5 * OPEN, 1.0, set_bias("output", "b_o")),
        cursor=4,
    ),
    Stop(
        slug="coupled-gate",
        title="LSTM variant: the coupled gate",
        explanation=(
            "The coupled LSTM ties the input gate to the forget gate: $i_t = 1 - f_t$. The share of old memory "
            "that is dropped is exactly the share of the candidate that is written, as with the GRU's $z_t$: one "
            "gate fewer to learn. This cell latches marked values like the input-gate stop with a single gate: "
            "the marker shuts $f_t$, which opens $i_t$."
        ),
        equation=(r"C_t = f_t * C_{t-1} + " + mark(r"(1 - f_t)") + r" * \tilde{C}_t \qquad " + mark("i_t")
                  + r" = 1 - f_t"),
        build=coupled_scene,
        panels=(Panel("forget"), Panel("input"), Panel("cell")),
        try_this=("Set the forget-gate bias $b_f$ from 20 to 0: between markers $f_t$ = $i_t$ = 0.5, and $C_t$ "
                  "becomes a running average of the values."),
        knob=Knob("Forget-gate bias", -5.0, 20.0, OPEN, 0.5, set_bias("forget", "b_f")),
        cursor=1,
    ),
    Stop(
        slug="bidirectional",
        title="Bidirectional RNNs",
        explanation=(
            "A cell reading left to right knows only the past. A bidirectional layer adds a second cell that "
            "reads the sequence from its end and puts both hidden states side by side at every step, so each "
            "position sees its whole context. Both cells here are the remember-forever preset: the forward cell "
            "holds the first number from step 0 on, the backward cell holds the last number, which it read first."
            " At step 0 the layer already knows how the sequence ends."
        ),
        equation=lines(r"\overrightarrow{h}_t = \mathrm{cell}(\overrightarrow{h}_{t-1}, x_t) \qquad "
                       r"\overleftarrow{h}_t = \mathrm{cell}(\overleftarrow{h}_{t+1}, x_t)",
                       r"y_t = [" + mark(r"\overrightarrow{h}_t") + ", " + mark(r"\overleftarrow{h}_t") + "]"),
        build=bidirectional_scene,
        panels=(Panel("cell", caption="Forward"), Panel("cell", direction="backward", caption="Backward")),
        try_this=("Change the last number of the input: the backward cell's $C_t$ changes at every step, from "
                  "step 0 on, while the forward cell's does not move."),
        knob=Knob("Last number of the input", -1.0, 1.0, -0.8, 0.1, set_last_number),
    ),
    Stop(
        slug="deep",
        title="Deep RNNs",
        explanation=(
            "Stacking layers feeds one layer's $h_t$ to the next as its input, so each layer builds on what the "
            "one below has worked out. Layer 1 is the bracket-depth LSTM and reports $h_t$ = tanh(depth). Layer 2"
            " never sees a bracket: it reads layer 1's $h_t$ and counts the steps spent at depth 2 or more, a "
            "question about the depth, which exists only once layer 1 has computed it."
        ),
        equation=(r"h^{(1)}_t = \mathrm{LSTM}(h^{(1)}_{t-1}, x_t) \qquad h^{(2)}_t = "
                  r"\mathrm{LSTM}(h^{(2)}_{t-1}, " + mark("h^{(1)}_t") + ")"),
        build=deep_scene,
        panels=(Panel("cell", caption="Layer 1"), Panel("cell", layer=1, caption="Layer 2")),
        try_this=("Set layer 2's input-gate bias from −87 to −70: it now opens from depth 1 (100·tanh(1) − 70 > "
                  "0) and counts every step inside a bracket."),
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
