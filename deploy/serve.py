"""`make serve WORKERS=n`: n Streamlit workers on loopback ports, Debian's nginx in front of them.

    python deploy/serve.py --workers 2 --port 8501    # Ctrl+C stops nginx and every worker
    python deploy/serve.py --stop                     # what `make stop` runs: stops a running serve by its pid

Every file lives under the run directory (default .run/serve): nginx's config, pid, logs and temp
folders, each worker's log, ``serve.pid`` (this supervisor) and ``workers.json`` (each worker's port,
pid and state). Sessions share no mutable state (each session's state lives in its own session state;
module-level caches hold only pure functions' results and the shared, read-only shipped models), so
the workers need no coordination: nginx only has to send a browser's requests to one worker.

- **Sticky**: nginx hashes a route cookie it hands out on the first request (see nginx.conf.template),
  so a session's page, websocket and uploads reach one worker; responses say which in X-Gatescope-Worker.
- **Ready**: a worker takes traffic only once its /_stcore/health answers; until then it is marked
  ``down`` in nginx's config. nginx starts when every worker is ready (or the wait runs out).
- **Faults**: nginx leaves out a worker that refuses connections (max_fails=1, fail_timeout); this
  supervisor sees a worker exit, marks it down (nginx reloads its config), starts it again and puts
  it back once healthy. A session on the dead worker reconnects through nginx to another worker and
  rebuilds its view from its link.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).resolve().with_name("nginx.conf.template")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0  # how long nginx and the workers, all told at once, get to stop before SIGKILL
KILL_WAIT_S = 5.0  # how long a SIGKILLed child gets to be gone
STOP_WAIT_S = 2 * (STOP_TIMEOUT_S + KILL_WAIT_S)  # `make stop` waits this long for the supervisor: twice its worst
FAIL_TIMEOUT_S = 10
RESTART_AFTER_S = 3.0  # a worker that keeps dying is started again at most this often
MAX_BODY = "200m"  # Streamlit's own upload cap is 200 MB


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def render_config(run: Path, host: str, port: int, workers: list[tuple[int, bool]],
                  template: str | None = None) -> str:
    """nginx's config for ``workers`` (loopback port, ready?), listening on host:port, files under ``run``."""
    if not workers:
        raise ValueError("workers: expected at least one, got none")
    lines = []
    for worker_port, ready in workers:
        state = "" if ready else " down"
        lines.append(f"        server 127.0.0.1:{worker_port} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s{state};")
    text = TEMPLATE.read_text() if template is None else template
    for name, value in {"RUN": str(run), "HOST": host, "PORT": str(port), "MAX_BODY": MAX_BODY,
                        "SERVERS": "\n".join(lines)}.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def healthy(port: int) -> bool:
    """Streamlit's health endpoint on a worker answers "ok"."""
    url = f"http://127.0.0.1:{port}/_stcore/health"
    with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200
    return False


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie, which has exited and waits to be reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]  # the field after the command's name
    except (OSError, IndexError):
        return True  # no /proc here: the signal test is all there is
    return state not in (b"Z", b"X")


def _end(processes: list[subprocess.Popen[bytes]], first: signal.Signals, timeout: float | None = None) -> None:
    """Stop children by their pids, all at once: ``first`` to each, then SIGKILL to any that outlives ``timeout``
    (one deadline for them all, so stopping n children takes ``timeout``, not n times it)."""
    timeout = STOP_TIMEOUT_S if timeout is None else timeout
    running = [p for p in processes if p.poll() is None]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    for process in running:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(KILL_WAIT_S)


@dataclass
class Worker:
    index: int
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    state: str = "starting"  # "starting", "up" or "down"
    started: float = 0.0
    restarts: int = 0

    def start(self) -> None:
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
            "--browser.gatherUsageStats", "false",
        ]  # fmt: skip
        env = {**os.environ, "GATESCOPE_WORKER": str(self.index)}
        with self.log.open("ab") as sink:
            # A session of its own: Ctrl+C reaches the supervisor only, which stops each child by its pid.
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.state, self.started = "starting", time.monotonic()

    def describe(self) -> dict[str, object]:
        pid = self.process.pid if self.process else None
        return {"index": self.index, "port": self.port, "pid": pid, "state": self.state, "log": str(self.log),
                "restarts": self.restarts}


