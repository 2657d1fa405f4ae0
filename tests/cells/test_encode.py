"""Sequence encoders: what a typed sequence becomes, and what a user is told when it can't be read."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cells import Network
from cells.encode import (
    MAX_EMBEDDING,
    MAX_FEATURES,
    MAX_STEPS,
    Encoded,
    embed,
    impulse,
    one_hot,
    parse_numbers,
    sine,
    step_signal,
    visible,
)

# ---------------------------------------------------------------- one-hot


def test_one_hot_hello_rows_are_exact():
    enc = one_hot("hello")
    assert enc.features == ("h", "e", "l", "o")
    assert enc.tokens == ("h", "e", "l", "l", "o")
    expected = np.array(
        [
            [1, 0, 0, 0],  # h
            [0, 1, 0, 0],  # e
            [0, 0, 1, 0],  # l
            [0, 0, 1, 0],  # l
            [0, 0, 0, 1],  # o
        ],
        dtype=np.float64,
    )
    assert enc.xs.dtype == np.float64
    np.testing.assert_array_equal(enc.xs, expected)
    np.testing.assert_array_equal(enc.xs[2], enc.xs[3])
    assert (enc.steps, enc.input_size) == (5, 4)


def test_one_hot_given_vocabulary_fixes_column_order():
    enc = one_hot("ab", vocabulary="cba")
    assert enc.features == ("c", "b", "a")
    np.testing.assert_array_equal(enc.xs, [[0, 0, 1], [0, 1, 0]])


def test_one_hot_vocabulary_as_list_of_characters():
    enc = one_hot("ba", vocabulary=["a", "b", "z"])
    assert enc.features == ("a", "b", "z")
    np.testing.assert_array_equal(enc.xs, [[0, 1, 0], [1, 0, 0]])


def test_one_hot_unknown_character_named_with_position():
    with pytest.raises(ValueError, match=r"unknown character 'z' at step 3; the vocabulary is 'abc'"):
        one_hot("abcz", vocabulary="abc")


def test_one_hot_long_vocabulary_is_cut_short_in_the_message():
    vocab = "".join(chr(c) for c in range(ord("a"), ord("a") + 26)) + "0123456789" + "ABCDEFGHIJ"
    with pytest.raises(ValueError, match=r"step 0; the vocabulary is 'abc.*'… \(46 characters\)"):
        one_hot("!", vocabulary=vocab)


def test_one_hot_space_and_newline_are_visible():
    enc = one_hot("a b\nc")
    assert enc.tokens == ("a", "␣", "b", "⏎", "c")
    assert enc.features == ("a", "␣", "b", "⏎", "c")


def test_visible_names_invisible_characters():
    assert visible("\t") == "⇥"
    assert visible("\x00") == "U+0000"
    assert visible("\u00a0") == "U+00A0"  # no-break space prints as a gap
    assert visible("é") == "é"


def test_feature_names_stay_unique_when_a_glyph_is_typed_literally():
    enc = one_hot(" ␣")
    assert enc.features == ("U+0020", "U+2423")
    assert len(set(enc.features)) == 2


@pytest.mark.parametrize(
    ("vocabulary", "message"),
    [
        ("aba", r"vocabulary: 'a' is listed twice \(items 1 and 3\)"),
        (["a", "bc"], r"vocabulary: item 2 is 'bc', expected a single character"),
        (["a", 3], r"vocabulary: item 2 is 3, expected a single character"),
        ("", r"vocabulary: it is empty"),
        ({"a", "b"}, r"vocabulary: expected a string or a list of characters, got set"),
    ],
)
def test_one_hot_bad_vocabulary(vocabulary, message):
    with pytest.raises(ValueError, match=message):
        one_hot("ab", vocabulary=vocabulary)


@pytest.mark.parametrize("encode", [one_hot, lambda t: embed(t, 4)])
def test_text_must_be_a_str(encode):
    with pytest.raises(ValueError, match=r"expected text \(str\), got bytes"):
        encode(b"abc")
    with pytest.raises(ValueError, match=r"expected text \(str\), got list"):
        encode(["a", "b"])


@pytest.mark.parametrize("encode", [one_hot, lambda t: embed(t, 4)])
def test_empty_text_refused(encode):
    with pytest.raises(ValueError, match="the sequence is empty"):
        encode("")


@pytest.mark.parametrize("encode", [one_hot, lambda t: embed(t, 4)])
def test_max_steps_boundary_for_text(encode):
    assert encode("ab" * (MAX_STEPS // 2)).steps == MAX_STEPS
    with pytest.raises(ValueError, match=f"the sequence has {MAX_STEPS + 1:,} steps; the limit is {MAX_STEPS:,}"):
        encode("a" * (MAX_STEPS + 1))


def test_one_hot_too_many_distinct_characters():
    text = "".join(chr(0x4E00 + k) for k in range(MAX_FEATURES + 1))
    with pytest.raises(ValueError, match=f"the text has {MAX_FEATURES + 1:,} distinct characters; the limit is"):
        one_hot(text)
    assert one_hot(text[:MAX_FEATURES]).input_size == MAX_FEATURES


text_without_glyphs = st.text(
    alphabet=st.characters(blacklist_characters="␣⏎⇥␍", blacklist_categories=("Cs",)), min_size=1, max_size=60
)


def _unvisible(label: str) -> str:
    back = {"␣": " ", "⏎": "\n", "⇥": "\t", "␍": "\r"}
    if label in back:
        return back[label]
    if label.startswith("U+") and len(label) > 2:
        return chr(int(label[2:], 16))
    return label


@given(text_without_glyphs)
def test_one_hot_rows_sum_to_one_and_tokens_round_trip(text):
    enc = one_hot(text)
    np.testing.assert_array_equal(enc.xs.sum(axis=1), np.ones(len(text)))
    assert set(np.unique(enc.xs)) <= {0.0, 1.0}
    assert "".join(_unvisible(tok) for tok in enc.tokens) == text
    # the hot column of each step is named after that step's character
    assert tuple(enc.features[j] for j in enc.xs.argmax(axis=1)) == enc.tokens
    assert len(set(enc.features)) == enc.input_size == len(set(text))


def test_encoded_arrays_are_read_only():
    enc = one_hot("abc")
    with pytest.raises(ValueError):
        enc.xs[0, 0] = 5.0


def test_encoded_checks_labels_match_the_array():
    with pytest.raises(ValueError, match=r"encoded tokens: expected 2 \(one per step\), got 1"):
        Encoded(np.zeros((2, 1)), ("a",), ("x",))
    with pytest.raises(ValueError, match=r"encoded features: expected 1 \(one per input column\), got 2"):
        Encoded(np.zeros((2, 1)), ("a", "b"), ("x", "y"))


def test_encoded_inputs_drive_a_network():
    enc = one_hot("hello")
    net = Network.create("lstm", input_size=enc.input_size, hidden_size=3, seed=1)
    assert net.run(enc.xs).output.shape == (5, 3)


# ---------------------------------------------------------------- embeddings


def test_embed_shape_and_names():
    enc = embed("hello", 8)
    assert enc.xs.shape == (5, 8)
    assert enc.features == tuple(f"e{k}" for k in range(1, 9))
    assert enc.tokens == ("h", "e", "l", "l", "o")
    np.testing.assert_array_equal(enc.xs[2], enc.xs[3])
    assert not np.array_equal(enc.xs[0], enc.xs[1])


def test_embed_same_character_same_vector_across_texts():
    a = embed("cat", 16, seed=3)
    b = embed("tac and more", 16, seed=3)
    np.testing.assert_array_equal(a.xs[0], b.xs[2])  # 'c'
    np.testing.assert_array_equal(a.xs[2], b.xs[0])  # 't'


def test_embed_seeds_differ():
    assert not np.allclose(embed("a", 16, seed=0).xs, embed("a", 16, seed=1).xs)


def test_embed_is_scaled_to_about_unit_length():
    enc = embed("".join(chr(c) for c in range(33, 133)), 256)
    norms = np.linalg.norm(enc.xs, axis=1)
    assert 0.8 < norms.mean() < 1.2


def test_embed_vocabulary_limits_characters():
    with pytest.raises(ValueError, match=r"unknown character '!' at step 2; the vocabulary is 'ab'"):
        embed("ab!", 4, vocabulary="ab")


@pytest.mark.parametrize("size", [0, MAX_EMBEDDING + 1, -3])
def test_embed_size_out_of_range(size):
    with pytest.raises(ValueError, match=f"embedding size must be between 1 and {MAX_EMBEDDING}, got {size}"):
        embed("ab", size)


def test_embed_size_edges_and_types():
    assert embed("ab", 1).input_size == 1
    assert embed("ab", MAX_EMBEDDING).input_size == MAX_EMBEDDING
    with pytest.raises(ValueError, match=r"embedding size must be a whole number, got 2\.5"):
        embed("ab", 2.5)
    with pytest.raises(ValueError, match="embedding seed must be 0 or more, got -1"):
        embed("ab", 4, seed=-1)


# ---------------------------------------------------------------- typed numbers


@pytest.mark.parametrize(
    ("text", "values", "tokens"),
    [
        ("1, 0, 0.5", [1, 0, 0.5], ("1", "0", "0.5")),
        ("1 0 0.5", [1, 0, 0.5], ("1", "0", "0.5")),
        ("1,0,0.5", [1, 0, 0.5], ("1", "0", "0.5")),
        ("  1 ,\t0  0.5 ,", [1, 0, 0.5], ("1", "0", "0.5")),  # mixed separators, trailing comma
        ("-1.5e-3, +2, .5, 3., 1E2", [-1.5e-3, 2, 0.5, 3, 100], ("-1.5e-3", "+2", ".5", "3.", "1E2")),
        ("−2", [-2], ("-2",)),  # a typographic minus sign
        ("7", [7], ("7",)),
    ],
)
def test_parse_scalars(text, values, tokens):
    enc = parse_numbers(text)
    assert enc.features == ("x",)
    assert enc.xs.shape == (len(values), 1)
    np.testing.assert_allclose(enc.xs[:, 0], values)
    assert enc.tokens == tokens


@pytest.mark.parametrize(
    "text",
    [
        "1 0; 0 1; 0.5 0.5",
        "1, 0; 0, 1; 0.5, 0.5",
        "1 0\n0 1\n0.5 0.5",
        "1 0\r\n0 1\r\n0.5 0.5",
        "1 0; 0 1; 0.5 0.5;",  # trailing ';'
        "1 0\n0 1\n0.5 0.5\n\n",  # trailing blank lines
        "1 0;\n0 1;\n0.5 0.5;\n",  # both separators at once
        "1 0\n\n0 1\n   \n0.5 0.5",  # blank lines between rows are layout
    ],
)
def test_parse_vectors(text):
    enc = parse_numbers(text)
    np.testing.assert_array_equal(enc.xs, [[1, 0], [0, 1], [0.5, 0.5]])
    assert enc.features == ("x1", "x2")
    assert enc.tokens == ("1 0", "0 1", "0.5 0.5")


def test_parse_one_number_per_line_is_a_single_input():
    enc = parse_numbers("1\n2\n3")
    assert enc.xs.shape == (3, 1)
    assert enc.features == ("x",)


def test_parse_single_row_with_semicolon_is_one_step():
    enc = parse_numbers("1 2 3;")
    assert enc.xs.shape == (1, 3)
    assert enc.features == ("x1", "x2", "x3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 0; 0 1; 1", r"step 2 has 1 number, expected 2 like step 0"),
        ("1; 0 1 2", r"step 1 has 3 numbers, expected 1 like step 0"),
        ("1, x, 2", r"'x' at step 1 is not a number"),
        ("1 0; 0 abc", r"'abc' at step 1, value 2 is not a number"),
        ("1, 2, 1_000", r"'1_000' at step 2 is not a number"),
        ("0x10", r"'0x10' at step 0 is not a number"),
        ("1, nan", r"'nan' at step 1 is not a finite number"),
        ("1, -inf", r"'-inf' at step 1 is not a finite number"),
        ("Infinity", r"'Infinity' at step 0 is not a finite number"),
        ("1 1e999", r"'1e999' at step 1 is too large: not a finite number"),
        ("1 0; 0 NaN", r"'NaN' at step 1, value 2 is not a finite number"),
        ("", r"the sequence is empty"),
        ("  \n\t ", r"the sequence is empty"),
        (";\n;", r"the sequence is empty"),
        ("1,,2", r"numbers: nothing between two commas after step 0"),
        ("1 0; 0,,1", r"step 1: nothing between two commas after value 1"),
    ],
)
def test_parse_numbers_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_numbers(text)


def test_parse_numbers_refuses_non_text():
    with pytest.raises(ValueError, match=r"numbers: expected text \(str\), got list"):
        parse_numbers([1, 2])


def test_parse_numbers_max_steps_boundary():
    assert parse_numbers(", ".join(["1"] * MAX_STEPS)).steps == MAX_STEPS
    with pytest.raises(ValueError, match=f"the sequence has {MAX_STEPS + 1:,} steps; the limit is {MAX_STEPS:,}"):
        parse_numbers(" ".join(["1"] * (MAX_STEPS + 1)))
    assert parse_numbers("; ".join(["1 0"] * MAX_STEPS)).steps == MAX_STEPS
    with pytest.raises(ValueError, match=f"the sequence has {MAX_STEPS + 1:,} steps; the limit is {MAX_STEPS:,}"):
        parse_numbers("\n".join(["1 0"] * (MAX_STEPS + 1)))


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(finite, min_size=1, max_size=50), st.sampled_from([", ", " ", ",", " ,\t"]))
def test_parse_scalars_round_trip(values, sep):
    enc = parse_numbers(sep.join(repr(v) for v in values))
    np.testing.assert_array_equal(enc.xs[:, 0], values)


@given(st.integers(1, 6).flatmap(lambda width: st.lists(st.lists(finite, min_size=width, max_size=width),
                                                          min_size=1, max_size=20)))
def test_parse_vectors_round_trip(rows):
    text = ";\n".join(" ".join(repr(v) for v in row) for row in rows) + ";"
    np.testing.assert_array_equal(parse_numbers(text).xs, rows)


# ---------------------------------------------------------------- generated signals


def test_sine_at_known_points():
    enc = sine(9, period=8.0, amplitude=2.0)
    expected = [0, math.sqrt(2), 2, math.sqrt(2), 0, -math.sqrt(2), -2, -math.sqrt(2), 0]
    np.testing.assert_allclose(enc.xs[:, 0], expected, atol=1e-12)
    assert enc.features == ("x",)
    assert enc.tokens == ("0.00", "1.41", "2.00", "1.41", "0.00", "-1.41", "-2.00", "-1.41", "0.00")


def test_sine_phase_shifts_to_cosine():
    enc = sine(4, period=4.0, phase=math.pi / 2)
    np.testing.assert_allclose(enc.xs[:, 0], [1, 0, -1, 0], atol=1e-12)


def test_impulse_is_one_hot_in_time():
    enc = impulse(6, at=2, height=0.5)
    np.testing.assert_array_equal(enc.xs[:, 0], [0, 0, 0.5, 0, 0, 0])
    assert enc.tokens == ("0.00", "0.00", "0.50", "0.00", "0.00", "0.00")
    np.testing.assert_array_equal(impulse(3).xs[:, 0], [1, 0, 0])


def test_step_signal_switches_on_and_stays():
    np.testing.assert_array_equal(step_signal(5, at=2, height=-1.0).xs[:, 0], [0, 0, -1, -1, -1])
    np.testing.assert_array_equal(step_signal(3, at=0).xs[:, 0], [1, 1, 1])


@pytest.mark.parametrize("make", [sine, impulse, lambda n: step_signal(n, at=0)])
def test_generators_steps_boundary(make):
    assert make(1).steps == 1
    assert make(MAX_STEPS).steps == MAX_STEPS
    for bad in (0, MAX_STEPS + 1):
        with pytest.raises(ValueError, match=f"steps must be between 1 and {MAX_STEPS:,}, got {bad:,}"):
            make(bad)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: impulse(5, at=5), r"impulse at step index 5 is outside the 5 steps \(0 to 4\)"),
        (lambda: impulse(5, at=-1), r"impulse at step index -1 is outside the 5 steps \(0 to 4\)"),
        (lambda: step_signal(4, at=4), r"step at step index 4 is outside the 4 steps \(0 to 3\)"),
        (lambda: sine(4, period=0), r"period must be more than 0 steps, got 0"),
        (lambda: sine(4, amplitude=float("nan")), r"amplitude must be a finite number, got nan"),
        (lambda: impulse(4, height="high"), r"height must be a number, got 'high'"),
        (lambda: sine(2.5), r"steps must be a whole number, got 2.5"),
        (lambda: impulse(4, at=True), r"impulse position must be a whole number, got True"),
    ],
)
def test_generator_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()
