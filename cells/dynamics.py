"""Where the state goes: principal components of a run's states, and the fixed points a cell settles into.

**PCA.** The states of a run (h_t, or C_t), or of two runs together, centred on their mean, projected
onto the top k principal directions:

    X = [s_0 - μ; …; s_{N-1} - μ]  (N, D),   Xᵀ X / (N - 1) = V Λ Vᵀ,   coordinates X V_k,
    share of variance of component j = λ_j / Σ λ

**Fixed points** (Sussillo & Barak, 2013). Hold the input constant at x and write one step of the cell
as a map of the whole state, s_t = F(s_{t-1}) with s = h, or [h, C] for kinds with a cell state.
A fixed point is s* = F(s*); it is found by minimising

    q(s) = ½‖F(s) - s‖²,   ∇q = (J - I)ᵀ (F(s) - s),   J = ∂F/∂s (the kind's ``step_jacobian``)

from many starts with Levenberg-Marquardt steps, (AᵀA + λI) δ = -Aᵀr with A = J - I, r = F(s) - s, the
damping λ shrinking after a step that lowers q and growing after one that does not. Near s* the
state moves as s_t - s* ≈ J (s_{t-1} - s*), so the eigenvalues of J say what happens there: all
inside the unit circle, the point is stable (an attractor); an eigenvalue near 1 is a slow direction,
along which a perturbation neither grows nor fades: a line of such points is a line attractor, a
memory that can hold any value.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cells.cell import Cell
from cells.learning.backprop import forward
from cells.trace import Trace

STATES = ("hidden", "cell")
MAX_STARTS = 2_000
MAX_POINTS = 1_000_000  # states a PCA takes at most (10,000 steps of 100 runs)
SLOW = 0.05  # an eigenvalue within this of 1 is a slow direction (a time constant of 20 steps or more)


# ----- PCA -----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Projection:
    """The top principal directions of some states, and where each given run lies along them."""

    mean: np.ndarray  # (D,) μ
    components: np.ndarray  # (k, D) unit rows, the largest variance first
    variance: np.ndarray  # (k,) λ_j: the variance along each
    explained: np.ndarray  # (k,) λ_j / Σλ: the share of the whole variance each explains
    coordinates: tuple[np.ndarray, ...]  # one (N_i, k) per run given, in the order given

    def project(self, states: np.ndarray) -> np.ndarray:
        """Any states of the same width (a fixed point, another run) in these coordinates, (N, k) or (k,)."""
        s = np.asarray(states, dtype=np.float64)
        if s.shape[-1] != self.mean.shape[0]:
            raise ValueError(f"states: expected {self.mean.shape[0]} numbers each, got shape {s.shape}")
        return (s - self.mean) @ self.components.T


def run_states(run: Trace | np.ndarray, state: str = "hidden") -> np.ndarray:
    """The states of a run as a (T, D) float64 array: a Trace's h_t or C_t, or an array given as it is."""
    if state not in STATES:
        raise ValueError(f"state: expected 'hidden' or 'cell', got {state!r}")
    if isinstance(run, Trace):
        if state not in run.values:
            raise ValueError(f"state: a {run.kind} run has no cell state C_t; project h_t")
        return np.asarray(run.values[state], dtype=np.float64)
    a = np.asarray(run, dtype=np.float64)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"states: expected a (steps, units) array, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("states: every value must be finite")
    return a


