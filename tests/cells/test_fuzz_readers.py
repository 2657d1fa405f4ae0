"""A bounded, seeded fuzz of every reader: valid fixtures with bytes flipped, cut, repeated or zeroed.

Each mutated file must load or be refused with a ValueError, and the refusal must come from the
reader's own checks, not from the last net in ``cells.files.model.load`` (which names an exception's
type: "could not be read (KeyError: …)"). A few hundred cases, a few seconds.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files import model as model_file
from cells.files import storage

pytest.importorskip("onnx")
pytest.importorskip("h5py")
pytest.importorskip("safetensors")

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
FIXTURES = ["char_lm.safetensors", "lstmp_lm.safetensors", "char_lm.onnx", "word_gru.onnx", "keras_char_lm.keras",
            "keras_bidir_stack.keras", "keras_char_lm.weights.h5"]
CASES_PER_FILE = 40
NET = "could not be read ("  # the catch-all's words


def _own_files() -> dict[str, bytes]:
    network = cells.Network.create("gru", 4, 3, seed=2)
    out = io.BytesIO()
    storage.save_npz(network, out)
    loaded = model_file.LoadedModel(network, ["a", "b", "c", "d"], None)
    return {"network.npz": out.getvalue(), "network.json": storage.to_json(network).encode(),
            "model.npz": model_file.to_npz(loaded), "model.json": model_file.to_json(loaded).encode()}


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One of: flip a few bytes, cut the end, zero a span, repeat a span, or write random bytes over a span."""
    b = bytearray(data)
    how = rng.integers(5)
    at = int(rng.integers(len(b)))
    span = int(rng.integers(1, 64))
    if how == 0:
        for k in rng.integers(len(b), size=int(rng.integers(1, 9))):
            b[k] ^= 1 << int(rng.integers(8))
    elif how == 1:
        del b[at:]
    elif how == 2:
        b[at : at + span] = bytes(len(b[at : at + span]))
    elif how == 3:
        b[at:at] = b[at : at + span]
    else:
        b[at : at + span] = rng.integers(256, size=len(b[at : at + span]), dtype=np.uint8).tobytes()
    return bytes(b)


def _inputs() -> list[tuple[str, bytes]]:
    files = {name: (MODELS / name).read_bytes() for name in FIXTURES} | _own_files()
    return list(files.items())


@pytest.mark.parametrize(("name", "data"), _inputs(), ids=lambda v: v if isinstance(v, str) else "")
def test_mutated_files_load_or_are_refused_by_the_readers_own_checks(name: str, data: bytes) -> None:
    rng = np.random.default_rng(sum(map(ord, name)))
    cells.load(data, name=name)  # the fixture itself loads
    escaped = []
    for case in range(CASES_PER_FILE):
        mutated = mutate(data, rng)
        try:
            cells.load(mutated, name=name)
        except ValueError as e:
            if NET in str(e):
                escaped.append((case, str(e)))
        except Exception as e:
            escaped.append((case, f"{type(e).__name__}: {e}"))
    assert escaped == [], escaped[:5]
