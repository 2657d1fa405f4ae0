"""The Corpus page's three sections (the census, the coloured text, find by pattern), the gate view of one place,
and the page's share link. Each section draws from the last good run (ui.corpus.Result) and never runs the
whole corpus again: the coloured text reads a page at a time, the gate view one window from a checkpoint."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cells.corpus import LABELS
from cells.corpus.match import code_threshold
from ui.corpus import Result
from ui.corpus_text import coloured_text
from ui.gateview import show_gate_view
from ui.handoff import send
from ui.palette import current_palette
from viz.corpus import (
    PICTURE,
    census_frame,
    finding_sentence,
    length_histogram,
    page_bounds,
    saturation_scatter,
    snippet_html,
    stats_frame,
    text_page,
)
from workbench import corpus as wc
from workbench import keys
from workbench.literal import literal
from workbench.model_files import from_loaded

K = keys.CORPUS
PICTURED = 60  # census rows drawn with their small pictures
SHOWN_MATCHES = 12


# ----- the share link --------------------------------------------------------------------------------------------
def link_in() -> None:
    """Read the page's link into its keys, once a session:
    ?section=text&model=stdlib_gru&files=5&unit=1.cell.37&at=5120&span=5100-5130. A link that names a view runs it
    at once (from the disk cache when any session has run it); one with a mistake says so and waits for Run."""
    if st.session_state.get(K.link_loaded):
        return
    st.session_state[K.link_loaded] = True
    asked, errors = wc.parse_link(dict(st.query_params))
    for message in errors:
        st.error(literal(message, 200))
    if "section" in asked:
        st.session_state[K.section] = asked["section"]
    if "model" in asked:
        st.session_state[K.model] = asked["model"]
    if "unit" in asked:
        st.session_state[K.unit] = str(asked["unit"])
    if "at" in asked:
        st.session_state[K.at] = asked["at"]
        if asked.get("section") == "text":
            st.session_state[K.clicked] = asked["at"]
    if "span" in asked:
        st.session_state[K.selection] = asked["span"]
    if "files" in asked:
        st.session_state[K.source] = "shipped"
        st.session_state[K.part] = asked["files"]
    if asked and not errors:  # a link that was wrong somewhere is said, and runs nothing it did not ask for
        st.session_state[K.autorun] = True


def link_out(section: str, result: Result) -> None:
    """Write the link of what the page shows: the section, the model, the files, the unit, the place and the span,
    where a link can bring back the result's model and text; else no link at all (a pasted or uploaded text, or
    the Weights page's model: whoever opens it would get another model or text, and a unit or a place in it
    would mean something else)."""
    ss = st.session_state
    if result.source is None:
        values = {}
    else:
        values = wc.link_values(section, ss.get(K.unit) or None, ss.get(K.clicked) if section == "text" else None,
                                (ss.get(K.selection) or None) if section == "match" else None,
                                result.source["files"], result.source["model"])
    for name in wc.LINK_PARAMS:
        if name in values and st.query_params.get(name) != values[name]:
            st.query_params[name] = values[name]
        elif name not in values and name in st.query_params:
            del st.query_params[name]


def choose_section() -> str:
    """The sections' switch. A click on the section shown keeps it (the switch itself would clear it and leave
    the page showing the census under no section's name)."""

    def keep_shown() -> None:
        if st.session_state.get(K.section) is None:
            st.session_state[K.section] = st.session_state.get(K.section_shown, "census")

    st.session_state.setdefault(K.section, "census")
    section = st.segmented_control("Show", list(wc.SECTIONS), format_func=wc.SECTIONS.get, key=K.section,
                                   on_change=keep_shown, label_visibility="collapsed") or "census"
    st.session_state[K.section_shown] = section
    return section


