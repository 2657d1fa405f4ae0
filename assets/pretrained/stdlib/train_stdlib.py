"""Make the shipped character models of Python code: an LSTM and a GRU trained on the standard library's source.

    python assets/pretrained/stdlib/train_stdlib.py lstm       # assets/pretrained/stdlib_lstm.safetensors
    python assets/pretrained/stdlib/train_stdlib.py gru        # assets/pretrained/stdlib_gru.safetensors
    python assets/pretrained/stdlib/train_stdlib.py ngram      # the n-gram baselines' held-out bits per character
    python assets/pretrained/stdlib/train_stdlib.py census-lstm  # the census of a model on the held-out files
    python assets/pretrained/stdlib/train_stdlib.py manifest   # add the records to assets/pretrained/manifest.json

The text is ``cells.corpus.stdlib``: the running Python 3.11's standard library ``.py`` files outside test
folders. ``HELD_OUT`` whole files, drawn with ``SEED``, are kept apart; the rest is the training text. The
vocabulary is the ``VOCABULARY - 1`` most frequent characters of the training text plus ``<unk>``, which every
other character reads as, in training and after.

Each model is embedding (V, E) -> ``LAYERS`` recurrent layers of ``HIDDEN`` units -> linear head (V, H) with a
softmax, trained by PyTorch on CPU (one thread): Adam, gradient-norm clipping, the learning rate decayed on a
cosine over the run's progress: the larger of the share of ``STEPS`` steps done and the share of the wall-clock
limit used (so a busy machine ends the run on time with a decayed rate; the log says which held). The
training text is cut into ``BATCH`` streams read side by side ``SEQUENCE`` characters at a time, each
stream's state carried from one step to the next (truncated backpropagation through time). The run ends
at ``STEPS`` steps or at the wall-clock limit, whichever comes first. Checkpoints every few minutes let
a stopped run continue (``--resume``); ``--more`` trains on from the last checkpoint with a new schedule.
The weights are rounded to float16 and the held-out bits per character are measured with those rounded
weights, over the whole held-out text read as one stream per file.

PyTorch is needed here only: the app and the tests read the files with ``cells.load``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from cells.corpus import stdlib  # noqa: E402
from cells.corpus.tracks import CODE  # noqa: E402

SEED = 0
HELD_OUT = 40  # whole files
VOCABULARY = 100  # tokens, <unk> included
UNKNOWN = "<unk>"
EMBEDDING = 32
LAYERS = 2
HIDDEN = 192
SEQUENCE = 128
BATCH = 32
STEPS = 12000
LR = 2e-3
CLIP = 1.0
CHECKPOINT_SECONDS = 300
WINDOWS = 128  # the census's ablation sample: windows of 512 held-out characters, 65,536 in all (the app's default
# is 32); samples of 32 windows disagreed on whether a unit's ablation confirmed it (3 of 4 said yes)
CONTROLS = 24  # units with no clear claim, drawn at random for each code concept and held as its leader is: how
# often the ablation "confirms" a unit that does not track the concept
OUT = HERE.parent  # assets/pretrained


def corpus() -> tuple[list[str], list[str], str, str]:
    """(training files, held-out files, training text, held-out text)."""
    train_files, held_files = stdlib.split(stdlib.files(), HELD_OUT, SEED)
    return train_files, held_files, stdlib.text(train_files), stdlib.text(held_files)


def vocabulary(text: str) -> list[str]:
    """The most frequent characters (ties by code point), then <unk>."""
    counts = Counter(text)
    chars = sorted(counts, key=lambda c: (-counts[c], ord(c)))[: VOCABULARY - 1]
    return [*chars, UNKNOWN]


def encode(text: str, tokens: list[str]) -> np.ndarray:
    index = {t: k for k, t in enumerate(tokens)}
    unknown = index[UNKNOWN]
    return np.fromiter((index.get(c, unknown) for c in text), dtype=np.int64, count=len(text))


def log(path: Path, message: str) -> None:
    line = f"{time.strftime('%H:%M:%S', time.gmtime())} {message}"
    print(line, flush=True)
    with path.open("a") as f:
        f.write(line + "\n")


# ----- the networks (PyTorch) -------------------------------------------------------------------------
def make_model(kind: str, vocab: int):
    import torch
    from torch import nn

    class CharModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab, EMBEDDING)
            rnn = nn.LSTM if kind == "lstm" else nn.GRU
            self.rnn = rnn(EMBEDDING, HIDDEN, num_layers=LAYERS, batch_first=True)
            self.head = nn.Linear(HIDDEN, vocab)

        def forward(self, ids, state):
            out, state = self.rnn(self.embed(ids), state)
            return self.head(out), state

    torch.manual_seed(SEED)
    model = CharModel()
    if kind == "lstm":  # forget-gate bias 1: memory lasts from the first steps (PyTorch's gate order i, f, g, o)
        with torch.no_grad():
            for k in range(LAYERS):
                getattr(model.rnn, f"bias_ih_l{k}")[HIDDEN : 2 * HIDDEN] = 1.0
    return model


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def held_out_bits(model, ids_per_file: list[np.ndarray]) -> tuple[float, int]:
    """Bits per character over every held-out file (each file from a zero state), and the characters scored."""
    import torch

    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for ids in (i for i in ids_per_file if len(i) > 1):  # an empty file has nothing to predict
            x = torch.from_numpy(ids[None, :-1])
            y = torch.from_numpy(ids[None, 1:])
            logits, _ = model(x, None)
            total += float(torch.nn.functional.cross_entropy(logits[0], y[0], reduction="sum"))
            count += len(ids) - 1
    model.train()
    return total / count / math.log(2), count


def train(kind: str, minutes: float, resume: bool, more: bool = False) -> None:
    import torch

    torch.set_num_threads(1)
    logfile = HERE / f"train_{kind}.log"
    checkpoint = REPO / ".run" / "stdlib" / f"checkpoint_{kind}.pt"  # git ignores .run/
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    train_files, held_files, train_text, _ = corpus()
    tokens = vocabulary(train_text)
    data = encode(train_text, tokens)
    held = [encode(stdlib.read(n), tokens) for n in held_files]
    model = make_model(kind, len(tokens))
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    per_stream = len(data) // BATCH
    streams = torch.from_numpy(data[: per_stream * BATCH].reshape(BATCH, per_stream))  # (B, L)
    per_pass = (per_stream - 1) // SEQUENCE
    step, state, seconds, phase = 0, None, 0.0, {"step": 0, "seconds": 0.0}
    if (resume or more) and checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)  # our own file, written below
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        step, seconds, state = saved["step"], saved["seconds"], saved["state"]
        phase = saved.get("phase", phase)
        if more:  # a new schedule from here: the rate rises back to LR and decays over this run's limit
            phase = {"step": step, "seconds": seconds}
            log(logfile, f"continuing from step {step} after {seconds:.0f} s with a new cosine schedule: "
                         f"batch {BATCH} x {SEQUENCE}, up to {STEPS} more steps, Adam lr {LR}, limit {minutes} min")
        else:
            log(logfile, f"resumed at step {step} after {seconds:.0f} s; limit {minutes} min")
    else:
        logfile.write_text("")
        log(logfile, f"{kind}: {LAYERS} x {HIDDEN} units, embedding {EMBEDDING}, vocabulary {len(tokens)}; "
                     f"training text {len(train_text):,} characters in {len(train_files)} files, held out "
                     f"{sum(map(len, held)):,} in {len(held_files)}; batch {BATCH} x {SEQUENCE}, {STEPS} steps, "
                     f"Adam lr {LR} cosine, clip {CLIP}, seed {SEED}; {per_pass} steps a pass; limit {minutes} min")
    parameters = sum(p.numel() for p in model.parameters())
    log(logfile, f"{parameters:,} parameters")
    start, saved_at, running = time.time() - seconds, time.time(), []
    stopped = False
    while True:
        progress = max((step - phase["step"]) / STEPS,
                       (time.time() - start - phase["seconds"]) / (minutes * 60))
        if progress >= 1:
            stopped = step - phase["step"] < STEPS
            log(logfile, f"finished at step {step} ({step - phase['step']} of this run's {STEPS}) "
                         f"after {time.time() - start:.0f} s "
                         f"({'the wall-clock limit' if stopped else 'the step count'} ended it)")
            break
        lr = LR * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in optimiser.param_groups:
            group["lr"] = lr
        at = (step % per_pass) * SEQUENCE
        if at == 0:
            state = None  # a new pass over the streams starts from zero
        x = streams[:, at : at + SEQUENCE]
        y = streams[:, at + 1 : at + SEQUENCE + 1]
        logits, state = model(x, state)
        state = detach(state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimiser.step()
        step += 1
        running.append(float(loss.detach()) / math.log(2))
        if step % 100 == 0:
            elapsed = time.time() - start
            lately = (elapsed - phase["seconds"]) / max(1, step - phase["step"])
            log(logfile, f"step {step}: training {np.mean(running):.3f} bits/char, lr {lr:.2e}, "
                         f"{elapsed:.0f} s ({lately:.2f} s a step)")
            running = []
        if step % 2000 == 0:
            bits, _ = held_out_bits(model, held)
            log(logfile, f"step {step}: held out {bits:.3f} bits/char")
        if time.time() - saved_at > CHECKPOINT_SECONDS:
            torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                        "step": step, "seconds": time.time() - start, "phase": phase,
                        "state": state}, checkpoint)
            saved_at = time.time()
    export(kind, model, tokens, held, held_files, step, time.time() - start, stopped, logfile, phase["step"])


def export(kind: str, model, tokens: list[str], held: list[np.ndarray], held_files: list[str], step: int,
           seconds: float, stopped: bool, logfile: Path, restarted_at: int = 0) -> None:
    """Round the weights to float16, score them on the held-out files, write the .safetensors and a record."""
    import safetensors.numpy
    import torch

    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    bits, count = held_out_bits(model, held)
    arrays = {k: v.detach().numpy().astype(np.float16) for k, v in model.state_dict().items()}
    path = OUT / f"stdlib_{kind}.safetensors"
    path.write_bytes(safetensors.numpy.save(arrays, metadata={"vocabulary": json.dumps(tokens)}))
    record = {"kind": kind, "held_out_bits_per_char": round(bits, 4), "held_out_characters": count,
              "held_out_files": held_files, "steps": step, "seconds": round(seconds), "stopped_early": stopped,
              "schedule_restarted_at_step": restarted_at,
              "settings": {"seed": SEED, "layers": LAYERS, "hidden": HIDDEN, "embedding": EMBEDDING,
                           "sequence": SEQUENCE, "batch": BATCH, "steps": STEPS, "lr": LR, "clip": CLIP,
                           "held_out": HELD_OUT, "vocabulary": len(tokens)},
              "python": sys.version.split()[0], "bytes": path.stat().st_size}
    (HERE / f"{kind}.json").write_text(json.dumps(record, indent=1) + "\n")
    log(logfile, f"wrote {path.name} ({path.stat().st_size:,} bytes); held out {bits:.4f} bits/char over "
                 f"{count:,} characters (float16 weights)")


def probe(kind: str, steps: int) -> None:
    """Time a few training steps (no file written)."""
    import torch

    torch.set_num_threads(1)
    model = make_model(kind, VOCABULARY)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    x = torch.randint(0, VOCABULARY, (BATCH, SEQUENCE + 1))
    state = None
    t0 = time.time()
    for _ in range(steps):
        logits, state = model(x[:, :-1], state)
        state = detach(state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), x[:, 1:].reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    print(f"{kind} {LAYERS}x{HIDDEN} batch {BATCH} seq {SEQUENCE}: {(time.time() - t0) / steps:.3f} s a step")


def main(argv: list[str] | None = None) -> int:
    global HIDDEN, BATCH, SEQUENCE, STEPS, LR
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["lstm", "gru", "ngram", "census-lstm", "census-gru", "manifest",
                                         "probe-lstm", "probe-gru"])
    parser.add_argument("--characters", type=int, default=0, help="census: the first this many held-out characters")
    parser.add_argument("--minutes", type=float, default=40.0, help="wall-clock limit of one model's training")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--more", action="store_true",
                        help="train on from the last checkpoint with a new schedule over --minutes / --steps")
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--sequence", type=int, default=SEQUENCE)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--lr", type=float, default=LR, help="the schedule's highest learning rate")
    args = parser.parse_args(argv)
    HIDDEN, BATCH, SEQUENCE, STEPS, LR = args.hidden, args.batch, args.sequence, args.steps, args.lr
    if args.what.startswith("probe-"):
        probe(args.what.removeprefix("probe-"), 5)
    elif args.what in ("lstm", "gru"):
        train(args.what, args.minutes, args.resume, args.more)
    elif args.what.startswith("census-"):
        census(args.what.removeprefix("census-"), args.characters)
    elif args.what == "ngram":
        from ngram import main as ngram_main  # the sibling script

        ngram_main()
    else:
        manifest()
    return 0


def census(kind: str, characters: int) -> None:
    """The census of a shipped model on its held-out files (or their first ``characters``): census_<kind>.json
    holds the run's summary, the strongest unit of each concept with its ablation, every clear finding, and the
    controls: for each code concept, ``CONTROLS`` units with no clear claim held the same way, and how many of
    them the ablation would have confirmed."""
    import time

    import cells
    from cells.corpus import run_corpus

    logfile = HERE / f"census_{kind}.log"
    logfile.write_text("")
    model = cells.load(OUT / f"stdlib_{kind}.safetensors")
    _, held_files = stdlib.split(stdlib.files(), HELD_OUT, SEED)
    text = stdlib.text(held_files)
    if characters:
        text = text[:characters]
    began = time.time()
    result = run_corpus(model, text, progress=lambda done, total: None)
    log(logfile, f"run over {len(text):,} held-out characters in {result.seconds:.0f} s: "
                 f"{result.summary()['bits_per_token']} bits/char (streams from the zero state)")
    table = result.census(ablate=1, windows=WINDOWS, length=512)
    seconds = round(time.time() - began)
    log(logfile, f"census and ablations in {seconds} s")
    leaders = [f for f in table if f.loss_rise_on is not None]
    clear = [f for f in table if f.clear]
    for f in leaders:
        verdict = ("clear" if f.clear else "not clear") + (", confirmed" if f.confirmed else ", not confirmed")
        log(logfile, f"{f.concept:17} layer {f.layer + 1} {f.state:9} unit {f.unit:3}: {f.measure} {f.score:+.3f}, "
                     f"held at its mean the loss rises {f.loss_rise_on:+.1%} there, {f.loss_rise_off:+.1%} "
                     f"elsewhere ({verdict})")
    controls = {}
    draw = np.random.default_rng(SEED)
    for concept in CODE:
        unclear = [f for f in result.ranking(concept) if not f.clear]
        chosen = [unclear[i] for i in sorted(draw.choice(len(unclear), CONTROLS, replace=False))]
        held = [f for f in result.ablate(chosen, windows=WINDOWS, length=512) if f.confirmed is not None]
        controls[concept] = {"held": len(held), "confirmed": sum(f.confirmed for f in held)}
        log(logfile, f"control {concept:17}: {len(held)} units with no clear claim held at their means, "
                     f"{controls[concept]['confirmed']} confirmed")
    doc = {"model": f"stdlib_{kind}.safetensors", "characters": len(text), "seconds": seconds,
           "summary": {k: v for k, v in result.summary().items() if k != "statistics"},
           "leaders": [f.to_json() for f in leaders], "clear": [f.to_json() for f in clear],
           "controls": controls}
    (HERE / f"census_{kind}.json").write_text(json.dumps(doc, indent=1) + "\n")


def manifest() -> None:
    """List the trained models in assets/pretrained/manifest.json under "corpus_models", with the n-gram baseline."""
    import cells

    baseline = json.loads((HERE / "ngram.json").read_text())
    path = OUT / "manifest.json"
    doc = json.loads(path.read_text())
    entries = []
    for kind in ("lstm", "gru"):
        record = json.loads((HERE / f"{kind}.json").read_text())
        model = cells.load(OUT / f"stdlib_{kind}.safetensors")
        cell = model.network.layers[0].forward
        entries.append({
            "name": f"stdlib_{kind}", "file": f"stdlib_{kind}.safetensors", "kind": cell.KIND,
            "label": f"{cell.LABEL} trained on Python's standard library",
            "corpus": "python-stdlib", "python": record["python"], "layers": len(model.network.layers),
            "hidden_size": model.network.hidden_size, "vocabulary": len(model.vocabulary),
            "held_out_files": record["held_out_files"], "held_out_characters": record["held_out_characters"],
            "held_out_bits_per_char": record["held_out_bits_per_char"],
            "baseline": {"method": baseline["method"], "order": baseline["best_order"],
                         "held_out_bits_per_char": baseline["best_bits_per_char"]},
            "training": {"steps": record["steps"], "seconds": record["seconds"], **record["settings"]},
            "command": f"python assets/pretrained/stdlib/train_stdlib.py {kind}",
            "log": f"stdlib/train_{kind}.log",
        })
        census = HERE / f"census_{kind}.json"
        if census.exists():
            entries[-1]["census"] = f"stdlib/census_{kind}.json"
    doc["corpus_models"] = entries
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(entries)} corpus models into {path}")


if __name__ == "__main__":
    raise SystemExit(main())
