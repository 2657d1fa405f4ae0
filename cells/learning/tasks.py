"""Toy tasks to train small networks on, each a seeded generator of batches.

Every task draws batches of equal-length sequences from a NumPy Generator, so the same seed gives
the same batches. A ``Batch`` holds the inputs, the targets, and a mask of the steps that count
(for accuracy and for the loss). Tasks also encode a sequence typed by a user.

- ``brackets``: the nesting depth after each ``(`` or ``)`` (classes 0 .. max_depth).
- ``counting``: ``aaaXbbb.``: from the X on, how many b are still to come.
- ``first_bit``: remember the first input bit over a gap of noisy steps; answer at the last step.
  The long-range memory test: a plain RNN's gradient vanishes across the gap.
- ``sine``: the next value of a noisy sine (period and phase drawn per sequence), without the noise.
- ``text``: the next character of a short text about gates, written for Gatescope.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from cells.encode import Encoded, one_hot, parse_numbers, visible

TEXT = (
    "the forget gate decides what the cell keeps. the input gate decides what the cell writes. "
    "the output gate decides what the cell shows. a gru has two gates: the update gate mixes old "
    "and new, and the reset gate decides how much of the past the candidate sees. every gate is a "
    "number between zero and one."
)
MAX_LENGTH = 500


@dataclass(frozen=True, eq=False)
class Batch:
    inputs: np.ndarray  # (B, T, I)
    targets: np.ndarray  # classes (B, T) or (B,) for "last"; values (B, T, K) for "squared"
    mask: np.ndarray | None  # (B, T) 1.0 where a step counts, or None (every step counts)


def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name}: expected a whole number from {low} to {high}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Task:
    """A task: its options are the dataclass fields; subclasses say how to draw a batch."""

    NAME: ClassVar[str] = ""
    LABEL: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    LOSS: ClassVar[str] = "softmax"  # readout loss: "softmax", "sigmoid" or "squared"
    AT: ClassVar[str] = "each"  # "each" step or the "last" one
    FEATURES: ClassVar[tuple[str, ...]] = ()
    TOLERANCE: ClassVar[float] = 0.1  # a "squared" prediction within this counts as right

    TOPIC: ClassVar[str] = ""  # what a model was trained on, for labels: "LSTM trained on brackets"
    # What a unit that tracks the task's answer does, said in its sign: (correlation > 0, correlation < 0).
    # Empty where the task has no single number to follow (text).
    TRACKS: ClassVar[tuple[str, str]] = ("", "")
    # What a unit that tracks the task follows, for "No unit of h_t follows the nesting depth"; empty where there is
    # no single number to follow, and then the unit to watch is the one that swings the most (SWINGS says so).
    FOLLOWS: ClassVar[str] = ""
    SWINGS: ClassVar[str] = ("Unit {unit} of {symbol} swings the most while reading; type a sequence such as "
                             "\"{example}\" and watch its gates.")
    # Said after "No unit follows …" when the cell has no gate that keeps its old state (the plain RNN).
    LOST: ClassVar[str] = ""
    READS: ClassVar[str] = ""  # what typed text it reads, said for a user: "brackets ( and )"
    EXAMPLE: ClassVar[str] = ""  # a typed sequence that shows what a model of it does
    ANSWER: ClassVar[str] = "answer"  # what its answer is, for a column heading: "depth"

    @property
    def topic(self) -> str:
        return self.TOPIC or self.LABEL.lower()

    @property
    def features(self) -> tuple[str, ...]:
        """Names of the input columns."""
        return self.FEATURES

    @property
    def input_size(self) -> int:
        return len(self.features)

    @property
    def classes(self) -> tuple[str, ...]:
        """Names of the readout's outputs (the classes for "softmax")."""
        raise NotImplementedError

    @property
    def output_size(self) -> int:
        return len(self.classes)

    @property
    def steps(self) -> int:
        raise NotImplementedError

    def options(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        raise NotImplementedError

    def encode(self, text: str) -> Encoded:
        """A sequence typed by a user, as inputs the model reads (ValueError naming a bad character)."""
        raise NotImplementedError

    @property
    def example(self) -> str:
        """A typed sequence that shows what a model of this task does."""
        return self.EXAMPLE

    def answers(self, text: str, xs: np.ndarray) -> list[str | float | None]:
        """The right answer after each step of the typed ``text`` (inputs ``xs``, (T, I)), where this task says
        what it is, None elsewhere: a class name, or a number for value tasks."""
        return [None] * xs.shape[0]


@dataclass(frozen=True)
class Brackets(Task):
    length: int = 20
    max_depth: int = 4

    NAME: ClassVar[str] = "brackets"
    LABEL: ClassVar[str] = "Bracket depth"
    TOPIC: ClassVar[str] = "brackets"
    DESCRIPTION: ClassVar[str] = "Read ( and ); after each one, say how deeply nested the string is."
    FEATURES: ClassVar[tuple[str, ...]] = ("(", ")")
    TRACKS: ClassVar[tuple[str, str]] = ("it goes up at each ( and back down at each ), with the nesting depth",
                                         "it goes down at each ( and back up at each ), against the nesting depth")
    FOLLOWS: ClassVar[str] = "the nesting depth"
    READS: ClassVar[str] = "brackets ( and )"
    EXAMPLE: ClassVar[str] = "(()(()))((()))()"
    ANSWER: ClassVar[str] = "depth"

    def __post_init__(self) -> None:
        _whole(self.length, "length", 2, MAX_LENGTH)
        _whole(self.max_depth, "maximum depth", 1, 20)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.max_depth + 1))

    @property
    def steps(self) -> int:
        return self.length

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        """Random walks of depth: open or close with equal chance, never below 0 nor above max_depth."""
        B, T = batch_size, self.length
        coins = rng.random((B, T)) < 0.5  # (B, T) True: open
        depth = np.zeros(B, np.int64)
        depths = np.empty((B, T), np.int64)
        opens = np.empty((B, T), bool)
        for t in range(T):
            o = np.where(depth == 0, True, np.where(depth == self.max_depth, False, coins[:, t]))
            depth = depth + np.where(o, 1, -1)
            opens[:, t], depths[:, t] = o, depth
        xs = np.stack([opens, ~opens], axis=2).astype(np.float64)  # (B, T, 2)
        return Batch(xs, depths, None)

    def encode(self, text: str) -> Encoded:
        return one_hot(text, self.FEATURES)

    @staticmethod
    def depths(text: str) -> np.ndarray:
        """The true depth after each character of a bracket string, (T,) (may go below 0 for typed text)."""
        return np.cumsum([1 if c == "(" else -1 for c in text])

    def answers(self, text: str, xs: np.ndarray) -> list[str | float | None]:
        """The depth after every bracket."""
        return [str(int(d)) for d in self.depths(text)]


