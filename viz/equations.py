"""The deck's equations of each cell kind, and the same equations with one unit's numbers plugged in.

Everything here returns LaTeX strings for ``st.latex``; the numbers come from ``Trace.at(t)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

import cells

# Each kind's module holds its lecture equations (EQUATIONS), its note (NOTE) and its numbers template
# (NUMBERS); these tables are views of the registry.
DECK: dict[str, list[str]] = {kind: list(cls.EQUATIONS) for kind, cls in cells.KINDS.items()}
NOTES: dict[str, str] = {kind: cls.NOTE for kind, cls in cells.KINDS.items()}


def deck_equations(kind: str, gate_activation: str = "sigmoid") -> list[str]:
    """The equations of a ``kind`` cell, one LaTeX string per line (σ written σ̂ for a hard sigmoid)."""
    return list(cells.cell_class(kind).templates(gate_activation)[0])  # a ValueError naming the known kinds


def fmt(value: float, digits: int = 2) -> str:
    """A number as the step panel prints it: fixed decimals, no "-0.00"."""
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def factor(value: float, digits: int = 2) -> str:
    """A number as a factor in a product: negative numbers in parentheses."""
    text = fmt(value, digits)
    return f"({text})" if text.startswith("-") else text


@dataclass(frozen=True)
class Equation:
    """One equation of a cell at one step: ``lhs = rule = numbers = result``.

    ``numbers`` is LaTeX with slots ``%{name}`` (the number, as ``fmt`` prints it) and ``%{name:f}``
    (as a factor: negative numbers in parentheses), filled from one unit's values at one step:
    ``name`` is a recorded value (``forget``), a pre-activation (``pre.forget``), the state before the
    step (``prev.hidden``, ``prev.cell``) or one the kind derives (``direct``). ``result`` names the
    slot the equation ends on. The server fills slots for ``st.latex``; the gate view fills the same
    template in the browser, so both show the same numbers.
    """

    lhs: str
    rule: str
    numbers: str
    result: str


SLOT = re.compile(r"%\{([a-z_.]+)(:f)?\}")


def _derived(kind: str, values: Mapping[str, np.ndarray], pre: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Numbers a kind's equations show that the trace does not record (the kind's ``derived``)."""
    return dict(cells.cell_class(kind).derived(values, pre))


def equations(kind: str, gate_activation: str = "sigmoid") -> list[Equation]:
    """The equations of a ``kind`` cell as templates: the lecture's rule, and slots for the numbers.

    ``gate_activation`` (a trace's) names what squashes the gates: for a hard sigmoid the rule and the
    numbers write σ̂ where the lecture writes σ (σ̂(−0.23) = 0.45), so every page that fills them says so."""
    rules, numbers = cells.cell_class(kind).templates(gate_activation)
    return [Equation(lhs, rule.split(" = ", 1)[1], template, result)
            for (lhs, template, result), rule in zip(numbers, rules, strict=True)]


def slot_names(kind: str) -> list[str]:
    """Every slot the equations of ``kind`` fill, results included, each once, in order of use."""
    names: dict[str, None] = {}
    for eq in equations(kind):
        for match in SLOT.finditer(eq.numbers):
            names[match.group(1)] = None
        names[eq.result] = None
    return list(names)


def slot_values(kind: str, values: Mapping[str, np.ndarray], pre: Mapping[str, np.ndarray],
                previous_hidden: np.ndarray, previous_cell: np.ndarray | None) -> dict[str, np.ndarray]:
    """The arrays (any shape: (H,) for a step, (T, H) for a trace) that fill the slots of ``kind``."""
    pool: dict[str, np.ndarray] = {**values, **{f"pre.{k}": v for k, v in pre.items()},
                                   "prev.hidden": previous_hidden, **_derived(kind, values, pre)}
    if previous_cell is not None:
        pool["prev.cell"] = previous_cell
    return {name: pool[name] for name in slot_names(kind)}


def fill(template: str, numbers: Mapping[str, float], digits: int = 2) -> str:
    """``template`` with every slot replaced by its number."""
    return SLOT.sub(lambda m: (factor if m.group(2) else fmt)(numbers[m.group(1)], digits), template)


