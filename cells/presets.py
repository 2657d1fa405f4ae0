"""Hand-set weights that make a cell do one readable thing, no training needed.

Each preset is a small network (one layer, one direction) whose gates are driven into saturation
by large biases and weights (σ(20) = 1 − 2·10⁻⁹, σ(−20) = 2·10⁻⁹, tanh(10) = 1 − 4·10⁻⁹), so each
gate is either open or shut and the heatmaps read like a circuit diagram. Values that must be
remembered sit in the LSTM cell state C_t, which is unbounded, or in the GRU's h_t as the tanh of
the value. Every preset comes with a sequence that shows its behaviour and the unit to watch.

Units are counted from 0, as the heatmaps label them. Weight columns follow the deck's
[h_{t-1}, x_t]: the H hidden columns first, then one column per input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cells.cell import Cell
from cells.edits import with_bias, with_weight
from cells.encode import Encoded, one_hot, parse_numbers
from cells.gru import GRU
from cells.layers import Layer, Network
from cells.lstm import LSTM, CoupledLSTM, PeepholeLSTM

OPEN = 20.0  # a sigmoid pre-activation that opens a gate: σ(20) = 1 − 2·10⁻⁹
FULL = 10.0  # a tanh pre-activation that gives a candidate of 1: tanh(10) = 1 − 4·10⁻⁹

Gates = Mapping[str, tuple[Mapping[tuple[int, int], float], Mapping[int, float]]]


@dataclass(frozen=True, eq=False)
class Preset:
    """A named, hand-built network with a paragraph on why it works and an input that shows it."""

    name: str  # slug, the key in PRESETS
    title: str
    kind: str  # "lstm" or "gru"
    explanation: str  # one paragraph: why these weights give this behaviour, naming the gate values
    sequence: str  # a ready input that shows the behaviour
    mode: Literal["onehot", "numbers"]
    vocabulary: str | None  # the one-hot columns the weights expect (None in numbers mode)
    watch: str  # one line: which unit and gate to look at
    build: Callable[[], Network]

    def __post_init__(self) -> None:
        if self.mode not in ("onehot", "numbers"):
            raise ValueError(f"preset {self.name}: mode must be 'onehot' or 'numbers', got {self.mode!r}")
        if (self.mode == "onehot") != (self.vocabulary is not None):
            raise ValueError(f"preset {self.name}: a vocabulary goes with one-hot mode, and only with it")

    def inputs(self, text: str | None = None) -> Encoded:
        """``text`` (default: the preset's own sequence) encoded the way the weights expect."""
        text = self.sequence if text is None else text
        if self.mode == "onehot":
            return one_hot(text, vocabulary=self.vocabulary)
        return parse_numbers(text)


def _network(cls: type[Cell], hidden: int, inputs: int, gates: Gates) -> Network:
    """A one-layer network of one ``cls`` cell; every weight and bias is 0 except those in ``gates``.

    ``gates[g] = ({(unit, column): weight}, {unit: bias})`` with columns over [h_{t-1}, x_t].
    """
    weights = {g: np.zeros((hidden, hidden + inputs)) for g in cls.GATES}  # (H, H + I)
    biases = {g: np.zeros(hidden) for g in cls.GATES}  # (H,)
    for gate, (entries, bias) in gates.items():
        for (unit, column), w in entries.items():
            weights[gate][unit, column] = w
        for unit, b in bias.items():
            biases[gate][unit] = b
    return Network((Layer(cls(weights=weights, biases=biases)),))


# ----- LSTM ------------------------------------------------------------------------------------------

def remember() -> Network:
    """Unit 0 writes tanh(x_1) into C at the first step and holds it; unit 1 is the "written" flag.

    Columns [h0, h1, x]. i_t = σ(20 − 60·h_{t-1}[1]) is open only while the flag's h is 0.
    """
    shut_after_first = ({(0, 1): -60.0, (1, 1): -60.0}, {0: OPEN, 1: OPEN})
    return _network(LSTM, 2, 1, {
        "forget": ({}, {0: OPEN, 1: OPEN}),
        "input": shut_after_first,
        "candidate": ({(0, 2): 1.0}, {1: FULL}),  # unit 0: tanh(x_t), unit 1: 1
        "output": ({}, {0: OPEN, 1: OPEN}),
    })


def forget() -> Network:
    """f_t ≈ 0 and i_t ≈ 1: C_t = tanh(x_t), nothing carried over. Columns [h, x]."""
    return _network(LSTM, 1, 1, {
        "forget": ({}, {0: -OPEN}),
        "input": ({}, {0: OPEN}),
        "candidate": ({(0, 1): 1.0}, {}),
        "output": ({}, {0: OPEN}),
    })


def latch() -> Network:
    """C_t = tanh(value at the last marker). Inputs [value, marker]; columns [h, value, marker]."""
    return _network(LSTM, 1, 2, {
        "forget": ({(0, 2): -2 * OPEN}, {0: OPEN}),  # shut on a marker, open otherwise
        "input": ({(0, 2): 2 * OPEN}, {0: -OPEN}),  # open on a marker, shut otherwise
        "candidate": ({(0, 1): 1.0}, {}),
        "output": ({}, {0: OPEN}),
    })


def counter(target: str = "a", vocabulary: str = "ab") -> Network:
    """C_t = how many ``target`` characters have been read so far (one-hot over ``vocabulary``)."""
    if len(target) != 1 or target not in vocabulary:
        raise ValueError(f"counter target: expected one character of {vocabulary!r}, got {target!r}")
    j = 1 + vocabulary.index(target)  # its column, after the one hidden column
    return _network(LSTM, 1, len(vocabulary), {
        "forget": ({}, {0: OPEN}),
        "input": ({(0, j): 2 * OPEN}, {0: -OPEN}),
        "candidate": ({(0, j): FULL}, {}),
        "output": ({}, {0: OPEN}),
    })


def bracket_depth(vocabulary: str = "()ab") -> Network:
    """C_t = (number of '(' so far) − (number of ')' so far): the nesting depth."""
    if "(" not in vocabulary or ")" not in vocabulary:
        raise ValueError(f"bracket-depth vocabulary: expected it to hold '(' and ')', got {vocabulary!r}")
    up, down = 1 + vocabulary.index("("), 1 + vocabulary.index(")")
    return _network(LSTM, 1, len(vocabulary), {
        "forget": ({}, {0: OPEN}),
        "input": ({(0, up): 2 * OPEN, (0, down): 2 * OPEN}, {0: -OPEN}),
        "candidate": ({(0, up): FULL, (0, down): -FULL}, {}),
        "output": ({}, {0: OPEN}),
    })


# ----- GRU (deck form: z_t is the share of the new candidate) ---------------------------------------

GRU_COUNT_STEP = -3.0  # z_t = σ(−3) ≈ 0.047 on a counted character


def gru_remember() -> Network:
    """Unit 0 takes tanh(x_1) at the first step and keeps it; unit 1 is the "written" flag.

    Columns [h0, h1, x]. z_t = σ(20 − 60·h_{t-1}[1]) is 1 only while the flag's h is 0.
    """
    return _network(GRU, 2, 1, {
        "update": ({(0, 1): -60.0, (1, 1): -60.0}, {0: OPEN, 1: OPEN}),
        "candidate": ({(0, 2): 1.0}, {1: FULL}),
    })


def gru_forget() -> Network:
    """z_t ≈ 1: h_t = h̃_t = tanh(x_t). Columns [h, x]."""
    return _network(GRU, 1, 1, {
        "update": ({}, {0: OPEN}),
        "candidate": ({(0, 1): 1.0}, {}),
    })


def gru_latch() -> Network:
    """h_t = tanh(value at the last marker). Inputs [value, marker]; columns [h, value, marker]."""
    return _network(GRU, 1, 2, {
        "update": ({(0, 2): 2 * OPEN}, {0: -OPEN}),
        "candidate": ({(0, 1): 1.0}, {}),
    })


def gru_counter(target: str = "a", vocabulary: str = "ab") -> Network:
    """h_t = 1 − (1 − σ(−3))^n after n ``target`` characters: each one closes 4.7% of the gap to 1."""
    if len(target) != 1 or target not in vocabulary:
        raise ValueError(f"counter target: expected one character of {vocabulary!r}, got {target!r}")
    j = 1 + vocabulary.index(target)
    return _network(GRU, 1, len(vocabulary), {
        "update": ({(0, j): OPEN + GRU_COUNT_STEP}, {0: -OPEN}),
        "candidate": ({(0, j): FULL}, {}),
    })


def gru_count_value(n: np.ndarray | int) -> np.ndarray:
    """What the GRU counter's h_t is after ``n`` counted characters: 1 − (1 − σ(−3))^n."""
    z = 1.0 / (1.0 + np.exp(-GRU_COUNT_STEP))
    return 1.0 - (1.0 - z) ** np.asarray(n, dtype=np.float64)


# ----- the registry ----------------------------------------------------------------------------------

_NUMBERS = "0.8, -0.5, 0.3, -0.9, 0.1, 0.6, -0.2, 0.7, -0.4, 0.9, 0, -0.6, 0.5, -0.1, 0.2, -0.8"
_FORGET_NUMBERS = "0.8, 0.8, 0.8, -0.5, -0.5, 0, 0, 0.9, -0.9, 0.3, 0.3, 0.3, -0.7, 0.6"
_LATCH_NUMBERS = "0.3 0; 0.8 1; -0.2 0; 0.5 0; 0.1 0; -0.6 1; 0.1 0; 0.9 0; -0.3 0; 0.4 1; 0 0; -0.7 0"
_COUNT_TEXT = "abbabaaabbbaabab"
_BRACKETS = "(a(b(ab))a)(b)((a)b)"

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset(
        name="remember",
        title="LSTM: remember forever",
        kind="lstm",
        explanation=(
            "Unit 0 stores the first number it reads and never lets go. Its forget gate has bias +20, so "
            "f_t = σ(20) ≈ 0.999999998 at every step and C_{t−1} passes on almost untouched. Its input gate is "
            "i_t = σ(20 − 60·h_{t−1}) with h_{t−1} of unit 1, a flag that says \"already written\". At the first "
            "step every h_0 is 0, so both input gates are open (i_1 ≈ 1): unit 0 writes its candidate "
            "C̃_1 = tanh(x_1) and unit 1 writes C̃_1 = tanh(10) ≈ 1, which raises its h to tanh(1) ≈ 0.76. From "
            "then on the input gates get 20 − 60·0.76 ≈ −26, so i_t ≈ 7·10⁻¹²: nothing new gets in and C_t stays "
            "tanh(x_1) however long the sequence. The output gate's bias +20 keeps o_t ≈ 1, so h_t = tanh(C_t) "
            "is flat too."
        ),
        sequence=_NUMBERS,
        mode="numbers",
        vocabulary=None,
        watch="Cell state C_t, unit 0: it holds tanh(x_1) flat; the input gate i_t is open only at the first step.",
        build=remember,
    ),
    Preset(
        name="forget",
        title="LSTM: forget everything",
        kind="lstm",
        explanation=(
            "The forget gate's bias of −20 gives f_t = σ(−20) ≈ 2·10⁻⁹, so C_{t−1} is wiped at every step. The "
            "input gate's bias +20 opens i_t ≈ 1, and the candidate C̃_t = tanh(x_t) (weight 1 on x, nothing on "
            "h) goes straight in: C_t = f_t·C_{t−1} + i_t·C̃_t ≈ tanh(x_t). The cell state shows only the current "
            "input, so two sequences that end on the same number end in the same C_t, whatever came before. "
            "The output gate's bias +20 gives o_t ≈ 1 and h_t = tanh(C_t)."
        ),
        sequence=_FORGET_NUMBERS,
        mode="numbers",
        vocabulary=None,
        watch="Forget gate f_t is 0 everywhere; cell state C_t, unit 0, copies tanh(x_t) step by step.",
        build=forget,
    ),
    Preset(
        name="latch",
        title="LSTM: latch a marked value",
        kind="lstm",
        explanation=(
            "Each step reads two numbers: a value and a marker (1 to store, 0 to hold). The marker drives two "
            "gates in opposite directions: the forget gate is f_t = σ(20 − 40·marker) and the input gate "
            "i_t = σ(−20 + 40·marker). Without a marker f_t = σ(20) ≈ 0.999999998 and i_t = σ(−20) ≈ 2·10⁻⁹, "
            "so C_t keeps what it had; on a marker f_t = σ(−20) ≈ 2·10⁻⁹ wipes the old value and i_t ≈ 1 writes "
            "the candidate C̃_t = tanh(value). So C_t = tanh(value at the last marker) until the next marker "
            "replaces it, and 0 before the first. A marker between 0 and 1 half-opens both gates and blends old "
            "and new."
        ),
        sequence=_LATCH_NUMBERS,
        mode="numbers",
        vocabulary=None,
        watch="Cell state C_t, unit 0: it changes only at steps whose marker is 1, where f_t and i_t flip.",
        build=latch,
    ),
    Preset(
        name="counter",
        title="LSTM: count the a's",
        kind="lstm",
        explanation=(
            "The forget gate's bias +20 keeps f_t ≈ 0.999999998 at every step, so C_t never leaks. The input gate "
            "has bias −20 and weight +40 on the 'a' column: i_t ≈ 1 on an 'a' and ≈ 2·10⁻⁹ on a 'b'. The "
            "candidate has weight +10 on 'a', so C̃_t = tanh(10) ≈ 1 when an 'a' arrives. Each 'a' therefore adds "
            "i_t·C̃_t ≈ 1 to the cell state, and C_t = the number of a's so far. The hidden state "
            "h_t = o_t·tanh(C_t), with o_t ≈ 1, squashes the count and tells counts apart only up to about 3; "
            "read the count in C_t, which is unbounded."
        ),
        sequence=_COUNT_TEXT,
        mode="onehot",
        vocabulary="ab",
        watch="Cell state C_t, unit 0: it steps up by 1 at each 'a'; the input gate i_t lights up only on 'a'.",
        build=counter,
    ),
    Preset(
        name="bracket-depth",
        title="LSTM: bracket depth",
        kind="lstm",
        explanation=(
            "The cell state is the nesting depth. The forget gate's bias +20 gives f_t = σ(20) ≈ 0.999999998 at "
            "every step, which keeps the running total. The input gate opens on either bracket: bias −20 "
            "plus +40 on the '(' and ')' columns gives i_t ≈ 1 on a bracket and ≈ 2·10⁻⁹ on a letter. The "
            "candidate has +10 on '(' and −10 on ')', so C̃_t = tanh(±10) ≈ ±1: '(' adds 1 to C_t, ')' takes 1 "
            "away, and letters leave it alone. So C_t = depth, going below 0 if a ')' comes before its '('. The hidden "
            "state h_t = tanh(C_t) (o_t ≈ 1) flattens out beyond depth 2 or 3; C_t does not."
        ),
        sequence=_BRACKETS,
        mode="onehot",
        vocabulary="()ab",
        watch="Cell state C_t, unit 0: it rises at '(' and falls at ')'; the candidate C̃_t is +1 or −1 there.",
        build=bracket_depth,
    ),
    Preset(
        name="gru-remember",
        title="GRU: remember forever",
        kind="gru",
        explanation=(
            "In the lecture's GRU, h_t = (1 − z_t)·h_{t−1} + z_t·h̃_t: z_t is the share of the new candidate, so a "
            "GRU remembers when z_t ≈ 0. Unit 1 is an \"already written\" flag, and both units' update gates are "
            "z_t = σ(20 − 60·h_{t−1}) with h_{t−1} of unit 1. At the first step h_0 = 0, so z_1 ≈ 1: unit 0 takes "
            "its candidate h̃_1 = tanh(x_1) and unit 1 takes h̃_1 = tanh(10) ≈ 1. From the second step on "
            "z_t = σ(20 − 60) ≈ 4·10⁻¹⁸, so 1 − z_t ≈ 1 keeps h_{t−1} and unit 0 holds h_t = tanh(x_1) for good. "
            "The reset gate, r_t = σ(0) = 0.5, plays no part: the candidate has no weights on the hidden state."
        ),
        sequence=_NUMBERS,
        mode="numbers",
        vocabulary=None,
        watch="Hidden state h_t, unit 0: it holds tanh(x_1) flat; the update gate z_t is 1 only at the first step.",
        build=gru_remember,
    ),
    Preset(
        name="gru-forget",
        title="GRU: forget everything",
        kind="gru",
        explanation=(
            "The update gate's bias +20 makes z_t = σ(20) ≈ 0.999999998, the share of the new candidate, so "
            "h_t = (1 − z_t)·h_{t−1} + z_t·h̃_t ≈ h̃_t = tanh(x_t): the old hidden state keeps a share of only "
            "1 − z_t ≈ 2·10⁻⁹, and the GRU forgets everything at every step. The reset gate, r_t = σ(0) = 0.5, "
            "does nothing, as the candidate has no weights on the hidden state."
        ),
        sequence=_FORGET_NUMBERS,
        mode="numbers",
        vocabulary=None,
        watch="Update gate z_t is 1 everywhere; hidden state h_t, unit 0, follows tanh(x_t).",
        build=gru_forget,
    ),
    Preset(
        name="gru-latch",
        title="GRU: latch a marked value",
        kind="gru",
        explanation=(
            "Each step reads a value and a marker (1 to store, 0 to hold). The update gate is "
            "z_t = σ(−20 + 40·marker): on a marker z_t = σ(20) ≈ 0.999999998 and h_t becomes the candidate "
            "h̃_t = tanh(value); without one z_t = σ(−20) ≈ 2·10⁻⁹ and 1 − z_t ≈ 1 keeps h_{t−1}. So "
            "h_t = tanh(value at the last marker), and 0 before the first. One gate does the work of the LSTM's "
            "forget and input gates, because the GRU ties them: what it keeps (1 − z_t) and what it takes in "
            "(z_t) add up to 1. The reset gate, r_t = σ(0) = 0.5, plays no part."
        ),
        sequence=_LATCH_NUMBERS,
        mode="numbers",
        vocabulary=None,
        watch="Hidden state h_t, unit 0: it changes only at steps whose marker is 1, where z_t turns on.",
        build=gru_latch,
    ),
    Preset(
        name="gru-counter",
        title="GRU: count the a's on a curve",
        kind="gru",
        explanation=(
            "A GRU has no unbounded cell state: h_t stays between −1 and 1, so it cannot count by adding 1. It "
            "can count on a curve instead. The update gate has bias −20 and weight +17 on the 'a' column, so on "
            "an 'a' z_t = σ(−3) ≈ 0.047 and the candidate, with weight +10 on 'a', is h̃_t = tanh(10) ≈ 1: "
            "h_t = 0.953·h_{t−1} + 0.047 closes 4.7% of the gap to 1. On a 'b' z_t = σ(−20) ≈ 2·10⁻⁹ and h_t "
            "stays. After n a's h_t = 1 − 0.953ⁿ: about 0.047 per 'a' at first, slower near 1, and always rising "
            "with the count, so the count can be read back as n = log(1 − h_t) / log(0.953)."
        ),
        sequence=_COUNT_TEXT,
        mode="onehot",
        vocabulary="ab",
        watch="Hidden state h_t, unit 0: it climbs a little at each 'a' and stays flat on 'b'; z_t ≈ 0.047 on 'a'.",
        build=gru_counter,
    ),
)}


