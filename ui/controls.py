"""Widget groups of the Explore page; each returns plain values."""

from __future__ import annotations

from typing import Any

import streamlit as st

import cells
from ui.engine import NetworkChoice, SequenceInput
from ui.sequence_input import sequence_box
from workbench import keys
from workbench.settings import (
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


# ----- number boxes that never apply a value nobody typed ----------------------------------------------
# Streamlit's number box, emptied (or given text the browser refuses) and confirmed with Enter, sends
# its default, which is its minimum: hidden size 1, scale 0.01. Declared with no default, it sends
# None instead, and the callback puts the last value back and the box says so. (Not required=True:
# Streamlit then writes "(required)" after every label, in the accessible name too.)
def _keep_last(key: str, label: str) -> None:
    if st.session_state.get(key) is None:
        kept = st.session_state.get(keys.APP.last_numbers, {}).get(key)
        st.session_state[key] = kept
        shown = f"{kept:g}" if isinstance(kept, float) else str(kept)
        st.session_state.setdefault(keys.APP.number_notes, {})[key] = f"{label} was left empty: kept {shown}."


def number_box(where: Any, label: str, low: float, high: float, key: str, **options: Any) -> Any:
    """A number box with ``key`` drawn in ``where`` (``st``, a column, the sidebar); its value (an int for
    whole-number bounds), never None."""
    value = where.number_input(label, low, high, value=None, key=key, on_change=_keep_last,
                               args=(key, label.split(" (")[0]), **options)
    if value is None:  # no value at all yet: the box's lowest
        value = low
    st.session_state.setdefault(keys.APP.last_numbers, {})[key] = value
    if note := st.session_state.get(keys.APP.number_notes, {}).pop(key, None):
        where.caption(note)
    return value


def _fill_example() -> None:
    """Put the chosen example in the sequence box (and its mode), then reset the menu."""
    name = st.session_state[keys.EXPLORE.seq_example]
    if name in EXAMPLES:
        mode, text = EXAMPLES[name]
        st.session_state[keys.EXPLORE.seq_mode] = mode
        st.session_state[keys.EXPLORE.seq_text] = text


def sequence_controls(fixed: str | None = None, big: bool = False) -> SequenceInput:
    """The sequence box, its mode and the examples menu. ``fixed`` says how a fixed model reads
    text; the mode is then the model's, not the user's, and neither the examples nor the modes are offered
    (greyed out, the modes would show one the model does not use). ``big``: presenter mode's large type."""
    help_ = (f"Up to {MAX_STEPS:,} steps on this page, hidden size 1–{MAX_HIDDEN}, 1–{MAX_LAYERS} layers. "
             "The text applies as you type; Enter applies it at once.")
    embed_size, embed_seed = st.session_state[keys.EXPLORE.embed_size], st.session_state[keys.EXPLORE.embed_seed]
    if fixed is not None:
        lines = 2 if fixed.startswith("numbers") or not big else 1  # a projector's text box: one line of text
        # A projector's label keeps to one line: what the model reads, without the list of inputs after "; "
        # (workbench.model.task_reads).
        said = fixed.split("; ")[0] if big else fixed
        text = sequence_box(f"Sequence (the model reads {said})", keys.EXPLORE.seq_text, max_chars=MAX_TEXT,
                            newline="step" if fixed.startswith("numbers") else "character", big=big, rows=lines,
                            help=help_ + " A fixed model reads text its own way (see the sidebar).")
        return SequenceInput(st.session_state[keys.EXPLORE.seq_mode], text, int(embed_size), int(embed_seed))
    left, middle, right = st.columns([4, 2, 3])
    with middle:
        st.selectbox("Examples", [PICK, *EXAMPLES], key=keys.EXPLORE.seq_example, on_change=_fill_example,
                     help="Fills the sequence box with a ready case.")
    with right:
        mode = st.radio("Read the text as", list(MODES), format_func=MODES.get, key=keys.EXPLORE.seq_mode,
                        horizontal=True)
    with left:
        hint = ("one character per step" if mode != "numbers"
                else "numbers per step: '1 0 0.5', or vectors, one step per line or ';' ('1 0; 0 1')")
        lines = 2 if mode.startswith("numbers") or not big else 1
        text = sequence_box(f"Sequence ({hint})", keys.EXPLORE.seq_text, max_chars=MAX_TEXT,
                            newline="step" if mode.startswith("numbers") else "character", big=big, rows=lines,
                            help=help_)
    if mode == "embed":
        a, b = st.columns(2)
        embed_size = number_box(a, "Embedding size", 1, MAX_EMBED, keys.EXPLORE.embed_size, step=1)
        embed_seed = number_box(b, "Embedding seed", 0, MAX_SEED, keys.EXPLORE.embed_seed, step=1)
    return SequenceInput(mode, text, int(embed_size), int(embed_seed))


def network_controls() -> NetworkChoice:
    """Cell kind, sizes, seed and initialiser (drawn where the caller is, e.g. the sidebar)."""
    kind = st.selectbox("Cell", list(cells.KINDS), format_func=lambda k: cells.KINDS[k].LABEL,
                        key=keys.EXPLORE.net_kind)
    hidden = number_box(st, f"Hidden size (1–{MAX_HIDDEN})", 1, MAX_HIDDEN, keys.EXPLORE.net_hidden, step=1)
    seed = number_box(st, "Seed", 0, MAX_SEED, keys.EXPLORE.net_seed, step=1)
    scheme = st.selectbox("Starting weights", list(cells.SCHEMES), key=keys.EXPLORE.net_scheme,
                          format_func=SCHEME_LABELS.get,
                          help="How the random weights are drawn. "
                               + "\n\n".join(f"**{SCHEME_LABELS[k]}**: {v}" for k, v in cells.SCHEMES.items()))
    scale = number_box(st, f"Weight scale ({MIN_SCALE}–{MAX_SCALE:g})", MIN_SCALE, MAX_SCALE, keys.EXPLORE.net_scale,
                       step=0.1, format="%.2f", help="Multiplies every random weight and bias.")
    bidirectional = st.toggle("Bidirectional", key=keys.EXPLORE.net_bidirectional)
    layers = number_box(st, f"Layers (1–{MAX_LAYERS})", 1, MAX_LAYERS, keys.EXPLORE.net_layers, step=1)
    return NetworkChoice(kind, int(hidden), int(seed), scheme, float(scale), bool(bidirectional), int(layers))


def view_controls(layers: int, bidirectional: bool) -> tuple[int, str]:
    """Which layer and direction the heatmaps show."""
    if st.session_state.get(keys.EXPLORE.view_layer, 0) >= layers:
        st.session_state[keys.EXPLORE.view_layer] = layers - 1
    if not bidirectional:
        st.session_state[keys.EXPLORE.view_direction] = "forward"
    layer = st.selectbox("Layer shown", list(range(layers)), key=keys.EXPLORE.view_layer,
                         format_func=lambda k: f"layer {k + 1}" + (" (input)" if k == 0 and layers > 1 else ""))
    direction = st.radio("Direction shown", list(DIRECTIONS), key=keys.EXPLORE.view_direction, horizontal=True,
                         disabled=not bidirectional,
                         help="A bidirectional layer has a second cell reading the sequence backward.")
    return int(layer), direction