@dataclass(frozen=True)
class Counting(Task):
    max_count: int = 6

    NAME: ClassVar[str] = "counting"
    LABEL: ClassVar[str] = "Counting"
    TOPIC: ClassVar[str] = "counting a's and b's"
    TRACKS: ClassVar[tuple[str, str]] = ("it is higher the more b are left", "it is lower the more b are left")
    FOLLOWS: ClassVar[str] = "how many b are left"
    DESCRIPTION: ClassVar[str] = "Read n a's, an X, then n b's (aaaXbbb.); from the X on, say how many b are left."
    FEATURES: ClassVar[tuple[str, ...]] = ("a", "X", "b", ".")
    READS: ClassVar[str] = "a's, one X, then b's"
    EXAMPLE: ClassVar[str] = "aaaaXbbbb."
    ANSWER: ClassVar[str] = "b's left"

    def __post_init__(self) -> None:
        _whole(self.max_count, "maximum count", 1, 100)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(n) for n in range(self.max_count + 1))

    @property
    def steps(self) -> int:
        return 2 * self.max_count + 2

    def texts(self, counts: np.ndarray) -> list[str]:
        return [("a" * n + "X" + "b" * n).ljust(self.steps, ".") for n in counts]

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        counts = rng.integers(1, self.max_count + 1, batch_size)  # (B,)
        t = np.arange(self.steps)  # (T,)
        n = counts[:, None]  # (B, 1)
        left = np.clip(2 * n - t, 0, None)  # after the X at t = n, n b's are left; each b takes one
        mask = (t >= n).astype(np.float64)  # (B, T): from the X on
        xs = np.stack([one_hot(s, self.FEATURES).xs for s in self.texts(counts)])  # (B, T, 4)
        return Batch(xs, np.where(mask > 0, left, 0), mask)

    def encode(self, text: str) -> Encoded:
        return one_hot(text, self.FEATURES)

    def answers(self, text: str, xs: np.ndarray) -> list[str | float | None]:
        """From the X on, the b's still to come (when the text starts with a's and one X); None before."""
        T = xs.shape[0]
        out: list[str | float | None] = [None] * T
        head, sep, _ = text.partition("X")
        if sep and set(head) <= {"a"}:
            n, seen = len(head), 0
            for t in range(len(head), T):
                if t > len(head) and text[t] == "b":
                    seen += 1
                out[t] = str(max(n - seen, 0))
        return out


