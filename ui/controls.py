"""Widget groups of the Explore page; each returns plain values."""

from __future__ import annotations

import streamlit as st

import cells
from ui import keys
from ui.engine import NetworkChoice, SequenceInput
from ui.settings import (
    DIRECTIONS,
    EXAMPLES,
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

PICK = "— pick an example —"


def _fill_example() -> None:
    """Put the chosen example in the sequence box (and its mode), then reset the menu."""
    name = st.session_state[keys.SEQ_EXAMPLE]
    if name in EXAMPLES:
        mode, text = EXAMPLES[name]
        st.session_state[keys.SEQ_MODE] = mode
        st.session_state[keys.SEQ_TEXT] = text


def sequence_controls(fixed: str | None = None) -> SequenceInput:
    """The sequence box, its mode and the examples menu. ``fixed`` says how a fixed model reads
    text; the mode is then the model's, not the user's."""
    left, right = st.columns([3, 2])
    with right:
        st.selectbox("Examples", [PICK, *EXAMPLES], key=keys.SEQ_EXAMPLE, on_change=_fill_example,
                     help="Fills the sequence box with a ready case.", disabled=fixed is not None)
        mode = st.radio("Read the text as", list(MODES), format_func=MODES.get, key=keys.SEQ_MODE, horizontal=True,
                        disabled=fixed is not None,
                        help="A fixed model reads text its own way (see the sidebar)." if fixed else None)
    with left:
        hint = ("one character per step" if mode != "numbers"
                else "numbers per step: '1 0 0.5', or vectors, one step per line or ';' ('1 0; 0 1')")
        if fixed is not None:
            hint = f"the model reads {fixed}"
        text = st.text_area(
            f"Sequence ({hint})", key=keys.SEQ_TEXT, height=90, max_chars=MAX_TEXT,
            help=f"Up to {MAX_STEPS:,} steps on this page.",
        )
    embed_size, embed_seed = st.session_state[keys.EMBED_SIZE], st.session_state[keys.EMBED_SEED]
    if mode == "embed":
        a, b = st.columns(2)
        embed_size = a.number_input("Embedding size", 1, MAX_EMBED, key=keys.EMBED_SIZE, step=1)
        embed_seed = b.number_input("Embedding seed", 0, MAX_SEED, key=keys.EMBED_SEED, step=1)
    st.caption(f"Limits on this page: up to {MAX_STEPS:,} steps, hidden size 1–{MAX_HIDDEN}, "
               f"1–{MAX_LAYERS} layers.")
    return SequenceInput(mode, text, int(embed_size), int(embed_seed))


def network_controls() -> NetworkChoice:
    """Cell kind, sizes, seed and initialiser (drawn where the caller is, e.g. the sidebar)."""
    kind = st.selectbox("Cell", list(cells.KINDS), format_func=lambda k: cells.KINDS[k].LABEL, key=keys.NET_KIND)
    hidden = st.number_input(f"Hidden size (1–{MAX_HIDDEN})", 1, MAX_HIDDEN, key=keys.NET_HIDDEN, step=1)
    seed = st.number_input("Seed", 0, MAX_SEED, key=keys.NET_SEED, step=1)
    scheme = st.selectbox("Starting weights", list(cells.SCHEMES), key=keys.NET_SCHEME, format_func=SCHEME_LABELS.get,
                          help="How the random weights are drawn. "
                               + "\n\n".join(f"**{SCHEME_LABELS[k]}**: {v}" for k, v in cells.SCHEMES.items()))
    scale = st.number_input(f"Weight scale ({MIN_SCALE}–{MAX_SCALE:g})", MIN_SCALE, MAX_SCALE, key=keys.NET_SCALE,
                            step=0.1, format="%.2f", help="Multiplies every random weight and bias.")
    bidirectional = st.toggle("Bidirectional", key=keys.NET_BIDIRECTIONAL)
    layers = st.number_input(f"Layers (1–{MAX_LAYERS})", 1, MAX_LAYERS, key=keys.NET_LAYERS, step=1)
    return NetworkChoice(kind, int(hidden), int(seed), scheme, float(scale), bool(bidirectional), int(layers))


def view_controls(layers: int, bidirectional: bool) -> tuple[int, str]:
    """Which layer and direction the heatmaps show."""
    if st.session_state.get(keys.VIEW_LAYER, 0) >= layers:
        st.session_state[keys.VIEW_LAYER] = layers - 1
    if not bidirectional:
        st.session_state[keys.VIEW_DIRECTION] = "forward"
    layer = st.selectbox("Layer shown", list(range(layers)), key=keys.VIEW_LAYER,
                         format_func=lambda k: f"layer {k + 1}" + (" (input)" if k == 0 and layers > 1 else ""))
    direction = st.radio("Direction shown", list(DIRECTIONS), key=keys.VIEW_DIRECTION, horizontal=True,
                         disabled=not bidirectional,
                         help="A bidirectional layer has a second cell reading the sequence backward.")
    return int(layer), direction
