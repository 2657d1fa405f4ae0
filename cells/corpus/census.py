"""The census: for every layer, gate or state, and unit, the concept it tracks best, each claim tried by ablation.

For a graded track y (bracket depth, indentation, position in the line) the measure is Pearson's r over
every step of the corpus,

    r = cov(v, y) / (σ_v σ_y),   from the streamed sums Σv, Σv², Σy, Σy², Σv·y (shifted, in float64)

and for an on/off track (string, comment, …) the AUC: the chance that the unit's value at a step where the
concept holds exceeds its value at a step where it does not (ties count half),

    AUC = Σ_b on_b · (Σ_{b' < b} off_b' + off_b / 2) / (N_on · N_off)

from each unit's histogram of values (``BINS`` bins over its range; an unbounded cell state is binned
through tanh(v/4), which keeps the order), counted once per combination of on/off concepts a step has
(a few dozen occur in code), so one ``bincount`` a chunk serves every concept. A unit
low inside a concept tracks it as well as one high inside: its AUC is reported as 1 − AUC with
``sign`` = -1. Each unit's concept is the one with the greatest strength, max(|r| / 0.6, |AUC − 0.5| / 0.4):
1 at the thresholds the census calls clear (|r| ≥ 0.6, AUC ≥ 0.9).

**Ablation** (with ``cells.Clamp``): the unit is held at its mean over the corpus, so it no longer says
anything while its layer still reads a typical value from it. A gate is clamped to its mean. A memory unit m̄
(C_t of the LSTM family, h_t of the GRU family) starts the window at m̄ and is held there by its gates: the
share kept, the share taken and the candidate ã = clip(m̄, -1, 1) chosen so that m̄ is the update's fixed
point, m̄ = k·m̄ + ã with k = 1 - |ã| / |m̄| (k = 0 when |m̄| ≤ 1); a GRU's update takes 1 - k of the candidate,
and its h_t never leaves [-1, 1]. An LSTM's h_t = o_t·tanh(C_t) is held at h̄ by o_t = 1 and C_t held at
atanh(h̄). (Silencing a unit at 0 instead tells little: a unit that rests far from 0 in code is then wrong
everywhere, and the loss rises on and off its concept alike.) On sample windows of the corpus, each read
from the long run's state at its start, the next-character loss with the hold is compared with the loss
without it, on the characters where the concept holds (above its mean, for a graded track) and on the others:

    loss_rise_on = mean(loss held, on) / mean(loss, on) - 1,   loss_rise_off likewise

The ablation confirms the claim (``Finding.confirmed``) when loss_rise_on ≥ 1 % and loss_rise_on ≥ 2 · loss_rise_off:
the unit matters to the model, and matters most where its concept holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from cells.cell import Cell
from cells.clamp import Clamp
from cells.corpus import window
from cells.corpus.stream import Consumer, Pass, Stopped, next_token_loss
from cells.corpus.tracks import Track
from cells.files.model import LoadedModel
from cells.gates import gate_info

BINS = 128
PIECE = 1 << 18  # steps whose combination is looked up at a time
R_CLEAR, AUC_CLEAR = 0.6, 0.9
CONFIRM_RISE, CONFIRM_RATIO = 0.01, 2.0  # an ablation confirms a claim: the loss rises ≥ 1 % on, ≥ 2 × off


def squash(v: np.ndarray, value_range: str) -> np.ndarray:
    """A monotone map of values into [0, 1] for binning: order (and so AUC) is kept."""
    if value_range == "sigmoid":
        return v
    if value_range == "tanh":
        return 0.5 * v + 0.5
    return 0.5 * np.tanh(v / 4) + 0.5


def combinations(on_off: list[np.ndarray], steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(the combinations of on/off tracks that occur, as bit masks in increasing order (P,) int64; each step's
    combination as its rank among them (T,), in the smallest unsigned type that holds P ranks). Track k is
    bit k. Up to 16 tracks, the masks are counted by a lookup table (a few MB over 10M steps, where sorting
    int64 masks needed hundreds); more fall back to sorting."""
    width = np.uint8 if len(on_off) <= 8 else np.uint16 if len(on_off) <= 16 else np.int64
    bits = np.zeros(steps, width)  # (T,)
    for k, values in enumerate(on_off):
        bits |= values.astype(width) << width(k)
    if width is np.int64:
        patterns, rank = np.unique(bits, return_inverse=True)
    else:
        size = 1 << (8 * np.dtype(width).itemsize)
        count = np.zeros(size, np.int64)
        for a in range(0, steps, PIECE):  # a piece at a time: bincount and indexing widen their input to int64
            count += np.bincount(bits[a : a + PIECE], minlength=size)
        patterns = np.flatnonzero(count)  # (P,) the masks that occur, increasing
        lookup = np.zeros(size, width)  # mask -> rank
        lookup[patterns] = np.arange(len(patterns))
        rank = bits  # each mask replaced by its rank, in place
        for a in range(0, steps, PIECE):
            rank[a : a + PIECE] = lookup[bits[a : a + PIECE]]
    smallest = np.uint8 if len(patterns) <= 1 << 8 else np.uint16 if len(patterns) <= 1 << 16 else np.int32
    return patterns.astype(np.int64), rank.astype(smallest, copy=False)


