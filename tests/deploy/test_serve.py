"""`make serve`'s nginx config: sticky on a route cookie, websocket upgrades passed on, a worker that is not
ready held back, every file under the run directory; and nginx itself accepts it."""

from __future__ import annotations

import http.server
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy import serve
from deploy.serve import NGINX, free_port, render_config


def test_workers_are_listed_and_a_worker_not_ready_is_down(tmp_path: Path) -> None:
    conf = render_config(tmp_path, "127.0.0.1", 8600, [(9001, True), (9002, False)])
    servers = re.findall(r"^\s*server 127\.0\.0\.1:(\d+) (.*);$", conf, flags=re.M)
    assert servers == [("9001", "max_fails=1 fail_timeout=10s"), ("9002", "max_fails=1 fail_timeout=10s down")]
    assert "listen 127.0.0.1:8600;" in conf
    assert "{{" not in conf


def test_sessions_stick_by_cookie_and_websockets_upgrade(tmp_path: Path) -> None:
    conf = render_config(tmp_path, "127.0.0.1", 8600, [(9001, True)])
    assert "hash $route consistent;" in conf and "ip_hash" not in conf.replace("Unlike ip_hash", "")
    assert re.search(r"map \$cookie_gatescope_route \$route \{\s+\"\"\s+\$request_id;", conf)
    assert 'Set-Cookie "gatescope_route=$route;' in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "proxy_http_version 1.1;" in conf


def test_every_file_nginx_writes_is_under_the_run_directory(tmp_path: Path) -> None:
    conf = render_config(tmp_path, "127.0.0.1", 8600, [(9001, True)])
    paths = re.findall(r"^\s*(?:pid|error_log|access_log|\w+_temp_path) (\S+?)[; ]", conf, flags=re.M)
    assert len(paths) == 8
    assert all(Path(p).is_relative_to(tmp_path) for p in paths), paths


def test_no_workers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="workers: expected at least one, got none"):
        render_config(tmp_path, "127.0.0.1", 8600, [])


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (Debian: apt-get install nginx)")
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx-tmp" / sub).mkdir(parents=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_config(tmp_path, "127.0.0.1", 8600, [(9001, True), (9002, False)]))
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "err.log")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


class _Echo(http.server.BaseHTTPRequestHandler):
    """A stand-in worker: answers 200 with the length of the path it was asked for."""

    def do_GET(self) -> None:
        body = str(len(self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (Debian: apt-get install nginx)")
def test_links_as_long_as_the_app_writes_pass_through_nginx(tmp_path: Path) -> None:
    """The longest link the app writes has about 13,000 characters (an edited 8-unit LSTM and a 4,000-character
    sequence); nginx's default buffers answered it 414. Through the rendered config it reaches the worker whole."""
    worker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=worker.serve_forever, daemon=True).start()
    port = free_port()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "nginx-tmp" / sub).mkdir(parents=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_config(tmp_path, "127.0.0.1", port, [(worker.server_address[1], True)]))
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "err.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert nginx.poll() is None and time.monotonic() < deadline, (tmp_path / "err.log").read_text()
                time.sleep(0.1)
        for length in (13_000, 30_000):
            path = "/?seq=" + "a" * (length - len("/?seq="))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                assert response.status == 200
                assert response.read() == str(length).encode()  # the whole link reached the worker
        with pytest.raises(urllib.error.HTTPError) as refused:  # past 64k: refused by nginx, not passed on
            urllib.request.urlopen(f"http://127.0.0.1:{port}/?seq=" + "a" * 70_000, timeout=10)
        assert refused.value.code == 414
    finally:
        nginx.terminate()
        nginx.wait(10)
        worker.shutdown()
        worker.server_close()


_STUBBORN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
             "time.sleep(60)")


def _stubborn() -> subprocess.Popen[bytes]:
    """A child that ignores SIGTERM, as a worker stuck in a long run does."""
    process = subprocess.Popen([sys.executable, "-c", _STUBBORN], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def test_stopping_gives_every_child_one_deadline_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """nginx and two workers that ignore SIGTERM: all are killed after one STOP_TIMEOUT_S, not one each in turn
    (three in turn took longer than `make stop` waited, and it said the supervisor did not stop)."""
    monkeypatch.setattr(serve, "STOP_TIMEOUT_S", 1.0)
    s = serve.Serve(2, "127.0.0.1", free_port(), tmp_path, restart=False)
    s.nginx = _stubborn()
    for w in s.workers:
        w.process = _stubborn()
    start = time.monotonic()
    s.stop()
    took = time.monotonic() - start
    assert all(p.poll() is not None for p in [s.nginx] + [w.process for w in s.workers])
    assert 1.0 <= took < 2.5, took


def _supervisor(run: Path, delay: float) -> subprocess.Popen[bytes]:
    """A stand-in supervisor: writes its pid to run/serve.pid and exits ``delay`` s after SIGTERM."""
    code = (f"import os, signal, sys, time\n"
            f"def stop(*a):\n    time.sleep({delay}); os.unlink({str(run / 'serve.pid')!r}); sys.exit(0)\n"
            f"signal.signal(signal.SIGTERM, stop)\n"
            f"open({str(run / 'serve.pid')!r}, 'w').write(str(os.getpid()))\nprint('ready', flush=True)\n"
            f"time.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def test_make_stop_exits_0_once_the_supervisor_is_gone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The supervisor takes 1.5 s to stop and, being this test's child, stays a zombie until reaped: it is gone,
    and `make stop` says so (a zombie answered the signal test as if alive until the wait ran out)."""
    supervisor = _supervisor(tmp_path, 1.5)
    try:
        assert serve.stop_running(tmp_path, wait=5.0) == 0
        assert "serve: stopped" in capsys.readouterr().out
    finally:
        supervisor.kill()
        supervisor.wait()


def test_make_stop_exits_1_when_the_supervisor_stays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    supervisor = _supervisor(tmp_path, 30.0)
    try:
        assert serve.stop_running(tmp_path, wait=0.5) == 1
        assert "is still running 0.5 s after it was asked to stop" in capsys.readouterr().out
    finally:
        supervisor.kill()
        supervisor.wait()
