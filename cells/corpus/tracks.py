"""Concept tracks (LSTMVis's meta tracks): one number per character, made from the text alone.

A track's value at character t describes the text as read up to and including t, the moment the
model's state after reading t could know it:

    string         on from an opening quote to the character before its closing quote ('…', "…", triple
                   quotes; a backslash escapes the next character; one-quote strings end at a line break)
    comment        on from a # outside any string to the end of its line (the line break not included)
    string_or_comment  on where either is: the text is not code there (Karpathy et al.'s cell "inside
                   comments and quotes" in the Linux source)
    bracket_depth  open ( [ { minus closed ) ] } so far, outside strings and comments, never below 0
    indent         the indentation the text is at: the leading spaces and tabs of the last line with more than
                   blanks, taken from its first other character on (a line's own blanks, its line break and
                   blank lines keep the level of the line before, which is what is known there)
    line_position  the column of t: characters since the last line break (a line's first character is 0)
    word_start     t is a letter, digit or _ and the character before is not
    inside_word    t is a letter, digit or _ and so is the character before
    digit          t is a digit;  upper  t is upper-case;  whitespace  t is white space
    pattern        on over every match of the user's regular expression

``bracket_depth``, ``indent`` and ``line_position`` are graded (the census correlates with them); the
others are on/off (the census scores them by AUC). Every track is built with NumPy, a piece of whole
lines at a time (so a 10 MB text needs a few MB of scratch arrays, not hundreds); strings and comments with
one regular-expression scan of the whole text. Graded tracks are int16 where every value fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

GRADED = ("bracket_depth", "indent", "line_position")
ON_OFF = ("string", "comment", "string_or_comment", "word_start", "inside_word", "digit", "upper", "whitespace")
BUILT_IN = ("string", "comment", "string_or_comment", "bracket_depth", "indent", "line_position", "word_start",
            "inside_word", "digit", "upper", "whitespace")
# The code concepts Karpathy et al. found single cells for, on which the shipped code models' census is judged
# (three of the five, each clear and confirmed): the census's controls and the code-unit lesson draw on them.
CODE = ("string", "comment", "bracket_depth", "indent", "line_position")
PATTERN = "pattern"
MAX_PATTERN = 300
# Raised whenever a built-in track's definition changes: a cached corpus run holds census sums made with the
# tracks of its day, so the version is part of its key (2: indentation is the level the text is at, no longer
# the blanks read so far on the line).
VERSION = 2
LABELS = {
    "string": "inside a string or quote", "comment": "inside a comment",
    "string_or_comment": "inside a string or a comment", "bracket_depth": "bracket depth",
    "indent": "indentation", "line_position": "position in the line", "word_start": "start of a word",
    "inside_word": "inside a word", "digit": "a digit", "upper": "an upper-case letter",
    "whitespace": "white space", PATTERN: "the pattern",
}

_CODE = re.compile(
    r"(?P<comment>#[^\n]*)"
    r"|(?P<string>'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\")",
    re.S,
)


@dataclass(frozen=True, eq=False)
class Track:
    name: str
    graded: bool
    values: np.ndarray  # (T,) int16 (int32 where a value needs it) for a graded track, bool for an on/off one

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def on(self) -> np.ndarray:
        """Where the concept holds, (T,) bool: an on/off track as it is, a graded one above its mean."""
        if not self.graded:
            return self.values
        return self.values > self.values.mean()


PIECE = 1 << 18  # characters read at a time (cut at a line start): whole-text temporaries stay a few MB


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype="<u4")


def _classes(codes: np.ndarray) -> dict[str, np.ndarray]:
    """Per character: word (letter, digit or _), digit, upper, space; from each distinct character once."""
    seen, inverse = np.unique(codes, return_inverse=True)
    chars = [chr(int(c)) for c in seen]
    table = {
        "word": np.array([ch.isalnum() or ch == "_" for ch in chars]),
        "digit": np.array([ch.isdigit() for ch in chars]),
        "upper": np.array([ch.isupper() for ch in chars]),
        "space": np.array([ch.isspace() for ch in chars]),
    }
    return {k: v[inverse] for k, v in table.items()}


def strings_and_comments(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(string track, comment track, every character of a string or comment including its closing quote)."""
    T = len(text)
    string, comment, covered = np.zeros(T, bool), np.zeros(T, bool), np.zeros(T, bool)
    for m in _CODE.finditer(text):
        start, end = m.span()
        covered[start:end] = True
        if m.lastgroup == "comment":
            comment[start:end] = True
        else:
            string[start : end - 1] = True  # the closing quote is read outside
    return string, comment, covered


def line_starts(codes: np.ndarray) -> np.ndarray:
    """The index of the first character of each character's line, (T,) int32 (a corpus is under 2³¹ characters)."""
    T = len(codes)
    start = np.zeros(T, np.int32)
    breaks = np.flatnonzero(codes == 10)
    start[breaks[breaks + 1 < T] + 1] = breaks[breaks + 1 < T] + 1
    return np.maximum.accumulate(start)


