"""Keras 3 files read as data (config.json, and HDF5 with h5py) against Keras' outputs; configs naming code refused.

The fixtures were made by ``KERAS_BACKEND=torch python tests/fixtures/make_models.py keras``; reading
them needs h5py only, never Keras.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files.parts import probabilities

pytest.importorskip("h5py")

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
CHARS = sorted(set("the quick brown fox jumps over the lazy dog. "))


def expected(stem: str) -> dict[str, np.ndarray]:
    with np.load(MODELS / f"{stem}.expected.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def test_a_sequential_char_lm_keras_file_matches_keras():
    model = cells.load(MODELS / "keras_char_lm.keras", vocabulary=CHARS)
    fx = expected("keras_char_lm")
    reading = model.read(str(fx["text"]))
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=1e-5)
    assert model.head.activation == "softmax"
    np.testing.assert_allclose(reading.probabilities, fx["logits"], rtol=0, atol=1e-5)  # Dense(softmax) gives p_t
    assert model.found.embedding == ("embedding", (28, 8)) and model.found.head == ("dense", (28, 16))
    assert model.found.recurrent[0].style == "Keras LSTM"


def test_its_weights_h5_alone_is_put_in_order_by_names_and_sizes():
    model = cells.load(MODELS / "keras_char_lm.weights.h5", vocabulary=CHARS)
    fx = expected("keras_char_lm")
    reading = model.read(str(fx["text"]))
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(probabilities(reading.logits), fx["logits"], rtol=0, atol=1e-5)
    assert any("activation is not known" in note for note in model.found.notes)


def test_a_stacked_bidirectional_lstm_matches_keras():
    model = cells.load(MODELS / "keras_bidir_stack.keras", vocabulary=CHARS)
    fx = expected("keras_bidir_stack")
    reading = model.read(str(fx["text"]))
    assert len(model.network.layers) == 2 and model.network.bidirectional
    assert [layer.forward.hidden_size for layer in model.network.layers] == [6, 5]
    np.testing.assert_allclose(reading.trace.output, fx["output"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(reading.logits, fx["logits"], rtol=0, atol=1e-5)


def with_config(change) -> bytes:
    """The char LM's .keras archive with its config.json changed by ``change(config)``."""
    source = zipfile.ZipFile(MODELS / "keras_char_lm.keras")
    config = json.loads(source.read("config.json"))
    change(config)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in source.namelist():
            z.writestr(name, json.dumps(config) if name == "config.json" else source.read(name))
    return out.getvalue()


def _insert(layer: dict):
    return lambda config: config["config"]["layers"].insert(2, layer)


HOSTILE = {
    "a Lambda layer": (_insert({"module": "keras.layers", "class_name": "Lambda", "config": {
        "name": "lambda", "function": {"class_name": "__lambda__", "config": {"code": "print('ran')"}}},
        "registered_name": None}), "Lambda layer, which holds Python code"),
    "a custom layer": (_insert({"module": None, "class_name": "MyLayer", "config": {"name": "mine"},
                                "registered_name": "Custom>MyLayer"}), "'Custom>MyLayer' is not one Gatescope reads"),
    "a layer from another module": (_insert({"module": "my_package.layers", "class_name": "Dense",
                                             "config": {"name": "d"}, "registered_name": None}),
                                    "'Dense' is not one Gatescope reads"),
    "a relu head": (lambda c: c["config"]["layers"][-1]["config"].update(activation="relu"),
                    "activation 'relu'"),
    "a relu-gated LSTM": (lambda c: c["config"]["layers"][2]["config"].update(recurrent_activation="relu"),
                          "recurrent_activation 'relu'"),
}


def test_a_hard_sigmoid_lstm_is_read_with_keras_3s_hard_sigmoid():
    config = with_config(lambda c: c["config"]["layers"][2]["config"].update(recurrent_activation="hard_sigmoid"))
    model = cells.load(config, name="m.keras", vocabulary=CHARS)
    assert model.network.gate_activation == "hard_sigmoid_relu6"  # Keras 3's: relu6(a + 3)/6
    assert any("relu6(a + 3)/6" in note for note in model.found.notes)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_configs_that_name_code_or_other_maths_are_refused(case):
    change, message = HOSTILE[case]
    with pytest.raises(ValueError, match=message):
        cells.load(with_config(change), name="m.keras")


def test_an_hdf5_link_to_another_file_is_never_followed(tmp_path):
    import h5py

    other = tmp_path / "elsewhere.h5"
    with h5py.File(other, "w") as f:
        f["kernel"] = np.zeros((8, 64), np.float32)
    path = tmp_path / "m.weights.h5"
    with h5py.File(path, "w") as f:
        cell = f.create_group("layers/lstm/cell/vars")
        cell["0"] = h5py.ExternalLink(str(other), "kernel")
    with pytest.raises(ValueError, match="a link to elsewhere, never followed"):
        cells.load(path)
