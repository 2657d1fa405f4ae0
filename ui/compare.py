"""The Compare page's panes: widget groups returning plain values, cached runs, start modes, share link.

Each pane (``"a"`` or ``"b"``) is a full configuration: where its network comes from (drawn at
random, a preset, a shipped trained model, or the model picked on Explore/Weights), a shift of the
bias of the gate that keeps memory, and its input. Runs are cached on plain values, so moving the
shared cursor never runs a network again; a pane whose settings fail keeps its last view that worked.
The share link of these settings is ui.compare_link.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

import cells
from cells import encode, presets
from ui import keys
from ui.controls import number_box
from ui.engine import encode_sequence, run_fixed, run_network
from ui.gateview import CursorKeys as GateCursorKeys
from ui.handoff import receive
from ui.literal import literal
from ui.model import Model, current_model, from_preset, from_pretrained, pretrained_manifest
from ui.sequence_input import sequence_box
from ui.settings import (
    MAX_EMBED,
    MAX_HIDDEN,
    MAX_LAYERS,
    MAX_SCALE,
    MAX_SEED,
    MAX_STEPS,
    MAX_TEXT,
    MIN_SCALE,
    MODES,
    SCHEME_LABELS,
)
from viz.compare import gate_summary, half_life_table, layer_summary, shown_summary

PANES = ("a", "b")
SOURCES = {"random": "Drawn at random", "preset": "Hand-built preset", "trained": "Trained model",
           "current": "The model from Explore/Weights"}
LINK_SOURCES = ("random", "preset", "trained", "current")  # "current": the link's model=…&weights=…
STARTS = {"models": "Same input, two models", "inputs": "Same model, two inputs",
          "weights": "Same model, two weight settings"}
VIEWS = {"side": "Side by side", "bidirectional": "Bidirectional", "deep": "Deep stack"}
MAX_SHIFT = 10.0
SHIFT_LABEL = "Extra bias to keep memory"
SIDE_CURSOR = GateCursorKeys(step=keys.CMP_STEP, unit=keys.CMP_UNIT, start=keys.CMP_CURSOR_START,
                             reported=keys.CMP_REPORTED)
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
    **{keys.pane("a", name): value for name, value in PANE_DEFAULTS.items()},
    **{keys.pane("b", name): value for name, value in PANE_DEFAULTS.items()},
    keys.pane("b", "kind"): "gru",
    keys.CMP_START: "models",
    keys.CMP_SAME_INPUT: True,
    keys.CMP_SAME_NET: False,
    keys.CMP_VIEW: "side",
    keys.CMP_VIEW_PANE: "a",
    keys.CMP_LAYER: 0,
    keys.CMP_DIRECTION: "forward",
    keys.CMP_STEP: 0,
    keys.CMP_UNIT: 0,
    keys.CMP_GATE: "cell",
    keys.pane("a", "more"): False,  # each pane's "More settings", closed
    keys.pane("b", "more"): False,
    keys.pane("a", "unfolded"): False,  # in presenter mode, each pane's settings, folded away
    keys.pane("b", "unfolded"): False,
    keys.CMP_SUMMARY: False,  # the summary tables, one click away
}

# What each start mode sets: (pane A, pane B, shared) on top of the defaults.
START_SETTINGS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "models": ({"kind": "lstm"}, {"kind": "gru"}, {keys.CMP_SAME_INPUT: True, keys.CMP_SAME_NET: False}),
    "inputs": ({"kind": "lstm"}, {"kind": "lstm", "text": "jello world"},
               {keys.CMP_SAME_INPUT: False, keys.CMP_SAME_NET: True}),
    "weights": ({"kind": "lstm"}, {"kind": "lstm", "shift": 2.0},
                {keys.CMP_SAME_INPUT: True, keys.CMP_SAME_NET: False}),
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


def set_defaults() -> None:
    """The page's widget defaults, set once per session (and again after Streamlit drops a hidden widget's key)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, list(value) if isinstance(value, list) else value)


