"""Why it predicted that: how a target at step t depends on every input, and how much memory the gates carry.

A **target** is one number the network computes at step t: a logit of the head on its top layer
(the top class by default), or unit u of h_t or C_t in one layer and direction. Three answers:

- **Connectivity**, the gradient of the target with respect to every input, and its size per step:

      g_s = ∂y_t/∂x_s  (I,),   ‖g_s‖ for s = 0 .. T-1

  A forward direction at t reads x_0 .. x_t, so g_s = 0 for s > t there; a backward direction
  reads x_{T-1} .. x_t, so its part of the dependence runs from the later inputs. The gradient is
  backpropagation through time (``cells.learning.backprop``: each kind's own ``backward_step``), with
  the loss replaced by the target; on the way it records what reaches every state, ∂y_t/∂h_s and
  ∂y_t/∂C_s (the state convention of the step Jacobians: h_s and C_s as the two halves of the state s_s).

- **Integrated gradients** (Sundararajan et al., 2017) from a baseline x' (zeros, the embedding's mean
  row, or any inputs) along the straight path x(α) = x' + α(x - x'):

      IG_s = (x_s - x'_s) ∗ ∫_0^1 ∂y_t/∂x_s (x(α)) dα,    Σ_s Σ_i IG_{s,i} = y_t(x) - y_t(x')  (completeness)

  The integral is an m-point Gauss-Legendre rule (one batched forward and backward pass over the m
  points); the result carries the sum and the change so a page can show how close they are.

- **The memory path**: how much of the memory state at step s still reaches step t through the gates
  alone, per unit, the product of the kind's keep share (``KEEP``: the LSTM's f, the deck GRU's 1 - z ...)

      M[s, u] = k_{s+1}[u] · k_{s+2}[u] ⋯ k_t[u]     (M[t, u] = 1; 0 for steps after t)

  and, for a backward direction, the product over the steps it read after s: k_{s-1} ⋯ k_t.

Everything is computed in float64 on a copy of the network, whatever its own dtype, from zero initial
states and without clamps (the network's own weights).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from cells.cell import Cell
from cells.kinds import cell_class
from cells.layers import DIRECTIONS, Layer, Network
from cells.learning.backprop import NetworkRecord, backward_states, network_forward
from cells.trace import Trace

OUTPUTS = ("logit", "hidden", "cell")
MAX_IG_STEPS = 256
PATH_BATCH = 2_000_000  # steps × units × path points of one integrated-gradients pass (about 0.1 GB per value kept)


class Linear(Protocol):
    """A head on the top layer: logits = W·h_t + b (``cells.files.parts.Head`` or a training ``Readout``)."""

    weights: np.ndarray  # (K, D·P)
    bias: np.ndarray  # (K,)


@dataclass(frozen=True)
class Target:
    """The number y_t whose dependence is asked for.

    ``output`` is "logit" (class ``cls`` of the head at ``step``; None picks the top class there),
    "hidden" (unit ``unit`` of h_t) or "cell" (unit ``unit`` of C_t) of ``layer`` (negative counts
    from the top) read in ``direction``. ``step`` counts inputs from 0; a negative one from the end.
    """

    step: int = -1
    output: str = "logit"
    cls: int | None = None
    unit: int = 0
    layer: int = -1
    direction: str = "forward"

    def label(self) -> str:
        """The target in words, e.g. "logit of class 1 at step 50" or "C_t of unit 3 (layer 0, backward) at step 4"."""
        if self.output == "logit":
            return f"logit of class {self.cls} at step {self.step}"
        name = "h_t" if self.output == "hidden" else "C_t"
        return f"{name} of unit {self.unit} (layer {self.layer}, {self.direction}) at step {self.step}"


@dataclass(frozen=True, eq=False)
class Connectivity:
    """∂y_t/∂x_s for every input step s, and what reaches every state on the way (arrays in input order)."""

    target: Target  # resolved: step and layer counted from 0, the class chosen
    value: float  # y_t
    gradient: np.ndarray  # (T, I) ∂y_t/∂x_s
    norm: np.ndarray  # (T,) ‖∂y_t/∂x_s‖
    hidden: tuple[tuple[np.ndarray, ...], ...]  # layer -> direction -> (T, P) ∂y_t/∂h_s
    cell: tuple[tuple[np.ndarray | None, ...], ...]  # layer -> direction -> (T, H) ∂y_t/∂C_s, None without C

    def path(self, layer: int = 0, direction: str = "forward") -> np.ndarray:
        """|∂y_t/∂(memory state)_s| per step and unit, (T, H): the gradient's path through C_s (h_s for kinds
        without a cell state) of one layer and direction, to set beside its memory path."""
        k = _layer_index(len(self.hidden), layer)
        d = _direction_index(self.hidden[k], direction)
        c = self.cell[k][d]
        return np.abs(self.hidden[k][d] if c is None else c)


@dataclass(frozen=True, eq=False)
class Attribution:
    """Integrated gradients of y_t from ``baseline`` to the inputs."""

    target: Target
    baseline: np.ndarray  # (T, I) x'
    attributions: np.ndarray  # (T, I) IG_s
    per_step: np.ndarray  # (T,) Σ_i IG_{s,i}
    total: float  # Σ_s Σ_i IG_{s,i}
    change: float  # y_t(x) - y_t(x')
    value: float  # y_t(x)
    steps: int  # m, the points of the rule

    @property
    def error(self) -> float:
        """|total - change| relative to |change| (absolute when the change is 0): completeness holds within it."""
        return abs(self.total - self.change) / (abs(self.change) if self.change != 0 else 1.0)


@dataclass(frozen=True, eq=False)
class Remembered:
    """The input steps whose memory a unit still carries to step t with at least ``threshold`` of it kept."""

    unit: int
    step: int  # t
    threshold: float
    steps: np.ndarray  # (n,) input steps s, in order

    def sentence(self, tokens: tuple[str, ...] | list[str] | None = None) -> str:
        """What the unit can still remember, in words (tokens name the steps when given)."""
        name = (lambda s: f"step {s} ({tokens[s]!r})") if tokens is not None else (lambda s: f"step {s}")
        share = f"{self.threshold:.0%}"
        others = [s for s in self.steps if s != self.step]
        if not others:
            return (f"Unit {self.unit} keeps less than {share} of any earlier step's memory at step {self.step}: "
                    f"it remembers only the current input.")
        first, last = others[0], others[-1]
        span = name(first) if first == last else f"{name(first)} to {name(last)}"
        return (f"Unit {self.unit} still carries at least {share} of its memory from {span} into step "
                f"{self.step} ({len(others)} other input{'s' if len(others) != 1 else ''}).")


# ----- checking what was asked -------------------------------------------------------------------
def _layer_index(n: int, layer: int) -> int:
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -n <= layer < n:
        raise ValueError(f"layer: expected {-n} to {n - 1}, got {layer!r}")
    return int(layer) % n


def _direction_index(per_direction: tuple | Layer, direction: str) -> int:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: expected 'forward' or 'backward', got {direction!r}")
    d = DIRECTIONS.index(direction)
    count = len(per_direction.cells) if isinstance(per_direction, Layer) else len(per_direction)
    if d >= count:
        raise ValueError("direction: this layer reads forward only; there is no backward direction")
    return d


def _float64(network: Network) -> Network:
    if all(c.dtype == np.float64 for layer in network.layers for c in layer.cells):
        return network
    return Network(tuple(Layer(*(c.astype(np.float64) for c in layer.cells)) for layer in network.layers))


def _inputs(network: Network, xs: object) -> np.ndarray:
    """xs as checked (T, I) float64 inputs (the first cell's own checks and messages)."""
    return network.layers[0].forward._check_inputs(xs).astype(np.float64)


def _head(head: Linear | None, network: Network) -> tuple[np.ndarray, np.ndarray] | None:
    if head is None:
        return None
    W, b = np.asarray(head.weights, dtype=np.float64), np.asarray(head.bias, dtype=np.float64)
    D = network.layers[-1].output_size
    if W.ndim != 2 or W.shape[1] != D or b.shape != (W.shape[0],):
        raise ValueError(f"head: expected weights (classes, {D}) and bias (classes,) reading the top layer, "
                         f"got {W.shape} and {b.shape}")
    return W, b


def _resolve(network: Network, xs: np.ndarray, target: Target, head: tuple[np.ndarray, np.ndarray] | None,
             top: np.ndarray | None = None) -> Target:
    """``target`` with its step and layer counted from 0 and its class chosen (from ``top``, the top layer's output
    at every step, when given; else from a run), or a ValueError saying what is wrong."""
    if not isinstance(target, Target):
        raise ValueError(f"target: expected a cells.attribution.Target, got {type(target).__name__}")
    T = len(xs)
    if isinstance(target.step, bool) or not isinstance(target.step, (int, np.integer)) or not -T <= target.step < T:
        raise ValueError(f"target step: expected 0 to {T - 1} (or negative from the end), got {target.step!r}")
    step = int(target.step) % T
    if target.output not in OUTPUTS:
        raise ValueError(f"target: expected one of {', '.join(OUTPUTS)}, got {target.output!r}")
    if target.output == "logit":
        if head is None:
            raise ValueError("target: this model has no head, so it has no logits; pick a unit's h_t or C_t")
        K = head[0].shape[0]
        cls = target.cls
        if cls is None:
            top = network.run(xs).output if top is None else top  # (T, D·P)
            cls = int(np.argmax(head[0] @ top[step] + head[1]))
        if isinstance(cls, bool) or not isinstance(cls, (int, np.integer)) or not 0 <= cls < K:
            raise ValueError(f"target class: expected 0 to {K - 1}, got {cls!r}")
        return replace(target, step=step, cls=int(cls), layer=len(network.layers) - 1, direction="forward")
    layer = _layer_index(len(network.layers), target.layer)
    cell = network.layers[layer].cells[_direction_index(network.layers[layer], target.direction)]
    if target.output == "cell" and not cell.HAS_CELL:
        raise ValueError(f"target: a {cell.LABEL} has no cell state C_t; pick h_t")
    size = cell.hidden_size if target.output == "cell" else cell.state_size
    unit = target.unit
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < size:
        raise ValueError(f"target unit: expected 0 to {size - 1}, got {unit!r}")
    return replace(target, step=step, unit=int(unit), layer=layer, cls=None)


# ----- the backward pass from a target -----------------------------------------------------------
def _backward(network: Network, record: NetworkRecord, target: Target, head: tuple[np.ndarray, np.ndarray] | None
              ) -> tuple[np.ndarray, np.ndarray, list, list]:
    """(y_t (B,), ∂y_t/∂x (B, T, I), ∂y_t/∂h and ∂y_t/∂C per layer and direction ((B, T, ·), input order)).

    One backward pass per direction of every layer from the target's down, each the kind's own steps
    (``backward_states``); a layer's input gradient is the output gradient of the layer below.
    """
    t, top = target.step, target.layer
    first = record.layers[0][0]
    T, B = first.output.shape[:2]
    hidden: list = [[np.zeros((B, T, c.state_size)) for c in layer.cells] for layer in network.layers]
    cells: list = [[np.zeros((B, T, c.hidden_size)) if c.HAS_CELL else None for c in layer.cells]
                   for layer in network.layers]
    if target.output == "logit":
        W, b = head
        value = record.output[t] @ W[target.cls] + b[target.cls]  # (B,)
        d = np.zeros_like(record.output)  # (T, B, D·P) ∂y_t/∂(top layer's output)
        d[t] = W[target.cls]
    else:
        d = None
        k = DIRECTIONS.index(target.direction)
        rec = record.layers[top][k]
        tau = t if k == 0 else T - 1 - t  # the step in the direction's reading order
        value = rec.value(target.output)[tau, :, target.unit]  # (B,)
    for layer in range(top, -1, -1):
        recs = record.layers[layer]
        dx = None
        for k, rec in enumerate(recs):
            P, H = rec.cell.state_size, rec.cell.hidden_size
            dh_out = np.zeros((T, B, P))
            dc_out = None
            if d is not None:
                part = d[:, :, k * P : (k + 1) * P]  # (T, B, P) in input order
                dh_out = np.ascontiguousarray(part if k == 0 else part[::-1])
            elif k == DIRECTIONS.index(target.direction):
                tau = t if k == 0 else T - 1 - t
                if target.output == "hidden":
                    dh_out[tau, :, target.unit] = 1.0
                else:
                    dc_out = np.zeros((T, B, H))
                    dc_out[tau, :, target.unit] = 1.0
            else:
                continue  # the other direction of the target's own layer does not reach the target
            states = backward_states(rec, dh_out, dc_out)
            flip = slice(None) if k == 0 else slice(None, None, -1)
            hidden[layer][k] = states.dh[flip].transpose(1, 0, 2)  # (B, T, P) input order
            if states.dc is not None:
                cells[layer][k] = states.dc[flip].transpose(1, 0, 2)
            dx_k = states.inputs(rec.cell)[flip]  # (T, B, I) input order
            dx = dx_k if dx is None else dx + dx_k
        d = dx
    return value, d.transpose(1, 0, 2), hidden, cells


def _prepare(network: Network | Cell, xs: object, target: Target, head: Linear | None, resolve: bool = True
             ) -> tuple[Network, np.ndarray, Target, tuple[np.ndarray, np.ndarray] | None]:
    if isinstance(network, Cell):
        network = Network((Layer(network),))
    if not isinstance(network, Network):
        raise ValueError(f"network: expected a cells.Network or a cells.Cell, got {type(network).__name__}")
    net = _float64(network)
    x = _inputs(net, xs)
    lin = _head(head, net)
    return net, x, _resolve(net, x, target, lin) if resolve else target, lin


def _sub(network: Network, target: Target) -> Network:
    """The layers the target depends on: all of them for a logit, up to its own layer otherwise."""
    return network if target.output == "logit" else Network(network.layers[: target.layer + 1])


def connectivity(network: Network | Cell, xs: object, target: Target = Target(), *, head: Linear | None = None
                 ) -> Connectivity:
    r"""The gradient of ``target`` at its step t with respect to every input x_s, (T, I), and its norm per step.

    ``head`` (a ``Head`` or ``Readout``: logits = W·h_t + b on the top layer) is needed for a logit
    target; without a class the top class at t is taken. Also returns ∂y_t/∂h_s and ∂y_t/∂C_s of every
    layer and direction (zero above the target's layer), whose size per unit is ``Connectivity.path``.
    """
    net, x, asked, lin = _prepare(network, xs, target, head, resolve=False)
    if asked.output == "logit" and asked.cls is None and lin is not None:
        record = network_forward(net, x[None])  # the class is read off this pass, not a run of its own
        target = _resolve(net, x, asked, lin, record.output[:, 0])
    else:
        target = _resolve(net, x, asked, lin)
        record = network_forward(_sub(net, target), x[None])
    sub = _sub(net, target)
    value, dx, hidden, cells = _backward(sub, record, target, lin)
    grad = dx[0]  # (T, I)
    T = len(x)
    pad_h = [[np.zeros((T, c.state_size)) for c in layer.cells] for layer in net.layers[len(sub.layers):]]
    pad_c = [[np.zeros((T, c.hidden_size)) if c.HAS_CELL else None for c in layer.cells]
             for layer in net.layers[len(sub.layers):]]
    return Connectivity(
        target, float(value[0]), grad, np.linalg.norm(grad, axis=1),
        tuple(tuple(h[0] for h in per) for per in hidden) + tuple(tuple(p) for p in pad_h),
        tuple(tuple(None if c is None else c[0] for c in per) for per in cells) + tuple(tuple(p) for p in pad_c),
    )


def baseline_inputs(xs: np.ndarray, baseline: str | np.ndarray = "zeros", embedding: np.ndarray | None = None
                    ) -> np.ndarray:
    """The baseline x', (T, I): "zeros", "mean" (the embedding's mean row at every step), or given inputs."""
    T, I = xs.shape
    if isinstance(baseline, str):
        if baseline == "zeros":
            return np.zeros((T, I))
        if baseline == "mean":
            if embedding is None:
                raise ValueError("baseline 'mean': this model has no embedding to average; use 'zeros' or give inputs")
            E = np.asarray(embedding, dtype=np.float64)
            if E.ndim != 2 or E.shape[1] != I:
                raise ValueError(f"embedding: expected (tokens, {I}), got {E.shape}")
            return np.repeat(E.mean(axis=0)[None], T, axis=0)
        raise ValueError(f"baseline: expected 'zeros', 'mean' or a ({T}, {I}) array of inputs, got {baseline!r}")
    b = np.asarray(baseline, dtype=np.float64)
    if b.shape != (T, I) or not np.all(np.isfinite(b)):
        raise ValueError(f"baseline: expected finite inputs of shape ({T}, {I}), got {b.shape}")
    return b


def integrated_gradients(network: Network | Cell, xs: object, target: Target = Target(), *, head: Linear | None = None,
                         baseline: str | np.ndarray = "zeros", embedding: np.ndarray | None = None,
                         steps: int = 32) -> Attribution:
    r"""Integrated gradients of ``target`` from ``baseline`` to xs, (T, I), with an m = ``steps`` point rule:

        IG_s = (x_s - x'_s) ∗ Σ_k w_k ∂y_t/∂x_s (x' + α_k (x - x')),   (α_k, w_k) Gauss-Legendre on [0, 1]

    The class of a logit target is chosen at xs (the top class there unless given) and kept along the path.
    ``total`` (Σ IG) and ``change`` (y_t(x) - y_t(x')) are returned side by side: completeness says they match.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_IG_STEPS:
        raise ValueError(f"integration steps: expected a whole number from 1 to {MAX_IG_STEPS}, got {steps!r}")
    net, x, target, lin = _prepare(network, xs, target, head)
    base = baseline_inputs(x, baseline, embedding)
    nodes, weights = np.polynomial.legendre.leggauss(int(steps))
    alphas = np.concatenate([(nodes + 1.0) / 2.0, [0.0, 1.0]])  # the rule's points, then x' and x themselves
    weights = weights / 2.0
    path = base[None] + alphas[:, None, None] * (x - base)[None]  # (m + 2, T, I)
    sub = _sub(net, target)
    units = sum(c.hidden_size for layer in sub.layers for c in layer.cells)
    chunk = max(1, PATH_BATCH // (len(x) * units))  # path points per pass, so memory stays bounded on long inputs
    value, dx = [], []
    for k in range(0, len(path), chunk):
        v, d, _, _ = _backward(sub, network_forward(sub, path[k : k + chunk]), target, lin)
        value.append(v)
        dx.append(d)
    value, dx = np.concatenate(value), np.concatenate(dx)  # (m + 2,), (m + 2, T, I)
    mean_grad = np.tensordot(weights, dx[: len(nodes)], axes=1)  # (T, I) ∫ ∂y/∂x dα
    ig = (x - base) * mean_grad  # (T, I)
    return Attribution(target, base, ig, ig.sum(axis=1), float(ig.sum()), float(value[-1] - value[-2]),
                       float(value[-1]), int(steps))


# ----- the memory path ---------------------------------------------------------------------------
def memory_path(trace: Trace, step: int) -> np.ndarray | None:
    r"""M[s, u]: the share of unit u's memory state at step s that reaches step t = ``step`` through the keep
    gate alone, (T, H) in input order; None for a kind with no gate that keeps memory (the plain RNN).

        M[s, u] = k_{s+1}[u] ⋯ k_t[u]  for s ≤ t,  0 for s > t       (a forward direction)
        M[s, u] = k_{s-1}[u] ⋯ k_t[u]  for s ≥ t,  0 for s < t       (a backward direction, reading from the end)

    with k the kind's keep share (``Cell.keep_share``: f_t for the LSTM family, 1 - z_t for the deck's GRU,
    z_t for PyTorch's and Keras' ...). M[t] = 1.
    """
    if not isinstance(trace, Trace):
        raise ValueError(f"trace: expected a cells.Trace, got {type(trace).__name__}")
    T = trace.steps
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not -T <= step < T:
        raise ValueError(f"step: expected 0 to {T - 1} (or negative from the end), got {step!r}")
    t = int(step) % T
    keep = cell_class(trace.kind).keep_share(trace.values)  # (T, H)
    if keep is None:
        return None
    keep = np.asarray(keep, dtype=np.float64)
    out = np.zeros_like(keep)
    if not trace.reverse:
        # M[s] = M[s+1]·k_{s+1}: a running product from t back to 0
        out[t] = 1.0
        out[:t] = np.cumprod(keep[1 : t + 1][::-1], axis=0)[::-1]
    else:
        out[t] = 1.0
        out[t + 1 :] = np.cumprod(keep[t : T - 1], axis=0)  # M[s] = M[s-1]·k_{s-1}
    return out


def remembered(path: np.ndarray, unit: int, step: int, threshold: float = 0.5) -> Remembered:
    """The input steps whose memory unit ``unit`` still carries to ``step`` with at least ``threshold`` kept,
    from a ``memory_path`` at that step (for a page to say in words which inputs the unit can still remember)."""
    path = np.asarray(path)
    if path.ndim != 2:
        raise ValueError(f"memory path: expected (steps, units), got shape {path.shape}")
    T, H = path.shape
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 0 <= unit < H:
        raise ValueError(f"unit: expected 0 to {H - 1}, got {unit!r}")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not -T <= step < T:
        raise ValueError(f"step: expected 0 to {T - 1}, got {step!r}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold: expected a share above 0 and at most 1, got {threshold!r}")
    return Remembered(int(unit), int(step) % T, float(threshold), np.flatnonzero(path[:, unit] >= threshold))
