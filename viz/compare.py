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

import cells
from cells.analysis import SATURATED_HIGH, SATURATED_LOW, keep_share, memory_half_life, saturation
from viz.gateview import GateView, ViewPanel, panel_view
from viz.style import STANDARD, ColourRange, Palette, colour_range, input_range, symmetric_range

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
    return Panel(info.symbol, f"{info.symbol}  {info.title}", values, crange, info.range, name,
                 phrase)


def _derived(values: np.ndarray, symbol: str, what: str, phrase: str) -> Panel:
    shares = ColourRange(0.0, 1.0, "sequential", "0 to 1 (σ)")  # a share, coloured as a sigmoid gate is
    return Panel(symbol, f"{symbol}  {what} (derived)", values, shares, "sigmoid", None, phrase)


def _form(cls: type[cells.Cell]) -> str:
    """" (deck form)" from a label such as "GRU (deck form)": which convention a pane's cell follows."""
    return f" ({cls.LABEL.split('(', 1)[1].rstrip(')')})" if "(" in cls.LABEL else ""


def _keep_symbol(trace: cells.Trace) -> str:
    """The keep share's symbol: the KEEP gate's (``z_t``), or ``1 − z_t`` where the gate is the share of the new."""
    gate, sign = cells.cell_class(trace.kind).KEEP
    symbol = cells.gate_info(trace.family, gate).symbol
    return symbol if sign > 0 else f"1 − {symbol}"


def role_panel(trace: cells.Trace, role: str) -> Panel | None:
    """The heatmap that plays ``role`` in this trace's cell, or None when the cell has none.

    Roles come from what the kind declares: its KEEP gate (the share of the old memory kept, or
    1 minus it), an input gate where it has one (else the complement of the keep share), its
    candidate, its memory state, and the one gate left over."""
    cls = cells.cell_class(trace.kind)
    sym = {name: cells.gate_info(trace.family, name).symbol.replace("-", "−") for name in trace.values}
    memory = cls.memory()
    prev = sym[memory].replace("_t", "_{t−1}")
    form = _form(cls)
    if role == "memory":
        what = "the memory, unbounded" if memory == "cell" else "the only state: memory and output"
        return _from_trace(trace, memory, f"{sym[memory]} is {what}")
    if role == "output":
        what = f"what the {cls.LABEL} shows" if memory == "cell" else "the output and the memory"
        return _from_trace(trace, "hidden", f"h_t is {what}")
    if cls.KEEP is None:
        return None
    gate, sign = cls.KEEP
    keep = keep_share(trace)  # (T, H)
    cand = sym.get("candidate", "the candidate")
    if role == "keep":
        if sign > 0:
            return _from_trace(trace, gate, f"{sym[gate]} is the share of {prev} kept{form}")
        return _derived(keep, f"1 − {sym[gate]}", "keep share", f"1 − {sym[gate]} is the share of {prev} kept{form}")
    if role == "new":
        if "input" in trace.values:
            return _from_trace(trace, "input", f"{sym['input']} is how much of the candidate {cand} is written")
        if sign < 0:
            return _from_trace(trace, gate, f"{sym[gate]} is the share of the new candidate {cand}{form}")
        return _derived(1.0 - keep, f"1 − {sym[gate]}", "share of the new",
                        f"1 − {sym[gate]} is the share of the new candidate {cand}{form}")
    if role == "candidate":
        info = cells.gate_info(trace.family, "candidate")
        return _from_trace(trace, "candidate", f"{cand} is {info.description}")
    left = [g for g in cls.GATES if g not in (gate, "input", "candidate", "hidden")]
    if role == "other" and left:
        info = cells.gate_info(trace.family, left[0])
        return _from_trace(trace, left[0], f"{sym[left[0]]} decides the {info.description}")
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
        if role == "output" and not any(cells.cell_class(t.kind).HAS_CELL for t in (a, b)):
            continue  # without a cell state the output is the memory row again
        pa, pb = role_panel(a, role), role_panel(b, role)
        if pa is None and pb is None:
            continue
        parts = [f"A: {pa.phrase}." if pa else "A has no such gate.", f"B: {pb.phrase}." if pb else "B has none."]
        if len(families) > 1 and role in CROSS_NOTES:
            parts.append(CROSS_NOTES[role])
        title = ROLE_TITLES[role]
        if role == "other" and pa is not None and pb is not None and pa.symbol == pb.symbol:
            title = "The same gate in both panes"  # its counterpart is itself, and B − A compares them
        pairs.append(RolePair(role, title, pa, pb, " ".join(parts)))
    return pairs


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
        if keep is not None and not cells.cell_class(trace.kind).HAS_CELL:  # a gate on h_t keeps the memory
            symbol = _keep_symbol(trace)
            rows.append({"pane": pane, "cell": label, "value": f"{symbol} keep share", "mean": float(np.mean(keep)),
                         "saturated": saturation(keep), "saturated means": SIGMOID_RULE})
    return pd.DataFrame(rows, columns=["pane", "cell", "value", "mean", "saturated", "saturated means"])