@dataclass(frozen=True)
class FirstBit(Task):
    gap: int = 50

    NAME: ClassVar[str] = "first_bit"
    LABEL: ClassVar[str] = "Remember the first bit"
    DESCRIPTION: ClassVar[str] = ("Read a bit, then `gap` steps of random noise bits; at the end, say what the first "
                                  "bit was.")
    TRACKS: ClassVar[tuple[str, str]] = ("it is high when the first bit was 1 and low when it was 0",
                                         "it is low when the first bit was 1 and high when it was 0")
    FOLLOWS: ClassVar[str] = "the first bit"
    LOST: ClassVar[str] = "The plain RNN lost the bit across the gap."
    AT: ClassVar[str] = "last"
    FEATURES: ClassVar[tuple[str, ...]] = ("bit", "start")
    READS: ClassVar[str] = "0s and 1s"
    EXAMPLE: ClassVar[str] = "1" + "0110100101" * 5
    ANSWER: ClassVar[str] = "first bit"

    def __post_init__(self) -> None:
        _whole(self.gap, "gap", 1, MAX_LENGTH)

    @property
    def topic(self) -> str:
        return f"remembering the first bit (gap {self.gap})"

    @property
    def classes(self) -> tuple[str, ...]:
        return ("0", "1")

    @property
    def steps(self) -> int:
        return self.gap + 1

    def _inputs(self, bits: np.ndarray) -> np.ndarray:
        """bits (B, T) of 0/1 -> inputs (B, T, 2): every bit as ±1 on one channel, "start" marking the first.

        The bit to remember and the noise after it share a channel, so nothing but the start marker
        says which bit counts: a cell must write at the start and then refuse to write for the gap.
        """
        B, T = bits.shape
        xs = np.zeros((B, T, 2))
        xs[:, :, 0] = 2.0 * bits - 1.0
        xs[:, 0, 1] = 1.0
        return xs

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        bits = rng.integers(0, 2, (batch_size, self.steps))  # (B, T)
        return Batch(self._inputs(bits), bits[:, 0].copy(), None)

    def encode(self, text: str) -> Encoded:
        """A string of 0s and 1s: the first is the bit to remember, the rest are noise."""
        enc = one_hot(text, "01")
        xs = self._inputs(enc.xs[None, :, 1])[0]
        return Encoded(xs, enc.tokens, self.features)

    @property
    def example(self) -> str:
        """A 1 to remember and noise to the end of this task's gap (at most 59 steps of it)."""
        return "1" + ("0110100101" * 6)[: min(self.gap, 59)]

    def answers(self, text: str, xs: np.ndarray) -> list[str | float | None]:
        """The first bit, at every step (the answer is asked for at the last)."""
        return [text[0]] * xs.shape[0]


