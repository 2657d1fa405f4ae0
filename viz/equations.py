"""The deck's equations of each cell kind, and the same equations with one unit's numbers plugged in.

Everything here returns LaTeX strings for ``st.latex``; the numbers come from ``Trace.at(t)``.
"""

from __future__ import annotations

import re

import cells

CONCAT = r"[h_{t-1}, x_t]"

_LSTM_GATES = [
    r"f_t = \sigma(W_f \cdot " + CONCAT + r" + b_f)",
    r"i_t = \sigma(W_i \cdot " + CONCAT + r" + b_i)",
    r"\tilde{C}_t = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
    r"C_t = f_t * C_{t-1} + i_t * \tilde{C}_t",
    r"o_t = \sigma(W_o \cdot " + CONCAT + r" + b_o)",
    r"h_t = o_t * \tanh(C_t)",
]
_PEEPHOLE = [
    r"f_t = \sigma(W_f \cdot " + CONCAT + r" + P_f C_{t-1} + b_f)",
    r"i_t = \sigma(W_i \cdot " + CONCAT + r" + P_i C_{t-1} + b_i)",
    r"\tilde{C}_t = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
    r"C_t = f_t * C_{t-1} + i_t * \tilde{C}_t",
    r"o_t = \sigma(W_o \cdot " + CONCAT + r" + P_o C_t + b_o)",
    r"h_t = o_t * \tanh(C_t)",
]
_COUPLED = [
    r"f_t = \sigma(W_f \cdot " + CONCAT + r" + b_f)",
    r"i_t = 1 - f_t",
    r"\tilde{C}_t = \tanh(W_C \cdot " + CONCAT + r" + b_C)",
    r"C_t = f_t * C_{t-1} + (1 - f_t) * \tilde{C}_t",
    r"o_t = \sigma(W_o \cdot " + CONCAT + r" + b_o)",
    r"h_t = o_t * \tanh(C_t)",
]
_GRU_ZR = [
    r"z_t = \sigma(W_z \cdot " + CONCAT + r" + b_z)",
    r"r_t = \sigma(W_r \cdot " + CONCAT + r" + b_r)",
    r"\tilde{h}_t = \tanh(W \cdot [r_t * h_{t-1}, x_t] + b)",
]
_GRU_DECK = [*_GRU_ZR, r"h_t = (1 - z_t) * h_{t-1} + z_t * \tilde{h}_t"]
_GRU_KERAS_V1 = [*_GRU_ZR, r"h_t = z_t * h_{t-1} + (1 - z_t) * \tilde{h}_t"]
_GRU_TORCH = [
    r"z_t = \sigma(W_z \cdot " + CONCAT + r" + b_z + b_{hz})",
    r"r_t = \sigma(W_r \cdot " + CONCAT + r" + b_r + b_{hr})",
    r"\tilde{h}_t = \tanh(W_{in} x_t + b_{in} + r_t * (W_{hn} h_{t-1} + b_{hn}))",
    r"h_t = (1 - z_t) * \tilde{h}_t + z_t * h_{t-1}",
]
_RNN = [r"h_t = \tanh(W \cdot " + CONCAT + r" + b)"]

DECK: dict[str, list[str]] = {
    "lstm": _LSTM_GATES, "peephole": _PEEPHOLE, "coupled": _COUPLED, "gru": _GRU_DECK,
    "gru_keras_v1": _GRU_KERAS_V1, "gru_torch": _GRU_TORCH, "rnn": _RNN,
}

NOTES: dict[str, str] = {
    "lstm": "The deck's LSTM: the forget gate keeps a share of the old cell state, the input gate writes "
    "a share of the candidate.",
    "peephole": "The gates also look at the cell state (P are the peephole weights; the deck writes them "
    "as extra columns of W over [C_{t-1}, h_{t-1}, x_t]).",
    "coupled": "What is forgotten is exactly what is written: the input gate is 1 − f_t, not learned.",
    "gru": "The deck's GRU: z_t is the share of the NEW candidate h̃_t; the reset gate acts before the "
    "matrix product. (The deck omits biases; here they are b_z, b_r, b.)",
    "gru_keras_v1": "Keras reset_after=False: the reset gate acts before the product as in the deck, but "
    "z_t is the share of the OLD state h_{t-1} that is kept (the deck's 1 − z_t).",
    "gru_torch": "PyTorch nn.GRU and Keras reset_after=True: z_t is the share of the OLD state h_{t-1} "
    "that is kept (the deck's 1 − z_t), and the reset gate scales W_hn·h_{t-1} + b_hn after the product.",
    "rnn": "The plain RNN: nothing decides what to keep; every step squashes the whole state.",
}


def deck_equations(kind: str) -> list[str]:
    """The equations of a ``kind`` cell, one LaTeX string per line."""
    cells.cell_class(kind)  # a ValueError naming the known kinds for anything else
    return list(DECK[kind])


