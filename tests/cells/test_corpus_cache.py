"""The disk cache's entries: one that cannot be read back (cut short, of an older format, random bytes) reads as
missing, so the run is made again, equal to a fresh one, and the bad entry is replaced by a good one."""

from __future__ import annotations

import importlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cells.corpus import CorpusRun, Stopped, run_corpus
from cells.corpus.cache import FORMAT, Cache
from tests.cells.test_corpus_stream import TEXT, text_model

RUN = importlib.import_module("cells.corpus.run")
MODEL = text_model("lstm", layers=2, hidden=4)
CORPUS = TEXT * 3


def run(cache: Cache) -> CorpusRun:
    return run_corpus(MODEL, CORPUS, streams=2, cache=cache)


def cut_short(entry: Path) -> None:
    data = (entry / "run.npz").read_bytes()
    (entry / "run.npz").write_bytes(data[: len(data) // 2])


def random_bytes(entry: Path) -> None:
    rng = np.random.default_rng(0)
    for name in ("run.npz", "run.json"):
        (entry / name).write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())


def older_format(entry: Path) -> None:
    """As format 1 stored it: no format in run.json, each census histogram as two arrays (.all and .on)."""
    meta = json.loads((entry / "run.json").read_text())
    meta.pop("format")
    (entry / "run.json").write_text(json.dumps(meta))
    with np.load(entry / "run.npz") as z:
        arrays = {k: z[k] for k in z.files}
    for name in [k for k in arrays if k.startswith("hist.")]:
        counts = arrays.pop(name)
        arrays[f"{name}.all"], arrays[f"{name}.on"] = counts.sum(axis=0), counts[:2]
    np.savez(entry / "run.npz", **arrays)


def index_cut_short(entry: Path) -> None:
    data = (entry / "match.bin").read_bytes()
    (entry / "match.bin").write_bytes(data[:-7])


def checkpoints_cut_short(entry: Path) -> None:
    data = (entry / "checkpoint.1.bin").read_bytes()
    (entry / "checkpoint.1.bin").write_bytes(data[:-4])


def a_file_missing(entry: Path) -> None:
    (entry / "run.json").unlink()


def not_this_format(entry: Path) -> None:
    """Readable, but says another format: never read as this engine's layout."""
    meta = json.loads((entry / "run.json").read_text())
    meta["format"] = FORMAT + 1
    (entry / "run.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("damage", [cut_short, random_bytes, older_format, index_cut_short, checkpoints_cut_short,
                                    a_file_missing,
                                    not_this_format])
def test_an_unreadable_entry_reads_as_missing_is_made_again_and_replaced(tmp_path, damage: Callable) -> None:
    cache = Cache(tmp_path / "cache")
    fresh = run(cache)
    (entry,) = [path for _, _, path in cache.entries()]
    damage(entry)
    again = run(Cache(tmp_path / "cache"))  # another session finds the damaged entry
    assert not again.cached  # made again, not an error
    np.testing.assert_array_equal(again.passed.loss, fresh.passed.loss)
    assert [f.to_json() for f in again.census(ablate=0)] == [f.to_json() for f in fresh.census(ablate=0)]
    assert again.select(10, 14, 0.0) == fresh.select(10, 14, 0.0)
    (replaced,) = [path for _, _, path in cache.entries()]  # the bad entry is gone, a good one in its place
    assert replaced.name == entry.name
    third = run(Cache(tmp_path / "cache"))
    assert third.cached
    alone = run_corpus(MODEL, CORPUS, streams=2)  # no cache: (fresh's own files were the ones damaged)
    np.testing.assert_array_equal(third.passed.checkpoints.states[1], alone.passed.checkpoints.states[1])
    np.testing.assert_array_equal(third.unit_values(1, "cell", 2, 40, 200), alone.unit_values(1, "cell", 2, 40, 200))
    left = [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]
    assert all(name.startswith(".making-") for name in left), left  # nothing lying about but the makers' locks


def test_an_entry_says_its_format_and_the_format_is_part_of_the_key(tmp_path) -> None:
    cache = Cache(tmp_path / "cache")
    run(cache)
    (entry,) = [path for _, _, path in cache.entries()]
    assert json.loads((entry / "run.json").read_text())["format"] == FORMAT
    with zipfile.ZipFile(io.BytesIO((entry / "run.npz").read_bytes())) as z:
        assert not any(name.endswith((".all.npy", ".on.npy")) for name in z.namelist())


