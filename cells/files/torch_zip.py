"""PyTorch's zip checkpoints read without PyTorch: the pickle walked opcode by opcode, tensors rebuilt as NumPy arrays.

Since PyTorch 1.6 ``torch.save`` writes a zip archive whose members all sit under one folder, the
archive's name:

    {name}/data.pkl          the pickled object (protocol 2), tensors in it as calls to
                             torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
    {name}/data/{key}        each storage's raw bytes, numel values of its dtype
    {name}/byteorder         "little" or "big" (absent in old files: little)
    {name}/version           the format's version ("3")

A storage enters the pickle as a persistent id ``("storage", torch.FloatStorage, key, location, numel)``
and a tensor is a strided view of it: element (i_0, …, i_{n-1}) is storage[offset + Σ_k i_k·stride_k].

Nothing in the file is imported or called. ``Unpickler`` below interprets the opcodes itself and
knows a fixed set of names, as data: the tensor and parameter rebuild functions, the storage
types, the dtypes, ``collections.OrderedDict`` and ``Counter``, ``torch.Size``, ``torch.device``
and ``_codecs.encode`` (bytes in protocol 2). A call (REDUCE) is made only to those, by this
module's own functions; BUILD only sets an OrderedDict's ``_metadata``; any other name, a class
built by NEWOBJ or any opcode outside the list is refused with a ValueError naming it: the same
bargain as ``torch.load(weights_only=True)``. Sizes are checked before anything is allocated: each
member's declared size against the budget (inflated in chunks, never beyond it), each storage's
bytes against the values it claims, each view against its storage's end.
"""

from __future__ import annotations

import io
import math
import pickletools
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

MAX_MEMBERS = 10_000
MAX_PICKLE = 32_000_000  # data.pkl of a state dict is kilobytes; a vocabulary list a few megabytes
MAX_DIMS = 16
KNOWN_VERSIONS = range(1, 11)  # PyTorch writes 3
WHAT = "PyTorch file"

STORAGES = {  # the legacy typed storages still named in every checkpoint, by their values' dtype
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "BFloat16Storage": "bf16",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1", "ByteStorage": "u1",
    "BoolStorage": "b1", "ComplexFloatStorage": "c8", "ComplexDoubleStorage": "c16",
}
DTYPES = {  # torch.<name> as pickled for _rebuild_tensor_v3
    "float32": "f4", "float64": "f8", "float16": "f2", "bfloat16": "bf16", "int64": "i8", "int32": "i4",
    "int16": "i2", "int8": "i1", "uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8", "bool": "b1",
    "complex64": "c8", "complex128": "c16",
}


class RefusedError(ValueError):
    """A file refused on purpose, with the sentence that says why."""


def _refuse(message: str) -> RefusedError:
    return RefusedError(f"{WHAT}: {message}")


# ----- the archive -------------------------------------------------------------------------------------
def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytearray:
    """A member's bytes, inflated a chunk at a time and never past ``cap`` or its own declared size."""
    if info.file_size > cap:
        raise _refuse(f"{info.filename} unpacks to {info.file_size:,} bytes, more than the "
                      f"{cap:,} left of the limit")
    out = bytearray()
    try:
        with z.open(info) as f:
            while True:
                chunk = f.read(min(1 << 20, info.file_size + 1 - len(out)))
                if not chunk:
                    break
                out += chunk
                if len(out) > info.file_size:
                    raise _refuse(f"{info.filename} inflates past its declared {info.file_size:,} bytes")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as e:
        if isinstance(e, RefusedError):
            raise
        raise _refuse(f"{info.filename} is damaged or truncated ({type(e).__name__})") from None
    if len(out) != info.file_size:
        raise _refuse(f"{info.filename} holds {len(out):,} bytes, its header says {info.file_size:,}")
    return out


@dataclass
class Archive:
    """The checked records of a zip checkpoint; storages read on demand within one byte budget."""

    zip: zipfile.ZipFile
    prefix: str  # "{name}/"
    members: dict[str, zipfile.ZipInfo]
    budget: int  # bytes that may still be inflated
    byteorder: str = "<"

    def read(self, record: str, cap: int | None = None) -> bytearray:
        info = self.members.get(self.prefix + record)
        if info is None:
            raise _refuse(f"{self.prefix}{record} is missing from the archive")
        data = _read_member(self.zip, info, min(self.budget, cap if cap is not None else self.budget))
        self.budget -= len(data)
        return data

    def has(self, record: str) -> bool:
        return self.prefix + record in self.members


