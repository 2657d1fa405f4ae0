"""Seeded starting weights for any cell, in the schemes PyTorch and Keras use."""

from __future__ import annotations

import math

import numpy as np

from cells.cell import FLOAT_TYPES, Cell
from cells.kinds import cell_class

SCHEMES: dict[str, str] = {
    "pytorch": "PyTorch's default: every weight and bias uniform in ±1/√H",
    "xavier": "Xavier (Glorot) uniform per gate over [h, x], biases zero",
    "orthogonal": "Keras' default: Glorot-uniform input weights, orthogonal recurrent weights, "
    "biases zero (the LSTM forget bias 1)",
}
MAX_HIDDEN = 4096
MAX_INPUT = 100_000


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A uniformly random n×n orthogonal matrix (QR of a Gaussian, signs fixed by R's diagonal)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _uniform(rng: np.random.Generator, limit: float, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-limit, limit, shape)


def initialise(
    kind: str,
    input_size: int,
    hidden_size: int,
    *,
    seed: int | np.random.Generator = 0,
    scheme: str = "pytorch",
    scale: float = 1.0,
    dtype: type | np.dtype = np.float64,
    state_size: int | None = None,
) -> Cell:
    """A new cell of ``kind`` with random weights drawn by ``scheme`` from ``seed``, times ``scale``.

    ``state_size`` is P, the width of h_t, for a kind with a projection (1 to H; None gives the
    kind's default); every other kind's h_t has H numbers. The same arguments give the same weights.
    ``scale`` multiplies every random draw, not the constant forget bias of the Keras scheme.
    """
    cls = cell_class(kind)
    for name, value, top in (("input size", input_size, MAX_INPUT), ("hidden size", hidden_size, MAX_HIDDEN)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= top:
            raise ValueError(f"{name}: expected a whole number from 1 to {top}, got {value!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"initialiser: expected one of {', '.join(SCHEMES)}, got {scheme!r}")
    if not isinstance(scale, (int, float, np.floating)) or not math.isfinite(scale):
        raise ValueError(f"scale: expected a finite number, got {scale!r}")
    if np.dtype(dtype).type not in FLOAT_TYPES:
        raise ValueError(f"dtype: expected float32 or float64, got {np.dtype(dtype)}")
    P = cls.default_state_size(hidden_size) if state_size is None else state_size
    if not cls.PROJECTED and state_size not in (None, hidden_size):
        raise ValueError(f"state size: {cls.LABEL} cells have one h_t number per unit ({hidden_size}), got {P!r}")
    if isinstance(P, bool) or not isinstance(P, (int, np.integer)) or not 1 <= P <= hidden_size:
        raise ValueError(f"state size: expected a whole number from 1 to the hidden size {hidden_size}, got {P!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    H, I, G = hidden_size, input_size, len(cls.GATES)

    weights, biases = {}, {}
    for g in cls.GATES:
        if scheme == "pytorch":
            W = _uniform(rng, 1 / math.sqrt(H), (H, P + I))
            b = _uniform(rng, 1 / math.sqrt(H), (H,))
        elif scheme == "xavier":
            W = _uniform(rng, math.sqrt(6 / (P + I + H)), (H, P + I))
            b = np.zeros(H)
        else:  # Keras: kernel (I, G·H) Glorot, recurrent kernel orthogonal
            W = np.concatenate([_orthogonal(rng, H)[:, :P], _uniform(rng, math.sqrt(6 / (I + G * H)), (H, I))],
                               axis=1)
            b = np.zeros(H)
        weights[g], biases[g] = W * scale, b * scale
    if scheme == "orthogonal" and "forget" in biases:
        biases["forget"] = biases["forget"] + 1.0

    extra: dict[str, dict[str, np.ndarray]] = {}
    if cls.DRAWS_HIDDEN_BIASES:  # PyTorch draws the second bias too (it matters inside r*(W_hn h + b_hn))
        k = 1 / math.sqrt(H)
        extra["hidden_biases"] = {g: (_uniform(rng, k, (H,)) if scheme == "pytorch" else np.zeros(H)) * scale
                                  for g in cls.GATES}
    draw = {  # an (r, c) matrix, r, c <= H
        "pytorch": lambda r, c: _uniform(rng, 1 / math.sqrt(H), (r, c)),
        "xavier": lambda r, c: _uniform(rng, math.sqrt(6 / (r + c)), (r, c)),
        "orthogonal": lambda r, c: _orthogonal(rng, H)[:r, :c],
    }[scheme]
    for field, gates in cls.EXTRA.items():  # the kind's extras, e.g. the peepholes (H, H), a projection (P, H)
        extra[field] = {g: draw(*cls.extra_shape(field, H, P)) * scale for g in gates}

    def cast(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: v.astype(dtype) for k, v in d.items()}

    return cls(weights=cast(weights), biases=cast(biases), **{k: cast(v) for k, v in extra.items()})
