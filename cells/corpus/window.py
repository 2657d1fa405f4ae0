"""Any stretch of a corpus run, computed again from the nearest checkpoint: for colouring text a window at a time,
and for opening the gate view on the text around a character with the state the long run had there.

A corpus run keeps every stream's state every ``checkpoints.every`` steps. The state before position p
(stream s, step i) is the checkpoint at step j·every, j = ⌊i / every⌋, carried over the i - j·every tokens
between them; from there the window's steps are read exactly as the long run read them, so a window's
values equal the corpus run's (to rounding: the same equations, batched differently).
"""

from __future__ import annotations

import numpy as np

from cells.corpus.stream import Batched, Pass, check_model
from cells.files.model import LoadedModel
from cells.layers import NetworkTrace
from cells.trace import State


def _inputs(model: LoadedModel, ids: np.ndarray) -> np.ndarray:
    dtype = model.network.layers[0].forward.dtype
    if model.embedding is not None:
        return model.embedding[ids].astype(dtype, copy=False)  # (…, I)
    return np.eye(model.network.input_size, dtype=dtype)[ids]


def _checkpoint(model: LoadedModel, run: Pass, stream: int, j: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Each layer's (h, C) at checkpoint j of ``stream``."""
    out = []
    for k, layer in enumerate(model.network.layers):
        P = layer.forward.state_size
        row = run.checkpoints.states[k][j, stream]
        out.append((row[:P], row[P:] if layer.forward.HAS_CELL else None))
    return out


def stream_bounds(run: Pass, position: int) -> tuple[int, int]:
    """[first, end) of the stream holding ``position``: a window must stay inside one."""
    s, _ = run.plan.locate(position)
    first = int(run.plan.starts[s])
    return first, first + int(run.plan.lengths[s])


def states_at(model: LoadedModel, run: Pass, position: int) -> list[State]:
    """The long run's state of every layer just before it read ``position`` (one State per layer)."""
    check_model(model)
    s, i = run.plan.locate(position)
    every = run.checkpoints.every
    j = i // every
    states = _checkpoint(model, run, s, j)
    begin = int(run.plan.starts[s]) + j * every
    if position > begin:
        xs = _inputs(model, run.ids[begin:position])[:, None]  # (n, 1, I)
        carried = []
        for k, layer in enumerate(model.network.layers):
            h, c = states[k]
            values, h, c = Batched.of(layer.forward).run(xs, h[None], None if c is None else c[None], ("hidden",))
            carried.append((h[0], None if c is None else c[0]))
            xs = values["hidden"]
        states = carried
    return [State(h.copy(), None if c is None else c.copy()) for h, c in states]


def trace_window(model: LoadedModel, run: Pass, start: int, stop: int) -> NetworkTrace:
    """Every gate of positions [start, stop), read from the long run's state at ``start`` (one stream only):
    what the gate view shows, equal to the corpus run's values there."""
    first, end = stream_bounds(run, start)
    if not start < stop <= end:
        raise ValueError(f"window: positions {start} to {stop} should lie in one stream of the run, here {first} to "
                         f"{end}")
    xs = _inputs(model, run.ids[start:stop])
    return model.network.run(xs, states_at(model, run, start))


def unit_values(model: LoadedModel, run: Pass, layer: int, name: str, unit: int, start: int, stop: int
                ) -> np.ndarray:
    """The values of one unit of one gate or state over positions [start, stop), (stop - start,): the piece
    between each two checkpoints computed side by side, each from its own checkpoint."""
    check_model(model)
    if not 0 <= start < stop <= run.plan.total:
        raise ValueError(f"window: expected 0 <= start < stop <= {run.plan.total}, got {start} and {stop}")
    if not 0 <= layer < len(model.network.layers):
        raise ValueError(f"layer: expected 0 to {len(model.network.layers) - 1}, got {layer}")
    cell = model.network.layers[layer].forward
    if name not in run.names.get(layer, ()):
        raise ValueError(f"{name!r}: expected one of {', '.join(run.names.get(layer, ()))}")
    every = run.checkpoints.every
    # the pieces: from each checkpoint (stream s, index j) that the range touches, up to the range's end
    pieces = []
    position = start
    while position < stop:
        s, i = run.plan.locate(position)
        j = i // every
        begin = int(run.plan.starts[s]) + j * every
        end = min(stop, begin + every, int(run.plan.starts[s] + run.plan.lengths[s]))
        pieces.append((s, j, begin, end))
        position = end
    longest = max(end - begin for _, _, begin, end in pieces)
    ids = np.zeros((longest, len(pieces)), np.int64)
    for p, (_, _, begin, end) in enumerate(pieces):
        ids[: end - begin, p] = run.ids[begin:end]
    xs = _inputs(model, ids)  # (L, pieces, I)
    for k in range(layer + 1):
        below = model.network.layers[k].forward
        first = [_checkpoint(model, run, s, j)[k] for s, j, _, _ in pieces]
        h = np.stack([f[0] for f in first])
        c = np.stack([f[1] for f in first]) if below.HAS_CELL else None
        wanted = ("hidden",) if k < layer else tuple(dict.fromkeys((name, "hidden")))
        values, _, _ = Batched.of(below).run(xs, h, c, wanted)
        xs = values["hidden"]
    if not 0 <= unit < values[name].shape[2]:
        raise ValueError(f"unit: expected 0 to {values[name].shape[2] - 1} of {cell.LABEL} {name}, got {unit}")
    out = np.empty(stop - start, values[name].dtype)
    for p, (_, _, begin, end) in enumerate(pieces):
        lo = max(begin, start)
        out[lo - start : end - start] = values[name][lo - begin : end - begin, p, unit]
    return out
