"""Pure figure and table builders: Plotly and pandas functions of a Trace, no Streamlit."""