def pca(runs: Trace | np.ndarray | Sequence[Trace | np.ndarray], k: int = 2, *, state: str = "hidden") -> Projection:
    r"""Project the states of one run, or of several together (Compare's two panes share one fit), onto
    their top k principal components (k = 2 or 3 for a picture, up to 10).

    ``runs`` is a Trace (its h_t, or C_t with ``state="cell"``), a (T, D) array of states, or a list of
    them of one width D. With fewer than k dimensions the missing components are zero (explaining 0).
    The sign of each component is fixed (its largest loading positive), so a figure does not flip.
    The top directions come from the D × D covariance (or the N × N Gram matrix when N < D), one
    symmetric eigenproblem: 10,000 states of 256 numbers take a few tens of milliseconds.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 10:
        raise ValueError(f"components: expected 1 to 10, got {k!r}")
    given = [runs] if isinstance(runs, (Trace, np.ndarray)) else list(runs)
    if not given:
        raise ValueError("runs: expected at least one run")
    parts = [run_states(r, state) for r in given]
    widths = {p.shape[1] for p in parts}
    if len(widths) != 1:
        raise ValueError(f"runs: one projection needs states of one width, got {', '.join(map(str, sorted(widths)))}")
    X = np.concatenate(parts)  # (N, D)
    N, D = X.shape
    if N > MAX_POINTS:
        raise ValueError(f"states: {N:,} is over the limit of {MAX_POINTS:,}")
    mean = X.mean(axis=0)
    Xc = X - mean  # (N, D)
    n = max(N - 1, 1)
    if N >= D:
        lam, V = np.linalg.eigh(Xc.T @ Xc / n)  # (D,), (D, D) ascending
        lam, V = lam[::-1], V[:, ::-1]
    else:
        lam, U = np.linalg.eigh(Xc @ Xc.T / n)  # (N,), (N, N): the same nonzero λ
        lam, U = lam[::-1], U[:, ::-1]
        V = Xc.T @ U  # (D, N) columns of norm √(n λ)
        V /= np.where(np.linalg.norm(V, axis=0) > 0, np.linalg.norm(V, axis=0), 1.0)
    lam = np.maximum(lam, 0.0)
    m = min(k, V.shape[1])
    components = np.zeros((k, D))
    variance = np.zeros(k)
    components[:m], variance[:m] = V[:, :m].T, lam[:m]
    variance[variance <= lam.sum() * 1e-15] = 0.0
    components[variance == 0.0] = 0.0  # no variance: no direction to speak of
    big = np.argmax(np.abs(components), axis=1)
    components *= np.where(components[np.arange(k), big] < 0, -1.0, 1.0)[:, None]
    total = float(np.sum(Xc * Xc)) / n
    explained = variance / total if total > 0 else np.zeros(k)
    coords = Xc @ components.T  # (N, k)
    bounds = np.cumsum([0] + [len(p) for p in parts])
    return Projection(mean, components, variance, explained,
                      tuple(coords[a:b] for a, b in itertools.pairwise(bounds)))


# ----- fixed points --------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FixedPoint:
    """A state s* with F(s*) ≈ s* under the constant input, and the linearisation of the step there."""

    state: np.ndarray  # (S,) s* = h*, then C* where the kind has one
    hidden: np.ndarray  # (P,) h*
    cell: np.ndarray | None  # (H,) C*, None without a cell state
    residual: float  # ‖F(s*) - s*‖
    eigenvalues: np.ndarray  # (S,) of J = ∂F/∂s at s*, complex, largest modulus first
    eigenvectors: np.ndarray  # (S, S) columns, in the same order
    stable: bool  # every |eigenvalue| < 1
    starts: int  # how many starts ended here

    def slow(self, within: float = SLOW) -> np.ndarray:
        """Indices of the slow directions: eigenvalues within ``within`` of 1 (|λ - 1| ≤ within)."""
        return np.flatnonzero(np.abs(self.eigenvalues - 1.0) <= within)

    def slow_directions(self, within: float = SLOW) -> np.ndarray:
        """The slow eigenvectors (real parts, unit length) as columns, (S, n): where the state drifts slowly."""
        v = np.real(self.eigenvectors[:, self.slow(within)])
        return v / np.where(np.linalg.norm(v, axis=0) > 0, np.linalg.norm(v, axis=0), 1.0)

    @property
    def spectral_radius(self) -> float:
        return float(np.abs(self.eigenvalues[0]))


@dataclass(frozen=True, eq=False)
class FixedPoints:
    """What a search found: distinct fixed points (the most visited first) and how the search went."""

    points: tuple[FixedPoint, ...]
    x: np.ndarray  # (I,) the constant input
    starts: int  # how many starts were tried
    converged: int  # how many reached ‖F(s) - s‖ ≤ tol
    iterations: int
    stopped: bool  # the stop flag ended the search early
    tol: float


def step_map(cell: Cell, x: np.ndarray, states: np.ndarray, jacobian: bool = True
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """F(s) for a batch of states (B, S) under the constant input x, (I,), and J = ∂F/∂s (B, S, S):
    one step of the kind's reference step from those states, and its ``step_jacobian`` there."""
    P, H = cell.state_size, cell.hidden_size
    B = len(states)
    h = np.ascontiguousarray(states[:, :P])  # (B, P)
    c = np.ascontiguousarray(states[:, P:]) if cell.HAS_CELL else None  # (B, H)
    with np.errstate(over="ignore", invalid="ignore"):
        record = forward(cell, np.broadcast_to(x, (B, 1, len(x))), (h, c))
    v = record.steps[0]
    new = v["hidden"] if c is None else np.concatenate([v["hidden"], v["cell"]], axis=1)  # (B, S)
    if not jacobian:
        return new, None
    W = {g: cell.weights[g][:, :P] for g in cell.GATES}  # (H, P) hidden columns
    J = cell.step_jacobian(v, h, c, W)
    return new, J.reshape(B, P + (H if c is not None else 0), -1)


