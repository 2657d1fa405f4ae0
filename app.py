"""Gatescope's router: page config, session defaults, navigation."""

import numpy as np
import pandas as pd
import streamlit as st

import cells

st.set_page_config(page_title="Gatescope", layout="wide")
st.title("Gatescope")
network = cells.Network.create("lstm", 3, 4, seed=0)
trace = network.run(np.eye(3)[[0, 1, 2, 1, 0]]).layers[0].forward
st.dataframe(pd.DataFrame({name: values[:, 0] for name, values in trace.values.items()}))
