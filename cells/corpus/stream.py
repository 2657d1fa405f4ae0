"""A whole text through a model at once: many streams side by side, each carried across its chunks.

The text's T tokens are cut into S streams of about T / S tokens each (every cut moved back to the start
of its line when one is near), and the streams are read side by side, ``chunk`` steps at a time:

    x_t^s = E[k_t^s]                                  (S, I) the tokens of step t of every stream
    s_t^s = step(s_{t-1}^s, x_t^s)                    every layer, the kind's own reference step, batched
    logits_t^s = W·h_t^s + b,  p_t^s = softmax(...)   (S, K) from the head, predicting token t + 1

Each stream starts from the zero state, as one file read on its own does, and its state carries from
one chunk to the next, so every stream's values are those of one long ``Network.run`` over its tokens
(a test checks this for every kind). Nothing keeps (steps × units × gates) for the whole text: each
chunk's values go to the consumers (streaming statistics, census accumulators, the match index) and are
dropped. What stays is O(T): the token ids, the loss of every prediction, and the state of every stream
every ``checkpoint`` steps, from which any window of the long run is computed again (``cells.corpus.window``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cells.cell import Cell, StepParts
from cells.files import vocabulary as vocab
from cells.files.model import LoadedModel
from cells.files.parts import Head

MAX_CHARACTERS = 10_000_000  # the longest text a corpus run reads (a page refuses a bigger upload first)
Progress = Callable[[int, int], None]  # (steps done, steps in all)
ENCODE_PIECE = 1 << 18  # characters encoded at a time


class Stopped(Exception):  # noqa: N818 (a request, not an error: the caller keeps its last result)
    """Raised when the caller's stop flag is set: the run ends at a chunk boundary and returns nothing."""


# ----- the text as token ids -----------------------------------------------------------------------
def encode(model: LoadedModel, text: str) -> np.ndarray:
    """The token ids of ``text`` through the model's vocabulary, (T,) int32; characters without a row read as
    the vocabulary's unknown token (or a ValueError naming the first when it has none)."""
    if model.vocabulary is None:
        raise ValueError("corpus: the model has no vocabulary, so it cannot read text (load it with one)")
    if not isinstance(text, str) or not text:
        raise ValueError("corpus: expected a non-empty text")
    if len(text) > MAX_CHARACTERS:
        raise ValueError(f"corpus: {len(text):,} characters is over the limit of {MAX_CHARACTERS:,}")
    if not vocab.by_characters(model.vocabulary):
        return vocab.ids(text, model.vocabulary)[1].astype(np.int32)
    unknown = vocab.unknown_token(model.vocabulary)
    table = {ord(t): k for k, t in enumerate(model.vocabulary) if len(t) == 1}
    fallback = -1 if unknown is None else model.vocabulary.index(unknown)
    ids = np.empty(len(text), np.int32)  # (T,)
    for a in range(0, len(text), ENCODE_PIECE):  # a piece at a time: its code points and their ranks stay small
        codes = np.frombuffer(text[a : a + ENCODE_PIECE].encode("utf-32-le", errors="surrogatepass"), dtype="<u4")
        seen, inverse = np.unique(codes, return_inverse=True)
        lookup = np.array([table.get(int(c), fallback) for c in seen], dtype=np.int32)
        ids[a : a + len(codes)] = lookup[inverse]
    if unknown is None and (ids < 0).any():
        vocab.ids(text, model.vocabulary)  # raises the vocabulary's own message, naming the first one
    return ids


# ----- where the streams start ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Plan:
    """Stream s reads positions starts[s] … starts[s] + lengths[s] - 1; the streams tile the text in order."""

    starts: np.ndarray  # (S,)
    lengths: np.ndarray  # (S,)

    @property
    def streams(self) -> int:
        return len(self.starts)

    @property
    def longest(self) -> int:
        return int(self.lengths.max())

    @property
    def total(self) -> int:
        return int(self.lengths.sum())

    def locate(self, position: int) -> tuple[int, int]:
        """(stream, step within it) of a text position."""
        if not 0 <= position < self.total:
            raise ValueError(f"position: expected 0 to {self.total - 1}, got {position}")
        s = int(np.searchsorted(self.starts, position, side="right")) - 1
        return s, position - int(self.starts[s])


