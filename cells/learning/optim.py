"""Optimisers and gradient-norm clipping, on flat lists of parameter arrays.

Training keeps the parameters of a network and its readout as one list of arrays (``flatten``);
an optimiser turns (parameters, gradients) into new parameters, never changing its inputs.

    SGD:   θ ← θ - lr·(g + momentum·v),  v ← momentum·v + g        (plain SGD when momentum = 0)
    Adam:  m ← β₁m + (1-β₁)g,  v ← β₂v + (1-β₂)g²,
           θ ← θ - lr·m̂ / (√v̂ + ε),  m̂ = m/(1-β₁ᵗ),  v̂ = v/(1-β₂ᵗ)
    clip:  g ← g·min(1, c/‖g‖), ‖g‖ the norm of all gradients together
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

OPTIMIZERS = ("adam", "sgd")


def flatten(tree: Any) -> list[np.ndarray]:
    """Every array in nested dicts, tuples and lists, in their order (dicts in insertion order)."""
    if isinstance(tree, np.ndarray):
        return [tree]
    items = tree.values() if isinstance(tree, dict) else tree
    return [a for item in items for a in flatten(item)]


def unflatten(tree: Any, arrays: Sequence[np.ndarray]) -> Any:
    """``tree`` with its arrays replaced, in ``flatten`` order, by ``arrays``."""
    it = iter(arrays)

    def rebuild(node: Any) -> Any:
        if isinstance(node, np.ndarray):
            return next(it)
        if isinstance(node, dict):
            return {k: rebuild(v) for k, v in node.items()}
        return type(node)(rebuild(v) for v in node)

    out = rebuild(tree)
    if next(it, None) is not None:
        raise ValueError("unflatten: more arrays than the tree holds")
    return out


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """‖g‖ over all arrays together."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads))


def clip_by_norm(grads: Sequence[np.ndarray], max_norm: float | None) -> tuple[list[np.ndarray], float]:
    """The gradients scaled so their joint norm is at most ``max_norm`` (None: unchanged), and the norm before."""
    norm = global_norm(grads)
    if max_norm is None or not norm > max_norm:
        return list(grads), norm
    scale = max_norm / norm
    return [g * scale for g in grads], norm


class SGD:
    """Stochastic gradient descent, with optional (heavy-ball) momentum."""

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr, self.momentum = lr, momentum
        self.velocity: list[np.ndarray] | None = None

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        if self.momentum == 0.0:
            return [p - self.lr * g for p, g in zip(params, grads, strict=True)]
        if self.velocity is None:
            self.velocity = [np.zeros_like(g) for g in grads]
        self.velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads, strict=True)]
        return [p - self.lr * v for p, v in zip(params, self.velocity, strict=True)]


class Adam:
    """Adam (Kingma & Ba) with the usual bias correction."""

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None
        self.t = 0

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        if self.m is None or self.v is None:
            self.m = [np.zeros_like(g) for g in grads]
            self.v = [np.zeros_like(g) for g in grads]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)  # both corrections in one factor
        eps = self.eps * math.sqrt(1 - b2**self.t)  # so that ε stays next to √v̂, not √v
        out = []
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * (g * g)
            out.append(p - step * self.m[k] / (np.sqrt(self.v[k]) + eps))
        return out


def make_optimizer(name: str, lr: float) -> SGD | Adam:
    if name == "adam":
        return Adam(lr)
    if name == "sgd":
        return SGD(lr)
    raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
