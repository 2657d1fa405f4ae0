"""A hard-sigmoid model's gate view in Chromium, on its offline page: the step panel writes σ̂ where the lecture
writes σ, from the templates the server sent, and its numbers are the engine's."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import cells
from viz import equations as eqs
from viz.export import gate_view_html
from viz.gateview import gate_view, pack

if TYPE_CHECKING:
    from playwright.sync_api import Page

NUMBER = re.compile(r"-?\d+\.\d+")
TEXT = "hard gates"


def test_the_step_panel_writes_sigma_hat_with_the_engines_numbers(page: Page, tmp_path: Path) -> None:
    network = cells.Network.create("gru_torch", 4, 6, seed=2).with_gate_activation("hard_sigmoid")
    xs = np.random.default_rng(2).standard_normal((len(TEXT), 4)) * 3  # (T, I): wide enough to clip some gates
    trace = network.run(xs).layers[0].forward
    path = tmp_path / "hard.html"
    path.write_text(gate_view_html(pack(gate_view(trace, list(TEXT), [f"x{i}" for i in range(4)]))), encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.gv')?.gatescope !== undefined", timeout=10_000)
    for t, unit in [(0, 0), (4, 3), (len(TEXT) - 1, 5)]:
        page.evaluate("([t, u]) => document.querySelector('.gv').gatescope.go(t, u)", [t, unit])
        rules = page.evaluate("() => [...document.querySelectorAll('.gv .gv-rule')].map(r => r.textContent)")
        nums = page.evaluate("() => [...document.querySelectorAll('.gv .gv-nums')].map(r => r.textContent)")
        assert rules[0].startswith("= σ̂(W") and rules[1].startswith("= σ̂(W"), rules  # z_t and r_t
        assert nums[0].startswith("= σ̂(") and "σ(" not in "".join(nums), nums
        want = [NUMBER.findall(line.split(" = ", 2)[2])
                for line in eqs.step_equations("gru_torch", trace.at(t), unit, gate_activation="hard_sigmoid")]
        assert [NUMBER.findall(text) for text in nums] == want, (nums, want)
        z = trace.values["update"][t, unit]
        assert z == np.clip(0.2 * trace.pre["update"][t, unit] + 0.5, 0, 1)
    # A σ model's view of the same weights keeps σ.
    soft = dataclasses.replace(trace, gate_activation="sigmoid")
    path.write_text(gate_view_html(pack(gate_view(soft, list(TEXT), [f"x{i}" for i in range(4)]))), encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.gv')?.gatescope !== undefined", timeout=10_000)
    nums = page.evaluate("() => [...document.querySelectorAll('.gv .gv-nums')].map(r => r.textContent)")
    assert nums[0].startswith("= σ(") and "σ̂" not in "".join(nums), nums
