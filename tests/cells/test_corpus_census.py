"""The census names the unit whose answer is known, and its ablation arithmetic is right."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.clamp import Clamp
from cells.corpus import census, run_corpus, stream
from cells.corpus.cache import Cache
from cells.corpus.tracks import Track
from cells.files.model import LoadedModel
from cells.learning.train import load_model
from cells.presets import preset
from tests.cells.test_corpus_stream import TEXT, text_model

PRETRAINED = Path(__file__).parents[2] / "assets" / "pretrained"


def balanced(rng: np.random.Generator, pieces: int, max_depth: int = 4) -> str:
    """Bracket sequences that never go below 0 or above max_depth, each closed before the next."""
    out = []
    for _ in range(pieces):
        depth, s = 0, []
        for _ in range(rng.integers(4, 10)):
            if depth == 0 or (depth < max_depth and rng.random() < 0.5):
                s.append("(")
                depth += 1
            else:
                s.append(")")
                depth -= 1
        out.append("".join(s) + ")" * depth)
    return "".join(out)


def counted(text: str, char: str) -> Track:
    return Track(f"count_{char}", True, np.cumsum([c == char for c in text]).astype(np.int32))


def best(result, concept, state):
    return next(f for f in result.ranking(concept) if f.state == state)


def test_the_census_finds_the_shipped_bracket_lstms_depth_unit() -> None:
    shipped = load_model(PRETRAINED / "brackets_lstm.npz")
    model = LoadedModel(shipped.network, ["(", ")"])
    text = balanced(np.random.default_rng(5), 150)
    result = run_corpus(model, text, streams=4)
    found = best(result, "bracket_depth", "cell")
    assert (found.unit, found.measure) == (shipped.info["watch"]["unit"], "r")
    assert abs(found.score) >= 0.9
    top = next(f for f in result.census() if f.concept == "bracket_depth")
    assert abs(top.score) >= 0.9 and top.loss_rise_on is None  # no next-character head to ablate against


def test_the_census_finds_the_counting_lstms_unit_on_a_track_of_its_own() -> None:
    shipped = load_model(PRETRAINED / "counting_lstm.npz")
    model = LoadedModel(shipped.network, ["a", "X", "b", "."])
    rng = np.random.default_rng(1)
    pieces = ["a" * n + "X" + "b" * n + "." for n in rng.integers(1, 7, 120)]
    text = "".join(pieces)
    starts = np.cumsum([0] + [len(p) for p in pieces[:-1]]).tolist()  # each read from the zero state, as trained
    left, remaining = np.zeros(len(text), np.int32), 0
    for t, c in enumerate(text):  # b's still to come: n after X, one less after each b
        remaining = text[t:].index(".") - text[t:].index("X") - 1 if c == "X" else remaining - (c == "b")
        left[t] = remaining if c in "Xb" else 0
    result = run_corpus(model, text, extra={"b_left": Track("b_left", True, left)}, starts=starts)
    found = best(result, "b_left", "cell")
    assert found.unit == shipped.info["watch"]["unit"] and found.clear  # |r| >= 0.6 (its a steps count as 0 left)


@pytest.mark.parametrize(("name", "concept", "state"), [("bracket-depth", "bracket_depth", "cell"),
                                                        ("counter", "count_a", "cell"),
                                                        ("gru-counter", "count_a", "hidden")])
def test_the_census_finds_the_hand_wired_unit_of_a_preset(name: str, concept: str, state: str) -> None:
    p = preset(name)
    model = LoadedModel(p.build(), list(p.vocabulary))
    rng = np.random.default_rng(2)
    text = balanced(rng, 60).replace("()", "(a)") if name == "bracket-depth" else \
        "".join(rng.choice(list(p.vocabulary), 400, p=[0.1, 0.9]))
    extra = {} if concept == "bracket_depth" else {concept: counted(text, "a")}
    found = best(run_corpus(model, text, extra=extra, streams=1), concept, state)
    assert found.unit == 0 and found.score >= 0.95  # C_t (or h_t) of unit 0 is the count, or rises with it


def test_on_off_concepts_are_scored_by_auc_from_the_units_histograms() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0.8, 0.05, 300), rng.normal(0.3, 0.05, 700)])[:, None]  # (N, 1)
    on = np.r_[np.ones(300, bool), np.zeros(700, bool)]
    acc = census.Accumulator({"inside": Track("inside", False, on)}, {0: "lstm"})
    acc.add(0, {"forget": values[:500]}, np.arange(500))
    acc.add(0, {"forget": values[500:]}, np.arange(500, 1000))
    assert acc.aucs((0, "forget"))[0, 0] == pytest.approx(1.0)
    low = census.Accumulator({"inside": Track("inside", False, on)}, {0: "lstm"})
    low.add(0, {"forget": 1 - values}, np.arange(1000))
    f = census.findings(low)[0]
    assert (f.measure, f.sign, f.concept) == ("auc", -1, "inside") and f.score == pytest.approx(1.0)
    exact = np.mean(values[on, 0][:, None] > values[~on, 0][None, :])  # the AUC by counting every pair
    assert acc.aucs((0, "forget"))[0, 0] == pytest.approx(exact, abs=1e-3)


def test_ablation_arithmetic_on_a_tiny_model(tmp_path) -> None:
    model = text_model("lstm", layers=1, hidden=4, seed=3)
    result = run_corpus(model, TEXT * 8, streams=2, cache=Cache(tmp_path))
    windows = census.Windows.sample(result.passed, count=3, length=40, seed=0)
    assert len(windows.spans) == 3 and all(b - a == 40 for a, b in windows.spans)
    finding = census.Finding(0, "forward", "cell", 2, "comment", "auc", 0.7, 1, 0.5)
    means = {(s.layer, s.name): s.mean for s in result.stats}
    m = float(means[(0, "cell")][2])
    (tried,) = census.ablate(model, result.passed, [finding], result.tracks, means, windows)
    # the same numbers by hand: each window read from the long run's state, with and without C_t unit 2 held at
    # its corpus mean m: it starts at m, and C_t = f·m + i·C̃ = m for the clamped f, i, C̃
    a_ = float(np.clip(m, -1, 1))
    f_ = 1 - abs(a_) / abs(m) if abs(m) > 1 else 0.0
    clamps = [Clamp("forget", f_, (2,)), Clamp("input", 1.0, (2,)), Clamp("candidate", a_, (2,))]
    base, clamped, on = [], [], []
    for a, b in windows.spans:
        states = result.states_at(a)
        held = [replace(states[0], cell=np.where(np.arange(4) == 2, m, states[0].cell))]
        xs = model.embedding[result.passed.ids[a:b]]
        for out, st, cl in ((base, states, []), (clamped, held, clamps)):
            trace = model.network.run(xs, st, cl)
            p = model.head.probabilities(trace.output[:-1])
            out.append(-np.log(p[np.arange(b - a - 1), result.passed.ids[a + 1 : b]]))
        np.testing.assert_allclose(trace.trace(0).values["cell"][:, 2], m, rtol=1e-6)  # held at its mean throughout
        on.append(result.tracks["comment"].values[a + 1 : b])
    base, clamped, on = map(np.concatenate, (base, clamped, on))
    assert on.any() and (~on).any()
    assert tried.loss_rise_on == pytest.approx(clamped[on].mean() / base[on].mean() - 1, rel=1e-9)
    assert tried.loss_rise_off == pytest.approx(clamped[~on].mean() / base[~on].mean() - 1, rel=1e-9)
    gate = census.ablation(model.network.layers[0].forward, 0, "input", 1, 0.25)
    assert gate.clamps == (Clamp("input", 0.25, (1,), layer=0),) and not gate.start  # a gate: clamped at its mean


@pytest.mark.parametrize("kind", [k for k, c in cells.KINDS.items() if c.CLAMPABLE and c.KEEP is not None])
@pytest.mark.parametrize("value", [0.4, -0.7, 3.5])
def test_a_held_memory_unit_stays_at_its_value_at_every_step(kind: str, value: float) -> None:
    model = text_model(kind, layers=2, hidden=5, seed=1)
    cell = model.network.layers[1].forward
    states = [layer.forward.initial_state() for layer in model.network.layers]
    xs = model.embedding[stream.encode(model, TEXT[:60])]
    plain = model.network.run(xs, states).trace(1).values[cell.memory()]
    hold = census.ablation(cell, 1, cell.memory(), 3, value)
    if abs(value) > 1 and "input" not in cell.GATES:
        assert hold is None  # a GRU's h_t, or a coupled LSTM's C_t, never leaves [-1, 1]: no hold can put it there
        return
    held = model.network.run(xs, hold.states(states), hold.clamps).trace(1).values[cell.memory()]
    np.testing.assert_allclose(held[:, 3], value, rtol=1e-5, atol=1e-6)
    assert np.abs(held[:, [0, 1, 2, 4]] - plain[:, [0, 1, 2, 4]]).max() > 1e-3  # the other units feel it
    assert np.all(states[1].hidden == 0)  # the caller's states are untouched


@pytest.mark.parametrize("kind", ["lstm", "peephole", "coupled"])
def test_an_lstm_h_t_unit_is_held_at_its_mean_by_an_open_output_gate(kind: str) -> None:
    model = text_model(kind, layers=1, hidden=5, seed=2)
    cell = model.network.layers[0].forward
    states = [cell.initial_state()]
    xs = model.embedding[stream.encode(model, TEXT[:60])]
    hold = census.ablation(cell, 0, "hidden", 1, -0.3 if kind == "coupled" else 0.9)
    values = model.network.run(xs, hold.states(states), hold.clamps).trace(0).values
    np.testing.assert_allclose(values["hidden"][:, 1], -0.3 if kind == "coupled" else 0.9, rtol=1e-5)
    assert np.all(values["output"][:, 1] == 1.0)


def test_a_unit_nobody_reads_changes_no_loss_when_ablated() -> None:
    model = text_model("gru", layers=1, hidden=3, seed=4)
    net = model.network
    cell = net.layers[0].forward
    weights = {g: w.copy() for g, w in cell.weights.items()}
    for g in weights:
        weights[g][:, 2] = 0.0  # no gate reads unit 2 of h_{t-1}
    from dataclasses import replace

    from cells.files.parts import Head
    from cells.layers import Layer, Network

    quiet = replace(cell, weights=weights)
    head_w = model.head.weights.copy()
    head_w[:, 2] = 0.0  # and the head ignores it
    model = LoadedModel(Network((Layer(quiet),)), model.vocabulary, model.embedding, Head(head_w, model.head.bias))
    result = run_corpus(model, TEXT * 4, streams=2)
    table = result.census(ablate=3, windows=4, length=30)
    tried = [f for f in table if f.unit == 2 and f.loss_rise_on is not None]
    assert tried and all(abs(f.loss_rise_on) < 1e-12 and abs(f.loss_rise_off or 0) < 1e-12 for f in tried)


def test_dense_checkpoints_keep_the_ablation_sample_and_its_numbers(tmp_path) -> None:
    model = text_model("lstm", layers=2, hidden=4, seed=2)
    result = run_corpus(model, TEXT * 40, streams=2, cache=Cache(tmp_path))
    assert result.passed.checkpoints.every == 64  # every chunk: any place is at most 63 steps from a saved state
    assert isinstance(result.passed.checkpoints.states[0], np.memmap)  # on disk, in the cache's entry
    sparse = stream.stream_pass(model, result.passed.ids, result.passed.plan, chunk=64, checkpoint=256)
    before = replace(result, passed=sparse, sample_every=None)  # as runs were saved until now: every 256 steps
    dense = result.census(ablate=1, windows=4, length=300)
    assert any(f.loss_rise_on is not None for f in dense)
    assert [f.to_json() for f in dense] == [f.to_json() for f in before.census(ablate=1, windows=4, length=300)]
    np.testing.assert_allclose(result.unit_values(1, "cell", 3, 900, 1400), before.unit_values(1, "cell", 3, 900, 1400),
                               atol=1e-12)
