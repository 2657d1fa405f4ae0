"""The Corpus page's figures and tables: the census table, Karpathy's saturation scatter, a page of coloured
text for ui/corpus_text.js, snippets coloured by a set of units, and the histogram of match lengths."""

from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cells.corpus import LABELS, Finding, UnitStats
from cells.gates import gate_info
from viz.style import STANDARD, Palette, base_layout

PAGE = 24_000  # characters of coloured text sent at a time (about 50 kB with their colour codes)
PAGE_COMPUTED = 3_000  # ... for a unit computed from checkpoints (about 80 lines of code, in ~60 ms CPU for the
#                        shipped 2 × 192 LSTM): a jump paints within 200 ms
PICTURE = 160  # steps of a unit's values and its track in the census table's small pictures


def symbol(family: str, name: str) -> str:
    return gate_info(family, name).symbol


# ----- the census table ----------------------------------------------------------------------------------------
def census_frame(findings: list[Finding], families: dict[int, str], pictures: dict[tuple[int, str, int], tuple[
        list[float], list[float]]] | None = None) -> pd.DataFrame:
    """One row per finding, strongest first: where the unit is, what it tracks, how well (r or AUC), whether
    holding it at its mean confirms that and what it did to the next-character loss; with each unit's values
    beside its track's (``pictures``)."""
    rows = []
    for f in findings:
        unit, track = (pictures or {}).get((f.layer, f.state, f.unit), ([], []))
        rows.append({
            "layer": f.layer + 1, "state": symbol(families[f.layer], f.state), "unit": f.unit,
            "concept": LABELS.get(f.concept, f.concept), "score": round(float(f.score), 3),
            "confirmed": {True: "yes", False: "no", None: ""}[f.confirmed],
            "unit's values": unit, "the concept": track,
            "loss rise on (%)": None if f.loss_rise_on is None else round(100 * f.loss_rise_on, 1) + 0.0,  # no -0.0
            "loss rise off (%)": None if f.loss_rise_off is None else round(100 * f.loss_rise_off, 1) + 0.0,
            "measure": f.measure, "high inside": "yes" if f.sign > 0 else "no",
            "clear": f.clear,
        })
    return pd.DataFrame(rows)


def loss_change(rise: float) -> str:
    """A loss's relative change in words: "rises 41 %", "rises 1.5 %", "falls 0.3 %", "does not change" (one
    decimal under 10 %, where the census's 1 % bar lies; never "-0 %")."""
    percent = 100 * rise
    digits = 0 if abs(percent) >= 10 else 1
    if round(abs(percent), digits) == 0:
        return "does not change"
    return f"{'rises' if percent > 0 else 'falls'} {abs(percent):.{digits}f} %"


def finding_sentence(f: Finding, family: str) -> str:
    """The finding in words: "C_t unit 37, layer 2: inside a string (AUC 0.97); held at its mean, the loss there
    rises 41 %, elsewhere it rises 3.0 %"."""
    measure = f"AUC {f.score:.2f}" if f.measure == "auc" else f"r {f.score:+.2f}"
    concept = LABELS.get(f.concept, f.concept)
    out = f"{symbol(family, f.state)} unit {f.unit}, layer {f.layer + 1}: {concept} ({measure})"
    if f.loss_rise_on is not None and f.loss_rise_off is not None:
        on, off = loss_change(f.loss_rise_on), loss_change(f.loss_rise_off)
        out += (f"; held at its mean, the loss {on}, there or elsewhere" if on == off == "does not change"
                else f"; held at its mean, the loss there {on}, elsewhere it {off}")
    return out


