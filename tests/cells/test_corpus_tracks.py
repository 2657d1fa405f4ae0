"""Each concept track on hand-written snippets: what the text is at each character, as read up to it."""

from __future__ import annotations

import numpy as np
import pytest

from cells.corpus.tracks import BUILT_IN, GRADED, pattern_track, tracks


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


def test_bracket_depth_counts_open_brackets_outside_strings_and_comments_and_never_goes_below_zero() -> None:
    text = "f(a[1], {'(': 2}) # (\n)) ("
    assert marks(tracks(text)["bracket_depth"]) == "01122111222222210000000001"


def test_indentation_counts_the_lines_leading_blanks_read_so_far() -> None:
    text = "if x:\n    y = 1\n\tz\n"
    assert marks(tracks(text)["indent"]) == "0000001234444440110"


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
        assert track.values.dtype == (np.int32 if track.graded else bool)
