"""A corpus run: many streams side by side, each equal to one long run over its text, for every kind."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from cells.corpus import stream, window
from cells.corpus.stats import Statistics
from cells.files.model import LoadedModel
from cells.files.parts import Head

VOCABULARY = [*"abcdef (){}\n#'\"", "<unk>"]
TEXT = ("def f(a):\n    return {'b': (a)}  # cab\nabc 'd(e' f\n" * 6)[:290]


def text_model(kind: str, layers: int = 2, hidden: int = 5, seed: int = 0) -> LoadedModel:
    rng = np.random.default_rng(seed)
    network = cells.Network.create(kind, 4, hidden, num_layers=layers, seed=seed, scale=1.5)
    width = network.layers[-1].output_size
    head = Head(rng.standard_normal((len(VOCABULARY), width)), rng.standard_normal(len(VOCABULARY)))
    return LoadedModel(network, list(VOCABULARY), rng.standard_normal((len(VOCABULARY), 4)), head)


class Keep(stream.Consumer):
    """Every chunk's values put back at their text positions, to compare with whole runs."""

    def __init__(self, steps: int) -> None:
        self.steps, self.values = steps, {}

    def add(self, layer, values, positions):
        for name, v in values.items():
            full = self.values.setdefault((layer, name), np.full((self.steps, v.shape[1]), np.nan))
            full[positions] = v


@pytest.mark.parametrize("kind", cells.KINDS)
def test_every_stream_equals_one_long_run_over_its_text(kind: str) -> None:
    model = text_model(kind)
    ids = stream.encode(model, TEXT)
    plan = stream.plan(TEXT, len(ids), streams=3, min_length=50)
    assert plan.streams == 3 and plan.total == len(TEXT)
    assert all(TEXT[s - 1] == "\n" for s in plan.starts[1:])  # cut at line starts
    keep = Keep(len(ids))
    run = stream.stream_pass(model, ids, plan, chunk=7, checkpoint=14, consumers=[keep])
    for s in range(plan.streams):
        a, b = int(plan.starts[s]), int(plan.starts[s] + plan.lengths[s])
        whole = model.read(TEXT[a:b])
        for k in range(2):
            trace = whole.trace.trace(k)
            for name in run.names[k]:
                np.testing.assert_allclose(keep.values[(k, name)][a:b], trace.values[name], atol=1e-10)
        p = whole.probabilities
        expected = -np.log(p[np.arange(b - a - 1), whole.ids[1:]])
        np.testing.assert_allclose(run.loss[a + 1 : b], expected, rtol=1e-6)  # kept as float32
        assert np.isnan(run.loss[a])  # nothing predicts a stream's first character


@pytest.mark.parametrize("kind", ["lstm", "gru_torch", "lstmp"])
def test_a_window_starts_from_the_long_runs_state_and_equals_it(kind: str) -> None:
    model = text_model(kind)
    ids = stream.encode(model, TEXT)
    plan = stream.plan(TEXT, len(ids), streams=2, min_length=50)
    keep = Keep(len(ids))
    run = stream.stream_pass(model, ids, plan, chunk=5, checkpoint=10, consumers=[keep])
    start = int(plan.starts[1]) + 23  # between two checkpoints
    trace = window.trace_window(model, run, start, start + 30)
    for k in range(2):
        for name in ("hidden", model.network.layers[k].forward.memory()):
            np.testing.assert_allclose(trace.trace(k).values[name], keep.values[(k, name)][start : start + 30],
                                       atol=1e-10)
    # one unit over a range that crosses the boundary between the two streams and several checkpoints
    lo, hi = int(plan.starts[1]) - 17, int(plan.starts[1]) + 41
    got = window.unit_values(model, run, 1, "hidden", 1, lo, hi)
    np.testing.assert_allclose(got, keep.values[(1, "hidden")][lo:hi, 1], atol=1e-10)
    with pytest.raises(ValueError, match="one stream"):
        window.trace_window(model, run, lo, hi)


def test_streaming_statistics_equal_those_of_the_full_trace() -> None:
    model = text_model("lstm", layers=1)
    ids = stream.encode(model, TEXT)
    stats = Statistics({0: "lstm"})
    stream.stream_pass(model, ids, stream.plan(TEXT, len(ids), streams=4, min_length=40), chunk=6,
                       checkpoint=12, consumers=[stats])
    # the same text as four files read on their own, concatenated
    plan = stream.plan(TEXT, len(ids), streams=4, min_length=40)
    traces = [model.read(TEXT[a : a + n]).trace.trace(0) for a, n in zip(plan.starts, plan.lengths, strict=True)]
    by_name = {s.name: s for s in stats.result()}
    for name in ("forget", "input", "candidate", "output", "cell", "hidden"):
        full = np.concatenate([t.values[name] for t in traces])
        s = by_name[name]
        assert s.steps == len(TEXT)
        np.testing.assert_allclose(s.mean, full.mean(axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s.spread, full.std(axis=0), rtol=1e-10, atol=1e-12)
        if name in ("forget", "input", "output"):
            np.testing.assert_array_equal(s.low, (full < 0.1).mean(axis=0))
            np.testing.assert_array_equal(s.high, (full > 0.9).mean(axis=0))
        else:
            assert s.low is None and s.high is None


def test_progress_is_reported_and_a_stop_ends_the_run() -> None:
    model = text_model("gru")
    ids = stream.encode(model, TEXT)
    plan = stream.plan(TEXT, len(ids), streams=2, min_length=50)
    seen = []
    stream.stream_pass(model, ids, plan, chunk=10, checkpoint=10, progress=lambda done, total: seen.append(
        (done, total)))
    assert seen[-1] == (len(TEXT), len(TEXT)) and len(seen) == -(-plan.longest // 10)
    with pytest.raises(stream.Stopped):
        stream.stream_pass(model, ids, plan, chunk=10, checkpoint=10, stop=lambda: len(seen) > 2,
                           progress=lambda done, total: seen.append(done))


def test_characters_outside_the_vocabulary_read_as_the_unknown_token() -> None:
    model = text_model("lstm")
    ids = stream.encode(model, "ab→z")
    assert ids.tolist() == [0, 1, VOCABULARY.index("<unk>"), VOCABULARY.index("<unk>")]
    assert model.read("ab→z").ids.tolist() == ids.tolist()  # the model's own reading agrees
    strict = LoadedModel(model.network, VOCABULARY[:-1], model.embedding[:-1], None)
    with pytest.raises(ValueError, match="unknown character '→' at step 2"):
        stream.encode(strict, "ab→z")
