"""Numbers as tables: one setting for every page, and the tables it puts under each chart.

"Show numbers as tables" is a sidebar toggle on every page (app.py draws it), kept in session state. While
it is off nothing here computes anything; while it is on, every gate view (ui.gateview) and every Plotly
chart drawn with ``chart`` has its numbers under it (viz.tables builds them from what the chart draws).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from viz.gateview import GateView
from viz.tables import figure_tables, view_tables
from workbench import keys


def tables_switch() -> None:
    """The sidebar toggle (on every page)."""
    st.sidebar.toggle("Show numbers as tables", key=keys.APP.show_tables,
                      help="Under every chart, a table of the numbers it draws: for a screen reader, for copying, "
                           "or to read exact values.")


def shown() -> bool:
    """Whether the user asked for the tables."""
    return bool(st.session_state.get(keys.APP.show_tables, False))


def draw_tables(tables: Sequence[tuple[str, pd.DataFrame]], what: str) -> None:
    """Tables under a chart: one, or a tab per table."""
    if not tables:
        return
    st.caption(f"The numbers of {what}:")
    if len(tables) == 1:
        title, table = tables[0]
        if title:
            st.markdown(f"**{title}**")
        st.dataframe(table)
        return
    for tab, (_, table) in zip(st.tabs([title or f"table {k + 1}" for k, (title, _) in enumerate(tables)]),
                               tables, strict=True):
        tab.dataframe(table)


def view_numbers(view: Callable[[], GateView], what: str = "this view") -> None:
    """The tables of a gate view, built (by calling ``view``) only while the setting is on."""
    if shown():
        draw_tables(view_tables(view()), what)


def chart(fig: go.Figure, *, key: str, what: str = "this chart", **options: Any) -> None:
    """``st.plotly_chart``, with the figure's numbers under it while the setting is on."""
    st.plotly_chart(fig, key=key, **options)
    if shown():
        draw_tables(figure_tables(fig), what)
