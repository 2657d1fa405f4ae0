"""Numbers that summarise a trace: how much memory each unit keeps, and how saturated each gate is."""

from __future__ import annotations

import numpy as np

from cells.kinds import cell_class
from cells.trace import Trace

SATURATED_LOW, SATURATED_HIGH = 0.05, 0.95


def keep_share(trace: Trace) -> np.ndarray | None:
    """The share of the old memory kept at each step, (T, H), in input order: the LSTM's f_t, the
    deck GRU's 1 - z_t, the PyTorch/Keras GRU's z_t; None for the plain RNN."""
    return cell_class(trace.kind).keep_share(trace.values)


def memory_half_life(trace: Trace) -> np.ndarray | None:
    """Per unit, the number of steps read before the running product of the keep share falls below
    0.5, (H,) floats; ``inf`` where it never does within the sequence. None for the plain RNN.

    For a backward direction the product runs in reading order, from the last token to the first.
    """
    keep = keep_share(trace)
    if keep is None:
        return None
    if trace.reverse:
        keep = keep[::-1]  # (T, H) in reading order
    below = np.cumprod(keep, axis=0) < 0.5  # (T, H): the product once it has fallen below a half
    first = np.argmax(below, axis=0).astype(float) + 1  # (H,): steps read up to and including that one
    first[~below.any(axis=0)] = np.inf
    return first


def saturation(values: np.ndarray, low: float = SATURATED_LOW, high: float = SATURATED_HIGH) -> float:
    """The fraction of entries below ``low`` or above ``high``: for a σ gate, how often it is all but shut or open."""
    values = np.asarray(values)
    return float(np.mean((values < low) | (values > high)))
