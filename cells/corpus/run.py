"""One call for a page or a script: run a model over a whole text, keep what the views need, cache it on disk.

    result = run_corpus(model, text, progress=bar, stop=flag)      # cached by (model, text, settings)
    result.summary()                                               # JSON: steps, streams, bits per char, timing
    result.stats                                                   # per unit: mean, spread, saturation
    table = result.census(ablate=1)                                # every unit's best concept, ablations
    result.unit_values(layer, "cell", 37, start, stop)             # colour the text a window at a time
    result.trace_window(start, stop)                               # the gate view, from the long run's state
    units = result.select(a, b, 0.5); result.search(units, 0.5)    # find by pattern
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import tempfile
import threading
import time
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cells.corpus import census as census_
from cells.corpus import match, stdlib, stream, window
from cells.corpus.cache import FORMAT, Cache, key, model_digest
from cells.corpus.stats import Statistics, UnitStats
from cells.corpus.tracks import VERSION as TRACKS_VERSION
from cells.corpus.tracks import Track, tracks
from cells.files import vocabulary as vocab
from cells.files.model import LoadedModel
from cells.layers import NetworkTrace
from cells.trace import State

INDEX_IN_MEMORY = 64_000_000  # a match index bigger than this (bytes) is written to a file even without a cache
CHECKPOINT_BYTES = 64_000_000  # saved states kept in memory at most; more go to files (on disk, read as needed)
CHECKPOINT_FILE_BYTES = 1_000_000_000  # saved states on disk at most; the spacing grows for longer texts
SAMPLE_EVERY = 256  # the ablation's windows start on a grid of this many steps or more


def state_width(model: LoadedModel) -> int:
    """Numbers in one stream's saved state: every layer's h_t (and C_t)."""
    return sum(layer.forward.state_size + (layer.forward.hidden_size if layer.forward.HAS_CELL else 0)
               for layer in model.network.layers)


def checkpoint_spacing(model: LoadedModel, steps: int, chunk: int, budget: int = CHECKPOINT_BYTES,
                       least: int = SAMPLE_EVERY) -> int:
    """Steps between saved states: ``least`` or more, a multiple of ``chunk``, keeping them under ``budget`` bytes.
    A run saves them every ``chunk`` steps where ``CHECKPOINT_FILE_BYTES`` allows (so any window of the run is at
    most one chunk from a saved state: a page of coloured text or a gate view is computed from there at once);
    the defaults give the grid of the ablation's sample windows (256 steps, or more under 64 MB)."""
    every = max(least, math.ceil(steps * state_width(model) * 4 / budget))
    return chunk * math.ceil(every / chunk)


