"""Training: reproducible, learns, stops when asked, survives divergence, refuses silly settings;
optimisers and clipping; model files and the CLI."""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np
import pytest

import cells
from cells.files import storage
from cells.learning import optim
from cells.learning.backprop import network_parameters
from cells.learning.tasks import Brackets, FirstBit, make_task
from cells.learning.train import Model, evaluate, load_model, main, model_bytes, save_model, train, unit_to_watch

SMALL = {"hidden_size": 4, "steps": 20, "lr": 0.02, "batch_size": 8}


def all_arrays(model: Model) -> list[np.ndarray]:
    return optim.flatten((network_parameters(model.network), model.readout.parameters()))


def same_weights(a: Model, b: Model) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(all_arrays(a), all_arrays(b), strict=True))


# ----- reproducible and learning ----------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_same_seed_gives_bit_identical_weights(optimizer: str) -> None:
    a = train("gru", "brackets", seed=3, optimizer=optimizer, **SMALL)
    b = train("gru", "brackets", seed=3, optimizer=optimizer, **SMALL)
    c = train("gru", "brackets", seed=4, optimizer=optimizer, **SMALL)
    assert same_weights(a.model, b.model) and np.array_equal(a.losses, b.losses)
    assert not same_weights(a.model, c.model)
    assert model_bytes(a.model) == model_bytes(b.model)


def test_lstm_learns_bracket_depth() -> None:
    task = Brackets(length=12, max_depth=3)
    before = evaluate(train("lstm", task, hidden_size=6, steps=1, lr=1e-9, batch_size=1, seed=0).model)[1]
    result = train("lstm", task, hidden_size=6, steps=400, lr=0.02, batch_size=16, seed=0)
    assert result.status == "finished" and len(result.losses) == 400
    assert result.losses[-20:].mean() < 0.3 * result.losses[:20].mean()
    assert evaluate(result.model)[1] > max(0.9, before + 0.3)


def test_sgd_lowers_the_loss_too() -> None:
    result = train("rnn", "sine", hidden_size=6, steps=300, lr=0.1, batch_size=16, optimizer="sgd", seed=1)
    assert result.losses[-30:].mean() < 0.5 * result.losses[:30].mean()


def test_trains_a_bidirectional_stack_and_continues_a_model() -> None:
    task = make_task("counting", max_count=3)
    net = cells.Network.create("gru_torch", task.input_size, 4, num_layers=2, bidirectional=True, seed=2)
    first = train(net, task, steps=10, lr=0.01, batch_size=4, seed=0)
    assert first.model.readout.input_size == 8
    more = train(first.model, task, steps=10, lr=0.01, batch_size=4, seed=1)
    assert more.model.network.bidirectional and len(more.model.network.layers) == 2
    assert not same_weights(first.model, more.model)


# ----- the callback, stopping and diverging -----------------------------------------------------------


def test_callback_sees_every_step_and_can_stop_keeping_the_weights_so_far() -> None:
    seen = []

    def progress(step: int, loss: float, accuracy: float) -> bool:
        seen.append((step, loss, accuracy))
        return step < 5

    stopped = train("lstm", "brackets", seed=0, callback=progress, **SMALL)
    assert stopped.status == "stopped" and "Stopped after step 5" in stopped.message
    assert [s for s, _, _ in seen] == [1, 2, 3, 4, 5] and len(stopped.losses) == 5
    assert all(0 <= a <= 1 and math.isfinite(loss) for _, loss, a in seen)
    five = train("lstm", "brackets", seed=0, **{**SMALL, "steps": 5})
    assert same_weights(stopped.model, five.model)  # exactly the weights after step 5


def test_a_diverging_run_stops_itself_and_keeps_finite_weights() -> None:
    result = train("rnn", "sine", hidden_size=4, steps=500, lr=10.0, batch_size=8, optimizer="sgd", clip=None)
    assert result.status == "diverged" and "Diverged at step" in result.message
    assert len(result.losses) < 500 and np.all(np.isfinite(result.losses))
    assert all(np.all(np.isfinite(a)) for a in all_arrays(result.model))
    assert result.model.info["status"] == "diverged"


