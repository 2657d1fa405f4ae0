"""An untrusted HDF5 file read defensively, with h5py: what Keras' .h5 readers open their files with.

Every name is followed through hard links only (a soft or external link is refused, never followed); an
attribute's size and a dataset's dtype, shape and storage (in this file, not another) are checked from
their metadata before a number is read; every dataset is read once however many names lead to it, and
counts once against a byte budget; any error h5py raises becomes a ValueError naming the place.
"""

from __future__ import annotations

import io
import math

import numpy as np

MAX_ATTRIBUTE = 10_000_000  # bytes of one attribute (a model_config)
MAX_NAMES = 10_000  # names in one list attribute (layer_names, weight_names)


class H5File:
    """Checked access to an HDF5 file: hard links only, attributes and datasets checked before they are
    read, every object counted once against ``budget`` bytes, h5py's errors turned into ValueErrors."""

    def __init__(self, data: bytes, budget: int, what: str) -> None:
        try:
            import h5py
        except ImportError:
            raise ValueError(f"{what}: reading it needs the h5py package (pip install h5py)") from None
        self.h5py, self.what, self.budget = h5py, what, budget
        self.read_ids: dict[object, np.ndarray] = {}  # each dataset read once, however many names lead to it
        try:
            self.file = h5py.File(io.BytesIO(data), "r")
        except (OSError, ValueError):
            raise ValueError(f"{what}: not a readable HDF5 file (damaged or truncated)") from None

    def close(self) -> None:
        self.file.close()

    def node(self, group: object, path: str, where: str) -> object | None:
        """The object at ``path`` under ``group``, following hard links only; None when absent."""
        node = group
        try:
            for part in path.split("/"):
                if not part:
                    continue
                if not isinstance(node, self.h5py.Group):
                    return None
                link = node.get(part, getlink=True)
                if link is None:
                    return None
                if not isinstance(link, self.h5py.HardLink):
                    raise ValueError(f"{self.what}: {where} is a link to elsewhere, never followed")
                node = node[part]
        except (OSError, KeyError, RuntimeError) as e:
            raise ValueError(f"{self.what}: {where} cannot be opened ({e})") from None
        return node

    def _attr(self, node: object, name: str, where: str) -> object | None:
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

    def text(self, node: object, name: str, where: str) -> str | None:
        """A text attribute (bytes or str, or a one-element array of either), or None when absent."""
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

    def names(self, node: object, name: str, where: str) -> list[str] | None:
        """A list-of-names attribute, whole or in Keras' numbered chunks (``name0``, ``name1`` …); None when absent."""
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

    def shape(self, ds: object, where: str) -> tuple[tuple[int, ...], np.dtype]:
        """A dataset's shape and dtype from its metadata, checked: float, stored in this file, within the budget."""
        if not isinstance(ds, self.h5py.Dataset):
            raise ValueError(f"{self.what}: {where} is not an array")
        try:
            shape, dtype = tuple(int(n) for n in ds.shape), ds.dtype
            outside = bool(ds.external) or bool(getattr(ds, "is_virtual", False))
        except (OSError, RuntimeError, TypeError) as e:
            raise ValueError(f"{self.what}: {where} cannot be read ({e})") from None
        if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
            raise ValueError(f"{self.what}: {where}: expected float16, float32 or float64 values, got {dtype}")
        if outside:
            raise ValueError(f"{self.what}: {where} keeps its data in another file, never read")
        if len(shape) > 2:
            raise ValueError(f"{self.what}: {where}: expected a vector or a matrix, got shape {shape}")
        if math.prod(shape) * dtype.itemsize > self.budget:
            raise ValueError(f"{self.what}: {where} of shape {shape} is larger than the limit of {self.budget:,} "
                             f"bytes left to read")
        return shape, dtype

    def read(self, ds: object, where: str) -> np.ndarray:
        """The dataset's numbers (float16 as float32), once per HDF5 object, within the byte budget."""
        if ds.id in self.read_ids:
            return self.read_ids[ds.id]
        shape, dtype = self.shape(ds, where)
        self.budget -= math.prod(shape) * dtype.itemsize
        try:
            a = np.asarray(ds[()])
        except (OSError, ValueError, RuntimeError, TypeError) as e:
            raise ValueError(f"{self.what}: {where} cannot be read ({e})") from None
        if a.shape != shape:
            raise ValueError(f"{self.what}: {where}: its metadata says {shape}, its data gave {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{self.what}: {where}: every value must be finite")
        a = a.astype(np.float32) if a.dtype == np.float16 else a.astype(a.dtype.newbyteorder("="))
        self.read_ids[ds.id] = a
        return a