def trajectory_states(trace: Trace) -> np.ndarray:
    """A run's states as the fixed-point search sees them, (T, S): h_t, then C_t where the kind has one."""
    h = trace.values["hidden"]
    c = trace.values.get("cell")
    return np.asarray(h if c is None else np.concatenate([h, c], axis=1), dtype=np.float64)


def start_states(cell: Cell, runs: Sequence[Trace], *, per_run: int = 64, random: int = 0, seed: int = 0
                 ) -> np.ndarray:
    """Starts for ``fixed_points``, (N, S): up to ``per_run`` states evenly along each run of ``cell``, then
    ``random`` states drawn uniformly in [-1, 1] (with ``seed``), so a search also looks away from the runs."""
    S = cell.state_size + (cell.hidden_size if cell.HAS_CELL else 0)
    parts = []
    for run in runs:
        s = trajectory_states(run)  # (T, S)
        if s.shape[1] != S:
            raise ValueError(f"runs: expected states of {S} numbers each (h, then C), got {s.shape[1]}")
        parts.append(s[np.unique(np.round(np.linspace(0, len(s) - 1, min(per_run, len(s)))).astype(int))])
    if random > 0:
        parts.append(np.random.default_rng(seed).uniform(-1.0, 1.0, (random, S)))
    if not parts:
        raise ValueError("starts: expected at least one run or random > 0")
    return np.concatenate(parts)  # (N, S)


def _starts(cell: Cell, starts: Trace | np.ndarray | None, n: int, noise: float, rng: np.random.Generator
            ) -> np.ndarray:
    S = cell.state_size + (cell.hidden_size if cell.HAS_CELL else 0)
    if starts is None:
        s = rng.uniform(-1.0, 1.0, (n, S))  # (n, S)
    else:
        s = np.array(trajectory_states(starts) if isinstance(starts, Trace) else starts, dtype=np.float64)  # a copy
        if s.ndim != 2 or s.shape[1] != S or len(s) == 0:
            raise ValueError(f"starts: expected states of {S} numbers each (h, then C), got shape {s.shape}")
        if not np.all(np.isfinite(s)):
            raise ValueError("starts: every value must be finite")
        if len(s) > n:
            s = s[np.round(np.linspace(0, len(s) - 1, n)).astype(int)]  # evenly along the run
    if noise > 0:
        s = s + noise * rng.standard_normal(s.shape)
    return s