def is_legacy(data: bytes) -> bool:
    """A PyTorch file in the format before 1.6: bare pickles, the first one a magic number."""
    return data[:1] == b"\x80" and not data.startswith(b"PK")


def open_archive(data: bytes, max_bytes: int) -> Archive:
    """The archive of a zip checkpoint, its layout and records checked; a ValueError for anything else."""
    if is_legacy(data):
        raise _refuse("this is PyTorch's legacy format (saved before PyTorch 1.6, or with "
                      "_use_new_zipfile_serialization=False): a bare pickle, which Gatescope opens only with "
                      "PyTorch itself")
    if data[:4] != b"PK\x03\x04":
        raise _refuse("not a zip archive (PyTorch has saved zip files since 1.6)")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise _refuse("not an intact zip archive (damaged or truncated)") from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse(f"{len(infos):,} files inside, more than the limit of {MAX_MEMBERS:,}")
    if sum(i.file_size for i in infos) > max_bytes:
        raise _refuse(f"its contents unpack to more than the limit of {max_bytes:,} bytes")
    pickles = [i.filename for i in infos if i.filename.endswith("/data.pkl") and i.filename.count("/") == 1]
    if len(pickles) != 1:
        raise _refuse("expected one {name}/data.pkl in the archive, found "
                      f"{len(pickles) or 'none'}")
    prefix = pickles[0][: -len("data.pkl")]
    members = {}
    for i in infos:
        if not i.filename.startswith(prefix):
            raise _refuse(f"{i.filename!r} lies outside the archive's folder {prefix!r}")
        if i.filename in members:
            raise _refuse(f"{i.filename!r} appears twice in the archive")
        members[i.filename] = i
    archive = Archive(z, prefix, members, max_bytes)
    for record in ("version", ".data/version"):
        if archive.has(record):
            text = archive.read(record, 16).decode("ascii", "replace").strip()
            if not (text.isdigit() and int(text) in KNOWN_VERSIONS):
                raise _refuse(f"format version {text[:16]!r} is not one Gatescope knows (PyTorch writes 3)")
    if archive.has("byteorder"):
        order = bytes(archive.read("byteorder", 16))
        if order not in (b"little", b"big"):
            raise _refuse(f"byteorder record says {order[:16]!r}, expected 'little' or 'big'")
        archive.byteorder = "<" if order == b"little" else ">"
    return archive


# ----- what the pickle may name -----------------------------------------------------------------------
@dataclass(frozen=True)
class Name:
    """An allowed global, as data: what REDUCE may do with it is decided by ``call``."""

    full: str
    call: Callable[..., object] | None = None  # None: a marker that is never called (a type, a dtype)
    dtype: str | None = None  # the values' dtype code for a storage type or a torch dtype

    def __repr__(self) -> str:
        return self.full


@dataclass(eq=False)
class Storage:
    """A storage named in the pickle: ``numel`` values of ``dtype``, the bytes of member data/{key}."""

    key: str
    dtype: str
    numel: int
    data: bytearray | None = field(default=None, repr=False)


class _OrderedDict(dict):
    """collections.OrderedDict as rebuilt here: a plain dict (insertion-ordered) that BUILD may label."""


def _numpy_dtype(code: str, order: str) -> np.dtype:
    return np.dtype(order + ("u2" if code == "bf16" else code)) if code not in ("b1", "i1", "u1") else np.dtype(code)


def _itemsize(code: str) -> int:
    return 2 if code == "bf16" else np.dtype(code).itemsize


_SCALARS = (str, int, float, bool, bytes, type(None))


def _key(value: object) -> object:
    """``value`` if it may be hashed safely: a scalar, or a short tuple of scalars (a deep tuple would hash
    by recursing in C, past any limit)."""
    if type(value) in _SCALARS or (type(value) is tuple and len(value) <= 64
                                   and all(type(v) in _SCALARS for v in value)):
        return value
    raise _refuse(f"a dict key or set item that is a {type(value).__name__}, not text, a number or a flat tuple")


def _keys(items: list) -> list:
    return [_key(v) for v in items]


