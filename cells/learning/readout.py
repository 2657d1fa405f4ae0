"""The readout on top of a network: a linear layer, then a loss, at every step or at the last one.

    y_t = W_y·h_t + b_y                        (K,) outputs from the top layer's h_t, (D·H,)

and one of three losses, each the mean over the counted positions (a mask can leave steps out):

    "softmax":  L = -log softmax(y_t)[k_t]                  k_t the target class
    "sigmoid":  L = mean_k -[p_k log σ(y_k) + (1 - p_k) log(1 - σ(y_k))]   p_k in [0, 1]
    "squared":  L = mean_k (y_k - p_k)²                     the outputs are the prediction

Their gradients with respect to y are the familiar ones: softmax(y) - onehot(k), σ(y) - p (both
divided by K for "sigmoid"), 2(y - p)/K for "squared", each divided by the number of counted positions.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.activations import sigmoid
from cells.cell import as_float_array

LOSSES: dict[str, str] = {
    "softmax": "softmax cross-entropy over K classes",
    "sigmoid": "sigmoid binary cross-entropy per output",
    "squared": "squared error per output",
}
WHERE: dict[str, str] = {"each": "a target at every step", "last": "one target, at the last step"}


@dataclass(frozen=True, eq=False)
class Readout:
    """Linear readout y = W·h + b with its loss; ``at`` is "each" (every step) or "last"."""

    weights: np.ndarray  # (K, D)
    bias: np.ndarray  # (K,)
    loss: str = "softmax"
    at: str = "each"

    FIELDS: ClassVar[tuple[str, ...]] = ("weights", "bias")

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"readout loss: expected one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.at not in WHERE:
            raise ValueError(f"readout position: expected one of {', '.join(WHERE)}, got {self.at!r}")
        W = np.asarray(self.weights)
        if W.ndim != 2 or 0 in W.shape:
            raise ValueError(f"readout weights: expected a 2-D (outputs, inputs) array, got shape {W.shape}")
        object.__setattr__(self, "weights", as_float_array(W, "readout weights", np.dtype(np.float64), W.shape))
        object.__setattr__(self, "bias", as_float_array(self.bias, "readout bias", np.dtype(np.float64),
                                                        (W.shape[0],)))

    @classmethod
    def create(cls, input_size: int, output_size: int, *, loss: str = "softmax", at: str = "each",
               seed: int | np.random.Generator = 0) -> Readout:
        """A readout with PyTorch's nn.Linear start: weights and bias uniform in ±1/√D."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        k = 1 / math.sqrt(input_size)
        return cls(rng.uniform(-k, k, (output_size, input_size)), rng.uniform(-k, k, output_size), loss, at)

    @property
    def input_size(self) -> int:
        return self.weights.shape[1]

    @property
    def output_size(self) -> int:
        return self.weights.shape[0]

    def parameters(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights, "bias": self.bias}

    def with_parameters(self, params: dict[str, np.ndarray]) -> Readout:
        return dataclasses.replace(self, **params)

    def outputs(self, hs: np.ndarray) -> np.ndarray:
        """y = W·h + b for every h in hs, (..., D) -> (..., K)."""
        return hs @ self.weights.T + self.bias

    def predict(self, hs: np.ndarray) -> np.ndarray:
        """What the model says: the class for "softmax" (..., ), probabilities for "sigmoid", values for "squared"."""
        y = self.outputs(hs)
        if self.loss == "softmax":
            return np.argmax(y, axis=-1)
        if self.loss == "sigmoid":
            return sigmoid(y)
        return y


def _counted(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """The weight of every position (ones without a mask), ``shape``."""
    if mask is None:
        return np.ones(shape)
    m = np.asarray(mask, dtype=np.float64)
    if m.shape != shape:
        raise ValueError(f"mask: expected shape {shape}, got {m.shape}")
    return m


def softmax(y: np.ndarray) -> np.ndarray:
    """softmax over the last axis, shifted by the max so it never overflows."""
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def loss_and_gradient(readout: Readout, y: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None
                      ) -> tuple[float, np.ndarray]:
    """The mean loss over counted positions and ∂L/∂y, for outputs y (..., K).

    ``targets`` are class indices (...,) for "softmax", values (..., K) otherwise; ``mask`` (...,)
    weighs each position (1 counts, 0 leaves it out).
    """
    positions = y.shape[:-1]
    m = _counted(mask, positions)
    n = m.sum()
    if n <= 0:
        raise ValueError("mask: no position is counted")
    K = y.shape[-1]
    if readout.loss == "softmax":
        k = np.asarray(targets)
        if k.dtype.kind not in "iu" or (k.size and (k.min() < 0 or k.max() >= K)):
            raise ValueError(f"targets: expected class indices from 0 to {K - 1}, got {k.dtype} values")
        if k.shape != positions:
            raise ValueError(f"targets: expected class indices of shape {positions}, got {k.shape}")
        shifted = y - y.max(axis=-1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=-1))  # (...,)
        picked = np.take_along_axis(shifted, k[..., None], axis=-1)[..., 0]
        value = float(((log_z - picked) * m).sum() / n)
        dy = softmax(y)
        np.put_along_axis(dy, k[..., None], np.take_along_axis(dy, k[..., None], axis=-1) - 1.0, axis=-1)
    else:
        p = np.asarray(targets, dtype=np.float64)
        if p.shape != y.shape:
            raise ValueError(f"targets: expected values of shape {y.shape}, got {p.shape}")
        if readout.loss == "sigmoid":
            # -[p log σ(y) + (1-p) log(1-σ(y))] = softplus(y) - p·y, written to stay finite for large |y|
            per = (np.logaddexp(0.0, y) - p * y).mean(axis=-1)
            dy = (sigmoid(y) - p) / K
        else:
            err = y - p
            per = (err * err).mean(axis=-1)
            dy = 2.0 * err / K
        value = float((per * m).sum() / n)
    return value, dy * (m / n)[..., None]


def accuracy(readout: Readout, y: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None,
             tolerance: float = 0.1) -> float:
    """Share of counted positions the model gets right: the class for "softmax", every output on the
    right side of 0.5 for "sigmoid", every output within ``tolerance`` for "squared"."""
    m = _counted(mask, y.shape[:-1]) > 0
    if readout.loss == "softmax":
        right = np.argmax(y, axis=-1) == np.asarray(targets)
    elif readout.loss == "sigmoid":
        right = np.all((y > 0) == (np.asarray(targets) > 0.5), axis=-1)
    else:
        right = np.all(np.abs(y - np.asarray(targets)) < tolerance, axis=-1)
    return float(right[m].mean())