# ----- the census ------------------------------------------------------------------------------------------------
def _pictures(result: Result, findings: list) -> dict:
    """Each pictured unit's values beside its concept's track, over one window of the text."""
    run = result.run
    start, stop = wc.window_around(run, min(run.steps - 1, max(0, run.steps // 3)), PICTURE, 0)
    trace = run.trace_window(start, stop)
    out = {}
    for f in findings[:PICTURED]:
        values = trace.trace(f.layer).values[f.state][:, f.unit]
        track = run.tracks[f.concept].values[start:stop].astype(float)
        out[(f.layer, f.state, f.unit)] = ([round(float(v), 3) for v in values], [float(v) for v in track])
    return out


def _choose_row(findings: list) -> None:
    rows = st.session_state.get(K.census_table, {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(findings):
        st.session_state[K.unit] = str(wc.Unit.of(findings[rows[0]]))
        st.session_state[K.section] = "text"


def census_section(result: Result) -> None:
    run, families = result.run, result.families
    concepts = sorted({f.concept for f in result.census})
    left, right = st.columns([3, 2])
    with left:
        concept = st.selectbox("Concept", ["all", *concepts], key=K.concept,
                               format_func=lambda c: "every concept" if c == "all" else LABELS.get(c, c))
        findings = result.census if concept == "all" else run.ranking(concept)
        clear = sum(f.clear for f in findings)
        st.caption(f"{len(findings):,} units, {clear} clear (|r| ≥ 0.6 or AUC ≥ 0.9). The strongest unit of each "
                   "concept is held at its mean: the ablation confirms it when the loss then rises at least 1 % where "
                   "the concept holds and twice as much as elsewhere. Pick a row to colour the text by that unit.")
        frame = census_frame(findings, families, _pictures(result, findings))
        st.dataframe(frame, key=K.census_table, height=460, hide_index=True, on_select=lambda: _choose_row(findings),
                     selection_mode="single-row", column_config={
                         "unit's values": st.column_config.LineChartColumn(width="small"),
                         "the concept": st.column_config.LineChartColumn(width="small"),
                         "confirmed": st.column_config.TextColumn(
                             width="small", help="Held at its mean, the unit costs the model at least 1 % more loss "
                                                 "where the concept holds, and twice what it costs elsewhere"),
                         "clear": None})
    with right:
        st.plotly_chart(saturation_scatter(run.stats, families, current_palette(), height=380),
                        key="corpus_saturation")
        unit = _current_unit(result)
        with st.expander(f"Statistics of every unit of {unit.label(run).split(' unit')[0]}, layer "
                         f"{unit.layer + 1}"):
            st.dataframe(stats_frame(run.stats, families, unit.layer, unit.state), height=220, hide_index=True)


# ----- the coloured text -----------------------------------------------------------------------------------------
def _current_unit(result: Result) -> wc.Unit:
    spelled = st.session_state.get(K.unit)
    if spelled:
        try:
            return wc.Unit.parse(spelled).check(result.run)
        except ValueError as e:
            st.error(literal(str(e), 200))
    unit = wc.first_unit(result.run, result.census)
    st.session_state[K.unit] = str(unit)
    return unit


def gate_view_at(result: Result, position: int, unit: wc.Unit) -> None:
    """The gate view of the text around ``position``, read from the long run's state there, the cursor on it."""
    run = result.run
    start, stop = wc.window_around(run, position)
    trace = run.trace_window(start, stop).trace(unit.layer)
    if st.session_state.get(K.cursor.prefix + "_shown") != (position, str(unit)):
        st.session_state[K.cursor.prefix + "_shown"] = (position, str(unit))
        st.session_state[K.cursor.step] = position - start
        st.session_state[K.cursor.unit] = unit.unit
    features = wc.input_features(run.model) if unit.layer == 0 else [f"h{u}" for u in range(trace.input_size)]
    st.caption(literal(f"The gate view of characters {start:,} to {stop - 1:,}, from the state the long run had "
                       f"there; the cursor on character {position:,}, {unit.label(run)}.", 300))
    show_gate_view(trace, wc.token_labels(run, start, stop), features, key=K.cursor.view, k=K.cursor,
                   where=f"layer {unit.layer + 1}", palette=current_palette(), watch=unit.unit)
    if st.button("Open in Explore", key=K.open_explore, icon=":material/open_in_new:",
                 help="This model and this window of text on the Explore page (which reads the window from a "
                      "fresh state, as any typed text)"):
        send("explore", from_loaded(run.model, result.model_label), run.text[start:stop],
             step=int(st.session_state.get(K.cursor.step, position - start)),
             unit=int(st.session_state.get(K.cursor.unit, unit.unit)), layer=unit.layer)
        st.switch_page("views/explore.py")


def _type_unit() -> None:
    st.session_state[K.unit] = st.session_state.get(K.unit_box, "")


@st.fragment
def text_section(result: Result) -> None:
    run = result.run
    unit = _current_unit(result)
    pick, about = st.columns([1, 3])
    st.session_state[K.unit_box] = str(unit)
    pick.text_input("Unit (layer.state.unit)", key=K.unit_box, on_change=_type_unit,
                    help="Such as 1.cell.37: pick a census row, or type one")
    finding = next((f for f in result.census if wc.Unit.of(f) == unit), None)
    about.caption(literal(finding_sentence(finding, result.families[unit.layer]) if finding else unit.label(run), 300))
    at = int(st.session_state.get(K.at, 0))
    start, stop = page_bounds(run.text, at, wc.page_size(run, unit))
    lo, hi = wc.value_range(run, unit)
    values = wc.unit_values(run, unit, start, stop)
    page = text_page(run.text, start, values, lo, hi, at=at, label=f"{unit.label(run)}, {lo:g} to {hi:g}",
                     span=st.session_state.get(K.selection), palette=current_palette(),
                     height=200 if st.session_state.get(K.clicked) is not None else 420)
    coloured_text(page)
    st.caption("Hover a character for its value; click one for the gate view there; drag over a span to find "
               "where the same units come on again (Find by pattern).")
    clicked = st.session_state.get(K.clicked)
    if clicked is not None and 0 <= clicked < run.steps:
        gate_view_at(result, clicked, unit)


# ----- find by pattern -------------------------------------------------------------------------------------------
def _shares(result: Result, units: tuple[int, ...], threshold: float, start: int, stop: int) -> np.ndarray:
    codes = result.run.index.codes[start:stop][:, list(units)]  # (n, |S|)
    return (codes >= code_threshold(threshold)).mean(axis=1)


def _open(position: int) -> None:
    st.session_state[K.clicked] = position
    st.session_state[K.at] = position


@st.fragment
def match_section(result: Result) -> None:
    run = result.run
    span = st.session_state.get(K.selection)
    if run.index is None:
        st.info("This run kept no index of h_t, so it cannot find patterns.")
        return
    if span is None:
        st.info("Drag over a span in the coloured text to select it: the units on through it and off around it "
                "are the pattern, and every place they come on again is listed here.")
        return
    a, b = min(span[0], run.steps - 1), min(span[1], run.steps)
    layer = run.index.layer
    left, right = st.columns([2, 3])
    threshold = left.slider("Threshold θ (h_t ≥ θ is on)", -0.9, 0.9, 0.3, 0.05, key=K.threshold)
    units = run.select(a, b, threshold)
    left.markdown(f"Span {a:,}–{b:,}: " + literal(f"“{''.join(wc.token_labels(run, a, b))}”", 80))
    if not units:
        left.warning("No unit of h_t is on through the whole span and off just before and after it: lower the "
                     "threshold or select another span.")
        return
    found = run.search(units, threshold)
    left.caption(f"{len(units)} units of h_t, layer {layer + 1}, on through the span: "
                 f"{', '.join(map(str, units[:20]))}{'…' if len(units) > 20 else ''}. {found.count:,} places where "
                 "at least half of them are on, ranked by the share on, then by the fewest others.")
    if found.lengths:
        left.plotly_chart(length_histogram(found.lengths, current_palette(), height=220), key="corpus_lengths")
    with right.container(height=440):
        for k, m in enumerate(found.matches[:SHOWN_MATCHES]):
            s, e = max(0, m.start - 20), min(run.steps, m.stop + 20)
            text_col, open_col = st.columns([4, 1], gap="small")  # room for the whole word "Open"
            text_col.html(snippet_html(run.text, s, _shares(result, units, threshold, s, e), current_palette()))
            text_col.caption(f"{m.start:,}–{m.stop:,}: {m.share:.0%} of the set on; {m.others:.1f} other units "
                             "on, on average")
            open_col.button("Open", key=f"corpus_open_{k}", on_click=_open, args=(m.start,),
                            help="The gate view here")
    clicked = st.session_state.get(K.clicked)
    if clicked is not None and any(m.start == clicked for m in found.matches[:SHOWN_MATCHES]):
        gate_view_at(result, clicked, wc.Unit(layer, "hidden", units[0]))
