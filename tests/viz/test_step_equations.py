"""The step panel's equations: the deck's rules with one unit's numbers plugged in."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cells
from viz.equations import (
    NOTES,
    SLOT,
    aligned,
    aligned_block,
    deck_columns,
    deck_equations,
    equations,
    factor,
    fmt,
    rows,
    step_equations,
    visible_length,
)


def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def one(v: float) -> np.ndarray:
    return np.array([v])


def lstm_step() -> cells.Step:
    """Unit 0 with f = σ(1.23), i = 0.31, C̃ = 0.92, C_{t-1} = -0.40, o = σ(0.5), all by hand."""
    pre_f, pre_i, pre_c, pre_o = 1.23, math.log(0.31 / 0.69), math.atanh(0.92), 0.5
    f, i, g, o = sigmoid(pre_f), sigmoid(pre_i), math.tanh(pre_c), sigmoid(pre_o)
    c = f * -0.40 + i * g  # -0.0243
    h = o * math.tanh(c)  # -0.0151
    values = {"forget": f, "input": i, "candidate": g, "output": o, "cell": c, "cell_tanh": math.tanh(c), "hidden": h}
    return cells.Step(
        t=3, x=one(1.0), previous=cells.State(one(0.1), one(-0.40)), concat=np.array([0.1, 1.0]),
        pre={"forget": one(pre_f), "input": one(pre_i), "candidate": one(pre_c), "output": one(pre_o)},
        values={k: one(v) for k, v in values.items()},
    )


def test_lstm_numbers_match_a_hand_computation() -> None:
    lines = step_equations("lstm", lstm_step(), 0)
    assert lines[0] == r"f_t = \sigma(W_f \cdot [h_{t-1}, x_t] + b_f) = \sigma(1.23) = 0.77"
    assert lines[1] == r"i_t = \sigma(W_i \cdot [h_{t-1}, x_t] + b_i) = \sigma(-0.80) = 0.31"
    assert lines[2] == r"\tilde{C}_t = \tanh(W_C \cdot [h_{t-1}, x_t] + b_C) = \tanh(1.59) = 0.92"
    assert lines[3] == r"C_t = f_t * C_{t-1} + i_t * \tilde{C}_t = 0.77 \cdot (-0.40) + 0.31 \cdot 0.92 = -0.02"
    assert lines[4] == r"o_t = \sigma(W_o \cdot [h_{t-1}, x_t] + b_o) = \sigma(0.50) = 0.62"
    assert lines[5] == r"h_t = o_t * \tanh(C_t) = 0.62 \cdot \tanh(-0.02) = -0.02"


def gru_step(z: float, r: float, n: float, h_prev: float, h: float, hn: float = 0.0) -> cells.Step:
    values = {"update": z, "reset": r, "candidate": n, "hidden": h, "reset_hidden": r * h_prev,
              "candidate_hidden": hn}
    pre = {"update": math.log(z / (1 - z)), "reset": math.log(r / (1 - r)), "candidate": math.atanh(n)}
    return cells.Step(t=0, x=one(0.0), previous=cells.State(one(h_prev)), concat=np.array([h_prev, 0.0]),
                      pre={k: one(v) for k, v in pre.items()}, values={k: one(v) for k, v in values.items()})


def test_deck_gru_mixes_in_z_of_the_new_candidate() -> None:
    z, h_prev, n = 0.9, 0.5, -0.2
    h = (1 - z) * h_prev + z * n  # 0.05 - 0.18 = -0.13
    line = step_equations("gru", gru_step(z, 0.5, n, h_prev, h), 0)[-1]
    assert line.endswith(r"= (1 - 0.90) \cdot 0.50 + 0.90 \cdot (-0.20) = -0.13")


def test_pytorch_gru_keeps_z_of_the_old_state() -> None:
    z, r, h_prev, n, hn = 0.9, 0.5, 0.5, -0.2, 0.4
    h = (1 - z) * n + z * h_prev  # -0.02 + 0.45 = 0.43
    lines = step_equations("gru_torch", gru_step(z, r, n, h_prev, h, hn), 0)
    assert lines[-1].endswith(r"= (1 - 0.90) \cdot (-0.20) + 0.90 \cdot 0.50 = 0.43")
    # the candidate splits its argument: W_in x + b_in, then r times (W_hn h + b_hn)
    direct = math.atanh(n) - r * hn  # -0.2027 - 0.2 = -0.40
    assert rf"\tanh({fmt(direct)} + 0.50 \cdot 0.40) = \tanh(-0.20) = -0.20" in lines[2]
    assert "OLD" in NOTES["gru_torch"] and "OLD" in NOTES["gru_keras_v1"] and "NEW" in NOTES["gru"]


def test_keras_reset_before_gru_keeps_z_of_the_old_state() -> None:
    z, h_prev, n = 0.9, 0.5, -0.2
    h = z * h_prev + (1 - z) * n
    line = step_equations("gru_keras_v1", gru_step(z, 0.5, n, h_prev, h), 0)[-1]
    assert line.endswith(r"= 0.90 \cdot 0.50 + (1 - 0.90) \cdot (-0.20) = 0.43")


def test_coupled_lstm_input_is_one_minus_forget() -> None:
    step = lstm_step()
    values = {**step.values, "input": 1 - step.values["forget"]}
    coupled = cells.Step(step.t, step.x, step.previous, step.concat,
                         {k: v for k, v in step.pre.items() if k != "input"}, values)
    assert step_equations("coupled", coupled, 0)[1] == r"i_t = 1 - f_t = 1 - 0.77 = 0.23"


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_kind_plugs_in_its_own_engine_numbers(kind: str) -> None:
    trace = cells.Network.create(kind, 2, 3, seed=2).run(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])) \
        .layers[0].forward
    step = trace.at(2)
    lines = step_equations(kind, step, 1)
    assert len(lines) == len(deck_equations(kind))
    h = trace.values["hidden"][2]  # P numbers: for a projection (P < H) unit 1 may be past h_t's end
    assert lines[-1].endswith(f"= {fmt(h[min(1, len(h) - 1)])}")
    for rule, line in zip(deck_equations(kind), lines, strict=True):
        assert line.startswith(rule.split(" = ")[0])


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_line_of_the_step_panel_plugs_in_numbers(kind: str) -> None:
    """No line repeats its rule where the numbers go (the projection's h_t once read "W_hr · m_t" twice)."""
    for eq in equations(kind):
        assert SLOT.search(eq.numbers), f"{kind} {eq.lhs}: {eq.numbers!r} has no number to plug in"


def test_the_projection_writes_h_t_as_the_length_of_m_t_times_w_hr_along_it() -> None:
    trace = cells.Network.create("lstmp", 2, 6, seed=4).run(np.eye(2)[[0, 1, 1, 0]]).layers[0].forward
    m, h = trace.values["unprojected"][2], trace.values["hidden"][2]  # (6,), (3,)
    for unit in (0, 5):  # unit 5 is past h_t's 3 numbers: its last one
        line = step_equations("lstmp", trace.at(2), unit)[-1]
        p = min(unit, len(h) - 1)
        norm, along = float(np.linalg.norm(m)), h[p] / np.linalg.norm(m)
        assert line == (rf"h_t = W_{{hr}} \cdot m_t = {fmt(norm)} \cdot {factor(along)} = {fmt(h[p])}"), line


def test_numbers_never_print_minus_zero_and_bad_units_are_refused() -> None:
    assert fmt(-0.001) == "0.00" and fmt(-0.4) == "-0.40"
    with pytest.raises(ValueError, match="unit"):
        step_equations("lstm", lstm_step(), 1)
    with pytest.raises(ValueError, match="cell kind"):
        deck_equations("evil")


def test_aligned_breaks_after_the_rule() -> None:
    assert aligned(r"f_t = A = \sigma(1) = 0.73") == r"\begin{aligned} f_t &= A \\ &= \sigma(1) = 0.73 \end{aligned}"
    assert aligned("h_t = 1") == "h_t = 1"


def test_long_numbers_get_rows_of_their_own_and_equations_line_up_in_one_block() -> None:
    lines = step_equations("lstm", lstm_step(), 0)
    assert rows(lines[0]) == [r"f_t &= \sigma(W_f \cdot [h_{t-1}, x_t] + b_f)", r"&= \sigma(1.23) = 0.77"]
    assert rows(lines[3])[1:] == [r"&= 0.77 \cdot (-0.40) + 0.31 \cdot 0.92", "&= -0.02"]
    block = aligned_block(lines)
    assert block.startswith(r"\begin{aligned}") and block.count(r"\\[6pt]") == len(lines) - 1


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_deck_equations_split_in_two_columns_only_when_short(kind: str) -> None:
    columns = deck_columns(kind)
    rules = deck_equations(kind)
    assert len(columns) == (2 if len(rules) > 1 and max(visible_length(r) for r in rules) <= 26 else 1)
    joined = " ".join(columns)
    for rule in rules:
        lhs, rhs = rule.split(" = ", 1)
        assert f"{lhs} &= {rhs}" in joined
