"""Figures and tables that put two traces side by side, or the layers and directions of one network.

Gates are lined up by the role they play, not by name: the LSTM's forget gate f_t and the GRU's
keep share (the deck's 1 − z_t) both say how much old memory is kept. Differences are B − A on a
diverging scale centred on 0 whose range the title states. Every heatmap uses the shared time axis
and fixed margins, so step t sits at the same x in every figure of the same width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

import cells
from cells.analysis import SATURATED_HIGH, SATURATED_LOW, keep_share, memory_half_life, saturation
from viz.heatmap import gate_heatmap, matrix_figure
from viz.style import DIVERGING, ColourRange, colour_range, symmetric_range
from viz.timeaxis import TimeAxis, columns_for, time_axis

ROLES = ("keep", "new", "candidate", "memory", "output", "other")
ROLE_TITLES = {
    "keep": "Keeps the old memory",
    "new": "Lets the new candidate in",
    "candidate": "The candidate",
    "memory": "The memory",
    "output": "The output h_t",
    "other": "Gates with no counterpart",
}
READS = {False: "reads →", True: "reads ←"}


@dataclass(frozen=True, eq=False)
class Panel:
    """One heatmap of a role: a value straight from the trace (``name``) or one derived from it."""

    symbol: str  # "f_t", "1 − z_t"
    title: str  # "f_t  forget gate"
    values: np.ndarray  # (T, H)
    crange: ColourRange
    bound: str  # "sigmoid" | "tanh" | "unbounded"
    name: str | None  # the trace value drawn, None when derived
    phrase: str  # what this value is, for the pairing note (a Markdown caption: symbols as $…$ math)


def _from_trace(trace: cells.Trace, name: str, phrase: str) -> Panel:
    info = cells.gate_info(trace.family, name)
    values = trace.values[name]
    crange = colour_range(trace.family, name, values)
    return Panel(info.symbol, f"{info.symbol}  {info.description.split(':')[0]}", values, crange, info.range, name,
                 phrase)


def _derived(values: np.ndarray, symbol: str, what: str, phrase: str) -> Panel:
    return Panel(symbol, f"{symbol}  {what} (derived)", values, colour_range("lstm", "forget"), "sigmoid", None,
                 phrase)


def _z_keeps_old(trace: cells.Trace) -> bool:
    return bool(getattr(cells.cell_class(trace.kind), "Z_KEEPS_OLD", trace.kind == "gru_torch"))


def role_panel(trace: cells.Trace, role: str) -> Panel | None:
    """The heatmap that plays ``role`` in this trace's cell, or None when the cell has none."""
    family = trace.family
    if family == "lstm":
        return {
            "keep": lambda: _from_trace(trace, "forget", "f_t is the share of $C_{t-1}$ kept"),
            "new": lambda: _from_trace(trace, "input", "i_t is how much of the candidate C̃_t is written"),
            "candidate": lambda: _from_trace(trace, "candidate", "C̃_t is what could be written to C_t"),
            "memory": lambda: _from_trace(trace, "cell", "C_t is the LSTM's memory, unbounded"),
            "output": lambda: _from_trace(trace, "hidden", "h_t = o_t·tanh(C_t) is what the LSTM shows"),
            "other": lambda: _from_trace(trace, "output", "o_t decides how much of tanh(C_t) shows in h_t"),
        }[role]()
    if family == "gru":
        old = _z_keeps_old(trace)
        keep = keep_share(trace)  # (T, H)
        if role == "keep":
            if old:
                return _from_trace(trace, "update", "z_t is the share of $h_{t-1}$ kept (PyTorch/Keras form)")
            return _derived(keep, "1 − z_t", "keep share", "1 − z_t is the share of $h_{t-1}$ kept (lecture's form)")
        if role == "new":
            if old:
                return _derived(1.0 - keep, "1 − z_t", "share of the new",
                                "1 − z_t is the share of the new candidate h̃_t (PyTorch/Keras form)")
            return _from_trace(trace, "update", "z_t is the share of the new candidate h̃_t (lecture's form)")
        return {
            "candidate": lambda: _from_trace(trace, "candidate", "h̃_t is the candidate, made from r_t and x_t"),
            "memory": lambda: _from_trace(trace, "hidden", "h_t is the GRU's only state: memory and output"),
            "output": lambda: _from_trace(trace, "hidden", "h_t is the GRU's output and its memory"),
            "other": lambda: _from_trace(trace, "reset", "r_t decides how much of $h_{t-1}$ the candidate sees"),
        }[role]()
    if role in ("memory", "output"):
        return _from_trace(trace, "hidden", "h_t is the plain RNN's only state")
    return None


