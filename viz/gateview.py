"""The gate view: every gate and state of one trace on one shared time axis, drawn in the browser.

The server builds the view once per trace, as data: the arrays of every gate and state, the time
labels, the colour scales, the step equations as templates and the cell diagram's layout. The
browser (the script in ``gateview/`` beside this file) draws the heatmaps once and then moves the time cursor,
fills the equations' numbers and recolours the diagram itself, so scrubbing and playing never ask
the server anything. ``pack`` turns a view into the one binary message the browser receives:

    b"GSV1" | header length (uint32, little-endian) | header (JSON, UTF-8) | padding to 8 | arrays

and the header says where each array lies (offset, dtype, shape). Arrays go as float64 while the
view is small, as float32 up to a few megabytes, and as float16 beyond (3 significant digits, which
the view then says); the colours and the equations' two decimals read the same at every width. A large view's
arrays that are only ever drawn as colours (``header["levels"]``) go as one byte a value, 256 levels.

Colours come from the ``Palette`` the page passes (viz.style): each panel's scale as sampled stops,
and the lines' and the chosen unit's colours. A panel whose range is stretched to the data (the cell
state C_t) can be coloured row by row, each unit on its own symmetric range; the browser switches
that itself, and the view opens in it when the unit a cue says to watch would be pale on the shared
range (``watch``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import cells
from viz import equations as eqs
from viz.diagram import BOX_H, BOX_W, NODE_R, drawing
from viz.heatmap import heatmap_names
from viz.style import STANDARD, ColourRange, Palette, colour_range, input_range, pale
from viz.timeaxis import step_labels

MAGIC = b"GSV1"
FULL_PRECISION_BYTES = 256_000  # float64 below this many bytes of arrays
SINGLE_PRECISION_BYTES = 2_800_000  # float32 below this, float16 above
COLOUR_STOPS = 11  # samples of each colour scale; the browser interpolates between them
HERE = Path(__file__).parent
CSS = "\n".join((HERE / name).read_text(encoding="utf-8") for name in ("gateview.css", "gateview/insight.css"))

# The gate view's script is small ES modules in viz/gateview/, one concern each, joined here at import into
# the one script the component and the offline page receive: nothing to build, nothing to install. Node's test
# runner imports the pure parts as they are (tests/js; viz/gateview/package.json tells node they are modules).
# Joining gives each part its own scope and makes its exports plain functions on a namespace named for the
# part, in this fixed order (a part imports only earlier ones):
#     const format = (() => { <format.js, each "export " dropped>; return { fmt, factor, ... }; })();
# and a later part's line `import { fmt, factor } from "./format.js";` becomes `const { fmt, factor } = format;`.
# Only those two forms are joined (a one-line named import of an earlier part; `export function|const|class x`);
# any other import or export raises here, at import, so a part cannot break the joined script quietly. Lines
# that are only a comment are left out (the component's script goes with every rerun; the parts keep them),
# which is safe because no string spans lines: a template literal over several lines raises too. The last
# part's ENTRY is the component's default export; the offline page calls it by name (PAGE_JS).
SCRIPT = HERE / "gateview"
PARTS = ("decode", "format", "colour", "cursor", "dom", "paint", "side", "insight", "extra", "input", "view", "mount")
ENTRY = "mountGateView"
_IMPORT = re.compile(r'^import \{ *(\w+(?: *, *\w+)*) *\} from "\./(\w+)\.js";$', re.MULTILINE)
_EXPORT = re.compile(r"^export ((?:async )?function\*? (\w+)|(?:const|let|class) (\w+))", re.MULTILINE)
_MODULE_LINE = re.compile(r"^[ \t]*(import|export)\b.*$", re.MULTILINE)
_COMMENT_LINE = re.compile(r"^[ \t]*//.*\n", re.MULTILINE)


def join_script(folder: Path = SCRIPT, parts: Sequence[str] = PARTS, entry: str = ENTRY) -> str:
    """The parts in ``folder`` joined into one script (see the comment above), ending with ``const {entry}``
    taken from the last part; a part that imports a later one, or imports or exports in another form, raises."""
    joined = [f"// Gatescope's gate view, joined from viz/gateview/ by viz/gateview.py: {', '.join(parts)}.\n"]
    for k, name in enumerate(parts):
        text = (folder / f"{name}.js").read_text(encoding="utf-8")

        def imported(match: re.Match, name: str = name, earlier: Sequence[str] = parts[:k]) -> str:
            if match.group(2) not in earlier:
                raise ValueError(f"{name}.js imports {match.group(2)}.js, which is not a part before it in {parts}")
            return f"const {{ {match.group(1)} }} = {match.group(2)};"

        for line, code in enumerate(text.splitlines(), 1):
            if code.count("`") % 2:
                raise ValueError(f"{name}.js, line {line}: a template literal over several lines cannot be joined")
        body = _COMMENT_LINE.sub("", _IMPORT.sub(imported, text))
        exports = [m.group(2) or m.group(3) for m in _EXPORT.finditer(body)]
        body = _EXPORT.sub(lambda m: m.group(1), body)
        left = _MODULE_LINE.search(body)
        if left:
            line = body.count("\n", 0, left.start()) + 1
            raise ValueError(f"{name}.js, line {line}: only `import {{ a, b }} from \"./part.js\";` and "
                             f"`export function|const|class name` can be joined, got {left.group(0).strip()!r}")
        namespace = f"return {{ {', '.join(exports)} }};"
        joined.append(f"// ---- {name}.js\nconst {name} = (() => {{\n{body}\n{namespace}\n}})();\n")
    joined.append(f"const {entry} = {parts[-1]}.{entry};\n")
    return "\n".join(joined)


PAGE_JS = join_script()  # a page's script: the view's entry as a plain name, ENTRY
JS = f"{PAGE_JS}export default {ENTRY};\n"  # the component's module: the entry as its default export


@dataclass(frozen=True, eq=False)
class GateView:
    """What the browser needs to draw and step through one trace: a JSON header and named arrays."""

    header: dict
    arrays: dict[str, np.ndarray]  # name -> (T, H) or (T, I) float64


@functools.lru_cache(maxsize=256)
def _scale(crange: ColourRange, palette: Palette) -> dict:
    """A colour range as the browser takes it: its bounds, label and COLOUR_STOPS rgb samples of the palette's
    scale (cached: sampling costs about a millisecond a range, and a page draws dozens of panels on a few ranges)."""
    return {"min": crange.zmin, "max": crange.zmax, "label": crange.label, "stretched": crange.stretched,
            "stops": palette.stops(crange.scale, COLOUR_STOPS)}


def _colours(palette: Palette) -> dict:
    return {"palette": palette.name, "lines": list(palette.lines), "unit_mark": palette.unit_mark}


def _ranges(panels: Sequence[ViewPanel], watch: int | None) -> str:
    """How the view opens: "unit" (each unit's row on its own range) when the unit a cue says to watch
    would be pale on a stretched panel's shared range, else "shared"."""
    if watch is None:
        return "shared"
    for p in panels:
        if (p.values is not None and p.crange is not None and p.row_names is None and 0 <= watch < p.values.shape[1]
                and pale(p.values, p.crange, watch)):
            return "unit"
    return "shared"


@dataclass(frozen=True, eq=False)
class ViewPanel:
    """One heatmap of a view: ``values`` (T, rows) on a fixed colour range, or an empty slot with a note
    (a pane whose cell has no gate in a row's role)."""

    name: str  # unique in its view: the array's name
    symbol: str  # LaTeX, e.g. r"\tilde{C}_t"
    title: str
    crange: ColourRange | None
    values: np.ndarray | None  # (T, rows)
    row_names: Sequence[str] | None = None  # None: the rows are units 0..H-1
    row_title: str = "unit"
    note: str = ""


def _panel(panel: ViewPanel, palette: Palette) -> dict:
    if panel.values is None or panel.crange is None:
        return {"name": panel.name, "symbol": eqs.html(panel.symbol), "title": panel.title, "empty": True,
                "note": panel.note, "rows": 0, "row_names": None, "row_title": panel.row_title}
    return {"name": panel.name, "symbol": eqs.html(panel.symbol), "title": panel.title,
            "scale": _scale(panel.crange, palette),
            "rows": int(panel.values.shape[1]), "note": panel.note,
            "row_names": list(panel.row_names) if panel.row_names is not None else None, "row_title": panel.row_title}


def panel_view(panels: Sequence[ViewPanel], tokens: Sequence[str], *, label: str, where: str = "", t: int = 0,
               unit: int = 0, columns: int | None = None, palette: Palette = STANDARD,
               watch: int | None = None) -> GateView:
    """A view of heatmaps only (no equations, diagram or line chart), e.g. one pane of Compare or B − A.

    Every panel has one row per step of ``tokens``; the cursor starts at step ``t`` and unit ``unit``,
    coloured by ``palette``; ``watch`` is the unit a cue says to watch, if any."""
    tokens = [str(token) for token in tokens]
    T = len(tokens)
    drawn = [p for p in panels if p.values is not None]
    for p in drawn:
        if p.values.shape[0] != T:
            raise ValueError(f"{p.name}: expected {T} steps (one per token), got {p.values.shape[0]}")
    H = max([p.values.shape[1] for p in drawn if p.row_names is None] or [1])
    header = {
        "kind": None, "label": label, "family": None, "steps": T, "units": H,
        "inputs": max([p.values.shape[1] for p in drawn if p.row_names is not None] or [1]),
        "tokens": tokens, "labels": list(step_labels(tokens)), "panels": [_panel(p, palette) for p in panels],
        "equations": [], "previous": {}, "initial": {}, "reverse": False, "diagram": None, "activity": list(range(H)),
        "where": where, "side": False, "lines": False, "columns": columns,
        "colours": _colours(palette), "ranges": _ranges(panels, watch),
        "t": min(max(int(t), 0), T - 1), "unit": min(max(int(unit), 0), H - 1),
    }
    return GateView(header, {p.name: np.asarray(p.values, dtype=np.float64) for p in drawn})


def traces_view(panels: Sequence[tuple[str, str, cells.Trace]], tokens: Sequence[str], *, label: str,
                palette: Palette = STANDARD, watch: int | None = None) -> GateView:
    """Heatmaps of gates and states on one time axis, one column: each (caption, gate or state, trace) a panel
    (a lesson stop's heatmaps, the Weights page's preview of the gate being edited), coloured by ``palette``;
    ``watch`` is the unit a cue says to watch."""
    shown = []
    for k, (caption, name, trace) in enumerate(panels):
        info = cells.gate_info(trace.family, name)
        what = info.title
        shown.append(ViewPanel(f"{k}_{name}", info.latex, f"{caption} · {what}" if caption else what,
                               colour_range(trace.family, name, trace.values[name]), trace.values[name],
                               note=info.description))
    return panel_view(shown, tokens, label=label, columns=1, palette=palette, watch=watch)


def _diagram(trace: cells.Trace) -> dict:
    d = drawing(trace.kind)
    return {
        "boxes": [{"name": n, "x": x, "y": y, "symbol": eqs.html(cells.gate_info(trace.family, n).latex)}
                  for n, (x, y) in d.boxes.items()],
        "nodes": [{"x": x, "y": y, "symbol": s} for x, y, s in d.nodes.values()],
        "labels": [{"x": x, "y": y, "text": eqs.html(text)} for text, (x, y) in d.labels.items()],
        "wires": [[list(p) for p in line] for line in d.wires],
        "box": [BOX_W, BOX_H], "node_r": NODE_R, "frame": [-1.9, 10.4, -1.1, 4.1],  # room for box names
    }


def gate_view(
    trace: cells.Trace,
    tokens: Sequence[str],
    features: Sequence[str],
    *,
    input_title: str = "x_t  encoded inputs",
    where: str = "",
    t: int = 0,
    unit: int = 0,
    palette: Palette = STANDARD,
    watch: int | None = None,
) -> GateView:
    """The gate view of ``trace``: its inputs (rows ``features``) and every gate and state it shows,
    steps labelled by ``tokens``; the cursor starts at step ``t`` and unit ``unit``.

    ``where`` names the layer and direction for deep or bidirectional networks ("layer 2, backward");
    ``palette`` gives the colours, and ``watch`` is the unit a cue says to watch, if any.
    """
    T, H = trace.steps, trace.hidden_size
    tokens = [str(token) for token in tokens]
    if len(tokens) != T:
        raise ValueError(f"tokens: expected {T} (one per step), got {len(tokens)}")
    if len(features) != trace.input_size:
        raise ValueError(f"features: expected {trace.input_size} (one per input), got {len(features)}")
    view_panels = [ViewPanel("inputs", "x_t", input_title.split("  ", 1)[-1], input_range(trace.inputs),
                             trace.inputs, row_names=features, row_title="input")]
    for name in heatmap_names(trace):
        info = cells.gate_info(trace.family, name)
        values = trace.values[name]
        view_panels.append(ViewPanel(name, info.latex, info.title,
                                     colour_range(trace.family, name, values), values))
    panels = [_panel(p, palette) for p in view_panels]
    arrays: dict[str, np.ndarray] = {p.name: p.values for p in view_panels}
    kind = trace.kind
    previous = {"prev.hidden": "hidden", "prev.cell": "cell"}
    slots = eqs.slot_values(kind, trace.values, trace.pre, trace.previous_hidden, trace.previous_cell)
    for slot, values in slots.items():
        if slot not in previous:  # the browser shifts h_t and C_t itself: no need to send them twice
            arrays.setdefault(slot, values)
    for name in ("hidden", "cell"):
        if f"prev.{name}" in slots:
            arrays.setdefault(name, trace.values[name])
    initial = {"hidden": trace.initial.hidden.tolist()}
    if trace.initial.cell is not None:
        initial["cell"] = trace.initial.cell.tolist()
    # (H,) the most active unit first; h_t of a projection has fewer numbers than units, so its memory speaks
    busy = trace.values["hidden"] if trace.state_size == H else trace.values[cells.cell_class(kind).memory()]
    activity = np.argsort(-np.std(busy, axis=0), kind="stable")
    header = {
        "kind": kind, "label": cells.cell_class(kind).LABEL, "family": trace.family,
        "steps": T, "units": H, "inputs": trace.input_size,
        "tokens": tokens, "labels": list(step_labels(tokens)),
        "panels": panels,
        "equations": [{"lhs": eqs.html(e.lhs), "rule": eqs.html(e.rule), "numbers": eqs.html(e.numbers),
                       "result": e.result} for e in eqs.equations(kind, trace.gate_activation)],
        "previous": {slot: state for slot, state in previous.items() if slot in slots},
        "initial": initial, "reverse": bool(trace.reverse),
        "diagram": _diagram(trace),
        "activity": activity.tolist(),
        "where": where, "side": True, "lines": True, "columns": None,
        "colours": _colours(palette), "ranges": _ranges(view_panels, watch),
        "t": min(max(int(t), 0), T - 1), "unit": min(max(int(unit), 0), H - 1),
    }
    return GateView(header, {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})


def _dtype(values: int) -> np.dtype:
    if values * 8 <= FULL_PRECISION_BYTES:
        return np.dtype("<f8")
    if values * 4 <= SINGLE_PRECISION_BYTES:
        return np.dtype("<f4")
    return np.dtype("<f2")


def pack(view: GateView) -> bytes:
    """The view as one binary message (see the module's docstring); equal views give equal bytes."""
    dtype = _dtype(sum(a.size for a in view.arrays.values()))
    levels = set(view.header.get("levels", ())) if dtype == np.dtype("<f2") else set()
    blobs, table, offset = [], [], 0
    for name, values in view.arrays.items():
        entry = {"name": name, "dtype": dtype.str[1:], "shape": list(values.shape), "offset": offset}
        if name in levels:  # values ≥ 0 drawn only as colours: 256 levels from 0 to their largest, a byte each
            top = float(np.max(values)) if values.size else 0.0
            scale = top / 255 if top > 0 else 1.0
            blob = np.rint(np.clip(values, 0, None) / scale).astype(np.uint8).tobytes()
            entry.update(dtype="u1", scale=scale)
        else:
            blob = np.ascontiguousarray(values, dtype=dtype).tobytes()
        table.append(entry)
        blobs.append(blob)
        offset += len(blob)
    body = b"".join(blobs)
    # ``base`` leaves out what a report of the cursor replaces in place (viz.insight: the attribution at one step),
    # so the browser can tell a new view from the same view with a new attribution
    live = set(view.header.get("live", ()))
    fixed = {k: v for k, v in view.header.items() if k != "attribution"}
    kept = b"".join(blob for blob, entry in zip(blobs, table, strict=True) if entry["name"] not in live)
    header = {**view.header, "arrays": table, "precision": dtype.str[1:],
              "id": hashlib.blake2b(json.dumps(view.header, sort_keys=True).encode() + body, digest_size=8).hexdigest(),
              "base": hashlib.blake2b(json.dumps(fixed, sort_keys=True).encode() + kept, digest_size=8).hexdigest()}
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    text += b" " * (-(len(MAGIC) + 4 + len(text)) % 8)  # arrays start on an 8-byte boundary
    return MAGIC + struct.pack("<I", len(text)) + text + body


def unpack(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of a packed view (what the browser reads), for tests and tools."""
    if data[:4] != MAGIC:
        raise ValueError("gate view: not a packed view (no GSV1 mark)")
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + length])
    start = 8 + length
    arrays = {}
    for entry in header["arrays"]:
        dtype = np.dtype("<" + entry["dtype"])
        count = int(np.prod(entry["shape"]))
        values = np.frombuffer(data, dtype, count, start + entry["offset"]).reshape(entry["shape"])
        arrays[entry["name"]] = values * entry["scale"] if entry["dtype"] == "u1" else values
    return header, arrays
