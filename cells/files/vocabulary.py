"""A model's vocabulary: which token each embedding row (and each output of the head) stands for.

A vocabulary comes as a JSON list of tokens in index order, a JSON object mapping token -> index,
or a text file with one token a line. When every token is one character (an unknown token such as
``<unk>`` aside) the model reads text character by character; otherwise it reads words separated by
white space. A vocabulary with an unknown token (one of ``UNKNOWN``) reads every token it lacks as that
one, as a model trained with it expects; without one, a token it lacks is a ValueError naming it and
its position (counted from 1, as a reader does).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence

import numpy as np

MAX_TOKENS = 100_000  # a word-level model's vocabulary; every page and the browser handle this many
MAX_TOKEN_CHARS = 100  # characters in one token
MAX_CHARS = 2_000_000  # characters in all tokens together
MAX_BYTES = 10_000_000
UNKNOWN = ("<unk>", "[UNK]", "<UNK>")  # the names an unknown token goes by, the first found wins


def _checked(tokens: Sequence[object], where: str) -> list[str]:
    if not 1 <= len(tokens) <= MAX_TOKENS:
        raise ValueError(f"{where}: expected 1 to {MAX_TOKENS:,} tokens, got {len(tokens):,}")
    out = []
    for k, token in enumerate(tokens):
        if not isinstance(token, str) or token == "":
            raise ValueError(f"{where}: token {k} should be non-empty text, got {token!r}")
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError(f"{where}: token {k} has {len(token):,} characters, more than the limit of "
                             f"{MAX_TOKEN_CHARS}")
        out.append(token)
    if sum(map(len, out)) > MAX_CHARS:
        raise ValueError(f"{where}: its tokens hold more than the limit of {MAX_CHARS:,} characters")
    if not by_characters(out):  # words: text is split at white space, so a token holding some is never read
        for k, token in enumerate(out):
            if any(c.isspace() for c in token):
                raise ValueError(f"{where}: token {k}, {token!r}, holds white space; a vocabulary of words reads "
                                 "text split at white space, so it could never be typed")
    seen: dict[str, int] = {}
    for k, token in enumerate(out):
        if token in seen:
            raise ValueError(f"{where}: token {token!r} appears twice, at index {seen[token]} and {k}")
        seen[token] = k
    return out


def from_mapping(mapping: Mapping[object, object], where: str = "vocabulary") -> list[str]:
    """Tokens in index order from a {token: index} map whose indices are 0, 1, … V-1, each once."""
    if len(mapping) > MAX_TOKENS:
        raise ValueError(f"{where}: expected 1 to {MAX_TOKENS:,} tokens, got {len(mapping):,}")
    by_index: dict[int, str] = {}
    for token, index in mapping.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"{where}: the index of {token!r} should be a whole number, got {index!r}")
        if int(index) in by_index:
            raise ValueError(f"{where}: index {int(index)} is given to both {by_index[int(index)]!r} and {token!r}")
        by_index[int(index)] = token  # type: ignore[assignment]
    if sorted(by_index) != list(range(len(by_index))):
        missing = sorted(set(range(len(by_index))) - set(by_index))
        raise ValueError(f"{where}: expected indices 0 to {len(by_index) - 1}, each once; "
                         f"{'index ' + str(missing[0]) + ' is missing' if missing else 'an index is out of range'}")
    return _checked([by_index[k] for k in range(len(by_index))], where)


def from_text(text: str, where: str = "vocabulary") -> list[str]:
    """Tokens from a vocabulary file's text: JSON (a list, or a token -> index object), else one token a line."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: looks like JSON but is not valid: {e.msg} at line {e.lineno}") from None
        except RecursionError:
            raise ValueError(f"{where}: JSON nested too deeply; expected a list of tokens or a token -> index "
                             "object") from None
        return parse(value, where)
    if text.count("\n") > MAX_TOKENS:  # counted before a million lines become a million strings
        raise ValueError(f"{where}: expected 1 to {MAX_TOKENS:,} tokens, got more than {MAX_TOKENS:,} lines")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    lines = [line.removesuffix("\r") for line in lines]
    for k, line in enumerate(lines):
        if line == "":
            raise ValueError(f"{where}: line {k + 1} is empty; one token a line (write a newline token in a "
                             "JSON list instead)")
    return _checked(lines, where)


def parse(value: object, where: str = "vocabulary") -> list[str]:
    """A vocabulary from a list of tokens, a {token: index} map, a file's bytes, or a path to a file."""
    if isinstance(value, Mapping):
        return from_mapping(value, where)
    if isinstance(value, (bytes, bytearray)):
        if len(value) > MAX_BYTES:
            raise ValueError(f"{where}: larger than the limit of {MAX_BYTES:,} bytes")
        try:
            return from_text(bytes(value).decode("utf-8"), where)
        except UnicodeDecodeError:
            raise ValueError(f"{where}: expected UTF-8 text") from None
    if isinstance(value, (str, os.PathLike)):
        try:
            if os.path.getsize(value) > MAX_BYTES:
                raise ValueError(f"{where}: larger than the limit of {MAX_BYTES:,} bytes")
            with open(value, "rb") as f:
                return parse(f.read(), where)
        except OSError as e:
            raise ValueError(f"{where}: cannot read {os.fspath(value)!r} as a vocabulary file "
                             f"({e.strerror or e})") from None
    if isinstance(value, (list, tuple)):
        return _checked(list(value), where)
    raise ValueError(f"{where}: expected a list of tokens, a token -> index map, or a vocabulary file, "
                     f"got {type(value).__name__}")


def unknown_token(vocabulary: Sequence[str]) -> str | None:
    """The token that stands for every token the vocabulary lacks (``<unk>``, ``[UNK]``, ``<UNK>``), or None."""
    present = set(vocabulary)
    return next((t for t in UNKNOWN if t in present), None)


def by_characters(vocabulary: Sequence[str]) -> bool:
    """Whether text is read character by character (every token one character but an unknown token), else
    word by word."""
    unknown = unknown_token(vocabulary)
    chars = [token for token in vocabulary if token != unknown]
    return bool(chars) and all(len(token) == 1 for token in chars)


def split(text: str, vocabulary: Sequence[str]) -> list[str]:
    """``text`` cut into the tokens this vocabulary reads: characters, or white-space separated words."""
    return list(text) if by_characters(vocabulary) else text.split()


def ids(text: str, vocabulary: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The tokens of ``text`` and their indices, (T,). A token the vocabulary lacks gets the unknown token's
    index when it has one; else a ValueError names the first such token."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string, got {type(text).__name__}")
    index = {token: k for k, token in enumerate(vocabulary)}
    tokens = split(text, vocabulary)
    if not tokens:
        raise ValueError("text: expected at least one token, got none")
    what = "character" if by_characters(vocabulary) else "word"
    unknown = unknown_token(vocabulary)
    if unknown is not None:
        fallback = index[unknown]
        return tokens, np.fromiter((index.get(t, fallback) for t in tokens), dtype=np.int64, count=len(tokens))
    out = np.empty(len(tokens), dtype=np.int64)
    for position, token in enumerate(tokens):
        k = index.get(token)
        if k is None:
            shown = "".join(vocabulary[:40]) if what == "character" else ", ".join(vocabulary[:8])
            more = "…" if len(vocabulary) > (40 if what == "character" else 8) else ""
            raise ValueError(f"unknown {what} {token!r} at step {position}: the vocabulary has "
                             f"{len(vocabulary)} tokens ({shown!r}{more})")
        out[position] = k
    return tokens, out
