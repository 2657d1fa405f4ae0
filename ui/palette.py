"""The colour setting: one control in every page's sidebar, kept in session state and in the share link.

The router calls ``palette_setting`` on every run, whatever page it shows, so the choice survives a visit
to another page. A fresh session takes it from the link's ``?palette=`` (presenter mode hides the sidebar,
so a link is how a projector gets it); a name the app does not know gives a note on the page it opened and
the standard colours. Pages ask ``current_palette()`` and pass it to every figure and gate view they draw.
"""

from __future__ import annotations

import streamlit as st

from viz.style import PALETTES, STANDARD, Palette, palette
from workbench import keys
from workbench.literal import literal

PARAM = "palette"  # ?palette=colourblind
HELP = ("Standard: viridis and red–blue. Colour-blind safe: cividis for 0 to 1, blue–orange around 0 and "
        "Okabe–Ito lines, which stay apart with red–green and blue–yellow colour blindness. The link keeps it.")


def read_link(raw: str | None) -> tuple[str, str | None]:
    """The palette a link's ``palette=`` names, and a note when it names none the app has (then the standard)."""
    if raw is None or raw == "":
        return STANDARD.name, None
    try:
        return palette(raw).name, None
    except ValueError as e:
        return STANDARD.name, (f"Link: {PARAM}='{literal(raw, 40)}' was not used ({e}); showing the "
                               f"{STANDARD.label} colours.")


def current_palette() -> Palette:
    """The palette the user picked (the standard one before the setting has run)."""
    return PALETTES.get(st.session_state.get(keys.APP.palette, STANDARD.name), STANDARD)


def palette_setting(page: str) -> None:
    """The sidebar's colour setting for ``page`` (the page this run shows): read from the link on a session's
    first run, written back to the link on every run, with the link's note while it still applies."""
    ss = st.session_state
    if not ss.get(keys.APP.palette_link_read):
        ss[keys.APP.palette_link_read] = True
        name, note = read_link(st.query_params.get(PARAM))
        ss[keys.APP.palette] = name
        if note:
            ss[keys.APP.palette_note] = (note, page)
    ss.setdefault(keys.APP.palette, STANDARD.name)
    st.sidebar.selectbox("Colours", list(PALETTES), format_func=lambda name: PALETTES[name].label,
                         key=keys.APP.palette, help=HELP)
    chosen = ss[keys.APP.palette]
    if chosen == STANDARD.name:
        if PARAM in st.query_params:
            del st.query_params[PARAM]
    elif st.query_params.get(PARAM) != chosen:
        st.query_params[PARAM] = chosen
    note = ss.get(keys.APP.palette_note)
    if note is not None:
        if note[1] == page and chosen == STANDARD.name:
            st.warning(note[0], icon=":material/palette:")
        else:
            ss.pop(keys.APP.palette_note, None)  # a new page, or a palette picked: the link's mistake is behind us
