"""Sequences to input vectors: characters one-hot or embedded, typed numbers, and small test signals.

Every encoder returns an ``Encoded``: the (T, I) inputs ``xs`` a cell runs on, one display label
per step (``tokens``) and one name per input column (``features``). Bad input is a ValueError that
says what was wrong and where, counting steps and positions from 1 as a reader does.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_STEPS = 2_000  # longest sequence any encoder accepts (the pages run up to this many steps)
MAX_FEATURES = 1000  # widest input: distinct characters for one-hot, numbers per step for vectors
MAX_EMBEDDING = 256  # largest embedding size

# Characters a label would otherwise hide, shown by a visible stand-in.
_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍"}

# A finite decimal number: optional sign, digits with an optional point, optional exponent.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_ROWS = re.compile(r"[;\r\n]")
_VALUES = re.compile(r"\s*,\s*|\s+")


@dataclass(frozen=True, eq=False)
class Encoded:
    """A sequence ready for a cell: ``xs`` (T, I), a label per step and a name per input column."""

    xs: np.ndarray  # (T, I) float64, read-only
    tokens: tuple[str, ...]  # (T,) display label of each step
    features: tuple[str, ...]  # (I,) name of each input column

    def __post_init__(self) -> None:
        xs = np.array(self.xs, dtype=np.float64)  # a copy: the caller's array can't change ours
        if xs.ndim != 2 or xs.shape[0] == 0 or xs.shape[1] == 0:
            raise ValueError(f"encoded inputs: expected a non-empty 2-D (steps, inputs) array, got shape {xs.shape}")
        if not np.all(np.isfinite(xs)):
            raise ValueError("encoded inputs: every value must be finite")
        xs.flags.writeable = False
        tokens, features = tuple(self.tokens), tuple(self.features)
        if len(tokens) != xs.shape[0]:
            raise ValueError(f"encoded tokens: expected {xs.shape[0]} (one per step), got {len(tokens)}")
        if len(features) != xs.shape[1]:
            raise ValueError(f"encoded features: expected {xs.shape[1]} (one per input column), got {len(features)}")
        object.__setattr__(self, "xs", xs)
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "features", features)

    @property
    def steps(self) -> int:
        """T, the number of steps."""
        return self.xs.shape[0]

    @property
    def input_size(self) -> int:
        """I, the number of input columns."""
        return self.xs.shape[1]


def visible(ch: str) -> str:
    """A label for one character that can be seen: '␣' for a space, '⏎' for a newline, '⇥' for a tab,
    '␍' for a carriage return, 'U+XXXX' for any other character that prints as nothing."""
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    return ch if ch.isprintable() else f"U+{ord(ch):04X}"


def _feature_names(chars: Sequence[str]) -> tuple[str, ...]:
    """Visible labels for distinct characters, made unique: when two share a label (a space and a
    typed '␣'), both are named by their code points instead."""
    labels = [visible(c) for c in chars]
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return tuple(label if counts[label] == 1 else f"U+{ord(c):04X}" for c, label in zip(chars, labels, strict=True))


def _check_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"{what}: expected text (str), got {type(text).__name__}")
    if text == "":
        raise ValueError("the sequence is empty")
    _check_length(len(text))
    return text


def _check_length(steps: int) -> None:
    if steps > MAX_STEPS:
        raise ValueError(f"the sequence has {steps:,} steps; the limit is {MAX_STEPS:,}")


def _check_width(width: int, message: str) -> None:
    """Refuse inputs wider than MAX_FEATURES; ``message`` names the width as {n}."""
    if width > MAX_FEATURES:
        raise ValueError(message.format(n=f"{width:,}") + f"; the limit is {MAX_FEATURES:,}")


def _short(chars: Sequence[str], limit: int = 40) -> str:
    """The vocabulary as a quoted string, cut short when long."""
    joined = "".join(chars)
    if len(joined) <= limit:
        return repr(joined)
    return f"{joined[:limit]!r}… ({len(joined)} characters)"


def _vocabulary(text: str, vocabulary: str | Sequence[str] | None) -> tuple[str, ...]:
    """The columns' characters: the given vocabulary, checked, or the text's in first-seen order.

    Every character of ``text`` must be in the vocabulary; the first one that is not is named
    with its 1-based position.
    """
    if vocabulary is None:
        chars = tuple(dict.fromkeys(text))
        _check_width(len(chars), "the text has {n} distinct characters")
        return chars
    if not isinstance(vocabulary, str | Sequence):
        raise ValueError(f"vocabulary: expected a string or a list of characters, got {type(vocabulary).__name__}")
    chars = tuple(vocabulary)
    if not chars:
        raise ValueError("vocabulary: it is empty; give at least one character")
    seen: dict[str, int] = {}
    for i, c in enumerate(chars, start=1):
        if not isinstance(c, str) or len(c) != 1:
            raise ValueError(f"vocabulary: item {i} is {c!r}, expected a single character")
        if c in seen:
            raise ValueError(f"vocabulary: {c!r} is listed twice (items {seen[c]} and {i})")
        seen[c] = i
    _check_width(len(chars), "the vocabulary has {n} characters")
    for step, c in enumerate(text):
        if c not in seen:
            raise ValueError(f"unknown character {c!r} at step {step}; the vocabulary is {_short(chars)}")
    return chars


def one_hot(text: str, vocabulary: str | Sequence[str] | None = None) -> Encoded:
    """Each character as a one-hot vector: x_t[j] = 1 if text[t] is vocabulary[j], else 0.

    ``vocabulary`` (a string or a sequence of single characters, no repeats) fixes the columns and
    their order; by default it is the text's distinct characters in first-seen order.
    """
    text = _check_text(text, "one-hot text")
    chars = _vocabulary(text, vocabulary)
    column = {c: j for j, c in enumerate(chars)}
    index = np.fromiter((column[c] for c in text), dtype=np.intp, count=len(text))  # (T,)
    xs = np.zeros((len(text), len(chars)))  # (T, V)
    xs[np.arange(len(text)), index] = 1.0
    return Encoded(xs, tuple(visible(c) for c in text), _feature_names(chars))


def character_vector(ch: str, size: int, seed: int = 0) -> np.ndarray:
    """The embedding of one character: ``size`` standard normal draws scaled by 1/sqrt(size), from a
    generator seeded with (seed, code point) -- so it depends on nothing but the seed and the character."""
    rng = np.random.default_rng([seed, ord(ch)])
    return rng.standard_normal(size) / math.sqrt(size)  # (E,)


def embed(text: str, size: int, seed: int = 0, vocabulary: str | Sequence[str] | None = None) -> Encoded:
    """Each character as a fixed random vector of ``size`` numbers (see ``character_vector``).

    The same seed and character always give the same vector, whatever else the text holds.
    ``vocabulary``, when given, limits which characters are allowed, as in ``one_hot``.
    """
    text = _check_text(text, "embedding text")
    size = _whole(size, "embedding size")
    if not 1 <= size <= MAX_EMBEDDING:
        raise ValueError(f"embedding size must be between 1 and {MAX_EMBEDDING}, got {size}")
    seed = _whole(seed, "embedding seed")
    if seed < 0:
        raise ValueError(f"embedding seed must be 0 or more, got {seed}")
    chars = _vocabulary(text, vocabulary) if vocabulary is not None else tuple(dict.fromkeys(text))
    table = {c: character_vector(c, size, seed) for c in chars}
    xs = np.stack([table[c] for c in text])  # (T, E)
    return Encoded(xs, tuple(visible(c) for c in text), tuple(f"e{k}" for k in range(1, size + 1)))


def _number(token: str, where: str) -> float:
    if _NOT_FINITE.fullmatch(token):
        raise ValueError(f"{token!r} at {where} is not a finite number")
    if not _NUMBER.fullmatch(token):
        raise ValueError(f"{token!r} at {where} is not a number")
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{token!r} at {where} is too large: not a finite number")
    return value


def _split_values(row: str, where: str, unit: str) -> list[str]:
    """The number tokens of one row, split by commas and/or whitespace; a comma at either end is allowed.

    ``where`` names the row in messages ("step 3", counted from 0), ``unit`` what one token is ("step" or "value").
    """
    parts = _VALUES.split(row.strip())
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    first = 0 if unit == "step" else 1  # steps count from 0, as the view does; a step's values from 1, as x1, x2 …
    for k, part in enumerate(parts, start=first):
        if part == "":
            raise ValueError(f"{where}: nothing between two commas after {unit} {k - 1}")
    return parts


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def parse_numbers(text: str) -> Encoded:
    """Typed numbers as a sequence.

    Scalars: numbers separated by commas and/or whitespace ("1, 0, 0.5" or "1 0 0.5") give (T, 1).
    Vectors: when the text holds ';' or a line break, each row is a step and its numbers, split by
    commas and/or whitespace, are that step's inputs ("1 0; 0 1; 0.5 0.5" gives (3, 2)); every row
    needs the same count. Empty rows (a trailing ';', blank lines) are skipped. The choice is made on
    the text without surrounding whitespace, so "1 2" and a line break is two scalars, while "1 2;" is
    one step of two inputs. Numbers may carry a sign and an exponent ("-1.5e-3"); nan and inf are refused.
    """
    if not isinstance(text, str):
        raise ValueError(f"numbers: expected text (str), got {type(text).__name__}")
    text = text.replace("\u2212", "-").strip()  # a typographic minus, as copied from documents, reads as '-'
    if not text:
        raise ValueError("the sequence is empty")
    if not _ROWS.search(text):
        tokens = _split_values(text, "numbers", "step")
        _check_length(len(tokens))
        values = [_number(tok, f"step {t}") for t, tok in enumerate(tokens)]
        return Encoded(np.array(values)[:, None], tuple(tokens), ("x",))  # (T, 1)
    rows = [row for row in _ROWS.split(text) if row.strip(" \t,")]
    if not rows:
        raise ValueError("the sequence is empty")
    _check_length(len(rows))
    table: list[list[float]] = []
    labels: list[str] = []
    for t, row in enumerate(rows):
        tokens = _split_values(row, f"step {t}", "value")
        if t == 0:
            _check_width(len(tokens), "step 0 has {n} numbers")
        elif len(tokens) != len(table[0]):
            raise ValueError(
                f"step {t} has {_plural(len(tokens), 'number')}, expected {len(table[0])} like step 0"
            )
        table.append([_number(tok, f"step {t}, value {k}") for k, tok in enumerate(tokens, start=1)])
        labels.append(" ".join(tokens))
    width = len(table[0])
    features = ("x",) if width == 1 else tuple(f"x{k}" for k in range(1, width + 1))
    return Encoded(np.array(table), tuple(labels), features)  # (T, I)


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{what} must be a whole number, got {value!r}") from None


def _finite(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _steps(steps: object) -> int:
    steps = _whole(steps, "steps")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS:,}, got {steps:,}")
    return steps


def _at(at: object, steps: int, what: str) -> int:
    at = _whole(at, f"{what} position")
    if not 0 <= at < steps:
        raise ValueError(f"{what} at step index {at} is outside the {steps} steps (0 to {steps - 1})")
    return at


def _label(v: float) -> str:
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


def _signal(values: np.ndarray) -> Encoded:
    return Encoded(values[:, None], tuple(_label(v) for v in values), ("x",))  # (T, 1)


def sine(steps: int, period: float = 16.0, amplitude: float = 1.0, phase: float = 0.0) -> Encoded:
    """x_t = amplitude · sin(2π t / period + phase) for t = 0 .. steps-1; one input column."""
    steps = _steps(steps)
    period = _finite(period, "period")
    if period <= 0:
        raise ValueError(f"period must be more than 0 steps, got {period:g}")
    amplitude = _finite(amplitude, "amplitude")
    phase = _finite(phase, "phase")
    t = np.arange(steps)  # (T,)
    return _signal(amplitude * np.sin(2 * np.pi * t / period + phase))


def impulse(steps: int, at: int = 0, height: float = 1.0) -> Encoded:
    """x_t = height at step index ``at`` (counted from 0), 0 elsewhere; one input column."""
    steps = _steps(steps)
    at = _at(at, steps, "impulse")
    values = np.zeros(steps)  # (T,)
    values[at] = _finite(height, "height")
    return _signal(values)


def step_signal(steps: int, at: int, height: float = 1.0) -> Encoded:
    """x_t = 0 before step index ``at`` (counted from 0) and ``height`` from it on; one input column."""
    steps = _steps(steps)
    at = _at(at, steps, "step")
    values = np.zeros(steps)  # (T,)
    values[at:] = _finite(height, "height")
    return _signal(values)
