"""Weights: edit every gate's matrix and bias, apply presets, clamp a gate, and move models in and out."""

from __future__ import annotations

from functools import partial

import streamlit as st

import cells
from cells import presets
from cells.edits import cell_of
from ui.controls import sequence_controls
from ui.engine import current_run, drawn_network, model_run, run_fixed
from ui.gateview import show_view
from ui.handoff import follow_text
from ui.model import current_model
from ui.model_files import export_buttons, upload_controls
from ui.palette import current_palette
from ui.predictions import predictions_start, show_predictions
from ui.presenter import presenter_switch
from ui.share import link_errors, load_link, write_model_link
from ui.tables import chart
from ui.weights import (
    CLAMP_CURSOR,
    PREVIEW_CURSOR,
    apply_pending,
    apply_preset,
    computation,
    editors,
    knobs,
    model_sidebar,
    redraw,
    refusal,
    reset,
)
from ui.weights_link import load_page_link, take_link_step, write_page_link
from viz.gateview import traces_view
from viz.weights import clamp_view, weight_heatmap
from workbench import keys
from workbench.literal import literal
from workbench.model import from_network, head_outputs, symbols_as_math
from workbench.model_link import model_link_problem
from workbench.weights import DIRECTIONS, SECTIONS, edit_tables, matrix_frame

st.set_page_config(page_title="Gatescope · Weights", layout="wide")  # the browser tab names the page
palette = current_palette()
load_link()
# Explore, when next shown, shows what this page shows (a drawn network, or the model fixed here), not its first view.
st.session_state[keys.EXPLORE.first_view_shown] = True
presenter_switch(keys.WEIGHTS.present)  # large type and no sidebar, for a projector
st.title("Weights: edit, preset, clamp, load")
for message in link_errors() + load_page_link():
    st.error(message)
if message := st.session_state.pop(keys.WEIGHTS.edit_error, None):
    st.error(message)

model = current_model()
sequence = sequence_controls(model.reads if model else None)
follow_text("explore", sequence.text)  # Explore, when next shown, shows the text typed here
choice = model_sidebar(model, "A network drawn from the Network settings below. Editing a weight fixes it as a "
                              "model.")
with st.sidebar:
    st.page_link("views/explore.py", label="See it in Explore", icon="🔬")

if model is not None:
    run, problem = model_run(model, sequence.text)
    base = model
else:
    run, problem = current_run(sequence, choice)
    drawn = drawn_network(run.network, run.encoded.input_size)
    q = run.sequence
    vocabulary = "".join(dict.fromkeys(q.text)) if q.mode == "onehot" else None
    base = from_network(drawn, f"Drawn {cells.KINDS[drawn.kind].LABEL}", vocabulary=vocabulary,
                        embedding=(q.embed_size, q.embed_seed) if q.mode == "embed" else None, sequence=q.text)
if problem:
    st.error(literal(problem, 1_000))  # it can quote the model's own tokens
network = base.network
tokens = list(run.encoded.tokens)
T = len(tokens)
take_link_step(tokens)

# ----- which gate -------------------------------------------------------------------------------
where = st.columns(3)
if st.session_state.get(keys.WEIGHTS.layer, 0) >= len(network.layers):
    st.session_state[keys.WEIGHTS.layer] = 0
if not network.bidirectional:
    st.session_state[keys.WEIGHTS.direction] = "forward"
layer = where[0].selectbox("Layer", list(range(len(network.layers))), key=keys.WEIGHTS.layer,
                           format_func=lambda k: f"layer {k + 1}")
direction = where[1].radio("Direction", DIRECTIONS, key=keys.WEIGHTS.direction, horizontal=True,
                           disabled=not network.bidirectional)
cell = cell_of(network, layer, direction)
if st.session_state.get(keys.WEIGHTS.gate) not in cell.GATES:
    st.session_state[keys.WEIGHTS.gate] = cell.GATES[0]
gate = where[2].radio("Gate", cell.GATES, key=keys.WEIGHTS.gate, horizontal=True,
                      format_func=lambda g: f"{cells.gate_info(cell.FAMILY, g).symbol} {g}")
features = list(run.encoded.features) if layer == 0 else None

# ----- apply what the editors and knobs hold ------------------------------------------------------
tables = edit_tables(cell, gate, features)  # what the editors and the heatmap show, built once
on_edit = partial(apply_pending, base, layer, direction, gate, features)  # the widgets' callback, before a run
if on_edit(tables=tables):  # an edit that came without the callback: the sidebar and editors start again
    st.rerun()
link_note = write_model_link(model)

trace = run.trace.trace(layer, direction)
info = cells.gate_info(cell.FAMILY, gate)

st.subheader(symbols_as_math(f"{info.symbol}: {info.title} · layer {layer + 1}, {direction}"))
label = literal(base.label, 200) if base.from_file else base.label  # a file's name, as it is spelt
st.caption(f"{label}. Rows are units; the bias b first, then the columns of the lecture's "
           "$[h_{{t-1}}, x_t]$, hidden columns first. Type a number into any cell; the heatmaps below follow at once.")
left, right = st.columns([3, 2])
with left:
    editors(cell, layer, direction, gate, tables, on_edit)
    if refused := refusal(layer, direction, gate):
        st.error(refused)
with right:
    chart(weight_heatmap(matrix_frame(tables["weights"]), f"W ({info.symbol})", palette),
          key=keys.WEIGHTS.chart("matrix"), config={"displayModeBar": False})
    st.markdown("**Knobs**")
    knobs(layer, direction, gate, info.symbol, on_edit)
