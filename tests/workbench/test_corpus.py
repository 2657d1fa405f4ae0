"""The Corpus page's pure decisions: uploaded and pasted texts checked, units and links read back."""

from __future__ import annotations

import numpy as np
import pytest

from cells.corpus import Cache, run_corpus, stream
from tests.cells.test_corpus_stream import TEXT, Keep, text_model
from viz.corpus import PAGE, PAGE_COMPUTED
from workbench import corpus as wc


def test_a_good_upload_reads_as_utf8_text_with_line_ends_made_plain() -> None:
    assert wc.text_of_upload("a.py", "\ufeffx = 'é'\r\n".encode()) == "x = 'é'\n"


@pytest.mark.parametrize(("data", "said"), [
    (b"", "empty"), (b"  \n ", "empty"), (b"PK\x03\x04\x00\x00", "binary"), (b"caf\xe9", "not UTF-8"),
    (b"x" * (wc.MAX_TEXT_BYTES + 1), "limit of 10,000,000 bytes"),
])
def test_a_bad_upload_is_refused_naming_the_file_and_what_is_wrong(data: bytes, said: str) -> None:
    with pytest.raises(ValueError, match=said) as caught:
        wc.text_of_upload("notes.txt", data)
    assert str(caught.value).startswith("notes.txt:") and "the current corpus stays" in str(caught.value)


def test_a_unit_is_spelled_and_read_back_and_nonsense_is_refused() -> None:
    assert wc.Unit.parse(str(wc.Unit(1, "cell", 37))) == wc.Unit(1, "cell", 37)
    with pytest.raises(ValueError, match=r"layer\.state\.unit"):
        wc.Unit.parse("cell 37")


def test_a_link_asks_for_a_section_a_unit_a_place_and_a_span_and_says_what_was_wrong() -> None:
    asked, errors = wc.parse_link({"section": "text", "unit": "0.hidden.3", "at": "512", "span": "10-14"})
    assert asked == {"section": "text", "unit": wc.Unit(0, "hidden", 3), "at": 512, "span": (10, 14)} and not errors
    asked, errors = wc.parse_link({"section": "nope", "at": "-1", "span": "9-3"})
    assert asked == {} and len(errors) == 3
    spelled = wc.link_values("match", wc.Unit(1, "cell", 37), None, (5100, 5130), 5)
    assert wc.parse_link(spelled) == ({"section": "match", "unit": wc.Unit(1, "cell", 37), "span": (5100, 5130),
                                       "files": 5}, [])  # the page writes what it reads back
    asked, errors = wc.parse_link({"files": "5"})
    assert asked == {"files": 5} and not errors
    asked, errors = wc.parse_link({"files": "7"})
    assert asked == {} and errors == ["link: files should be 5, 10 or 20 (how many of the held-out files to read), "
                                      "got '7'"]



def test_a_link_names_a_shipped_text_model_and_says_so_when_it_names_another() -> None:
    names = [e["name"] for e in wc.text_models()]
    spelled = wc.link_values("text", wc.Unit(0, "cell", 3), 40, None, None, "text_lstm")
    assert spelled == {"section": "text", "model": "text_lstm", "unit": "0.cell.3", "at": "40"}
    assert wc.parse_link(spelled) == ({"section": "text", "model": "text_lstm", "unit": wc.Unit(0, "cell", 3),
                                       "at": 40}, [])
    asked, errors = wc.parse_link({"model": "brackets_lstm", "section": "census"})  # shipped, but reads no text
    assert asked == {"section": "census"}
    assert errors == [f"link: model should be one of the shipped text models ({', '.join(names)}), "
                      "got 'brackets_lstm'"]


def test_a_computed_unit_gets_a_shorter_page_of_the_same_values_as_the_run(tmp_path) -> None:
    model = text_model("lstm", layers=2, hidden=4)
    run = run_corpus(model, TEXT * 30, streams=2, cache=Cache(tmp_path))
    hidden, cell = wc.Unit(1, "hidden", 2), wc.Unit(1, "cell", 2)
    assert wc.indexed(run, hidden) and not wc.indexed(run, cell)
    assert wc.page_size(run, hidden) == PAGE and wc.page_size(run, cell) == PAGE_COMPUTED < PAGE
    keep = Keep(run.steps)  # every value of the long run, at its text position
    stream.stream_pass(model, run.passed.ids, run.passed.plan, chunk=64, checkpoint=64, consumers=[keep])
    a, b = 1000, 3000  # across many checkpoints and a stream's end
    np.testing.assert_allclose(wc.unit_values(run, cell, a, b), keep.values[(1, "cell")][a:b, 2], atol=1e-5)
    np.testing.assert_allclose(wc.unit_values(run, hidden, a, b), keep.values[(1, "hidden")][a:b, 2], atol=1 / 255)