def preset(name: str) -> Preset:
    """The preset called ``name``, or a ValueError listing the names there are."""
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"preset {name!r}: expected one of {', '.join(PRESETS)}") from None


# ----- the lessons' hand-wired networks (each one stop's point; cells.edits makes the "try this" changes) -----
DEEP_THRESHOLD = -87.0  # layer 2's input bias in deep_counter: 100·tanh(depth) − 87 > 0 from depth 2 on


def depth_read_on(letter: str = "a", vocabulary: str = "()ab") -> Network:
    """Bracket depth in C_t, shown in h_t only on ``letter``: o_t = σ(−20 + 40·[x = letter])."""
    network = with_bias(bracket_depth(vocabulary), "output", -OPEN)
    return with_weight(network, "output", 0, 1 + vocabulary.index(letter), 2 * OPEN)


def peephole_depth(vocabulary: str = "()ab") -> Network:
    """Bracket depth in C_t; the output gate looks at C_t itself: o_t = σ(20·C_t − 30), open from depth 2."""
    plain = bracket_depth(vocabulary).layers[0].forward
    cell = PeepholeLSTM(
        weights=plain.weights, biases={**plain.biases, "output": np.array([-1.5 * OPEN])},
        peepholes={"forget": np.zeros((1, 1)), "input": np.zeros((1, 1)), "output": np.array([[OPEN]])},
    )
    return Network((Layer(cell),))


