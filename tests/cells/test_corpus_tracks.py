"""Each concept track on hand-written snippets: what the text is at each character, as read up to it."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from cells.corpus import census, stream
from cells.corpus.tracks import BUILT_IN, GRADED, pattern_track, tracks
from tests.cells.test_corpus_stream import text_model

TRACKS = importlib.import_module("cells.corpus.tracks")  # the module (cells.corpus.tracks is also a function's name)


def marks(track) -> str:
    """A track as one digit per character (on/off as 0/1), for reading beside the text."""
    return "".join(str(min(int(v), 9)) for v in track.values)


def test_strings_run_from_the_opening_quote_to_the_character_before_the_closing_one() -> None:
    text = "a = 'x#(' + \"q\\\"r\" + '''doc\nmore''' + s"
    got = marks(tracks(text)["string"])
    assert got == "000011110000111110000111111111111100000"
    assert text[4] == "'" and got[4] == "1" and text[8] == "'" and got[8] == "0"  # closing quote read outside


def test_comments_start_at_a_hash_outside_strings_and_end_before_the_line_break() -> None:
    text = "x = '#' # note 'it'\ny # z\n"
    assert marks(tracks(text)["comment"]) == "00000000111111111110001110"
    assert not tracks(text)["string"].values[8:19].any()  # the quotes inside the comment start no string


def test_string_or_comment_is_on_wherever_the_text_is_not_code() -> None:
    text = "x = 'a#' # b\ny(\"\"\"c\n\"\"\") # 'd'\n"
    assert marks(tracks(text)["string_or_comment"]) == "0000111001110001111111000111110"


def test_bracket_depth_counts_open_brackets_outside_strings_and_comments_and_never_goes_below_zero() -> None:
    text = "f(a[1], {'(': 2}) # (\n)) ("
    assert marks(tracks(text)["bracket_depth"]) == "01122111222222210000000001"


def test_indentation_is_the_level_of_the_last_written_line_taken_at_its_first_other_character() -> None:
    text = "if x:\n    y = 1\n\n  \n\tz\nw\n"
    # a line's own blanks, its break and blank lines keep the level before; a tab is one blank
    assert marks(tracks(text)["indent"]) == "000000" "0000444444" "4" "444" "411" "00"


def test_line_position_is_the_column_and_starts_again_after_each_break() -> None:
    text = "ab\ncde\n\nf"
    assert tracks(text)["line_position"].values.tolist() == [0, 1, 2, 0, 1, 2, 3, 0, 0]


def test_word_tracks_digits_case_and_white_space() -> None:
    text = "Go 2x_y é!"
    t = tracks(text)
    assert marks(t["word_start"]) == "1001000010"  # 2x_y is one word
    assert marks(t["inside_word"]) == "0100111000"
    assert marks(t["digit"]) == "0001000000"
    assert marks(t["upper"]) == "1000000000"
    assert marks(t["whitespace"]) == "0010000100"


def test_a_user_pattern_marks_its_matches_and_a_bad_one_is_named() -> None:
    text = "def f():\n    return self.x\n"
    assert marks(pattern_track(text, r"self\.\w+")) == "0" * 20 + "111111" + "0"
    with pytest.raises(ValueError, match=r"pattern '\(unclosed': not a valid regular expression"):
        pattern_track(text, "(unclosed")
    with pytest.raises(ValueError, match="at most 300 characters"):
        pattern_track(text, "a" * 301)


def test_every_built_in_track_has_one_value_per_character_and_graded_ones_are_numbers() -> None:
    text = "print('hi')  # done\n"
    t = tracks(text, "hi")
    assert list(t) == [*BUILT_IN, "pattern"]
    for name, track in t.items():
        assert track.values.shape == (len(text),)
        assert track.graded == (name in GRADED)
        assert track.values.dtype == (np.int16 if track.graded else bool)  # small values: the small type


def code_like(length: int, seed: int) -> str:
    """Random text of code's characters: quotes, escapes, hashes, brackets (closing ones first too), blanks."""
    rng = np.random.default_rng(seed)
    return "))" + "".join(rng.choice(list("ab_1Z é\t  ()[]{}'\"#\\\n\n"), length))


@pytest.mark.parametrize("piece", [1, 7, 50, 333])
def test_tracks_read_a_piece_of_lines_at_a_time_equal_the_tracks_of_the_whole_text(monkeypatch, piece: int) -> None:
    module = TRACKS
    text = code_like(6000, seed=piece)
    whole = tracks(text)  # PIECE is far longer than the text: one piece
    monkeypatch.setattr(module, "PIECE", piece)
    assert len(module.pieces(text)) > 5
    for name, track in tracks(text).items():
        np.testing.assert_array_equal(track.values, whole[name].values, err_msg=name)


def test_a_graded_track_needing_more_than_int16_keeps_its_values(monkeypatch) -> None:
    monkeypatch.setattr(TRACKS, "PIECE", 1000)
    text = "(" * 3 + "x" * 40_000 + "\n  y"
    t = tracks(text)
    assert t["line_position"].values.dtype == np.int32 and t["line_position"].values[40_002] == 40_002
    assert t["line_position"].values[-1] == 2 and t["indent"].values[-1] == 2 and t["bracket_depth"].values[-1] == 3
    assert t["indent"].values.dtype == np.int16


def test_encoding_a_piece_at_a_time_gives_the_ids_of_the_whole_text(monkeypatch) -> None:
    model = text_model("lstm", layers=1, hidden=3)
    text = code_like(3000, seed=1) + "\U0001f600"  # characters outside the vocabulary read as <unk>
    whole = stream.encode(model, text)
    monkeypatch.setattr(stream, "ENCODE_PIECE", 13)
    np.testing.assert_array_equal(stream.encode(model, text), whole)
    assert whole[-1] == model.vocabulary.index("<unk>") and whole.dtype == np.int32


@pytest.mark.parametrize("count", [0, 3, 9, 17])
def test_the_census_numbers_each_combination_of_on_off_concepts_in_order(monkeypatch, count: int) -> None:
    monkeypatch.setattr(census, "PIECE", 97)
    rng = np.random.default_rng(count)
    on_off = [rng.random(4000) < p for p in rng.random(count)]
    masks = sum((t.astype(np.int64) << k for k, t in enumerate(on_off)), np.zeros(4000, np.int64))
    expected_patterns, expected_rank = np.unique(masks, return_inverse=True)
    patterns, rank = census.combinations(on_off, 4000)
    np.testing.assert_array_equal(patterns, expected_patterns)
    np.testing.assert_array_equal(rank, expected_rank)
    assert rank.dtype == (np.uint8 if len(patterns) <= 256 else np.uint16)
