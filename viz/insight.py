"""The gate view's attribution and state-space panels, as data added to a view (viz.gateview).

Three things ride along with a trace's view, each computed by the engine (cells.attribution, cells.dynamics):

- **the keep share** k_t (T, H) of the trace (``Cell.keep_share``), from which the browser takes the memory
  path M[s, u] = k_{s+1}⋯k_t at whatever step the cursor is on (a running product of what it already holds:
  no rerun when the cursor moves);
- **the attribution at one step**, the step the server last heard of: connectivity ‖∂y_t/∂x_s‖ (T,), the
  gradient's path |∂y_t/∂C_s| (T, H) of the shown layer and direction, and integrated gradients per step (T,)
  with their sum and the target's change. These are "live": a new report replaces them in the view on screen
  without building it again (``pack`` gives the view a ``base`` id that leaves them out);
- **the state space**: the run's h_t (or C_t) on its top two principal components, (T, 2), the share of
  variance each explains, and any fixed points found, projected the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import cells
from cells.attribution import Attribution, Connectivity
from cells.dynamics import FixedPoints, Projection, pca
from viz.gateview import GateView

LIVE = ("attr.norm", "attr.path", "attr.ig")  # the arrays a report replaces in place
THRESHOLD = 0.5  # the share of memory the page's sentence counts as still remembered


@dataclass(frozen=True)
class Attributed:
    """The attribution at one step, as the page computed it (engine results and what they were asked)."""

    connectivity: Connectivity
    layer: int  # the layer and direction the view shows (the gradient's path is theirs)
    direction: str
    integrated: Attribution | None = None
    baseline: str = "zeros"  # what integrated gradients started from, in words
    classes: Sequence[str] | None = None  # the head's class names, where known


def target_text(target: cells.attribution.Target, classes: Sequence[str] | None = None) -> str:
    """The resolved target in words, as the panel's title says it ("the logit of 'a'", "C_t of unit 3")."""
    if target.output == "logit":
        name = repr(classes[target.cls]) if classes is not None and target.cls < len(classes) else f"class {target.cls}"
        return f"the logit of {name}"
    return f"{'h_t' if target.output == 'hidden' else 'C_t'} of unit {target.unit}"


def with_insight(view: GateView, trace: cells.Trace, *, attributed: Attributed | None = None,
                 projection: Projection | None = None, run: int = 0, state: str = "hidden",
                 found: FixedPoints | None = None, note: str = "") -> GateView:
    """``view`` (a gate view of ``trace``) with the memory path's keep share, ``attributed`` (the attribution at
    its step), and run ``run`` of ``projection`` (the state space; ``found``'s points projected into it)."""
    header, arrays = dict(view.header), dict(view.arrays)
    T = trace.steps
    kind = cells.cell_class(trace.kind)
    keep = kind.keep_share(trace.values)  # (T, H) or None
    info = {"threshold": THRESHOLD, "memory": keep is not None, "note": note,
            "memory_name": "C" if kind.HAS_CELL else "h"}
    if keep is not None and kind.KEEP[0] in arrays:  # the view has the keep gate: the browser takes k from it
        info["keep"] = {"gate": kind.KEEP[0], "sign": int(kind.KEEP[1])}
    elif keep is not None:
        arrays["attr.keep"] = np.asarray(keep, dtype=np.float64)
    if attributed is not None:
        c = attributed.connectivity
        if c.norm.shape != (T,):
            raise ValueError(f"connectivity: expected {T} steps (the view's), got {c.norm.shape[0]}")
        arrays["attr.norm"] = c.norm[:, None]  # (T, 1)
        arrays["attr.path"] = c.path(attributed.layer, attributed.direction)  # (T, H)
        info.update(step=int(c.target.step), target=target_text(c.target, attributed.classes), value=c.value)
        ig = attributed.integrated
        if ig is not None:
            arrays["attr.ig"] = ig.per_step[:, None]  # (T, 1)
            info["ig"] = {"total": ig.total, "change": ig.change, "error": ig.error, "baseline": attributed.baseline,
                          "steps": ig.steps}
    header["attribution"] = info
    header["live"] = [name for name in LIVE if name in arrays]
    header["levels"] = ["attr.path"]  # drawn only as colours: a large view sends it as a byte a value
    view = GateView(header, arrays)
    return with_states(view, projection, run, state=state, found=found) if projection is not None else view


def with_states(view: GateView, projection: Projection, run: int = 0, *, state: str = "hidden",
                found: FixedPoints | None = None, title: str = "") -> GateView:
    """``view`` with run ``run`` of ``projection`` drawn as its state space (``found``'s points in it), on axes that
    hold every run of the projection, so that views sharing it (Compare's panes) draw it on the same scale."""
    header, arrays = dict(view.header), dict(view.arrays)
    T = header["steps"]
    coords = projection.coordinates[run]
    if coords.shape[0] > T:
        raise ValueError(f"projection: run {run} has {coords.shape[0]} steps, the view {T}")
    xy = np.full((T, 2), np.nan)  # a pane shorter than the view it is aligned with has no state after its end
    xy[: len(coords)] = 0.0
    xy[: len(coords), : min(2, coords.shape[1])] = coords[:, :2]
    arrays["states.xy"] = xy
    everything = np.zeros((sum(len(c) for c in projection.coordinates), 2))
    everything[:, : min(2, coords.shape[1])] = np.concatenate(projection.coordinates)[:, :2]
    points = []
    if found is not None:
        for k, p in enumerate(found.points):
            where = projection.project(p.hidden if state == "hidden" else p.cell)[:2]
            points.append({"x": float(where[0]), "y": float(where[1]) if len(where) > 1 else 0.0, "stable": p.stable,
                           "index": k, "radius": p.spectral_radius, "slow": len(p.slow())})
    extent = np.concatenate([everything, [[q["x"], q["y"]] for q in points]]) if points else everything
    explained = [float(e) for e in projection.explained[:2]] + [0.0] * (2 - min(2, len(projection.explained)))
    header["states"] = {"explained": explained, "state": "h_t" if state == "hidden" else "C_t", "points": points,
                        "steps": len(coords),
                        "title": title, "bounds": [float(extent[:, 0].min()), float(extent[:, 0].max()),
                                                   float(extent[:, 1].min()), float(extent[:, 1].max())]}
    return GateView(header, arrays)


def shared_states(views: Sequence[GateView], traces: Sequence[cells.Trace], *, state: str = "hidden"
                  ) -> tuple[list[GateView], str | None]:
    """Compare's panes in one projection fitted on all of their states (cells.dynamics.pca of the runs together),
    each drawn in its own view on the same axes; the views as they were and why, when the states differ in width."""
    widths = [t.values[state].shape[1] if state in t.values else None for t in traces]
    if None in widths or len(set(widths)) != 1:
        said = " and ".join(str(w) for w in widths)
        return list(views), f"The panes' states differ in width ({said} numbers): no one projection fits both."
    projection = pca(list(traces), 2, state=state)
    title = "one projection fitted on both panes"
    return [with_states(v, projection, k, state=state, title=title) for k, v in enumerate(views)], None