def plan(text: str | None, tokens: int, streams: int = 64, min_length: int = 256) -> Plan:
    """Cut ``tokens`` positions into at most ``streams`` streams of at least ``min_length`` (one for a short
    text). With the text (read character by character), each cut moves back to the start of its line when a
    line break lies within a quarter of a stream before it."""
    if tokens < 1:
        raise ValueError("corpus: expected at least one token")
    count = max(1, min(int(streams), tokens // max(1, min_length)))
    cuts = [round(k * tokens / count) for k in range(count)]
    if text is not None and len(text) == tokens:
        reach = max(1, tokens // (4 * count))
        for k in range(1, count):
            line = text.rfind("\n", max(cuts[k - 1] + 1, cuts[k] - reach), cuts[k])
            if line >= 0:
                cuts[k] = line + 1
    starts = np.array(cuts, dtype=np.int64)
    lengths = np.diff(np.append(starts, tokens))
    return Plan(starts, lengths)


def plan_documents(starts: Sequence[int], tokens: int) -> Plan:
    """One stream per document, each starting at one of ``starts`` (the first at 0, increasing)."""
    first = np.asarray(starts, dtype=np.int64)
    if len(first) == 0 or first[0] != 0 or np.any(np.diff(first) <= 0) or first[-1] >= tokens:
        raise ValueError(f"documents: expected increasing starts from 0, each below {tokens}")
    return Plan(first, np.diff(np.append(first, tokens)))


# ----- one cell, many streams -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Batched:
    """One cell's fused parameters for reading a batch of streams with its own reference step."""

    cell: Cell
    W_x: np.ndarray  # (I, G·H): every gate's input columns, GATES order
    b: np.ndarray  # (G·H,)
    groups: tuple[tuple[tuple[str, ...], slice | np.ndarray, np.ndarray], ...]  # (gates, columns, (P, n·H))
    W: dict[str, np.ndarray]  # gate -> hidden columns (H, P)

    @classmethod
    def of(cls, cell: Cell) -> Batched:
        P, H = cell.state_size, cell.hidden_size
        W_x = np.ascontiguousarray(np.concatenate([cell.weights[g][:, P:] for g in cell.GATES]).T)
        b = np.concatenate([cell._bias(g) for g in cell.GATES])
        W = {g: np.ascontiguousarray(cell.weights[g][:, :P]) for g in cell.GATES}
        groups = []
        for group in cell.RECURRENT:
            k = [cell.GATES.index(g) for g in group]
            columns = (slice(k[0] * H, (k[-1] + 1) * H) if k == list(range(k[0], k[0] + len(k)))
                       else np.concatenate([np.arange(j * H, (j + 1) * H) for j in k]))
            groups.append((group, columns, np.ascontiguousarray(np.concatenate([W[g] for g in group]).T)))
        return cls(cell, W_x, b, tuple(groups), W)

    def run(self, xs: np.ndarray, h: np.ndarray, c: np.ndarray | None, names: Sequence[str]
            ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray | None]:
        """Read xs, (L, S, I), from the states h (S, P) and c (S, H); return ({name: (L, S, ·)}, h, c)."""
        cell, H = self.cell, self.cell.hidden_size
        L, S = xs.shape[0], xs.shape[1]
        proj = (xs.reshape(L * S, -1) @ self.W_x).reshape(L, S, -1)  # (L, S, G·H): one product for the chunk
        proj += self.b  # every gate's input part and bias
        gate = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(cell.GATES)}
        out: dict[str, np.ndarray] = {}
        for t in range(L):
            xw = {g: proj[t, :, gate[g]] for g in cell.GATES}
            a, hw = {}, {}
            for group, columns, W_group in self.groups:
                product = h @ W_group  # (S, n·H): the hidden columns times h_{t-1}
                summed = proj[t, :, columns] + product  # W_g·[h_{t-1}, x_t] + b_g
                for k, g in enumerate(group):
                    a[g], hw[g] = summed[:, k * H : (k + 1) * H], product[:, k * H : (k + 1) * H]
            _, v = cell.reference_step(a, h, c, StepParts(xw, hw, self.W))
            if not out:
                out = {n: np.empty((L, *v[n].shape), v[n].dtype) for n in names}
            for n in names:
                out[n][t] = v[n]
            h, c = v["hidden"], v.get("cell")
        return out, h, c


# ----- the run ------------------------------------------------------------------------------------------
class Consumer:
    """Receives every chunk's values: ``add(layer, values {name: (n, H)}, positions (n,))``, n valid steps."""

    def add(self, layer: int, values: dict[str, np.ndarray], positions: np.ndarray) -> None:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Checkpoints:
    """The state of every stream every ``every`` steps: ``states[k][j]`` is layer k's [h, C] (S, P (+ H))
    before step j·every of each stream."""

    every: int
    states: tuple[np.ndarray, ...]  # per layer (J, S, P (+ H))


@dataclass(frozen=True, eq=False)
class Pass:
    """What a streaming pass leaves: the plan, per-prediction loss, and the checkpoints."""

    plan: Plan
    ids: np.ndarray  # (T,) token ids
    loss: np.ndarray | None  # (T,) nats to predict token t from the tokens before it in its stream; NaN at a
    #                          stream's first token (nothing predicts it); None without a head over the vocabulary
    checkpoints: Checkpoints
    names: dict[int, tuple[str, ...]] = field(default_factory=dict)  # layer -> the names consumers received


def names_of(cell: Cell) -> tuple[str, ...]:
    """The gates and states a corpus run records for a cell: what its pages draw (``SHOWN``)."""
    return tuple(cell.SHOWN)


def check_model(model: LoadedModel) -> None:
    if model.network.bidirectional:
        raise ValueError("corpus: a bidirectional model reads each text from its end too; a corpus run streams "
                         "text forward, so it takes models that read one way")


def predicts_tokens(model: LoadedModel) -> bool:
    """Whether the head scores the vocabulary's tokens, so the run can measure the next-token loss."""
    return model.head is not None and model.vocabulary is not None and model.head.size >= len(model.vocabulary)


def next_token_loss(head: Head, h: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """-log p(target | h) under softmax(W·h + b), (n,) from h (n, D·P) and targets (n,)."""
    z = head.logits(h)  # (n, K)
    z = z - z.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(z).sum(axis=1))
    return log_total - z[np.arange(len(z)), targets]


def stream_pass(model: LoadedModel, ids: np.ndarray, the_plan: Plan, *, chunk: int = 64, checkpoint: int = 256,
                consumers: Sequence[Consumer] = (), progress: Progress | None = None,
                stop: Callable[[], bool] | None = None, checkpoint_files: Sequence[Path] | None = None) -> Pass:
    """Read every stream of ``the_plan`` side by side, ``chunk`` steps at a time, feeding each chunk's values to
    the consumers; keep each stream's state every ``checkpoint`` steps (a multiple of ``chunk``). With
    ``checkpoint_files`` (one per layer) the states are appended to those files as they come, never held in
    memory, and read back as read-only memory maps (J, S, W): dense checkpoints for a long text stay on disk."""
    check_model(model)
    if chunk < 1 or checkpoint < chunk or checkpoint % chunk:
        raise ValueError(f"corpus: checkpoint every {checkpoint} steps should be a multiple of the chunk, {chunk}")
    layers = [Batched.of(layer.forward) for layer in model.network.layers]
    names = {k: names_of(b.cell) for k, b in enumerate(layers)}
    dtype = layers[0].cell.dtype
    S, longest = the_plan.streams, the_plan.longest
    starts, lengths = the_plan.starts, the_plan.lengths
    h = [np.zeros((S, b.cell.state_size), dtype) for b in layers]
    c = [np.zeros((S, b.cell.hidden_size), dtype) if b.cell.HAS_CELL else None for b in layers]
    # every stream's [h, C] before steps 0, checkpoint, 2·checkpoint, …: (J, S, W) per layer, allocated once (stacking
    # a list of them held the states twice at the end), or appended to a file a (S, W) block at a time
    shapes = [(-(-longest // checkpoint), S, b.cell.state_size + (b.cell.hidden_size if b.cell.HAS_CELL else 0))
              for b in layers]
    if checkpoint_files is not None and len(checkpoint_files) != len(layers):
        raise ValueError(f"checkpoint files: expected one per layer ({len(layers)}), got {len(checkpoint_files)}")
    files = [open(path, "wb") for path in checkpoint_files] if checkpoint_files is not None else None  # noqa: SIM115
    saved = [np.empty(shape, dtype) for shape in shapes] if files is None else None
    scores = predicts_tokens(model)
    loss = np.full(len(ids), np.nan, np.float32) if scores else None
    done, total = 0, the_plan.total
    try:
        for t0 in range(0, longest, chunk):
            if stop is not None and stop():
                raise Stopped("the corpus run was stopped")
            if t0 % checkpoint == 0:
                for k in range(len(layers)):
                    block = np.concatenate([h[k]] + ([c[k]] if c[k] is not None else []), axis=1)  # (S, W)
                    if files is not None:
                        files[k].write(block.astype(dtype, copy=False).tobytes())
                    else:
                        saved[k][t0 // checkpoint] = block
            L = min(chunk, longest - t0)
            steps = t0 + np.arange(L)[:, None]  # (L, 1)
            valid = steps < lengths[None, :]  # (L, S): streams shorter than the longest end early
            positions = np.where(valid, starts[None, :] + steps, 0)  # (L, S) text positions
            chunk_ids = ids[positions]
            xs = model.embedding[chunk_ids] if model.embedding is not None else \
                np.eye(model.network.input_size, dtype=dtype)[chunk_ids]  # (L, S, I)
            xs = xs.astype(dtype, copy=False)
            flat_positions = positions[valid]
            for k, b in enumerate(layers):
                wanted = tuple(dict.fromkeys((*names[k], "hidden")))
                values, h_new, c_new = b.run(xs, h[k], c[k], wanted)
                h[k], c[k] = h_new, c_new  # a stream that ended runs on padding: never read again
                if consumers:
                    full = bool(valid.all())  # then every (L, S, H) array is (L·S, H) without a copy
                    given = {n: values[n].reshape(L * S, -1) if full else values[n][valid] for n in names[k]}
                    for consumer in consumers:
                        consumer.add(k, given, flat_positions)
                xs = values["hidden"]
            if scores:
                following = positions + 1
                has_next = valid & (steps + 1 < lengths[None, :])
                targets = ids[np.where(has_next, following, 0)]
                nats = next_token_loss(model.head, xs[has_next], targets[has_next])
                loss[following[has_next]] = nats
            done += int(valid.sum())
            if progress is not None:
                progress(done, total)
    finally:
        for f in files or ():
            f.close()
    if files is not None:
        saved = [np.memmap(path, dtype, "r", shape=shape) for path, shape in zip(checkpoint_files, shapes, strict=True)]
    return Pass(the_plan, ids, loss, Checkpoints(checkpoint, tuple(saved)), names)


def bits_per_token(loss: np.ndarray | None) -> float | None:
    """Mean next-token loss in bits over every predicted token, or None without one."""
    if loss is None or not np.isfinite(loss).any():
        return None
    return float(np.nanmean(loss) / math.log(2))