def _distinct(states: np.ndarray, within: float) -> list[list[int]]:
    """Groups of indices of states within ``within`` of each other (max-norm), greedily around the first."""
    groups: list[list[int]] = []
    reps: list[np.ndarray] = []
    for i, s in enumerate(states):
        for g, rep in zip(groups, reps, strict=True):
            if np.max(np.abs(s - rep)) <= within:
                g.append(i)
                break
        else:
            groups.append([i])
            reps.append(s)
    return groups


def fixed_points(cell: Cell, x: np.ndarray | None = None, *, starts: Trace | np.ndarray | None = None,
                 n_starts: int = 64, noise: float = 0.0, seed: int = 0, tol: float = 1e-8, max_iter: int = 100,
                 distinct: float = 1e-3, progress: Callable[[float], None] | None = None,
                 stop: Callable[[], bool] | None = None) -> FixedPoints:
    r"""The fixed points of ``cell`` under the constant input x (I,) (None: no input, zeros).

    Starts: the states of a run (a Trace: h_t and C_t at up to ``n_starts`` steps evenly spread), any
    (N, S) states, or ``n_starts`` random states in [-1, 1]; ``noise`` adds Gaussian jitter. Each start
    takes Levenberg-Marquardt steps on q(s) = ½‖F(s) - s‖² (all starts at once, as a batch) until
    ‖F(s) - s‖ ≤ ``tol``; starts that end within ``distinct`` (max-norm) of each other are one point.
    ``progress(fraction)`` is called after every iteration; ``stop()`` returning True ends the search
    with what has converged so far.
    """
    if not isinstance(cell, Cell):
        raise ValueError(f"cell: expected a cells.Cell, got {type(cell).__name__}")
    I = cell.input_size
    x = np.zeros(I) if x is None else np.asarray(x, dtype=np.float64)
    if x.shape != (I,) or not np.all(np.isfinite(x)):
        raise ValueError(f"input: expected {I} finite numbers held constant, got shape {x.shape}")
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or not 1 <= n_starts <= MAX_STARTS:
        raise ValueError(f"starts: expected 1 to {MAX_STARTS}, got {n_starts!r}")
    if not (tol > 0 and distinct > 0 and noise >= 0 and max_iter >= 1):
        raise ValueError("fixed points: tol and distinct must be above 0, noise at least 0, max_iter at least 1")
    cell = cell.astype(np.float64)
    rng = np.random.default_rng(seed)
    s = _starts(cell, starts, int(n_starts), float(noise), rng)  # (N, S)
    N, S = s.shape
    eye = np.eye(S)
    F, J = step_map(cell, x, s)
    r = F - s  # (N, S)
    q = 0.5 * np.einsum("ns,ns->n", r, r)
    lam = np.full(N, 1e-2)
    active = np.ones(N, bool)
    bad = ~np.isfinite(q)
    active &= ~bad
    active &= np.sqrt(2 * q) > tol
    stopped, it = False, 0
    for it in range(1, int(max_iter) + 1):
        if not active.any():
            break
        if stop is not None and stop():
            stopped = True
            break
        idx = np.flatnonzero(active)
        A = J[idx] - eye  # (n, S, S)
        At = np.ascontiguousarray(np.swapaxes(A, 1, 2))  # contiguous, so the product below is one BLAS call each
        g = np.einsum("nij,nj->ni", At, r[idx])  # ∇q = Aᵀr
        M = At @ A
        M[:, np.arange(S), np.arange(S)] += lam[idx, None]  # AᵀA + λI
        try:
            delta = -np.linalg.solve(M, g[..., None])[..., 0]  # (n, S)
        except np.linalg.LinAlgError:  # a singular system (huge states drown λ): the least-squares step instead
            delta = -np.einsum("nij,nj->ni", np.linalg.pinv(M), g)
        trial = s[idx] + delta
        F_t, J_t = step_map(cell, x, trial)
        r_t = F_t - trial
        q_t = 0.5 * np.einsum("ns,ns->n", r_t, r_t)
        better = np.isfinite(q_t) & (q_t < q[idx])
        keep = idx[better]
        s[keep], r[keep], q[keep], J[keep] = trial[better], r_t[better], q_t[better], J_t[better]
        lam[keep] = np.maximum(lam[keep] * 0.3, 1e-12)
        lam[idx[~better]] *= 4.0
        done = np.sqrt(2 * q[idx]) <= tol
        stuck = (lam[idx] > 1e8) | (np.max(np.abs(delta), axis=1) < 1e-14 * (1 + np.max(np.abs(s[idx]), axis=1)))
        active[idx[done | stuck]] = False
        if progress is not None:
            progress(min(1.0, max(it / max_iter, 1.0 - active.sum() / N)))
    if progress is not None and not stopped:
        progress(1.0)
    found = np.flatnonzero(np.isfinite(q) & (np.sqrt(2 * q) <= tol))
    order = found[np.argsort(q[found], kind="stable")]
    groups = _distinct(s[order], distinct)
    P = cell.state_size
    points = []
    for group in groups:
        i = order[group[0]]
        values, vectors = np.linalg.eig(J[i])
        rank = np.argsort(-np.abs(values), kind="stable")
        values, vectors = values[rank], vectors[:, rank]
        points.append(FixedPoint(s[i].copy(), s[i, :P].copy(), s[i, P:].copy() if cell.HAS_CELL else None,
                                 float(np.sqrt(2 * q[i])), values, vectors, bool(np.all(np.abs(values) < 1.0)),
                                 len(group)))
    points.sort(key=lambda p: -p.starts)
    return FixedPoints(tuple(points), x, N, len(found), it, stopped, float(tol))


