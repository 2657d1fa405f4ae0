"""Fixed models: each says how it reads typed text, refuses text it cannot read, and keeps its first weights."""

import dataclasses

import numpy as np
import pytest

import cells
from cells import presets
from ui.model import from_network, from_preset, from_pretrained, pretrained_manifest


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_runs_its_own_sequence(name: str) -> None:
    model = from_preset(name)
    trace = model.network.run(model.inputs(model.sequence).xs)
    assert trace.output.shape[0] == len(model.inputs(model.sequence).tokens)
    assert model.note and model.label.startswith("Preset: ")


@pytest.mark.parametrize("name", [m["name"] for m in pretrained_manifest()])
def test_every_shipped_model_runs_its_example_and_predicts(name: str) -> None:
    model = from_pretrained(name)
    encoded = model.inputs(model.sequence)
    hs = model.network.run(encoded.xs).output
    assert model.readout is not None
    assert model.readout.input_size == hs.shape[1]


def test_text_a_model_cannot_read_is_refused_naming_the_character() -> None:
    with pytest.raises(ValueError, match="'x' at position 3"):
        from_preset("bracket-depth").inputs("((x))")
    with pytest.raises(ValueError, match="reads 3 numbers per step"):
        from_network(cells.Network.create("lstm", 3, 4), "drawn").inputs("1 2; 3 4")


def test_a_vocabulary_must_fit_the_network() -> None:
    with pytest.raises(ValueError, match="2 characters for a network that reads 3 inputs"):
        from_network(cells.Network.create("gru", 3, 4), "drawn", vocabulary="ab")
    model = from_network(cells.Network.create("gru", 3, 4), "drawn", vocabulary="abc")
    np.testing.assert_array_equal(model.inputs("cab").xs, np.eye(3)[[2, 0, 1]])


def test_edits_keep_the_first_weights_for_a_reset() -> None:
    model = from_preset("counter")
    cell = model.network.layers[0].forward
    edited_cell = dataclasses.replace(cell, biases={**cell.biases, "forget": cell.biases["forget"] - 3})
    once = model.edited(cells.Network((cells.Layer(edited_cell),)))
    twice = once.edited(cells.Network((cells.Layer(cell),)))
    assert once.original is model.network and twice.original is model.network