# ----- Karpathy's saturation scatter -----------------------------------------------------------------------------
def saturation_scatter(stats: list[UnitStats], families: dict[int, str], palette: Palette = STANDARD,
                       height: int = 380) -> go.Figure:
    """One dot per unit per σ gate: the share of steps it spends below 0.1 (x) against above 0.9 (y), as in
    Karpathy, Johnson and Fei-Fei (2015) fig. 5; one colour per gate, one marker per layer."""
    fig = go.Figure()
    gates = sorted({s.name for s in stats if s.low is not None})
    markers = ("circle", "diamond", "square", "triangle-up", "cross")
    for g, name in enumerate(gates):
        for s in stats:
            if s.name != name or s.low is None:
                continue
            sym = symbol(families[s.layer], name)
            units = np.arange(len(s.low))
            fig.add_trace(go.Scatter(
                x=s.low, y=s.high, mode="markers", name=f"{sym} layer {s.layer + 1}",
                marker={"color": palette.lines[g % len(palette.lines)], "size": 6, "opacity": 0.75,
                        "symbol": markers[s.layer % len(markers)]},
                customdata=units, hovertemplate=f"{sym} layer {s.layer + 1} unit %{{customdata}}<br>"
                                                "below 0.1: %{x:.2f}<br>above 0.9: %{y:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[1, 0], mode="lines", line={"color": "#999", "dash": "dot", "width": 1},
                             hoverinfo="skip", showlegend=False))
    fig.update_layout(**base_layout(height, "Saturation of the σ gates"))
    fig.update_xaxes(title="fraction left-saturated (< 0.1)", range=[-0.02, 1.02])
    fig.update_yaxes(title="fraction right-saturated (> 0.9)", range=[-0.02, 1.02])
    return fig


def stats_frame(stats: list[UnitStats], families: dict[int, str], layer: int, name: str) -> pd.DataFrame:
    """Every unit of one gate or state: its mean, spread and (σ gates) saturation shares."""
    s = next(s for s in stats if (s.layer, s.name) == (layer, name))
    out = {"unit": np.arange(len(s.mean)), "mean": s.mean.round(3), "spread": s.spread.round(3)}
    if s.low is not None:
        out["below 0.1"] = s.low.round(3)
        out["above 0.9"] = s.high.round(3)
    return pd.DataFrame(out)


# ----- coloured text ----------------------------------------------------------------------------------------------
def codes(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values as one byte each over [lo, hi] (clipped): what the browser colours and reads back on hover."""
    share = (np.clip(values, lo, hi) - lo) / (hi - lo)
    return np.rint(share * 255).astype(np.uint8)


def page_bounds(text: str, at: int, size: int = PAGE) -> tuple[int, int]:
    """[start, stop) of the page of coloured text around position ``at``: about ``size`` characters, starting at a
    line's start a quarter page before ``at``."""
    total = len(text)
    at = min(max(at, 0), max(total - 1, 0))
    start = max(0, at - size // 4)
    if start > 0:
        start = text.rfind("\n", max(0, start - 400), start) + 1 or start
    return start, min(total, start + size)


def text_page(text: str, start: int, values: np.ndarray, lo: float, hi: float, *, at: int, label: str,
              span: tuple[int, int] | None = None, palette: Palette = STANDARD, height: int = 420) -> dict:
    """What ui/corpus_text.js draws: the page's text from ``start`` with each character's colour code, the scale's
    colours (the palette's diverging scale, so a background stays light enough to read), and where to show."""
    page = text[start : start + len(values)]
    return {"text": page, "codes": base64.b64encode(codes(values, lo, hi).tobytes()).decode("ascii"),
            "start": int(start), "total": len(text), "lo": float(lo), "hi": float(hi), "at": int(at),
            "stops": [[int(255 - 0.7 * (255 - c)) for c in rgb] for rgb in palette.stops("diverging", 11)],
            "label": label, "span": list(span) if span else None, "height": int(height)}


def snippet_html(text: str, start: int, shares: np.ndarray, palette: Palette = STANDARD) -> str:
    """A match's text with each character's background by the share of the set on there (white none, the
    diverging scale's high end all), as escaped HTML."""
    top = palette.stops("diverging", 11)[-1]
    out = []
    for k, ch in enumerate(text[start : start + len(shares)]):
        w = 0.75 * float(shares[k])
        rgb = [int(255 * (1 - w) + c * w) for c in top]
        shown = "⏎" if ch == "\n" else html.escape(ch)
        out.append(f'<span style="background:rgb({rgb[0]},{rgb[1]},{rgb[2]})">{shown}</span>')
    return ('<code style="white-space:pre;font-size:13px">' + "".join(out) + "</code>")


def length_histogram(lengths: tuple[tuple[int, int], ...], palette: Palette = STANDARD, height: int = 220
                     ) -> go.Figure:
    """How many matches have each length (steps)."""
    fig = go.Figure(go.Bar(x=[n for n, _ in lengths], y=[c for _, c in lengths],
                           marker={"color": palette.lines[0]},
                           hovertemplate="%{y} matches of %{x} steps<extra></extra>"))
    fig.update_layout(**base_layout(height, "Match lengths"))
    fig.update_xaxes(title="steps")
    fig.update_yaxes(title="matches")
    return fig
