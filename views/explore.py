"""Explore: type a sequence and watch every gate and the cell state evolve, step by step."""

from __future__ import annotations

import streamlit as st

import cells
from ui.controls import sequence_controls, view_controls
from ui.engine import current_run, model_run
from ui.first_view import first_view, what_to_look_at
from ui.gateview import offline_view, one_screen, show_gate_view
from ui.insight import insight_controls, insight_extension, model_network
from ui.model import current_model
from ui.palette import current_palette
from ui.predictions import show_predictions
from ui.presenter import presenter_switch
from ui.settle import found_for, settle_section
from ui.share import current_values, link_errors, load_link, shown_values, take_handoff, write_link, write_model_link
from ui.weights import model_sidebar
from viz.equations import NOTES, deck_columns
from viz.export import figure_html, trace_csv, trace_npz
from viz.heatmap import gate_heatmap, heatmap_names
from workbench import keys
from workbench.literal import literal
from workbench.model import head_outputs

load_link()
first_view()
take_handoff()
present = presenter_switch(keys.EXPLORE.present)
if not present:
    one_screen()
st.title("Explore a recurrent cell")
for message in link_errors():
    st.error(message)

model = current_model()
what_to_look_at(model)
sequence = sequence_controls(model.reads if model else None, big=present)
network = model_sidebar(model, "Drawn from the Network settings below. A ready model, or an edit on the Weights "
                                "page, fixes the weights.")
with st.sidebar:
    st.page_link("views/weights.py", label="Edit the weights", icon=":material/tune:")
if message := st.session_state.pop(keys.WEIGHTS.edit_error, None):
    st.error(message)
run, problem = model_run(model, sequence.text) if model is not None else current_run(sequence, network)
if problem:
    st.error(literal(problem, 2_000))  # it quotes the typed text, which is shown as typed
with st.sidebar:
    st.header("View")
    layer, direction = view_controls(run.network.layers, run.network.bidirectional)
link_notes = {write_link(shown_values(run, model)), write_model_link(model, text=run.sequence.text)} - {None}
for note in link_notes:
    st.info(note)

trace = run.trace.trace(layer, direction)
tokens = list(run.encoded.tokens)
kind = trace.kind
H = trace.hidden_size
if layer == 0:
    features, input_title = list(run.encoded.features), "x_t  encoded inputs"
else:
    arrows = ("→", "←") if run.network.bidirectional else ("",)
    features = [f"{a}h{u}" for a in arrows for u in range(trace.input_size // len(arrows))]  # the h_t below
    input_title = f"x_t  layer {layer}'s h_t, this layer's input"
where = f"layer {layer + 1}, {direction}" if run.network.layers > 1 or run.network.bidirectional else ""

palette = current_palette()
watch = model.watch if model is not None else None  # the unit the model's "what to look at" names
insight = insight_controls(model, run, trace)  # attribution and state space (sidebar), off until turned on
network = insight.network if insight is not None else model_network(model, run)
extend, insight_problem = insight_extension(insight, run, trace, layer, direction,
                                            found=found_for(network, layer, direction))
if insight_problem:
    st.warning(insight_problem)
show_gate_view(trace, tokens, features, key=keys.EXPLORE.cursor.view, input_title=input_title, where=where,
               palette=palette, watch=watch, extend=extend, fit=present)
st.caption("Drag the slider, press ← → (Home, End), Play, or click a cell of any heatmap to move the step and "
           "the unit; hover a cell for its value. The address bar holds every setting and the step, so copying "
           "it gives the same view.")
write_link(current_values(["t", "unit"]), ["t", "unit"])
if (head := head_outputs(model, run.trace.output)) is not None:  # a trained readout or a file's own head
    show_predictions(head, tokens, keys.EXPLORE.predict, keys.EXPLORE.cursor, palette, wide=True)

# The expander and the popover below are lazy: closed, what is in them is not drawn at all on a rerun.
equations = st.expander(f"The lecture's equations: {cells.KINDS[kind].LABEL}", key=keys.EXPLORE.equations_open,
                        on_change="rerun")
if equations.open:
    with equations:
        blocks = deck_columns(kind, gate_activation=trace.gate_activation)
        for column, block in zip(st.columns(len(blocks)), blocks, strict=True):
            with column:
                st.latex(block)
        st.caption(NOTES[kind])

settling = st.expander("Where it settles: fixed points under a held input", key=keys.EXPLORE_INSIGHT.open,
                       on_change="rerun")
if settling.open:
    with settling:
        settle_section(model, network, trace, tokens, layer, direction)

st.subheader("Download")
offline, csv, npz, html = st.columns(4)
offline.download_button(
    "This view, offline (.html)", offline_view(trace, tokens, features, input_title, where,
                                               f"Gatescope · {cells.KINDS[kind].LABEL}", palette=palette, watch=watch,
                                               extend=extend),
    file_name="gatescope-view.html", mime="text/html", key=keys.EXPLORE.download_view, on_click="ignore",
    help="One file that scrubs and plays like this view, with no server and no network: for a laptop in class.",
)
csv.download_button("Trace as CSV (long form)", lambda: trace_csv(run.trace, tokens), file_name="gatescope-trace.csv",
                    mime="text/csv", key=keys.EXPLORE.download_csv, on_click="ignore")
npz.download_button("Trace arrays (.npz)", lambda: trace_npz(run.trace, tokens), file_name="gatescope-trace.npz",
                    mime="application/octet-stream", key=keys.EXPLORE.download_npz, on_click="ignore")
figures = html.popover("Figures as HTML", key=keys.EXPLORE.figures_open, on_change="rerun")
if figures.open:
    with figures:
        for name in heatmap_names(trace):
            symbol = cells.gate_info(trace.family, name).symbol
            st.download_button(
                f"{symbol} heatmap",
                lambda name=name: figure_html(gate_heatmap(trace, name, tokens=tokens, palette=palette)),
                file_name=f"gatescope-{name}.html", mime="text/html", key=keys.EXPLORE.download_html(name),
                on_click="ignore",
            )