CROSS_NOTES = {
    "keep": "Both near 1 means remembering, near 0 forgetting.",
    "new": "The LSTM opens keep and write with two gates; the GRU ties them, keep + new = 1.",
    "memory": "The LSTM's C_t can grow past ±1; the GRU's h_t stays within −1..1.",
    "other": "These two play different parts and are not compared.",
}


@dataclass(frozen=True, eq=False)
class RolePair:
    role: str
    title: str
    a: Panel | None
    b: Panel | None
    note: str

    @property
    def comparable(self) -> bool:
        """Both panes have the role, with the same shape, and the same part to play: B − A means something.
        The gates with no counterpart compare only with the same gate (o_t with o_t, not with r_t)."""
        if self.a is None or self.b is None or self.a.values.shape != self.b.values.shape:
            return False
        return self.role != "other" or self.a.symbol == self.b.symbol


def role_pairs(a: cells.Trace, b: cells.Trace) -> list[RolePair]:
    """The roles either trace has, each with both panes' heatmaps and a note on the pairing."""
    families = {a.family, b.family}
    pairs = []
    for role in ROLES:
        if role == "output" and "lstm" not in families:
            continue  # without a cell state the output is the memory row again
        pa, pb = role_panel(a, role), role_panel(b, role)
        if pa is None and pb is None:
            continue
        parts = [f"A: {pa.phrase}." if pa else "A has no such gate.", f"B: {pb.phrase}." if pb else "B has none."]
        if len(families) > 1 and role in CROSS_NOTES:
            parts.append(CROSS_NOTES[role])
        pairs.append(RolePair(role, ROLE_TITLES[role], pa, pb, " ".join(parts)))
    return pairs


def _axis(tokens: Sequence[str], H: int) -> TimeAxis:
    return time_axis(tokens, columns_for(H))


# px: narrower than a full-width figure's, the same for all, and never widened by labels or colour bars
PANE_MARGIN = {"l": 62, "r": 74, "t": 50, "b": 74, "autoexpand": False}
PANE_TICKS = 14  # labelled steps a half-width time axis has room for without labels running into each other


