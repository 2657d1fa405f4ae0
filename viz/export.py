"""Downloads: a trace as a long-form table, as a .npz of arrays, a figure and a whole gate view as standalone HTML."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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
            for gate, values in trace.values.items():
                T, H = values.shape  # H units; h_t of a projection has P numbers
                step = np.repeat(np.arange(T), H)  # (T·H,)
                unit = np.tile(np.arange(H), T)  # (T·H,)
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


def gate_view_html(packed: bytes, title: str = "Gatescope gate view") -> str:
    """One self-contained page that scrubs and plays a packed gate view with no server and no network:
    the view's own script and style inlined, its data as base64."""
    from viz.gateview import CSS, PAGE_JS  # the script is joined once, at import, beside its builder

    data = base64.b64encode(packed).decode()
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<style>body {{ margin: 16px; }} h1 {{ font: 600 18px system-ui, sans-serif; }}\n{CSS}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1><div id=\"gatescope\"></div>\n"
        f"<script type=\"module\">\n{PAGE_JS}\n"
        f"const bytes = Uint8Array.from(atob(\"{data}\"), (c) => c.charCodeAt(0));\n"
        "mountGateView({ parentElement: document.getElementById(\"gatescope\"), data: bytes, key: \"offline\","
        " setStateValue: () => {} });\n</script></body></html>\n"
    )