def _whole(value: object, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _refuse(f"{what}: expected a whole number ≥ {low}, got {type(value).__name__}")
    return value


class Unpickler:
    """Interprets data.pkl's opcodes over a fixed list of names; tensors come out as NumPy arrays."""

    def __init__(self, archive: Archive, max_bytes: int) -> None:
        self.archive = archive
        self.left = max_bytes  # bytes the rebuilt arrays may still take
        self.storages: dict[str, Storage] = {}
        self.names = self._names()

    def _names(self) -> dict[str, Name]:
        names: dict[str, Name] = {}

        def add(full: str, call: Callable[..., object] | None = None, dtype: str | None = None) -> None:
            names[full] = Name(full, call, dtype)

        add("collections.OrderedDict", self._ordered_dict)
        add("collections.Counter", self._ordered_dict)
        for f in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            add(f"torch._utils.{f}", self._tensor)
        add("torch._utils._rebuild_tensor_v3", self._tensor_v3)
        add("torch._utils._rebuild_parameter", self._parameter)
        add("torch._utils._rebuild_parameter_with_state", self._parameter)
        add("torch._tensor._rebuild_from_type_v2", self._from_type)
        add("torch.Size", lambda dims=(): tuple(_whole(d, "torch.Size") for d in dims))
        add("torch.device", self._device)
        add("_codecs.encode", self._encode)
        add("builtins.set", lambda items=(): set(_keys(list(items))))
        add("builtins.frozenset", lambda items=(): frozenset(_keys(list(items))))
        add("builtins.bytearray", lambda *args: bytearray(self._encode(*args)) if args else bytearray())
        add("torch.Tensor")
        add("torch.nn.parameter.Parameter")
        for storage, code in STORAGES.items():
            add(f"torch.{storage}", dtype=code)
        add("torch.UntypedStorage", dtype="u1")
        add("torch.storage.UntypedStorage", dtype="u1")
        for dtype, code in DTYPES.items():
            add(f"torch.{dtype}", dtype=code)
        return names

    # ----- the calls a state dict makes --------------------------------------------------------------
    @staticmethod
    def _ordered_dict(items: object = ()) -> dict:
        out = _OrderedDict()
        if isinstance(items, dict):
            out.update(items)  # its keys were checked as it was built
        elif isinstance(items, list | tuple):
            for pair in items:
                if not (isinstance(pair, tuple | list) and len(pair) == 2):
                    raise _refuse("OrderedDict: expected (key, value) pairs")
                out[_key(pair[0])] = pair[1]
        else:
            raise _refuse(f"OrderedDict: expected pairs or a dict, got {type(items).__name__}")
        return out

    @staticmethod
    def _device(*where: object) -> str:
        if not all(isinstance(w, str | int) and not isinstance(w, bool) for w in where):
            raise _refuse("torch.device: expected a device name")
        return ":".join(str(w) for w in where)

    @staticmethod
    def _encode(text: object = "", encoding: object = "latin1") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise _refuse("_codecs.encode: only the latin-1 text of bytes is read")
        return text.encode("latin-1")

    def _storage_bytes(self, storage: Storage) -> bytearray:
        if storage.data is None:
            nbytes = storage.numel * _itemsize(storage.dtype)
            info = self.archive.members.get(f"{self.archive.prefix}data/{storage.key}")
            if info is None:
                raise _refuse(f"storage {storage.key!r} is named in the pickle but missing from the archive")
            if info.file_size != nbytes:
                raise _refuse(f"storage data/{storage.key} claims {storage.numel:,} values of "
                              f"{_itemsize(storage.dtype)} bytes ({nbytes:,} bytes), the archive holds "
                              f"{info.file_size:,}")
            storage.data = self.archive.read(f"data/{storage.key}")
        return storage.data

    def _view(self, storage: object, offset: object, size: object, stride: object, code: str | None) -> np.ndarray:
        """Element i of the view is storage[offset + Σ i_k·stride_k], copied out as a C-ordered array."""
        if not isinstance(storage, Storage):
            raise _refuse("a tensor whose storage is not one of the archive's")
        offset = _whole(offset, "tensor storage offset")
        if not (isinstance(size, tuple | list) and isinstance(stride, tuple | list) and len(size) == len(stride)
                and len(size) <= MAX_DIMS):
            raise _refuse(f"a tensor's size and stride must be tuples of one length up to {MAX_DIMS}")
        size = tuple(_whole(n, "tensor size") for n in size)
        stride = tuple(_whole(s, "tensor stride") for s in stride)
        code = code or storage.dtype
        item = _itemsize(code)
        if storage.dtype == "u1" and code != "u1":  # an untyped storage holds bytes; the view counts values
            if (storage.numel % item) != 0:
                raise _refuse(f"storage data/{storage.key}: {storage.numel:,} bytes do not hold whole "
                              f"{item}-byte values")
            count = storage.numel // item
        elif code != storage.dtype:
            raise _refuse(f"a tensor of another dtype than its storage data/{storage.key}")
        else:
            count = storage.numel
        n = math.prod(size)
        if n * item > self.left:
            raise _refuse(f"a tensor of size {size} takes {n * item:,} bytes, more than the "
                          f"{max(self.left, 0):,} left of the limit")
        if n and offset + sum((d - 1) * s for d, s in zip(size, stride, strict=True)) >= count:
            raise _refuse(f"a tensor of size {size}, stride {stride} at offset {offset:,} reaches past the end of "
                          f"its storage data/{storage.key} ({count:,} values): the storage's size is wrong")
        self.left -= n * item
        dtype = _numpy_dtype(code, self.archive.byteorder)
        if n == 0:
            out = np.zeros(size, dtype)
        else:
            base = np.frombuffer(self._storage_bytes(storage), dtype, count=count)
            view = np.lib.stride_tricks.as_strided(base[offset:], shape=size,
                                                   strides=tuple(s * dtype.itemsize for s in stride), writeable=False)
            out = np.array(view, order="C")
        out = out.astype(out.dtype.newbyteorder("="), copy=False)
        if code == "bf16":  # bfloat16 is the high half of a float32
            out = (out.astype(np.uint32) << 16).view(np.float32)
        elif code == "f2":  # widened as torch_io widens torch's float16 tensors: every value exact
            out = out.astype(np.float32)
        return out

    def _tensor(self, storage=None, offset=0, size=(), stride=(), requires_grad=False, hooks=None, metadata=None):
        if hooks:
            raise _refuse("a tensor with backward hooks (they are code)")
        if metadata:
            raise _refuse("a tensor with its negative or conjugate bit set is not read here")
        return self._view(storage, offset, size, stride, None)

    def _tensor_v3(self, storage=None, offset=0, size=(), stride=(), requires_grad=False, hooks=None, dtype=None,
                   metadata=None):
        if not (isinstance(dtype, Name) and dtype.full.removeprefix("torch.") in DTYPES):
            raise _refuse("_rebuild_tensor_v3: expected a torch dtype")
        if hooks or metadata:
            raise _refuse("a tensor with backward hooks or its negative or conjugate bit set")
        return self._view(storage, offset, size, stride, dtype.dtype)

    @staticmethod
    def _parameter(data=None, requires_grad=False, hooks=None, state=None):
        if not isinstance(data, np.ndarray):
            raise _refuse("a parameter whose data is not a tensor")
        return data

    def _from_type(self, func=None, kind=None, args=(), state=None):
        rebuild = {self.names[f"torch._utils.{f}"].call for f in ("_rebuild_tensor", "_rebuild_tensor_v2",
                                                                  "_rebuild_tensor_v3", "_rebuild_parameter")}
        if not (isinstance(func, Name) and func.call in rebuild and isinstance(kind, Name)
                and kind.full in ("torch.Tensor", "torch.nn.parameter.Parameter") and isinstance(args, tuple)):
            raise _refuse("_rebuild_from_type_v2 of anything but a plain tensor or parameter")
        return func.call(*args)

    def _persistent(self, pid: object) -> Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5):
            raise _refuse("a persistent id that is not a storage's (\"storage\", type, key, location, numel)")
        typename, kind, key, _location, numel = pid
        if isinstance(typename, bytes):
            typename = typename.decode("ascii", "replace")
        if typename != "storage" or not (isinstance(kind, Name) and kind.dtype and "Storage" in kind.full):
            raise _refuse("a persistent id that is not a storage's (\"storage\", type, key, location, numel)")
        if not (isinstance(key, str) and key and len(key) <= 64 and "/" not in key):
            raise _refuse("a storage key that is not a short name")
        numel = _whole(numel, f"storage data/{key} size")
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = Storage(key, kind.dtype, numel)
        elif (known.dtype, known.numel) != (kind.dtype, numel):
            raise _refuse(f"storage data/{key} is named twice with different types or sizes")
        return known

    # ----- the opcodes ---------------------------------------------------------------------------------
    def _global(self, full: str) -> Name:
        full = full.replace("__builtin__.", "builtins.", 1) if full.startswith("__builtin__.") else full
        name = self.names.get(full)
        if name is None:
            raise refusal([full])
        return name

    def load(self, pickle: bytes) -> object:
        stack: list = []
        marks: list[list] = []
        memo: dict[int, object] = {}
        try:
            for op, arg, _ in _opcodes(pickle):
                code = op.name
                if code in ("PROTO", "FRAME"):
                    continue
                if code == "STOP":
                    if len(stack) != 1 or marks:
                        raise _refuse("data.pkl ends with its stack unbalanced")
                    return stack[0]
                if code in ("BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4", "BINFLOAT", "FLOAT",
                            "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "BINBYTES",
                            "SHORT_BINBYTES", "BINBYTES8", "SHORT_BINSTRING", "BINSTRING", "STRING"):
                    stack.append(arg)
                elif code == "NONE":
                    stack.append(None)
                elif code in ("NEWTRUE", "NEWFALSE"):
                    stack.append(code == "NEWTRUE")
                elif code == "EMPTY_TUPLE":
                    stack.append(())
                elif code == "EMPTY_LIST":
                    stack.append([])
                elif code == "EMPTY_DICT":
                    stack.append({})
                elif code == "EMPTY_SET":
                    stack.append(set())
                elif code == "MARK":
                    marks.append(stack)
                    stack = []
                elif code in ("TUPLE", "LIST", "DICT", "FROZENSET", "POP_MARK"):
                    items, stack = stack, marks.pop()
                    if code == "TUPLE":
                        stack.append(tuple(items))
                    elif code == "LIST":
                        stack.append(items)
                    elif code == "DICT":
                        stack.append(dict(zip(_keys(items[::2]), items[1::2], strict=True)))
                    elif code == "FROZENSET":
                        stack.append(frozenset(_keys(items)))
                elif code in ("TUPLE1", "TUPLE2", "TUPLE3"):
                    n = int(code[-1])
                    if len(stack) < n:
                        raise IndexError
                    stack[-n:] = [tuple(stack[-n:])]
                elif code == "APPEND":
                    item = stack.pop()
                    _container(stack[-1], list).append(item)
                elif code in ("APPENDS", "SETITEMS", "ADDITEMS"):
                    items, stack = stack, marks.pop()
                    if code == "APPENDS":
                        _container(stack[-1], list).extend(items)
                    elif code == "ADDITEMS":
                        _container(stack[-1], set).update(_keys(items))
                    else:
                        _container(stack[-1], dict).update(zip(_keys(items[::2]), items[1::2], strict=True))
                elif code == "SETITEM":
                    value, key = stack.pop(), stack.pop()
                    _container(stack[-1], dict)[_key(key)] = value
                elif code in ("BINPUT", "LONG_BINPUT", "PUT"):
                    memo[arg] = stack[-1]
                elif code == "MEMOIZE":
                    memo[len(memo)] = stack[-1]
                elif code in ("BINGET", "LONG_BINGET", "GET"):
                    stack.append(memo[arg])
                elif code == "POP":
                    if stack:
                        stack.pop()
                    else:
                        stack = marks.pop()
                elif code == "DUP":
                    stack.append(stack[-1])
                elif code == "GLOBAL":
                    module, _, name = arg.partition(" ")
                    stack.append(self._global(f"{module}.{name}"))
                elif code == "STACK_GLOBAL":
                    name, module = stack.pop(), stack.pop()
                    if not (isinstance(module, str) and isinstance(name, str)):
                        raise _refuse("STACK_GLOBAL with names that are not text")
                    stack.append(self._global(f"{module}.{name}"))
                elif code == "REDUCE":
                    args, func = stack.pop(), stack[-1]
                    if not (isinstance(func, Name) and func.call is not None):
                        what = func.full if isinstance(func, Name) else type(func).__name__
                        raise _refuse(f"a __reduce__ call of {what}, which a checkpoint of tensors never makes: "
                                      "refused, nothing called")
                    if not isinstance(args, tuple):
                        raise _refuse("REDUCE with arguments that are not a tuple")
                    stack[-1] = func.call(*args)
                elif code == "BUILD":
                    state, target = stack.pop(), stack[-1]
                    if not (isinstance(target, _OrderedDict) and isinstance(state, dict)):
                        raise _refuse(f"a BUILD of {type(target).__name__}: only an OrderedDict's metadata is "
                                      "set by BUILD in a checkpoint of tensors")
                elif code == "BINPERSID":
                    stack.append(self._persistent(stack.pop()))
                else:  # NEWOBJ, NEWOBJ_EX, INST, OBJ, EXT*, PERSID, buffers: objects a state dict never holds
                    raise _refuse(f"data.pkl uses the pickle opcode {code}, which builds objects a checkpoint of "
                                  "tensors never holds: refused")
        except RefusedError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError,
                MemoryError, EOFError) as e:
            raise _refuse(f"data.pkl is not a well-formed pickle ({type(e).__name__})") from None
        raise _refuse("data.pkl ends without its STOP opcode")


