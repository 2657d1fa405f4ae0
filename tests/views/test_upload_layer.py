"""The Weights page's choice among a file's recurrent layers is the layer's name, not its place in the file: one
encoder–decoder saved as PyTorch .pt (enc, dec) and as safetensors (dec, enc) lists its modules in two orders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import cells
from tests.views.test_weights_page import TIMEOUT, errors, model, open_weights, upload
from workbench import keys
from workbench.model_files import load_upload

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
PT = MODELS / "seq2seq_gru.pt"
SAFETENSORS = MODELS / "seq2seq_gru.safetensors"


def weights_of(network: cells.Network) -> dict[str, np.ndarray]:
    return cells.to_torch(network)


def is_module(network: cells.Network, name: str) -> bool:
    """Whether ``network`` holds the weights of the fixture's module ``name`` (enc or dec)."""
    expected = weights_of(load_upload(PT.name, PT.read_bytes(), layer=name).network)
    got = weights_of(network)
    return expected.keys() == got.keys() and all(np.array_equal(got[k], v) for k, v in expected.items())


def pick(at: AppTest, name: str) -> None:
    """Choose the layer called ``name`` in the menu, found by what the menu says, as a user does."""
    menu = at.selectbox(key=keys.WEIGHTS.upload_layer)
    menu.select_index(next(k for k, label in enumerate(menu.options) if label.endswith(f" {name}")))
    menu.run(timeout=TIMEOUT)


def test_the_chosen_layer_is_kept_by_its_name_and_a_name_the_file_lacks_is_refused() -> None:
    at = open_weights()
    upload(at, PT.name, PT.read_bytes())
    menu = at.selectbox(key=keys.WEIGHTS.upload_layer)
    assert menu.options == ["GRU, PyTorch's layout enc", "GRU, PyTorch's layout dec"]
    assert is_module(model(at).network, "enc")  # the file's first
    pick(at, "dec")
    assert not at.exception and not errors(at)
    assert is_module(model(at).network, "dec")

    # "Use this file" again (after typing a vocabulary, say): the same file keeps the layer chosen in it.
    at.button(key=keys.WEIGHTS.upload_apply).click().run(timeout=TIMEOUT)
    assert is_module(model(at).network, "dec")
    assert at.selectbox(key=keys.WEIGHTS.upload_layer).index == 1  # the menu says so too

    # The same model saved the other way lists dec first. With it in the box, picking "enc" in the menu shows enc,
    # not whatever the new file holds at enc's place in the old one.
    at.file_uploader(key=keys.WEIGHTS.upload).set_value(
        (SAFETENSORS.name, SAFETENSORS.read_bytes(), "application/octet-stream")).run(timeout=TIMEOUT)
    pick(at, "enc")
    assert not at.exception and not errors(at)
    assert model(at).label == "Uploaded: seq2seq_gru.safetensors"
    assert is_module(model(at).network, "enc")

    # A file without a layer of that name: the page says which layers it has, and the model shown stays.
    other = cells.Network.create("gru_torch", 6, 8, seed=3, dtype=np.float32)
    arrays = {**{f"first.{k}": v for k, v in cells.to_torch(other).items()},
              **{f"second.{k}": v for k, v in cells.to_torch(other).items()}}
    import safetensors.numpy

    at.file_uploader(key=keys.WEIGHTS.upload).set_value(
        ("two.safetensors", safetensors.numpy.save(arrays), "application/octet-stream")).run(timeout=TIMEOUT)
    pick(at, "dec")
    assert not at.exception
    refusal = " ".join(errors(at)).replace("\\", "")  # as shown: the file's text is escaped for Markdown
    assert "two.safetensors: layer: expected one of the recurrent layers found (0: first, 1: second), got 'dec'" \
        in refusal and "The current model stays" in refusal, refusal
    assert model(at).label == "Uploaded: seq2seq_gru.safetensors"
    assert is_module(model(at).network, "enc")