class Serve:
    def __init__(self, workers: int, host: str, port: int, run: Path, restart: bool) -> None:
        if workers < 1:
            raise ValueError(f"workers: expected at least 1, got {workers}")
        self.host, self.port, self.run, self.restart = host, port, run, restart
        self.workers = [Worker(i, free_port(), run / f"worker-{i}.log") for i in range(workers)]
        self.nginx: subprocess.Popen[bytes] | None = None
        self.stopping = False

    # ----- files ---------------------------------------------------------------------------------
    def write_config(self) -> None:
        ready = [(w.port, w.state == "up") for w in self.workers]
        (self.run / "nginx.conf").write_text(render_config(self.run, self.host, self.port, ready))
        state = {"url": f"http://{self.host}:{self.port}", "nginx_pid": self.nginx.pid if self.nginx else None,
                 "workers": [w.describe() for w in self.workers]}
        tmp = self.run / "workers.json.tmp"
        tmp.write_text(json.dumps(state, indent=1) + "\n")
        tmp.replace(self.run / "workers.json")

    def reload(self) -> None:
        self.write_config()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGHUP)  # nginx re-reads its config; open connections carry on

    # ----- life ----------------------------------------------------------------------------------
    def start(self) -> None:
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
        for w in self.workers:
            w.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while any(w.state == "starting" for w in self.workers) and time.monotonic() < deadline and not self.stopping:
            self.check_workers()
            time.sleep(0.2)
        if not any(w.state == "up" for w in self.workers):
            raise RuntimeError(f"no worker answered /_stcore/health within {READY_TIMEOUT_S:.0f} s; see {self.run}")
        self.write_config()
        conf, errors = self.run / "nginx.conf", self.run / "nginx-error.log"
        command = [NGINX, "-p", str(self.run), "-c", str(conf), "-e", str(errors)]
        with (self.run / "nginx-stdout.log").open("ab") as sink:
            self.nginx = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        deadline = time.monotonic() + 10
        while not self._listening():
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(self.run / 'nginx-error.log').read_text(errors='replace')}")
            time.sleep(0.1)
        self.write_config()

    def _listening(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1):
            return True
        return False

    def check_workers(self) -> bool:
        """Follow each worker's life; True when nginx's view of them changed."""
        changed = False
        for w in self.workers:
            assert w.process is not None
            if w.process.poll() is not None and w.state != "down":
                print(f"serve: worker {w.index} (port {w.port}) exited with {w.process.returncode}", flush=True)
                w.state, changed = "down", True
            elif w.state == "starting" and healthy(w.port):
                w.state, changed = "up", True
                print(f"serve: worker {w.index} ready on 127.0.0.1:{w.port}", flush=True)
            again = self.restart and not self.stopping and time.monotonic() - w.started > RESTART_AFTER_S
            if w.state == "down" and again:
                w.restarts += 1
                w.start()
                changed = True
        return changed

    def supervise(self) -> int:
        while not self.stopping:
            if self.nginx is not None and self.nginx.poll() is not None:
                print(f"serve: nginx exited with {self.nginx.returncode}; stopping", flush=True)
                return 1
            if self.check_workers():
                self.reload()
            time.sleep(0.5)
        return 0

    def stop(self) -> None:
        self.stopping = True
        # nginx on SIGTERM stops fast (a graceful stop would wait for every open websocket); all at once
        children = [self.nginx] + [w.process for w in self.workers]
        _end([p for p in children if p is not None], signal.SIGTERM)
        for name in ("serve.pid", "workers.json"):
            (self.run / name).unlink(missing_ok=True)


def stop_running(run: Path, wait: float | None = None) -> int:
    """Stop the serve whose supervisor's pid is in run/serve.pid (it stops its own children, in at most
    STOP_TIMEOUT_S + KILL_WAIT_S); 0 once it is gone, 1 if it is still running after ``wait`` seconds."""
    wait = STOP_WAIT_S if wait is None else wait
    pid_file = run / "serve.pid"
    if not pid_file.exists():
        print(f"serve: nothing running (no {pid_file})")
        return 0
    pid = int(pid_file.read_text().strip())
    if not _alive(pid):
        pid_file.unlink(missing_ok=True)
        print(f"serve: the supervisor {pid} had already stopped")
        return 0
    os.kill(pid, signal.SIGTERM)
    start = time.monotonic()
    while _alive(pid):  # a supervisor gone by the last look has stopped, however close to the deadline
        if time.monotonic() - start > wait:
            print(f"serve: the supervisor {pid} is still running {wait:g} s after it was asked to stop")
            return 1
        time.sleep(0.1)
    print(f"serve: stopped (supervisor {pid}, in {time.monotonic() - start:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy/serve.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "2")))
    parser.add_argument("--host", default="127.0.0.1", help="where nginx listens (the workers stay on loopback)")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".run" / "serve")
    parser.add_argument("--no-restart", dest="restart", action="store_false", help="leave a dead worker down")
    parser.add_argument("--stop", action="store_true", help="stop the serve running from --run-dir")
    args = parser.parse_args(argv)
    run = args.run_dir.resolve()
    if args.stop:
        return stop_running(run)
    if not Path(NGINX).exists():
        print("serve: nginx is not installed (Debian: apt-get install nginx); `make run` serves one worker without it")
        return 2
    run.mkdir(parents=True, exist_ok=True)
    pid_file = run / "serve.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text().strip() or 0)):
        print(f"serve: already running from {run} (pid {pid_file.read_text().strip()}); `make stop` stops it")
        return 1
    pid_file.write_text(f"{os.getpid()}\n")
    serve = Serve(args.workers, args.host, args.port, run, args.restart)

    def ask_to_stop(signum: int, frame: object) -> None:
        serve.stopping = True

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    try:
        serve.start()
        if serve.stopping:
            return 0
        ports = ", ".join(str(w.port) for w in serve.workers)
        print(f"serve: Gatescope on http://{args.host}:{args.port} with {args.workers} workers (loopback ports "
              f"{ports}); logs in {run}; Ctrl+C or `make stop` stops it", flush=True)
        return serve.supervise()
    except RuntimeError as e:
        print(f"serve: {e}", file=sys.stderr)
        return 1
    finally:
        serve.stop()


if __name__ == "__main__":
    sys.exit(main())
