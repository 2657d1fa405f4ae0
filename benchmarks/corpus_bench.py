"""Corpus budgets (issue: what a unit means), measured on the shipped code model and the standard library's text.

    python -m benchmarks.corpus_bench              # all four; --megabytes-memory 10 for the memory case's text size

- the batched run over 1 MB through the shipped model (streams side by side, next-character loss, no consumers)
  against PyTorch CPU doing the same batched run (same streams, chunks, carried state, head and loss), side by side,
  each with the same number of threads: at most 1.5x PyTorch's time;
- peak memory growth of a whole corpus run (statistics, census sums, checkpoints, the match index on disk) over
  10 MB (10,000,000 bytes of UTF-8, the largest upload), measured in a fresh process as the growth of its peak
  resident set: at most 500 MB. The run is made afresh in a temporary cache, then moved into the corpus cache
  (cells.corpus.cache), where benchmarks/corpus_text.py reads it back instead of making it again;
- a census of 1 MB with its ablations: at most 60 s;
- a match query (select + search) over the 1M steps of that run's index: p95 at most 1 s.

Each case runs in its own process (so memory and imports do not mix); the PyTorch one only where torch is installed.
Times are given as wall and CPU seconds; the budgets are judged on CPU seconds, which a busy machine (other
processes on the same cores) does not stretch the way it stretches wall time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "assets" / "pretrained" / "stdlib_lstm.safetensors"
STREAMS, CHUNK = 64, 64


def corpus(megabytes: float) -> str:
    """The first ``megabytes`` million characters of the standard library's source (held-out files first)."""
    from cells.corpus import stdlib

    names = stdlib.files()
    text = stdlib.text(names)
    while len(text) < megabytes * 1e6:
        text += stdlib.SEPARATOR + text
    return text[: int(megabytes * 1e6)]


def upload(megabytes: float) -> str:
    """The standard library's source cut to ``megabytes`` million bytes of UTF-8 (at a character's end): 10 is the
    largest file the Corpus page takes."""
    limit = int(megabytes * 1e6)
    return corpus(megabytes).encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def threads() -> int:
    try:
        from threadpoolctl import threadpool_info
        return max((i["num_threads"] for i in threadpool_info()), default=1)
    except ImportError:
        return int(os.environ.get("OMP_NUM_THREADS", "1"))


# ----- the cases, each run in its own process ------------------------------------------------------------
def case_run(model_path: str, megabytes: float) -> dict:
    from cells import load
    from cells.corpus import stream

    model = load(model_path)
    text = corpus(megabytes)
    ids = stream.encode(model, text)
    plan = stream.plan(text, len(ids), STREAMS)
    began, cpu = time.perf_counter(), time.process_time()
    run = stream.stream_pass(model, ids, plan, chunk=CHUNK, checkpoint=CHUNK * 4)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "steps": len(ids), "bits": stream.bits_per_token(run.loss),
            "threads": threads()}


def case_torch(model_path: str, megabytes: float, n_threads: int) -> dict:
    import safetensors.numpy
    import torch

    from cells import load
    from cells.corpus import stream

    torch.set_num_threads(n_threads)
    model = load(model_path)
    text = corpus(megabytes)
    ids = stream.encode(model, text)
    plan = stream.plan(text, len(ids), STREAMS)
    arrays = safetensors.numpy.load(Path(model_path).read_bytes())
    hidden = arrays["rnn.weight_hh_l0"].shape[1]
    layers = 1 + max(int(k.rsplit("_l", 1)[1]) for k in arrays if k.startswith("rnn.weight_hh_l"))
    rnn_class = torch.nn.LSTM if arrays["rnn.weight_hh_l0"].shape[0] == 4 * hidden else torch.nn.GRU
    rnn = rnn_class(arrays["embed.weight"].shape[1], hidden, num_layers=layers)
    rnn.load_state_dict({k[4:]: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()
                         if k.startswith("rnn.")})
    embed = torch.from_numpy(arrays["embed.weight"].astype(np.float32))
    W = torch.from_numpy(arrays["head.weight"].astype(np.float32))
    b = torch.from_numpy(arrays["head.bias"].astype(np.float32))
    longest = plan.longest
    steps = np.arange(longest)[:, None]
    valid = steps < plan.lengths[None, :]
    grid = torch.from_numpy(ids[np.where(valid, plan.starts[None, :] + steps, 0)].astype(np.int64))  # (T, S)
    has_next = torch.from_numpy(steps + 1 < plan.lengths[None, :])  # (T, S)
    began, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        state, total = None, 0.0
        for t0 in range(0, longest, CHUNK):
            x = embed[grid[t0 : t0 + CHUNK]]  # (L, S, I)
            out, state = rnn(x, state)
            logp = torch.log_softmax(out @ W.T + b, dim=-1)  # (L, S, V)
            nxt = grid[t0 + 1 : t0 + CHUNK + 1]
            scored = has_next[t0 : t0 + len(nxt)]  # (L, S): a next character in the same stream
            total += float(logp[: len(nxt)].gather(2, nxt[..., None])[..., 0][scored].sum())
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "bits": -total / (len(ids) - plan.streams) / np.log(2),
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def case_memory(model_path: str, megabytes: float, keep: str | None = None) -> dict:
    """A run made afresh (an empty cache of its own); its entry then moves into the cache folder ``keep``, if given
    and the run is not there yet, so the coloured text's benchmark (the same model and text) starts at once."""
    from cells import load
    from cells.corpus import Cache, run_corpus

    model = load(model_path)
    text = upload(megabytes)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB, after the model and the text are in memory
    with tempfile.TemporaryDirectory() as folder:
        began, cpu = time.perf_counter(), time.process_time()
        run_corpus(model, text, cache=Cache(folder, limit=50_000_000_000))
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kept = None
        if keep:
            target = Cache(keep)
            for _, _, entry in Cache(folder).entries():
                if target.get(entry.name) is None:
                    target.folder.mkdir(parents=True, exist_ok=True)
                    shutil.move(entry, target.folder / entry.name)
                    target.evict(keep=entry.name)
                kept = str(target.folder / entry.name)
    return {"growth_mb": (after - before) / 1024, "seconds": seconds, "cpu": cpu, "characters": len(text),
            "bytes": len(text.encode("utf-8")), "kept": kept}


