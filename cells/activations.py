"""Squashing functions that stay finite and silent for any finite pre-activation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(a) = 1 / (1 + e^{-a}), computed as 0.5·tanh(a/2) + 0.5.

    The tanh form never overflows (tanh saturates at ±1), so pre-activations up to ±1e300
    give 0 or 1 without a warning; the two forms agree to the last few ulps.
    """
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def tanh(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """tanh(a), finite for any finite a."""
    return np.tanh(a, out=out)


# ----- the gate activation: σ, or a hard sigmoid as Keras 2 (and Keras 3) trained some models with --------------
@dataclass(frozen=True)
class GateActivation:
    """What squashes a gate's pre-activation into [0, 1]: the logistic σ, or a piecewise-linear hard sigmoid

        σ(a)  = 1 / (1 + e^{-a})                    "sigmoid"
        σ̂(a)  = clip(0.2·a + 0.5, 0, 1)             "hard_sigmoid": Keras 2's and TensorFlow's (LSTM and GRU's
                                                    default recurrent_activation before Keras 2.3)
        σ̂₆(a) = relu6(a + 3) / 6 = clip(a/6 + 0.5, 0, 1)   "hard_sigmoid_relu6": Keras 3's hard_sigmoid, PyTorch's
                                                    nn.Hardsigmoid

    Each derivative is known from the value alone: σ' = σ(1 - σ), and a hard sigmoid's is its slope where
    0 < value < 1 and 0 where it is clipped (at exactly 0 or 1, the flat side).
    """

    name: str
    symbol: str  # as a page writes it: "σ", "σ̂"
    latex: str  # r"\sigma", r"\hat{\sigma}"
    formula: str  # the definition, in one line
    slope: float | None = None  # None for the logistic σ; the slope of the hard sigmoid's ramp

    def __call__(self, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The gate's value for pre-activation ``a`` (any shape)."""
        if self.slope is None:
            return sigmoid(a, out)
        out = np.multiply(a, self.slope, out=out)
        out += 0.5
        return np.clip(out, 0.0, 1.0, out=out)

    def derivative(self, value: np.ndarray) -> np.ndarray:
        """d(gate)/d(pre-activation), from the gate's value: σ(1 - σ), or the slope inside the ramp and 0 outside."""
        if self.slope is None:
            return value * (1.0 - value)
        return np.where((value > 0.0) & (value < 1.0), self.slope, 0.0).astype(np.result_type(value), copy=False)

    # The fused loops fold σ's halving into the weights (σ(a) = 0.5·tanh(a/2) + 0.5, exact in binary) and
    # squash every gate with one tanh call; a hard sigmoid needs no folding and is applied as it is.
    @property
    def scale(self) -> float:
        """What a fused loop multiplies the σ gates' columns by first: 0.5 for σ, 1 for a hard sigmoid."""
        return 0.5 if self.slope is None else 1.0

    @property
    def hard(self) -> GateActivation | None:
        """Itself when it is a hard sigmoid (a fused loop calls it on the pre-activations), None for σ."""
        return None if self.slope is None else self


GATE_ACTIVATIONS: dict[str, GateActivation] = {
    "sigmoid": GateActivation("sigmoid", "σ", r"\sigma", "σ(a) = 1 / (1 + e^{-a})"),
    "hard_sigmoid": GateActivation("hard_sigmoid", "σ̂", r"\hat{\sigma}", "σ̂(a) = clip(0.2·a + 0.5, 0, 1)", 0.2),
    "hard_sigmoid_relu6": GateActivation("hard_sigmoid_relu6", "σ̂₆", r"\hat{\sigma}_6",
                                         "σ̂₆(a) = relu6(a + 3) / 6 = clip(a/6 + 0.5, 0, 1)", 1.0 / 6.0),
}


def gate_activation_named(name: object) -> GateActivation:
    """The GateActivation called ``name``, or a ValueError naming the known ones."""
    if not isinstance(name, str) or name not in GATE_ACTIVATIONS:
        raise ValueError(f"gate activation: expected one of {', '.join(GATE_ACTIVATIONS)}, got {name!r}")
    return GATE_ACTIVATIONS[name]
