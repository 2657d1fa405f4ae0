"""Gradient flow: why the deck's LSTM exists. How much of the last step's gradient reaches each earlier step."""

from __future__ import annotations

import streamlit as st

from ui.controls import number_box
from ui.flow import own_flow, random_flows, shipped_flows
from ui.palette import current_palette
from ui.tables import chart
from ui.training import collect_training, shown_model, train_defaults
from viz.gradflow import gradient_flow_figure, what_to_look_at
from workbench import keys
from workbench.flow import FLOW_MAX_STEPS

st.set_page_config(page_title="Gatescope · Gradient flow", layout="wide")  # the browser tab names the page
palette = current_palette()
train_defaults()
collect_training(timeout=5.0)  # a model the Train page was still stopping

st.title("Gradient flow: why the LSTM exists")
st.markdown(
    "Training by backpropagation through time sends the error at the last step **T** back to every earlier "
    "step **t** through a product of one Jacobian per step. The plots show the size of that product (its largest "
    "singular value) on a **log scale**. Read them from right to left: at t = T it is 1; a line that falls "
    "steeply is a gradient that vanishes, and a step it no longer reaches cannot teach the network anything."
)
st.latex(r"\frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \frac{\partial h_k}{\partial h_{k-1}}"
         r"\qquad \text{plain RNN: } \frac{\partial h_k}{\partial h_{k-1}} = \operatorname{diag}(1 - h_k^2)\,W_h"
         r"\qquad \text{LSTM: } \frac{\partial C_k}{\partial C_{k-1}} \approx \operatorname{diag}(f_k)")

left, middle, right = st.columns(3)
steps = left.slider("Sequence length T", 10, FLOW_MAX_STEPS, key=keys.FLOW.steps, step=5)
hidden = middle.slider("Hidden size (random networks)", 1, 64, key=keys.FLOW.hidden)
seed = number_box(right, "Seed", 0, 2**31 - 1, keys.FLOW.seed, step=1,
                  help="Draws the random weights and the sequence of bits.")
seed = int(seed)

st.header("At random initialisation")
curves = random_flows(int(steps), int(hidden), seed)
chart(gradient_flow_figure(curves, title=f"Plain RNN, LSTM and GRU, {hidden} units, weights drawn from "
                                         f"seed {seed}", palette=palette),
      key=keys.FLOW.random_chart, config={"displayModeBar": False})
st.markdown(f"##### {what_to_look_at(curves)}")
st.caption("The input is a remember-the-first-bit sequence: a bit, then random bits. At random weights the "
           "LSTM's forget gates sit near 0.5, so its cell path fades too; training is what opens them.")

st.header("After training")
trained_curves = shipped_flows(int(steps), seed)
chart(gradient_flow_figure(trained_curves, title="Trained to remember the first bit across 50 steps "
                                                 "(the shipped models, 8 units)", palette=palette),
      key=keys.FLOW.trained_chart, config={"displayModeBar": False})
st.markdown(f"##### {what_to_look_at(trained_curves)}")
st.caption("Trained with `python -m cells.learning.train --preset first_bit_lstm` (and _gru, _rnn): "
           "the LSTM and the GRU got every answer right, the plain RNN stayed at chance. Its gradient never "
           "brought the first bit's lesson back across the gap.")

yours = shown_model()
if yours is not None and len(yours.model.network.layers) == 1:
    st.header("Your model from the Train page")
    curve = own_flow(yours, yours.ident, int(steps), seed)
    chart(gradient_flow_figure([curve], title=f"{yours.label}, on {steps} steps of its own task",
                               palette=palette),
          key=keys.FLOW.own_chart, config={"displayModeBar": False})
    st.markdown(f"##### {what_to_look_at([curve]) or 'Compare its slope with the lines above.'}")
