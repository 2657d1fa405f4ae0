"""`make bench-class`: a class on one machine. N sessions open the app at once, then each types a new
sequence or moves a knob every few seconds; with 1 and 2 workers behind nginx (deploy/serve.py).

    .venv/bin/python -m benchmarks.class_load                       # N = 1, 10, 30; 1 and 2 workers
    .venv/bin/python -m benchmarks.class_load --sessions 1,10 --workers 2 --seconds 20
    .venv/bin/python -m benchmarks.class_load --train               # 5 sessions interact, one trains
    .venv/bin/python -m benchmarks.class_load --corpus --sessions 10 --workers 2  # one Corpus link, cold and warm

Sessions speak Streamlit's own websocket protocol (benchmarks/streamlit_client.py), as many browsers
would, but draw nothing, so the machine's cores are left to the server: "page load" is the HTML, the
websocket and the first script run (a browser's first visit also fetches the JavaScript once, and then
draws); an "interaction" is one script run after a new sequence (Explore's box) or a new seed (a knob),
until the run's end reaches the client. The cursor is not stepped: it lives in the browser (no server
work). Each session types a text of its own and checks that the share link the server writes back is its
own (cross-talk counts as an error). Server CPU is the workers' CPU seconds (with their training
processes) over the phase; resident memory is the workers' at the end of it. Bounded: each phase runs
``--seconds`` and every run times out after 60 s; loopback only; everything started is stopped by pid.
Budget (issue: a whole class on one server): with 2 workers, 30 sessions interacting every 5 s keep
interaction p95 ≤ 1 s and page loads p95 ≤ 5 s, with no error and no cross-talk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

from benchmarks.streamlit_client import RUN_TIMEOUT_S, Run, RunError, Session
from ui.sequence_input import box_key
from workbench import keys

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- the processes being measured -----------------------------------------------------------------
def _descendants(pids: list[int]) -> list[int]:
    """``pids`` and every process below them (a worker's training processes)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in _descendants(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    return total


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Cluster:
    url: str
    worker_pids: list[int]


@contextmanager
def serve(workers: int) -> Iterator[Cluster]:
    """deploy/serve.py with ``workers`` workers on a free port and a temporary run dir, stopped by its pid."""
    run = Path(tempfile.mkdtemp(prefix="gatescope-class-"))
    port = free_port()
    log = (run / "serve.out").open("wb")
    process = subprocess.Popen([sys.executable, "deploy/serve.py", "--workers", str(workers), "--port", str(port),
                                "--run-dir", str(run), "--no-restart"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            state_file = run / "workers.json"
            if state_file.exists():
                state = json.loads(state_file.read_text())
                if state["nginx_pid"] and all(w["state"] == "up" for w in state["workers"]):
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve.py did not come up: {(run / 'serve.out').read_text()}")
            time.sleep(0.3)
        yield Cluster(state["url"], [w["pid"] for w in state["workers"]])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# ----- sessions -------------------------------------------------------------------------------------
@dataclass
class Tally:
    loads: list[float] = field(default_factory=list)
    interactions: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    workers: dict[str, int] = field(default_factory=dict)


async def page_load(session: Session, index: int, tally: Tally, page: str = "", query: str = "",
                    timeout: float = RUN_TIMEOUT_S) -> Run | None:
    """Open the page and count its load (its time, its worker, a traceback on it); None when it did not load."""
    try:
        run = await session.open(page, query, timeout)
    except (RunError, OSError) as e:
        tally.errors.append(f"session {index}: page load: {e}")
        return None
    tally.loads.append(run.seconds)
    tally.workers[run.worker or "direct"] = tally.workers.get(run.worker or "direct", 0) + 1
    if run.exceptions:
        tally.errors.append(f"session {index}: {run.exceptions[0]}")
    return run


async def student(index: int, url: str, until: float, every: float, tally: Tally, rng: random.Random) -> None:
    session = Session(url)
    try:
        if await page_load(session, index, tally, query="kind=lstm") is None:  # a drawn network: its seed is a knob
            return
        await asyncio.sleep(rng.uniform(0, every))  # students do not click in step
        step = 0
        while time.perf_counter() < until:
            step += 1
            typed = step % 2 == 1
            text = f"student {index} try {step}"
            if typed:
                session.event(box_key(keys.EXPLORE.seq_text), "text", text)  # what the sequence box reports
            else:
                session.set(keys.EXPLORE.net_seed, 1 + (index * 1000 + step) % 100_000)
            try:
                run = await session.rerun()
            except (RunError, OSError) as e:
                tally.errors.append(f"session {index}: interaction {step}: {e}")
                return
            tally.interactions.append(run.seconds)
            if run.exceptions:
                tally.errors.append(f"session {index}: {run.exceptions[0]}")
            seen = parse_qs(session.query).get("seq", [""])[0]
            if typed and seen != text:
                tally.errors.append(f"session {index}: cross-talk or a lost edit: typed {text!r}, link says {seen!r}")
            await asyncio.sleep(max(0.0, every * rng.uniform(0.8, 1.2) - run.seconds))
    finally:
        await session.close()


async def trainer(url: str, started: asyncio.Event, done: asyncio.Event, tally: Tally) -> None:
    """One session on the Train page that trains 20,000 steps until ``done``, then presses Stop."""
    session = Session(url)
    try:
        await session.open("train")
        session.set(keys.TRAIN.steps, 20_000)
        session.set(keys.TRAIN.go, True)
        await session.send_run()
        reading = asyncio.create_task(session.read_run(timeout=3600))
        started.set()
        await done.wait()
        session.set(keys.TRAIN.stop, True)
        await session.send_run()
        run = await reading
        if run.exceptions:
            tally.errors.append(f"trainer: {run.exceptions[0]}")
    except (RunError, OSError, KeyError) as e:
        tally.errors.append(f"trainer: {e}")
    finally:
        await session.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Phase:
    label: str
    tally: Tally
    seconds: float
    server_cpu: float
    client_cpu: float
    rss: list[float]
    load_average: float  # the machine's 1-minute load average at the end (other work on it shows here)

    def row(self) -> str:
        t = self.tally
        spread = "/".join(str(n) for n in sorted(t.workers.values(), reverse=True))
        return (f"{self.label:24} {pct(t.loads, 50):6.2f} {pct(t.loads, 95):6.2f} {len(t.interactions):6d} "
                f"{pct(t.interactions, 50):6.2f} {pct(t.interactions, 95):6.2f} "
                f"{self.server_cpu / self.seconds:8.2f} {self.client_cpu / self.seconds:7.2f} "
                f"{len(t.errors):6d}  {'+'.join(f'{r:.0f}' for r in self.rss):>11} {spread:>8} "
                f"{self.load_average:6.1f}")


HEADER = (f"{'case':24} {'load':>6} {'':>6} {'inter':>6} {'inter':>6} {'':>6} {'server':>8} {'client':>7} "
          f"{'errors':>6}  {'RSS MB':>11} {'sessions':>8} {'load':>6}\n"
          f"{'':24} {'p50 s':>6} {'p95 s':>6} {'count':>6} {'p50 s':>6} {'p95 s':>6} {'cores':>8} {'cores':>7} "
          f"{'':>6}  {'per worker':>11} {'per wkr':>8} {'avg':>6}")


async def phase(cluster: Cluster, label: str, n: int, seconds: float, every: float, train: bool = False,
                seed: int = 0) -> Phase:
    tally = Tally()
    rng = random.Random(seed)
    cpu0, client0, t0 = cpu_seconds(cluster.worker_pids), time.process_time(), time.perf_counter()
    training = None
    done = asyncio.Event()
    if train:
        started = asyncio.Event()
        training = asyncio.create_task(trainer(cluster.url, started, done, tally))
        await asyncio.wait_for(started.wait(), 120)
    until = time.perf_counter() + seconds
    await asyncio.gather(*(student(i, cluster.url, until, every, tally, random.Random(rng.random()))
                           for i in range(n)))
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(cluster.worker_pids) - cpu0
    if training is not None:
        done.set()
        await training
    rss = [resident_mb(pid) for pid in cluster.worker_pids]
    return Phase(label, tally, elapsed, cpu, time.process_time() - client0, rss, os.getloadavg()[0])


def print_errors(phases: list[Phase]) -> None:
    for p in phases:
        for e in p.tally.errors[:5]:
            print(f"  {p.label}: {e}")
        if len(p.tally.errors) > 5:
            print(f"  {p.label}: … and {len(p.tally.errors) - 5} more")


def class_test(sessions: list[int], workers: list[int], seconds: float, every: float) -> list[Phase]:
    phases = []
    print(f"Class load: N sessions open at once, then each interacts every {every:g} s for {seconds:g} s "
          f"({os.cpu_count()} CPUs; this load generator runs on the same machine)")
    print(HEADER)
    for w in workers:
        with serve(w) as cluster:
            for n in sessions:
                p = asyncio.run(phase(cluster, f"{w} worker{'s' if w > 1 else ''}, N={n}", n, seconds, every))
                phases.append(p)
                print(p.row(), flush=True)
                time.sleep(2)  # let closed sessions go before the next phase
    print_errors(phases)
    budget = [p for p in phases if p.label == "2 workers, N=30"]
    for p in budget:
        ok = pct(p.tally.interactions, 95) <= 1.0 and pct(p.tally.loads, 95) <= 5.0 and not p.tally.errors
        print(f"Budget (2 workers, N=30, every {every:g} s: interaction p95 <= 1 s, page load p95 <= 5 s, "
              f"no error): {'ok' if ok else 'OVER'}")
    return phases


CORPUS_LINK = "section=census&model=stdlib_lstm&files=5"  # a teacher's link: the census of the shipped LSTM
CORPUS_TIMEOUT_S = 600.0


async def reader(index: int, url: str, tally: Tally) -> None:
    """One student opening the teacher's Corpus link: the page load is the run and census the link starts."""
    session = Session(url)
    try:
        run = await page_load(session, index, tally, "corpus", CORPUS_LINK, CORPUS_TIMEOUT_S)
        if run is None or run.exceptions:
            return
        if keys.CORPUS.census_table not in session.ids:
            tally.errors.append(f"session {index}: the census never appeared")
        elif "model=stdlib_lstm" not in (session.query or ""):
            tally.errors.append(f"session {index}: the page's link is {session.query!r}")
    finally:
        await session.close()


async def corpus_phase(cluster: Cluster, label: str, n: int) -> Phase:
    tally = Tally()
    cpu0, client0, t0 = cpu_seconds(cluster.worker_pids), time.process_time(), time.perf_counter()
    await asyncio.gather(*(reader(i, cluster.url, tally) for i in range(n)))
    elapsed = time.perf_counter() - t0
    rss = [resident_mb(pid) for pid in cluster.worker_pids]
    return Phase(label, tally, elapsed, cpu_seconds(cluster.worker_pids) - cpu0, time.process_time() - client0, rss,
                 os.getloadavg()[0])


def corpus_test(sessions: list[int], workers: int) -> list[Phase]:
    """N sessions open one Corpus link at once on a cold disk cache (a folder of its own), then N more on the
    cache the first N filled."""
    print(f"A class opens one Corpus link at once (/corpus?{CORPUS_LINK}): the run and census it starts, on "
          f"{workers} worker{'s' if workers > 1 else ''} ({os.cpu_count()} CPUs); 'load' is the page's first run, "
          "the model's run and census included; server cores are its CPU seconds over the phase's wall time")
    print(HEADER)
    phases = []
    for n in sessions:
        folder = tempfile.mkdtemp(prefix="gatescope-class-corpus-")
        os.environ["GATESCOPE_CORPUS_CACHE"] = folder  # the workers' cache, cold
        try:
            with serve(workers) as cluster:
                for label in ("cold cache", "warm cache"):
                    p = asyncio.run(corpus_phase(cluster, f"N={n}, {label}", n))
                    phases.append(p)
                    print(p.row(), flush=True)
        finally:
            del os.environ["GATESCOPE_CORPUS_CACHE"]
            shutil.rmtree(folder, ignore_errors=True)
    print_errors(phases)
    return phases


def train_test(seconds: float, every: float, others: int = 5) -> list[Phase]:
    print(f"One session training (20,000 steps, in its own process) while {others} others interact every "
          f"{every:g} s, on one worker ({os.cpu_count()} CPUs)")
    print(HEADER)
    phases = []
    with serve(1) as cluster:
        for train in (False, True):
            label = f"{others} sessions, " + ("one trains" if train else "no training")
            p = asyncio.run(phase(cluster, label, others, seconds, every, train=train))
            phases.append(p)
            print(p.row(), flush=True)
            time.sleep(2)
    print_errors(phases)
    quiet, busy = (pct(p.tally.interactions, 95) for p in phases)
    print(f"Interaction p95 while one trains: {busy:.2f} s against {quiet:.2f} s without ({busy / quiet:.2f}x; "
          f"budget 1.5x: {'ok' if busy <= 1.5 * quiet else 'OVER'})")
    return phases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,10,30", help="comma-separated session counts")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--seconds", type=float, default=30.0, help="interaction time per phase")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between one session's interactions")
    parser.add_argument("--train", action="store_true", help="only the training test")
    parser.add_argument("--no-train", dest="no_train", action="store_true", help="only the class test")
    parser.add_argument("--corpus", action="store_true",
                        help="only the Corpus test: --sessions open one link at once, on --workers' first count")
    args = parser.parse_args(argv)
    if args.corpus:
        corpus_test([int(n) for n in args.sessions.split(",")], int(args.workers.split(",")[0]))
        return
    if not args.train:
        class_test([int(n) for n in args.sessions.split(",")], [int(w) for w in args.workers.split(",")],
                   args.seconds, args.every)
        print()
    if not args.no_train:
        train_test(args.seconds, args.every)


if __name__ == "__main__":
    main()
