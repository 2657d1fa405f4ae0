"""Explore: type a sequence and watch every gate and the cell state evolve, step by step."""

from __future__ import annotations

import streamlit as st

import cells
from ui import keys
from ui.controls import sequence_controls, view_controls
from ui.cursor import advance_if_playing, apply_clicks, clamp, cursor_controls, follow_controls, play_interval
from ui.engine import current_run, model_run
from ui.first_view import first_view, what_to_look_at
from ui.model import current_model
from ui.presenter import presenter_switch
from ui.share import current_values, link_errors, load_link, take_handoff, write_link, write_model_link
from ui.weights import model_sidebar
from viz.diagram import cell_diagram
from viz.equations import NOTES, aligned_block, deck_columns, step_equations
from viz.export import figure_html, trace_csv, trace_npz
from viz.heatmap import gate_heatmap, heatmap_names, input_heatmap
from viz.lines import unit_lines

load_link()
first_view()
take_handoff()
present = presenter_switch(keys.PRESENT)
st.title("Explore a recurrent cell")
for message in link_errors():
    st.error(message)

model = current_model()
what_to_look_at(model)
sequence = sequence_controls(model.reads if model else None)
network = model_sidebar(model, "Drawn from the Network settings below. A ready model, or an edit on the Weights "
                                "page, fixes the weights.")
with st.sidebar:
    st.page_link("views/weights.py", label="Edit the weights", icon=":material/tune:")
if message := st.session_state.pop(keys.W_EDIT_ERROR, None):
    st.error(message)
run, problem = model_run(model, sequence.text) if model is not None else current_run(sequence, network)
if problem:
    st.error(problem)
with st.sidebar:
    st.header("View")
    layer, direction = view_controls(run.network.layers, run.network.bidirectional)
write_link(current_values())
write_model_link(model)

layer_trace = run.trace.layers[layer]
trace = layer_trace.backward if direction == "backward" and layer_trace.backward is not None else layer_trace.forward
tokens = list(run.encoded.tokens)
T, H = trace.steps, trace.hidden_size
kind = trace.kind
names = heatmap_names(trace)
chart_keys = [keys.heatmap(name) for name in names]

if layer == 0:
    features, input_title = list(run.encoded.features), "x_t  encoded inputs"
else:
    arrows = ("→", "←") if run.network.bidirectional else ("",)
    features = [f"{a}h{u}" for a in arrows for u in range(H)]
    input_title = f"x_t  layer {layer + 1}'s input: layer {layer}'s h_t"

with st.expander(f"The lecture's equations: {cells.KINDS[kind].LABEL}", expanded=True):
    blocks = deck_columns(kind)
    for column, block in zip(st.columns(len(blocks)), blocks, strict=True):
        with column:
            st.latex(block)
    st.caption(NOTES[kind])


def cursor_views(playing: bool) -> None:
    """Everything that follows the time cursor; reruns alone when it moves."""
    clamp(T, H)
    if apply_clicks(chart_keys, T, H, steps_only=[keys.INPUT_HEATMAP]) and playing:
        st.rerun()  # a click stops playing: the whole page drops the timer
    if st.session_state[keys.PLAYING] != playing or advance_if_playing(T):
        st.rerun()  # play or pause changes the timer, which only a full run sets
    t, unit = cursor_controls(T, H)
    where = f"layer {layer + 1}, {direction}" if run.network.layers > 1 or run.network.bidirectional else ""
    st.markdown(f"**Step {t}** · token `{tokens[t]}` · unit **{unit}**" + (f" · {where}" if where else ""))
    numbers, drawing = st.columns([3, 2])
    with numbers:
        st.markdown(f"**Step {t}, unit {unit}: the numbers**")
        st.latex(aligned_block(step_equations(kind, trace.at(t), unit)))
        if trace.reverse:
            st.caption("Backward direction: this cell reads the sequence from its end, so h_{t-1} here is "
                       "its state after reading step t+1.")
    with drawing:
        st.plotly_chart(cell_diagram(trace, t, unit), key=keys.CELL_DIAGRAM, config={"displayModeBar": False})
    st.plotly_chart(input_heatmap(trace.inputs, tokens, features, cursor=t, title=input_title),
                    key=keys.INPUT_HEATMAP, on_select="rerun", selection_mode="points")
    for name, key in zip(names, chart_keys, strict=True):
        fig = gate_heatmap(trace, name, cursor=t, tokens=tokens, unit=unit)
        st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points", config={"displaylogo": False})
    st.caption("Click a cell of any heatmap to move the cursor and the unit there.")
    units = follow_controls(H)
    st.plotly_chart(unit_lines(trace, units, cursor=t, tokens=tokens), key=keys.UNIT_LINES)
    write_link(current_values(["t", "unit", "units"]), ["t", "unit", "units"])


playing_now = bool(st.session_state[keys.PLAYING])
every = play_interval(T * H * len(names)) if playing_now else None
st.fragment(cursor_views, run_every=every)(playing_now)

st.caption("Share this view: the address bar holds every setting, so copying it gives the same page.")
st.subheader("Download")
csv, npz, html = st.columns(3)
csv.download_button("Trace as CSV (long form)", lambda: trace_csv(run.trace, tokens), file_name="gatescope-trace.csv",
                    mime="text/csv", key=keys.DOWNLOAD_CSV, on_click="ignore")
npz.download_button("Trace arrays (.npz)", lambda: trace_npz(run.trace, tokens), file_name="gatescope-trace.npz",
                    mime="application/octet-stream", key=keys.DOWNLOAD_NPZ, on_click="ignore")
with html.popover("Figures as HTML"):
    for name in names:
        symbol = cells.gate_info(trace.family, name).symbol
        st.download_button(
            f"{symbol} heatmap", lambda name=name: figure_html(gate_heatmap(trace, name, tokens=tokens)),
            file_name=f"gatescope-{name}.html", mime="text/html", key=keys.download_html(name), on_click="ignore",
        )