def shown_summary(gates: pd.DataFrame) -> pd.DataFrame:
    """``gate_summary`` as the page shows it: means to 3 decimals, the saturated share as text to 3 decimals
    (it sorts as the numbers do), "—" where a state is unbounded and has no saturation."""
    # Built whole from its columns: a pandas drop and assign took three times as long (1.5 ms against 0.5).
    return pd.DataFrame({
        "pane": gates["pane"].to_numpy(), "value": gates["value"].to_numpy(), "mean": gates["mean"].to_numpy().round(3),
        "saturated": ["—" if np.isnan(v) else f"{v:.3f}" for v in gates["saturated"]],
        "saturated means": gates["saturated means"].to_numpy(),
    })


def half_life_text(value: float, steps: int) -> str:
    """A half-life in steps, or "> T" when the memory never halves within the sequence."""
    return f"> {steps}" if np.isinf(value) else f"{value:.0f}"


def half_life_table(traces: Mapping[str, cells.Trace]) -> pd.DataFrame:
    """Per unit, each pane's memory half-life: steps until the running product of the keep share falls below 0.5."""
    width = max(t.hidden_size for t in traces.values())
    columns: dict[str, list] = {"unit": list(range(width))}
    for pane, trace in traces.items():
        life = memory_half_life(trace)
        column = ["—"] * width
        if life is not None:
            for u, value in enumerate(life):
                column[u] = half_life_text(float(value), trace.steps)
        columns[f"{pane}: half-life (steps)"] = column
    return pd.DataFrame(columns)  # one frame from its columns: adding them one by one costs a pandas call each


# ----- bidirectional and deep views --------------------------------------------------------------------
def _direction_panel(trace: cells.Trace, name: str, key: str, layer: int | None = None) -> ViewPanel:
    """A gate of one direction in input order, its title saying which way the cell reads."""
    info = cells.gate_info(trace.family, name)
    where = f"layer {layer + 1} " if layer is not None else ""
    return ViewPanel(key, info.latex, f"{where}{READS[trace.reverse]} · {info.title}",
                     colour_range(trace.family, name, trace.values[name]), trace.values[name], note=info.description)


def _output_rows(layer: cells.LayerTrace) -> list[str]:
    H = layer.forward.state_size  # the numbers of h_t per direction (fewer than the units with a projection)
    if layer.backward is None:
        return [str(u) for u in range(H)]
    return [f"→{u}" for u in range(H)] + [f"←{u}" for u in range(H)]


def _output_panel(layer: cells.LayerTrace, key: str, title: str) -> ViewPanel:
    """A layer's output, (T, D·H): forward units then backward ones when bidirectional."""
    output = layer.output  # (T, D·H)
    return ViewPanel(key, "h_t", title, colour_range(layer.forward.family, "hidden", output), output,
                     row_names=_output_rows(layer))


def bidirectional_view(layer: cells.LayerTrace, name: str, tokens: Sequence[str], *, label: str,
                       palette: Palette = STANDARD, watch: int | None = None) -> GateView:
    """Both directions of one bidirectional layer in input order, and the output they make together."""
    if layer.backward is None:
        raise ValueError("bidirectional view: this layer reads in one direction only")
    panels = [_direction_panel(layer.forward, name, "forward"), _direction_panel(layer.backward, name, "backward"),
              _output_panel(layer, "concat", "[h→_t, h←_t]: both directions' outputs, concatenated")]
    return panel_view(panels, tokens, label=label, columns=1, palette=palette, watch=watch)


def deep_view(network: cells.NetworkTrace, name: str, tokens: Sequence[str], features: Sequence[str], *,
              label: str, palette: Palette = STANDARD, watch: int | None = None) -> GateView:
    """Every layer of a stack on one time axis, each layer's output drawn again as the next one's input."""
    first = network.layers[0].forward
    panels = [ViewPanel("input", "x_t", "layer 1's input: the encoded sequence", input_range(first.inputs),
                        first.inputs, row_names=features, row_title="input")]
    last = len(network.layers) - 1
    for index, layer in enumerate(network.layers):
        for trace in layer.directions:
            panels.append(_direction_panel(trace, name, f"{index}_{'backward' if trace.reverse else 'forward'}",
                                           layer=index))
        title = (f"layer {index + 1}'s h_t: the network's output" if index == last
                 else f"layer {index + 1}'s h_t = layer {index + 2}'s x_t")
        panels.append(_output_panel(layer, f"{index}_output", title))
    return panel_view(panels, tokens, label=label, columns=1, palette=palette, watch=watch)


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