# ----- where runs settle ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Settling:
    """The fixed points under a held input, where each given run settles when the input is held after it,
    and what a head reads at each point."""

    found: FixedPoints
    runs: tuple[str, ...]  # a name for each run ("first bit 0" ...)
    ends: tuple[int | None, ...]  # per run: the index of the point it settles into, None if it has not
    held: int  # steps the input was held after each run
    readouts: tuple[np.ndarray, ...] | None  # per point: the head's outputs at h*, (K,), when a head was given
    classes: tuple[str, ...] | None  # the head's class names, when given

    @property
    def stable(self) -> tuple[int, ...]:
        """Indices of the stable points."""
        return tuple(k for k, p in enumerate(self.found.points) if p.stable)

    def reads(self, k: int) -> str | None:
        """The class the head picks at point k (its name when known), None without a head."""
        if self.readouts is None:
            return None
        top = int(np.argmax(self.readouts[k]))
        return self.classes[top] if self.classes is not None else str(top)

    def summary(self) -> str:
        """The finding in words, every number computed here."""
        pts = self.found.points
        n_stable = len(self.stable)
        held = ", ".join(f"{v:g}" for v in self.found.x)
        text = [f"With the input held at ({held}), the search from {self.found.starts} starts found {len(pts)} fixed "
                f"point{'s' if len(pts) != 1 else ''}: {n_stable} stable and {len(pts) - n_stable} unstable."]
        for name, end in zip(self.runs, self.ends, strict=True):
            if end is None:
                text.append(f"The run {name} has not settled on any of them after {self.held} held steps.")
                continue
            p = pts[end]
            reads = self.reads(end)
            said = f", where the head reads {reads!r}" if reads is not None else ""
            slow = len(p.slow(SLOW))
            text.append(f"The run {name} settles into point {end}{said}: its largest |eigenvalue| is "
                        f"{p.spectral_radius:.3f}, a time constant of {time_constant(p.spectral_radius):.0f} steps, "
                        f"with {slow} eigenvalue{'s' if slow != 1 else ''} within {SLOW} of 1 (slow directions).")
        for k, p in enumerate(pts):
            if not p.stable:
                grow = int(np.sum(np.abs(p.eigenvalues) >= 1.0))
                text.append(f"Point {k} is unstable: {grow} direction{'s' if grow != 1 else ''} grow"
                            f"{'s' if grow == 1 else ''} away from it (largest |eigenvalue| {p.spectral_radius:.3f}).")
        return " ".join(text)