def take_handoff() -> None:
    """A model another page handed to Compare goes into pane A, with its text and its unit to watch."""
    parcel = receive("compare")
    if parcel is None:
        return
    ss = st.session_state
    ss[keys.pane("a", "source")] = "current"
    ss[keys.pane("a", "text")] = parcel.text
    ss[keys.pane("a", "shift")] = 0.0
    ss[keys.CMP_SAME_NET] = False
    ss[keys.CMP_STEP] = parcel.step or 0
    if parcel.unit is not None:
        ss[keys.CMP_UNIT] = parcel.unit


def _start(mode: str | None = None) -> None:
    """Fill both panes with a start mode's settings (the start-mode radio's callback)."""
    mode = mode or st.session_state[keys.CMP_START]
    a, b, shared = START_SETTINGS[mode]
    for p, extra in (("a", a), ("b", b)):
        for name, value in {**PANE_DEFAULTS, **extra}.items():
            st.session_state[keys.pane(p, name)] = value
    st.session_state.update(shared)
    st.session_state[keys.CMP_STEP] = 0
    for p in START_OPENS.get(mode, ()):
        st.session_state[keys.pane(p, "more")] = True


# ----- widgets ---------------------------------------------------------------------------------------
def start_controls() -> tuple[bool, bool]:
    """The start-mode radio and the two links between the panes; returns (same input, same network)."""
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.radio("Start from", list(STARTS), format_func=STARTS.get, key=keys.CMP_START, horizontal=True,
               on_change=_start, help="Sets both panes to a ready comparison; change anything afterwards.")
    with right:
        same_input = st.toggle("B reads A's input", key=keys.CMP_SAME_INPUT)
        same_net = st.toggle("B runs A's network", key=keys.CMP_SAME_NET)
    return bool(same_input), bool(same_net)


def start_note() -> str | None:
    """The start mode's note while both panes are still as that mode set them (the note describes those
    settings, so any change makes it untrue); None after a change."""
    ss = st.session_state
    mode = ss[keys.CMP_START]
    a, b, shared = START_SETTINGS[mode]
    for p, extra in (("a", a), ("b", b)):
        if any(ss.get(keys.pane(p, name)) != value for name, value in {**PANE_DEFAULTS, **extra}.items()):
            return None
    if any(ss.get(key) != value for key, value in shared.items()):
        return None
    return START_NOTES[mode]


def _fill_model_text(p: str) -> None:
    """A model chosen for a pane brings its own example text."""
    ss = st.session_state
    model = _model(ss[keys.pane(p, "source")], ss[keys.pane(p, "preset")], ss[keys.pane(p, "trained")])
    if model is not None and model.sequence:
        ss[keys.pane(p, "text")] = model.sequence


def network_controls(p: str) -> PaneNetwork:
    """Where pane ``p``'s network comes from, and its settings."""
    k = lambda name: keys.pane(p, name)  # noqa: E731
    sources = [s for s in SOURCES if s != "current" or current_model() is not None]
    if st.session_state[k("source")] not in sources:
        st.session_state[k("source")] = "random"
    source = st.selectbox("Network", sources, format_func=SOURCES.get, key=k("source"),
                          on_change=_fill_model_text, args=(p,))
    shift_help = ("Added to the bias of the gate that keeps memory, so a positive number keeps more of the old "
                  "state: the LSTM's forget gate; for a GRU its keep share (the lecture's z_t bias goes down, the "
                  "PyTorch/Keras z_t bias up). A plain RNN has no such gate.")
    if source == "random":
        st.selectbox("Cell", list(cells.KINDS), format_func=lambda name: cells.KINDS[name].LABEL, key=k("kind"))
        c1, c2, c3 = st.columns(3)
        number_box(c1, f"Units (1–{MAX_HIDDEN})", 1, MAX_HIDDEN, k("hidden"), step=1)
        number_box(c2, "Seed", 0, MAX_SEED, k("seed"), step=1)
        number_box(c3, f"Layers (1–{MAX_LAYERS})", 1, MAX_LAYERS, k("layers"), step=1)
        # The settings changed less often wait in an expander whose title says their values; closed, its
        # widgets are not drawn at all (a lazy expander), so the pane costs its run and its screen less.
        more = st.expander(more_title(p), key=k("more"), on_change="rerun")
        if more.open:
            with more:
                c1, c2 = st.columns([3, 2])
                c1.selectbox("Starting weights", list(cells.SCHEMES), format_func=SCHEME_LABELS.get,
                             key=k("scheme"), help="How the random weights are drawn.")
                number_box(c2, "Weight scale", MIN_SCALE, MAX_SCALE, k("scale"), step=0.1, format="%.2f")
                c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
                number_box(c1, SHIFT_LABEL, -MAX_SHIFT, MAX_SHIFT, k("shift"), step=0.5, format="%.1f",
                           help=shift_help)
                c2.toggle("Bidirectional", key=k("bidirectional"))
    else:
        if source == "preset":
            st.selectbox("Preset", list(presets.PRESETS), format_func=lambda n: presets.PRESETS[n].title,
                         key=k("preset"), on_change=_fill_model_text, args=(p,))
        elif source == "trained":
            labels = {m["name"]: m["label"] for m in pretrained_manifest()}
            st.selectbox("Trained model", list(TRAINED), format_func=labels.get, key=k("trained"),
                         on_change=_fill_model_text, args=(p,))
        number_box(st, SHIFT_LABEL, -MAX_SHIFT, MAX_SHIFT, k("shift"), step=0.5, format="%.1f", help=shift_help)
    return pane_network(p)


