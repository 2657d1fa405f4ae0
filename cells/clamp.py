"""Clamping a gate: force its activation to a constant for chosen units and steps (an ablation).

The clamped value replaces the gate's activation right after it is computed, before anything uses
it, so everything downstream (the cell state, h_t, the next steps) follows the forced gate. The
recorded pre-activation keeps the value the gate would have had, so a page can show both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Direction = str  # "forward" or "backward"


@dataclass(frozen=True)
class Clamp:
    """Force ``gate`` to ``value`` at ``steps`` (input order; None = all) for ``units`` (None = all).

    ``layer`` and ``direction`` say which cell of a network it applies to.
    """

    gate: str
    value: float
    units: tuple[int, ...] | None = None
    steps: tuple[int, ...] | None = None
    layer: int = 0
    direction: Direction = "forward"

    def __post_init__(self) -> None:
        if not isinstance(self.value, (int, float, np.floating)) or not math.isfinite(self.value):
            raise ValueError(f"clamp of {self.gate}: expected a finite value, got {self.value!r}")
        if self.direction not in ("forward", "backward"):
            raise ValueError(f"clamp of {self.gate}: direction must be 'forward' or 'backward', got {self.direction!r}")
        for what in ("units", "steps"):
            given = getattr(self, what)
            if given is not None:
                object.__setattr__(self, what, tuple(int(i) for i in given))


    def mirrored(self, steps: int) -> Clamp:
        """The same clamp for a cell that reads the sequence backwards (its step k is input step T-1-k)."""
        if self.steps is None:
            return self
        return Clamp(self.gate, self.value, self.units, tuple(steps - 1 - t for t in self.steps), self.layer,
                     self.direction)


Todo = tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (gate view, value, unit mask) per clamped gate


def check(clamps: Sequence[Clamp], gates: Sequence[str], sigmoid: Sequence[str], hidden: int, steps: int) -> None:
    """Refuse a clamp this cell cannot apply, saying why."""
    for clamp in clamps:
        if not isinstance(clamp, Clamp):
            raise ValueError(f"clamps: expected cells.Clamp values, got {type(clamp).__name__}")
        if clamp.gate not in gates:
            raise ValueError(f"clamp: this cell's gates are {', '.join(gates)}; {clamp.gate!r} cannot be clamped")
        lo, hi = (0.0, 1.0) if clamp.gate in sigmoid else (-1.0, 1.0)
        if not lo <= clamp.value <= hi:
            raise ValueError(f"clamp of {clamp.gate}: its values lie in [{lo:g}, {hi:g}], got {clamp.value:g}")
        for u in clamp.units or ():
            if not 0 <= u < hidden:
                raise ValueError(f"clamp of {clamp.gate}: unit {u} is outside 0..{hidden - 1}")
        for t in clamp.steps or ():
            if not 0 <= t < steps:
                raise ValueError(f"clamp of {clamp.gate}: step {t} is outside 0..{steps - 1}")


def plan(clamps: Sequence[Clamp], views: dict[str, np.ndarray], steps: int) -> list[Todo] | None:
    """For every step, what to overwrite among the gates in ``views`` (slices of the loop's step row).

    None when none of these gates is clamped, so the loop pays one test per step and nothing more.
    """
    todo: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in range(steps)]
    for clamp in clamps:
        view = views.get(clamp.gate)
        if view is None:
            continue
        mask = np.zeros(view.shape[0], bool)
        mask[list(clamp.units) if clamp.units is not None else slice(None)] = True
        value = np.full(view.shape[0], clamp.value, view.dtype)
        for t in clamp.steps if clamp.steps is not None else range(steps):
            todo[t].append((view, value, mask))
    return [tuple(step) for step in todo] if any(todo) else None


def apply(todo: Todo) -> None:
    """Overwrite the clamped units of each gate for this step."""
    for view, value, mask in todo:
        np.copyto(view, value, where=mask)
