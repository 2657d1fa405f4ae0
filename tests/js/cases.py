"""What the gate view's script is checked against in tests/js: the server's own views, templates and numbers.

The node tests run it (``python tests/js/cases.py``) and read the one JSON object it prints:

- ``views``: per cell kind (and two backward directions), a packed view as base64, and at a few (t, unit) the
  numbers of the engine's own step panel (``viz.equations.step_equations``);
- ``precisions``: one view packed as float64, float32 and float16, with every value as ``viz.gateview.unpack``
  reads it back;
- ``templates``: per kind, each equation's numbers template as the server sends it (HTML) and writes it
  (LaTeX), one step's slot values, and ``viz.equations.fill``'s text for both;
- ``numbers``: values (awkward ones: exact ties, -0, huge, nan) and ``viz.equations.fmt``'s text at 0-4 decimals;
- ``palettes``: each palette's sampled stops per scale, as the server sends them.

Floats go as ``repr`` strings ("nan", "-inf" included), which JavaScript's Number reads back exactly.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import cells
import viz.gateview as gv
from viz import equations as eqs
from viz.style import PALETTES

TEXT = "gates remember"  # 14 steps
NUMBER = re.compile(r"-?\d+\.\d+")


def network_trace(kind: str, *, backward: bool = False, hidden: int = 8, inputs: int = 5, seed: int = 3) -> cells.Trace:
    network = cells.Network.create(kind, inputs, hidden, bidirectional=backward, seed=seed)
    xs = np.random.default_rng(seed).standard_normal((len(TEXT), inputs))  # (T, I)
    layer = network.run(xs).layers[0]
    return layer.backward if backward else layer.forward


def view_of(trace: cells.Trace) -> bytes:
    return gv.pack(gv.gate_view(trace, list(TEXT), [f"x{i}" for i in range(trace.input_size)]))


def views() -> list[dict]:
    out = []
    for kind, backward in [*((k, False) for k in cells.KINDS), ("lstm", True), ("lstmp", True)]:
        trace = network_trace(kind, backward=backward)
        T, H = trace.steps, trace.hidden_size
        at = [(0, 0), (1, 3), (T // 2, H - 1), (T - 2, 2), (T - 1, 5)]
        steps = [{"t": t, "unit": u, "numbers": [NUMBER.findall(line.split(" = ", 2)[2])
                                                 for line in eqs.step_equations(kind, trace.at(t), u)]}
                 for t, u in at]
        out.append({"kind": kind, "backward": backward, "packed": base64.b64encode(view_of(trace)).decode(),
                    "steps": steps})
    return out


def precisions() -> list[dict]:
    trace = network_trace("lstm")
    out = []
    saved = gv.FULL_PRECISION_BYTES, gv.SINGLE_PRECISION_BYTES
    for full, single in [(10**9, 10**9), (0, 10**9), (0, 0)]:  # every array as float64, float32, float16
        gv.FULL_PRECISION_BYTES, gv.SINGLE_PRECISION_BYTES = full, single
        data = view_of(trace)
        header, arrays = gv.unpack(data)
        out.append({"precision": header["precision"], "packed": base64.b64encode(data).decode(),
                    "arrays": {name: [repr(float(x)) for x in a.ravel()] for name, a in arrays.items()}})
    gv.FULL_PRECISION_BYTES, gv.SINGLE_PRECISION_BYTES = saved  # the later cases pack as the server does
    return out


def templates() -> list[dict]:
    out = []
    for kind in cells.KINDS:
        trace = network_trace(kind, seed=5)
        t, unit = 4, 2
        step = trace.at(t)
        slots = eqs.slot_values(kind, step.values, step.pre, step.previous.hidden, step.previous.cell)
        numbers = {name: float(a[min(unit, len(a) - 1)]) for name, a in slots.items()}
        out.append({"kind": kind, "numbers": {k: repr(v) for k, v in numbers.items()}, "equations": [
            {"latex": e.numbers, "html": eqs.html(e.numbers), "filled_latex": eqs.fill(e.numbers, numbers),
             "filled_html": eqs.fill(eqs.html(e.numbers), numbers),
             "slots": [m.group(1) for m in eqs.SLOT.finditer(e.numbers)]}
            for e in eqs.equations(kind)]})
    return out


def awkward_numbers() -> list[float]:
    rng = np.random.default_rng(7)
    ties = [k / 2**d for d in range(1, 7) for k in range(-40, 41, 1)]  # every exact tie at 0-4 decimals, and more
    spread = list(rng.standard_normal(400) * 10.0 ** rng.integers(-5, 6, 400))
    edges = [0.0, -0.0, 0.005, -0.005, 0.015, 1.005, 0.045, 2.675, -0.0049, -0.004, 123456.785, 1e-7, 1e21,
             -1.5e22, 2.0**70, 9.995, -9.995, 0.5, -0.5, 1.5, 2.5, float("nan"), float("inf"), float("-inf")]
    return [float(x) for x in ties + spread + edges]


def numbers() -> list[dict]:
    return [{"value": repr(x), "text": [eqs.fmt(x, d) for d in range(5)]} for x in awkward_numbers()]


def palettes() -> dict:
    return {name: {scale: p.stops(scale, gv.COLOUR_STOPS) for scale in ("sequential", "diverging")}
            for name, p in PALETTES.items()}


def memory_paths() -> list[dict]:
    """Per kind with a keep gate, forward and backward: the keep share as the view sends it (packed), and the
    engine's memory path and ``remembered`` sentence at a few steps (cells.attribution)."""
    from cells.attribution import memory_path, remembered
    from viz.insight import THRESHOLD, with_insight

    out = []
    for kind in ("lstm", "gru", "lstmp"):
        for backward in (False, True):
            trace = network_trace(kind, backward=backward)
            view = with_insight(gv.gate_view(trace, list(TEXT), [f"x{i}" for i in range(trace.input_size)]), trace)
            steps = []
            for t in (0, 5, len(TEXT) - 1):
                path = memory_path(trace, t)  # (T, H)
                steps.append({"t": t, "path": [repr(float(v)) for v in path.ravel()],
                              "sentences": [remembered(path, u, t, THRESHOLD).sentence(list(TEXT))
                                            for u in range(path.shape[1])]})
            out.append({"kind": kind, "backward": backward, "view": base64.b64encode(gv.pack(view)).decode(),
                        "steps": steps})
    return out


if __name__ == "__main__":
    json.dump({"views": views(), "precisions": precisions(), "templates": templates(), "numbers": numbers(),
               "palettes": palettes(), "memory": memory_paths()}, sys.stdout)
