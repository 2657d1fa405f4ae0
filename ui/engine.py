"""Cached engine calls and the page's last good run.

The cached functions take plain values, so Streamlit hashes them cheaply; scrubbing the cursor or
picking a unit reruns nothing here. ``current_run`` turns bad input into a message and falls back
to the last settings that worked, so the page never loses its view.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

import cells
from cells import encode
from workbench import keys
from workbench.model import Model
from workbench.settings import MAX_STEPS, MODES


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
        raise ValueError(f"the sequence has {encoded.steps:,} steps; the limit is {MAX_STEPS:,}")
    return encoded


def drawn_network(choice: NetworkChoice, input_size: int) -> cells.Network:
    """The network the Network settings draw for inputs of ``input_size``."""
    n = choice
    return cells.Network.create(kind=n.kind, input_size=input_size, hidden_size=n.hidden, num_layers=n.layers,
                                bidirectional=n.bidirectional, seed=n.seed, scheme=n.scheme, scale=n.scale)


@st.cache_data(max_entries=6, show_spinner="Running the network…")
def run_network(
    kind: str, hidden: int, seed: int, scheme: str, scale: float, bidirectional: bool, layers: int,
    xs: np.ndarray,
) -> cells.NetworkTrace:
    """A freshly initialised network of these settings, run over xs (T, I)."""
    choice = NetworkChoice(kind, hidden, seed, scheme, scale, bidirectional, layers)
    return drawn_network(choice, xs.shape[1]).run(xs)


def fingerprint(network: cells.Network) -> str:
    """A short digest of a network's every weight and bias, with their names, shapes and places: the cache key of
    a fixed network (0.03 ms for an 8-unit LSTM, where Streamlit's own hashing of the object took 0.8 ms)."""
    digest = hashlib.sha256()
    for k, layer in enumerate(network.layers):
        for direction, cell in zip(("forward", "backward"), layer.cells, strict=False):
            digest.update(f"{k}:{direction}:{cell.KIND}".encode())
            for field, group in cell.parameters().items():
                for name in sorted(group):
                    array = np.ascontiguousarray(group[name])
                    digest.update(f"{field}.{name}:{array.dtype.str}:{array.shape}".encode())
                    digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def run_fixed(network: cells.Network, xs: np.ndarray, clamps: tuple[cells.Clamp, ...] = ()) -> cells.NetworkTrace:
    """A fixed network (a model the user picked or edited) over xs (T, I), with any gates clamped."""
    return _run_fixed(fingerprint(network), network, xs, clamps)


@st.cache_data(max_entries=8, show_spinner="Running the model…")
def _run_fixed(key: str, _network: cells.Network, xs: np.ndarray, clamps: tuple[cells.Clamp, ...]
               ) -> cells.NetworkTrace:
    return _network.run(xs, clamps=list(clamps))


def _encode(sequence: SequenceInput) -> encode.Encoded:
    q = sequence
    try:
        return encode_sequence(q.mode, q.text, q.embed_size, q.embed_seed)
    except ValueError as e:
        raise ValueError(f"Sequence ({MODES.get(q.mode, q.mode)}): {e}") from None


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
    good = st.session_state.get(keys.EXPLORE.last_good, {"sequence": DEFAULT_SEQUENCE, "network": DEFAULT_NETWORK})
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
        st.session_state[keys.EXPLORE.last_good] = {"sequence": sequence, "network": network}
    return Run(sequence, network, encoded, trace), " ".join(problems) or None


def describe(network: cells.Network) -> NetworkChoice:
    """A fixed network's sizes in the shape of the Network settings (its seed and initialiser mean nothing)."""
    return NetworkChoice(network.kind, network.hidden_size, 0, "pytorch", 1.0, network.bidirectional,
                         len(network.layers))


def encode_for_model(model: Model, text: str) -> encode.Encoded:
    """``text`` as the model reads it, or a ValueError saying what it cannot read and where."""
    try:
        encoded = model.inputs(text)
    except ValueError as e:
        raise ValueError(f"{model.label} reads {model.reads}: {e}") from None
    if encoded.steps > MAX_STEPS:
        raise ValueError(f"the sequence has {encoded.steps:,} steps; the limit is {MAX_STEPS:,}")
    return encoded


def model_run(model: Model, text: str) -> tuple[Run, str | None]:
    """The run of the fixed model over ``text``, and what was wrong with the text, if anything.

    Text the model cannot read is replaced by the last text it could (or the model's own sequence).
    """
    problem = None
    try:
        encoded = encode_for_model(model, text)
    except ValueError as e:
        problem = f"{e}. Showing the last sequence that worked."
        encoded = None
        for fallback in (st.session_state.get(keys.EXPLORE.last_good_model_text), model.sequence):
            try:
                encoded, text = encode_for_model(model, fallback), fallback
                break
            except (ValueError, TypeError):
                continue
        if encoded is None:
            raise ValueError(f"{model.label}: {problem}") from None
    st.session_state[keys.EXPLORE.last_good_model_text] = text
    trace = run_fixed(model.network, encoded.xs)
    sequence = SequenceInput("model", text, 0, 0)
    return Run(sequence, describe(model.network), encoded, trace), problem
