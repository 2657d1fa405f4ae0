"""Compare: two configurations side by side on one time cursor; bidirectional and deep networks layer by layer."""

from __future__ import annotations

import streamlit as st

from ui import keys
from ui.compare import (
    CURSOR,
    PANES,
    VIEWS,
    PaneRun,
    pane_controls,
    pane_runs,
    set_defaults,
    start_controls,
    start_note,
    take_handoff,
)
from ui.compare_link import CURSOR_FIELDS, link_errors, load_link, write_link
from ui.cursor import advance_if_playing, apply_clicks, clamp, cursor_controls, play_interval
from ui.presenter import presenter_switch
from viz.compare import (
    difference_heatmap,
    difference_note,
    direction_heatmap,
    gate_summary,
    half_life_table,
    layer_output_heatmap,
    layer_summary,
    narrow,
    panel_heatmap,
    reading_strip,
    role_pairs,
)
from viz.heatmap import heatmap_names, input_heatmap

st.set_page_config(page_title="Gatescope · Compare", layout="wide")  # the browser tab names the page
set_defaults()
load_link()
take_handoff()
present = presenter_switch(keys.CMP_PRESENT)
st.title("Compare two cells")
for message in link_errors():
    st.error(message)

same_input, same_net = start_controls()
if note := start_note():
    st.caption(note)
left, right = st.columns(2)
boxes = {"a": left.container(border=True), "b": right.container(border=True)}
with boxes["a"]:
    st.markdown("**Pane A**")
    a = pane_controls("a")
with boxes["b"]:
    st.markdown("**Pane B**")
    b = pane_controls("b", a[0] if same_net else None, a[1] if same_input else None, a[1])
runs, problems = pane_runs(a, b, same_net)
for problem in problems:
    st.error(problem)
for p, box in boxes.items():
    box.caption(f"Shown: {runs[p].label}; reads {runs[p].reads}; {runs[p].steps} steps.")

view = st.radio("View", list(VIEWS), format_func=VIEWS.get, key=keys.CMP_VIEW, horizontal=True)
ss = st.session_state
if view == "side":
    deepest = max(run.layers for run in runs.values())
    anybidir = any(run.bidirectional for run in runs.values())
    if deepest > 1 or anybidir:
        c1, c2 = st.columns(2)
        ss[keys.CMP_LAYER] = min(ss[keys.CMP_LAYER], deepest - 1)
        c1.selectbox("Layer shown", list(range(deepest)), format_func=lambda k: f"layer {k + 1}", key=keys.CMP_LAYER)
        c2.radio("Direction shown", ["forward", "backward"], key=keys.CMP_DIRECTION, horizontal=True,
                 disabled=not anybidir)
    traces = {p: runs[p].view(ss[keys.CMP_LAYER], ss[keys.CMP_DIRECTION]) for p in PANES}
    if deepest > 1 or anybidir:
        where = {p: f"layer {min(ss[keys.CMP_LAYER], runs[p].layers - 1) + 1}, "
                    f"{'backward' if traces[p].reverse else 'forward'}" for p in PANES}
        st.caption(f"A shows {where['a']}; B shows {where['b']} (a pane without the layer or direction shows "
                   "its nearest).")
    T = max(run.steps for run in runs.values())
    H = max(trace.hidden_size for trace in traces.values())
else:
    c1, c2 = st.columns(2)
    shown = c1.radio("Pane shown", list(PANES), format_func=lambda p: f"Pane {p.upper()}: {runs[p].label}",
                     key=keys.CMP_VIEW_PANE, horizontal=True)
    run: PaneRun = runs[shown]
    names = list(heatmap_names(run.trace.layers[0].forward))
    if ss.get(keys.CMP_GATE) not in names:
        ss[keys.CMP_GATE] = "cell" if "cell" in names else "hidden"
    c2.selectbox("Gate or state drawn", names, key=keys.CMP_GATE)
    if view == "bidirectional" and run.layers > 1:
        ss[keys.CMP_LAYER] = min(ss[keys.CMP_LAYER], run.layers - 1)
        c2.selectbox("Layer shown", list(range(run.layers)), format_func=lambda k: f"layer {k + 1}",
                     key=keys.CMP_LAYER)
    if view == "deep" and run.layers == 1:
        st.info(f"Pane {shown.upper()} has one layer. Set its Layers to 2–4 (a network drawn at random) to see "
                "a stack, each layer reading the one below.")
    T, H = run.steps, run.hidden
write_link()


