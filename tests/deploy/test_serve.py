"""`make serve`'s nginx config: sticky on a route cookie, websocket upgrades passed on, a worker that is not
ready held back, every file under the run directory; and nginx itself accepts it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from deploy.serve import NGINX, render_config


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