def pieces(text: str, size: int | None = None) -> list[tuple[int, int]]:
    """[start, stop) spans of about ``size`` characters covering ``text``, each cut just after a line break (a
    line longer than ``size`` stays whole), so a piece's lines are whole lines."""
    size = PIECE if size is None else size
    out, a, T = [], 0, len(text)
    while a < T:
        b = a + size
        if b < T:
            cut = text.rfind("\n", a, b)
            b = cut + 1 if cut >= 0 else (text.find("\n", b) + 1 or T)
        b = min(b, T)
        out.append((a, b))
        a = b
    return out


def _put(track: np.ndarray, a: int, values: np.ndarray) -> np.ndarray:
    """Write one piece's values of a graded track at ``a``: the track is int16 until a value needs int32 (half
    the memory of int32 throughout, and the same numbers); returns the track, widened when it had to be."""
    if track.dtype == np.int16 and len(values) and (values.min() < -(1 << 15) or values.max() >= 1 << 15):
        track = track.astype(np.int32)
    track[a : a + len(values)] = values
    return track


def built_in(text: str) -> dict[str, Track]:
    """Every built-in track of ``text``, in BUILT_IN order. The text is read a piece of whole lines at a time
    (``PIECE`` characters), the bracket walk and the word before carried across pieces; strings and comments,
    which may span lines, in one scan of the whole text."""
    if not text:
        raise ValueError("tracks: expected a non-empty text")
    T = len(text)
    string, comment, covered = strings_and_comments(text)
    depth, indent, position = (np.empty(T, np.int16) for _ in range(3))  # widened by _put when needed
    word_start, inside_word, digit, upper, space = (np.empty(T, bool) for _ in range(5))
    walked, lowest, word_before = 0, 0, False  # the bracket walk so far, its lowest point, the last character a word's
    level = 0  # the indentation of the last line with more than blanks
    for a, b in pieces(text):
        codes = code_points(text[a:b])  # (n,) this piece's code points
        n = b - a
        index = np.arange(n, dtype=np.int32)
        kinds = _classes(codes)

        delta = np.zeros(n, np.int32)
        delta[np.isin(codes, [40, 91, 123])] = 1  # ( [ {
        delta[np.isin(codes, [41, 93, 125])] = -1  # ) ] }
        delta[covered[a:b]] = 0
        walk = np.cumsum(delta, dtype=np.int64) + walked  # open minus closed from the text's start
        low = np.minimum(np.minimum.accumulate(walk), lowest)
        depth = _put(depth, a, walk - np.minimum(0, low))  # the walk reflected at 0: never below it
        walked, lowest = int(walk[-1]), int(low[-1])

        starts = line_starts(codes)
        blank = np.isin(codes, [32, 9, 12, 13])  # space, tab, form feed, carriage return
        first_other = np.minimum.accumulate(np.where(blank, n, index)[::-1])[::-1]  # next non-blank at or after t
        head = starts == index  # (n,) the first character of a line
        heads = np.flatnonzero(head)  # (L,) each line's first character
        first = first_other[heads]  # (L,) its first character that is not a blank (n: none in the piece)
        written = first < n
        written[written] = codes[first[written]] != 10  # the line has more than blanks
        line_of = np.cumsum(head) - 1  # (n,) each character's line in the piece
        lines = np.arange(len(heads))
        last = np.maximum.accumulate(np.where(written, lines, -1))  # (L,) the last written line up to each
        after = np.where(last >= 0, (first - heads)[np.maximum(last, 0)], level)  # (L,) the level after each line
        before = np.concatenate([[level], after[:-1]])  # (L,) the level its line starts at
        reached = written[line_of] & (index >= first[line_of])  # the line's own blanks are read
        indent = _put(indent, a, np.where(reached, after[line_of], before[line_of]))
        level = int(after[-1])
        position = _put(position, a, index - starts)

        word = kinds["word"]
        before = np.concatenate([[word_before], word[:-1]])
        word_start[a:b], inside_word[a:b] = word & ~before, word & before
        digit[a:b], upper[a:b], space[a:b] = kinds["digit"], kinds["upper"], kinds["space"]
        word_before = bool(word[-1])
    values = {
        "string": (False, string), "comment": (False, comment), "string_or_comment": (False, string | comment),
        "bracket_depth": (True, depth),
        "indent": (True, indent), "line_position": (True, position),
        "word_start": (False, word_start), "inside_word": (False, inside_word), "digit": (False, digit),
        "upper": (False, upper), "whitespace": (False, space),
    }
    return {name: Track(name, graded, v) for name, (graded, v) in values.items()}


def pattern_track(text: str, pattern: str) -> Track:
    """On over every non-empty match of the regular expression ``pattern``."""
    if not isinstance(pattern, str) or not pattern:
        raise ValueError("pattern: expected a regular expression, got nothing")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern: at most {MAX_PATTERN} characters, got {len(pattern)}")
    try:
        compiled = re.compile(pattern)
    except re.error as e:
        raise ValueError(f"pattern {pattern!r}: not a valid regular expression ({e})") from None
    on = np.zeros(len(text), bool)
    for m in compiled.finditer(text):
        on[m.start() : m.end()] = True
    return Track(PATTERN, False, on)


def tracks(text: str, pattern: str | None = None) -> dict[str, Track]:
    """The built-in tracks, and the user's pattern as ``"pattern"`` when given."""
    out = built_in(text)
    if pattern:
        out[PATTERN] = pattern_track(text, pattern)
    return out