def checkpoint_bytes(model: LoadedModel, the_plan: stream.Plan, every: int) -> int:
    """Bytes of the saved states of a run with this plan and spacing."""
    itemsize = np.dtype(model.network.layers[0].forward.dtype).itemsize
    return -(-the_plan.longest // every) * the_plan.streams * state_width(model) * itemsize


@dataclass(frozen=True, eq=False)
class CorpusRun:
    model: LoadedModel
    text: str
    tracks: dict[str, Track]
    passed: stream.Pass
    stats: list[UnitStats]
    accumulator: census_.Accumulator
    index: match.MatchIndex | None
    seconds: float
    cached: bool = False
    sample_every: int | None = None  # the grid the ablation's windows start on (None: the checkpoints')
    cache: Cache | None = None  # where the run is kept, and with it the ablations made of it
    name: str = ""  # the run's entry in ``cache``

    @property
    def steps(self) -> int:
        return self.passed.plan.total

    def stat(self, layer: int, name: str) -> UnitStats:
        for s in self.stats:
            if (s.layer, s.name) == (layer, name):
                return s
        raise ValueError(f"statistics: no {name!r} in layer {layer}")

    def summary(self) -> dict:
        bits = stream.bits_per_token(self.passed.loss)
        network = self.model.network
        return {"steps": self.steps, "streams": self.passed.plan.streams, "kind": network.kind,
                "layers": len(network.layers), "hidden_size": network.hidden_size,
                "bits_per_token": None if bits is None else round(bits, 4), "seconds": round(self.seconds, 2),
                "cached": self.cached, "checkpoint_every": self.passed.checkpoints.every,
                "statistics": [s.to_json() for s in self.stats]}

    # ----- the census -----
    def census(self, ablate: int = 1, windows: int = 32, length: int = 512, seed: int = 0,
               progress: Callable[[int, int], None] | None = None, stop: Callable[[], bool] | None = None
               ) -> list[census_.Finding]:
        """The census table, strongest first: every unit with its best concept, and the ``ablate`` strongest units
        of each concept (whatever their own best), these with their ablation when the model has a head over
        its vocabulary. Ablation runs windows of ``length`` characters (``windows`` of them, drawn with ``seed``)."""
        table = census_.findings(self.accumulator)
        claims = self.leaders(ablate) if ablate > 0 else []
        claims = self.ablate(claims, windows, length, seed, progress, stop)
        tried = {(f.layer, f.state, f.unit, f.concept): f for f in claims}
        table = [tried.pop((f.layer, f.state, f.unit, f.concept), f) for f in table]
        return sorted(table + list(tried.values()), key=lambda f: -f.strength)

    def ablate(self, claims: list[census_.Finding], windows: int = 32, length: int = 512, seed: int = 0,
               progress: Callable[[int, int], None] | None = None, stop: Callable[[], bool] | None = None
               ) -> list[census_.Finding]:
        """``claims`` with their ablation's loss rises (as they are where the model has no head over its
        vocabulary), on ``windows`` sample windows of ``length`` characters drawn with ``seed``. An ablation is
        a pure result of the run and these settings: a cached run keeps it beside itself, so the next session
        that asks for it (a class opening one link) reads it instead of running the windows again."""
        if not claims or not stream.predicts_tokens(self.model):
            return list(claims)
        asked = {"claims": [[f.layer, f.direction, f.state, f.unit, f.concept] for f in claims],
                 "windows": windows, "length": length, "seed": seed, "grid": self.sample_every}
        if self.cache is None or not self.name:
            return self._ablated(claims, windows, length, seed, progress, stop)
        name = key(self.name, "ablation", asked)
        if (rises := _stored_rises(self.cache, name, len(claims))) is None:
            waiting = _waiter(None if progress is None else lambda: progress(0, len(claims)), stop,
                              "the census was stopped")
            out = None
            try:
                with self.cache.making(name, waiting):  # one maker of it at a time; the others then read it
                    if (rises := _stored_rises(self.cache, name, len(claims))) is None:
                        out = self._ablated(claims, windows, length, seed, progress, stop)
                        kept = json.dumps([[f.loss_rise_on, f.loss_rise_off] for f in out])
                        with contextlib.suppress(OSError):  # a full disk: the ablation is good, only not shared
                            self.cache.put(name, lambda into: (into / "ablation.json").write_text(kept))
            except OSError:  # the cache's folder cannot be written: no one to wait for, nothing kept
                if out is None:
                    out = self._ablated(claims, windows, length, seed, progress, stop)
            if out is not None:
                return out
        return [replace(f, loss_rise_on=on, loss_rise_off=off) for f, (on, off) in zip(claims, rises, strict=True)]

    def _ablated(self, claims: list[census_.Finding], windows: int, length: int, seed: int,
                 progress: Callable[[int, int], None] | None, stop: Callable[[], bool] | None
                 ) -> list[census_.Finding]:
        sample = census_.Windows.sample(self.passed, windows, length, seed, grid=self.sample_every)
        means = {(s.layer, s.name): s.mean for s in self.stats}
        return census_.ablate(self.model, self.passed, claims, self.tracks, means, sample, progress, stop)

    def leaders(self, count: int = 1, state: str | None = None) -> list[census_.Finding]:
        """The ``count`` strongest units of each concept (of one gate or state, when ``state`` names it)."""
        return census_.leaders(self.accumulator, count, state)

    def ranking(self, concept: str) -> list[census_.Finding]:
        """Every unit scored on one concept, strongest first."""
        return census_.ranking(self.accumulator, concept)

    # ----- windows -----
    def unit_values(self, layer: int, name: str, unit: int, start: int, stop: int) -> np.ndarray:
        return window.unit_values(self.model, self.passed, layer, name, unit, start, stop)

    def trace_window(self, start: int, stop: int) -> NetworkTrace:
        return window.trace_window(self.model, self.passed, start, stop)

    def states_at(self, position: int) -> list[State]:
        return window.states_at(self.model, self.passed, position)

    # ----- find by pattern -----
    def select(self, start: int, stop: int, threshold: float) -> tuple[int, ...]:
        return match.select(self._index(), start, stop, threshold)

    def search(self, units: tuple[int, ...], threshold: float, share: float = 0.5, limit: int = 50
               ) -> match.Matches:
        return match.search(self._index(), units, threshold, share, limit)

    def _index(self) -> match.MatchIndex:
        if self.index is None:
            raise ValueError("find by pattern: this run kept no index of h_t (run it with match_layer set)")
        return self.index


# ----- running and caching --------------------------------------------------------------------------------
def _families(model: LoadedModel) -> dict[int, str]:
    return {k: layer.forward.FAMILY for k, layer in enumerate(model.network.layers)}


def run_corpus(model: LoadedModel, text: str, *, pattern: str | None = None, extra: dict[str, Track] | None = None,
               streams: int = 64, starts: list[int] | None = None, chunk: int = 64, match_layer: int | None = -1,
               cache: Cache | None = None,
               progress: Callable[[int, int], None] | None = None, stop: Callable[[], bool] | None = None,
               waiting: Callable[[], None] | None = None) -> CorpusRun:
    """Run ``model`` over ``text`` (read from ``cache`` when it holds this run): streams, statistics, census sums,
    checkpoints and the match index of layer ``match_layer``'s h_t (None: no index). ``extra`` adds tracks of
    the caller's own (one value per character) to the built-in ones and the pattern's. ``starts`` makes each
    document its own stream, read from the zero state (in place of ``streams`` cut evenly). While another
    session or worker makes the same run into ``cache``, this one waits for it, calling ``waiting()`` (and
    ``stop()``) every few tenths of a second, and then reads it."""
    stream.check_model(model)
    ids = stream.encode(model, text)
    if not vocab.by_characters(model.vocabulary):
        raise ValueError("corpus: concept tracks are made character by character; this model reads words")
    layers = len(model.network.layers)
    if match_layer is not None:
        if not -layers <= match_layer < layers:
            raise ValueError(f"match layer: expected -{layers} to {layers - 1}, got {match_layer}")
        match_layer %= layers
    grid = checkpoint_spacing(model, len(ids), chunk)  # the ablation's sample grid
    every = checkpoint_spacing(model, len(ids), chunk, CHECKPOINT_FILE_BYTES, least=chunk)
    found = tracks(text, pattern)
    for track_name, track in (extra or {}).items():
        if track_name in found or np.shape(track.values) != (len(text),):
            raise ValueError(f"track {track_name!r}: expected a new name and one value per character ({len(text)}), "
                             f"got {'a taken name' if track_name in found else np.shape(track.values)}")
        found[track_name] = track
    the_plan = stream.plan(text, len(ids), streams) if starts is None else stream.plan_documents(starts, len(ids))
    settings = {"format": FORMAT, "tracks": TRACKS_VERSION, "pattern": pattern or "",
                "starts": the_plan.starts.tolist() if starts else streams,
                "chunk": chunk, "every": every,
                "match_layer": match_layer,
                "extra": {n: stdlib.digest(t.values.tobytes().hex()) for n, t in (extra or {}).items()}}
    name = key(model_digest(model), stdlib.digest(text), settings)
    made = (model, text, ids, found, the_plan, chunk, every, grid, match_layer, name, progress, stop)
    if cache is None:
        return _make(*made, None)
    if (kept := _kept(cache, name, model, text, found)) is not None:
        return kept
    with cache.making(name, _waiter(waiting, stop, "the corpus run was stopped")):
        if (kept := _kept(cache, name, model, text, found)) is not None:  # made by whoever this one waited for
            return kept
        return _make(*made, cache)


def _waiter(waiting: Callable[[], None] | None, stop: Callable[[], bool] | None, stopped: str) -> Callable[[], None]:
    """What a maker does while it waits for another: give up if asked to stop, else say it waits."""

    def wait() -> None:
        if stop is not None and stop():
            raise stream.Stopped(stopped)
        if waiting is not None:
            waiting()

    return wait


# The runs this process has read from the cache, by their entry: the sessions of a class that open one link share
# one copy (a run over the 40 held-out files holds about 45 MB of census sums, tracks and ids) for as long as any
# of them holds it, and while the entry's files are as they were when it was read. A run is never changed once
# made. (The session that made a run keeps its own copy, which says it was not read from the cache.)
_OPEN: weakref.WeakValueDictionary[tuple[str, str], CorpusRun] = weakref.WeakValueDictionary()
_PRINTS: dict[tuple[str, str], tuple] = {}  # each open run's entry: its files' names, sizes and times then
_OPEN_LOCK = threading.Lock()


def _print(entry: Path) -> tuple | None:
    try:
        return tuple(sorted((f.name, s.st_size, s.st_mtime_ns) for f in entry.iterdir() for s in [f.stat()]))
    except OSError:
        return None


def _shared(cache: Cache, name: str, run: CorpusRun, entry: Path) -> CorpusRun:
    """Note ``run``, just read from ``entry``, as this process's open copy of it."""
    where = (str(cache.folder.resolve()), name)
    with _OPEN_LOCK:
        for gone in [k for k in _PRINTS if k not in _OPEN]:  # runs no session holds any more
            del _PRINTS[gone]
        _OPEN[where] = run
        _PRINTS[where] = _print(entry)
    return run


def _kept(cache: Cache, name: str, model: LoadedModel, text: str, found: dict[str, Track]) -> CorpusRun | None:
    """The run as ``cache`` keeps it (the copy another session has open, if its entry is unchanged); None when
    absent, or unreadable (then removed, to be made again)."""
    if (entry := cache.get(name)) is None:
        return None
    where = (str(cache.folder.resolve()), name)
    with _OPEN_LOCK:
        run = _OPEN.get(where)
        if run is not None and (now := _print(entry)) is not None and _PRINTS.get(where) == now:
            return run
    try:
        return _shared(cache, name, replace(load(entry, model, text, found), cache=cache, name=name), entry)
    except UNREADABLE:  # truncated, of another format, or not an entry at all: made again and stored anew
        cache.discard(name)
        return None


def _make(model: LoadedModel, text: str, ids: np.ndarray, found: dict[str, Track], the_plan: stream.Plan, chunk: int,
          every: int, grid: int, match_layer: int | None, name: str, progress: Callable[[int, int], None] | None,
          stop: Callable[[], bool] | None, cache: Cache | None) -> CorpusRun:
    """The run itself, stored into ``cache`` when there is one."""
    layers = len(model.network.layers)
    began = time.perf_counter()
    stats = Statistics(_families(model))
    acc = census_.Accumulator(found, _families(model))
    consumers: list[stream.Consumer] = [stats, acc]
    writer = None
    folder = None
    if match_layer is not None:
        units = model.network.layers[match_layer].forward.state_size
        if cache is not None:
            cache.folder.mkdir(parents=True, exist_ok=True)
            folder = Path(cache.folder) / f".index-{name}-{time.time_ns()}"
        elif len(ids) * units > INDEX_IN_MEMORY:  # a big index goes to a temporary file, not into memory
            folder = _temporary("gatescope-index-")
        writer = match.IndexWriter(match_layer, len(ids), units, folder)
        consumers.append(writer)
    saved = None  # the checkpoints' files: in the cache's folder, or temporary ones for many of them
    if cache is not None:
        saved = [Path(cache.folder) / f".checkpoint-{name}-{time.time_ns()}-{k}.bin" for k in range(layers)]
    elif checkpoint_bytes(model, the_plan, every) > CHECKPOINT_BYTES:
        saved = [_temporary("gatescope-checkpoint-") for _ in range(layers)]
    try:
        passed = stream.stream_pass(model, ids, the_plan, chunk=chunk, checkpoint=every, consumers=consumers,
                                    progress=progress, stop=stop, checkpoint_files=saved)
    except BaseException:
        for path in [folder, *(saved or ())]:
            if path is not None:
                path.unlink(missing_ok=True)
        raise
    result = CorpusRun(model, text, found, passed, stats.result(), acc, None if writer is None else writer.index(),
                       time.perf_counter() - began, sample_every=grid)
    if cache is None:
        return result
    result = replace(result, cache=cache, name=name)
    try:
        entry = cache.put(name, lambda into: save(result, into, folder, saved))
    except OSError:  # the cache's disk is full or read-only: the run is good, only not shared
        for path in [folder, *(saved or ())]:
            if path is not None and path.exists():
                atexit.register(path.unlink, missing_ok=True)
        return replace(result, cache=None, name="")
    states = passed.checkpoints.states
    moved = stream.Checkpoints(every, _checkpoints(entry, [a.shape for a in states], states[0].dtype))
    return replace(result, passed=replace(passed, checkpoints=moved),
                   index=None if writer is None else replace(result.index, source=entry / "match.bin"))


def _stored_rises(cache: Cache, name: str, count: int) -> list[tuple[float | None, float | None]] | None:
    """An ablation's loss rises as a cache keeps them, one pair a claim; None when absent or unreadable."""
    if (entry := cache.get(name)) is None:
        return None
    try:
        rises = json.loads((entry / "ablation.json").read_text())
        if len(rises) == count and all(len(pair) == 2 and all(v is None or isinstance(v, float) for v in pair)
                                       for pair in rises):
            return [(on, off) for on, off in rises]
    except (OSError, ValueError, TypeError):
        pass
    cache.discard(name)
    return None


def _temporary(prefix: str) -> Path:
    """A temporary file, removed when the process ends."""
    handle, temporary = tempfile.mkstemp(prefix=prefix, suffix=".bin")
    os.close(handle)
    path = Path(temporary)
    atexit.register(path.unlink, missing_ok=True)
    return path


def _checkpoints(entry: Path, shapes: list[tuple[int, ...]], dtype: np.dtype) -> tuple[np.memmap, ...]:
    """The checkpoints of a cache entry, as read-only maps of its files (each checked to hold its shape)."""
    out = []
    for k, shape in enumerate(shapes):
        path = entry / f"checkpoint.{k}.bin"
        if path.stat().st_size != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"corpus cache entry {entry.name}: layer {k}'s checkpoints are cut short")
        out.append(np.memmap(path, dtype, "r", shape=shape))
    return tuple(out)