def step_equations(kind: str, step: cells.Step, unit: int, digits: int = 2, gate_activation: str = "sigmoid"
                   ) -> list[str]:
    """Every equation of a ``kind`` cell at ``step`` for hidden unit ``unit``, numbers plugged in.

    E.g. ``f_t = σ(W_f·[h_{t-1}, x_t] + b_f) = σ(1.23) = 0.77`` and
    ``C_t = f_t·C_{t-1} + i_t·C̃_t = 0.77·(-0.40) + 0.31·0.92 = -0.02``. A value with fewer numbers
    than the units (h_t of a projection, P < H) shows its last one for the units past its end, as
    the gate view does.
    """
    H = len(next(iter(step.pre.values())))  # the units: every gate has one number per unit
    if not 0 <= unit < H:
        raise ValueError(f"unit: expected 0 to {H - 1}, got {unit}")
    arrays = slot_values(kind, step.values, step.pre, step.previous.hidden, step.previous.cell)
    numbers = {name: float(a[min(unit, len(a) - 1)]) for name, a in arrays.items()}
    return [f"{eq.lhs} = {eq.rule} = {fill(eq.numbers, numbers, digits)} = {fmt(numbers[eq.result], digits)}"
            for eq in equations(kind, gate_activation)]


def visible_length(latex: str) -> int:
    """Roughly how many glyphs ``latex`` draws (commands and braces dropped), to size columns."""
    return len(re.sub(r"\\[a-zA-Z]+|[{}_^ ]", "", latex))


def rows(line: str, wrap: int = 24) -> list[str]:
    """An equation as rows of an ``aligned`` block: the rule first, then ``= numbers = result``,
    the numbers and the result on rows of their own when together they are longer than ``wrap`` glyphs."""
    parts = line.split(" = ")
    if len(parts) < 3:
        return [f"{parts[0]} &= {' = '.join(parts[1:])}" if len(parts) == 2 else line]
    lhs, rule, rest = parts[0], parts[1], parts[2:]
    if visible_length(" = ".join(rest)) <= wrap:
        return [f"{lhs} &= {rule}", "&= " + " = ".join(rest)]
    return [f"{lhs} &= {rule}", *(f"&= {part}" for part in rest)]


def aligned(line: str) -> str:
    """A long plugged-in equation on several lines: the rule, then ``= numbers = result`` under it."""
    if len(line.split(" = ")) < 3:
        return line
    return r"\begin{aligned} " + r" \\ ".join(rows(line)) + r" \end{aligned}"


def aligned_block(lines: list[str], gap: str = "6pt") -> str:
    """Several equations in one ``aligned`` block, their = signs lined up, a little space between them."""
    body = f" \\\\[{gap}] ".join(r" \\ ".join(rows(line)) for line in lines)
    return r"\begin{aligned} " + body + r" \end{aligned}"


def deck_columns(kind: str, widest: int = 26, gate_activation: str = "sigmoid") -> list[str]:
    """The deck's equations of ``kind`` as one aligned block per column: two columns when every rule
    is short, else one, so no equation runs off a narrow screen."""
    rules = deck_equations(kind, gate_activation)
    if len(rules) > 1 and max(visible_length(r) for r in rules) <= widest:
        half = (len(rules) + 1) // 2
        return [aligned_block(rules[:half]), aligned_block(rules[half:])]
    return [aligned_block(rules)]


_HTML_WORDS = {r"\Delta ": "Δ", r"\hat{\sigma}": "σ̂", r"\sigma": "σ",
               r"\tanh": "tanh", r"\cdot": "·", r"\tilde{C}": "C̃", r"\tilde{h}": "h̃"}
_SCRIPT = re.compile(r"([_^])(\{[^{}]*\}|.)")


def html(latex: str) -> str:
    """An equation template as HTML for the browser's step panel: ``f_{t-1}`` becomes
    ``f<sub>t-1</sub>``, ``\\sigma`` σ, ``*`` ∗; slots (``%{forget:f}``) are kept as they are."""
    slots: list[str] = []

    def keep(match: re.Match) -> str:
        slots.append(match.group(0))
        return f"\x00{len(slots) - 1}\x00"

    text = SLOT.sub(keep, latex)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for word, glyph in _HTML_WORDS.items():
        text = text.replace(word, glyph)
    text = _SCRIPT.sub(lambda m: f"<{'sub' if m.group(1) == '_' else 'sup'}>{m.group(2).strip('{}')}"
                                 f"</{'sub' if m.group(1) == '_' else 'sup'}>", text)
    text = text.replace("*", "∗").replace("{", "").replace("}", "").replace(" - ", " − ")
    return re.sub("\x00(\\d+)\x00", lambda m: slots[int(m.group(1))], text)
