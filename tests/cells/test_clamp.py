"""Clamping a gate forces its activation and everything downstream follows; nothing else changes."""

import numpy as np
import pytest

import cells
from cells.clamp import Clamp

XS = np.random.default_rng(3).standard_normal((10, 3))
GATED = [k for k in cells.KINDS if k != "rnn"]


@pytest.mark.parametrize("kind", GATED)
def test_clamped_units_and_steps_take_the_value_and_the_rest_is_untouched_before(kind: str) -> None:
    cell = cells.initialise(kind, 3, 4, seed=1)
    gate = cell.SIGMOID[0]
    base = cell.run(XS)
    clamped = cell.run(XS, clamps=[Clamp(gate, 1.0, units=(1, 2), steps=(4, 5))])
    assert np.all(clamped.values[gate][4:6, 1:3] == 1.0)
    # before the first clamped step nothing differs, to the bit
    for name in base.values:
        np.testing.assert_array_equal(clamped.values[name][:4], base.values[name][:4])
    # the recorded pre-activation is what the gate would have been at the clamped step
    np.testing.assert_array_equal(clamped.pre[gate][:5], base.pre[gate][:5])
    # and the effect carries on through the state
    assert np.abs(clamped.output[6:] - base.output[6:]).max() > 1e-6


def test_forget_clamped_to_one_with_input_zero_holds_the_cell_state() -> None:
    lstm = cells.initialise("lstm", 3, 5, seed=2)
    trace = lstm.run(XS, clamps=[Clamp("forget", 1.0, steps=range(3, 10)), Clamp("input", 0.0, steps=range(3, 10))])
    cell = trace.values["cell"]
    np.testing.assert_array_equal(cell[3:], np.broadcast_to(cell[2], (7, 5)))


def test_deck_gru_update_clamped_to_zero_keeps_the_old_state_and_torch_form_needs_one() -> None:
    deck = cells.initialise("gru", 3, 4, seed=0)
    held = deck.run(XS, clamps=[Clamp("update", 0.0, steps=range(5, 10))]).output
    np.testing.assert_array_equal(held[5:], np.broadcast_to(held[4], (5, 4)))
    torch_form = cells.initialise("gru_torch", 3, 4, seed=0)
    held = torch_form.run(XS, clamps=[Clamp("update", 1.0, steps=range(5, 10))]).output
    np.testing.assert_array_equal(held[5:], np.broadcast_to(held[4], (5, 4)))


@pytest.mark.parametrize("kind", ["peephole", "gru", "gru_torch"])
def test_late_computed_gates_are_clamped_too(kind: str) -> None:
    cell = cells.initialise(kind, 3, 4, seed=5)
    gate = "output" if kind == "peephole" else "candidate"
    trace = cell.run(XS, clamps=[Clamp(gate, 0.25)])
    assert np.all(trace.values[gate] == 0.25)


def test_coupled_input_follows_a_clamped_forget_gate() -> None:
    trace = cells.initialise("coupled", 3, 4).run(XS, clamps=[Clamp("forget", 0.2)])
    np.testing.assert_allclose(trace.values["input"], 0.8)


def test_backward_clamp_counts_steps_in_input_order() -> None:
    net = cells.Network.create("lstm", 3, 4, num_layers=2, bidirectional=True, seed=1)
    base = net.run(XS)
    trace = net.run(XS, clamps=[Clamp("forget", 0.0, layer=1, direction="backward", steps=(7,))])
    backward = trace.layers[1].backward
    assert np.all(backward.values["forget"][7] == 0.0)
    # the backward direction reads 9, 8, 7 ...: steps after 7 in input order were read before the clamp
    np.testing.assert_array_equal(backward.values["cell"][8:], base.layers[1].backward.values["cell"][8:])
    np.testing.assert_array_equal(trace.layers[0].forward.output, base.layers[0].forward.output)


@pytest.mark.parametrize(
    ("clamp", "message"),
    [
        (Clamp("forget", 1.5), r"forget: its values lie in \[0, 1\], got 1.5"),
        (Clamp("candidate", -2.0), r"candidate: its values lie in \[-1, 1\]"),
        (Clamp("update", 1.0), "'update' cannot be clamped"),
        (Clamp("forget", 1.0, units=(4,)), "unit 4 is outside 0..3"),
        (Clamp("forget", 1.0, steps=(10,)), "step 10 is outside 0..9"),
        (Clamp("forget", 1.0, layer=1), "layer 1 is outside 0..0"),
        (Clamp("forget", 1.0, direction="backward"), "no backward direction"),
    ],
)
def test_impossible_clamps_are_refused_with_the_reason(clamp: Clamp, message: str) -> None:
    net = cells.Network.create("lstm", 3, 4)
    with pytest.raises(ValueError, match=message):
        net.run(XS, clamps=[clamp])


def test_clamp_values_must_be_finite_and_directions_known() -> None:
    with pytest.raises(ValueError, match="finite"):
        Clamp("forget", float("nan"))
    with pytest.raises(ValueError, match="direction"):
        Clamp("forget", 1.0, direction="sideways")
    with pytest.raises(ValueError, match="no gates to clamp"):
        cells.initialise("rnn", 3, 4).run(XS, clamps=[Clamp("hidden", 0.5)])
