"""Load untrusted files, each in a process of its own, watched: what it raised, how far it grew, which files it opened.

    python tests/cells/hostile_child.py FILE[:VOCABULARY] ... [--root REPO] [--address-space-mb N]

Prints one JSON line per file: ``file``, ``outcome`` ("ok", or the exception's type), ``message``,
``growth_mb`` (peak resident size after minus before the load, from ``ru_maxrss``), ``seconds``,
``opened`` (every path opened during the load that is not the file, its vocabulary, or a Python module)
and ``written`` (every path opened for writing). The libraries are imported once; each file is then
loaded in a forked process, where an audit hook sees every ``open`` Python makes and
``--address-space-mb`` caps the address space (RLIMIT_AS) at that much above what it uses before the
load, so a blow-up ends in a MemoryError there instead of on the machine. ``--root`` imports Gatescope
from another checkout (to measure an older one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _load(cells: object, path: Path, vocabulary: Path | None, root: Path, address_space_mb: int) -> dict:
    """In the forked process: load ``path`` under the watch and say what happened."""
    upload = str(path.resolve())
    allowed = {upload} | ({str(vocabulary.resolve())} if vocabulary else set())
    libraries = tuple({sys.prefix, sys.base_prefix, str(root.resolve()), os.path.realpath(sys.prefix)})
    opened: list[str] = []
    written: list[str] = []

    def watch(event: str, event_args: tuple) -> None:
        if event != "open" or not isinstance(event_args[0], (str, bytes, os.PathLike)):
            return
        name = os.path.realpath(os.fsdecode(event_args[0]))
        mode, flags = event_args[1], event_args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & (os.O_WRONLY | os.O_RDWR):
            written.append(name)
        if name not in allowed and not (name.startswith(libraries) and name.endswith((".py", ".pyc", ".so"))):
            opened.append(name)

    if address_space_mb:
        cap = _vm_bytes() + address_space_mb * 1_000_000
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    sys.addaudithook(watch)
    start = time.perf_counter()
    outcome, message = "ok", ""
    try:
        cells.load(path, vocabulary=vocabulary)  # type: ignore[attr-defined]
    except Exception as e:
        outcome, message = type(e).__name__, str(e)[:500]
    seconds = time.perf_counter() - start
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 / 1e6
    return {"file": path.name, "outcome": outcome, "message": message, "growth_mb": round(growth, 1),
            "seconds": round(seconds, 2), "opened": opened, "written": written}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", help="FILE or FILE:VOCABULARY")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--address-space-mb", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    sys.dont_write_bytecode = True

    import zipfile  # noqa: F401  every library a reader may import, before any watch starts

    import h5py  # noqa: F401
    import numpy as np  # noqa: F401
    import onnx
    import onnx.numpy_helper  # noqa: F401
    import safetensors.numpy  # noqa: F401

    import cells
    from cells.files import keras_io, model, onnx_io, safetensors_io, statedict, storage  # noqa: F401

    for spec in args.files:
        file, _, vocabulary = spec.partition(":")
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child loads one file and reports through the pipe
            os.close(read)
            try:
                result = _load(cells, Path(file), Path(vocabulary) if vocabulary else None, args.root,
                               args.address_space_mb)
            except BaseException as e:
                result = {"file": Path(file).name, "outcome": type(e).__name__, "message": str(e)[:500]}
            os.write(write, json.dumps(result).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            data = json.dumps({"file": Path(file).name, "outcome": f"died (status {status})", "message": ""}).encode()
        print(data.decode(), flush=True)


if __name__ == "__main__":
    main()