def time_constant(radius: float) -> float:
    """How many steps a perturbation takes to shrink by e near a point whose largest |λ| is ``radius``:
    τ = -1 / ln|λ| (inf at |λ| ≥ 1)."""
    return float("inf") if radius >= 1.0 else (0.0 if radius <= 0.0 else -1.0 / np.log(radius))


def settle(cell: Cell, x: np.ndarray | None, runs: Sequence[Trace], *, names: Sequence[str] | None = None,
           held: int = 1000, head: object | None = None, classes: Sequence[str] | None = None, n_starts: int = 128,
           **search: object) -> Settling:
    """Find the fixed points under the constant input x from starts along ``runs`` (traces of ``cell``), then
    hold x after each run for ``held`` steps and say which point it settles into (within 1e-3, max-norm).
    ``head`` (weights (K, P), bias (K,)) reading this cell's h_t gives the output at every point."""
    runs = list(runs)
    if not runs or not all(isinstance(r, Trace) for r in runs):
        raise ValueError("runs: expected at least one cells.Trace of this cell")
    starts = np.concatenate([trajectory_states(r) for r in runs])  # (ΣT, S)
    found = fixed_points(cell, x, starts=starts, n_starts=n_starts, **search)
    x_held = found.x
    ends = []
    for r in runs:
        tail = cell.run(np.tile(x_held, (held, 1)), r.final)
        s = trajectory_states(tail)[-1]
        d = [float(np.max(np.abs(s - p.state))) for p in found.points]
        ends.append(int(np.argmin(d)) if d and min(d) <= 1e-3 else None)
    readouts = None
    if head is not None:
        W, b = np.asarray(head.weights, dtype=np.float64), np.asarray(head.bias, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != cell.state_size:
            raise ValueError(f"head: expected weights (classes, {cell.state_size}) reading this cell's h_t, "
                             f"got {W.shape}")
        readouts = tuple(W @ p.hidden + b for p in found.points)
    names = tuple(names) if names is not None else tuple(f"{k}" for k in range(len(runs)))
    if len(names) != len(runs):
        raise ValueError(f"names: expected one per run ({len(runs)}), got {len(names)}")
    return Settling(found, names, tuple(ends), int(held), readouts, None if classes is None else tuple(classes))


def first_bit_runs(model: object, noise: str | None = None, seed: int = 0) -> list[Trace]:
    """Two runs of a first-bit model's one-direction first layer that differ only in the first bit (0, then 1),
    followed by the same ``noise`` (the task's gap of random bits drawn with ``seed`` when None)."""
    task, network = model.task, model.network
    if getattr(task, "NAME", "") != "first_bit" or network.bidirectional:
        raise ValueError("first-bit runs: expected a one-direction model of the first_bit task")
    if noise is None:
        noise = "".join(np.random.default_rng(seed).choice(["0", "1"], task.gap))
    return [network.run(task.encode(bit + noise).xs).trace(0) for bit in "01"]


def first_bit_settling(model: object, noise: str | None = None, seed: int = 0) -> Settling:
    """The fixed points of a one-layer model trained on the first-bit task (``cells.learning.train.Model``, e.g. the
    shipped first_bit_lstm and first_bit_gru), with the input held at the mean of the noise (0: no bit, no start
    marker), searched from two runs that differ only in the first bit, followed by the same noise."""
    task, network = model.task, model.network
    if getattr(task, "NAME", "") != "first_bit" or len(network.layers) != 1 or network.bidirectional:
        raise ValueError("first-bit settling: expected a one-layer, one-direction model of the first_bit task")
    runs = first_bit_runs(model, noise, seed)
    return settle(network.layers[0].forward, None, runs, names=("that starts with 0", "that starts with 1"),
                  head=model.readout, classes=task.classes)
