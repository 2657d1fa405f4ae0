"""The Corpus page's widgets and engine calls: which model and text, the run with its progress bar and Stop button,
and the last good result kept in session state (the run itself is cached on disk by cells.corpus.cache, so every
session and worker shares it)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cells.corpus import Cache, CorpusRun, Finding, run_corpus
from cells.files.model import LoadedModel
from cells.learning.tasks import TEXT
from ui.model import current_model
from workbench import corpus as wc
from workbench import keys

K = keys.CORPUS


@dataclass(frozen=True, eq=False)
class Result:
    """The last good run the page shows: the model's and the text's names, the run, its census and what a link needs
    to bring the same model and text back (None where a link cannot: see ``source_link``)."""

    model_label: str
    text_label: str
    run: CorpusRun
    census: list[Finding]
    source: dict | None = None

    @property
    def families(self) -> dict[int, str]:
        return {k: layer.forward.FAMILY for k, layer in enumerate(self.run.model.network.layers)}


@st.cache_resource(max_entries=4, show_spinner=False)
def shipped_model(name: str) -> LoadedModel:
    return wc.load_shipped(name)


@st.cache_data(max_entries=4, show_spinner="Reading the standard library files…")
def held_out_text(files: tuple[str, ...]) -> str:
    return wc.shipped_text(files)


def last_result() -> Result | None:
    return st.session_state.get(K.result)


def say(message: str) -> None:
    """An input problem, shown above the page on this run and the next (a callback's rerun)."""
    st.session_state[K.message] = message


def _take_upload() -> None:
    """Read an upload when it arrives: a good one becomes the uploaded text, a bad one is refused and said."""
    file = st.session_state.get(K.upload)
    if file is None:
        return
    if file.size > wc.MAX_TEXT_BYTES:  # before reading it into memory
        say(f"{file.name[:80]}: {file.size:,} bytes is over the limit of {wc.MAX_TEXT_BYTES:,} bytes (10 MB); "
            "the current corpus stays")
        return
    try:
        st.session_state[K.uploaded] = (file.name, wc.text_of_upload(file.name, file.getvalue()))
        st.session_state[K.source] = "uploaded"
    except ValueError as e:
        say(str(e))


def choose_model() -> tuple[str, str] | None:
    """The sidebar's model menu: (choice, label), or None when there is no text model to offer."""
    choices = wc.model_choices(current_model())
    if not choices:
        st.error("No model that reads text is shipped or loaded: load one with its vocabulary on the Weights page.")
        return None
    if st.session_state.get(K.model) not in choices:
        st.session_state[K.model] = next(iter(choices))
    name = st.selectbox("Model", list(choices), format_func=choices.get, key=K.model,
                        help="A shipped text model (the code models first), or the model on the Weights page if it "
                             "has a vocabulary")
    return name, choices[name]


def model_of(choice: str) -> LoadedModel:
    if choice == wc.CURRENT:
        model = current_model()
        if model is None:
            raise ValueError("there is no model on the Weights page any more")
        return wc.loaded_of(model)
    return shipped_model(choice)


def choose_text(model_choice: str) -> tuple[str, str] | None:
    """The sidebar's text: (label, text), or None while the chosen source has no text yet."""
    st.session_state.setdefault(K.source, "shipped")
    source = st.radio("Text", list(wc.SOURCES), format_func=wc.SOURCES.get, key=K.source)
    if source == "pasted":
        pasted = st.text_area("Paste a text", key=K.pasted, height=120, max_chars=wc.MAX_TEXT_BYTES)
        if not pasted.strip():
            st.caption("Paste a text to run the model over.")
            return None
        return f"pasted text ({len(pasted):,} characters)", pasted
    if source == "uploaded":
        st.file_uploader("A UTF-8 text file, up to 10 MB", key=K.upload, on_change=_take_upload,
                         help="Any text: Python, C, prose. Bigger files, binary files and empty ones are refused, and "
                              "the current corpus stays.")
        uploaded = st.session_state.get(K.uploaded)
        if uploaded is None:
            return None
        name, text = uploaded
        return f"{name[:60]} ({len(text):,} characters)", text
    what, files = wc.shipped_source(model_choice)
    parts = wc.shipped_parts(files) if files is not None else []
    if len(parts) > 1:  # a choice only where there are fewer files to read than all
        if st.session_state.get(K.part) not in parts:  # another model's choice, or none yet: every file
            st.session_state[K.part] = parts[-1]
        part = st.select_slider("How much of it", parts, key=K.part,
                                format_func=lambda n: f"all {n} files" if n == len(files) else f"the first {n}",
                                help="Fewer files run sooner (a few seconds for five); the census is surer over all "
                                     "of them")
        if part < len(files):
            what, files = f"the first {part} of {what}", files[:part]
    text = held_out_text(files) if files is not None else TEXT
    st.caption(f"{what.capitalize()}: {wc.describe_text(text)}.")
    return what, text


def source_link(model_choice: str) -> dict | None:
    """What a link needs to bring this model and text back in a new session: a shipped model's name, and how many
    of its held-out files are read when fewer than all. None for what a link cannot carry: the Weights page's
    model, a pasted or an uploaded text."""
    ss = st.session_state
    if model_choice == wc.CURRENT or ss.get(K.source) != "shipped":
        return None
    return {"model": model_choice, "files": ss.get(K.part) if ss.get(K.part) in wc.PARTS else None}


def run_now(model_label: str, model: LoadedModel, text_label: str, text: str, source: dict | None = None
            ) -> Result | None:
    """Run the model over the text with a progress bar and a Stop button (pressing it ends this script run at the
    next progress update, so the last good result stays), then the census with its ablations."""
    if not wc.reads_text(model):
        raise ValueError(f"{model_label}: this model reads words, and the concept tracks are made character by "
                         "character")
    bar = st.progress(0.0, text="Running the model over the text…")
    stop = st.empty()
    stop.button("Stop", key=K.stop, icon=":material/stop_circle:", help="Stop the run; the last result stays")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"Reading the text: {done:,} of {total:,} steps")

    def census_progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"The census's ablations: {done} of {total}")

    def waiting() -> None:
        bar.progress(0.0, text="Another session is running this model over this text: waiting to share its result")

    with wc.one_blas_thread():
        try:  # an unreadable cache entry is made again by run_corpus itself; this is a cache folder it cannot make
            run = run_corpus(model, text, cache=Cache(), progress=progress, waiting=waiting)
        except OSError:
            st.caption("The disk cache's folder cannot be written; running without it.")
            run = run_corpus(model, text, progress=progress)
        census = run.census(ablate=1, progress=census_progress)
    bar.empty()
    stop.empty()
    result = Result(model_label, text_label, run, census, source)
    st.session_state[K.result] = result
    return result
