"""The base every cell shares: named per-gate parameters, their checks, and the step/run driver.

A cell is a frozen dataclass of per-gate arrays over the deck's concatenation [h_{t-1}, x_t]:
``weights[g]`` is (H, P + I) with the hidden columns first, ``biases[g]`` is (H,). H counts the units
(the rows of every gate, the width of C_t); P is the width of h_t, ``state_size``, which is H for
every kind except one that maps its output through a projection (the LSTM with projections). PyTorch and
Keras keep a second, recurrent bias; ``hidden_biases`` holds it when a model came from them, and
the deck's cells leave it ``None``. The fused matrices the loop multiplies are derived from these
on every run, never stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cells.activations import GATE_ACTIVATIONS, GateActivation, gate_activation_named
from cells.clamp import Clamp
from cells.clamp import check as check_clamps
from cells.gates import GATES as GATE_TABLE
from cells.gates import GateInfo
from cells.trace import State, Step, Trace

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True, eq=False)
class StepParts:
    """The pieces of a step's products, for gates whose hidden columns read something other than h_{t-1}
    (or whose product must stay apart): ``xw[g]`` is W_g's input columns times x_t plus b_g, ``hw[g]``
    W_g's hidden columns times h_{t-1} (gates in RECURRENT), ``W[g]`` gate g's hidden columns, (H, P)."""

    xw: Arrays
    hw: Arrays
    W: Arrays

FLOAT_TYPES = (np.float32, np.float64)
MAX_STEPS = 100_000


def first_nonfinite(a: np.ndarray) -> str:
    """The first value of ``a`` that is NaN or infinite, and where it is, for an error message."""
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    where = f"row {index[0]}, column {index[1]}" if len(index) == 2 else f"position {index[0]}"
    return f"{a[index]} at {where}"


def as_float_array(value: object, name: str, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as a read-only, finite array of ``shape`` and ``dtype``, or a ValueError naming ``name``."""
    try:
        a = np.array(value, dtype=dtype)  # copies, so later edits of the caller's array don't leak in
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers of shape {shape}, got {type(value).__name__}") from None
    if a.shape != shape:
        raise ValueError(f"{name}: expected {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: every value must be finite, found {first_nonfinite(a)}")
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Cell:
    """Parameters of one recurrent cell; ``step`` and ``run`` are pure functions of them."""

    weights: dict[str, np.ndarray]  # gate -> (H, P + I) over [h_{t-1}, x_t]
    biases: dict[str, np.ndarray]  # gate -> (H,)
    hidden_biases: dict[str, np.ndarray] | None = None  # gate -> (H,): PyTorch's b_h*, Keras' recurrent bias
    gate_activation: str = "sigmoid"  # what squashes the SIGMOID gates: a name in cells.activations.GATE_ACTIVATIONS

    KIND: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""
    FAMILY: ClassVar[str] = ""
    GATES: ClassVar[tuple[str, ...]] = ()  # gates with weights, in the deck's order
    SIGMOID: ClassVar[tuple[str, ...]] = ()  # which of GATES are squashed by σ (the rest by tanh)
    FUSED: ClassVar[tuple[str, ...]] = ()  # the GATES in the order of the fused matrices (default: GATES)
    HAS_CELL: ClassVar[bool] = False
    PROJECTED: ClassVar[bool] = False  # h_t is a projection of the units: its width P is chosen (state_size)
    CLAMPABLE: ClassVar[bool] = True  # whether its gates can be forced to constants (cells.Clamp)

    # ----- what a kind declares (see cells/README.md) -------------------------------------------
    SHOWN: ClassVar[tuple[str, ...]] = ()  # the gates and states a page draws, in the lecture's order
    KEEP: ClassVar[tuple[str, int] | None] = None  # (gate, +1): the gate is the share of the old memory
    #                                                kept; (gate, -1): 1 - gate is. None: nothing decides it
    EXTRA: ClassVar[dict[str, tuple[str, ...]]] = {}  # more parameters, (H, H) unless extra_shape says otherwise:
    #                                                   field -> gates ({"peepholes": ...})
    DRAWS_HIDDEN_BIASES: ClassVar[bool] = False  # PyTorch's initialiser draws the second bias too
    RECURRENT: ClassVar[tuple[tuple[str, ...], ...]] = ()  # gates whose W_g·h_{t-1} is one product (default: all)
    RECURRENT_INPUT: ClassVar[dict[str, str]] = {}  # gate -> the value its hidden columns multiply, if not h_{t-1}
    GATE_INFO: ClassVar[dict[str, GateInfo]] = {}  # this family's own names and symbols, added to cells.GATES
    EQUATIONS: ClassVar[tuple[str, ...]] = ()  # the lecture's equations, one LaTeX line each
    NUMBERS: ClassVar[tuple[tuple[str, str, str], ...]] = ()  # per equation (lhs, numbers with %{slots}, result)
    NOTE: ClassVar[str] = ""  # what sets this kind apart, in a sentence

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.FUSED or set(cls.FUSED) != set(cls.GATES):
            cls.FUSED = cls.GATES
        if not cls.RECURRENT or not set(cls.RECURRENT[0]) <= set(cls.GATES):
            cls.RECURRENT = (tuple(g for g in cls.GATES if g not in cls.RECURRENT_INPUT),)
        GATE_TABLE.update({(cls.FAMILY, name): info for name, info in cls.GATE_INFO.items()})

    def __post_init__(self) -> None:
        if not isinstance(self.weights, dict) or set(self.weights) != set(self.GATES):
            got = sorted(self.weights) if isinstance(self.weights, dict) else type(self.weights).__name__
            raise ValueError(f"{self.KIND} weights: expected gates {list(self.GATES)}, got {got}")
        # The shape most gates agree on is the expected one, so the odd gate out is the one blamed.
        shapes = [np.shape(self.weights[g]) for g in self.GATES]
        shape = max(shapes, key=shapes.count)
        state = self._state_width(shape[0]) if len(shape) == 2 and shape[0] else 0
        if len(shape) != 2 or shape[0] == 0 or shape[1] <= state:
            h = "hidden" if state in (0, shape[0]) else str(state)
            raise ValueError(
                f"{self.GATES[shapes.index(shape)]} weights: expected a 2-D (hidden, {h} + input) array with "
                f"at least one input column, got shape {shape}"
            )
        hidden, width = shape
        gate_activation_named(self.gate_activation)  # a ValueError naming the known ones
        if self.gate_activation != "sigmoid" and not self.SIGMOID:
            raise ValueError(f"gate activation: a {self.LABEL} has no σ gates, so it takes no {self.gate_activation}")
        dtype = self._pick_dtype()
        set_ = object.__setattr__
        set_(self, "weights", {g: as_float_array(self.weights[g], f"{g} weights", dtype, (hidden, width))
                               for g in self.GATES})
        set_(self, "biases", self._vectors(self.biases, "bias", dtype, hidden, required=True))
        if self.hidden_biases is not None:
            set_(self, "hidden_biases", self._vectors(self.hidden_biases, "hidden bias", dtype, hidden))
        self._check_extra(dtype, hidden)

    def _state_width(self, hidden: int) -> int:
        """P, the width of h_t, for a cell of ``hidden`` units (read off the given parameters; H here)."""
        return hidden

    @classmethod
    def default_state_size(cls, hidden_size: int) -> int:
        """The width of h_t a new cell of ``hidden_size`` units gets when nobody chooses it."""
        return hidden_size

    @classmethod
    def extra_shape(cls, field: str, hidden_size: int, state_size: int) -> tuple[int, int]:
        """The shape of each matrix of the EXTRA ``field``: (H, H) unless the kind says otherwise."""
        return (hidden_size, hidden_size)

    def _pick_dtype(self) -> np.dtype:
        """float32 when every given array is float32, else float64 (the default)."""
        arrays = [*self.weights.values(), *(self.biases or {}).values()]
        is32 = all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays)
        return np.dtype(np.float32 if is32 else np.float64)

    def _vectors(self, given: object, what: str, dtype: np.dtype, hidden: int, required: bool = False
                 ) -> dict[str, np.ndarray]:
        """Check a gate -> (H,) mapping; ``what`` is singular ("bias"), used in messages."""
        ok = isinstance(given, dict) and (set(given) == set(self.GATES) if required else set(given) <= set(self.GATES))
        if not ok:
            got = sorted(given) if isinstance(given, dict) else type(given).__name__
            raise ValueError(f"{self.KIND} {what} vectors: expected gates {list(self.GATES)}, got {got}")
        return {g: as_float_array(given[g], f"{g} {what}", dtype, (hidden,)) for g in self.GATES if g in given}

    def _check_extra(self, dtype: np.dtype, hidden: int) -> None:
        """The parameters the kind declares in EXTRA ((H, H) unless extra_shape says otherwise); a field
        left None means all zero."""
        for field, gates in self.EXTRA.items():
            shape = self.extra_shape(field, hidden, self._state_width(hidden))
            given = getattr(self, field)
            if given is None:
                given = {g: np.zeros(shape) for g in gates}
            what = field.rstrip("s").replace("_", " ")
            if not isinstance(given, dict) or set(given) != set(gates):
                got = sorted(given) if isinstance(given, dict) else type(given).__name__
                raise ValueError(f"{what} weights: expected gates {list(gates)}, got {got}")
            checked = {g: as_float_array(given[g], f"{g} {what} weights", dtype, shape) for g in gates}
            object.__setattr__(self, field, checked)

    @classmethod
    def keep_share(cls, values: dict[str, np.ndarray]) -> np.ndarray | None:
        """The share of the old memory each unit keeps at each step, (T, H), from a trace's values
        (the KEEP gate, or 1 minus it); None for cells with no gate that decides it (the plain RNN)."""
        if cls.KEEP is None:
            return None
        gate, sign = cls.KEEP
        return values[gate] if sign > 0 else 1.0 - values[gate]

    @classmethod
    def memory(cls) -> str:
        """The state that carries memory: ``cell`` (C_t) where the kind has one, else ``hidden`` (h_t)."""
        return "cell" if cls.HAS_CELL else "hidden"

    @property
    def sigma(self) -> GateActivation:
        """The function the equations write σ: the logistic sigmoid unless ``gate_activation`` names a hard one."""
        return GATE_ACTIVATIONS[self.gate_activation]

    @classmethod
    def templates(cls, gate_activation: str = "sigmoid") -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
        """(EQUATIONS, NUMBERS) with σ written as the gate activation's symbol (σ̂ for Keras 2's hard sigmoid)."""
        latex = gate_activation_named(gate_activation).latex

        def swap(text: str) -> str:
            return text.replace(r"\sigma(", latex + "(")

        return (tuple(swap(e) for e in cls.EQUATIONS),
                tuple((lhs, swap(numbers), result) for lhs, numbers, result in cls.NUMBERS))

    @classmethod
    def derived(cls, values: Arrays, pre: Arrays) -> Arrays:
        """Numbers the NUMBERS template shows that the trace does not record (e.g. W_in·x_t + b_in)."""
        return {}

    @staticmethod
    def diagram(box_w: float, box_h: float) -> dict:
        """Where the drawing of the cell puts its boxes, nodes, labels and wires, given the boxes' half sizes."""
        raise NotImplementedError

    # ----- the maths every kind writes (the readable reference, its backward step, its Jacobian) --
    def reference_step(self, a: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, parts: StepParts
                       ) -> tuple[Arrays, Arrays]:
        """One step written as the lecture writes it, for a batch (B, H) or one sequence (H,).

        ``a[g]`` is W_g·[h_{t-1}, x_t] + b_g for the gates in RECURRENT; ``parts`` holds the pieces
        for the others (see StepParts). Returns (every gate's pre-activation, every value the trace
        records, states included). The fused ``_recur`` is proven equal to it.
        """
        raise NotImplementedError

    def backward_step(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, dh: np.ndarray,
                      dc: np.ndarray | None, W: Arrays) -> tuple[Arrays, Arrays, np.ndarray | None, np.ndarray | None]:
        """Step t of backpropagation through time, given its values ``v`` and dh = ∂L/∂h_t (dc = ∂L/∂C_t).

        Returns (da, dr, dh_p, dc_p): da[g] = ∂L/∂ of gate g's pre-activation; dr[g] = ∂L/∂(W_g's hidden
        columns times their input) where that differs from da[g]; dh_p = what reaches h_{t-1} other
        than through the hidden columns of the RECURRENT gates (those the caller adds, one product per
        group), None for nothing; dc_p = ∂L/∂C_{t-1} (None without a cell state).
        """
        raise NotImplementedError

    def extra_gradients(self, da: Arrays, values: Arrays, previous_cell: np.ndarray | None, dh: np.ndarray
                        ) -> Arrays:
        """∂L/∂ of the EXTRA parameters, from every step's da (T, B, H), values and dh = ∂L/∂h_t (T, B, P):
        {field: {gate: an array of the parameter's shape}}."""
        return {}

    def step_jacobian(self, v: Arrays, h_p: np.ndarray, c_p: np.ndarray | None, W: Arrays) -> np.ndarray:
        """J_t = ∂s_t/∂s_{t-1} of one sequence, with s = h (P, P) or [h, C] (P + H, P + H), at one step or at
        every step at once: ``v`` holds the step's values (H,; h_t is (P,)), or every step's ((T, H); (T, P)),
        h_p and c_p likewise, and ``W[g]`` is gate g's hidden columns (H, P). Returns (S, S), or (T, S, S):
        the formulas broadcast over the leading axis, so one call does the whole sequence."""
        raise NotImplementedError

    # ----- sizes -------------------------------------------------------------------------------
    @property
    def hidden_size(self) -> int:
        """H, the number of units: the rows of every gate (and the width of C_t)."""
        return self.weights[self.GATES[0]].shape[0]

    @property
    def state_size(self) -> int:
        """P, the width of h_t (and of the hidden columns of every gate): H except with a projection."""
        return self._state_width(self.hidden_size)

    @property
    def input_size(self) -> int:
        return self.weights[self.GATES[0]].shape[1] - self.state_size

    @property
    def dtype(self) -> np.dtype:
        return self.weights[self.GATES[0]].dtype

    def parameters(self) -> dict[str, dict[str, np.ndarray]]:
        """Every parameter dict this cell has: field ("weights", "biases", "hidden_biases", "peepholes")
        -> gate -> its read-only array."""
        return {f.name: dict(getattr(self, f.name)) for f in dataclasses.fields(self)
                if isinstance(getattr(self, f.name), dict)}

    def astype(self, dtype: type | np.dtype) -> Cell:
        """A copy with every parameter in ``dtype`` (float32 or float64)."""
        dtype = np.dtype(dtype)
        if dtype.type not in FLOAT_TYPES:
            raise ValueError(f"dtype: expected float32 or float64, got {dtype}")
        changes = {field: {g: a.astype(dtype) for g, a in arrays.items()}
                   for field, arrays in self.parameters().items()}
        return dataclasses.replace(self, **changes)

    # ----- fused views of the per-gate parameters ----------------------------------------------
    def _input_weights(self) -> np.ndarray:
        """The input columns of every gate side by side in FUSED order, (I, G·H)."""
        P = self.state_size
        return np.ascontiguousarray(np.concatenate([self.weights[g][:, P:] for g in self.FUSED]).T)

    def _recurrent_weights(self, gates: tuple[str, ...]) -> np.ndarray:
        """The hidden columns of ``gates`` side by side, (P, len(gates)·H)."""
        P = self.state_size
        return np.ascontiguousarray(np.concatenate([self.weights[g][:, :P] for g in gates]).T)

    def _bias(self, gate: str) -> np.ndarray:
        """b_g, plus the recurrent bias b_hg where the model has one, (H,)."""
        b = self.biases[gate]
        if self.hidden_biases is not None and gate in self.hidden_biases:
            b = b + self.hidden_biases[gate]
        return b

    # ----- running -----------------------------------------------------------------------------
    def initial_state(self) -> State:
        return State(np.zeros(self.state_size, self.dtype),
                     np.zeros(self.hidden_size, self.dtype) if self.HAS_CELL else None)

    def _check_state(self, state: State | None) -> State:
        if state is None:
            return self.initial_state()
        if not isinstance(state, State):
            raise ValueError(f"initial state: expected a cells.State, got {type(state).__name__}")
        H = self.hidden_size
        hidden = as_float_array(state.hidden, "initial hidden state", self.dtype, (self.state_size,))
        if not self.HAS_CELL:
            return State(hidden)
        if state.cell is None:
            raise ValueError(f"initial cell state: a {self.KIND} cell needs one, got None")
        return State(hidden, as_float_array(state.cell, "initial cell state", self.dtype, (H,)))

    def _check_inputs(self, xs: object) -> np.ndarray:
        I = self.input_size
        try:
            a = np.asarray(xs, dtype=self.dtype)
        except (TypeError, ValueError):
            raise ValueError(f"inputs: expected a (T, {I}) array of numbers, got {type(xs).__name__}") from None
        if a.ndim == 1 and I == 1:
            a = a[:, None]
        if a.ndim != 2 or a.shape[1] != I:
            raise ValueError(f"inputs: expected (T, {I}), {I} numbers per step, got shape {a.shape}")
        if a.shape[0] == 0:
            raise ValueError("inputs: the sequence is empty")
        if a.shape[0] > MAX_STEPS:
            raise ValueError(f"inputs: {a.shape[0]} steps is over the engine's limit of {MAX_STEPS}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"inputs: every value must be finite, found {first_nonfinite(a)}")
        return a

    def run(self, xs: np.ndarray, initial_state: State | None = None, clamps: Sequence[Clamp] = ()) -> Trace:
        """Read xs, (T, I), from first to last step and record every gate and state.

        ``clamps`` force gates to constants (see cells.clamp); their steps count in the order read.
        """
        xs = self._check_inputs(xs)
        state = self._check_state(initial_state)
        clamps = tuple(clamps)
        if clamps and not self.CLAMPABLE:
            raise ValueError(f"clamp: a {self.LABEL} has no gates to clamp")
        check_clamps(clamps, self.GATES, self.SIGMOID, self.hidden_size, len(xs))
        with np.errstate(over="ignore", invalid="ignore"):
            pre = self._project(xs)
            values = self._recur(pre, state, clamps)
        pre_by_gate = {g: pre[:, self.FUSED.index(g)] for g in self.GATES}
        if not all(np.all(np.isfinite(v)) for v in (*pre_by_gate.values(), *values.values())):
            raise ValueError("the numbers overflowed: inputs times weights exceed the floating-point range")
        for v in (*pre_by_gate.values(), *values.values()):
            v.flags.writeable = False  # a Trace is a record: nobody downstream may change it
        return Trace(self.KIND, self.FAMILY, xs, state, pre_by_gate, values, gate_activation=self.gate_activation)

    def step(self, x: np.ndarray, state: State | None = None) -> tuple[State, Step]:
        """One step: read x_t, (I,), with the state after step t-1; return the new state and the record."""
        x = np.asarray(x)
        if x.ndim != 1:
            raise ValueError(f"x_t: expected a vector of {self.input_size} numbers, got shape {x.shape}")
        trace = self.run(x[None], state)
        return trace.final, trace.at(0)

    def _project(self, xs: np.ndarray) -> np.ndarray:
        """Every gate's input projection and bias for all steps in one matmul, (T, G, H) in FUSED order."""
        G, H = len(self.GATES), self.hidden_size
        pre = xs @ self._input_weights()  # (T, G·H)
        pre += np.concatenate([self._bias(g) for g in self.FUSED])
        return pre.reshape(len(xs), G, H)

    def _recur(self, pre: np.ndarray, state: State, clamps: tuple[Clamp, ...]) -> dict[str, np.ndarray]:
        """Complete ``pre`` (T, G, H) in place step by step and return every value, each (T, H).

        The loops are written for speed: one recurrent matmul per step, every result written into
        buffers allocated once, and σ(a) computed as 0.5·tanh(a/2) + 0.5 with the halving folded into
        the weights (exact: scaling by a power of two never rounds), so one tanh call squashes all gates.
        """
        raise NotImplementedError
