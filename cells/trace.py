"""What a run records: the state carried between steps, one step's record, and a whole Trace."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class State:
    """What a cell carries from one step to the next: h_t, and C_t for the LSTM family."""

    hidden: np.ndarray  # (P,): P = H except for a cell with a projection
    cell: np.ndarray | None = None  # (H,)


@dataclass(frozen=True, eq=False)
class Step:
    """Everything needed to explain step t with the numbers plugged in."""

    t: int
    x: np.ndarray  # (I,) x_t
    previous: State  # h_{t-1} (and C_{t-1}) in reading order
    concat: np.ndarray  # (P + I,) [h_{t-1}, x_t]
    pre: dict[str, np.ndarray]  # gate -> (H,) argument of its σ or tanh
    values: dict[str, np.ndarray]  # gate or state -> (H,)


@dataclass(frozen=True, eq=False)
class Trace:
    """One direction of one layer over a whole sequence; every array is (T, H) in input order
    (h_t and what is made from it (T, P), P the width of h_t: H except for a cell with a projection).

    ``pre`` holds each gate's pre-activation, ``values`` every gate's activation and every state
    (``cell``, ``hidden`` ...). A backward direction (``reverse=True``) read the sequence from its
    end, but its arrays are stored in input order, so row t always belongs to token t.
    """

    kind: str
    family: str
    inputs: np.ndarray  # (T, I)
    initial: State
    pre: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    reverse: bool = False
    gate_activation: str = "sigmoid"  # the function the σ gates were squashed by (cells.activations)

    @property
    def steps(self) -> int:
        return self.inputs.shape[0]

    @property
    def hidden_size(self) -> int:
        """H, the number of units: the width of C_t where there is one, else of h_t."""
        return self.values["cell" if "cell" in self.values else "hidden"].shape[1]

    @property
    def state_size(self) -> int:
        """P, the width of h_t (H except for a cell with a projection)."""
        return self.values["hidden"].shape[1]

    @property
    def input_size(self) -> int:
        return self.inputs.shape[1]

    @property
    def output(self) -> np.ndarray:
        """h_t for every step, (T, P)."""
        return self.values["hidden"]

    @property
    def final(self) -> State:
        """The state after reading the whole sequence (at t = 0 for a backward direction)."""
        last = 0 if self.reverse else -1
        cell = self.values.get("cell")
        return State(self.values["hidden"][last], None if cell is None else cell[last])

    def _previous(self, name: str, initial: np.ndarray | None) -> np.ndarray | None:
        """The (T, H) array of the state before each step, in reading order."""
        if initial is None:
            return None
        now = self.values[name]
        if self.reverse:
            return np.concatenate([now[1:], initial[None]])  # (T, H): h_{t+1}, then h0 at the end
        return np.concatenate([initial[None], now[:-1]])  # (T, H): h0, then h_{t-1}

    @property
    def previous_hidden(self) -> np.ndarray:
        """h_{t-1} for every step (the h the cell read before token t), (T, P)."""
        return self._previous("hidden", self.initial.hidden)

    @property
    def previous_cell(self) -> np.ndarray | None:
        """C_{t-1} for every step, (T, H), or None for cells without a cell state."""
        return self._previous("cell", self.initial.cell)

    @property
    def concat(self) -> np.ndarray:
        """[h_{t-1}, x_t] for every step, (T, P + I): the vector every gate's weights multiply."""
        return np.concatenate([self.previous_hidden, self.inputs], axis=1)

    def at(self, t: int) -> Step:
        """The record of step t (an index into the input order; negative counts from the end)."""
        if not -self.steps <= t < self.steps:
            raise ValueError(f"step {t} is outside the sequence of {self.steps} steps")
        t = t % self.steps
        h_prev = self.previous_hidden[t]
        c_prev = self.previous_cell
        return Step(
            t=t,
            x=self.inputs[t],
            previous=State(h_prev, None if c_prev is None else c_prev[t]),
            concat=np.concatenate([h_prev, self.inputs[t]]),
            pre={k: v[t] for k, v in self.pre.items()},
            values={k: v[t] for k, v in self.values.items()},
        )

    def reversed_order(self) -> Trace:
        """This trace with its time axis flipped and its direction marked (used for backward layers)."""
        return Trace(
            kind=self.kind,
            family=self.family,
            inputs=self.inputs[::-1],
            initial=self.initial,
            pre={k: v[::-1] for k, v in self.pre.items()},
            values={k: v[::-1] for k, v in self.values.items()},
            reverse=not self.reverse,
            gate_activation=self.gate_activation,
        )