def _opcodes(pickle: bytes):
    """pickletools' reading of each opcode and its argument, its text decoder's warnings hushed."""
    ops = pickletools.genops(io.BytesIO(pickle))
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # STRING's escapes: read as text, never run
            step = next(ops, None)
        if step is None:
            return
        yield step


def _container(target: object, kind: type) -> object:
    if type(target) is not kind and not (kind is dict and type(target) is _OrderedDict):
        raise _refuse(f"data.pkl adds items to a {type(target).__name__} where a {kind.__name__} was expected")
    return target


# ----- whole models and foreign names -------------------------------------------------------------
MODULES = ("torch.nn.modules.", "torch.fx.")
SCRIPTS = ("torch.jit.", "__torch__.")


def refusal(names: list[str]) -> RefusedError:
    """The refusal of a pickle naming ``names`` off the list: a whole model said to be one, by its classes."""
    instead = "Save the weights instead: torch.save(model.state_dict(), 'model.pt')"
    scripts = sorted({n for n in names if n.startswith(SCRIPTS)})
    if scripts:
        return _refuse(f"a TorchScript model saved with torch.jit.save: its pickle names {', '.join(scripts[:3])}, "
                       f"and it carries code, which Gatescope never runs. {instead}")
    models = sorted({n for n in names if n.startswith(MODULES) or n.endswith("Module")})
    if models:
        return _refuse(f"a whole model saved with torch.save(model): its pickle names the classes "
                       f"{', '.join(models[:4])}, which Gatescope never imports. {instead}")
    shown = ", ".join(sorted(set(names))[:4])
    if all(n.startswith("torch.") for n in names):
        return _refuse(f"its pickle names {shown}, a part of PyTorch that Gatescope does not read (it reads "
                       "float, integer and bool tensors in plain containers, as a state_dict holds them)")
    return _refuse(f"its pickle names {shown}, which is not a tensor, a storage or a plain container (a __reduce__ "
                   "payload would call it): refused, nothing imported or called. If it is a whole model saved with "
                   "torch.save(model), save model.state_dict() instead")


