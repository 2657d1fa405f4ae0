"""Cached engine calls and the page's last good run.

The cached functions take plain values, so Streamlit hashes them cheaply; scrubbing the cursor or
picking a unit reruns nothing here. ``current_run`` turns bad input into a message and falls back
to the last settings that worked, so the page never loses its view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

import cells
from cells import encode
from ui import keys
from ui.settings import MAX_STEPS


@dataclass(frozen=True)
class SequenceInput:
    mode: str  # "onehot" | "embed" | "numbers"
    text: str
    embed_size: int
    embed_seed: int


@dataclass(frozen=True)
class NetworkChoice:
    kind: str
    hidden: int
    seed: int
    scheme: str
    scale: float
    bidirectional: bool
    layers: int


@dataclass(frozen=True, eq=False)
class Run:
    sequence: SequenceInput
    network: NetworkChoice
    encoded: encode.Encoded
    trace: cells.NetworkTrace


@st.cache_data(max_entries=32, show_spinner=False)
def encode_sequence(mode: str, text: str, embed_size: int, embed_seed: int) -> encode.Encoded:
    """The sequence box's text as inputs, or a ValueError saying what is wrong and where."""
    if mode == "onehot":
        encoded = encode.one_hot(text)
    elif mode == "embed":
        encoded = encode.embed(text, embed_size, embed_seed)
    elif mode == "numbers":
        encoded = encode.parse_numbers(text)
    else:
        raise ValueError(f"mode: expected one-hot, embedded or numbers, got {mode!r}")
    if encoded.steps > MAX_STEPS:
        raise ValueError(f"the sequence has {encoded.steps:,} steps; this page runs up to {MAX_STEPS:,}")
    return encoded


@st.cache_data(max_entries=6, show_spinner="Running the network…")
def run_network(
    kind: str, hidden: int, seed: int, scheme: str, scale: float, bidirectional: bool, layers: int,
    xs: np.ndarray,
) -> cells.NetworkTrace:
    """A freshly initialised network of these settings, run over xs (T, I)."""
    network = cells.Network.create(
        kind, xs.shape[1], hidden, num_layers=layers, bidirectional=bidirectional, seed=seed, scheme=scheme,
        scale=scale,
    )
    return network.run(xs)


def _encode(sequence: SequenceInput) -> encode.Encoded:
    q = sequence
    try:
        return encode_sequence(q.mode, q.text, q.embed_size, q.embed_seed)
    except ValueError as e:
        raise ValueError(f"Sequence ({q.mode}): {e}") from None


def _network(network: NetworkChoice, xs: np.ndarray) -> cells.NetworkTrace:
    n = network
    try:
        return run_network(n.kind, n.hidden, n.seed, n.scheme, n.scale, n.bidirectional, n.layers, xs)
    except ValueError as e:
        raise ValueError(f"Network: {e}") from None


DEFAULT_SEQUENCE = SequenceInput("onehot", "hello world", 8, 0)
DEFAULT_NETWORK = NetworkChoice("lstm", 8, 0, "pytorch", 1.0, False, 1)


def current_run(sequence: SequenceInput, network: NetworkChoice) -> tuple[Run, str | None]:
    """The run of these settings, and what was wrong with them, if anything.

    A sequence that does not encode is replaced by the last one that did, and a network that does
    not run by the last one that did, so a mistake in one never hides the other's change.
    """
    good = st.session_state.get(keys.LAST_GOOD, {"sequence": DEFAULT_SEQUENCE, "network": DEFAULT_NETWORK})
    problems = []
    try:
        encoded = _encode(sequence)
    except ValueError as e:
        problems.append(f"{e}. Showing the last sequence that worked.")
        sequence = good["sequence"]
        encoded = _encode(sequence)
    try:
        trace = _network(network, encoded.xs)
    except ValueError as e:
        problems.append(f"{e}. Showing the last network that worked.")
        network = good["network"]
        trace = _network(network, encoded.xs)
    if not problems:
        st.session_state[keys.LAST_GOOD] = {"sequence": sequence, "network": network}
    return Run(sequence, network, encoded, trace), " ".join(problems) or None
