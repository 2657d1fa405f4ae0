"""The shipped code models: listed with their corpus, split and scores, readable by cells.load, equal to PyTorch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.corpus import stdlib, stream

FOLDER = Path(__file__).parents[2] / "assets" / "pretrained"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text())
ENTRIES = MANIFEST.get("corpus_models", [])
SNIPPET = 'def área(x):\n    """Twice x."""  # ünïcode\n    return {"x": [x * 2]}\n'


def test_both_code_models_are_listed_with_their_corpus_split_and_scores() -> None:
    assert [e["name"] for e in ENTRIES] == ["stdlib_lstm", "stdlib_gru"]
    names = stdlib.files()
    for e in ENTRIES:
        path = FOLDER / e["file"]
        assert path.stat().st_size <= 5_000_000
        assert e["corpus"] == "python-stdlib" and e["layers"] >= 2 and e["hidden_size"] >= 128
        assert len(e["held_out_files"]) == e["training"]["held_out"] and set(e["held_out_files"]) <= set(names)
        assert e["held_out_bits_per_char"] > 0 and e["baseline"]["order"] >= 8
        assert (FOLDER / e["log"]).exists()
    lstm, gru = ENTRIES
    assert (lstm["layers"], lstm["hidden_size"]) == (gru["layers"], gru["hidden_size"])  # the same size
    assert lstm["held_out_files"] == gru["held_out_files"]


def test_the_lstm_beats_every_n_gram_fitted_on_its_training_text() -> None:
    lstm = ENTRIES[0]
    ngram = json.loads((FOLDER / "stdlib" / "ngram.json").read_text())
    orders = {int(k): v for k, v in ngram["held_out_bits_per_char"].items()}
    assert max(orders) >= 8 and lstm["baseline"]["held_out_bits_per_char"] == min(orders.values())
    assert lstm["held_out_bits_per_char"] < min(orders.values()), (lstm["held_out_bits_per_char"], ngram)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_a_code_model_reads_any_text_through_its_vocabulary(entry: dict) -> None:
    model = cells.load(FOLDER / entry["file"])
    assert model.network.kind == entry["kind"] and model.vocabulary[-1] == "<unk>"
    reading = model.read(SNIPPET)  # á, ü and ï are not in its vocabulary: they read as <unk>
    assert reading.logits.shape == (len(SNIPPET), len(model.vocabulary))
    assert reading.ids[SNIPPET.index("á")] == len(model.vocabulary) - 1
    ids = stream.encode(model, SNIPPET)
    np.testing.assert_array_equal(ids, reading.ids)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_a_code_model_predicts_its_held_out_code_as_pytorch_does(entry: dict) -> None:
    torch = pytest.importorskip("torch")
    import safetensors.numpy

    model = cells.load(FOLDER / entry["file"])
    text = stdlib.read(entry["held_out_files"][1])[:300]
    ours = model.read(text)
    arrays = {k: torch.from_numpy(v.astype(np.float32))
              for k, v in safetensors.numpy.load((FOLDER / entry["file"]).read_bytes()).items()}
    rnn = (torch.nn.LSTM if entry["kind"] == "lstm" else torch.nn.GRU)(arrays["embed.weight"].shape[1],
                                                                        entry["hidden_size"], entry["layers"])
    rnn.load_state_dict({k[4:]: v for k, v in arrays.items() if k.startswith("rnn.")})
    with torch.no_grad():
        out, _ = rnn(arrays["embed.weight"][torch.from_numpy(ours.ids)][:, None])
        logits = out[:, 0] @ arrays["head.weight"].T + arrays["head.bias"]
    np.testing.assert_allclose(ours.logits, logits.numpy(), atol=2e-4)
    bits = -np.log2(ours.probabilities[np.arange(len(text) - 1), ours.ids[1:]]).mean()
    assert bits < 3.0  # far below the 6.6 bits of a uniform guess among 100 characters
