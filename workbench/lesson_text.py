"""A lesson stop's words, read from its Markdown file in lessons/, and the numbers they quote filled in.

A teacher edits a stop without touching Python. Each file is::

    # The stop's title

    The paragraph (Markdown, with $…$ maths). Numbers that come from a model are never typed: they are
    named placeholders such as {first_bit_rnn.accuracy:.0%} or {knob.default:g}, filled when the page
    shows the stop, so a retrained model never leaves the lesson saying something false.

    ## Equation

    $$
    C_t = f_t * C_{t-1} + ==i_t * \\tilde{C}_t==
    $$

    ## Try this

    What to do with the stop's slider, and what to look for.

In the equation, ``==…==`` marks the term the stop is about (drawn on a coloured box); several ``$$`` blocks
are set on rows of their own. A placeholder is ``{name.part…}`` with an optional Python format after a
colon, or ``pow10`` for a power of ten written as such (10⁻¹⁸); which names there are is said by whoever
fills it (``workbench.lessons.quote``). Outside maths a minus sign is written as the typographic one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LESSONS = Path(__file__).parents[1] / "lessons"
HIGHLIGHT = "#ffe27a"  # the colour behind the term a stop is about
PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*(?:\.[\w]+)+)(?::([^{}]*))?\}")
_MARKED = re.compile(r"==(.+?)==")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def mark(tex: str) -> str:
    """``tex`` on a coloured box: the term of the equation this stop is about."""
    return rf"\colorbox{{{HIGHLIGHT}}}{{$\displaystyle {tex}$}}"


def lines(*rows: str) -> str:
    """Equations on rows of their own, centred, so a long set fits a projector's width."""
    return r"\begin{gathered} " + r" \\[6pt] ".join(rows) + r" \end{gathered}"


@dataclass(frozen=True)
class Content:
    """A stop's words as its file has them: the paragraph and the prompt still hold their placeholders."""

    title: str
    explanation: str
    equation: str  # LaTeX for st.latex, the marked terms on their coloured boxes
    try_this: str


def _paragraphs(lines_: list[str]) -> str:
    """Markdown lines as the page draws them: the lines of a paragraph joined by spaces, paragraphs by a blank
    line."""
    paragraphs, current = [], []
    for line in [*lines_, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join(paragraphs)


def parse(text: str, where: str) -> Content:
    """A stop file's parts, or a ValueError naming the file (``where``) and what it lacks."""
    rows = text.splitlines()
    if not rows or not rows[0].startswith("# "):
        raise ValueError(f"{where}: expected a first line '# Title'")
    sections: dict[str, list[str]] = {"": []}
    name = ""
    for row in rows[1:]:
        if row.startswith("## "):
            name = row[3:].strip().lower()
            sections[name] = []
        else:
            sections[name].append(row)
    for wanted in ("equation", "try this"):
        if wanted not in sections:
            raise ValueError(f"{where}: expected a section '## {wanted.capitalize()}'")
    blocks = re.findall(r"\$\$(.+?)\$\$", "\n".join(sections["equation"]), flags=re.S)
    if not blocks:
        raise ValueError(f"{where}: the Equation section needs at least one $$ … $$ block")
    equations = [_MARKED.sub(lambda m: mark(m.group(1)), " ".join(b.split())) for b in blocks]
    explanation, try_this = _paragraphs(sections[""]), _paragraphs(sections["try this"])
    if not explanation or not try_this:
        raise ValueError(f"{where}: expected a paragraph under the title and one under '## Try this'")
    return Content(rows[0][2:].strip(), explanation, equations[0] if len(equations) == 1 else lines(*equations),
                   try_this)


def read(slug: str, folder: Path = LESSONS) -> Content:
    """The stop ``slug``'s file, lessons/<slug>.md, parsed."""
    path = folder / f"{slug}.md"
    if not path.is_file():
        raise ValueError(f"lesson stop {slug!r}: expected its words in {path}")
    return parse(path.read_text(encoding="utf-8"), f"lessons/{slug}.md")


def number(value: float, spec: str) -> str:
    """``value`` as a placeholder's format says (``pow10``: the nearest power of ten, as 10⁻¹⁸)."""
    if spec == "pow10":
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"pow10 needs a positive number, got {value!r}")
        return "10" + str(round(math.log10(value))).translate(_SUPERSCRIPT)
    return format(value, spec)


def placeholders(text: str) -> list[tuple[str, str]]:
    """(name, format) of every placeholder in ``text``, in order."""
    return [(m.group(1), m.group(2) or "") for m in PLACEHOLDER.finditer(text)]


def fill(text: str, quote: Callable[[str], float], where: str) -> str:
    """``text`` with every placeholder replaced by the number ``quote(name)`` gives, formatted; a ValueError
    naming ``where`` and the placeholder when a name is unknown or its format does not fit."""
    def one(m: re.Match[str]) -> str:
        name, spec = m.group(1), m.group(2) or ""
        try:
            shown = number(quote(name), spec)
        except (ValueError, TypeError, KeyError, IndexError) as e:
            raise ValueError(f"{where}: {m.group(0)}: {e}") from None
        in_maths = text[: m.start()].replace(r"\$", "").count("$") % 2 == 1
        return shown if in_maths else shown.replace("-", "−")
    return PLACEHOLDER.sub(one, text)
