"""Train a small network on a toy task, in NumPy; save and load trained models; the CLI that makes
the pretrained examples in ``assets/pretrained/``.

    python -m cells.learning.train --preset brackets_lstm --out assets/pretrained/brackets_lstm.npz
    python -m cells.learning.train --task first_bit --option gap=50 --cell gru --hidden 8 --steps 600 \
        --lr 0.01 --batch 32 --seed 0 --out first_bit_gru.npz
    python -m cells.learning.train --all assets/pretrained      # every preset, as shipped

The same command gives a bit-identical file: training is seeded (weights, readout and every
mini-batch), and the file is written with fixed member order and timestamps.

A model file is a .npz: the network's arrays and description exactly as ``cells.files.storage.save_npz``
writes them, plus ``readout.weights``, ``readout.bias`` and ``model`` (JSON text: the task and its
options, the readout's loss and position, the training settings and the accuracy reached).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cells.edits import memory_bias as memory_bias_of
from cells.files import storage
from cells.kinds import KINDS
from cells.layers import Network
from cells.learning.backprop import loss_and_gradients, network_forward, network_parameters, network_with
from cells.learning.optim import OPTIMIZERS, clip_by_norm, flatten, make_optimizer, unflatten
from cells.learning.readout import Readout, accuracy, loss_and_gradient
from cells.learning.tasks import TASKS, Task, make_task

MAX_HIDDEN = 64
MAX_STEPS = 20_000
MAX_BATCH = 1024
MAX_LR = 10.0
STATUSES = ("finished", "stopped", "diverged")


@dataclass(frozen=True, eq=False)
class Model:
    """A network, the readout on its top layer, the task it was trained for, and notes on its training."""

    network: Network
    readout: Readout
    task: Task
    info: dict[str, Any] = field(default_factory=dict)

    def outputs(self, xs: np.ndarray) -> np.ndarray:
        """The readout's y for one sequence xs, (T, I) -> (T, K) (softmax logits, sigmoid logits or values)."""
        hs = self.network.run(xs).output  # (T, D·H)
        return self.readout.outputs(hs)

    def predict(self, xs: np.ndarray) -> np.ndarray:
        """What the model says at every step of one sequence: classes (T,) or values (T, K)."""
        return self.readout.predict(self.network.run(xs).output)


@dataclass(frozen=True, eq=False)
class TrainResult:
    model: Model  # the weights after the last good step (all steps, or until stopped or diverged)
    losses: np.ndarray  # (steps done,) the loss of each training batch
    accuracies: np.ndarray  # (steps done,) the accuracy on each training batch, before its update
    status: str  # "finished", "stopped" (the callback said so) or "diverged"
    message: str
    seconds: float


# ----- checks --------------------------------------------------------------------------------------
def _whole(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name}: expected a whole number from {low} to {high}, got {value!r}")
    return int(value)


def _positive(value: object, name: str, high: float) -> float:
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not 0 < value <= high:
        raise ValueError(f"{name}: expected a number above 0 and at most {high:g}, got {value!r}")
    return float(value)


def _task(task: Task | str) -> Task:
    if isinstance(task, Task):
        return task
    if isinstance(task, str):
        return make_task(task)
    names = ", ".join(TASKS)
    raise ValueError(f"task: expected a task name ({names}) or a cells.learning.tasks.Task, got {type(task).__name__}")