def _make_bidirectional(p: str) -> None:
    ss[keys.pane(p, "bidirectional")] = True
    ss[keys.pane(p, "source")] = "random"


def side_by_side(t: int, unit: int) -> list[str]:
    """Both panes' gates lined up by role, with B − A where the shapes match; returns the chart keys drawn."""
    a, b = traces["a"], traces["b"]
    lengths = {p: runs[p].steps for p in PANES}
    if lengths["a"] != lengths["b"]:
        st.info(f"The inputs differ in length (A: {lengths['a']} steps, B: {lengths['b']}): the heatmaps are "
                f"aligned on the step index, and the shorter pane ends early. B − A needs equal lengths.")
    token = {p: f"`{runs[p].tokens[t]}`" if t < lengths[p] else "(ended)" for p in PANES}
    st.markdown(f"**Step {t}** · A reads {token['a']} · B reads {token['b']} · unit **{unit}**")
    drawn = []
    for pair in role_pairs(a, b):
        st.markdown(f"##### {pair.title}")
        columns = st.columns(2)
        for p, panel, column in (("a", pair.a, columns[0]), ("b", pair.b, columns[1])):
            with column:
                if panel is None:
                    st.caption(f"Pane {p.upper()}'s cell has no gate in this role.")
                    continue
                key = keys.cmp_chart(f"{pair.role}_{p}")
                fig = panel_heatmap(panel, traces[p], runs[p].tokens, steps=T, cursor=t, unit=unit,
                                    pane=p.upper())
                st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points",
                                config={"displaylogo": False})
                drawn.append(key)
        if pair.comparable:
            diff, note = st.columns(2)
            with diff:
                key = keys.cmp_chart(f"{pair.role}_diff")
                st.plotly_chart(difference_heatmap(pair, runs["a"].tokens, steps=T, cursor=t, unit=unit), key=key,
                                on_select="rerun", selection_mode="points", config={"displaylogo": False})
                drawn.append(key)
            note.caption(pair.note)
            note.caption(difference_note(pair, runs["a"].tokens))
        else:
            shaped = pair.a is not None and pair.b is not None and pair.a.values.shape != pair.b.values.shape
            reason = " The panes differ in steps or units, so there is no B − A." if shaped else ""
            st.caption(pair.note + reason)
    return drawn


def bidirectional(t: int, unit: int) -> list[str]:
    """Forward and backward directions of one layer in input order, what each has read, and their output."""
    p = ss[keys.CMP_VIEW_PANE]
    if not run.bidirectional:
        st.info(f"Pane {p.upper()} reads in one direction only. Make it bidirectional to see both directions.")
        st.button(f"Make pane {p.upper()} bidirectional", key=keys.CMP_MAKE_BIDIRECTIONAL,
                  on_click=_make_bidirectional, args=(p,))
        return []
    layer = min(ss[keys.CMP_LAYER], run.layers - 1)
    if run.layers > 1:
        st.caption(f"Layer {layer + 1} of {run.layers}; Deep stack shows them all.")
    chosen = run.trace.layers[layer]
    name = ss[keys.CMP_GATE]
    st.markdown(f"**Step {t}** · token `{run.tokens[t]}`: the forward cell has read tokens 0..{t}, the backward "
                f"cell tokens {t}..{run.steps - 1}, from the end.")
    drawn = []
    charts = [("strip", reading_strip(run.tokens, t)),
              ("forward", direction_heatmap(chosen.forward, name, run.tokens, cursor=t, unit=unit)),
              ("backward", direction_heatmap(chosen.backward, name, run.tokens, cursor=t, unit=unit)),
              ("concat", layer_output_heatmap(chosen, run.tokens, cursor=t,
                                              title="h_t = [h→_t, h←_t]  both directions' outputs, concatenated"))]
    for label, fig in charts:
        key = keys.cmp_chart(f"bidir_{label}")
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config={"displaylogo": False})
        drawn.append(key)
    st.caption("Both directions are drawn in input order: the backward cell's step t is the state after it has "
               "read the sequence from its end back to token t. Their outputs side by side make the layer's output.")
    return drawn