def test_a_cache_that_cannot_be_written_leaves_a_good_run(tmp_path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()

    class Full(Cache):
        def put(self, name, write):
            raise OSError(28, "No space left on device")

    result = run(Full(folder))
    assert not result.cached and result.select(10, 14, 0.0) == run(Cache(tmp_path / "other")).select(10, 14, 0.0)


def test_a_run_cached_with_tracks_of_another_definition_is_made_again(tmp_path, monkeypatch) -> None:
    """Its census sums were made with the tracks of its day: after a track changes, the run is not read back."""
    cache = Cache(tmp_path)
    assert not run(cache).cached and run(cache).cached
    monkeypatch.setattr(RUN, "TRACKS_VERSION", RUN.TRACKS_VERSION + 1)
    assert not run(cache).cached


def test_a_census_ablation_is_kept_beside_its_run_and_read_back_by_the_next_session(tmp_path, monkeypatch) -> None:
    first = run(Cache(tmp_path / "cache")).census(ablate=1, windows=4, length=30)
    assert any(f.loss_rise_on is not None for f in first)
    ablate = RUN.census_.ablate

    def refuse(*args, **kwargs):
        raise AssertionError("ablated again")

    monkeypatch.setattr(RUN.census_, "ablate", refuse)
    again = run(Cache(tmp_path / "cache"))  # another session, another worker: the run and its ablation are read
    assert again.cached
    assert [f.to_json() for f in again.census(ablate=1, windows=4, length=30)] == [f.to_json() for f in first]
    with pytest.raises(AssertionError, match="ablated again"):
        again.census(ablate=1, windows=5, length=30)  # another sample is another ablation
    monkeypatch.setattr(RUN.census_, "ablate", ablate)
    (kept,) = [path for _, _, path in Cache(tmp_path / "cache").entries() if (path / "ablation.json").exists()]
    (kept / "ablation.json").write_text("[[0.1, ")  # cut short: read as missing, made again and kept anew
    assert [f.to_json() for f in again.census(ablate=1, windows=4, length=30)] == [f.to_json() for f in first]
    assert len(json.loads((kept / "ablation.json").read_text())) == len(again.leaders(1))


def test_a_class_opening_one_run_on_a_cold_cache_runs_the_model_once_and_ablates_once(tmp_path, monkeypatch) -> None:
    import threading

    made, ablated, waits = [], [], []
    stream_pass, ablate = RUN.stream.stream_pass, RUN.census_.ablate

    def slow_pass(*args, **kwargs):
        made.append(1)
        time.sleep(0.5)  # long enough that every other session asks while this one makes it
        return stream_pass(*args, **kwargs)

    def counted_ablate(*args, **kwargs):
        ablated.append(1)
        time.sleep(0.5)
        return ablate(*args, **kwargs)

    monkeypatch.setattr(RUN.stream, "stream_pass", slow_pass)
    monkeypatch.setattr(RUN.census_, "ablate", counted_ablate)
    results, tables = [None] * 4, [None] * 4

    def session(k: int) -> None:
        results[k] = run_corpus(MODEL, CORPUS, streams=2, cache=Cache(tmp_path / "cache"),
                                waiting=lambda: waits.append(k))
        tables[k] = [f.to_json() for f in results[k].census(ablate=1, windows=4, length=30)]

    threads = [threading.Thread(target=session, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(made) == 1 and len(ablated) == 1  # one maker of each; the three others waited for it
    assert len(set(waits)) == 3 and sum(not r.cached for r in results) == 1
    for r, table in zip(results[1:], tables[1:], strict=True):
        np.testing.assert_array_equal(r.passed.loss, results[0].passed.loss)
        assert table == tables[0]


def test_a_session_waiting_for_another_to_make_a_run_can_stop(tmp_path) -> None:
    cache = Cache(tmp_path / "cache")
    name = run(Cache(tmp_path / "elsewhere")).name  # the run's key, made in another cache
    waits = []
    with cache.making(name), pytest.raises(Stopped):  # another session is making it; this one waits, then stops
        run_corpus(MODEL, CORPUS, streams=2, cache=cache, waiting=lambda: waits.append(1),
                   stop=lambda: len(waits) >= 2)
    assert len(waits) == 2
    assert not run(cache).cached and run(cache).cached  # once the other let go, it is made and kept


def test_the_sessions_that_read_one_kept_run_share_one_copy_while_its_entry_is_unchanged(tmp_path) -> None:
    made = run(Cache(tmp_path / "cache"))
    first = run(Cache(tmp_path / "cache"))  # a class opening one link: the first reads the run from disk ...
    second = run(Cache(tmp_path / "cache"))  # ... and the others share that copy
    assert first.cached and second is first and made is not first
    (entry,) = [path for _, _, path in Cache(tmp_path / "cache").entries()]
    (entry / "run.json").write_text((entry / "run.json").read_text() + " ")  # the entry changed on disk
    third = run(Cache(tmp_path / "cache"))
    assert third.cached and third is not first  # read again, not the copy of what the entry held before
    np.testing.assert_array_equal(third.passed.loss, first.passed.loss)
