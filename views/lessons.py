"""Lessons: a walk through the deck, one idea per stop, each ready to project; a presenter mode for class."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui.gateview import show_view
from ui.handoff import send
from ui.lessons import (
    LESSON_CURSOR,
    cached_show,
    current_stop,
    go_to,
    knob_control,
    presenter_style,
    presenter_toggle,
    read_presenter,
    start_cursor,
)
from ui.palette import current_palette
from ui.tables import chart
from viz.equations import visible_length
from viz.gateview import traces_view
from viz.gradflow import FlowCurve, gradient_flow_figure
from viz.lessons import for_projector
from workbench import keys
from workbench.lessons import STOPS, Shown, panel_trace

SHORT_EQUATION = 56  # glyphs: an equation this short fits beside the stop's title on a projector

st.set_page_config(page_title="Gatescope · Lessons", layout="wide")  # the browser tab names the page
present = read_presenter()
presenter_style(present)
index, problem = current_stop()
stop = STOPS[index]
N = len(STOPS)

if not present:
    with st.sidebar:
        st.header("Stops")
        for k, s in enumerate(STOPS):
            st.button(f"{k + 1}. {s.title}", key=keys.LESSONS.go(s.slug), on_click=go_to, args=(k,),
                      type="primary" if k == index else "tertiary", width="stretch")
if problem:
    st.warning(problem)

# Title, previous/next and where we are.
back, middle, forward, toggle = st.columns([1.2, 3.6, 1.2, 1.6], vertical_alignment="center")
back.button("◀ Previous", key=keys.LESSONS.prev, on_click=go_to, args=(index - 1,), disabled=index == 0,
            width="stretch", help="Previous stop (Page Up)")
with middle:
    st.progress((index + 1) / N, text=f"Stop {index + 1} of {N}")
forward.button("Next ▶", key=keys.LESSONS.next, on_click=go_to, args=(index + 1,), disabled=index == N - 1,
               width="stretch", type="primary", help="Next stop (Page Down)")
with toggle:
    presenter_toggle()
if present and visible_length(stop.equation) <= SHORT_EQUATION:  # a projector's screen is short: one row
    title, equation = st.columns([1, 3], vertical_alignment="center")
    title.header(f"{index + 1}. {stop.title}", anchor=False)
    equation.latex(stop.equation)
else:
    st.header(f"{index + 1}. {stop.title}", anchor=False)
    st.latex(stop.equation)


def gradient_figure(shown: Shown) -> go.Figure:
    """The gradient stop's chart: how much gradient reaches each step, plain RNN against the LSTM."""
    scene = shown.scene
    curves = [FlowCurve("Plain RNN", "rnn", shown.flows[0])]
    if scene.compare is not None:
        curves.append(FlowCurve("LSTM", scene.compare.network.kind, shown.flows[1]))
    fig = gradient_flow_figure(curves, title="How much gradient reaches step t", height=430,
                               palette=current_palette())
    fig.update_layout(legend={"orientation": "v", "x": 0.99, "xanchor": "right", "y": 0.03, "yanchor": "bottom",
                              "bgcolor": "rgba(255,255,255,0.85)"}, margin={"b": 70})
    return fig


words, views = st.columns([2, 3], gap="large")
with words:
    about = None
    if present:  # a slide shows the knob and the gates; the paragraph is the teacher's, one click away
        about = st.expander("What this stop says")
        about.markdown(stop.explanation)
    else:
        st.markdown(stop.explanation)
    with st.container(border=True):
        st.markdown(f"**Try this:** {stop.try_this}")
        value = knob_control(stop, note_under=about)  # on a slide the knob's note goes under the paragraph
shown = cached_show(stop.slug, value)
scene = shown.scene
with words:
    if not present:
        st.caption(f"Model: {scene.model.label}. Reads {scene.model.reads}. {scene.model.shown_note}")
    if st.button("Open in Explore", key=keys.LESSONS.open_explore, icon=":material/open_in_new:",
                 help="Carry this model and input to the Explore page, with every gate and the numbers."):
        send("explore", scene.model, scene.text, step=int(st.session_state.get(keys.LESSONS.cursor.step, 0)),
             unit=int(st.session_state.get(keys.LESSONS.cursor.unit, stop.unit)), layer=stop.layer, present=present)
        st.switch_page("views/explore.py")

with views:
    tokens = shown.encoded.tokens
    start_cursor(stop, len(tokens))
    heatmaps = [(p.caption, p.name, panel_trace(shown, p)) for p in stop.panels if p.name != "gradient"]
    gradient = any(p.name == "gradient" for p in stop.panels)
    if heatmaps and not (present and gradient):  # a projector shows the gradient stop's one chart, large
        show_view(traces_view(heatmaps, tokens, label=stop.title, palette=current_palette(), watch=stop.unit),
                  key=keys.LESSONS.cursor.view, big=present, k=LESSON_CURSOR)
    if gradient:
        fig = gradient_figure(shown)
        if present:
            for_projector(fig, height=430)
            st.caption("Open in Explore steps through the plain RNN's h_t, gate by gate.")
        chart(fig, key=keys.LESSONS.chart(stop.slug, 0), config={"displaylogo": False})

if not present:
    st.caption("Every stop has its own link (the address bar), so a slide can open it; add ?present=1 for "
               "presenter mode.")
