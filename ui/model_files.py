"""The Weights page's files: download buttons for every format a network fits, and uploads of model files
(and their vocabularies), checked by workbench.model_files before anything is used."""

from __future__ import annotations

import dataclasses

import streamlit as st

import cells
from cells.files import model as file_model
from cells.files.source import EXTENSIONS
from ui.weights import show_model
from workbench import keys
from workbench.literal import literal
from workbench.model_files import (
    FORMATS,
    MAX_UPLOAD_BYTES,
    describe_found,
    export_keras,
    export_npz,
    export_problem,
    export_torch,
    export_warning,
    load_upload,
)


def export_buttons(network: cells.Network, stem: str, loaded: cells.LoadedModel | None = None) -> None:
    """Download buttons for every format this network can be written in, and why not for the others.

    A model from a file keeps its vocabulary, embedding and head in Gatescope's own .npz and JSON."""
    a, b, c, d = st.columns(4)
    whole = dataclasses.replace(loaded, network=network) if loaded is not None else None
    a.download_button(FORMATS["npz"], lambda: export_npz(network) if whole is None else file_model.to_npz(whole),
                      file_name=f"{stem}.npz", mime="application/octet-stream", key=keys.WEIGHTS.export("npz"),
                      on_click="ignore")
    b.download_button(FORMATS["json"], lambda: cells.to_json(network) if whole is None else file_model.to_json(whole),
                      file_name=f"{stem}.json", mime="application/json", key=keys.WEIGHTS.export("json"),
                      on_click="ignore")
    for column, fmt, writer in ((c, "torch", export_torch), (d, "keras", export_keras)):
        problem = export_problem(network, fmt)
        if problem:
            column.caption(problem)
        else:
            column.download_button(FORMATS[fmt], lambda writer=writer: writer(network),
                                   file_name=f"{stem}-{fmt}.npz", mime="application/octet-stream",
                                   key=keys.WEIGHTS.export(fmt), on_click="ignore")
            if warning := export_warning(network, fmt):
                column.warning(warning, icon=":material/warning:")
    st.caption("PyTorch: `model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(f).items()})`. "
               "Keras: `layer.set_weights([z['layer0.forward.kernel'], z['layer0.forward.recurrent_kernel'], "
               "z['layer0.forward.bias']])` per layer and direction.")


def upload_controls(fallback_vocabulary: str) -> None:
    """Upload a model file as it was saved (and its vocabulary) and continue with it; refusals name the problem.

    ``fallback_vocabulary`` (the current one-hot characters) is offered only to a file that has no
    vocabulary and no embedding of its own, and only when it fits the file's input size.
    """
    upload = st.file_uploader("Upload a model as saved: safetensors, PyTorch .pt/.pth, Keras .keras/.weights.h5, "
                              "ONNX, or Gatescope .npz/.json (up to 100 MB)", type=list(EXTENSIONS),
                              key=keys.WEIGHTS.upload, max_upload_size=MAX_UPLOAD_BYTES // 1_000_000)
    a, b = st.columns(2)
    a.text_input("Vocabulary (optional, over the file's own): its characters in index order",
                 key=keys.WEIGHTS.upload_vocab,
                 placeholder="empty: the file's own, else numbers",
                 help="A character-level model's tokens, typed in the order of its embedding rows.")
    b.file_uploader("…or a vocabulary file (JSON list, JSON token → index map, or one token a line)",
                    type=["json", "txt", "vocab"], key=keys.WEIGHTS.upload_vocab_file, max_upload_size=50)
    found = st.session_state.get(keys.WEIGHTS.upload_found)
    if found and len(found[2]) > 1:
        names = found[2]
        st.selectbox("Recurrent layer of the file", list(range(len(names))), key=keys.WEIGHTS.upload_layer,
                     format_func=lambda k: names[k], on_change=_use_upload, args=(fallback_vocabulary,),
                     help="The file has more than one recurrent layer: pick the one to show.")
    st.button("Use this file", key=keys.WEIGHTS.upload_apply, type="primary", disabled=upload is None,
              on_click=_use_upload,
              args=(fallback_vocabulary, True))
    if message := st.session_state.pop(keys.WEIGHTS.upload_error, None):
        st.error(literal(message, 2_000))  # the file's name and the names inside it, shown as they are spelt
    if found:
        with st.expander(f"What {literal(found[0], 120)} held", expanded=True):
            st.text("\n".join(f"• {line}" for line in found[1]))  # plain text: a file's names as they are spelt


def _use_upload(fallback_vocabulary: str, fresh: bool = False) -> None:
    upload = st.session_state.get(keys.WEIGHTS.upload)
    if upload is None:
        return
    if upload.size > MAX_UPLOAD_BYTES:  # checked before a byte is read
        st.session_state[keys.WEIGHTS.upload_error] = (f"{upload.name}: {upload.size:,} bytes is over the limit of "
                                                 f"{MAX_UPLOAD_BYTES:,}; the current model stays.")
        return
    vocabulary: object = st.session_state.get(keys.WEIGHTS.upload_vocab) or None
    vocab_file = st.session_state.get(keys.WEIGHTS.upload_vocab_file)
    if vocab_file is not None:
        vocabulary = vocab_file.getvalue()
    if fresh:
        st.session_state.pop(keys.WEIGHTS.upload_layer, None)
    layer = st.session_state.get(keys.WEIGHTS.upload_layer)
    try:
        model = load_upload(upload.name, upload.getvalue(), vocabulary=vocabulary, layer=layer,
                            fallback_vocabulary=fallback_vocabulary or None)
    except ValueError as e:
        st.session_state[keys.WEIGHTS.upload_error] = f"{e}. The current model stays."
        return
    except Exception as e:  # a file can make a reader raise anything: the page says so and goes on
        st.session_state[keys.WEIGHTS.upload_error] = (f"{upload.name}: the file could not be read "
                                                       f"({type(e).__name__}: {str(e)[:200]}). The current model "
                                                       "stays.")
        return
    if model.loaded is not None and model.loaded.found is not None:
        found = model.loaded.found
        names = [f"{r.style} {r.name or '(no prefix)'}" for r in found.recurrent]
        st.session_state[keys.WEIGHTS.upload_found] = (upload.name, describe_found(found), names)
    text = st.session_state.get(keys.EXPLORE.seq_text, "")
    try:
        model.inputs(text)  # the typed sequence stays when the new model can read it
        model = dataclasses.replace(model, sequence=text)
    except (ValueError, TypeError):
        pass
    show_model(model)
