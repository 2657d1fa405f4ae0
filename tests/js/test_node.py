"""The gate view script's pure parts (viz/gateview/: decode, format, colour, cursor), tested by node's own test
runner: one pytest test per tests/js/*.test.mjs, so `make test` runs them where node is installed (v20+)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE = shutil.which("node")


def node_major() -> int:
    if NODE is None:
        return 0
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.match(r"v(\d+)\.", version)
    return int(match.group(1)) if match else 0


MAJOR = node_major()
pytestmark = pytest.mark.skipif(MAJOR < 20, reason="the gate view's script tests need node 20 or later on PATH "
                                                   f"({'no node' if NODE is None else f'node {MAJOR}'} found)")


@pytest.mark.parametrize("script", sorted(p.name for p in HERE.glob("*.test.mjs")))
def test_the_script_part_passes_its_node_tests(script: str) -> None:
    env = {**os.environ, "GATESCOPE_PYTHON": sys.executable, "GATESCOPE_REQUIRE_CASES": "1"}
    result = subprocess.run([NODE, "--test", str(HERE / script)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=240)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-8000:]
    assert re.search(r"^# fail 0$", report, re.MULTILINE) and re.search(r"^# pass [1-9]", report, re.MULTILINE), report
    assert re.search(r"^# skipped 0$", report, re.MULTILINE), f"{script} skipped a test:\n{report[-4000:]}"