def deep(t: int, unit: int) -> list[str]:
    """Every layer of the stack, each layer's output drawn as the next layer's input."""
    name = ss[keys.CMP_GATE]
    st.markdown(f"**Step {t}** · token `{run.tokens[t]}` · {run.layers} layer{'s' if run.layers > 1 else ''}"
                + (", each bidirectional" if run.bidirectional else ""))
    drawn = []

    def draw(label: str, fig: object) -> None:
        key = keys.cmp_chart(f"deep_{label}")
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config={"displaylogo": False})
        drawn.append(key)

    encoded = run.encoded
    draw("input", narrow(input_heatmap(encoded.xs, encoded.tokens, encoded.features, cursor=t,
                                       title="x_t  layer 1's input: the encoded sequence")))
    for index, layer in enumerate(run.trace.layers):
        st.markdown(f"##### Layer {index + 1}")
        for trace in layer.directions:  # full width, one under the other: step t is at one x down the stack
            draw(f"{index}_{'backward' if trace.reverse else 'forward'}",
                 direction_heatmap(trace, name, run.tokens, cursor=t, unit=unit, layer=index))
        last = index == run.layers - 1
        title = (f"h_t of layer {index + 1}: the network's output" if last
                 else f"h_t of layer {index + 1} = x_t of layer {index + 2}")
        draw(f"{index}_output", layer_output_heatmap(layer, run.tokens, cursor=t, title=title))
        if not last:
            st.caption(f"↓ The same numbers go on: layer {index + 1}'s h_t is layer {index + 2}'s input x_t at "
                       "every step" + (" (forward and backward halves side by side)." if layer.backward else "."))
    return drawn


STEP_ONLY_CHARTS = ("strip", "concat", "deep_input", "_output")  # charts whose rows are not one pane's units


def cursor_views(playing: bool) -> None:
    """Everything that follows the shared time cursor; reruns alone when it moves."""
    clamp(T, H, CURSOR)
    drawn_before = st.session_state.get(keys.CMP_DRAWN, [])
    steps_only = [k for k in drawn_before if any(w in k for w in STEP_ONLY_CHARTS)]  # rows there are not units
    units = [k for k in drawn_before if k not in steps_only]
    if apply_clicks(units, T, H, steps_only, k=CURSOR) and playing:
        st.rerun()
    if ss[keys.CMP_PLAYING] != playing or advance_if_playing(T, CURSOR):
        st.rerun()
    t, unit = cursor_controls(T, H, CURSOR)
    drawn = {"side": side_by_side, "bidirectional": bidirectional, "deep": deep}[view](t, unit)
    st.session_state[keys.CMP_DRAWN] = drawn
    write_link(CURSOR_FIELDS)


playing_now = bool(ss[keys.CMP_PLAYING])
every = play_interval(T * H * 12) if playing_now else None
st.fragment(cursor_views, run_every=every)(playing_now)

st.subheader("Summary")
if view == "side":
    summary_traces = {f"{p.upper()}": traces[p] for p in PANES}
    gates, lives = gate_summary(summary_traces), half_life_table(summary_traces)
    st.caption("Per gate and state: mean over every step and unit, and the share of values saturated. Per unit: "
               "the memory half-life, steps until the running product of the keep share (f_t, or the GRU's) "
               "falls below 0.5; “> T” when it never does within the sequence.")
    c1, c2 = st.columns([3, 2])
    rows = len(gates)  # the half-life table scrolls inside the same height when there are more units
    shown = gates.drop(columns="cell").style.format({"mean": "{:.3f}", "saturated": "{:.3f}"}, na_rep="—")
    c1.dataframe(shown, hide_index=True, height=35 * (rows + 1) + 3)  # "—": no saturation for an unbounded C_t
    c2.dataframe(lives, hide_index=True, height=35 * (rows + 1) + 3)
    c1.download_button("Gate summary (CSV)", gates.to_csv(index=False), file_name="gatescope-compare-gates.csv",
                       mime="text/csv", key=keys.CMP_DOWNLOAD_GATES, on_click="ignore")
    c2.download_button("Memory half-life (CSV)", lives.to_csv(index=False),
                       file_name="gatescope-compare-half-life.csv", mime="text/csv", key=keys.CMP_DOWNLOAD_HALF_LIFE,
                       on_click="ignore")
else:
    table = layer_summary(run.trace)
    st.caption(f"Pane {ss[keys.CMP_VIEW_PANE].upper()}, per layer and direction: mean h_t, the share of |h_t| above "
               "0.95, the mean keep share and the median memory half-life over units.")
    st.dataframe(table, hide_index=True)
    st.download_button("Layer summary (CSV)", table.to_csv(index=False), file_name="gatescope-compare-layers.csv",
                       mime="text/csv", key=keys.CMP_DOWNLOAD_GATES, on_click="ignore")
st.caption("Share this view: the address bar holds every setting, so copying it gives the same page.")