def pane_network(p: str) -> PaneNetwork:
    """Pane ``p``'s network settings as they stand (what its widgets hold, drawn or not)."""
    ss = st.session_state
    k = lambda name: keys.pane(p, name)  # noqa: E731
    return PaneNetwork(ss[k("source")], ss[k("preset")], ss[k("trained")], ss[k("kind")], int(ss[k("hidden")]),
                       int(ss[k("seed")]), ss[k("scheme")], float(ss[k("scale")]), float(ss[k("shift")]),
                       bool(ss[k("bidirectional")]), int(ss[k("layers")]))


def pane_input(p: str) -> PaneInput:
    """Pane ``p``'s input settings as they stand."""
    ss = st.session_state
    k = lambda name: keys.pane(p, name)  # noqa: E731
    return PaneInput(ss[k("mode")], ss[k("text")], int(ss[k("embed_size")]), int(ss[k("embed_seed")]))


def open_more_if_set(p: str) -> None:
    """Open pane ``p``'s "More settings" when one of them is not at its default (a link set it)."""
    ss = st.session_state
    if any(ss.get(keys.pane(p, name), PANE_DEFAULTS[name]) != PANE_DEFAULTS[name] for name in MORE):
        ss[keys.pane(p, "more")] = True


def more_title(p: str) -> str:
    """The title of pane ``p``'s "More settings": what they hold now, so a closed one hides no value."""
    ss = st.session_state
    k = lambda name: keys.pane(p, name)  # noqa: E731
    scale, shift = float(ss[k("scale")]), float(ss[k("shift")])
    return (f"More: {SCHEME_LABELS.get(ss[k('scheme')], ss[k('scheme')])} × {scale:.2f} · memory bias {shift:+.1f} · "
            f"{'bidirectional' if ss[k('bidirectional')] else 'one direction'}")


def _newline(reads: str) -> str:
    """What a line break means in a pane's box: a new step for numbers, a ⏎ step for characters."""
    return "step" if reads.startswith("numbers") else "character"


def input_controls(p: str, network: PaneNetwork, reads_like: PaneInput | None = None) -> PaneInput:
    """Pane ``p``'s text, and how it is read when the network is drawn at random; ``reads_like`` (A's input,
    when B runs A's network) fixes how, so both texts become inputs of one size."""
    k = lambda name: keys.pane(p, name)  # noqa: E731
    ss = st.session_state
    if network.source == "random" and reads_like is not None:
        st.caption(f"Read as A reads: {MODES[reads_like.mode]}.")
        text = sequence_box("Input", k("text"), max_chars=MAX_TEXT, newline=_newline(reads_like.mode),
                            help=f"Up to {MAX_STEPS:,} steps. The text applies as you type; Enter applies it at once.")
        return dataclasses.replace(reads_like, text=text)
    if network.source == "random":
        reads = st.radio("Read the text as", list(MODES), format_func=MODES.get, key=k("mode"), horizontal=True)
    else:
        model = _model(network.source, network.preset, network.trained)
        st.caption(f"This model reads {model.reads}." if model else "")
        reads = model.reads if model else ""
    sequence_box("Input", k("text"), max_chars=MAX_TEXT, newline=_newline(reads),
                 help=f"Up to {MAX_STEPS:,} steps. One character per step, or numbers in numbers mode. The text "
                      "applies as you type; Enter applies it at once.")
    if network.source == "random" and ss[k("mode")] == "embed":
        c1, c2 = st.columns(2)
        number_box(c1, "Embedding size", 1, MAX_EMBED, k("embed_size"), step=1)
        number_box(c2, "Embedding seed", 0, MAX_SEED, k("embed_seed"), step=1)
    return pane_input(p)