# ----- the side-by-side gate views ------------------------------------------------------------------
ENDED = "(ended)"  # the token of a step a shorter input does not have


def _padded(values: np.ndarray, steps: int) -> np.ndarray:
    """(T, H) values with NaN rows after the last step, to ``steps`` rows: panes line up on step index."""
    out = np.full((steps, values.shape[1]), np.nan)
    out[: values.shape[0]] = values
    return out


def _difference_range(pair: RolePair) -> tuple[np.ndarray, ColourRange, str]:
    diff = difference(pair)  # (T, H)
    assert pair.a is not None and pair.b is not None
    bound = difference_bound(pair.a, pair.b, diff)
    a, b = (f"({s})" if " " in s else s for s in (pair.a.symbol, pair.b.symbol))
    symbol = pair.a.symbol if pair.a.symbol == pair.b.symbol else f"{b} − {a}"
    stretched = "unbounded" in (pair.a.bound, pair.b.bound)  # the data's range, not a fixed ±1 or ±2
    return diff, ColourRange(-bound, bound, "diverging", f"±{bound:g}", stretched=stretched), symbol


def not_compared(pair: RolePair) -> str:
    """Why B − A leaves a row empty, short enough for the row's box (A's and B's titles say what each gate is)."""
    if pair.a is None or pair.b is None:
        return f"Not compared: only {'A' if pair.b is None else 'B'} has a gate in this role."
    if pair.a.values.shape != pair.b.values.shape:
        return f"Not compared: A's {pair.a.symbol} and B's {pair.b.symbol} differ in shape."
    return f"Not compared: A's {pair.a.symbol} and B's {pair.b.symbol} play different parts."


def compare_views(a: cells.Trace, b: cells.Trace, tokens_a: Sequence[str], tokens_b: Sequence[str], *,
                  labels: tuple[str, str], t: int = 0, unit: int = 0, palette: Palette = STANDARD,
                  watch: int | None = None, columns: int = 1) -> tuple[GateView, GateView, GateView | None]:
    """Pane A's and pane B's gates as two views with one row per role, and B − A of the roles they share
    (None when no role compares): rows line up across the three, and so do the steps; ``palette`` colours
    them and ``watch`` is the unit a cue says to watch, if any. ``columns`` 2 lays each view's roles out in two
    columns (a projector's short screen), in the same order in every view."""
    if columns not in (1, 2):
        raise ValueError(f"columns: expected 1 or 2, got {columns}")
    steps = max(a.steps, b.steps)
    pairs = role_pairs(a, b)
    views = []
    for pane, trace, tokens, label in (("a", a, tokens_a, labels[0]), ("b", b, tokens_b, labels[1])):
        panels = []
        for pair in pairs:
            panel = pair.a if pane == "a" else pair.b
            if panel is None:
                panels.append(ViewPanel(pair.role, "", pair.title, None, None,
                                        note=f"Pane {pane.upper()}'s cell has no gate in this role."))
                continue
            panels.append(ViewPanel(pair.role, panel.symbol, f"{pair.title} · {panel.title.split('  ', 1)[-1]}",
                                    panel.crange, _padded(panel.values, steps), note=pair.note))
        padded = [*tokens, *[ENDED] * (steps - trace.steps)]
        views.append(panel_view(panels, padded, label=label, where=f"Pane {pane.upper()}", t=t, unit=unit,
                                columns=columns, palette=palette, watch=watch))
    shared = [pair for pair in pairs if pair.comparable]
    if not shared or a.steps != b.steps:
        return views[0], views[1], None
    panels = []
    for pair in pairs:
        if not pair.comparable:
            panels.append(ViewPanel(pair.role, "", pair.title, None, None, note=not_compared(pair)))
            continue
        diff, crange, symbol = _difference_range(pair)
        panels.append(ViewPanel(pair.role, symbol, "", crange, diff, note=difference_note(pair, tokens_a)))
    return views[0], views[1], panel_view(panels, tokens_a, label="B − A", where="B − A", t=t, unit=unit,
                                          columns=columns, palette=palette, watch=watch)
