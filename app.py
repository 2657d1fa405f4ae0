"""Gatescope's router: page config, session defaults, navigation."""

import streamlit as st

from ui.focus import focus_style
from ui.reconnect import note_if_reconnected
from ui.share import set_defaults
from ui.tables import tables_switch

st.set_page_config(page_title="Gatescope", layout="wide")
set_defaults()
note_if_reconnected()
focus_style()
tables_switch()
pg = st.navigation([
    st.Page("views/explore.py", title="Explore", icon=":material/biotech:", default=True),
    st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("views/weights.py", title="Weights", icon=":material/tune:"),
    st.Page("views/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("views/train.py", title="Train", icon=":material/model_training:"),
    st.Page("views/gradient_flow.py", title="Gradient flow", icon=":material/trending_down:"),
])
pg.run()
