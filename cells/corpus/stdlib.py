"""The text every machine running Gatescope already has: the Python standard library's own source.

``files()`` lists the ``.py`` files of the running interpreter's standard library, outside any test folder
and outside site-packages, as paths relative to ``sysconfig.get_paths()["stdlib"]`` in sorted order.
``split(names, held_out, seed)`` shuffles them with a fixed seed and keeps whole files apart for evaluation.
``text(names)`` joins files into one corpus: each file's text as UTF-8 (undecodable bytes become U+FFFD),
files separated by one blank line. The shipped text models were trained and scored on exactly this.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SKIPPED_FOLDERS = frozenset({"test", "tests", "idle_test", "site-packages", "__pycache__"})
SEPARATOR = "\n\n"  # between two files of a corpus


def root() -> Path:
    """The folder of the running interpreter's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def files(folder: Path | None = None) -> list[str]:
    """Every ``.py`` file under ``folder`` (the standard library) outside test folders, relative, sorted."""
    folder = root() if folder is None else Path(folder)
    out = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS)
        for name in names:
            if name.endswith(".py"):
                out.append((Path(here) / name).relative_to(folder).as_posix())
    return sorted(out)


def split(names: Sequence[str], held_out: int, seed: int) -> tuple[list[str], list[str]]:
    """(training files, held-out files): ``held_out`` whole files drawn with ``seed``, both lists sorted."""
    if not 0 < held_out < len(names):
        raise ValueError(f"held_out: expected 1 to {len(names) - 1} files of {len(names)}, got {held_out}")
    order = np.random.default_rng(seed).permutation(len(names))
    kept = {names[k] for k in order[:held_out]}
    return sorted(n for n in names if n not in kept), sorted(kept)


def read(name: str, folder: Path | None = None) -> str:
    """One file's text, UTF-8 with undecodable bytes as U+FFFD, line ends as \\n."""
    path = (root() if folder is None else Path(folder)) / name
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"standard library file {name!r}: cannot read it ({e.strerror or e})") from None
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")


def text(names: Sequence[str], folder: Path | None = None) -> str:
    """The corpus of these files: their texts in the given order, separated by a blank line."""
    return SEPARATOR.join(read(n, folder) for n in names)


def digest(text_: str) -> str:
    """sha256 of a text's UTF-8 bytes, in hex: names a corpus in records and caches."""
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()
