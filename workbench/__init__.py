"""What the app decides without Streamlit: the models a page shows and their share links, the settings and
their query-string codec, training runs and their process pool, the Gradient flow's runs, the Compare
panes, the Weights tables, the lessons' stops and the session keys.

Nothing here imports Streamlit (ruff's TID251 holds the line); ui/ wraps these for the pages, and tests
call them directly, without a page.
"""
