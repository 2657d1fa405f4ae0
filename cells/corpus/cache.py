"""A disk cache of corpus runs, and of the census's ablations made of them, shared by every session, worker and
restart on one machine.

A run is a pure result of (model digest, text digest, settings), so its key is the hash of the three. Each
entry is a folder named by its key, written under a temporary name and renamed into place in one step (two
workers finishing the same run at once keep one and drop the other). Reading an entry touches it; after each
write the least recently used entries are removed until the cache is within its size limit.

Where it lives: ``$GATESCOPE_CORPUS_CACHE``, else ``~/.cache/gatescope/corpus``. How big it may grow:
``$GATESCOPE_CORPUS_CACHE_BYTES`` bytes, else 4 GB (a run over 1 MB of text with the shipped 2 × 192 model
takes about 250 MB, 192 MB of it the match index of one byte per unit and step and 48 MB its checkpoints; a run
over 10 MB about 2.5 GB).

What an entry holds is ``FORMAT``, written into it and into its key: a run stored by an engine that laid its
arrays out differently is never read as this one's. An entry that cannot be read back (truncated, another
format, random bytes) is treated as missing: ``discard`` removes it, and the run is made again and stored.

One maker at a time: ``making(name)`` lets one session, thread or worker make a given entry while the others
that want it wait and then read it (a class opening one link on a cold cache runs the model once, not once a
student). It is a lock on one of ``STRIPES`` small files in the cache's folder (POSIX ``flock``, which the
system lets go when a process dies); two different entries share a lock one time in ``STRIPES``, and then
one waits for the other. Where there is no ``flock`` each maker makes its own, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from cells.files.model import LoadedModel

try:
    import fcntl
except ImportError:  # not a POSIX system: no lock, each maker makes its own
    fcntl = None

DEFAULT_LIMIT = 4_000_000_000
STRIPES = 256  # lock files at most, named by the first two hex digits of an entry's key
WAIT_EVERY = 0.2  # seconds between a waiting maker's tries (and its calls to ``waiting``)
# The layout of an entry (the arrays in run.npz, run.json's fields, match.bin, checkpoint.{layer}.bin): 1 kept
# each census histogram as two arrays (every step, where each concept holds) and the checkpoints in run.npz;
# 2 keeps one histogram per combination of on/off concepts, the checkpoints in files of their own (read as
# memory maps), and says its format in run.json.
FORMAT = 2


def default_folder() -> Path:
    return Path(os.environ.get("GATESCOPE_CORPUS_CACHE") or Path.home() / ".cache" / "gatescope" / "corpus")


def default_limit() -> int:
    value = os.environ.get("GATESCOPE_CORPUS_CACHE_BYTES")
    return int(value) if value and value.isdigit() else DEFAULT_LIMIT


def model_digest(model: LoadedModel) -> str:
    """sha256 of everything that decides a model's numbers: kind, parameters, vocabulary, embedding, head."""
    h = hashlib.sha256()

    def add(label: str, a: np.ndarray | None) -> None:
        h.update(label.encode())
        if a is not None:
            a = np.ascontiguousarray(a)
            h.update(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())

    for k, layer in enumerate(model.network.layers):
        for d, cell in enumerate(layer.cells):
            h.update(f"{k}.{d}.{cell.KIND}".encode())
            for field, per_gate in sorted(cell.parameters().items()):
                for gate in sorted(per_gate):
                    add(f"{field}.{gate}", per_gate[gate])
    add("embedding", model.embedding)
    add("head.weights", None if model.head is None else model.head.weights)
    add("head.bias", None if model.head is None else model.head.bias)
    h.update(json.dumps(model.vocabulary).encode())
    return h.hexdigest()


def key(model: str, text: str, settings: dict) -> str:
    return hashlib.sha256(json.dumps([model, text, settings], sort_keys=True).encode()).hexdigest()[:40]


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


class Cache:
    def __init__(self, folder: Path | str | None = None, limit: int | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.limit = default_limit() if limit is None else int(limit)

    def get(self, name: str) -> Path | None:
        """The entry's folder, touched as just used; None when absent."""
        entry = self.folder / name
        if not (entry / "done").exists():
            return None
        now = time.time()
        try:
            os.utime(entry, (now, now))
        except OSError:  # removed by another worker's eviction just now
            return None
        return entry

    @contextmanager
    def making(self, name: str, waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the right to make entry ``name`` (see the module's words): while another holds it, wait, calling
        ``waiting()`` every ``WAIT_EVERY`` seconds (it may raise, to give up waiting). Check ``get`` once inside:
        the entry may have been made while this one waited."""
        if fcntl is None:
            yield
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f".making-{name[:2]}", "a") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waiting is not None:
                        waiting()
                    time.sleep(WAIT_EVERY)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def discard(self, name: str) -> None:
        """Remove an entry that could not be read back, so the run is made again and stored in its place."""
        entry = self.folder / name
        if entry.is_dir():
            trash = self.folder / f".discarded-{name}-{time.time_ns()}"
            try:
                os.rename(entry, trash)  # out of the way at once; a reader holding it open keeps its files
            except OSError:
                return
            shutil.rmtree(trash, ignore_errors=True)

    def put(self, name: str, write: Callable[[Path], None]) -> Path:
        """Write an entry with ``write(folder)``, move it into place, then evict down to the limit."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=".writing-", dir=self.folder))
        try:
            write(temporary)
            (temporary / "done").write_text("")
            try:
                os.rename(temporary, self.folder / name)
            except OSError:  # another worker stored the same run first: keep theirs
                shutil.rmtree(temporary, ignore_errors=True)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        entry = self.folder / name
        now = time.time()
        os.utime(entry, (now, now))
        self.evict(keep=name)
        return entry

    def entries(self) -> list[tuple[float, int, Path]]:
        """(last used, bytes, folder) of every finished entry, least recently used first."""
        if not self.folder.exists():
            return []
        out = [(p.stat().st_mtime, _size(p), p) for p in self.folder.iterdir()
               if p.is_dir() and not p.name.startswith(".") and (p / "done").exists()]
        return sorted(out)

    def evict(self, keep: str | None = None) -> None:
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.limit:
                break
            if path.name == keep:
                continue
            shutil.rmtree(path, ignore_errors=True)
            total -= size
