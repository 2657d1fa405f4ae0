"""ui.engine's fixed-network runs: keyed by a digest of the weights, never by the object."""

from __future__ import annotations

import dataclasses

import numpy as np

import cells
from cells import encode
from ui.engine import fingerprint, run_fixed


def with_forget_bias(network: cells.Network, value: float) -> cells.Network:
    cell = network.layers[0].forward
    biases = {**cell.biases, "forget": cell.biases["forget"].copy()}
    biases["forget"][0] = value
    layer = dataclasses.replace(network.layers[0], forward=dataclasses.replace(cell, biases=biases))
    return dataclasses.replace(network, layers=(layer, *network.layers[1:]))


def test_the_digest_follows_every_weight_and_the_shape_of_the_network() -> None:
    a = cells.Network.create("lstm", 3, 4, seed=1)
    assert fingerprint(a) == fingerprint(cells.Network.create("lstm", 3, 4, seed=1))  # equal weights, equal key
    assert fingerprint(with_forget_bias(a, 5.0)) != fingerprint(a)  # one bias moved
    assert fingerprint(cells.Network.create("lstm", 3, 4, seed=2)) != fingerprint(a)
    assert fingerprint(cells.Network.create("gru", 3, 4, seed=1)) != fingerprint(a)
    # the same numbers in other places: a second layer is not a backward direction
    deep = cells.Network.create("lstm", 4, 4, seed=1, num_layers=2)
    both = dataclasses.replace(deep, layers=(dataclasses.replace(deep.layers[0], backward=deep.layers[1].forward),))
    assert fingerprint(deep) != fingerprint(both)


def test_a_fixed_run_is_the_networks_own_and_an_edit_is_run_again() -> None:
    xs = encode.one_hot("hello").xs  # four characters: (5, 4)
    network = cells.Network.create("lstm", xs.shape[1], 4, seed=3)
    first = run_fixed(network, xs)
    np.testing.assert_array_equal(first.output, network.run(xs).output)
    edited = with_forget_bias(network, 4.0)
    np.testing.assert_array_equal(run_fixed(edited, xs).output, edited.run(xs).output)
    assert not np.array_equal(run_fixed(edited, xs).output, first.output)
