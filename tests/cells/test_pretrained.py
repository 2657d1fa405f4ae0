"""The shipped models in assets/pretrained/ do their tasks on fresh samples, and show what they promise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cells.learning.train import (
    PRESETS,
    arithmetic_fingerprint,
    evaluate,
    load_model,
    model_bytes,
    train_preset,
    unit_to_watch,
)
from cells.learning.train import main as train_main

FOLDER = Path(__file__).parents[2] / "assets" / "pretrained"
FRESH = 31337  # a seed neither training (0) nor the recorded evaluation (2024) used
CLASSIFIERS = ["brackets_lstm", "counting_lstm", "first_bit_lstm", "first_bit_gru", "text_lstm"]


def load(name: str):
    return load_model(FOLDER / f"{name}.npz")


def test_every_preset_is_shipped_and_listed_in_the_manifest() -> None:
    manifest = json.loads((FOLDER / "manifest.json").read_text())
    assert [m["name"] for m in manifest["models"]] == list(PRESETS)
    for entry in manifest["models"]:
        path = FOLDER / entry["file"]
        assert path.stat().st_size < 100_000  # kilobytes, not megabytes
        model = load_model(path)
        assert model.task.NAME == entry["task"] == PRESETS[entry["name"]]["task"]
        assert model.network.kind == entry["kind"] == PRESETS[entry["name"]]["cell"]
        assert entry["watch"]["note"] and entry["label"].startswith(model.network.layers[0].forward.LABEL)
        assert f"--preset {entry['name']}" in entry["command"]


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_are_right_at_least_95_percent_on_fresh_samples(name: str) -> None:
    _, accuracy = evaluate(load(name), samples=300, seed=FRESH)
    assert accuracy >= 0.95


def test_sine_gru_predicts_the_next_value_better_than_repeating_the_last_one() -> None:
    model = load("sine_gru")
    loss, accuracy = evaluate(model, samples=300, seed=FRESH)
    batch = model.task.sample(np.random.default_rng(FRESH), 300)
    m = batch.mask > 0
    repeat = float(((batch.inputs[..., 0] - batch.targets[..., 0])[m] ** 2).mean())  # predict x_{t+1} = x_t
    assert loss < 0.2 * repeat
    assert accuracy >= 0.9  # within 0.2 of the clean wave


def test_bracket_lstm_has_a_cell_unit_that_follows_the_depth() -> None:
    model = load("brackets_lstm")
    batch = model.task.sample(np.random.default_rng(FRESH), 200)
    cell = model.network.layers[0].forward
    C = np.concatenate([cell.run(xs).values["cell"] for xs in batch.inputs])  # (B·T, H)
    depth = batch.targets.reshape(-1)
    r = [abs(np.corrcoef(C[:, k], depth)[0, 1]) for k in range(cell.hidden_size)]
    assert max(r) >= 0.9
    assert int(np.argmax(r)) == model.info["watch"]["unit"]  # the unit the manifest points at


def test_on_the_first_bit_at_gap_50_gates_succeed_where_the_plain_rnn_stays_near_chance() -> None:
    results = {name: evaluate(load(name), samples=400, seed=FRESH)[1]
               for name in ("first_bit_lstm", "first_bit_gru", "first_bit_rnn")}
    assert all(load(n).task.gap == 50 for n in results)
    assert results["first_bit_lstm"] >= 0.95 and results["first_bit_gru"] >= 0.95
    assert results["first_bit_rnn"] <= 0.65


def test_a_typed_sequence_runs_through_a_shipped_model() -> None:
    model = load("brackets_lstm")
    text = "(()(()))"
    assert model.predict(model.task.encode(text).xs).tolist() == [1, 2, 1, 2, 3, 2, 1, 0]
    chars = load("text_lstm")
    phrase = "the forget gate decides what the"
    predicted = chars.predict(chars.task.encode(phrase).xs)
    assert "".join(chars.task.vocabulary[k] for k in predicted[10:]) == phrase[11:] + " "


def same_arithmetic_as_the_assets() -> None:
    """Skip unless this machine's floating-point results match those of the machine that made the assets:
    bit-identical rebuilds are promised for the same arithmetic (BLAS kernels, CPU), not across machines."""
    recorded = json.loads((FOLDER / "manifest.json").read_text())["arithmetic"]
    if arithmetic_fingerprint() != recorded:
        pytest.skip("this machine's floating-point arithmetic differs from the one that made assets/pretrained; "
                    "a rebuild there gives a model of the same quality, not the same bits")


def test_training_the_same_preset_twice_gives_the_same_bits() -> None:
    first, second = (train_preset("first_bit_rnn").model for _ in range(2))
    assert model_bytes(first) == model_bytes(second)


def test_the_preset_command_rebuilds_a_shipped_file_bit_for_bit(tmp_path) -> None:
    same_arithmetic_as_the_assets()
    out = tmp_path / "first_bit_gru.npz"
    assert train_main(["--preset", "first_bit_gru", "--out", str(out)]) == 0
    assert out.read_bytes() == (FOLDER / "first_bit_gru.npz").read_bytes()


def test_train_preset_gives_the_shipped_weights() -> None:
    same_arithmetic_as_the_assets()
    shipped = load("first_bit_rnn")
    again = train_preset("first_bit_rnn").model
    assert model_bytes(again.__class__(again.network, again.readout, again.task, shipped.info)) == model_bytes(shipped)


def test_the_bracket_note_says_what_its_unit_does_at_each_bracket() -> None:
    model = load("brackets_lstm")
    unit, note = model.info["watch"]["unit"], model.info["watch"]["note"]
    text = "((()))(())"
    C = model.network.layers[0].forward.run(model.task.encode(text).xs).values["cell"][:, unit]  # (T,)
    moves = np.diff(C)  # the change at steps 1..T-1
    down_at_open = all(moves[t - 1] < 0 for t in range(1, len(text)) if text[t] == "(")
    up_at_close = all(moves[t - 1] > 0 for t in range(1, len(text)) if text[t] == ")")
    assert down_at_open and up_at_close  # what the unit does, so the note must say it
    assert "goes down at each ( and back up at each )" in note


@pytest.mark.parametrize("name", ["brackets_lstm", "counting_lstm", "first_bit_lstm", "first_bit_gru", "sine_gru"])
def test_each_note_says_the_unit_in_the_sign_of_its_correlation(name: str) -> None:
    model = load(name)
    watch = model.info["watch"]
    rises, falls = model.task.TRACKS
    assert (rises if watch["correlation"] > 0 else falls) in watch["note"]
    assert unit_to_watch(model)["note"] == watch["note"]  # what training writes, not typed by hand