r1, r2, r3, _ = st.columns([2, 1, 2, 3], vertical_alignment="bottom")  # room for each button's whole label
r1.button("Reset to initial weights", key=keys.WEIGHTS.reset, disabled=model is None or model.original is None,
          on_click=reset, args=(model,))
r2.number_input("Seed", 0, 2**31 - 1, key=keys.WEIGHTS.seed)  # 1 at first (ui.state)
r3.button("Re-draw with this seed", key=keys.WEIGHTS.redraw, disabled=network.kind == "mixed", on_click=redraw,
          args=(base,))
computation(base, model)

# ----- what the gate does now -------------------------------------------------------------------
st.subheader("What it does to the sequence")
head = head_outputs(model, run.trace.output)
gates_column, predictions_column = st.columns([3, 2]) if head is not None else (st.container(), None)
preview = [("", name, trace) for name in dict.fromkeys((gate, cell.memory(), "hidden")) if name in trace.values]
if head is not None:
    predictions_start(tokens, keys.WEIGHTS.predict, PREVIEW_CURSOR, move_cursor=True)
with gates_column:
    show_view(traces_view(preview, tokens, label=f"{info.symbol} edited", palette=palette),
              key=keys.WEIGHTS.preview.view,
              k=PREVIEW_CURSOR)
if head is not None:
    with predictions_column:
        show_predictions(head, tokens, keys.WEIGHTS.predict, PREVIEW_CURSOR, palette)

# ----- the page's other tasks, a tab each: only the open tab's widgets are drawn ---------------------
st.subheader("More with these weights")
clamp_tab, presets_tab, files_tab = st.tabs(list(SECTIONS), key=keys.WEIGHTS.section, on_change="rerun")
if clamp_tab.open:
    with clamp_tab:
        if st.toggle("Force a gate to a constant", key=keys.WEIGHTS.clamp_on):
            c1, c2, c3, c4 = st.columns(4)
            clamp_gate = c1.selectbox("Gate", cell.GATES, key=keys.WEIGHTS.clamp_gate,
                                      format_func=lambda g: f"{cells.gate_info(cell.FAMILY, g).symbol} {g}")
            low = 0.0 if clamp_gate in cell.SIGMOID else -1.0
            if not low <= st.session_state.get(keys.WEIGHTS.clamp_value, 0.0) <= 1.0:
                st.session_state[keys.WEIGHTS.clamp_value] = 0.0
            value = c2.slider("Value (0 ablates the gate)", low, 1.0, 0.0, 0.05, key=keys.WEIGHTS.clamp_value)
            H = cell.hidden_size
            if any(u >= H for u in st.session_state.get(keys.WEIGHTS.clamp_units, [])):
                st.session_state[keys.WEIGHTS.clamp_units] = []
            units = c3.multiselect("Units (none: all)", list(range(H)), key=keys.WEIGHTS.clamp_units)
            span = st.session_state.get(keys.WEIGHTS.clamp_steps)
            if not (isinstance(span, (tuple, list)) and len(span) == 2 and 0 <= span[0] <= span[1] < T):
                st.session_state[keys.WEIGHTS.clamp_steps] = (0, T - 1)  # a pair makes the slider a range
            if T > 1:
                first, last = c4.slider("Steps", 0, T - 1, key=keys.WEIGHTS.clamp_steps)
            else:
                first, last = 0, 0
            clamp = cells.Clamp(clamp_gate, float(value), tuple(units) or None, tuple(range(first, last + 1)),
                                layer=layer, direction=direction)
            clamped = run_fixed(network, run.encoded.xs, (clamp,)).trace(layer, direction)
            symbol = cells.gate_info(cell.FAMILY, clamp_gate).symbol
            what = f"{symbol} = {value:g} for {'units ' + ', '.join(map(str, units)) if units else 'every unit'} " \
                   f"at steps {first}–{last}"
            st.caption(f"{what}. Below: the clamped gate, then how much the cell state and h_t moved (clamped − "
                       f"unclamped; {palette.below} lower, {palette.above} higher). Step through it as in Explore.")
            show_view(clamp_view(clamped, trace, clamp_gate, tokens, what.split(" for ")[0], palette),
                      key=keys.WEIGHTS.clamp.view, k=CLAMP_CURSOR)

if presets_tab.open:
    with presets_tab:
        st.markdown("**Hand-set weights that do one readable thing**")
        names = list(presets.PRESETS)
        chosen = st.selectbox("Preset", names, key=keys.WEIGHTS.preset, format_func=lambda n: presets.PRESETS[n].title)
        p = presets.PRESETS[chosen]
        st.markdown(p.explanation)
        st.caption(f"Sequence: `{p.sequence}` · {p.watch}")
        st.button("Apply this preset", key=keys.WEIGHTS.preset_apply, type="primary", on_click=apply_preset)

if files_tab.open:
    with files_tab:
        export_buttons(network, "gatescope-model", base.loaded)
        upload_controls(base.vocabulary or "")

# ----- share ------------------------------------------------------------------------------------
problem = model_link_problem(model) if model is not None else None
if model is None:
    st.caption("The address bar holds the settings; the drawn network comes back from them.")
elif problem:
    st.info(problem)
else:
    st.caption("The address bar holds this model's weights: copy it to share the edited model.")
if link_note:
    st.info(link_note)
write_page_link(current_model())