def pane_controls(p: str, network: PaneNetwork | None = None, given_input: PaneInput | None = None,
                  a_input: PaneInput | None = None) -> tuple[PaneNetwork, PaneInput]:
    """Pane ``p``'s whole configuration; a ``network`` or ``given_input`` given (A's, when B is linked to it)
    is used as it is, without widgets. With A's network, B reads its own text the way A does (``a_input``)."""
    reads_like = None
    if network is not None:
        st.caption(f"Network: the same as A's ({_describe(network)}).")
        reads_like = a_input
    else:
        network = network_controls(p)
    if given_input is not None:
        st.caption(f"Input: the same as A's, '{literal(given_input.text, 40)}'.")
    else:
        given_input = input_controls(p, network, reads_like)
    return network, given_input


def pane_settings(p: str, network: PaneNetwork | None = None, given_input: PaneInput | None = None,
                  a_input: PaneInput | None = None) -> tuple[PaneNetwork, PaneInput]:
    """What ``pane_controls`` returns, read from the settings without drawing a widget (a folded pane)."""
    linked = network is not None  # B runs A's network
    network = network if linked else pane_network(p)
    if given_input is None:
        given_input = pane_input(p)
        if linked and network.source == "random" and a_input is not None:
            given_input = dataclasses.replace(a_input, text=given_input.text)  # B on A's network reads as A does
    return network, given_input


def folded_title(p: str, network: PaneNetwork, given: PaneInput) -> str:
    """A folded pane's title: what it runs, and on what."""
    return f"Pane {p.upper()}: {_describe(network)} · '{literal(given.text, 24)}'"  # drawn as Markdown: as typed


Pane = tuple[PaneNetwork, PaneInput]


def panes(same_input: bool, same_net: bool, *, folded: bool) -> tuple[Pane, Pane, dict[str, Any]]:
    """Both panes' settings side by side, B linked to A as the two switches say: each in a bordered box (returned
    by pane, for the caption the page writes under it), or, ``folded`` (presenter mode: a projector shows the
    gates), in a lazy expander titled with what the pane runs, its widgets drawn only once it is opened."""
    left, right = st.columns(2)

    def b_of(a: Pane, draw: bool) -> Pane:
        linked = (a[0] if same_net else None, a[1] if same_input else None, a[1])
        return pane_controls("b", *linked) if draw else pane_settings("b", *linked)

    if not folded:
        boxes = {"a": left.container(border=True), "b": right.container(border=True)}
        with boxes["a"]:
            st.markdown("**Pane A**")
            a = pane_controls("a")
        with boxes["b"]:
            st.markdown("**Pane B**")
            b = b_of(a, draw=True)
        return a, b, boxes
    a = pane_settings("a")
    b = b_of(a, draw=False)
    folds = {p: column.expander(folded_title(p, *settings), key=keys.pane(p, "unfolded"), on_change="rerun")
             for p, column, settings in (("a", left, a), ("b", right, b))}
    if folds["a"].open:
        with folds["a"]:
            a = pane_controls("a")
    if folds["b"].open:
        with folds["b"]:
            b = b_of(a, draw=True)
    return a, b, {}


# ----- models and cached runs -----------------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner=False)
def _named_model(source: str, name: str) -> Model:
    return from_preset(name) if source == "preset" else from_pretrained(name)


def _model(source: str, preset: str, trained: str) -> Model | None:
    """The fixed model a pane shows, or None for networks drawn at random."""
    if source == "preset":
        return _named_model("preset", preset)
    if source == "trained":
        return _named_model("trained", trained)
    if source == "current":
        return current_model()
    return None