# ----- evaluation ----------------------------------------------------------------------------------
def evaluate(model: Model, *, samples: int = 512, seed: int = 2024) -> tuple[float, float]:
    """(loss, accuracy) of ``model`` on ``samples`` fresh sequences of its task, drawn from ``seed``.

    A diverged model's finite but huge weights give a loss that is not finite here, without a warning.
    """
    batch = model.task.sample(np.random.default_rng(seed), samples)
    with np.errstate(over="ignore", invalid="ignore"):
        hs = network_forward(model.network, batch.inputs).output  # (T, B, D)
        top = hs[-1] if model.readout.at == "last" else hs.transpose(1, 0, 2)
        y = model.readout.outputs(top)
        loss, _ = loss_and_gradient(model.readout, y, batch.targets, batch.mask)
        return loss, accuracy(model.readout, y, batch.targets, batch.mask, model.task.TOLERANCE)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def unit_to_watch(model: Model, *, samples: int = 256, seed: int = 7) -> dict[str, Any]:
    """The first layer's unit whose state tracks the task best, with a sentence saying what to look at.

    The state is C_t for the LSTM family and h_t otherwise; "tracks" is the correlation, over fresh
    samples, with what the task counts (the depth, the b's left, the next value) or, for tasks
    answered at the end, between the last state and the answer.
    """
    task = model.task
    batch = task.sample(np.random.default_rng(seed), samples)
    cell = model.network.layers[0].forward
    state = cell.memory()
    values = np.stack([cell.run(x).values[state] for x in batch.inputs])  # (B, T, H)
    if task.AT == "last":
        pairs = values[:, -1], np.broadcast_to(batch.targets[:, None], values[:, -1].shape)
    else:
        keep = np.ones(batch.inputs.shape[:2], bool) if batch.mask is None else batch.mask > 0  # (B, T)
        target = batch.targets if batch.targets.ndim == 2 else batch.targets[..., 0]
        pairs = values[keep], np.broadcast_to(target[keep][:, None], values[keep].shape)
    symbol = "C_t" if state == "cell" else "h_t"
    if not task.FOLLOWS:  # no single number to follow: point at the busiest unit
        unit = int(np.argmax(values.reshape(-1, values.shape[-1]).std(axis=0)))
        note = task.SWINGS.format(unit=unit, symbol=symbol, example=task.example)
        return {"unit": unit, "state": state, "correlation": None, "note": note}
    r = np.array([_corr(pairs[0][:, k], pairs[1][:, k]) for k in range(values.shape[-1])])
    unit = int(np.argmax(np.abs(r)))
    if abs(r[unit]) >= 0.5:
        note = f"Watch unit {unit} of {symbol}: {task.TRACKS[0 if r[unit] > 0 else 1]} (correlation {r[unit]:+.2f})."
    else:
        note = f"No unit of {symbol} follows {task.FOLLOWS} (best correlation {r[unit]:+.2f}, unit {unit})."
        if task.LOST and cell.KEEP is None:  # nothing in the cell decides to keep the old state
            note += " " + task.LOST
    return {"unit": unit, "state": state, "correlation": round(float(r[unit]), 4), "note": note}


# ----- training ------------------------------------------------------------------------------------
def _start(network_or_kind: Network | Model | str, task: Task, hidden_size: int, seed: int, memory_bias: float
           ) -> tuple[Network, Readout]:
    if isinstance(network_or_kind, Model):
        network, readout = network_or_kind.network, network_or_kind.readout
    elif isinstance(network_or_kind, Network):
        network, readout = network_or_kind, None
    elif isinstance(network_or_kind, str):
        readout = None
        if network_or_kind not in KINDS:
            raise ValueError(f"cell kind: expected one of {', '.join(KINDS)}, got {network_or_kind!r}")
        network = Network.create(network_or_kind, task.input_size, hidden_size, seed=seed)
        if memory_bias:
            network = memory_bias_of(network, memory_bias)
    else:
        raise ValueError(f"network: expected a cell kind, a cells.Network or a trained Model, "
                         f"got {type(network_or_kind).__name__}")
    if network.input_size != task.input_size:
        raise ValueError(f"network: expected input size {task.input_size} for the {task.NAME} task, "
                         f"got {network.input_size}")
    if network.hidden_size > MAX_HIDDEN:
        raise ValueError(f"hidden size: expected at most {MAX_HIDDEN} to train here, got {network.hidden_size}")
    width = network.layers[-1].output_size
    if readout is None:
        readout = Readout.create(width, task.output_size, loss=task.LOSS, at=task.AT,
                                 seed=np.random.default_rng([seed, 1]))
    if (readout.input_size, readout.output_size, readout.loss, readout.at) != (
            width, task.output_size, task.LOSS, task.AT):
        raise ValueError(f"readout: expected {task.output_size} outputs over {width} inputs with {task.LOSS} loss "
                         f"at {task.AT}, got {readout.output_size} over {readout.input_size}, {readout.loss}, "
                         f"{readout.at}")
    return network, readout


