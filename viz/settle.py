"""Where it settles: the fixed points a search found (cells.dynamics.fixed_points) in the run's state space.

The figure is the run's trajectory on its top two principal components (cells.dynamics.pca), tokens as labels,
with each fixed point where it lies: a filled circle when it is stable (every |λ| of the step Jacobian below 1),
a cross when it is not, and a short line along each slow direction (an eigenvalue within 0.05 of 1: a direction
the state drifts along only slowly, a line attractor's line). The table says each point's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cells.dynamics import SLOW, FixedPoints, Projection, time_constant

SLOW_LINE = 0.5  # the half-length of a slow direction's line, in state units before projection


def _part(vectors: np.ndarray, state: str, P: int) -> np.ndarray:
    """The h or C part of state-space columns (S, n): what the projection of that state reads."""
    return vectors[:P] if state == "hidden" else vectors[P:]


def settle_figure(projection: Projection, tokens: Sequence[str], found: FixedPoints | None, *, state: str = "hidden",
                  title: str = "") -> go.Figure:
    """The run's states on two principal components with ``found``'s points and their slow directions."""
    xy = projection.coordinates[0]  # (T, k)
    y = xy[:, 1] if xy.shape[1] > 1 else np.zeros(len(xy))
    name = "h_t" if state == "hidden" else "C_t"
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xy[:, 0], y=y, mode="lines+markers+text", text=list(tokens), textposition="top right",
                             line={"color": "#9ab", "width": 1.5}, marker={"size": 6, "color": "#1f77b4"},
                             name=f"the run's {name}",
                             hovertext=[f"step {s} · token “{t}”" for s, t in enumerate(tokens)],
                             hoverinfo="text"))
    if found is not None and found.points:
        P = found.points[0].hidden.shape[0]
        for stable in (True, False):
            chosen = [(k, p) for k, p in enumerate(found.points) if p.stable == stable]
            if not chosen:
                continue
            where = np.array([projection.project(p.hidden if state == "hidden" else p.cell)[:2] for _, p in chosen])
            fig.add_trace(go.Scatter(
                x=where[:, 0], y=where[:, 1] if where.shape[1] > 1 else np.zeros(len(where)), mode="markers+text",
                text=[f"  {k}" for k, _ in chosen], textposition="middle right",
                marker={"size": 14, "symbol": "circle" if stable else "x-thin-open", "color": "#ffd700" if stable
                        else "#111", "line": {"color": "#111", "width": 2}},
                name="stable fixed point" if stable else "unstable fixed point",
                hovertext=[f"point {k}: {'stable' if stable else 'unstable'}, largest |λ| {p.spectral_radius:.3f}, "
                           f"{len(p.slow())} slow direction(s)" for k, p in chosen], hoverinfo="text"))
        lines_x: list[float | None] = []
        lines_y: list[float | None] = []
        for p in found.points:
            centre = p.hidden if state == "hidden" else p.cell
            for v in _part(p.slow_directions(), state, P).T:
                for end in (-SLOW_LINE, SLOW_LINE):
                    a, b = projection.project(centre + end * v)[:2]
                    lines_x.append(float(a))
                    lines_y.append(float(b))
                lines_x.append(None)
                lines_y.append(None)
        if lines_x:
            fig.add_trace(go.Scatter(x=lines_x, y=lines_y, mode="lines", line={"color": "#d62728", "width": 3},
                                     name=f"slow directions (|λ − 1| ≤ {SLOW})", hoverinfo="skip"))
    e = projection.explained
    fig.update_layout(
        title=title or f"Where {name} goes: its top two principal components", height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 50}, legend={"orientation": "h", "y": -0.18},
        xaxis_title=f"PC1 ({e[0]:.0%} of the variance)",
        yaxis_title=f"PC2 ({e[1]:.0%} of the variance)" if len(e) > 1 else "",
    )
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def fixed_point_table(found: FixedPoints) -> pd.DataFrame:
    """One row per point: stable or not, its largest |λ| and time constant, its slow directions, the largest
    eigenvalues, how many starts ended there and the residual ‖F(s*) − s*‖."""
    rows = []
    for k, p in enumerate(found.points):
        top = ", ".join(_complex(v) for v in p.eigenvalues[:4])
        rows.append({"point": k, "stable": "yes" if p.stable else "no", "largest |λ|": round(p.spectral_radius, 4),
                     "time constant (steps)": round(time_constant(p.spectral_radius), 1),
                     f"slow directions (|λ − 1| ≤ {SLOW})": len(p.slow()), "largest eigenvalues": top,
                     "starts": p.starts, "residual": float(f"{p.residual:.2g}")})
    return pd.DataFrame(rows)


def _complex(v: complex) -> str:
    if abs(v.imag) < 1e-9:
        return f"{v.real:.3f}"
    return f"{v.real:.3f}{'+' if v.imag >= 0 else '−'}{abs(v.imag):.3f}i"