def globals_in(pickle: bytes) -> list[str]:
    """Every name a GLOBAL opcode of ``pickle`` gives (STACK_GLOBAL's are checked as they come)."""
    names = []
    try:
        for op, arg, _ in _opcodes(pickle):
            if op.name == "GLOBAL":
                module, _, name = arg.partition(" ")
                names.append(f"{'builtins' if module == '__builtin__' else module}.{name}")
    except (ValueError, TypeError, IndexError, OverflowError, EOFError):
        raise _refuse("data.pkl is not a well-formed pickle (damaged or truncated)") from None
    return names


def check(data: bytes, max_bytes: int) -> tuple[Archive, bytes]:
    """The archive and its pickle, refused by name before anything is built if it names anything off the list."""
    archive = open_archive(data, max_bytes)
    pickle = bytes(archive.read("data.pkl", MAX_PICKLE))
    allowed = Unpickler(archive, 0).names
    foreign = [n for n in globals_in(pickle) if n not in allowed]
    if foreign:
        raise refusal(foreign)
    return archive, pickle


def load(data: bytes, max_bytes: int) -> object:
    """The object in a zip checkpoint, with every tensor as a NumPy array (float16 and bfloat16 widened to float32)."""
    archive, pickle = check(data, max_bytes)
    return Unpickler(archive, max_bytes).load(pickle)
