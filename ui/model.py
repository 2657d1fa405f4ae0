"""The model the user brought or made: a preset, a trained or uploaded network, or edited weights.

Until the user picks one, the pages draw a fresh network from the Network settings for whatever
sequence is typed. A ``Model`` is fixed instead: its input size is set, so it says how typed text
becomes its inputs (``encode``), and the pages show it until the user goes back to drawn networks.
Everything here but the three session functions at the end is plain Python, testable without Streamlit.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import streamlit as st

import cells
from cells import encode, presets
from cells.readout import Readout
from cells.train import load_model

PRETRAINED = Path(__file__).parents[1] / "assets" / "pretrained"
# What a shipped model's task reads, and an input to show it (the tasks' own encoders check it).
TASK_READS = {"brackets": "brackets ( and )", "counting": "a's, one X, then b's", "first_bit": "0s and 1s",
              "sine": "numbers, one per step", "text": "lower-case text"}
TASK_EXAMPLES = {
    "brackets": "(()(()))((()))()",
    "counting": "aaaaXbbbb.",
    "first_bit": "1" + "0110100101" * 5,
    "sine": " ".join(f"{math.sin(2 * math.pi * t / 12):.2f}" for t in range(36)),
    "text": "the input gate decides",
}
MODEL_KEY = "model"  # session state: the current Model, or absent for networks drawn from the settings


@dataclass(frozen=True, eq=False)
class Model:
    """A fixed network and everything a page needs to show it."""

    network: cells.Network
    label: str  # "LSTM trained on brackets", "Preset: bracket-depth tracker", "Edited LSTM"
    reads: str  # how typed text becomes inputs, said for the user: "characters of '()ab', one-hot"
    encode: Callable[[str], encode.Encoded]  # typed text -> inputs; ValueError naming what is wrong
    sequence: str = ""  # an input that shows what the model does
    note: str = ""  # one line on what to look at
    readout: Readout | None = None  # trained models predict something from h_t
    original: cells.Network | None = None  # the network before any edit, for "reset"

    def inputs(self, text: str) -> encode.Encoded:
        """``text`` as this model's inputs, or a ValueError saying what does not fit."""
        encoded = self.encode(text)
        if encoded.input_size != self.network.input_size:
            raise ValueError(f"this model reads {self.network.input_size} numbers per step "
                             f"({self.reads}), the sequence has {encoded.input_size}")
        return encoded

    def edited(self, network: cells.Network, label: str | None = None) -> Model:
        """The same model with new weights; ``original`` keeps the first ones."""
        return dataclasses.replace(self, network=network, label=label or self.label,
                                   original=self.original or self.network)


def _one_hot(vocabulary: str, text: str) -> encode.Encoded:
    return encode.one_hot(text, vocabulary=vocabulary)


def reads_characters(vocabulary: str) -> str:
    return f"characters of {''.join(encode.visible(c) for c in vocabulary)!r}, one-hot"


def from_network(network: cells.Network, label: str, *, vocabulary: str | None = None, sequence: str = "",
                 note: str = "") -> Model:
    """A model of any network: one-hot over ``vocabulary`` when given, else typed numbers."""
    if vocabulary is not None:
        if len(vocabulary) != network.input_size:
            raise ValueError(f"vocabulary: {len(vocabulary)} characters for a network that reads "
                             f"{network.input_size} inputs")
        return Model(network, label, reads_characters(vocabulary), partial(_one_hot, vocabulary), sequence, note)
    reads = f"numbers, {network.input_size} per step"
    return Model(network, label, reads, encode.parse_numbers, sequence, note)


def from_preset(name: str) -> Model:
    """A hand-built preset from cells.presets, with its sequence and what to watch."""
    p = presets.preset(name)
    reads = reads_characters(p.vocabulary) if p.vocabulary is not None else f"numbers ({p.mode})"
    return Model(p.build(), f"Preset: {p.title}", reads, p.inputs, p.sequence, f"{p.watch} {p.explanation}")


def pretrained_manifest() -> list[dict]:
    """The shipped trained models: name, file, label, task, accuracy and which unit to watch."""
    return json.loads((PRETRAINED / "manifest.json").read_text())["models"]


def from_pretrained(name: str) -> Model:
    """A model shipped in assets/pretrained (made by ``python -m cells.train``)."""
    entry = next((m for m in pretrained_manifest() if m["name"] == name), None)
    if entry is None:
        raise ValueError(f"pretrained model: expected one of {', '.join(m['name'] for m in pretrained_manifest())}, "
                         f"got {name!r}")
    trained = load_model(PRETRAINED / entry["file"])
    task = trained.task
    reads = f"{TASK_READS.get(task.NAME, task.LABEL)} (inputs: {', '.join(task.features)})"
    return Model(trained.network, entry["label"], reads, task.encode, TASK_EXAMPLES.get(task.NAME, ""),
                 entry["watch"]["note"], readout=trained.readout)


# ----- session -------------------------------------------------------------------------------------
def current_model() -> Model | None:
    """The model the user picked, or None while pages draw networks from the settings."""
    return st.session_state.get(MODEL_KEY)


def use_model(model: Model) -> None:
    """Make ``model`` the one the pages show (call from a button's callback or before st.switch_page)."""
    st.session_state[MODEL_KEY] = model


def drop_model() -> None:
    """Go back to networks drawn from the Network settings."""
    st.session_state.pop(MODEL_KEY, None)
