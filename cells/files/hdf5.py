"""An untrusted HDF5 file read defensively, with h5py: the one access layer every HDF5 reader uses
(Keras 2 ``.h5`` in keras_legacy, Keras 3 ``.keras`` / ``.weights.h5`` in keras_io).

- links: every name is followed through hard links only; a soft or external link is refused, never followed;
- attributes: an attribute's element count and stored size are checked before it is read (MAX_NAMES
  elements, MAX_ATTRIBUTE bytes), then its type (text, or a list of names);
- groups: at most MAX_NAMES members are listed;
- datasets: dtype (float16/32/64), shape and storage (in this file, not another, not virtual) are checked
  from the metadata; the bytes a read makes are charged to the file's ``budget.Budget`` *before* h5py
  reads them, and each object is read and charged once however many hard links name it (keyed by its
  address in the file); the values must be finite;
- errors: anything h5py raises becomes a ValueError naming the file and the place.

The budget is the one every reader of an uploaded file shares (``budget.limit_for``: what a file may make
us produce, max(64 MB, 3 × its size), at most 3 × max_bytes), so a layer built from the arrays is charged
to the same account.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from cells.files.budget import Budget, in_child

MAX_ATTRIBUTE = 10_000_000  # bytes of one attribute (a model_config)
MAX_NAMES = 10_000  # names in one list attribute (layer_names, weight_names) or one group


class H5File:
    """Checked access to an HDF5 file: hard links only, attributes and datasets checked before they are
    read, every object read and charged once to ``budget``, h5py's errors turned into ValueErrors."""

    def __init__(self, data: bytes, budget: Budget) -> None:
        what = budget.what
        try:
            import h5py
        except ImportError:
            raise ValueError(f"{what}: reading it needs the h5py package (pip install h5py)") from None
        self.h5py, self.what, self.budget = h5py, what, budget
        self._read: dict[int, np.ndarray] = {}  # object address -> its array, read once
        self._known: dict[str, dict] | None = None  # attributes read ahead in a child process (``remember``)
        self._record: dict[str, dict] | None = None  # in that child: what each read gave
        try:
            self.file = h5py.File(io.BytesIO(data), "r")
        except Exception:  # h5py raises OSError, RuntimeError, KeyError … for a damaged file
            raise ValueError(f"{what}: not a readable HDF5 file (damaged or truncated)") from None

    def close(self) -> None:
        self.file.close()

    # ----- links and groups ---------------------------------------------------------------------------
    def node(self, group: Any, path: str, where: str | None = None) -> Any | None:
        """The object at ``path`` under ``group``, following hard links only; None when absent."""
        where = where or path
        node = group
        for part in path.split("/"):
            if not part:
                continue
            if not isinstance(node, self.h5py.Group):
                return None
            try:
                link = node.get(part, getlink=True)
                if isinstance(link, self.h5py.HardLink):
                    child = node[part]
            except Exception as e:  # a damaged object header: h5py's RuntimeError, KeyError, OSError, TypeError
                raise ValueError(f"{self.what}: {where} cannot be opened ({type(e).__name__}: {e})") from None
            if link is None:
                return None
            if not isinstance(link, self.h5py.HardLink):
                raise ValueError(f"{self.what}: {where} is a link to elsewhere, never followed")
            node = child
        return node

    def members(self, group: Any, where: str) -> list[str]:
        """The names in a group (at most MAX_NAMES), in the file's order."""
        try:
            names = list(itertools.islice(iter(group), MAX_NAMES + 1))
        except Exception as e:
            raise ValueError(f"{self.what}: {where} cannot be listed ({type(e).__name__})") from None
        if len(names) > MAX_NAMES:
            raise ValueError(f"{self.what}: {where} holds more than {MAX_NAMES:,} names")
        return names

    # ----- attributes ---------------------------------------------------------------------------------
    def _attr(self, node: Any, name: str, where: str) -> object | None:
        try:
            if name not in node.attrs:
                return None
            aid = node.attrs.get_id(name)
            count = math.prod(aid.shape or ())
            if count > MAX_NAMES or (count and aid.get_storage_size() > MAX_ATTRIBUTE):
                raise ValueError(f"{self.what}: the attribute {name} of {where} is larger than the limit")
            return node.attrs[name]
        except (OSError, KeyError, RuntimeError, TypeError) as e:
            raise ValueError(f"{self.what}: the attribute {name} of {where} cannot be read ({e})") from None

    def remember(self, reads: Callable[[], object], seconds: float) -> None:
        """Run ``reads`` (calls of ``text`` and ``names``) in a forked process given ``seconds``, and keep what
        each call gave, its value or its refusal, for the same calls later: a damaged attribute can turn HDF5's
        read into an endless loop that holds the whole process, every thread (``budget.in_child``)."""
        def child() -> dict:
            self._record = {}
            with contextlib.suppress(ValueError):  # recorded: the parent meets it where it makes the same call
                reads()
            return self._record
        known = in_child(child, seconds, f"{self.what}: its attributes")
        self._known = known if isinstance(known, dict) else {}

    def _recalled(self, kind: str, node: Any, name: str, where: str, read: Callable[[], Any]) -> Any:
        """``read()``, or what it gave in ``remember``'s process; a refusal is raised again, with its message."""
        key = f"{kind}\0{node.name}\0{name}"
        if self._known is not None and key in self._known:
            seen = self._known[key]
            if "refused" in seen:
                raise ValueError(seen["refused"])
            return seen["value"]
        try:
            value = read()
        except ValueError as e:
            if self._record is not None:
                self._record[key] = {"refused": str(e)}
            raise
        if self._record is not None:
            self._record[key] = {"value": value}
        return value

    def text(self, node: Any, name: str, where: str) -> str | None:
        """A text attribute (bytes or str, or a one-element array of either), or None when absent."""
        return self._recalled("text", node, name, where, lambda: self._text(node, name, where))

    def _text(self, node: Any, name: str, where: str) -> str | None:
        value = self._attr(node, name, where)
        if value is None:
            return None
        if isinstance(value, np.ndarray) and value.shape in ((), (1,)):
            value = value.reshape(()).item()
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{self.what}: the attribute {name} of {where} is not UTF-8 text") from None
        if isinstance(value, str):
            return value
        raise ValueError(f"{self.what}: the attribute {name} of {where}: expected text, got {type(value).__name__}")

    def names(self, node: Any, name: str, where: str) -> list[str] | None:
        """A list-of-names attribute, whole or in Keras' numbered chunks (``name0``, ``name1`` …); None when absent."""
        return self._recalled("names", node, name, where, lambda: self._names(node, name, where))

    def _names(self, node: Any, name: str, where: str) -> list[str] | None:
        value = self._attr(node, name, where)
        if value is None:
            chunks = []
            while (chunk := self._attr(node, f"{name}{len(chunks)}", where)) is not None:
                chunks.append(chunk)
                if len(chunks) > MAX_NAMES:
                    raise ValueError(f"{self.what}: {name} of {where} has more than {MAX_NAMES} chunks")
            if not chunks:
                return None
            value = np.concatenate([np.atleast_1d(np.asarray(c)) for c in chunks])
        value = np.asarray(value)
        if value.ndim == 1 and value.size == 0:
            return []  # Keras writes an empty list of a layer without weights as an empty float array
        if value.ndim != 1 or value.dtype.kind not in "SUO":
            raise ValueError(f"{self.what}: the attribute {name} of {where}: expected a list of names, got "
                             f"{value.dtype} of shape {value.shape}")
        if len(value) > MAX_NAMES:
            raise ValueError(f"{self.what}: {name} of {where} lists {len(value):,} names, more than {MAX_NAMES:,}")
        out = []
        for item in value:
            if isinstance(item, bytes):
                try:
                    item = item.decode("utf-8")
                except UnicodeDecodeError:
                    raise ValueError(f"{self.what}: {name} of {where} holds a name that is not UTF-8") from None
            if not isinstance(item, str) or not item or len(item) > 1000:
                raise ValueError(f"{self.what}: {name} of {where}: expected names, got {item!r:.60}")
            out.append(item)
        return out

    # ----- datasets -----------------------------------------------------------------------------------
    def address(self, ds: Any) -> int:
        """Where the object lives in the file: the same for every hard link that names it."""
        try:
            return int(self.h5py.h5o.get_info(ds.id).addr)
        except Exception as e:  # h5py raises RuntimeError, KeyError, OSError for a damaged object header
            raise ValueError(f"{self.what}: an object's header cannot be read ({type(e).__name__})") from None

    def shape(self, ds: Any, where: str, dims: int = 8) -> tuple[int, ...]:
        """A float dataset's shape from its metadata only (nothing read): float16/32/64, at most ``dims``
        dimensions, its data in this file."""
        if not isinstance(ds, self.h5py.Dataset):
            raise ValueError(f"{self.what}: {where} is not an array")
        try:
            dtype, shape = ds.dtype, tuple(int(d) for d in ds.shape)
            outside = bool(ds.external) or bool(getattr(ds, "is_virtual", False))
        except Exception as e:  # damaged headers raise RuntimeError, KeyError, OSError, TypeError
            raise ValueError(f"{self.what}: {where} has a damaged header ({type(e).__name__})") from None
        if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
            raise ValueError(f"{self.what}: {where}: expected float16, float32 or float64 values, got {dtype}")
        if outside:
            raise ValueError(f"{self.what}: {where} keeps its data in another file, never read")
        if len(shape) > dims:
            raise ValueError(f"{self.what}: {where}: expected at most {dims} dimensions, got shape {shape}")
        return shape

    def fits(self, ds: Any, where: str, dims: int = 8) -> tuple[int, ...]:
        """``shape``, and the dataset's size checked against what the budget has left (nothing charged)."""
        shape = self.shape(ds, where, dims)
        if math.prod(shape) * ds.dtype.itemsize > self.budget.left:
            raise ValueError(f"{self.what}: {where} of shape {shape} is larger than the limit of "
                             f"{self.budget.left:,} bytes left to read")
        return shape

    def read(self, ds: Any, where: str) -> np.ndarray:
        """The dataset's values (float16 widened to float32, native byte order), read-only and finite;
        charged to the budget the first time its object is read, the same array for every name linking to it."""
        address = self.address(ds)
        if address in self._read:
            return self._read[address]
        shape = self.shape(ds, where)
        dtype = ds.dtype.newbyteorder("=")
        self.budget.take(math.prod(shape) * (4 if dtype.itemsize == 2 else dtype.itemsize), where)
        try:
            a = np.empty(shape, dtype)  # (the metadata's shape: the data cannot make it larger)
            if a.size:
                ds.read_direct(a)
        except Exception as e:  # h5py's OSError, RuntimeError, KeyError, ValueError for damaged data
            raise ValueError(f"{self.what}: {where} cannot be read ({type(e).__name__}: {e})") from None
        if a.dtype == np.float16:
            a = a.astype(np.float32)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{self.what}: {where}: every value must be finite")
        a.flags.writeable = False
        self._read[address] = a
        return a
