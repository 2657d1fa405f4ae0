"""Corpus: a text model over a whole text at once; the units it found for you, the text coloured by any unit, the
gate view of any place, and every place where a pattern of units comes on again."""

from __future__ import annotations

import streamlit as st

from ui.corpus import choose_model, choose_text, last_result, model_of, run_now, source_link
from ui.corpus_views import census_section, choose_section, link_in, link_out, match_section, text_section
from ui.gateview import one_screen
from workbench import keys
from workbench.literal import literal

K = keys.CORPUS
one_screen()
st.title("Corpus: what each unit tracks")
link_in()

with st.sidebar:
    st.header("Model and text")
    chosen = choose_model()
    text = choose_text(chosen[0]) if chosen else None
    run_pressed = st.button("Run", key=K.run, type="primary", icon=":material/play_arrow:", disabled=text is None,
                            help="Run the model over the whole text (cached: a text run once comes back at once)")

if message := st.session_state.pop(K.message, None):
    st.error(literal(message, 1_000))  # it can name an uploaded file, shown as it is spelt
if st.session_state.get(K.stop):
    st.warning("Stopped: the last result stays.")
autorun = st.session_state.pop(K.autorun, False) and last_result() is None
first = st.empty()  # before any run: what the page does, and a Run button on the first screen
run_here = False
if last_result() is None and not autorun:
    with first.container():
        st.info("Pick a model and a text in the sidebar, then press **Run**: the model reads the whole text in "
                "side-by-side streams, and the census names what its units track.")
        if chosen and text:
            run_here = st.button(literal(f"Run: {chosen[1]}, over {text[0]}", 200), key=K.run_here,
                                 type="primary", icon=":material/play_arrow:")
if (run_pressed or autorun or run_here) and chosen and text:
    try:
        run_now(chosen[1], model_of(chosen[0]), text[0], text[1], source_link(chosen[0]))
        first.empty()
    except ValueError as e:
        st.error(f"{literal(str(e), 1_000)}. The last result stays.")

result = last_result()
if result is None:
    st.stop()

summary = result.run.summary()
bits = summary["bits_per_token"]
st.caption(literal(f"{result.model_label} over {result.text_label}: {result.run.steps:,} steps"
                   + (f", {bits:.3f} bits per character" if bits is not None else "")
                   + (", from the cache" if result.run.cached else f", {summary['seconds']:.1f} s"), 300))
section = choose_section()
if section == "text":
    text_section(result)
elif section == "match":
    match_section(result)
else:
    census_section(result)
link_out(section, result)