def shift_memory(network: cells.Network, shift: float) -> cells.Network:
    """The same network with ``shift`` added to the bias of the gate that keeps memory, in every cell:
    the LSTM's forget gate b_f; for the deck's GRU, whose keep share is 1 − z_t, b_z − shift; for the
    PyTorch/Keras GRU, whose keep share is z_t, b_z + shift. The plain RNN has no such gate."""
    if shift == 0:
        return network

    def shifted(cell: cells.Cell) -> cells.Cell:
        if cell.KEEP is None:
            return cell
        gate, sign = cell.KEEP
        return dataclasses.replace(cell, biases={**cell.biases, gate: cell.biases[gate] + sign * shift})

    layers = tuple(cells.Layer(shifted(layer.forward), None if layer.backward is None else shifted(layer.backward))
                   for layer in network.layers)
    return cells.Network(layers)


@st.cache_data(max_entries=16, show_spinner=False)
def encode_joint(mode: str, text: str, vocabulary: str) -> encode.Encoded:
    """``text`` one-hot over a vocabulary shared by both panes (so one network can read both)."""
    encoded = encode.one_hot(text, vocabulary=vocabulary)
    if encoded.steps > MAX_STEPS:
        raise ValueError(f"the sequence has {encoded.steps:,} steps; the limit is {MAX_STEPS:,}")
    return encoded


@st.cache_data(max_entries=8, show_spinner="Running the network…")
def run_shifted(kind: str, hidden: int, seed: int, scheme: str, scale: float, bidirectional: bool, layers: int,
                shift: float, xs: np.ndarray) -> cells.NetworkTrace:
    """A freshly initialised network of these settings, its memory bias shifted, run over xs (T, I)."""
    network = cells.Network.create(kind, xs.shape[1], hidden, num_layers=layers, bidirectional=bidirectional,
                                   seed=seed, scheme=scheme, scale=scale)
    return shift_memory(network, shift).run(xs)


def joint_vocabulary(*texts: str) -> str:
    """Every character of ``texts`` once, in first-seen order."""
    return "".join(dict.fromkeys("".join(texts)))


def _describe(network: PaneNetwork) -> str:
    n = network
    shift = f", keep-memory bias {n.shift:+g}" if n.shift else ""
    if n.source != "random":
        return {"preset": f"Preset: {presets.PRESETS[n.preset].title}", "trained": n.trained,
                "current": "The model from Explore/Weights"}[n.source] + shift
    shape = f"{n.layers} layers × " if n.layers > 1 else ""
    both = "bidirectional " if n.bidirectional else ""
    return f"{cells.KINDS[n.kind].LABEL}, {shape}{both}{n.hidden} units, seed {n.seed}{shift}"


def _run(network: PaneNetwork, pane_input: PaneInput, vocabulary: str | None, inputs: int | None = None
         ) -> PaneRun:
    """A pane's run, or a ValueError saying what is wrong. ``inputs``: the input size of A's network,
    when this pane runs it on its own text."""
    if network.source == "random":
        q = pane_input
        try:
            if vocabulary is not None and q.mode == "onehot":
                encoded, reads = encode_joint(q.mode, q.text, vocabulary), "characters, one-hot over both panes' text"
            else:
                encoded, reads = encode_sequence(q.mode, q.text, q.embed_size, q.embed_seed), MODES[q.mode]
        except ValueError as e:
            raise ValueError(f"Input ({MODES.get(q.mode, q.mode)}): {e}") from None
        if inputs is not None and encoded.input_size != inputs:
            raise ValueError(f"Input: A's network reads {inputs} number{'s' if inputs != 1 else ''} per step, "
                             f"this text gives {encoded.input_size}")
        n = network
        try:
            if n.shift:
                trace = run_shifted(n.kind, n.hidden, n.seed, n.scheme, n.scale, n.bidirectional, n.layers, n.shift,
                                    encoded.xs)
            else:
                trace = run_network(n.kind, n.hidden, n.seed, n.scheme, n.scale, n.bidirectional, n.layers,
                                    encoded.xs)
        except ValueError as e:
            raise ValueError(f"Network: {e}") from None
        return PaneRun(_describe(network), reads, encoded, trace)
    model = _model(network.source, network.preset, network.trained)
    if model is None:
        raise ValueError("Network: no model has been picked on Explore or Weights")
    try:
        encoded = model.inputs(pane_input.text)
    except ValueError as e:
        raise ValueError(f"Input: {e}") from None
    if encoded.steps > MAX_STEPS:
        raise ValueError(f"Input: the sequence has {encoded.steps:,} steps; the limit is {MAX_STEPS:,}")
    trace = run_fixed(shift_memory(model.network, network.shift), encoded.xs)
    label = model.label + (f", keep-memory bias {network.shift:+g}" if network.shift else "")
    return PaneRun(label, model.reads, encoded, trace, model.watch)