@dataclass(frozen=True)
class Sine(Task):
    length: int = 40
    noise: float = 0.1
    warmup: int = 5

    NAME: ClassVar[str] = "sine"
    LABEL: ClassVar[str] = "Next value of a noisy sine"
    TOPIC: ClassVar[str] = "a noisy sine"
    TRACKS: ClassVar[tuple[str, str]] = ("it rises and falls with the next value",
                                         "it rises when the next value falls, and falls when it rises")
    FOLLOWS: ClassVar[str] = "the next value"
    DESCRIPTION: ClassVar[str] = ("Read a noisy sine wave (period 8 to 20 steps); at each step, predict the next "
                                  "value without the noise.")
    LOSS: ClassVar[str] = "squared"
    FEATURES: ClassVar[tuple[str, ...]] = ("x",)
    TOLERANCE: ClassVar[float] = 0.2
    READS: ClassVar[str] = "numbers, one per step"
    EXAMPLE: ClassVar[str] = " ".join(f"{math.sin(2 * math.pi * t / 12):.2f}" for t in range(36))
    ANSWER: ClassVar[str] = "next value"

    def __post_init__(self) -> None:
        _whole(self.length, "length", 2, MAX_LENGTH)
        _whole(self.warmup, "warm-up", 0, self.length - 1)
        if not (isinstance(self.noise, (int, float)) and 0 <= self.noise <= 1):
            raise ValueError(f"noise: expected a number from 0 to 1, got {self.noise!r}")

    @property
    def classes(self) -> tuple[str, ...]:
        return ("next x",)

    @property
    def steps(self) -> int:
        return self.length

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        B, T = batch_size, self.length
        period = rng.uniform(8, 20, (B, 1))
        phase = rng.uniform(0, 2 * math.pi, (B, 1))
        t = np.arange(T + 1)  # (T + 1,)
        clean = np.sin(2 * math.pi * t / period + phase)  # (B, T + 1)
        xs = clean[:, :T] + self.noise * rng.standard_normal((B, T))
        mask = np.ones((B, T))
        mask[:, : self.warmup] = 0.0
        return Batch(xs[:, :, None], clean[:, 1:, None], mask)

    def encode(self, text: str) -> Encoded:
        enc = parse_numbers(text)
        if enc.xs.shape[1] != 1:
            raise ValueError(f"sine: expected one number per step, got {enc.xs.shape[1]}")
        return enc

    def answers(self, text: str, xs: np.ndarray) -> list[str | float | None]:
        """The next typed value after each step; None after the last."""
        return [float(xs[t + 1, 0]) for t in range(xs.shape[0] - 1)] + [None]


@dataclass(frozen=True)
class Text(Task):
    length: int = 30
    warmup: int = 10

    NAME: ClassVar[str] = "text"
    LABEL: ClassVar[str] = "Next character"
    TOPIC: ClassVar[str] = "a text about gates"
    DESCRIPTION: ClassVar[str] = "Read a window of a short text about gates; after each character, predict the next."
    SWINGS: ClassVar[str] = ("Unit {unit} of {symbol} swings the most while reading; type a phrase from the text, "
                             "such as \"{example}\", and watch its gates and the predicted next characters.")
    READS: ClassVar[str] = "lower-case text"
    EXAMPLE: ClassVar[str] = "the input gate decides"
    ANSWER: ClassVar[str] = "next character"

    def __post_init__(self) -> None:
        _whole(self.length, "length", 2, len(TEXT) - 1)
        _whole(self.warmup, "warm-up", 0, self.length - 1)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        return tuple(sorted(set(TEXT)))

    @property
    def features(self) -> tuple[str, ...]:
        return self.vocabulary

    @property
    def classes(self) -> tuple[str, ...]:
        return self.vocabulary

    @property
    def steps(self) -> int:
        return self.length

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        T = self.length
        codes = np.array([self.vocabulary.index(c) for c in TEXT])  # (N,)
        starts = rng.integers(0, len(TEXT) - T, batch_size)  # (B,)
        window = codes[starts[:, None] + np.arange(T + 1)]  # (B, T + 1)
        xs = np.eye(len(self.vocabulary))[window[:, :T]]  # (B, T, V)
        mask = np.ones((batch_size, T))
        mask[:, : self.warmup] = 0.0
        return Batch(xs, window[:, 1:], mask)

    def encode(self, text: str) -> Encoded:
        return one_hot(text, self.vocabulary)

    def answers(self, text: str, xs: np.ndarray) -> list[str | float | None]:
        """The next typed character after each step; None after the last."""
        return [visible(text[t + 1]) for t in range(xs.shape[0] - 1)] + [None]


TASKS: dict[str, type[Task]] = {cls.NAME: cls for cls in (Brackets, Counting, FirstBit, Sine, Text)}


def make_task(name: str, **options: Any) -> Task:
    """The task called ``name`` with its options (e.g. ``make_task("first_bit", gap=50)``)."""
    if name not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(TASKS)}, got {name!r}")
    cls = TASKS[name]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(options) - known)
    if unknown:
        has = ", ".join(sorted(known)) or "none"
        raise ValueError(f"{name} task: unknown option {', '.join(unknown)}; it has {has}")
    return cls(**options)
