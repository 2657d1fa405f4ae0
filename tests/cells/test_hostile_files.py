"""Hostile uploads (tests/fixtures/make_hostile.py), each loaded in a process of its own with a capped address space.

For every file: only success or a ValueError; the process grows by at most max(300 MB, 10 × the file's
size) (peak resident size, ``ru_maxrss``); nothing is opened but the upload and its vocabulary, and
nothing is written. The process runs in a folder holding a sentinel ``app.py`` and ``.git/config``,
the files a path inside an upload would name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnx")
pytest.importorskip("h5py")
pytest.importorskip("safetensors")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "fixtures"))
import make_hostile  # noqa: E402

SENTINELS = {"app.py": "import streamlit  # the sentinel: a reader that opens this fails the test\n" * 20,
             ".git/config": "[core]\n\tsentinel = true\n"}
MB = 1_000_000


def rule(size: int) -> float:
    """How far one upload may grow a process, in MB: max(300 MB, 10 × the file's size)."""
    return max(300.0, 10 * size / MB)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[make_hostile.Case, Path, Path | None]]:
    folder = tmp_path_factory.mktemp("uploads")
    for name, text in SENTINELS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return {case.name: (case, path, vocabulary) for case, path, vocabulary in make_hostile.write(folder)}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def load_watched(files: list[tuple[Path, Path | None]], address_space_mb: int) -> dict[str, dict]:
    """Each file loaded in a forked process of one watcher (tests/cells/hostile_child.py), by file name."""
    folder = files[0][0].parent
    specs = [p.name + (f":{v.name}" if v is not None else "") for p, v in files]
    command = [sys.executable, str(HERE / "hostile_child.py"), *specs, "--address-space-mb", str(address_space_mb)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {r["file"]: r for r in results}


@pytest.fixture(scope="module")
def watched(hostile) -> tuple[dict[str, dict], dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Every hostile file loaded once, and the upload folder before and after."""
    folder = next(iter(hostile.values()))[1].parent
    before = _snapshot(folder)
    biggest = max(rule(p.stat().st_size + (v.stat().st_size if v else 0)) for _, p, v in hostile.values())
    results = load_watched([(p, v) for _, p, v in hostile.values()], int(biggest) + 1_000)
    return results, before, _snapshot(folder)


@pytest.mark.parametrize("name", [case.name for case in make_hostile.CASES])
def test_a_hostile_file_is_refused_or_loaded_within_bounds(hostile, watched, name: str) -> None:
    case, path, vocabulary = hostile[name]
    results, before, after = watched
    result = results[name]
    allowed = rule(path.stat().st_size + (vocabulary.stat().st_size if vocabulary else 0))
    assert result["outcome"] in ("ok", "ValueError"), result
    assert result["outcome"] == ("ok" if case.expect == "ok" else "ValueError"), result
    assert result["growth_mb"] <= allowed, result
    assert result["opened"] == [] and result["written"] == [], result
    assert after == before  # nothing written, moved or touched in the folder of the upload


def test_every_path_inside_an_onnx_file_is_refused_before_it_is_opened(watched) -> None:
    results = watched[0]
    for name in ("state_app.onnx", "state_passwd.onnx", "state_missing.onnx", "constant_app.onnx",
                 "weights_app.onnx"):
        message = results[name]["message"]
        assert "keeps its data in another file, never read" in message, results[name]
        assert "reshape" not in message and "regular file" not in message


def test_a_lying_zip_stops_at_its_claim(watched) -> None:
    result = watched[0]["lying_zip.keras"]
    assert result["outcome"] == "ValueError" and "model.weights.h5" in result["message"], result
    assert result["growth_mb"] < 50, result  # it inflated the whole 1 GB before; now it stops at the 2,000 bytes


def test_hard_links_count_once_and_shared_onnx_weights_build_one_layer(hostile, watched) -> None:
    results = watched[0]
    result = results["hard_links.weights.h5"]
    assert "needs 98,962,704 bytes" in result["message"], result  # one object's size, refused before it is read
    assert result["growth_mb"] < 50, result
    result = results["shared_weights.onnx"]
    assert result["outcome"] == "ok", result
    assert result["growth_mb"] < 10 * hostile["shared_weights.onnx"][1].stat().st_size / MB, result