def train(
    network_or_kind: Network | Model | str,
    task: Task | str,
    *,
    hidden_size: int = 16,
    steps: int = 1000,
    lr: float = 0.01,
    batch_size: int = 32,
    seed: int = 0,
    optimizer: str = "adam",
    clip: float | None = 1.0,
    memory_bias: float = 0.0,
    callback: Callable[[int, float, float], bool | None] | None = None,
) -> TrainResult:
    """Train on fresh seeded mini-batches of ``task`` and return the model with its learning curve.

    ``network_or_kind`` is a cell kind (a new one-layer network of ``hidden_size`` units drawn from
    ``seed``), a Network (a new readout is added) or a Model to train further. Each step draws a
    batch, runs BPTT, clips the gradients' joint norm to ``clip`` (None: no clipping) and lets the
    optimiser ("adam" or "sgd") take one step. ``memory_bias`` is added to the bias of the gate that
    keeps the old state in a new network (the LSTM's forget gate, the GRU's update gate, as
    ``cells.edits.memory_bias`` says): a common start that lets memory last from the first step.

    ``callback(step, loss, accuracy)`` runs after every step; returning False stops training and
    keeps the weights so far. A loss or a weight that stops being finite ends the run as
    "diverged", keeping the last weights whose loss was finite. Settings outside sensible bounds
    raise ValueError.
    """
    task = _task(task)
    hidden_size = _whole(hidden_size, "hidden size", 1, MAX_HIDDEN)
    steps = _whole(steps, "steps", 1, MAX_STEPS)
    lr = _positive(lr, "learning rate", MAX_LR)
    batch_size = _whole(batch_size, "batch size", 1, MAX_BATCH)
    seed = _whole(seed, "seed", 0, 2**32 - 1)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if clip is not None:
        clip = _positive(clip, "gradient clip", 1e6)
    if not isinstance(memory_bias, (int, float)) or isinstance(memory_bias, bool) or not -10 <= memory_bias <= 10:
        raise ValueError(f"memory bias: expected a number from -10 to 10, got {memory_bias!r}")
    if callback is not None and not callable(callback):
        raise ValueError(f"callback: expected a function (step, loss, accuracy) -> bool, got {type(callback).__name__}")
    network, readout = _start(network_or_kind, task, hidden_size, seed, memory_bias)

    data = np.random.default_rng([seed, 2])
    opt = make_optimizer(optimizer, lr)
    tree = (network_parameters(network), readout.parameters())
    flat = flatten(tree)
    losses: list[float] = []
    accuracies: list[float] = []
    status, message = "finished", f"Trained for {steps} steps."
    started = time.perf_counter()
    for step in range(1, steps + 1):
        batch = task.sample(data, batch_size)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            g = loss_and_gradients(network, readout, batch.inputs, batch.targets, batch.mask)
            grads = flatten((g.network, g.readout))
            finite = math.isfinite(g.loss) and all(np.all(np.isfinite(a)) for a in grads)
            if finite:
                acc = accuracy(readout, g.outputs, batch.targets, batch.mask, task.TOLERANCE)
                grads, _ = clip_by_norm(grads, clip)
                new = opt.step(flat, grads)
                finite = all(np.all(np.isfinite(a)) for a in new)
        if not finite:
            status = "diverged"
            message = (f"Diverged at step {step}: the loss or the weights stopped being finite numbers "
                       f"(try a smaller learning rate); kept the weights from before step {step}.")
            break
        losses.append(g.loss)
        accuracies.append(acc)
        flat = new
        net_params, r_params = unflatten(tree, flat)
        network, readout = network_with(network, net_params), readout.with_parameters(r_params)
        if callback is not None and callback(step, g.loss, acc) is False:
            status, message = "stopped", f"Stopped after step {step} of {steps}; kept the weights so far."
            break
    info = {"task": task.NAME, "options": task.options(), "kind": network.kind, "hidden_size": network.hidden_size,
            "steps": len(losses), "lr": lr, "batch_size": batch_size, "seed": seed, "optimizer": optimizer,
            "clip": clip, "memory_bias": memory_bias, "status": status}
    return TrainResult(Model(network, readout, task, info), np.array(losses), np.array(accuracies), status, message,
                       time.perf_counter() - started)


# ----- model files ---------------------------------------------------------------------------------
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_OWN = ("model.npy", "readout.weights.npy", "readout.bias.npy")


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=False)
    return buf.getvalue()


