"""Downloads: a trace as a long-form table, as a .npz of arrays, and a figure as standalone HTML."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

import cells

COLUMNS = ("layer", "direction", "step", "token", "gate", "unit", "value")


def directions(layer: cells.LayerTrace) -> list[tuple[str, cells.Trace]]:
    """("forward", trace) and, for a bidirectional layer, ("backward", trace)."""
    named = [("forward", layer.forward)]
    if layer.backward is not None:
        named.append(("backward", layer.backward))
    return named


def trace_frame(network: cells.NetworkTrace, tokens: Sequence[str]) -> pd.DataFrame:
    """Every recorded value of every layer and direction, one row each:
    layer, direction, step, token, gate, unit, value (steps in input order)."""
    tokens = np.asarray(list(tokens), dtype=object)
    parts = []
    for k, layer in enumerate(network.layers):
        for direction, trace in directions(layer):
            if len(tokens) != trace.steps:
                raise ValueError(f"tokens: expected {trace.steps} (one per step), got {len(tokens)}")
            T, H = trace.steps, trace.hidden_size
            step = np.repeat(np.arange(T), H)  # (T·H,)
            unit = np.tile(np.arange(H), T)  # (T·H,)
            for gate, values in trace.values.items():
                parts.append(pd.DataFrame({
                    "layer": k, "direction": direction, "step": step, "token": tokens[step],
                    "gate": gate, "unit": unit, "value": values.ravel(),
                }))
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)]


def trace_csv(network: cells.NetworkTrace, tokens: Sequence[str]) -> bytes:
    """``trace_frame`` as CSV bytes."""
    return trace_frame(network, tokens).to_csv(index=False).encode()


def trace_npz(network: cells.NetworkTrace, tokens: Sequence[str]) -> bytes:
    """Every array of the trace in one .npz: ``inputs``, ``tokens``, and per layer and direction
    ``layer0/forward/values/forget``, ``.../pre/forget`` ... (each (T, H))."""
    arrays: dict[str, np.ndarray] = {
        "inputs": network.layers[0].forward.inputs, "tokens": np.array(list(tokens), dtype=str),
    }
    for k, layer in enumerate(network.layers):
        for direction, trace in directions(layer):
            for part in ("values", "pre"):
                for gate, values in getattr(trace, part).items():
                    arrays[f"layer{k}/{direction}/{part}/{gate}"] = values
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML page of ``fig`` that opens offline (plotly.js is included)."""
    return fig.to_html(include_plotlyjs=True, full_html=True)


def payload_bytes(figures: Sequence[go.Figure]) -> int:
    """How many bytes of JSON these figures send to the browser (what st.plotly_chart sends)."""
    return sum(len(pio.to_json(fig, validate=False)) for fig in figures)
