"""What a model file held: its recurrent layers, the embedding before them and the head after them.

Each reader (safetensors, PyTorch, Keras, ONNX, Gatescope's own) turns its file into ``Parts``;
``cells.files.model`` turns Parts into a LoadedModel. Nothing here formats a sentence for a page:
``Found`` is the plain record a page turns into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cells.activations import sigmoid
from cells.layers import Network

ACTIVATIONS = ("linear", "softmax", "sigmoid", "value")
PREDICTS = ("values", "classes")


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
    """The output layer on top of the recurrent one: logits_t = W·h_t + b, (K,) from (D·H,).

    ``activation`` says what its K outputs are:

        "softmax"  the file applies a softmax: p_t = softmax(W·h_t + b), one class of K
        "sigmoid"  the file applies σ to each: K independent yes/no probabilities
        "linear"   the file applies nothing, and the outputs are class scores (logits) that the training
                   loss turned into probabilities, as PyTorch's cross-entropy does: p_t = softmax(logits_t)
        "value"    the file applies nothing, and the outputs are the predicted values themselves, ŷ_t = W·h_t + b
                   (a regression: the next sample of a signal, a score); there are no probabilities
    """

    weights: np.ndarray  # (K, D·H)
    bias: np.ndarray  # (K,)
    activation: str = "linear"

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

    @property
    def predicts_value(self) -> bool:
        """Whether the outputs are predicted values (a regression) rather than class scores or probabilities."""
        return self.activation == "value"

    def logits(self, h: np.ndarray) -> np.ndarray:
        """W·h_t + b at every step: (T, K) from (T, D·H)."""
        return h @ self.weights.T + self.bias  # (T, K)

    def probabilities(self, h: np.ndarray) -> np.ndarray:
        """p_t at every step, (T, K): softmax of the logits, or σ of each for a sigmoid head.

        A value head has no probabilities: ask ``predicts_value`` first and show ``values`` instead
        (for it this is the softmax of its values, which means nothing)."""
        return probabilities(self.logits(h), self.activation)

    def values(self, h: np.ndarray) -> np.ndarray:
        """ŷ_t = W·h_t + b at every step, (T, K): what a value head predicts."""
        return self.logits(h)  # (T, K)


def read_head(head: Head | None, reads_tokens: bool, predicts: str | None = None) -> tuple[Head | None, str | None]:
    """The head as it will be read, and a note when that was decided here.

    The file says "softmax" or "sigmoid" when it applies one. When it applies nothing ("linear"), its K
    outputs are taken as predicted values (a regression) when the model reads features (no embedding
    and no vocabulary: a signal in, a value out) or when K = 1 (a softmax of one output is always 1);
    otherwise as class scores. ``predicts`` ("values" or "classes") overrides this, as the user says.
    """
    if predicts is not None and predicts not in PREDICTS:
        raise ValueError(f"head_predicts: expected 'values' or 'classes', got {predicts!r}")
    if head is None:
        return None, None
    K = f"{head.size} output{'s' if head.size != 1 else ''}"
    if predicts == "values":
        note = None if head.predicts_value else f"head: its {K} read as predicted values, as asked"
        return replace(head, activation="value"), note
    if predicts == "classes":
        if head.predicts_value:
            return replace(head, activation="linear"), f"head: its {K} read as class scores (softmax), as asked"
        return head, None
    if head.activation != "linear" or (reads_tokens and head.size > 1):
        return head, None
    why = "the model reads features, not tokens" if not reads_tokens else "a softmax of one output is always 1"
    return replace(head, activation="value"), (f"head: {K} with no softmax or sigmoid in the file and {why}: read "
                                               "as predicted values (a regression); head_predicts='classes' "
                                               "reads them as class scores")


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
