"""The Compare page's widgets: the start mode, and each pane's network and input settings (boxed, or folded
away in presenter mode). They return plain values (workbench.compare's PaneNetwork and PaneInput)."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

import cells
from cells import presets
from ui.compare import pane_model, start_mode
from ui.controls import number_box
from ui.model import current_model
from ui.sequence_input import sequence_box
from workbench import keys
from workbench.compare import (
    MAX_SHIFT,
    MORE,
    PANE_DEFAULTS,
    SHIFT_LABEL,
    SOURCES,
    START_NOTES,
    START_SETTINGS,
    STARTS,
    TRAINED,
    PaneInput,
    PaneNetwork,
    describe,
)
from workbench.literal import literal
from workbench.model import pretrained_manifest
from workbench.settings import (
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


def start_controls(folded: bool = False) -> tuple[bool, bool]:
    """The start-mode radio and the two links between the panes; returns (same input, same network). ``folded``
    (presenter mode) puts them, and the start mode's note, in an expander titled with the start mode."""
    if folded:
        with st.expander(f"Start from: {STARTS[st.session_state[keys.COMPARE.start]]}"):
            linked = start_controls()
            if note := start_note():
                st.caption(note)
        return linked
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.radio("Start from", list(STARTS), format_func=STARTS.get, key=keys.COMPARE.start, horizontal=True,
               on_change=start_mode, help="Sets both panes to a ready comparison; change anything afterwards.")
    with right:
        same_input = st.toggle("B reads A's input", key=keys.COMPARE.same_input)
        same_net = st.toggle("B runs A's network", key=keys.COMPARE.same_net)
    return bool(same_input), bool(same_net)


def start_note() -> str | None:
    """The start mode's note while both panes are still as that mode set them (the note describes those
    settings, so any change makes it untrue); None after a change."""
    ss = st.session_state
    mode = ss[keys.COMPARE.start]
    a, b, shared = START_SETTINGS[mode]
    for p, extra in (("a", a), ("b", b)):
        if any(ss.get(keys.COMPARE.pane(p, name)) != value for name, value in {**PANE_DEFAULTS, **extra}.items()):
            return None
    if any(ss.get(key) != value for key, value in shared.items()):
        return None
    return START_NOTES[mode]


def _fill_model_text(p: str) -> None:
    """A model chosen for a pane brings its own example text."""
    ss = st.session_state
    model = pane_model(ss[keys.COMPARE.pane(p, "source")], ss[keys.COMPARE.pane(p, "preset")], ss[keys.COMPARE.pane(p,
                                                                                                                    "trained")])
    if model is not None and model.sequence:
        ss[keys.COMPARE.pane(p, "text")] = model.sequence


def network_controls(p: str) -> PaneNetwork:
    """Where pane ``p``'s network comes from, and its settings."""
    k = lambda name: keys.COMPARE.pane(p, name)  # noqa: E731
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
    k = lambda name: keys.COMPARE.pane(p, name)  # noqa: E731
    return PaneNetwork(ss[k("source")], ss[k("preset")], ss[k("trained")], ss[k("kind")], int(ss[k("hidden")]),
                       int(ss[k("seed")]), ss[k("scheme")], float(ss[k("scale")]), float(ss[k("shift")]),
                       bool(ss[k("bidirectional")]), int(ss[k("layers")]))


def pane_input(p: str) -> PaneInput:
    """Pane ``p``'s input settings as they stand."""
    ss = st.session_state
    k = lambda name: keys.COMPARE.pane(p, name)  # noqa: E731
    return PaneInput(ss[k("mode")], ss[k("text")], int(ss[k("embed_size")]), int(ss[k("embed_seed")]))


def open_more_if_set(p: str) -> None:
    """Open pane ``p``'s "More settings" when one of them is not at its default (a link set it)."""
    ss = st.session_state
    if any(ss.get(keys.COMPARE.pane(p, name), PANE_DEFAULTS[name]) != PANE_DEFAULTS[name] for name in MORE):
        ss[keys.COMPARE.pane(p, "more")] = True


def more_title(p: str) -> str:
    """The title of pane ``p``'s "More settings": what they hold now, so a closed one hides no value."""
    ss = st.session_state
    k = lambda name: keys.COMPARE.pane(p, name)  # noqa: E731
    scale, shift = float(ss[k("scale")]), float(ss[k("shift")])
    return (f"More: {SCHEME_LABELS.get(ss[k('scheme')], ss[k('scheme')])} × {scale:.2f} · memory bias {shift:+.1f} · "
            f"{'bidirectional' if ss[k('bidirectional')] else 'one direction'}")


def _newline(reads: str) -> str:
    """What a line break means in a pane's box: a new step for numbers, a ⏎ step for characters."""
    return "step" if reads.startswith("numbers") else "character"


def input_controls(p: str, network: PaneNetwork, reads_like: PaneInput | None = None) -> PaneInput:
    """Pane ``p``'s text, and how it is read when the network is drawn at random; ``reads_like`` (A's input,
    when B runs A's network) fixes how, so both texts become inputs of one size."""
    k = lambda name: keys.COMPARE.pane(p, name)  # noqa: E731
    ss = st.session_state
    if network.source == "random" and reads_like is not None:
        st.caption(f"Read as A reads: {MODES[reads_like.mode]}.")
        text = sequence_box("Input", k("text"), max_chars=MAX_TEXT, newline=_newline(reads_like.mode),
                            help=f"Up to {MAX_STEPS:,} steps. The text applies as you type; Enter applies it at once.")
        return dataclasses.replace(reads_like, text=text)
    if network.source == "random":
        reads = st.radio("Read the text as", list(MODES), format_func=MODES.get, key=k("mode"), horizontal=True)
    else:
        model = pane_model(network.source, network.preset, network.trained)
        st.caption(f"This model reads {literal(model.reads, 300)}." if model else "")
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
        st.caption(f"Network: the same as A's ({describe(network)}).")
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
    return f"Pane {p.upper()}: {describe(network)} · '{literal(given.text, 24)}'"  # drawn as Markdown: as typed


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
    folds = {p: column.expander(folded_title(p, *settings), key=keys.COMPARE.pane(p, "unfolded"), on_change="rerun")
             for p, column, settings in (("a", left, a), ("b", right, b))}
    if folds["a"].open:
        with folds["a"]:
            a = pane_controls("a")
    if folds["b"].open:
        with folds["b"]:
            b = b_of(a, draw=True)
    return a, b, {}