class Accumulator(Consumer):
    """Streams the sums and histograms the census needs; give it to a corpus run with the text's tracks."""

    def __init__(self, tracks: dict[str, Track], families: dict[int, str]) -> None:
        self.families = families
        self.graded = [t for t in tracks.values() if t.graded]
        self.on_off = [t for t in tracks.values() if not t.graded]
        self.y_shift = np.array([float(t.values.mean()) for t in self.graded])  # (Kg,)
        self.patterns, self.pattern = combinations([t.values for t in self.on_off],
                                                   len(next(iter(tracks.values())).values))
        self.sums: dict[tuple[int, str], dict[str, np.ndarray | int]] = {}
        self.hist: dict[tuple[int, str], np.ndarray] = {}  # (P, H·BINS) counts per combination, unit and bin

    def add(self, layer: int, values: dict[str, np.ndarray], positions: np.ndarray) -> None:
        n = len(positions)
        if n == 0:
            return
        Y = np.stack([t.values[positions] for t in self.graded], axis=1) - self.y_shift if self.graded \
            else np.zeros((n, 0))  # (n, Kg)
        P = len(self.patterns)
        for name, v in values.items():
            key, H = (layer, name), v.shape[1]
            if key not in self.sums:
                self.sums[key] = {"n": 0, "shift": v.mean(axis=0).astype(np.float64), "v": np.zeros(H),
                                  "vv": np.zeros(H), "y": np.zeros(len(self.graded)),
                                  "yy": np.zeros(len(self.graded)), "vy": np.zeros((H, len(self.graded)))}
                self.hist[key] = np.zeros((P, H * BINS), np.int32)
            s = self.sums[key]
            centred = v - s["shift"].astype(v.dtype)  # (n, H), in the run's precision; sums in float64
            s["n"] += n
            s["v"] += centred.sum(axis=0, dtype=np.float64)
            s["vv"] += np.einsum("ij,ij->j", centred, centred, dtype=np.float64)
            s["y"] += Y.sum(axis=0)
            s["yy"] += (Y * Y).sum(axis=0)
            s["vy"] += centred.T @ Y.astype(v.dtype)  # (H, Kg)
            u = squash(v, gate_info(self.families[layer], name).range)
            codes = (u * BINS).astype(np.int32)
            np.minimum(codes, BINS - 1, out=codes)
            np.maximum(codes, 0, out=codes)
            codes += BINS * np.arange(H, dtype=np.int32)
            codes += (H * BINS) * self.pattern[positions][:, None].astype(np.int32)
            self.hist[key] += np.bincount(codes.ravel(), minlength=P * H * BINS).reshape(P, H * BINS).astype(np.int32)

    def histograms(self, key: tuple[int, str]) -> tuple[np.ndarray, np.ndarray]:
        """(counts at every step (H·BINS,), counts where each on/off concept holds (Ko, H·BINS))."""
        hist = self.hist[key]
        on = np.stack([hist[(self.patterns >> k) & 1 == 1].sum(axis=0) for k in range(len(self.on_off))]) \
            if self.on_off else np.zeros((0, hist.shape[1]), np.int64)
        return hist.sum(axis=0), on

    def correlations(self, key: tuple[int, str]) -> np.ndarray:
        """Pearson's r of every unit with every graded track, (H, Kg)."""
        s = self.sums[key]
        n = s["n"]
        cov = s["vy"] / n - np.outer(s["v"] / n, s["y"] / n)
        var_v = np.maximum(s["vv"] / n - (s["v"] / n) ** 2, 0)
        var_y = np.maximum(s["yy"] / n - (s["y"] / n) ** 2, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.sqrt(np.outer(var_v, var_y))
        return np.nan_to_num(r)

    def aucs(self, key: tuple[int, str]) -> np.ndarray:
        """P(value where the concept holds > value where it does not), ties half, every unit and on/off track,
        (H, Ko); 0.5 where a track is always or never on."""
        everywhere, on = self.histograms(key)
        H = everywhere.size // BINS
        out = np.full((H, len(self.on_off)), 0.5)
        for k in range(len(self.on_off)):
            inside = on[k].reshape(H, BINS).astype(np.float64)
            outside = everywhere.reshape(H, BINS) - inside
            n_in, n_out = inside.sum(axis=1), outside.sum(axis=1)
            below = np.cumsum(outside, axis=1) - outside
            with np.errstate(invalid="ignore", divide="ignore"):
                auc = (inside * (below + 0.5 * outside)).sum(axis=1) / (n_in * n_out)
            out[:, k] = np.where((n_in > 0) & (n_out > 0), auc, 0.5)
        return out


@dataclass(frozen=True)
class Finding:
    """One unit and the concept it tracks best."""

    layer: int
    direction: str
    state: str  # a gate or state name, as in Trace.values
    unit: int
    concept: str
    measure: str  # "r" or "auc"
    score: float  # r (signed), or the AUC (≥ 0.5, with ``sign`` saying whether the unit is high or low inside)
    sign: int
    strength: float  # max(|r| / 0.6, |AUC - 0.5| / 0.4): 1 or more is clear
    loss_rise_on: float | None = None
    loss_rise_off: float | None = None

    @property
    def clear(self) -> bool:
        return self.strength >= 1.0

    @property
    def confirmed(self) -> bool | None:
        """Whether holding the unit at its mean costs the model where the concept holds: the loss rises there by
        at least ``CONFIRM_RISE`` and by ``CONFIRM_RATIO`` times what it rises elsewhere. None: not ablated."""
        if self.loss_rise_on is None or self.loss_rise_off is None:
            return None
        return self.loss_rise_on >= CONFIRM_RISE and self.loss_rise_on >= CONFIRM_RATIO * max(self.loss_rise_off, 0.0)

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("strength")
        for k in ("score", "loss_rise_on", "loss_rise_off"):
            out[k] = None if out[k] is None else round(float(out[k]), 4)
        out["confirmed"] = self.confirmed
        return out


def pairs(acc: Accumulator) -> list[Finding]:
    """Every unit of every layer and gate or state with every concept, strongest first."""
    out = []
    for key in acc.sums:
        layer, name = key
        r, auc = acc.correlations(key), acc.aucs(key)  # (H, Kg), (H, Ko)
        for k, track in enumerate(acc.graded):
            for unit in range(len(r)):
                score = float(r[unit, k])
                out.append(Finding(layer, "forward", name, unit, track.name, "r", score, 1 if score >= 0 else -1,
                                   abs(score) / R_CLEAR))
        for k, track in enumerate(acc.on_off):
            for unit in range(len(auc)):
                a = float(auc[unit, k])
                sign, score = (1, a) if a >= 0.5 else (-1, 1 - a)
                out.append(Finding(layer, "forward", name, unit, track.name, "auc", score, sign,
                                   (score - 0.5) / (AUC_CLEAR - 0.5)))
    return sorted(out, key=lambda f: -f.strength)


def findings(acc: Accumulator) -> list[Finding]:
    """Every unit of every layer and gate or state with its best concept, strongest first."""
    best: dict[tuple[int, str, int], Finding] = {}
    for f in pairs(acc):
        best.setdefault((f.layer, f.state, f.unit), f)
    return sorted(best.values(), key=lambda f: -f.strength)


def ranking(acc: Accumulator, concept: str) -> list[Finding]:
    """Every unit scored on one concept, strongest first."""
    names = [t.name for t in acc.graded + acc.on_off]
    if concept not in names:
        raise ValueError(f"concept: expected one of {', '.join(names)}, got {concept!r}")
    return [f for f in pairs(acc) if f.concept == concept]


def leaders(acc: Accumulator, count: int = 1, state: str | None = None) -> list[Finding]:
    """The ``count`` strongest units of each concept (of one gate or state, when ``state`` names it), strongest
    first."""
    seen: dict[str, int] = {}
    out = []
    for f in pairs(acc):
        if (state is None or f.state == state) and seen.get(f.concept, 0) < count:
            seen[f.concept] = seen.get(f.concept, 0) + 1
            out.append(f)
    return out


# ----- ablation ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hold:
    """How to hold one unit at a value: the clamps, and the state the window starts from for that unit
    (field of ``cells.State`` -> value)."""

    clamps: tuple[Clamp, ...]
    start: tuple[tuple[str, float], ...] = ()
    layer: int = 0
    unit: int = 0

    def states(self, states: list) -> list:
        """The long run's states at a window's start with this unit's own replaced (copies: the run's stay)."""
        if not self.start:
            return states
        out = list(states)
        for field, value in self.start:
            array = getattr(out[self.layer], field).copy()
            array[self.unit] = value
            out[self.layer] = replace(out[self.layer], **{field: array})
        return out


def hold_memory(cell: Cell, layer: int, unit: int, value: float) -> Hold | None:
    """Hold a unit's memory (C_t, or h_t of the GRU family) at ``value`` from a window's first step on: it starts
    there, and the gates make it the update's fixed point. None where the cell's gates cannot."""
    if cell.KEEP is None or "candidate" not in cell.GATES:
        return None
    gate, sign = cell.KEEP
    taken = float(np.clip(value, -1.0, 1.0))  # the candidate is a tanh: within [-1, 1]
    if "input" in cell.GATES and gate != "input":  # a gate of its own takes the candidate: hold any value
        kept = 1.0 - abs(taken) / abs(value) if abs(value) > 1.0 else 0.0
        clamps = (Clamp(gate, kept if sign > 0 else 1.0 - kept, (unit,), layer=layer),
                  Clamp("input", 1.0, (unit,), layer=layer))
    elif abs(value) <= 1.0:  # the candidate's share is one minus the kept share: keep nothing, take all
        clamps = (Clamp(gate, 0.0 if sign > 0 else 1.0, (unit,), layer=layer),)
    else:
        return None
    return Hold((*clamps, Clamp("candidate", taken, (unit,), layer=layer)), ((cell.memory(), value),), layer, unit)


def ablation(cell: Cell, layer: int, name: str, unit: int, mean: float) -> Hold | None:
    """How to take one unit out by holding it at its corpus mean: a gate clamped there; a memory unit held
    there (``hold_memory``); an LSTM's h_t held at h̄ by an open output gate and C_t held at atanh(h̄). None
    where no clamp can (a plain RNN, a projected h_t, a value a state cannot take)."""
    if not cell.CLAMPABLE:
        return None
    if name in cell.GATES:
        lo, hi = (0.0, 1.0) if name in cell.SIGMOID else (-1.0, 1.0)
        return Hold((Clamp(name, float(np.clip(mean, lo, hi)), (unit,), layer=layer),), (), layer, unit)
    if name == cell.memory():
        return hold_memory(cell, layer, unit, mean)
    if name == "hidden" and cell.HAS_CELL and not cell.PROJECTED and "output" in cell.GATES:
        memory = hold_memory(cell, layer, unit, float(np.arctanh(np.clip(mean, -0.999999, 0.999999))))
        if memory is None:
            return None
        return replace(memory, clamps=(*memory.clamps, Clamp("output", 1.0, (unit,), layer=layer)),
                       start=(*memory.start, ("hidden", mean)))
    return None


@dataclass(frozen=True, eq=False)
class Windows:
    """The sample an ablation is measured on: windows [start, stop) of the run, each inside one stream."""

    spans: tuple[tuple[int, int], ...]

    @classmethod
    def sample(cls, run: Pass, count: int = 8, length: int = 512, seed: int = 0, grid: int | None = None
               ) -> Windows:
        """``count`` windows of ``length`` steps starting on a grid of ``grid`` steps in each stream (None: at the
        checkpoints), drawn with ``seed`` (shorter, and all of them, where the text is small)."""
        every = run.checkpoints.every if grid is None else grid
        places = [(int(run.plan.starts[s]) + j * every, int(run.plan.starts[s] + run.plan.lengths[s]))
                  for s in range(run.plan.streams) for j in range(-(-int(run.plan.lengths[s]) // every))]
        fits = [(a, a + length) for a, end in places if a + length <= end]
        if len(fits) < count:
            fits = [(a, min(end, a + length)) for a, end in places if min(end, a + length) - a > 1]
        order = np.random.default_rng(seed).permutation(len(fits))[:count]
        return cls(tuple(sorted(fits[k] for k in order)))


def window_losses(model: LoadedModel, run: Pass, windows: Windows, hold: Hold | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(positions predicted, next-token loss there) over every window, read from the long run's state (with
    ``hold``'s unit started at its value and clamped)."""
    positions, losses = [], []
    for start, stop in windows.spans:
        states = window.states_at(model, run, start)
        xs = window._inputs(model, run.ids[start:stop])
        if hold is not None:
            states = hold.states(states)
        trace = model.network.run(xs, states, () if hold is None else hold.clamps)
        losses.append(next_token_loss(model.head, trace.output[:-1], run.ids[start + 1 : stop]))
        positions.append(np.arange(start + 1, stop))
    return np.concatenate(positions), np.concatenate(losses)


def rise(clamped: np.ndarray, base: np.ndarray, where: np.ndarray) -> float | None:
    """mean(clamped) / mean(base) - 1 over ``where``; None where nothing is selected."""
    if not where.any():
        return None
    return float(clamped[where].mean() / base[where].mean() - 1.0)


def ablate(model: LoadedModel, run: Pass, chosen: list[Finding], tracks: dict[str, Track],
           means: dict[tuple[int, str], np.ndarray], windows: Windows,
           progress: Callable[[int, int], None] | None = None, stop: Callable[[], bool] | None = None
           ) -> list[Finding]:
    """The chosen findings with their loss rises on and off their concept's characters."""
    positions, base = window_losses(model, run, windows)
    out = []
    for k, f in enumerate(chosen):
        if stop is not None and stop():
            raise Stopped("the census was stopped")
        cell = model.network.layers[f.layer].forward
        hold = ablation(cell, f.layer, f.state, f.unit, float(means[(f.layer, f.state)][f.unit]))
        if hold is None:
            out.append(f)
        else:
            _, clamped = window_losses(model, run, windows, hold)
            on = tracks[f.concept].on()[positions]
            out.append(replace(f, loss_rise_on=rise(clamped, base, on), loss_rise_off=rise(clamped, base, ~on)))
        if progress is not None:
            progress(k + 1, len(chosen))
    return out