def narrow(fig: go.Figure) -> go.Figure:
    """Margins for a half-width pane, the same on every Compare figure so their time axes line up;
    the colour bar keeps its ticks and drops its side title (the figure's title states any range
    that is not fixed)."""
    fig.update_layout(margin=PANE_MARGIN)
    fig.update_yaxes(automargin=False)  # row labels ("→12", "e3") fit the fixed left margin
    fig.update_traces(colorbar={"title": {"text": ""}, "thickness": 12}, selector={"type": "heatmap"})
    values, text = tuple(fig.layout.xaxis.tickvals or ()), tuple(fig.layout.xaxis.ticktext or ())
    if len(values) > PANE_TICKS and len(text) == len(values):
        every = -(-len(values) // PANE_TICKS)
        fig.update_xaxes(tickvals=values[::every], ticktext=text[::every])
    if len(values) > 6:
        fig.update_xaxes(tickangle=-60)
    return fig


def span_steps(fig: go.Figure, steps: int) -> go.Figure:
    """Make the time axis cover ``steps`` steps, so panes of different lengths line up on step index."""
    fig.update_xaxes(range=[-0.5, steps - 0.5])
    return fig


def panel_heatmap(panel: Panel, trace: cells.Trace, tokens: Sequence[str], *, steps: int, cursor: int | None,
                  unit: int | None, pane: str) -> go.Figure:
    """A pane's heatmap of a role, its title naming the pane, on a time axis of ``steps`` steps.

    The cursor is drawn only where the pane has that step."""
    cursor = cursor if cursor is not None and cursor < trace.steps else None
    if panel.name is not None:
        fig = gate_heatmap(trace, panel.name, cursor=cursor, tokens=tokens, unit=unit)
    else:
        axis = _axis(tokens, trace.hidden_size)
        fig = matrix_figure(panel.values, axis, panel.crange, title=panel.title, what=panel.symbol,
                            row_names=[str(u) for u in range(trace.hidden_size)], row_title="unit",
                            cursor=cursor, unit=unit)
    fig.layout.title.text = f"{pane} · {fig.layout.title.text}"
    return narrow(span_steps(fig, steps))


def difference_bound(a: Panel, b: Panel, diff: np.ndarray) -> float:
    """The symmetric colour range of B − A: ±1 for two σ gates, ±2 for bounded values, else the data's."""
    if a.bound == b.bound == "sigmoid":
        return 1.0
    if "unbounded" not in (a.bound, b.bound):
        return 2.0
    return symmetric_range(diff)


def difference(pair: RolePair) -> np.ndarray:
    """B − A of a comparable pair, (T, H)."""
    if not pair.comparable:
        raise ValueError(f"{pair.role}: the panes' heatmaps differ in shape or part, so B − A is not defined")
    assert pair.a is not None and pair.b is not None
    return pair.b.values - pair.a.values


def difference_heatmap(pair: RolePair, tokens: Sequence[str], *, steps: int | None = None,
                       cursor: int | None = None, unit: int | None = None) -> go.Figure:
    """B − A of a role, diverging colours centred on 0 over a stated symmetric range."""
    diff = difference(pair)  # (T, H)
    assert pair.a is not None and pair.b is not None
    T, H = diff.shape
    bound = difference_bound(pair.a, pair.b, diff)
    crange = ColourRange(-bound, bound, DIVERGING, f"±{bound:g}")
    axis = _axis(tokens, H)
    a, b = (f"({s})" if " " in s else s for s in (pair.a.symbol, pair.b.symbol))
    symbol = pair.a.symbol if pair.a.symbol == pair.b.symbol else f"{b} − {a}"
    title = f"B − A · {symbol} (colours ±{bound:g})" + (f" · {axis.note}" if axis.note else "")
    fig = matrix_figure(diff, axis, crange, title=title, what=f"B − A ({symbol})",
                        row_names=[str(u) for u in range(H)], row_title="unit",
                        cursor=cursor if cursor is not None and cursor < T else None, unit=unit)
    return narrow(span_steps(fig, steps or T))


def difference_note(pair: RolePair, tokens: Sequence[str]) -> str:
    """Where B and A differ most, and by how much on average."""
    diff = difference(pair)
    t, u = np.unravel_index(int(np.argmax(np.abs(diff))), diff.shape)
    return (f"B − A: largest |difference| {abs(diff[t, u]):.3f} at step {t} (`{tokens[t]}`), unit {u}; "
            f"mean |B − A| {np.mean(np.abs(diff)):.3f}.")


# ----- summary tables -------------------------------------------------------------------------------
SIGMOID_RULE = f"< {SATURATED_LOW} or > {SATURATED_HIGH}"


def _saturated(trace: cells.Trace, name: str) -> tuple[float, str]:
    bound = cells.gate_info(trace.family, name).range
    values = trace.values[name]
    if bound == "sigmoid":
        return saturation(values), SIGMOID_RULE
    if bound == "tanh":
        return saturation(values, -SATURATED_HIGH, SATURATED_HIGH), f"|v| > {SATURATED_HIGH}"
    return float("nan"), "unbounded"


def gate_summary(traces: Mapping[str, cells.Trace]) -> pd.DataFrame:
    """Per pane and gate or state: mean activation and the share of (step, unit) values saturated."""
    rows = []
    for pane, trace in traces.items():
        label = cells.KINDS[trace.kind].LABEL
        for name in trace.values:
            info = cells.gate_info(trace.family, name)
            if name in ("cell_tanh", "reset_hidden", "candidate_hidden"):
                continue  # intermediate products, not gates or states
            share, rule = _saturated(trace, name)
            rows.append({"pane": pane, "cell": label, "value": f"{info.symbol} {name}",
                         "mean": float(np.mean(trace.values[name])), "saturated": share, "saturated means": rule})
        keep = keep_share(trace)
        if keep is not None and trace.family == "gru":
            symbol = "z_t" if _z_keeps_old(trace) else "1 − z_t"
            rows.append({"pane": pane, "cell": label, "value": f"{symbol} keep share", "mean": float(np.mean(keep)),
                         "saturated": saturation(keep), "saturated means": SIGMOID_RULE})
    return pd.DataFrame(rows, columns=["pane", "cell", "value", "mean", "saturated", "saturated means"])


def half_life_text(value: float, steps: int) -> str:
    """A half-life in steps, or "> T" when the memory never halves within the sequence."""
    return f"> {steps}" if np.isinf(value) else f"{value:.0f}"


def half_life_table(traces: Mapping[str, cells.Trace]) -> pd.DataFrame:
    """Per unit, each pane's memory half-life: steps until the running product of the keep share falls below 0.5."""
    width = max(t.hidden_size for t in traces.values())
    table = pd.DataFrame({"unit": range(width)})
    for pane, trace in traces.items():
        life = memory_half_life(trace)
        column = ["—"] * width
        if life is not None:
            for u, value in enumerate(life):
                column[u] = half_life_text(float(value), trace.steps)
        table[f"{pane}: half-life (steps)"] = column
    return table


# ----- bidirectional and deep views --------------------------------------------------------------------
def direction_heatmap(trace: cells.Trace, name: str, tokens: Sequence[str], *, cursor: int | None = None,
                      unit: int | None = None, layer: int | None = None) -> go.Figure:
    """A gate of one direction in input order, its title saying which way the cell reads."""
    fig = gate_heatmap(trace, name, cursor=cursor, tokens=tokens, unit=unit)
    where = f"layer {layer + 1} " if layer is not None else ""
    fig.layout.title.text = f"{where}{READS[trace.reverse]} · {fig.layout.title.text}"
    return narrow(fig)


def _output_rows(layer: cells.LayerTrace) -> list[str]:
    H = layer.forward.hidden_size
    if layer.backward is None:
        return [str(u) for u in range(H)]
    return [f"→{u}" for u in range(H)] + [f"←{u}" for u in range(H)]


def layer_output_heatmap(layer: cells.LayerTrace, tokens: Sequence[str], *, title: str,
                         cursor: int | None = None) -> go.Figure:
    """A layer's output, (T, D·H): forward units then backward ones when bidirectional."""
    output = layer.output  # (T, D·H)
    axis = _axis(tokens, output.shape[1])
    crange = colour_range(layer.forward.family, "hidden", output)
    return narrow(matrix_figure(output, axis, crange, title=title + (f" · {axis.note}" if axis.note else ""),
                                what="h_t", row_names=_output_rows(layer), row_title="unit", cursor=cursor))


def reading_strip(tokens: Sequence[str], cursor: int) -> go.Figure:
    """Two rows of tokens: what the forward direction has read at the cursor (1..t) and the backward one (t..T)."""
    T = len(tokens)
    cursor = min(max(int(cursor), 0), T - 1)
    read = np.zeros((T, 2))  # (T, 2): forward, backward
    read[: cursor + 1, 0] = 1.0
    read[cursor:, 1] = 1.0
    axis = _axis(tokens, 2)
    fig = matrix_figure(read * 0.45, axis, ColourRange(0.0, 1.0, "Blues", "read"),
                        title=f"What each direction has read at step {cursor}",
                        what="read", row_names=["→", "←"], row_title="reads", cursor=cursor)
    heat = fig.data[0]
    heat.update(showscale=False)
    if not axis.binned and T <= 80:
        heat.update(text=[list(tokens), list(tokens)], texttemplate="%{text}", textfont={"size": 13})
    fig.update_layout(height=190)
    return narrow(fig)


def layer_summary(network: cells.NetworkTrace) -> pd.DataFrame:
    """Per layer and direction: mean h_t, |h_t| saturation, mean keep share and median memory half-life."""
    rows = []
    for index, layer in enumerate(network.layers):
        for trace in layer.directions:
            hidden = trace.values["hidden"]
            keep = keep_share(trace)
            life = memory_half_life(trace)
            median = float(np.median(life)) if life is not None else float("nan")
            rows.append({
                "layer": index + 1,
                "direction": READS[trace.reverse],
                "mean h_t": float(np.mean(hidden)),
                "|h_t| > 0.95": saturation(hidden, -SATURATED_HIGH, SATURATED_HIGH),
                "mean keep share": float(np.mean(keep)) if keep is not None else float("nan"),
                "median half-life": "—" if life is None else half_life_text(median, trace.steps),
                "units that never halve": "—" if life is None else int(np.isinf(life).sum()),
            })
    return pd.DataFrame(rows)
