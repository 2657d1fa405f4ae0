"""What a model file held: its recurrent layers, the embedding before them and the head after them.

Each reader (safetensors, PyTorch, Keras, ONNX, Gatescope's own) turns its file into ``Parts``;
``cells.files.model`` turns Parts into a LoadedModel. Nothing here formats a sentence for a page:
``Found`` is the plain record a page turns into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cells.activations import sigmoid
from cells.layers import Network

ACTIVATIONS = ("linear", "softmax", "sigmoid")


@dataclass(frozen=True)
class Recurrent:
    """One recurrent module found in a file."""

    name: str  # "lstm", "encoder.rnn", "cell", "bidirectional_1", the ONNX node's name
    style: str  # "nn.LSTM", "nn.GRUCell", "Keras LSTM", "ONNX GRU" ...
    kind: str  # the Gatescope cell kind it becomes: "lstm", "gru_torch", "gru_keras_v1"
    num_layers: int
    bidirectional: bool
    input_size: int
    hidden_size: int
    keys: tuple[str, ...]  # the file's names of its arrays
    state_size: int | None = None  # the width of h_t, when a projection makes it other than hidden_size

    @property
    def output_size(self) -> int:
        return (self.state_size or self.hidden_size) * (2 if self.bidirectional else 1)


@dataclass(frozen=True, eq=False)
class Head:
    """The output layer on top of the recurrent one: logits_t = W·h_t + b, (K,) from (D·H,)."""

    weights: np.ndarray  # (K, D·H)
    bias: np.ndarray  # (K,)
    activation: str = "linear"  # what the framework applies to the logits: "softmax" gives probabilities

    def __post_init__(self) -> None:
        W, b = np.asarray(self.weights), np.asarray(self.bias)
        if W.ndim != 2 or 0 in W.shape or b.shape != (W.shape[0],):
            raise ValueError(f"output head: expected weights (outputs, inputs) and bias (outputs,), got {W.shape} "
                             f"and {b.shape}")
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ValueError("output head: every weight and bias must be finite")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"output head: expected activation {', '.join(ACTIVATIONS)}, got {self.activation!r}")

    @property
    def size(self) -> int:
        return self.weights.shape[0]

    def logits(self, h: np.ndarray) -> np.ndarray:
        """W·h_t + b at every step: (T, K) from (T, D·H)."""
        return h @ self.weights.T + self.bias  # (T, K)

    def probabilities(self, h: np.ndarray) -> np.ndarray:
        """p_t at every step, (T, K): softmax of the logits, or σ of each for a sigmoid head."""
        return probabilities(self.logits(h), self.activation)


def probabilities(logits: np.ndarray, activation: str = "linear") -> np.ndarray:
    """softmax(logits_t) over the K outputs, (T, K); σ(logits) elementwise when ``activation`` is "sigmoid"."""
    if activation == "sigmoid":
        return sigmoid(logits)
    z = logits - logits.max(axis=-1, keepdims=True)  # (T, K): exp never overflows
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class Found:
    """What a file held and what was made of it: for the user to read, and to choose a layer."""

    format: str  # a key of cells.files.source.FORMATS
    recurrent: tuple[Recurrent, ...]  # every recurrent module found, in the file's order
    chosen: int  # which of them the network is
    embedding: tuple[str, tuple[int, int]] | None = None  # (name, (V, E))
    head: tuple[str, tuple[int, int]] | None = None  # (name, (K, D·H))
    used: tuple[str, ...] = ()  # the file's names that went into the model
    ignored: tuple[str, ...] = ()  # the file's names left out (other modules, counters, optimiser state)
    vocabulary_from: str | None = None  # where the vocabulary came from: "argument", "metadata", "file"
    notes: tuple[str, ...] = field(default=())  # anything else the reader decided, e.g. the head's activation


@dataclass(frozen=True, eq=False)
class Parts:
    network: Network
    found: Found
    embedding: np.ndarray | None = None  # (V, E), row k the input for token k
    head: Head | None = None
    vocabulary: object | None = None  # as the file gave it: a list, a {token: index} map, JSON text