def coupled_latch() -> Network:
    """The latch with one gate: f_t = σ(20 − 40·marker), i_t = 1 − f_t. Inputs [value, marker]."""
    z = np.zeros
    cell = CoupledLSTM(
        weights={"forget": np.array([[0.0, 0.0, -2 * OPEN]]), "candidate": np.array([[0.0, 1.0, 0.0]]),
                 "output": z((1, 3))},
        biases={"forget": np.array([OPEN]), "candidate": z(1), "output": np.array([OPEN])},
    )
    return Network((Layer(cell),))


def remember_both_ways() -> Network:
    """The remember-forever cell in both directions: forward holds the first number, backward the last."""
    cell = remember().layers[0].forward
    return Network((Layer(cell, cell),))


def deep_counter(threshold: float = DEEP_THRESHOLD) -> Network:
    """Layer 1 tracks the bracket depth; layer 2 reads its h_t = tanh(depth) and counts the steps at which
    100·tanh(depth) + ``threshold`` > 0 (depth 2 or more for the default)."""
    counter = LSTM(
        weights={"forget": np.zeros((1, 2)), "input": np.array([[0.0, 100.0]]), "candidate": np.zeros((1, 2)),
                 "output": np.zeros((1, 2))},
        biases={"forget": np.array([OPEN]), "input": np.array([threshold]),
                "candidate": np.array([FULL]), "output": np.array([OPEN])},
    )
    return Network((*bracket_depth().layers, Layer(counter)))
