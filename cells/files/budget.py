"""Budgeted reads of untrusted files: every byte a file makes us produce is counted before it is produced.

A small file can name a great deal of data: a zip member whose directory claims 2,000 bytes but whose
stream inflates to gigabytes, an HDF5 dataset hard-linked under many names, a chunked dataset never
written (read back as its fill value), an ONNX weight shared by many nodes. Each reader takes one
``Budget`` per file and asks it before it inflates, reads or converts anything:

    limit = min(RATIO · max_bytes, max(MIN_LIMIT, RATIO · file size))    what the file may make us produce

counting what is unpacked and the copies built from it (a layer's cells): a legitimate model makes
about twice its size (its arrays, then its cells), a hostile one is stopped at the limit.

- ``read_member``: a zip member streamed through the inflater in chunks, stopped at the smaller of
  what its directory claims and what the budget has left (never inflated whole first);
- HDF5 datasets: ``cells.files.hdf5.H5File`` checks them from their metadata (dtype, shape, where
  the data lives) and charges shape × item size here *before* h5py reads them; each object is
  counted and read once, however many hard links name it (keyed by its address in the file);
- ``Budget.take``: anything else (an ONNX tensor, the parameters of a layer built from it);
- ``take_json``: JSON, about 40 bytes a value, before it is parsed;
- ``in_child``: a read that a damaged file can turn into an endless loop in a C library (HDF5's
  variable-length attributes), done in a forked process with a deadline.

Every refusal is a ValueError naming the file and the part: ``"m.keras (model.weights.h5):
layers/lstm/cell/vars/0 of shape (1000, 40000) needs 160,000,000 bytes; this file may unpack to at
most 100,000,000 bytes, 12,000,000 of them used already"``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
import zipfile
import zlib
from collections.abc import Callable

MIN_LIMIT = 64_000_000  # a small file may still make this much (a legitimate compressed model)
RATIO = 3  # and a larger one this many times its size (weights deflate to ~90 % of their size)
CHUNK = 1 << 20  # inflate a zip member a mebibyte at a time


def limit_for(size: int, max_bytes: int) -> int:
    """How many bytes a file of ``size`` bytes may make: min(RATIO · max_bytes, max(MIN_LIMIT, RATIO · size))."""
    return min(RATIO * max_bytes, max(MIN_LIMIT, RATIO * size))


class Budget:
    """The bytes one file may still make us produce; ``take`` charges a part before it is produced."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit, self.what, self.used = int(limit), what, 0

    @classmethod
    def for_file(cls, data: bytes, max_bytes: int, what: str) -> Budget:
        return cls(limit_for(len(data), max_bytes), what)

    @property
    def left(self) -> int:
        return self.limit - self.used

    def take(self, n: int, part: str) -> None:
        """Charge ``n`` bytes for ``part``, or a ValueError if they do not fit what is left."""
        if n > self.left:
            raise ValueError(f"{self.what}: {part} needs {n:,} bytes; this file may unpack to at most "
                             f"{self.limit:,} bytes, {self.used:,} of them used already")
        self.used += n


# ----- JSON, counted before it is parsed ----------------------------------------------------------------
JSON_VALUE_BYTES = 40  # a parsed number: a Python float (24) in a list (8), then its float64 in an array (8)


def take_json(data: bytes | str, budget: Budget, part: str) -> None:
    """Charge what ``json.loads`` and the arrays after it build from ``data``: JSON_VALUE_BYTES per value,
    counted by the commas and brackets that separate them (``[0,0,0,…]`` is 2 bytes a number in the file,
    40 in memory)."""
    b = data.encode("utf-8", "replace") if isinstance(data, str) else data
    budget.take((b.count(b",") + b.count(b"[") + b.count(b"{") + 1) * JSON_VALUE_BYTES, part)


# ----- zip members, streamed -------------------------------------------------------------------------
def read_member(z: zipfile.ZipFile, name: str, budget: Budget, cap: int | None = None) -> bytes:
    """One member's bytes, inflated a chunk at a time and stopped at the smaller of its directory's
    size (a directory that lies is refused, not believed past its word), ``cap`` and the budget."""
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ValueError(f"{budget.what}: no {name} inside") from None
    claimed = info.file_size
    if cap is not None and claimed > cap:
        raise ValueError(f"{budget.what}: {name} is larger than the limit of {cap:,} bytes")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f"{budget.what}: {name} is compressed with method {info.compress_type}; Gatescope unpacks "
                         "stored or deflated members only")
    budget.take(claimed, name)
    out = bytearray()
    try:
        with z.open(info) as f:
            # read(n) inflates at most about n bytes a call (read() would inflate the whole stream first), and
            # zipfile stops at the directory's size and checks the CRC of what it gave.
            while len(out) < claimed:
                chunk = f.read(min(CHUNK, claimed - len(out)))
                if not chunk:
                    break
                out += chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise ValueError(f"{budget.what}: {name} cannot be unpacked ({type(e).__name__}: {e})") from None
    if len(out) != claimed:
        raise ValueError(f"{budget.what}: {name} unpacks to {len(out):,} bytes, its zip directory claims {claimed:,}")
    return bytes(out)


# ----- a read that may never end ------------------------------------------------------------------------
def in_child(read: Callable[[], object], seconds: float, what: str) -> object:
    """``read()``'s result (anything JSON can carry), computed in a forked process given ``seconds``.

    For the few reads a damaged file can turn into an endless loop inside a C library, one that holds the
    whole process, every thread of it: the child is killed at the deadline and the file refused. Where
    there is no fork (Windows), ``read()`` runs here, without the deadline."""
    if not hasattr(os, "fork"):
        return read()
    out, into = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reads, reports and exits without running anything else of the parent's
        try:
            os.close(out)
            try:
                result = json.dumps(read()).encode()
            except Exception:  # the parent refuses the file
                result = b"null"
            with os.fdopen(into, "wb") as pipe:  # writes it all, however long
                pipe.write(result)
        finally:
            os._exit(0)
    os.close(into)
    chunks, deadline = [], time.monotonic() + seconds
    try:
        while True:
            ready, _, _ = select.select([out], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise ValueError(f"{what} could not be read within {seconds:g} s (a damaged file)")
            chunk = os.read(out, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(out)
        os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks) or b"null")
    except ValueError:
        return None
