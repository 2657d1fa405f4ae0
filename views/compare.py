"""Compare: two configurations side by side on one time cursor; bidirectional and deep networks layer by layer."""

from __future__ import annotations

import streamlit as st

from ui.compare import SIDE_CURSOR, layer_summary_table, pane_runs, set_defaults, side_summary, take_handoff
from ui.compare_link import link_errors, load_link, write_link
from ui.compare_panes import panes, start_controls, start_note
from ui.gateview import show_view
from ui.palette import current_palette
from ui.presenter import presenter_switch
from viz.compare import (
    bidirectional_view,
    compare_views,
    deep_view,
)
from viz.heatmap import heatmap_names
from viz.insight import shared_states
from workbench import keys
from workbench.compare import CURSOR_FIELDS, PANES, VIEWS, PaneRun
from workbench.literal import literal

st.set_page_config(page_title="Gatescope · Compare", layout="wide")  # the browser tab names the page
set_defaults()
load_link()
take_handoff()
present = presenter_switch(keys.COMPARE.present)
st.title("Compare two cells")
for message in link_errors():
    st.error(message)

# Presenting, the start mode folds away beside the view picker, so the gates fill the projector's screen.
start, picker = st.columns([3, 2], vertical_alignment="center") if present else (st.container(), st.container())
with start:
    same_input, same_net = start_controls(folded=present)
if not present and (note := start_note()):
    st.caption(note)
a, b, boxes = panes(same_input, same_net, folded=present)
runs, problems = pane_runs(a, b, same_net)
for problem in problems:
    st.error(literal(problem, 2_000))  # it quotes a pane's typed text, which is shown as typed
for p, box in boxes.items():
    box.caption(f"Shown: {literal(runs[p].label, 200)}; reads {literal(runs[p].reads, 300)}; {runs[p].steps} steps.")

view = picker.radio("View", list(VIEWS), format_func=VIEWS.get, key=keys.COMPARE.view, horizontal=True,
                    label_visibility="collapsed" if present else "visible")
ss = st.session_state
palette = current_palette()
if view == "side":
    deepest = max(run.layers for run in runs.values())
    anybidir = any(run.bidirectional for run in runs.values())
    if deepest > 1 or anybidir:
        c1, c2 = st.columns(2)
        ss[keys.COMPARE.layer] = min(ss[keys.COMPARE.layer], deepest - 1)
        c1.selectbox("Layer shown", list(range(deepest)), format_func=lambda k: f"layer {k + 1}",
                     key=keys.COMPARE.layer)
        c2.radio("Direction shown", ["forward", "backward"], key=keys.COMPARE.direction, horizontal=True,
                 disabled=not anybidir)
    traces = {p: runs[p].view(ss[keys.COMPARE.layer], ss[keys.COMPARE.direction]) for p in PANES}
    if deepest > 1 or anybidir:
        where = {p: f"layer {min(ss[keys.COMPARE.layer], runs[p].layers - 1) + 1}, "
                    f"{'backward' if traces[p].reverse else 'forward'}" for p in PANES}
        st.caption(f"A shows {where['a']}; B shows {where['b']} (a pane without the layer or direction shows "
                   "its nearest).")
else:
    c1, c2 = st.columns(2)
    shown = c1.radio("Pane shown", list(PANES), key=keys.COMPARE.view_pane, horizontal=True,
                     format_func=lambda p: f"Pane {p.upper()}: {literal(runs[p].label, 200)}")
    run: PaneRun = runs[shown]
    names = list(heatmap_names(run.trace.trace(0)))
    if ss.get(keys.COMPARE.gate) not in names:
        ss[keys.COMPARE.gate] = "cell" if "cell" in names else "hidden"
    c2.selectbox("Gate or state drawn", names, key=keys.COMPARE.gate)
    if view == "bidirectional" and run.layers > 1:
        ss[keys.COMPARE.layer] = min(ss[keys.COMPARE.layer], run.layers - 1)
        c2.selectbox("Layer shown", list(range(run.layers)), format_func=lambda k: f"layer {k + 1}",
                     key=keys.COMPARE.layer)
    if view == "deep" and run.layers == 1:
        st.info(f"Pane {shown.upper()} has one layer. Set its Layers to 2–4 (a network drawn at random) to see "
                "a stack, each layer reading the one below.")
