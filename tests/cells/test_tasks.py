"""The toy tasks: seeded, well-formed, and their targets say what the task promises."""

from __future__ import annotations

import numpy as np
import pytest

from cells.learning.tasks import TASKS, TEXT, Brackets, Counting, FirstBit, Sine, Text, make_task


@pytest.mark.parametrize("name", list(TASKS))
def test_same_seed_same_batch_other_seed_other_batch(name: str) -> None:
    task = make_task(name)
    a, b = task.sample(np.random.default_rng(3), 16), task.sample(np.random.default_rng(3), 16)
    c = task.sample(np.random.default_rng(4), 16)
    assert np.array_equal(a.inputs, b.inputs) and np.array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, c.inputs)


@pytest.mark.parametrize("name", list(TASKS))
def test_batch_shapes_fit_the_task(name: str) -> None:
    task = make_task(name)
    batch = task.sample(np.random.default_rng(0), 5)
    assert batch.inputs.shape == (5, task.steps, task.input_size)
    if task.AT == "last":
        assert batch.targets.shape == (5,)
    elif task.LOSS == "softmax":
        assert batch.targets.shape == (5, task.steps)
    else:
        assert batch.targets.shape == (5, task.steps, task.output_size)
    if task.LOSS == "softmax":
        assert batch.targets.min() >= 0 and batch.targets.max() < task.output_size
    if batch.mask is not None:
        assert batch.mask.shape == (5, task.steps) and batch.mask.sum() > 0


def test_bracket_targets_are_the_nesting_depth_within_bounds() -> None:
    task = Brackets(length=30, max_depth=3)
    batch = task.sample(np.random.default_rng(1), 64)
    step = batch.inputs[:, :, 0] - batch.inputs[:, :, 1]  # +1 for "(", -1 for ")"
    assert np.all(batch.inputs.sum(axis=2) == 1)  # one-hot
    assert np.array_equal(batch.targets, np.cumsum(step, axis=1))
    assert batch.targets.min() == 0 and batch.targets.max() == 3  # every depth occurs, none outside
    assert np.all(batch.targets >= 0) and np.all(batch.targets <= 3)
    assert np.array_equal(Brackets.depths("(()("), [1, 2, 1, 2])


def test_counting_targets_count_the_bs_left_from_the_x_on() -> None:
    task = Counting(max_count=4)
    batch = task.sample(np.random.default_rng(2), 32)
    for xs, left, mask in zip(batch.inputs, batch.targets, batch.mask, strict=True):
        text = "".join(task.FEATURES[j] for j in xs.argmax(axis=1))
        n = text.index("X")
        assert text == ("a" * n + "X" + "b" * n).ljust(task.steps, ".")
        assert list(mask) == [0.0] * n + [1.0] * (task.steps - n)
        for t in range(n, task.steps):
            assert left[t] == text[t + 1 :].count("b")


def test_first_bit_target_is_the_first_bit_and_the_start_marks_it() -> None:
    task = FirstBit(gap=12)
    batch = task.sample(np.random.default_rng(5), 64)
    assert task.steps == 13
    assert np.array_equal(batch.targets, (batch.inputs[:, 0, 0] > 0).astype(int))
    assert np.all(batch.inputs[:, 0, 1] == 1) and np.all(batch.inputs[:, 1:, 1] == 0)
    assert set(np.unique(batch.inputs[:, :, 0])) == {-1.0, 1.0}  # noise after the bit, on the same channel
    assert 0.3 < batch.targets.mean() < 0.7
    enc = task.encode("1001")
    assert enc.xs.tolist() == [[1, 1], [-1, 0], [-1, 0], [1, 0]]
    with pytest.raises(ValueError, match="unknown character '2' at step 2"):
        task.encode("102")


def test_sine_targets_are_the_next_clean_value() -> None:
    task = Sine(length=25, noise=0.0, warmup=3)
    batch = task.sample(np.random.default_rng(6), 8)
    np.testing.assert_allclose(batch.targets[:, :-1, 0], batch.inputs[:, 1:, 0], atol=1e-12)
    assert np.all(batch.mask[:, :3] == 0) and np.all(batch.mask[:, 3:] == 1)
    noisy = Sine(noise=0.3).sample(np.random.default_rng(6), 8)
    assert np.std(noisy.inputs[:, 1:, 0] - noisy.targets[:, :-1, 0]) > 0.2
    assert Sine().encode("0.5, 1, -0.25").xs.ravel().tolist() == [0.5, 1.0, -0.25]


def test_text_windows_come_from_the_text_and_targets_are_next_characters() -> None:
    task = Text(length=12, warmup=2)
    batch = task.sample(np.random.default_rng(7), 10)
    vocab = task.vocabulary
    for xs, ys in zip(batch.inputs, batch.targets, strict=True):
        read = "".join(vocab[j] for j in xs.argmax(axis=1))
        nxt = "".join(vocab[j] for j in ys)
        assert read in TEXT and read[1:] + nxt[-1] == nxt
    assert "gate" in TEXT and len(TEXT) > 200


def test_encode_names_the_bad_character() -> None:
    with pytest.raises(ValueError, match="unknown character 'x' at step 2"):
        Brackets().encode("((x)")
    assert Counting().encode("aaXbb.").xs.shape == (6, 4)


@pytest.mark.parametrize(("name", "options", "message"), [
    ("mazes", {}, "task: expected one of"),
    ("first_bit", {"gap": 0}, "gap: expected a whole number"),
    ("first_bit", {"length": 3}, "unknown option length"),
    ("brackets", {"max_depth": 2.5}, "maximum depth"),
    ("sine", {"noise": -1}, "noise: expected a number from 0 to 1"),
])
def test_bad_task_settings_are_refused(name: str, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_task(name, **options)


# ----- the right answers to a typed sequence (what the Train page marks its predictions against) ----------
def _answers(task_name: str, text: str) -> list:
    task = make_task(task_name)
    return task.answers(text, task.encode(text).xs)


def test_brackets_answer_the_depth_after_every_bracket() -> None:
    assert _answers("brackets", "(()(") == ["1", "2", "1", "2"]


def test_counting_answers_the_b_left_from_the_x_on_and_nothing_before() -> None:
    assert _answers("counting", "aaXbb.") == [None, None, "2", "1", "0", "0"]
    assert _answers("counting", "abXb") == [None] * 4  # not a's then X: the task says nothing


def test_first_bit_answers_the_first_bit_everywhere_and_its_example_fits_its_gap() -> None:
    assert _answers("first_bit", "1001") == ["1"] * 4
    assert FirstBit(gap=5).example == "101101" and FirstBit().example == FirstBit.EXAMPLE


def test_value_and_text_tasks_answer_the_next_step_and_nothing_after_the_last() -> None:
    assert _answers("sine", "0.5 -0.25 1") == [-0.25, 1.0, None]
    assert _answers("text", "ab c") == ["b", "␣", "c", None]


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_answers_once_per_step_and_reads_its_own_example(name: str) -> None:
    task = make_task(name)
    encoded = task.encode(task.example)
    assert len(task.answers(task.example, encoded.xs)) == encoded.steps
    assert task.READS and task.ANSWER != "answer"