@pytest.mark.parametrize(("settings", "message"), [
    ({"hidden_size": 65}, "hidden size: expected a whole number from 1 to 64"),
    ({"steps": 20_001}, "steps: expected a whole number from 1 to 20000"),
    ({"steps": 0}, "steps"),
    ({"lr": 0.0}, "learning rate: expected a number above 0"),
    ({"lr": -0.1}, "learning rate"),
    ({"lr": float("nan")}, "learning rate"),
    ({"lr": float("inf")}, "learning rate"),
    ({"batch_size": 0}, "batch size: expected a whole number from 1 to 1024"),
    ({"batch_size": 1025}, "batch size"),
    ({"optimizer": "lbfgs"}, "optimizer: expected one of adam, sgd"),
    ({"clip": 0.0}, "gradient clip"),
    ({"seed": -1}, "seed"),
])
def test_settings_out_of_bounds_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        train("lstm", "brackets", **{**SMALL, **settings})


def test_a_kind_network_or_task_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="cell kind: expected one of"):
        train("transformer", "brackets", **SMALL)
    with pytest.raises(ValueError, match="task: expected one of"):
        train("lstm", "chess", **SMALL)
    with pytest.raises(ValueError, match="expected input size 2 for the brackets task, got 3"):
        train(cells.Network.create("lstm", 3, 4), "brackets", **SMALL)
    with pytest.raises(ValueError, match="hidden size: expected at most 64"):
        train(cells.Network.create("rnn", 2, 80), "brackets", **SMALL)


# ----- optimisers and clipping ------------------------------------------------------------------------


def test_clipping_scales_the_joint_norm_and_leaves_small_gradients_alone() -> None:
    grads = [np.array([3.0, 0.0]), np.array([[4.0]])]
    clipped, norm = optim.clip_by_norm(grads, 1.0)
    assert norm == 5.0 and optim.global_norm(clipped) == pytest.approx(1.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    same, _ = optim.clip_by_norm(grads, 10.0)
    assert all(np.array_equal(a, b) for a, b in zip(same, grads, strict=True))
    assert optim.clip_by_norm(grads, None)[0][0] is grads[0]


def test_adam_first_step_moves_each_weight_by_the_learning_rate_against_its_gradient() -> None:
    p = [np.array([1.0, -2.0, 0.5])]
    g = [np.array([0.3, -1e-3, 50.0])]
    new = optim.Adam(0.1).step(p, g)
    np.testing.assert_allclose(new[0], p[0] - 0.1 * np.sign(g[0]), rtol=1e-6)
    assert p[0].tolist() == [1.0, -2.0, 0.5]  # inputs untouched


def test_sgd_step_and_momentum() -> None:
    p, g = [np.array([1.0])], [np.array([2.0])]
    assert optim.SGD(0.1).step(p, g)[0].tolist() == [0.8]
    heavy = optim.SGD(0.1, momentum=0.5)
    heavy.step(p, g)
    assert heavy.step(p, g)[0] == pytest.approx(1.0 - 0.1 * (0.5 * 2 + 2))


def test_flatten_and_unflatten_round_trip() -> None:
    tree = ({"a": np.zeros(2), "b": {"c": np.ones((2, 2))}}, (np.arange(3.0),))
    leaves = optim.flatten(tree)
    assert [x.shape for x in leaves] == [(2,), (2, 2), (3,)]
    back = optim.unflatten(tree, [x + 1 for x in leaves])
    assert back[0]["b"]["c"].tolist() == [[2.0, 2.0], [2.0, 2.0]] and isinstance(back[1], tuple)


# ----- model files and the command line ----------------------------------------------------------------


def test_model_file_round_trip(tmp_path) -> None:
    model = train("peephole", FirstBit(gap=5), seed=1, **SMALL).model
    path = tmp_path / "m.npz"
    save_model(model, path)
    back = load_model(path)
    assert same_weights(model, back)
    assert back.task == model.task and back.readout.at == "last" and back.info["kind"] == "peephole"
    xs = model.task.encode("101101").xs
    np.testing.assert_array_equal(back.predict(xs), model.predict(xs))


def test_model_file_refuses_other_files(tmp_path) -> None:
    plain = tmp_path / "net.npz"
    storage.save_npz(cells.Network.create("lstm", 2, 3), plain)
    with pytest.raises(ValueError, match="not a trained Gatescope model"):
        load_model(plain)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"model file: not a \.npz"):
        load_model(junk)


