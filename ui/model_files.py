"""The Weights page's files: download buttons for every format a network fits, and uploads of model files
(and their vocabularies), checked by workbench.model_files before anything is used."""

from __future__ import annotations

import dataclasses

import streamlit as st

import cells
from cells.files import model as file_model
from cells.files import roles
from cells.files.roles import ArrayInfo
from cells.files.source import EXTENSIONS
from ui.weights import show_model
from workbench import keys
from workbench.literal import literal
from workbench.model import Model
from workbench.model_files import (
    FORMATS,
    MAX_UPLOAD_BYTES,
    arrays_for_roles,
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
        labels = dict(found[2])  # module name -> what the menu says
        # The choice is the module's name, never its place: files of one model can list its modules in other orders.
        st.selectbox("Recurrent layer of the file", list(labels), key=keys.WEIGHTS.upload_layer,
                     format_func=lambda name: labels.get(name, name), on_change=_use_upload,
                     args=(fallback_vocabulary,), help="The file has more than one recurrent layer: pick the one to "
                                                       "show.")
    st.button("Use this file", key=keys.WEIGHTS.upload_apply, type="primary", disabled=upload is None,
              on_click=_use_upload,
              args=(fallback_vocabulary, True))
    if message := st.session_state.pop(keys.WEIGHTS.upload_error, None):
        st.error(literal(message, 2_000))  # the file's name and the names inside it, shown as they are spelt
    given = st.session_state.get(keys.WEIGHTS.roles_file)
    if given and upload is not None and upload.name == given[0]:
        roles_controls(given[1], fallback_vocabulary)
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
    found = st.session_state.get(keys.WEIGHTS.upload_found)
    if fresh and not (found and found[0] == upload.name):  # another file: its first layer; the same one: as chosen
        st.session_state.pop(keys.WEIGHTS.upload_layer, None)
    layer = st.session_state.get(keys.WEIGHTS.upload_layer)
    layer = layer if isinstance(layer, str) else None  # a module's name (the menu's value)
    try:
        model = load_upload(upload.name, upload.getvalue(), vocabulary=vocabulary, layer=layer,
                            fallback_vocabulary=fallback_vocabulary or None)
    except ValueError as e:
        arrays = arrays_for_roles(upload.name, upload.getvalue()) if fresh else []
        if arrays:
            _offer_roles(upload.name, arrays)
        hint = " Or give the file's arrays their roles below." if arrays else ""
        st.session_state[keys.WEIGHTS.upload_error] = f"{e}. The current model stays.{hint}"
        return
    except Exception as e:  # a file can make a reader raise anything: the page says so and goes on
        st.session_state[keys.WEIGHTS.upload_error] = (f"{upload.name}: the file could not be read "
                                                       f"({type(e).__name__}: {str(e)[:200]}). The current model "
                                                       "stays.")
        return
    _show_upload(upload.name, model)


def _show_upload(name: str, model: Model) -> None:
    """Continue with the model of an uploaded file, and say what the file held."""
    st.session_state.pop(keys.WEIGHTS.roles_file, None)
    if model.loaded is not None and model.loaded.found is not None:
        found = model.loaded.found
        names = [(r.name, f"{r.style} {r.name or '(no prefix)'}") for r in found.recurrent]
        st.session_state[keys.WEIGHTS.upload_found] = (name, describe_found(found), names)
    text = st.session_state.get(keys.EXPLORE.seq_text, "")
    try:
        model.inputs(text)  # the typed sequence stays when the new model can read it
        model = dataclasses.replace(model, sequence=text)
    except (ValueError, TypeError):
        pass
    show_model(model)


# ----- arrays under names no reader knows: the user gives them their roles --------------------------------------
NOT_CHOSEN = ""


def _offer_roles(name: str, arrays: list[ArrayInfo]) -> None:
    """Keep the file's arrays for the roles menus, which start at ``roles.suggest``'s guess."""
    shapes = {a.name: a.shape for a in arrays}
    guess = roles.suggest(shapes)
    st.session_state[keys.WEIGHTS.roles_file] = (name, [(a.name, a.shape, a.dtype) for a in arrays])
    st.session_state[keys.WEIGHTS.roles_kind] = guess.get("kind", "lstm")
    st.session_state[keys.WEIGHTS.roles_layout] = guess.get("layout", "torch")
    for role in roles.ROLES:
        st.session_state[keys.WEIGHTS.role(role)] = guess.get(role, NOT_CHOSEN)


def _chosen() -> dict[str, str]:
    ss = st.session_state
    out = {"kind": ss.get(keys.WEIGHTS.roles_kind, "lstm"), "layout": ss.get(keys.WEIGHTS.roles_layout, "torch")}
    return out | {role: ss[keys.WEIGHTS.role(role)] for role in roles.ROLES if ss.get(keys.WEIGHTS.role(role))}


def roles_controls(arrays: list[tuple[str, tuple[int, ...], str]], fallback_vocabulary: str) -> None:
    """A menu per role (kind, layout, input and recurrent weights, biases, embedding, head) over the file's arrays;
    what does not fit is said as the user chooses, and the model is built when everything fits."""
    st.markdown("**Give the file's arrays their roles**")
    st.caption("Gatescope did not recognise this file's layers by their names. Say which array is which: the first "
               "guess comes from their shapes, and every choice is checked against the others.")
    shapes = {n: tuple(shape) for n, shape, _ in arrays}
    label = {n: f"{n} {'×'.join(map(str, shape)) or 'scalar'} {dtype}" for n, shape, dtype in arrays}
    a, b = st.columns(2)
    a.radio("Kind", roles.KINDS, key=keys.WEIGHTS.roles_kind, horizontal=True, format_func=str.upper)
    b.radio("Layout", roles.LAYOUTS, key=keys.WEIGHTS.roles_layout, horizontal=True,
            format_func=lambda v: "PyTorch's (gates in rows)" if v == "torch" else "Keras' (gates in columns)")
    columns = st.columns(3)
    for k, (role, title) in enumerate(roles.ROLES.items()):
        columns[k % 3].selectbox(title.capitalize(), [NOT_CHOSEN, *shapes], key=keys.WEIGHTS.role(role),
                                 format_func=lambda n: label.get(n, "— none —"))
    problems = roles.problems(shapes, _chosen())
    for problem in problems:
        st.warning(literal(problem, 400))  # names the role, the array, the shape it has and the one it needs
    st.button("Build the model from these roles", key=keys.WEIGHTS.roles_apply, type="primary",
              disabled=bool(problems), on_click=_use_roles, args=(fallback_vocabulary,))


def _use_roles(fallback_vocabulary: str) -> None:
    upload = st.session_state.get(keys.WEIGHTS.upload)
    if upload is None:
        return
    try:
        model = load_upload(upload.name, upload.getvalue(), roles=_chosen(),
                            fallback_vocabulary=fallback_vocabulary or None)
    except Exception as e:  # a ValueError naming what does not fit, or anything else a file can make a reader raise
        st.session_state[keys.WEIGHTS.upload_error] = f"{e}. The current model stays."
        return
    _show_upload(upload.name, model)
