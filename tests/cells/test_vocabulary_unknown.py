"""A vocabulary with an unknown token reads every token it lacks as that one; without one it names the first."""

from __future__ import annotations

import pytest

from cells.files import vocabulary


def test_an_unknown_token_keeps_a_character_vocabulary_reading_characters() -> None:
    chars = ["a", "b", " ", "<unk>"]
    assert vocabulary.by_characters(chars) and vocabulary.unknown_token(chars) == "<unk>"
    tokens, ids = vocabulary.ids("ab ñ", chars)
    assert tokens == ["a", "b", " ", "ñ"] and ids.tolist() == [0, 1, 2, 3]
    assert not vocabulary.by_characters(["<unk>"])  # nothing but the unknown token: not a character vocabulary


def test_a_word_vocabulary_with_an_unknown_token_reads_new_words_as_it() -> None:
    words = ["[UNK]", "the", "gate"]
    assert not vocabulary.by_characters(words)
    assert vocabulary.ids("the new gate", words)[1].tolist() == [1, 0, 2]


def test_without_an_unknown_token_the_first_missing_one_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown character 'c' at step 2"):
        vocabulary.ids("abc", ["a", "b"])