if link_note := write_link():
    st.info(link_note)


def _make_bidirectional(p: str) -> None:
    ss[keys.COMPARE.pane(p, "bidirectional")] = True
    ss[keys.COMPARE.pane(p, "source")] = "random"
    ss[keys.COMPARE.pane(p, "more")] = True  # where the pane's Bidirectional switch is


if view == "side":
    lengths = {p: runs[p].steps for p in PANES}
    if lengths["a"] != lengths["b"]:
        st.info(f"The inputs differ in length (A: {lengths['a']} steps, B: {lengths['b']}): the panes are aligned "
                "on the step index and the shorter one ends early (grey). B − A needs equal lengths.")
    view_a, view_b, view_diff = compare_views(traces["a"], traces["b"], runs["a"].tokens, runs["b"].tokens,
                                              labels=(runs["a"].label, runs["b"].label), palette=palette,
                                              columns=2 if present else 1,
                                              watch=runs["a"].watch if runs["a"].watch is not None else runs["b"].watch)
    if not present:  # both panes' states in one projection fitted on both (viz.insight)
        (view_a, view_b), projection_note = shared_states([view_a, view_b], [traces["a"], traces["b"]])
        if projection_note:
            st.caption(projection_note)
    columns = st.columns(3 if view_diff is not None else 2)
    for column, pane_view, key, first in ((columns[0], view_a, keys.COMPARE.view_a, True),
                                          (columns[1], view_b, keys.COMPARE.view_b, False)):
        with column:
            show_view(pane_view, key=key, group="compare", bar=first, k=SIDE_CURSOR)
    if view_diff is not None:
        with columns[2]:
            show_view(view_diff, key=keys.COMPARE.view_diff, group="compare", bar=False, k=SIDE_CURSOR)
    st.caption("One cursor for all: the slider, ◀ ▶, Play and ← → move every pane; a click on any cell picks that "
               "step and unit everywhere. Rows line up by the part a gate plays (an LSTM's f_t beside a GRU's keep "
               "share); hover a row's title for what it is in each cell.")
elif view == "bidirectional":
    p = ss[keys.COMPARE.view_pane]
    if not run.bidirectional:
        st.info(f"Pane {p.upper()} reads in one direction only. Make it bidirectional to see both directions.")
        st.button(f"Make pane {p.upper()} bidirectional", key=keys.COMPARE.make_bidirectional,
                  on_click=_make_bidirectional, args=(p,))
    else:
        layer = min(ss[keys.COMPARE.layer], run.layers - 1)
        if run.layers > 1:
            st.caption(f"Layer {layer + 1} of {run.layers}; Deep stack shows them all.")
        show_view(bidirectional_view(run.trace.layers[layer], ss[keys.COMPARE.gate], run.tokens, label=run.label,
                                     palette=palette), key=keys.COMPARE.view_a, k=SIDE_CURSOR)
        st.caption("Both directions are drawn in input order: at step t the forward cell has read tokens 0..t and "
                   "the backward cell tokens t..T−1, from the end. Their outputs side by side make the layer's "
                   "output.")
else:
    st.caption(f"{run.layers} layer{'s' if run.layers > 1 else ''}" + (", each bidirectional" if run.bidirectional
                                                                       else "") + ": every layer on one time axis, "
               "each layer's h_t drawn again as the next layer's input x_t.")
    show_view(deep_view(run.trace, ss[keys.COMPARE.gate], run.tokens, run.encoded.features, label=run.label,
                        palette=palette), key=keys.COMPARE.view_a, k=SIDE_CURSOR)
write_link(CURSOR_FIELDS)

# The tables sit in a lazy expander: closed, nothing in it is computed or drawn (a sixth of a rerun).
summary = st.expander("**Summary**: each gate's mean and saturation, each unit's memory half-life (tables and CSV)",
                      key=keys.COMPARE.summary, on_change="rerun")
if summary.open:
    with summary:
        if view == "side":
            side_summary({p.upper(): traces[p] for p in PANES})
        else:
            layer_summary_table(run, ss[keys.COMPARE.view_pane])
st.caption("Share this view: the address bar holds every setting, so copying it gives the same page.")
