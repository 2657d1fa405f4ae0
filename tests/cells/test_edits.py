"""Network edits: each changes exactly what it names, leaves the network it was given as it was, and refuses
what does not fit with a ValueError that says where."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from cells import presets
from cells.edits import (
    cell_of,
    memory_bias,
    scaled,
    shifted,
    with_bias,
    with_cell,
    with_parameter,
    with_weight,
)


def _lstm(bidirectional: bool = False, layers: int = 1) -> cells.Network:
    return cells.Network.create("lstm", 3, 4, num_layers=layers, bidirectional=bidirectional, seed=5)


def test_scaling_a_gate_multiplies_its_matrix_only_and_keeps_the_original() -> None:
    net = _lstm()
    before = {g: w.copy() for g, w in net.layers[0].forward.weights.items()}
    out = scaled(net, 0, "forward", "input", 2.5).layers[0].forward
    np.testing.assert_array_equal(out.weights["input"], 2.5 * before["input"])
    for gate in ("forget", "candidate", "output"):
        np.testing.assert_array_equal(out.weights[gate], before[gate])
    np.testing.assert_array_equal(net.layers[0].forward.weights["input"], before["input"])  # untouched


def test_shifting_a_gate_moves_every_unit_s_bias_in_one_direction_only() -> None:
    net = _lstm(bidirectional=True)
    out = shifted(net, 0, "backward", "forget", 3.0)
    np.testing.assert_allclose(out.layers[0].backward.biases["forget"], net.layers[0].backward.biases["forget"] + 3)
    np.testing.assert_array_equal(out.layers[0].forward.biases["forget"], net.layers[0].forward.biases["forget"])


def test_a_parameter_of_the_wrong_shape_is_refused_by_the_cell() -> None:
    with pytest.raises(ValueError, match="input"):
        with_parameter(_lstm(), 0, "forward", "weights", "input", np.zeros((4, 6)))


def test_asking_for_a_direction_or_layer_the_network_lacks_says_so() -> None:
    with pytest.raises(ValueError, match="no backward direction"):
        cell_of(_lstm(), 0, "backward")
    with pytest.raises(ValueError, match="layer: expected 0 to 1, got 2"):
        cell_of(_lstm(layers=2), 2, "forward")


def test_swapping_a_cell_replaces_that_one_and_keeps_the_rest() -> None:
    net = _lstm(bidirectional=True, layers=2)
    new = cells.Network.create("lstm", 8, 4, seed=9).layers[0].forward
    out = with_cell(net, 1, "backward", new)
    assert out.layers[1].backward is new
    assert out.layers[1].forward is net.layers[1].forward and out.layers[0] is net.layers[0]


def test_setting_a_bias_or_weight_touches_the_named_unit_and_column_in_the_named_layer() -> None:
    net = presets.deep_counter()
    out = with_bias(net, "input", -70.0, layer=1)
    assert out.layers[1].forward.biases["input"].tolist() == [-70.0]
    np.testing.assert_array_equal(out.layers[0].forward.biases["input"], net.layers[0].forward.biases["input"])
    moved = with_bias(net, "forget", -4.0, shift=True, layer=0)
    assert moved.layers[0].forward.biases["forget"].tolist() == [presets.OPEN - 4.0]
    weighted = with_weight(net, "candidate", 0, 2, 7.0)
    assert weighted.layers[0].forward.weights["candidate"][0, 2] == 7.0
    assert net.layers[0].forward.weights["candidate"][0, 2] == -presets.FULL  # the original stays


@pytest.mark.parametrize(("kind", "gate", "sign"), [("lstm", "forget", 1), ("gru", "update", -1),
                                                    ("gru_torch", "update", 1), ("mgu", "forget", -1)])
def test_the_memory_bias_moves_the_gate_that_keeps_the_old_state_toward_keeping(kind: str, gate: str,
                                                                                 sign: int) -> None:
    net = cells.Network.create(kind, 2, 3, num_layers=2, bidirectional=True, seed=1)
    out = memory_bias(net, 1.5)
    for old_layer, new_layer in zip(net.layers, out.layers, strict=True):
        for old, new in zip(old_layer.cells, new_layer.cells, strict=True):
            np.testing.assert_allclose(new.biases[gate], old.biases[gate] + sign * 1.5)
    assert memory_bias(net, 0.0) is net


def test_the_memory_bias_leaves_a_plain_rnn_alone() -> None:
    rnn = cells.Network.create("rnn", 2, 3, seed=0)
    out = memory_bias(rnn, 2.0)
    np.testing.assert_array_equal(out.layers[0].forward.biases["hidden"], rnn.layers[0].forward.biases["hidden"])