def model_bytes(model: Model) -> bytes:
    """The model file's bytes: deterministic (sorted members, fixed timestamps), so the same model
    always gives the same file."""
    buf = io.BytesIO()
    storage.save_npz(model.network, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        members = {m.filename: z.read(m) for m in z.infolist()}
    meta = {"format": "gatescope-model", "version": 1, "task": model.task.NAME, "options": model.task.options(),
            "loss": model.readout.loss, "at": model.readout.at, "info": model.info}
    members["model.npy"] = _npy(np.array(json.dumps(meta, sort_keys=True, allow_nan=False)))
    members["readout.weights.npy"] = _npy(model.readout.weights)
    members["readout.bias.npy"] = _npy(model.readout.bias)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in sorted(members):
            zi = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, members[name])
    return out.getvalue()


def save_model(model: Model, path: str | os.PathLike) -> None:
    Path(path).write_bytes(model_bytes(model))


def load_model(path_or_bytes: str | os.PathLike | bytes) -> Model:
    """A model written by ``save_model``; refusals are ValueErrors starting "model file:"."""
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    if len(data) > storage.MAX_BYTES:
        raise ValueError(f"model file: larger than the limit of {storage.MAX_BYTES:,} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = [m.filename for m in z.infolist()]
            missing = [n for n in _OWN if n not in names]
            if missing:
                raise ValueError(f"model file: no {', '.join(missing)}: not a trained Gatescope model")
            if sum(m.file_size for m in z.infolist()) > storage.MAX_BYTES:
                raise ValueError("model file: its arrays unpack to more than the limit")
            own = {n: np.load(io.BytesIO(z.read(n)), allow_pickle=False) for n in _OWN}
            rest = io.BytesIO()
            with zipfile.ZipFile(rest, "w") as w:
                for n in names:
                    if n not in _OWN:
                        w.writestr(n, z.read(n))
    except zipfile.BadZipFile:
        raise ValueError("model file: not a .npz file") from None
    network = storage.load_npz(rest.getvalue())
    try:
        meta = json.loads(str(own["model.npy"][()]))
        task = make_task(meta["task"], **meta["options"])
        readout = Readout(own["readout.weights.npy"], own["readout.bias.npy"], meta["loss"], meta["at"])
        info = dict(meta.get("info", {}))
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"model file: the model description is damaged ({type(e).__name__}: {e})") from None
    if readout.input_size != network.layers[-1].output_size or readout.output_size != task.output_size:
        raise ValueError("model file: the readout does not fit the network and the task")
    return Model(network, readout, task, info)


# ----- the shipped examples ------------------------------------------------------------------------
PRESETS: dict[str, dict[str, Any]] = {
    "brackets_lstm": {"task": "brackets", "cell": "lstm", "hidden": 8, "steps": 2000, "lr": 0.01, "seed": 0},
    "counting_lstm": {"task": "counting", "cell": "lstm", "hidden": 8, "steps": 1500, "lr": 0.02, "seed": 0},
    "first_bit_lstm": {"task": "first_bit", "options": {"gap": 50}, "cell": "lstm", "hidden": 8, "steps": 600,
                       "lr": 0.01, "seed": 0, "memory_bias": 2.0},
    "first_bit_gru": {"task": "first_bit", "options": {"gap": 50}, "cell": "gru", "hidden": 8, "steps": 600,
                      "lr": 0.01, "seed": 0, "memory_bias": 2.0},
    "first_bit_rnn": {"task": "first_bit", "options": {"gap": 50}, "cell": "rnn", "hidden": 8, "steps": 2000,
                      "lr": 0.01, "seed": 0},
    "sine_gru": {"task": "sine", "cell": "gru", "hidden": 8, "steps": 1500, "lr": 0.02, "seed": 0},
    "text_lstm": {"task": "text", "cell": "lstm", "hidden": 32, "steps": 500, "lr": 0.02, "seed": 0},
}


def _settings(preset: dict[str, Any]) -> dict[str, Any]:
    return {"hidden_size": preset["hidden"], "steps": preset["steps"], "lr": preset["lr"],
            "batch_size": preset.get("batch", 32), "seed": preset["seed"], "optimizer": preset.get("optimizer", "adam"),
            "clip": preset.get("clip", 1.0), "memory_bias": preset.get("memory_bias", 0.0)}