DEFAULT_NETWORK = PaneNetwork(**{f.name: PANE_DEFAULTS[f.name] for f in dataclasses.fields(PaneNetwork)})
DEFAULT_INPUT = PaneInput("onehot", "hello world", 8, 0)


def pane_runs(a: tuple[PaneNetwork, PaneInput], b: tuple[PaneNetwork, PaneInput], same_net: bool
              ) -> tuple[dict[str, PaneRun], list[str]]:
    """Both panes' runs, and what was wrong, if anything. A pane that fails shows its last run that worked."""
    vocabulary = None
    if same_net and a[0].source == "random" and a[1].mode == "onehot" and b[1].mode == "onehot":
        vocabulary = joint_vocabulary(a[1].text, b[1].text)  # one network, so one input size for both texts
    good = st.session_state.setdefault(keys.CMP_LAST_GOOD, {})
    runs, problems = {}, []
    for p, (network, pane_input) in (("a", a), ("b", b)):
        inputs = runs["a"].encoded.input_size if p == "b" and same_net and network.source == "random" else None
        try:
            runs[p] = _run(network, pane_input, vocabulary, inputs)
            good[p] = (network, pane_input, vocabulary)
        except ValueError as e:
            problems.append(f"Pane {p.upper()}: {e}. Showing pane {p.upper()}'s last view that worked.")
            last = good.get(p, (DEFAULT_NETWORK, DEFAULT_INPUT, None))
            try:
                runs[p] = _run(*last)
            except ValueError:
                runs[p] = _run(DEFAULT_NETWORK, DEFAULT_INPUT, None)
    return runs, problems


# ----- the summary tables ----------------------------------------------------------------------------
def side_summary(traces: dict[str, cells.Trace]) -> None:
    """The side-by-side view's tables: per gate mean and saturation, per unit memory half-life, and their CSV."""
    gates, lives = gate_summary(traces), half_life_table(traces)
    st.caption("Per gate and state: mean over every step and unit, and the share of values saturated. Per unit: "
               "the memory half-life, steps until the running product of the keep share (f_t, or the GRU's) "
               "falls below 0.5; “> T” when it never does within the sequence.")
    c1, c2 = st.columns([3, 2])
    rows = len(gates)  # the half-life table scrolls inside the same height when there are more units
    c1.dataframe(shown_summary(gates), hide_index=True, height=35 * (rows + 1) + 3)
    c2.dataframe(lives, hide_index=True, height=35 * (rows + 1) + 3)
    # The CSV is written when the button is pressed, not on every run.
    c1.download_button("Gate summary (CSV)", lambda: gates.to_csv(index=False),
                       file_name="gatescope-compare-gates.csv", mime="text/csv", key=keys.CMP_DOWNLOAD_GATES,
                       on_click="ignore")
    c2.download_button("Memory half-life (CSV)", lambda: lives.to_csv(index=False),
                       file_name="gatescope-compare-half-life.csv", mime="text/csv", key=keys.CMP_DOWNLOAD_HALF_LIFE,
                       on_click="ignore")


def layer_summary_table(run: PaneRun, pane: str) -> None:
    """The bidirectional and deep views' table: pane ``pane``'s layers and directions, and its CSV."""
    table = layer_summary(run.trace)
    st.caption(f"Pane {pane.upper()}, per layer and direction: mean h_t, the share of |h_t| above 0.95, the mean "
               "keep share and the median memory half-life over units.")
    st.dataframe(table, hide_index=True)
    st.download_button("Layer summary (CSV)", lambda: table.to_csv(index=False),
                       file_name="gatescope-compare-layers.csv", mime="text/csv", key=keys.CMP_DOWNLOAD_GATES,
                       on_click="ignore")
