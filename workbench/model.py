"""The model the user brought or made: a preset, a trained or uploaded network, or edited weights.

Until the user picks one, the pages draw a fresh network from the Network settings for whatever
sequence is typed. A ``Model`` is fixed instead: its input size is set, so it says how typed text
becomes its inputs (``encode``), and the pages show it until the user goes back to drawn networks.
Which model a session shows is ui.model's; its files are workbench.model_files', its share links
workbench.model_link's.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

import cells
from cells import encode, presets
from cells.activations import sigmoid
from cells.files.model import LoadedModel
from cells.learning.readout import Readout, softmax
from cells.learning.tasks import TASKS, Task, make_task
from cells.learning.train import load_model
from workbench.settings import MAX_LINK_TEXT

PRETRAINED = Path(__file__).parents[1] / "assets" / "pretrained"


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
    vocabulary: str | None = None  # the one-hot columns, for models that read characters one-hot
    source: str = ""  # where it came from, for share links: "preset:counter", "trained:brackets_lstm", "numbers",
    # "task:brackets" (trained on the Train page: it reads text as that task does)
    loaded: LoadedModel | None = None  # a model from a file: its own vocabulary, embedding and output head
    watch: int | None = None  # the unit whose behaviour tells the story, which pages select first
    outputs: tuple[str, ...] | None = None  # what each output of a trained readout stands for (its task's classes)

    def inputs(self, text: str) -> encode.Encoded:
        """``text`` as this model's inputs, or a ValueError saying what does not fit."""
        encoded = self.encode(text)
        if encoded.input_size != self.network.input_size:
            raise ValueError(f"this model reads {self.network.input_size} numbers per step "
                             f"({self.reads}), the sequence has {encoded.input_size}")
        return encoded

    @property
    def from_file(self) -> bool:
        """Whether it came from an uploaded file: its label and how it reads quote the file's own names, which a
        page shows through ``workbench.literal.literal``."""
        return self.loaded is not None or self.source == "file"

    @property
    def shown_note(self) -> str:
        """The note while it is true: it was written for the model's own weights, so after an edit it gives
        way to a line that still holds."""
        if self.original is None:
            return self.note
        unit = f" Unit {self.watch} is the one to watch for what the edit changed." if self.watch is not None else ""
        return f"Edited weights: what was said about the original weights may no longer hold.{unit}"

    def edited(self, network: cells.Network, label: str | None = None) -> Model:
        """The same model with new weights; ``original`` keeps the first ones."""
        return dataclasses.replace(self, network=network, label=label or self.label,
                                   original=self.original or self.network)


@dataclass(frozen=True, eq=False)
class HeadOutputs:
    """What a model's head says after each step, for a page to show beside or under the gates.

    Either probabilities p_t, (T, K): p_t = softmax(W·h_t + b) over K classes (σ of each for independent
    yes/no outputs), or, for a head that predicts values (a regression), the values ŷ_t = W·h_t + b, (T, K).
    """

    numbers: np.ndarray  # (T, K)
    labels: tuple[str, ...] | None  # what each output stands for (tokens, classes), None: "#k"
    predicts_value: bool  # True: ``numbers`` are predicted values; False: probabilities


def head_outputs(model: Model | None, output: np.ndarray) -> HeadOutputs | None:
    """The head's outputs at every step from the top layer's ``output``, (T, D·H): a file's own head, or the
    readout a model was trained with; None for a model without one (a drawn network, a preset)."""
    if model is None:
        return None
    loaded = model.loaded
    if loaded is not None and loaded.head is not None:
        head = loaded.head
        labels = tuple(loaded.output_tokens) if loaded.output_tokens is not None else None
        if head.predicts_value:
            return HeadOutputs(head.values(output), labels, True)
        return HeadOutputs(head.probabilities(output), labels, False)
    readout = model.readout
    if readout is None or readout.input_size != output.shape[-1]:
        return None
    y = readout.outputs(output)  # (T, K)
    if readout.loss == "squared":
        return HeadOutputs(y, model.outputs, True)
    p = softmax(y) if readout.loss == "softmax" else sigmoid(y)
    return HeadOutputs(p, model.outputs, False)


_SYMBOL = re.compile(r"(?<![\w$\\])([A-Za-z])_(t|\{t-1\})(?![\w}])")


def symbols_as_math(text: str) -> str:
    """Plain-text symbols (``C_t``, ``h_{t-1}``) as Markdown math, for notes shown in captions and boxes."""
    return _SYMBOL.sub(lambda m: f"${m.group(1)}_{m.group(2)}$", text)


def _one_hot(vocabulary: str, text: str) -> encode.Encoded:
    return encode.one_hot(text, vocabulary=vocabulary)


def reads_characters(vocabulary: str) -> str:
    return f"characters of {''.join(encode.visible(c) for c in vocabulary)!r}, one-hot"


def _embedded(size: int, seed: int, text: str) -> encode.Encoded:
    return encode.embed(text, size, seed)


