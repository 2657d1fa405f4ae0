"""The Lessons page's figures: a stop's heatmaps as one gate view, and the projector's sizes (big fonts,
ticks and hover labels, taller plots) for a Plotly chart in presenter mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

import cells
from viz.gateview import GateView, ViewPanel, panel_view
from viz.style import STANDARD, Palette, colour_range

PROJECTOR_FONT = 22  # body text of a figure: legend, colour bar title
PROJECTOR_TITLE = 26
PROJECTOR_TICK = 20  # axis tick labels, readable from the back of a room at 1280×720
PROJECTOR_HOVER = 22
PROJECTOR_TICKS = 12  # labelled time steps at most: more would overlap at this size


def for_projector(fig: go.Figure, height: int | None = None) -> go.Figure:
    """``fig`` with fonts, ticks and hover labels sized for a projector, and taller when ``height`` says so."""
    fig.update_layout(
        font={"size": PROJECTOR_FONT},
        title={"font": {"size": PROJECTOR_TITLE}},
        hoverlabel={"font": {"size": PROJECTOR_HOVER}},
        legend={"font": {"size": PROJECTOR_FONT}},
    )
    fig.update_xaxes(tickfont={"size": PROJECTOR_TICK}, title_font={"size": PROJECTOR_FONT})
    fig.update_yaxes(tickfont={"size": PROJECTOR_TICK}, title_font={"size": PROJECTOR_FONT})
    # The colour bar's ticks say its range; its title would crowd them at this size (the figure's title names
    # an unbounded state's range).
    fig.update_traces(colorbar={"tickfont": {"size": PROJECTOR_TICK}, "title": {"text": ""}},
                      selector={"type": "heatmap"})
    fewer_ticks(fig, PROJECTOR_TICKS)
    margin = fig.layout.margin
    fig.update_layout(margin={"l": max(margin.l or 0, 100), "t": max(margin.t or 0, 64),
                              "b": max(margin.b or 0, 80)})
    if height is not None:
        fig.update_layout(height=max(fig.layout.height or 0, height))
    return fig


def fewer_ticks(fig: go.Figure, most: int) -> go.Figure:
    """At most ``most`` labelled steps on an array-labelled time axis, slanted when the labels are long:
    a stop's narrow column has no room for every step's label."""
    axis = fig.layout.xaxis
    if axis.tickmode != "array" or not axis.tickvals:
        return fig
    vals, text = list(axis.tickvals), list(axis.ticktext or [])
    stride = -(-len(vals) // most)  # ceil
    vals, text = vals[::stride], text[::stride]
    longest = max((len(str(t)) for t in text), default=0)
    fig.update_xaxes(tickvals=vals, ticktext=text, tickangle=0 if longest * len(vals) <= 40 else -45)
    return fig


def projector_height(rows: int) -> int:
    """A heatmap's height on a projector: every row's tick label readable at PROJECTOR_TICK."""
    return 270 + 34 * min(rows, 16)


def stop_view(panels: Sequence[tuple[str, str, cells.Trace]], tokens: Sequence[str], *, label: str,
              palette: Palette = STANDARD, watch: int | None = None) -> GateView:
    """A lesson stop's heatmaps as one view: each (caption, gate or state, trace) one panel on one time axis,
    coloured by ``palette``; ``watch`` is the unit the stop says to watch."""
    shown = []
    for k, (caption, name, trace) in enumerate(panels):
        info = cells.gate_info(trace.family, name)
        what = info.title
        shown.append(ViewPanel(f"{k}_{name}", info.latex, f"{caption} · {what}" if caption else what,
                               colour_range(trace.family, name, trace.values[name]), trace.values[name],
                               note=info.description))
    return panel_view(shown, tokens, label=label, columns=1, palette=palette, watch=watch)