def save(result: CorpusRun, folder: Path, index_file: Path | None, checkpoint_files: list[Path] | None = None
         ) -> None:
    """Write a run's arrays (.npz, no pickles) and its summary into ``folder``; move the index file and the
    checkpoints' files in (checkpoints held in memory are written to files there)."""
    p = result.passed
    arrays = {"ids": p.ids, "starts": p.plan.starts, "lengths": p.plan.lengths, "every": np.array(p.checkpoints.every)}
    if p.loss is not None:
        arrays["loss"] = p.loss
    for k, states in enumerate(p.checkpoints.states):
        if checkpoint_files is not None:
            checkpoint_files[k].rename(folder / f"checkpoint.{k}.bin")
        else:
            np.ascontiguousarray(states).tofile(folder / f"checkpoint.{k}.bin")
    for s in result.stats:
        arrays[f"stats.{s.layer}.{s.name}.mean"] = s.mean
        arrays[f"stats.{s.layer}.{s.name}.spread"] = s.spread
        arrays[f"stats.{s.layer}.{s.name}.steps"] = np.array(s.steps)
        if s.low is not None:
            arrays[f"stats.{s.layer}.{s.name}.low"] = s.low
            arrays[f"stats.{s.layer}.{s.name}.high"] = s.high
    acc = result.accumulator
    for (layer, name), sums in acc.sums.items():
        for field, value in sums.items():
            arrays[f"acc.{layer}.{name}.{field}"] = np.asarray(value)
        arrays[f"hist.{layer}.{name}"] = acc.hist[(layer, name)]
    np.savez(folder / "run.npz", **arrays)
    meta = {"format": FORMAT, "names": {str(k): list(v) for k, v in p.names.items()}, "seconds": result.seconds,
            "index": None if result.index is None else {"layer": result.index.layer, "units": result.index.units},
            "checkpoints": {"dtype": p.checkpoints.states[0].dtype.str,
                            "shapes": [list(states.shape) for states in p.checkpoints.states]},
            "sample_every": result.sample_every}
    (folder / "run.json").write_text(json.dumps(meta))
    if index_file is not None:
        index_file.rename(folder / "match.bin")