def _example(size: int, vocabulary: str | None, embedding: tuple[int, int] | None) -> str:
    """A few steps any model of this kind can read: its characters, or a one-hot walk in numbers.

    The example goes into the sequence box and the share link, so it keeps to the link's limit
    (MAX_LINK_TEXT characters): a wide model's walk takes as many steps as fit, at least one.
    """
    if vocabulary:
        return (vocabulary * max(1, 12 // len(vocabulary)))[:MAX_LINK_TEXT]
    if embedding is not None:
        return "hello world"
    width = 2 * size  # "0 " per input, "; " between steps
    steps = max(1, min(max(size, 6), MAX_LINK_TEXT // width))
    return "; ".join(" ".join("1" if j == t % size else "0" for j in range(size)) for t in range(steps))


def _check_readable(network: cells.Network) -> None:
    """Refuse a network no typed input can drive: wider than any encoder goes."""
    if network.input_size > encode.MAX_FEATURES:
        raise ValueError(f"this network reads {network.input_size:,} inputs per step; Gatescope reads at most "
                         f"{encode.MAX_FEATURES:,} per step (typed numbers, or characters one-hot)")


def from_network(network: cells.Network, label: str, *, vocabulary: str | None = None, sequence: str = "",
                 note: str = "", embedding: tuple[int, int] | None = None) -> Model:
    """A model of any network: one-hot over ``vocabulary`` when given, characters embedded with
    ``embedding = (size, seed)`` when given, else typed numbers. Without a ``sequence`` it gets a
    small one it can read."""
    _check_readable(network)
    if not sequence:
        sequence = _example(network.input_size, vocabulary, embedding)
    if vocabulary is not None:
        if len(vocabulary) != network.input_size:
            raise ValueError(f"vocabulary: {len(vocabulary)} characters for a network that reads "
                             f"{network.input_size} inputs")
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError(f"vocabulary: every character once, got {vocabulary!r}")
        return Model(network, label, reads_characters(vocabulary), partial(_one_hot, vocabulary), sequence, note,
                     vocabulary=vocabulary, source="chars:" + vocabulary)
    if embedding is not None:
        size, seed = embedding
        if size != network.input_size:
            raise ValueError(f"embedding: size {size} for a network that reads {network.input_size} inputs")
        return Model(network, label, f"characters embedded in {size} numbers (seed {seed})",
                     partial(_embedded, size, seed), sequence, note, source=f"embed:{size}:{seed}")
    reads = f"numbers, {network.input_size} per step"
    return Model(network, label, reads, encode.parse_numbers, sequence, note, source="numbers")


def from_preset(name: str) -> Model:
    """A hand-built preset from cells.presets, with its sequence and what to watch."""
    p = presets.preset(name)
    reads = reads_characters(p.vocabulary) if p.vocabulary is not None else f"numbers ({p.mode})"
    return Model(p.build(), f"Preset: {p.title}", reads, p.inputs, p.sequence, f"{p.watch} {p.explanation}",
                 vocabulary=p.vocabulary, source=f"preset:{name}", watch=0)  # every preset's story is in unit 0


def pretrained_manifest() -> list[dict]:
    """The shipped trained models: name, file, label, task, accuracy and which unit to watch."""
    return json.loads((PRETRAINED / "manifest.json").read_text())["models"]


def from_pretrained(name: str) -> Model:
    """A model shipped in assets/pretrained (made by ``python -m cells.learning.train``)."""
    entry = next((m for m in pretrained_manifest() if m["name"] == name), None)
    if entry is None:
        raise ValueError(f"pretrained model: expected one of {', '.join(m['name'] for m in pretrained_manifest())}, "
                         f"got {name!r}")
    trained = load_model(PRETRAINED / entry["file"])
    task = trained.task
    return Model(trained.network, entry["label"], task_reads(task), task.encode, task.EXAMPLE,
                 entry["watch"]["note"], readout=trained.readout, source=f"trained:{name}",
                 watch=int(entry["watch"]["unit"]), outputs=tuple(task.classes))


def task_reads(task: Task) -> str:
    """How a model trained on ``task`` reads typed text, said for the user, each input in quotes so none reads as
    punctuation of the sentence: "brackets ( and ); inputs “(”, “)”"."""
    return f"{task.READS or task.LABEL}; inputs {', '.join(f'“{encode.visible(f)}”' for f in task.features)}"


def from_task(network: cells.Network, task_name: str, label: str, *, sequence: str = "", note: str = "",
              readout: Readout | None = None, watch: int | None = None) -> Model:
    """A network trained on one of cells.tasks, reading typed text as that task does (its encoder does not
    depend on the task's options), so a share link needs only the task's name and the weights."""
    if task_name not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(TASKS)}, got {task_name[:40]!r}")
    task = make_task(task_name)
    if network.input_size != task.input_size:
        raise ValueError(f"a network reading {network.input_size} inputs cannot read the {task.LABEL.lower()} "
                         f"task's {task.input_size}")
    return Model(network, label, task_reads(task), task.encode, sequence or task.EXAMPLE, note,
                 readout=readout, source=f"task:{task_name}", watch=watch, outputs=tuple(task.classes))
