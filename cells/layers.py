"""Bidirectional layers and deep stacks of them.

A layer reads the sequence forward, and, when bidirectional, a second cell reads it backward;
its output at step t is [h_t forward, h_t backward], (T, D·P), as in PyTorch (P, the width of h_t,
is the number of units H except for a cell with a projection). A network is a
stack of layers, layer k reading layer k-1's output. Every layer and direction keeps its Trace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cells.cell import Cell
from cells.clamp import Clamp
from cells.initializers import initialise
from cells.trace import State, Trace

MAX_LAYERS = 16


DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True, eq=False)
class LayerTrace:
    forward: Trace
    backward: Trace | None = None  # stored in input order, with reverse=True

    @property
    def directions(self) -> tuple[Trace, ...]:
        return (self.forward,) if self.backward is None else (self.forward, self.backward)

    @property
    def output(self) -> np.ndarray:
        """h_t of every direction side by side, (T, D·P)."""
        if self.backward is None:
            return self.forward.output
        return np.concatenate([self.forward.output, self.backward.output], axis=1)


@dataclass(frozen=True, eq=False)
class Layer:
    forward: Cell
    backward: Cell | None = None

    def __post_init__(self) -> None:
        for name, cell in (("forward", self.forward), ("backward", self.backward)):
            if cell is not None and not isinstance(cell, Cell):
                raise ValueError(f"{name} cell: expected a cells.Cell, got {type(cell).__name__}")
        b = self.backward
        f = self.forward
        if b is not None and (b.input_size, b.hidden_size) != (f.input_size, f.hidden_size):
            raise ValueError(
                f"backward cell: expected input size {f.input_size} and hidden size "
                f"{f.hidden_size} like the forward cell, got {b.input_size} and {b.hidden_size}"
            )
        if b is not None and b.state_size != f.state_size:
            raise ValueError(f"backward cell: expected an h_t of {f.state_size} numbers like the forward cell, "
                             f"got {b.state_size}")

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.forward,) if self.backward is None else (self.forward, self.backward)

    @property
    def bidirectional(self) -> bool:
        return self.backward is not None

    @property
    def input_size(self) -> int:
        return self.forward.input_size

    @property
    def output_size(self) -> int:
        return self.forward.state_size * len(self.cells)

    def run(self, xs: np.ndarray, initial: Sequence[State | None] | None = None, clamps: Sequence[Clamp] = ()
            ) -> LayerTrace:
        """Both directions over xs, (T, I); ``initial`` holds one state per direction.

        Clamps name their direction and count steps in input order, for either direction.
        """
        initial = initial or (None,) * len(self.cells)
        if self.backward is None and any(c.direction == "backward" for c in clamps):
            raise ValueError("clamp: this layer reads forward only; there is no backward direction to clamp")
        forward = self.forward.run(xs, initial[0], [c for c in clamps if c.direction == "forward"])
        if self.backward is None:
            return LayerTrace(forward)
        xs_reversed = np.asarray(xs)[::-1]
        backward_clamps = [c.mirrored(len(xs_reversed)) for c in clamps if c.direction == "backward"]
        backward = self.backward.run(xs_reversed, initial[1], backward_clamps).reversed_order()
        return LayerTrace(forward, backward)


@dataclass(frozen=True, eq=False)
class NetworkTrace:
    layers: tuple[LayerTrace, ...]

    @property
    def output(self) -> np.ndarray:
        """The last layer's output, (T, D·P): what PyTorch's nn.LSTM/nn.GRU returns as ``output``."""
        return self.layers[-1].output

    def trace(self, layer: int = 0, direction: str = "forward") -> Trace:
        """The trace of ``layer`` (0 is the first) read in ``direction`` ("forward" or "backward").

        A layer that reads forward only has one trace, so "backward" there gives its forward trace
        (a view asking for a direction the model no longer has shows what there is).
        """
        if direction not in DIRECTIONS:
            raise ValueError(f"direction: expected 'forward' or 'backward', got {direction!r}")
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < len(self.layers):
            raise ValueError(f"layer: expected 0 to {len(self.layers) - 1}, got {layer!r}")
        chosen = self.layers[layer]
        return chosen.backward if direction == "backward" and chosen.backward is not None else chosen.forward


@dataclass(frozen=True, eq=False)
class Network:
    """A stack of layers: layer k's input at step t is layer k-1's output at step t."""

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        layers = tuple(self.layers) if isinstance(self.layers, (list, tuple)) else None
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError("network: expected a non-empty sequence of cells.Layer")
        if len(layers) > MAX_LAYERS:
            raise ValueError(f"network: at most {MAX_LAYERS} layers, got {len(layers)}")
        for k in range(1, len(layers)):
            below, layer = layers[k - 1], layers[k]
            if layer.input_size != below.output_size:
                raise ValueError(
                    f"layer {k}: expected input size {below.output_size} (layer {k - 1}'s output), "
                    f"got {layer.input_size}"
                )
        object.__setattr__(self, "layers", layers)

    @classmethod
    def create(
        cls,
        kind: str,
        input_size: int,
        hidden_size: int,
        *,
        num_layers: int = 1,
        bidirectional: bool = False,
        seed: int = 0,
        scheme: str = "pytorch",
        scale: float = 1.0,
        dtype: type | np.dtype = np.float64,
        state_size: int | None = None,
    ) -> Network:
        """A new network of ``num_layers`` layers of ``kind`` cells, all drawn from one seeded stream.

        ``state_size`` is the width of h_t for a kind with a projection (its default when None)."""
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or not 1 <= num_layers <= MAX_LAYERS:
            raise ValueError(f"layers: expected a whole number from 1 to {MAX_LAYERS}, got {num_layers!r}")
        rng = np.random.default_rng(seed)
        layers, size = [], input_size
        for _ in range(num_layers):
            cells = [initialise(kind, size, hidden_size, seed=rng, scheme=scheme, scale=scale, dtype=dtype,
                                state_size=state_size)
                     for _ in range(2 if bidirectional else 1)]
            layers.append(Layer(*cells))
            size = layers[-1].output_size
        return cls(tuple(layers))

    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    @property
    def hidden_size(self) -> int:
        return self.layers[0].forward.hidden_size

    @property
    def state_size(self) -> int:
        """The width of h_t in the first layer (its hidden size except with a projection)."""
        return self.layers[0].forward.state_size

    @property
    def bidirectional(self) -> bool:
        return self.layers[0].bidirectional

    @property
    def kind(self) -> str:
        """The cell kind, or "mixed" when the layers hold different kinds."""
        kinds = {cell.KIND for layer in self.layers for cell in layer.cells}
        return kinds.pop() if len(kinds) == 1 else "mixed"

    @property
    def gate_activation(self) -> str:
        """What squashes the σ gates ("sigmoid", "hard_sigmoid" …), or "mixed" when the cells differ."""
        names = {cell.gate_activation for layer in self.layers for cell in layer.cells}
        return names.pop() if len(names) == 1 else "mixed"

    def with_gate_activation(self, name: str) -> Network:
        """A copy whose every cell squashes its σ gates with ``name`` (a key of cells.activations.GATE_ACTIVATIONS):
        Keras 2's hard sigmoid for a model trained with it, or "sigmoid" back. The weights stay as they are."""
        return Network(tuple(Layer(*(dataclasses.replace(cell, gate_activation=name) for cell in layer.cells))
                             for layer in self.layers))

    def run(self, xs: np.ndarray, initial_state: Sequence[State | None] | None = None,
            clamps: Sequence[Clamp] = ()) -> NetworkTrace:
        """Every layer over xs, (T, I). ``initial_state`` holds one State per layer and direction,
        in PyTorch's order (layer 0 forward, layer 0 backward, layer 1 forward ...). ``clamps``
        force gates of the layers and directions they name."""
        for c in clamps:
            if not isinstance(c, Clamp):
                raise ValueError(f"clamps: expected cells.Clamp values, got {type(c).__name__}")
            if not 0 <= c.layer < len(self.layers):
                raise ValueError(f"clamp of {c.gate}: layer {c.layer} is outside 0..{len(self.layers) - 1}")
        per_layer = [len(layer.cells) for layer in self.layers]
        if initial_state is not None and len(initial_state) != sum(per_layer):
            raise ValueError(f"initial state: expected {sum(per_layer)} states, one per layer and direction, "
                             f"got {len(initial_state)}")
        traces, h, k = [], xs, 0
        for layer, n in zip(self.layers, per_layer, strict=True):
            trace = layer.run(h, None if initial_state is None else initial_state[k : k + n],
                              [c for c in clamps if c.layer == len(traces)])
            traces.append(trace)
            h, k = trace.output, k + n
        return NetworkTrace(tuple(traces))