def fmt(value: float, digits: int = 2) -> str:
    """A number as the step panel prints it: fixed decimals, no "-0.00"."""
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def factor(value: float, digits: int = 2) -> str:
    """A number as a factor in a product: negative numbers in parentheses."""
    text = fmt(value, digits)
    return f"({text})" if text.startswith("-") else text


def _squash(lhs: str, rule: str, fn: str, pre: float, value: float, d: int) -> str:
    return rf"{lhs} = {rule} = {fn}({fmt(pre, d)}) = {fmt(value, d)}"


def step_equations(kind: str, step: cells.Step, unit: int, digits: int = 2) -> list[str]:
    """Every equation of a ``kind`` cell at ``step`` for hidden unit ``unit``, numbers plugged in.

    E.g. ``f_t = σ(W_f·[h_{t-1}, x_t] + b_f) = σ(1.23) = 0.77`` and
    ``C_t = f_t·C_{t-1} + i_t·C̃_t = 0.77·(-0.40) + 0.31·0.92 = -0.02``.
    """
    rules = deck_equations(kind)
    H = len(step.values["hidden"])
    if not 0 <= unit < H:
        raise ValueError(f"unit: expected 0 to {H - 1}, got {unit}")
    v = {k: float(a[unit]) for k, a in step.values.items()}
    p = {k: float(a[unit]) for k, a in step.pre.items()}
    h_prev = float(step.previous.hidden[unit])
    d = digits
    rhs = [r.split(" = ", 1)[1] for r in rules]
    if kind in ("lstm", "peephole", "coupled"):
        c_prev = float(step.previous.cell[unit])
        lines = [_squash("f_t", rhs[0], r"\sigma", p["forget"], v["forget"], d)]
        if kind == "coupled":
            lines.append(rf"i_t = 1 - f_t = 1 - {fmt(v['forget'], d)} = {fmt(v['input'], d)}")
        else:
            lines.append(_squash("i_t", rhs[1], r"\sigma", p["input"], v["input"], d))
        lines += [
            _squash(r"\tilde{C}_t", rhs[2], r"\tanh", p["candidate"], v["candidate"], d),
            rf"C_t = {rhs[3]} = {factor(v['forget'], d)} \cdot {factor(c_prev, d)} + "
            rf"{factor(v['input'], d)} \cdot {factor(v['candidate'], d)} = {fmt(v['cell'], d)}",
            _squash("o_t", rhs[4], r"\sigma", p["output"], v["output"], d),
            rf"h_t = {rhs[5]} = {factor(v['output'], d)} \cdot \tanh({fmt(v['cell'], d)}) = {fmt(v['hidden'], d)}",
        ]
        return lines
    if kind in ("gru", "gru_keras_v1", "gru_torch"):
        z, r, n, h = v["update"], v["reset"], v["candidate"], v["hidden"]
        lines = [
            _squash("z_t", rhs[0], r"\sigma", p["update"], z, d),
            _squash("r_t", rhs[1], r"\sigma", p["reset"], r, d),
        ]
        if kind == "gru_torch":
            hn = v["candidate_hidden"]
            direct = p["candidate"] - r * hn  # W_in·x_t + b_in
            lines.append(rf"\tilde{{h}}_t = {rhs[2]} = \tanh({fmt(direct, d)} + {factor(r, d)} \cdot "
                         rf"{factor(hn, d)}) = \tanh({fmt(p['candidate'], d)}) = {fmt(n, d)}")
        else:
            lines.append(_squash(r"\tilde{h}_t", rhs[2], r"\tanh", p["candidate"], n, d))
        if kind == "gru":
            nums = rf"(1 - {fmt(z, d)}) \cdot {factor(h_prev, d)} + {factor(z, d)} \cdot {factor(n, d)}"
        elif kind == "gru_keras_v1":
            nums = rf"{factor(z, d)} \cdot {factor(h_prev, d)} + (1 - {fmt(z, d)}) \cdot {factor(n, d)}"
        else:
            nums = rf"(1 - {fmt(z, d)}) \cdot {factor(n, d)} + {factor(z, d)} \cdot {factor(h_prev, d)}"
        lines.append(rf"h_t = {rhs[3]} = {nums} = {fmt(h, d)}")
        return lines
    return [_squash("h_t", rhs[0], r"\tanh", p["hidden"], v["hidden"], d)]


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


def deck_columns(kind: str, widest: int = 26) -> list[str]:
    """The deck's equations of ``kind`` as one aligned block per column: two columns when every rule
    is short, else one, so no equation runs off a narrow screen."""
    rules = deck_equations(kind)
    if len(rules) > 1 and max(visible_length(r) for r in rules) <= widest:
        half = (len(rules) + 1) // 2
        return [aligned_block(rules[:half]), aligned_block(rules[half:])]
    return [aligned_block(rules)]
