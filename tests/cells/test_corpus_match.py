"""Find by pattern on a planted trace; the disk cache; the command line."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from cells.corpus import match, run_corpus
from cells.corpus.__main__ import main
from cells.corpus.cache import Cache
from cells.files.model import to_npz
from tests.cells.test_corpus_stream import TEXT, text_model


def planted() -> tuple[match.MatchIndex, list[tuple[int, int]]]:
    """20 units of noise below 0; units 3, 7, 11 on together over planted spans, and decoys that are less alike."""
    rng = np.random.default_rng(0)
    T, H = 5000, 20
    h = rng.uniform(-1, -0.2, (T, H))
    spans = [(100, 110), (900, 905), (2500, 2520), (4000, 4008)]
    for a, b in spans:
        h[a:b, [3, 7, 11]] = 0.8
    h[1500:1510, [3, 7]] = 0.8  # two of the three
    h[3000:3010, [3, 7, 11]] = 0.8
    h[3000:3010, [0, 1, 2, 4, 5]] = 0.8  # all three, with five others on too
    return match.MatchIndex(match.codes_of(h), 1, T, H), spans


def test_the_selection_keeps_the_units_on_through_the_span_and_off_around_it() -> None:
    index, _ = planted()
    assert match.select(index, 100, 110, 0.5) == (3, 7, 11)
    assert match.select(index, 101, 109, 0.5) == ()  # on just before and after too: not this pattern
    with pytest.raises(ValueError, match="threshold"):
        match.select(index, 100, 110, 1.5)


def test_the_search_finds_the_planted_spans_first_then_the_decoys() -> None:
    index, spans = planted()
    found = match.search(index, (3, 7, 11), 0.5)
    ranked = [(m.start, m.stop) for m in found.matches]
    assert ranked[:4] == sorted(spans)  # all of the set on, nothing else: the same score, then in text order
    assert ranked[4] == (3000, 3010) and found.matches[4].others == 5  # all on, but five others too
    assert ranked[5] == (1500, 1510) and found.matches[5].share == pytest.approx(2 / 3)
    assert found.count == 6 and dict(found.lengths) == {5: 1, 8: 1, 10: 3, 20: 1}
    assert match.search(index, (3, 7, 11), 0.5, share=1.0).count == 5


def test_a_run_is_cached_on_disk_shared_and_evicted_least_recently_used_first(tmp_path) -> None:
    model = text_model("gru_torch")
    cache = Cache(tmp_path / "cache")
    first = run_corpus(model, TEXT * 3, streams=2, cache=cache)
    again = run_corpus(model, TEXT * 3, streams=2, cache=Cache(tmp_path / "cache"))  # another worker, same folder
    assert not first.cached and again.cached
    np.testing.assert_array_equal(again.passed.loss, first.passed.loss)
    assert [f.to_json() for f in again.census(ablate=0)] == [f.to_json() for f in first.census(ablate=0)]
    assert again.select(10, 14, 0.0) == first.select(10, 14, 0.0)
    np.testing.assert_array_equal(again.unit_values(1, "hidden", 0, 5, 300), first.unit_values(1, "hidden", 0, 5, 300))
    (entry,) = cache.entries()
    small = Cache(tmp_path / "cache", limit=entry[1] + 10)  # room for one entry
    os.utime(entry[2], (1, 1))  # used long ago
    run_corpus(model, TEXT * 2, streams=2, cache=small)
    (kept,) = small.entries()  # the new run stays, the old one went to make room
    assert kept[2] != entry[2] and not entry[2].exists()


def test_the_command_line_prints_a_summary_and_writes_the_census(tmp_path, capsys) -> None:
    model = text_model("lstm", layers=1, hidden=4)
    path = tmp_path / "m.npz"
    path.write_bytes(to_npz(model))
    text = tmp_path / "code.py"
    text.write_text(TEXT * 4)
    assert main(["run", "--model", str(path), "--text", str(text), "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == len(TEXT * 4) and summary["bits_per_token"] > 0
    assert {s["state"] for s in summary["statistics"]} == {"forget", "input", "candidate", "output", "cell", "hidden"}
    out = tmp_path / "census.json"
    assert main(["census", "--model", str(path), "--text", str(text), "--json", str(out), "--no-cache",
                 "--windows", "2", "--length", "64"]) == 0
    rows = json.loads(out.read_text())
    assert set(rows[0]) >= {"layer", "direction", "state", "unit", "concept", "measure", "score", "loss_rise_on",
                            "loss_rise_off"}
    assert any(r["loss_rise_on"] is not None for r in rows)
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    assert main(["run", "--model", str(path), "--text", str(binary), "--no-cache"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