def test_cli_writes_the_same_file_for_the_same_command(tmp_path) -> None:
    args = ["--task", "first_bit", "--option", "gap=4", "--cell", "gru_keras_v1", "--hidden", "3", "--steps", "15",
            "--lr", "0.05", "--batch", "4", "--seed", "9"]
    assert main([*args, "--out", str(tmp_path / "a.npz")]) == 0
    assert main([*args, "--out", str(tmp_path / "b.npz")]) == 0
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    model = load_model(tmp_path / "a.npz")
    assert model.task == FirstBit(gap=4) and model.network.kind == "gru_keras_v1" and model.info["seed"] == 9
    with pytest.raises(SystemExit):
        main([*args[:-2], "--seed", "1", "--lr", "0", "--out", str(tmp_path / "c.npz")])


def test_evaluating_a_model_with_huge_weights_gives_a_non_finite_loss_without_a_warning() -> None:
    import dataclasses
    import warnings

    from cells.learning.tasks import make_task
    from cells.learning.train import evaluate, train

    model = train("lstm", make_task("sine"), hidden_size=4, steps=2, lr=0.01, batch_size=4, seed=0).model
    huge = dataclasses.replace(model.readout, weights=model.readout.weights * 1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, _ = evaluate(dataclasses.replace(model, readout=huge), samples=8)
    assert not np.isfinite(loss)


def test_the_unit_to_watch_asks_the_task_class_what_to_say_never_its_name() -> None:
    """A task of a new name says its own sentences: nothing outside the task classes knows the names."""

    @dataclasses.dataclass(frozen=True)
    class Busiest(Brackets):
        NAME: ClassVar[str] = "busiest"
        FOLLOWS: ClassVar[str] = ""  # no single number: the unit that swings the most
        SWINGS: ClassVar[str] = "Unit {unit} of {symbol} moves the most on \"{example}\"."

    @dataclasses.dataclass(frozen=True)
    class Deep(Brackets):
        NAME: ClassVar[str] = "deep"
        FOLLOWS: ClassVar[str] = "how deep the brackets go"

    settings = {"hidden_size": 4, "steps": 2, "batch_size": 4}
    busiest = unit_to_watch(train("lstm", Busiest(length=8, max_depth=2), **settings).model)
    assert busiest["note"] == f"Unit {busiest['unit']} of C_t moves the most on \"{Brackets.EXAMPLE}\"."
    deep = unit_to_watch(train("gru", Deep(length=8, max_depth=2), **settings).model)
    assert deep["note"].startswith(f"Watch unit {deep['unit']} of h_t: ") or (
        deep["note"] == f"No unit of h_t follows how deep the brackets go (best correlation "
                        f"{deep['correlation']:+.2f}, unit {deep['unit']}).")


def test_only_a_cell_that_keeps_no_state_is_said_to_have_lost_the_first_bit() -> None:
    task = FirstBit(gap=30)
    settings = {"hidden_size": 2, "steps": 1, "batch_size": 2, "seed": 5}
    for kind in ("lstm", "rnn"):  # one step of training: neither has learnt the bit yet
        watch = unit_to_watch(train(kind, task, **settings).model)
        assert watch["note"].startswith("No unit")
        assert (FirstBit.LOST in watch["note"]) == (cells.KINDS[kind].KEEP is None), watch["note"]