# What reading a damaged or foreign entry raises: it then counts as missing (see ``run_corpus``)
UNREADABLE = (OSError, EOFError, KeyError, IndexError, TypeError, ValueError, AttributeError, zipfile.BadZipFile)


def load(folder: Path, model: LoadedModel, text: str, found: dict[str, Track]) -> CorpusRun:
    """A cached run, read back (``np.load`` without pickles). An entry of another ``FORMAT``, or one whose arrays
    do not fit this model and text, is a ValueError (so are files cut short or not written by ``save``)."""
    meta = json.loads((folder / "run.json").read_text())
    stored = meta.get("format") if isinstance(meta, dict) else None
    if stored != FORMAT:
        raise ValueError(f"corpus cache entry {folder.name}: format {stored}, expected {FORMAT}")
    with np.load(folder / "run.npz", allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    names = {int(k): tuple(v) for k, v in meta["names"].items()}
    layers = len(model.network.layers)
    steps = len(text)
    if a["ids"].shape != (steps,) or ("loss" in a and a["loss"].shape != (steps,)) or int(a["lengths"].sum()) != steps:
        raise ValueError(f"corpus cache entry {folder.name}: its arrays do not fit a text of {steps:,} steps")
    shapes, dtype = meta["checkpoints"]["shapes"], np.dtype(meta["checkpoints"]["dtype"])
    if len(shapes) != layers or dtype.kind != "f":
        raise ValueError(f"corpus cache entry {folder.name}: its checkpoints do not fit the model")
    every = int(a["every"])
    for k, layer in enumerate(model.network.layers):
        cell = layer.forward
        width = cell.state_size + (cell.hidden_size if cell.HAS_CELL else 0)
        if list(shapes[k]) != [-(-int(a["lengths"].max()) // every), len(a["starts"]), width]:
            raise ValueError(f"corpus cache entry {folder.name}: layer {k}'s checkpoints do not fit the model")
    checkpoints = stream.Checkpoints(every, _checkpoints(folder, [tuple(shape) for shape in shapes], dtype))
    passed = stream.Pass(stream.Plan(a["starts"], a["lengths"]), a["ids"], a.get("loss"), checkpoints, names)
    stats = []
    for layer, ns in names.items():
        for n in ns:
            base = f"stats.{layer}.{n}"
            stats.append(UnitStats(layer, n, int(a[f"{base}.steps"]), a[f"{base}.mean"], a[f"{base}.spread"],
                                   a.get(f"{base}.low"), a.get(f"{base}.high")))
    acc = census_.Accumulator(found, _families(model))
    for layer, ns in names.items():
        for n in ns:
            fields = {f: a[f"acc.{layer}.{n}.{f}"] for f in ("shift", "v", "vv", "y", "yy", "vy")}
            acc.sums[(layer, n)] = {"n": int(a[f"acc.{layer}.{n}.n"]), **fields}
            hist = a[f"hist.{layer}.{n}"]
            if hist.shape != (len(acc.patterns), len(fields["v"]) * census_.BINS):
                raise ValueError(f"corpus cache entry {folder.name}: histograms of another text's concepts")
            acc.hist[(layer, n)] = hist
    index = None
    if meta["index"] is not None:
        index = match.MatchIndex(folder / "match.bin", meta["index"]["layer"], steps, meta["index"]["units"])
        if (folder / "match.bin").stat().st_size != steps * index.units:
            raise ValueError(f"corpus cache entry {folder.name}: its match index is cut short")
    return CorpusRun(model, text, found, passed, stats, acc, index, float(meta["seconds"]), cached=True,
                     sample_every=None if meta["sample_every"] is None else int(meta["sample_every"]))