def train_preset(name: str, callback: Callable[[int, float, float], bool | None] | None = None) -> TrainResult:
    """Train the shipped example ``name`` (a key of PRESETS) exactly as it was made."""
    if name not in PRESETS:
        raise ValueError(f"preset: expected one of {', '.join(PRESETS)}, got {name!r}")
    p = PRESETS[name]
    task = make_task(p["task"], **p.get("options", {}))
    return train(p["cell"], task, callback=callback, **_settings(p))


def arithmetic_fingerprint() -> str:
    """A short hash of 25 seeded training steps: equal on two machines when their floating-point
    arithmetic (NumPy's BLAS kernels, the CPU) gives the same bits, so a rebuild can be bit-identical."""
    result = train_preset("first_bit_gru", callback=lambda step, loss, acc: step < 25)
    return hashlib.sha256(model_bytes(result.model)).hexdigest()[:16]


def _option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cells.learning.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a shipped example's settings (others override)")
    parser.add_argument("--all", metavar="DIR", help="train every preset into DIR/<preset>.npz")
    parser.add_argument("--task", choices=sorted(TASKS))
    parser.add_argument("--option", action="append", type=_option, default=[], help="task option, e.g. gap=50")
    parser.add_argument("--cell", choices=sorted(KINDS))
    parser.add_argument("--hidden", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--optimizer", choices=OPTIMIZERS)
    parser.add_argument("--clip", type=float)
    parser.add_argument("--memory-bias", type=float, dest="memory_bias")
    parser.add_argument("--out", help="where to write the model (.npz)")
    args = parser.parse_args(argv)

    if args.all:
        folder = Path(args.all)
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for name in PRESETS:
            entry = _report(name, train_preset(name), folder / f"{name}.npz")
            entry["command"] = f"python -m cells.learning.train --preset {name} --out {(folder / name).as_posix()}.npz"
            entries.append(entry)
        path = folder / "manifest.json"
        kept = json.loads(path.read_text()) if path.exists() else {}  # other makers' entries (corpus_models) stay
        manifest = {**kept, "format": "gatescope-pretrained", "version": 1, "models": entries,
                    "arithmetic": arithmetic_fingerprint()}
        path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        return 0
    preset = dict(PRESETS[args.preset]) if args.preset else {"hidden": 16, "steps": 1000, "lr": 0.01, "seed": 0}
    for key in ("task", "cell", "hidden", "steps", "lr", "batch", "seed", "optimizer", "clip", "memory_bias"):
        if getattr(args, key) is not None:
            preset[key] = getattr(args, key)
    if args.option:
        preset["options"] = {**preset.get("options", {}), **dict(args.option)}
    if "task" not in preset or "cell" not in preset or not args.out:
        parser.error("give --preset, or --task and --cell; and --out")
    try:
        task = make_task(preset["task"], **preset.get("options", {}))
        result = train(preset["cell"], task, **_settings(preset))
    except ValueError as e:
        parser.error(str(e))
    _report(args.preset or preset["task"], result, Path(args.out))
    return 0 if result.status == "finished" else 1


def _report(name: str, result: TrainResult, out: Path) -> dict[str, Any]:
    """Evaluate, note the unit to watch, save; return the model's manifest entry."""
    loss, acc = evaluate(result.model)
    watch = unit_to_watch(result.model)
    model = Model(result.model.network, result.model.readout, result.model.task,
                  {**result.model.info, "accuracy": round(acc, 4), "loss": round(loss, 6), "watch": watch})
    save_model(model, out)
    print(f"{name}: {result.message} {result.seconds:.1f} s; fresh samples: loss {loss:.4f}, "
          f"accuracy {acc:.1%}; {watch['note']} Wrote {out} ({out.stat().st_size:,} bytes)", file=sys.stderr)
    cell = model.network.layers[0].forward
    return {"name": name, "file": out.name, "label": f"{cell.LABEL} trained on {model.task.topic}",
            "task": model.task.NAME, "options": model.task.options(), "kind": cell.KIND,
            "hidden_size": cell.hidden_size, "accuracy": round(acc, 4), "watch": watch}


if __name__ == "__main__":
    sys.exit(main())
