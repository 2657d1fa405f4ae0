"""Gatescope's router: page config, session defaults, navigation."""

from pathlib import Path

import streamlit as st

from ui.focus import focus_style
from ui.palette import palette_setting
from ui.reconnect import note_if_reconnected
from ui.share import set_defaults
from ui.tables import tables_switch
from workbench.memory import freeze_startup_objects

# The tab's icon is a file of ours: a page's material icon as favicon would be fetched from the internet.
ICON = Path(__file__).parent / "assets" / "icon.png"
st.set_page_config(page_title="Gatescope", page_icon=str(ICON), layout="wide")
freeze_startup_objects()  # the libraries just imported are never walked by the cycle collector again
pages = {
    "explore": st.Page("views/explore.py", title="Explore", icon=":material/biotech:", default=True,
                       help="Every gate of a network, step by step, on a sequence you type"),
    "compare": st.Page("views/compare.py", title="Compare", icon=":material/compare_arrows:",
                       help="Two models, two inputs or two weight settings side by side on one time cursor"),
    "weights": st.Page("views/weights.py", title="Weights", icon=":material/tune:",
                       help="Edit, clamp, preset, download and upload a model's weights"),
    "lessons": st.Page("views/lessons.py", title="Lessons", icon=":material/school:",
                       help="The lecture's ideas in order, each with a model that shows it and a knob to try"),
    "train": st.Page("views/train.py", title="Train", icon=":material/model_training:",
                     help="Teach a small network a toy task and look inside it"),
    "corpus": st.Page("views/corpus.py", title="Corpus", icon=":material/article:",
                      help="A text model over a whole text: the units it found, the text coloured by any unit, and "
                           "every place a pattern of units comes on again"),
    "gradient_flow": st.Page("views/gradient_flow.py", title="Gradient flow", icon=":material/trending_down:",
                             help="How far back the gradient reaches in a plain RNN, an LSTM and a GRU"),
}
pg = st.navigation(list(pages.values()))
page = next((name for name, p in pages.items() if p is pg), None)
note_if_reconnected()  # before anything registers a widget of this run (it looks at the widgets the browser sent)
set_defaults(page)
focus_style()
palette_setting(page or "explore")
tables_switch()
pg.run()
