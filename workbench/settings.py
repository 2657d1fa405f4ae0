"""The page's settings: limits, defaults, and their share-link (query string) encoding.

Pure Python, no Streamlit: ``from_query`` turns a query string into widget values and a list of
what was wrong; ``to_query`` does the reverse. Anything malformed or out of range is reported and
left at its default, never passed on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import cells
from cells import encode
from workbench import keys
from workbench.literal import literal

MAX_STEPS = encode.MAX_STEPS  # longest sequence the pages run: the encoders' own limit, so both say one number
MAX_HIDDEN = 64
MAX_LAYERS = 4
MAX_EMBED = 64
MAX_SEED = 2**31 - 1
MIN_SCALE, MAX_SCALE = 0.01, 20.0
MAX_TEXT = 100_000  # characters in the sequence box (vectors take several per step)
# Longest sequence a share link carries. With the weights parameter (up to 8,000 characters) and the
# other settings, a link Gatescope writes stays under about 12,500 characters, which browsers, chat
# apps and proxies pass on whole; a longer sequence is left out of the link, and the page says so.
MAX_LINK_TEXT = 4_000

MODES = {"onehot": "characters, one-hot", "embed": "characters, embedded", "numbers": "numbers"}
# How a drawn network's first weights are picked, said for a student (cells.SCHEMES has the details).
SCHEME_LABELS = {"pytorch": "PyTorch's default", "xavier": "Xavier (Glorot)", "orthogonal": "Keras' default"}
DIRECTIONS = ("forward", "backward")


def _sine_text(steps: int = 48, period: float = 16.0) -> str:
    words = (f"{v:.2f}" for v in encode.sine(steps, period=period).xs[:, 0])
    return " ".join("0.00" if w == "-0.00" else w for w in words)


# name -> (mode, text)
EXAMPLES: dict[str, tuple[str, str]] = {
    "hello world": ("onehot", "hello world"),
    "brackets (()(()))()": ("onehot", "(()(()))()"),
    "aaaaXbbbb": ("onehot", "aaaaXbbbb"),
    "impulse 1 0 0 0 0 0 0 0": ("numbers", "1 0 0 0 0 0 0 0"),
    "sine wave": ("numbers", _sine_text()),
}

DEFAULTS: dict[str, Any] = {
    keys.EXPLORE.seq_mode: "onehot",
    keys.EXPLORE.seq_text: "hello world",
    keys.EXPLORE.embed_size: 8,
    keys.EXPLORE.embed_seed: 0,
    keys.EXPLORE.net_kind: "lstm",
    keys.EXPLORE.net_hidden: 8,
    keys.EXPLORE.net_seed: 0,
    keys.EXPLORE.net_scheme: "pytorch",
    keys.EXPLORE.net_scale: 1.0,
    keys.EXPLORE.net_bidirectional: False,
    keys.EXPLORE.net_layers: 1,
    keys.EXPLORE.view_layer: 0,
    keys.EXPLORE.view_direction: "forward",
    keys.EXPLORE.cursor.step: 0,
    keys.EXPLORE.cursor.unit: 0,
}


def _whole(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected a whole number from {lo} to {hi}") from None
        if not lo <= value <= hi:
            raise ValueError(f"expected a whole number from {lo} to {hi}")
        return value
    return parse


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number from {MIN_SCALE} to {MAX_SCALE:g}") from None
    if not (math.isfinite(value) and MIN_SCALE <= value <= MAX_SCALE):
        raise ValueError(f"expected a number from {MIN_SCALE} to {MAX_SCALE:g}")
    return value


def _choice(options: Mapping[str, Any] | tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return text
    return parse


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected 1 or 0")


def _text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise ValueError(f"{len(text):,} characters is over the limit of {MAX_TEXT:,}")
    return text




@dataclass(frozen=True)
class Field:
    query: str  # name in the query string
    key: str  # widget key in session state
    parse: Callable[[str], Any]
    show: Callable[[Any], str] = str


FIELDS: tuple[Field, ...] = (
    Field("mode", keys.EXPLORE.seq_mode, _choice(MODES)),
    Field("seq", keys.EXPLORE.seq_text, _text),
    Field("esize", keys.EXPLORE.embed_size, _whole(1, MAX_EMBED)),
    Field("eseed", keys.EXPLORE.embed_seed, _whole(0, MAX_SEED)),
    Field("kind", keys.EXPLORE.net_kind, _choice(cells.KINDS)),
    Field("hidden", keys.EXPLORE.net_hidden, _whole(1, MAX_HIDDEN)),
    Field("seed", keys.EXPLORE.net_seed, _whole(0, MAX_SEED)),
    Field("init", keys.EXPLORE.net_scheme, _choice(cells.SCHEMES)),
    Field("scale", keys.EXPLORE.net_scale, _scale, lambda v: f"{v:g}"),
    Field("bidir", keys.EXPLORE.net_bidirectional, _flag, lambda v: "1" if v else "0"),
    Field("layers", keys.EXPLORE.net_layers, _whole(1, MAX_LAYERS)),
    Field("layer", keys.EXPLORE.view_layer, _whole(0, MAX_LAYERS - 1)),
    Field("dir", keys.EXPLORE.view_direction, _choice(DIRECTIONS)),
    Field("t", keys.EXPLORE.cursor.step, _whole(0, MAX_STEPS - 1)),
    Field("unit", keys.EXPLORE.cursor.unit, _whole(0, MAX_HIDDEN - 1)),
)
BY_QUERY = {f.query: f for f in FIELDS}


def _shorten(text: str, limit: int = 40) -> str:
    """The value as a message quotes it: as typed (see ``literal``), cut short when long."""
    return f"'{literal(text, limit)}'" + (f" ({len(text):,} characters)" if len(text) > limit else "")


def from_query(params: Mapping[str, str | list[str]], fields: tuple[Field, ...] = FIELDS,
               defaults: Mapping[str, Any] = DEFAULTS) -> tuple[dict[str, Any], list[str]]:
    """Widget values from a share link's query string, and one message per value that was refused.

    Unknown names are ignored; a refused value keeps its widget's default. Pages with their own
    settings pass their own ``fields`` and ``defaults``.
    """
    by_query = BY_QUERY if fields is FIELDS else {f.query: f for f in fields}
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, raw in params.items():
        field = by_query.get(name)
        if field is None:
            continue
        text = raw[-1] if isinstance(raw, list) else raw
        if not isinstance(text, str):
            continue
        try:
            values[field.key] = field.parse(text)
        except ValueError as e:
            errors.append(f"Link: {name}={_shorten(text)} was not used ({e}); "
                          f"kept {field.show(defaults[field.key])!r}.")
    return values, errors


def to_query(values: Mapping[str, Any], fields: tuple[Field, ...] = FIELDS,
             defaults: Mapping[str, Any] = DEFAULTS) -> dict[str, str]:
    """The query string of ``values`` (widget key -> value): every setting that differs from its default."""
    query = {}
    for field in fields:
        if field.key in values and values[field.key] != defaults[field.key]:
            query[field.query] = field.show(values[field.key])
    return query