def case_census(model_path: str, megabytes: float) -> dict:
    from cells import load
    from cells.corpus import Cache, run_corpus

    model = load(model_path)
    text = corpus(megabytes)
    with tempfile.TemporaryDirectory() as folder:
        began, cpu = time.perf_counter(), time.process_time()
        result = run_corpus(model, text, cache=Cache(folder))
        ran, ran_cpu = time.perf_counter() - began, time.process_time() - cpu
        table = result.census(ablate=1)
        total, total_cpu = time.perf_counter() - began, time.process_time() - cpu
        clear = [f.to_json() for f in table if f.clear and f.loss_rise_on is not None]
        # match queries over the run's index: a span picked where a unit set is on, then the search
        index = result.index
        rng = np.random.default_rng(0)
        times = []
        for _ in range(20):
            start = int(rng.integers(1, index.steps - 20))
            t0 = time.perf_counter()
            units = result.select(start, start + 3, 0.3)
            if not units:  # no unit is on just there: a larger set, picked by threshold alone, still costs a search
                units = tuple(range(8))
            result.search(units, 0.3)
            times.append(time.perf_counter() - t0)
    return {"run_seconds": ran, "run_cpu": ran_cpu, "census_seconds": total, "census_cpu": total_cpu,
            "clear_ablated": clear, "match_p95": float(
        np.percentile(times, 95)), "match_steps": index.steps}


CASES = {"run": case_run, "torch": case_torch, "memory": case_memory, "census": case_census}


def in_process(name: str, *args: object, one_thread: bool = False) -> dict:
    """A case in a fresh process; ``one_thread`` runs it with one BLAS thread."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"} if one_thread else None
    out = subprocess.run([sys.executable, "-m", "benchmarks.corpus_bench", "--case", name, json.dumps(args)],
                         capture_output=True, text=True, cwd=REPO, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{name}: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else 'failed'}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("arguments", nargs="?", default="[]", help="the case's arguments, as a JSON list")
    parser.add_argument("--model", default=str(MODEL))
    parser.add_argument("--megabytes", type=float, default=1.0)
    parser.add_argument("--megabytes-memory", type=float, default=10.0)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(CASES[args.case](*json.loads(args.arguments))))
        return
    if not Path(args.model).exists():
        print(f"corpus budgets: no {args.model}; train it with assets/pretrained/stdlib/train_stdlib.py")
        return
    print(f"corpus budgets, model {Path(args.model).name}, {STREAMS} streams of {CHUNK}-step chunks")
    ours = in_process("run", args.model, args.megabytes)
    line = (f"batched run over {args.megabytes:g} MB: {ours['seconds']:.1f} s wall, {ours['cpu']:.1f} s CPU "
            f"({ours['threads']} BLAS threads, {ours['bits']:.3f} bits/char)")
    if importlib.util.find_spec("torch") is not None:
        theirs = in_process("torch", args.model, args.megabytes, ours["threads"])
        ratio = ours["cpu"] / theirs["cpu"]
        line += (f"; PyTorch {theirs['torch']} CPU ({theirs['threads']} threads) {theirs['seconds']:.1f} s wall, "
                 f"{theirs['cpu']:.1f} s CPU ({theirs['bits']:.3f} bits/char); CPU-time ratio {ratio:.2f} "
                 f"(budget <= 1.5: {'ok' if ratio <= 1.5 else 'OVER'})")
    print(line)
    census = in_process("census", args.model, args.megabytes)
    print(f"census of {args.megabytes:g} MB with ablations: {census['census_seconds']:.1f} s wall, "
          f"{census['census_cpu']:.1f} s CPU (run {census['run_cpu']:.1f} s CPU; budget <= 60 s: "
          f"{'ok' if census['census_cpu'] <= 60 else 'OVER'}); {len(census['clear_ablated'])} clear findings ablated")
    print(f"match query over {census['match_steps']:,} steps: p95 {census['match_p95'] * 1e3:.0f} ms "
          f"(budget <= 1 s: {'ok' if census['match_p95'] <= 1 else 'OVER'})")
    from cells.corpus.cache import default_folder

    # Memory does not depend on threads, but time does: on a busy 2-core machine a second BLAS thread made the
    # same run many times slower (1 MB: 673 s of CPU with two threads; 10 MB: 391 s with one).
    memory = in_process("memory", args.model, args.megabytes_memory, str(default_folder()), one_thread=True)
    print(f"peak memory growth over {memory['bytes'] / 1e6:g} MB ({memory['characters']:,} characters): "
          f"{memory['growth_mb']:.0f} MB in {memory['seconds']:.0f} s wall, {memory['cpu']:.0f} s CPU (budget <= "
          f"500 MB: {'ok' if memory['growth_mb'] <= 500 else 'OVER'}; one BLAS thread); the run is kept in "
          f"{memory['kept']}")


if __name__ == "__main__":
    main()
