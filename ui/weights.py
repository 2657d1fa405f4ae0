"""Widgets for fixed models and their weights: the ready-models menu, the model panel, the weight
editors and knobs, clamps, and files in and out.

The edits themselves are pure functions of a Network at the top of this file; the widgets below
only read what the user did and hand it to them. An edit that cannot be applied (not a number,
NaN, infinite) is a ValueError naming gate, row and column, and the model stays as it was.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import cells
from cells import presets
from cells.files import model as file_model
from cells.files.source import EXTENSIONS
from ui import keys
from ui.controls import network_controls
from ui.engine import NetworkChoice
from ui.gateview import CursorKeys
from ui.handoff import send
from ui.model import (
    FORMATS,
    MAX_UPLOAD_BYTES,
    Model,
    describe_found,
    drop_model,
    export_keras,
    export_npz,
    export_problem,
    export_torch,
    from_preset,
    from_pretrained,
    load_upload,
    pretrained_manifest,
    symbols_as_math,
    use_model,
)
from ui.tables import chart
from viz.predictions import output_labels, token_probability, top_predictions
from viz.style import STANDARD, Palette
from viz.weights import bias_frame, projection_frame, square_frame, weight_frame

DIRECTIONS = ("forward", "backward")
PICK = "— pick a ready model —"
SCALE_RANGE = (0.1, 3.0)
SHIFT_RANGE = (-10.0, 10.0)
INDEX_COLUMN = "_index"  # what st.data_editor calls the row labels' column in its edits and column_config

PREVIEW_CURSOR = CursorKeys(step=keys.W_PREVIEW_STEP, unit=keys.W_PREVIEW_UNIT, start=keys.W_PREVIEW_START,
                            reported=keys.W_PREVIEW_REPORTED)
CLAMP_CURSOR = CursorKeys(step=keys.W_CLAMP_STEP, unit=keys.W_CLAMP_UNIT, start=keys.W_CLAMP_START,
                          reported=keys.W_CLAMP_REPORTED)  # the clamp view's time cursor


# ----- pure edits ------------------------------------------------------------------------------
def cell_of(network: cells.Network, layer: int, direction: str) -> cells.Cell:
    cell = network.layers[layer].forward if direction == "forward" else network.layers[layer].backward
    if cell is None:
        raise ValueError(f"layer {layer + 1} has no backward direction")
    return cell


def with_cell(network: cells.Network, layer: int, direction: str, cell: cells.Cell) -> cells.Network:
    """``network`` with one cell replaced."""
    old = network.layers[layer]
    new = cells.Layer(cell, old.backward) if direction == "forward" else cells.Layer(old.forward, cell)
    return cells.Network(tuple(new if k == layer else lay for k, lay in enumerate(network.layers)))


def with_parameter(network: cells.Network, layer: int, direction: str, field: str, gate: str,
                   value: np.ndarray) -> cells.Network:
    """``network`` with one gate's ``field`` ("weights", "biases", "hidden_biases", "peepholes") set to ``value``."""
    cell = cell_of(network, layer, direction)
    current = getattr(cell, field)
    return with_cell(network, layer, direction, dataclasses.replace(cell, **{field: {**current, gate: value}}))


def scaled(network: cells.Network, layer: int, direction: str, gate: str, factor: float) -> cells.Network:
    """The gate's whole matrix W (hidden and input columns) times ``factor``."""
    cell = cell_of(network, layer, direction)
    return with_parameter(network, layer, direction, "weights", gate, cell.weights[gate] * factor)


def shifted(network: cells.Network, layer: int, direction: str, gate: str, amount: float) -> cells.Network:
    """The gate's bias b plus ``amount`` for every unit ("forget-gate bias +3")."""
    cell = cell_of(network, layer, direction)
    return with_parameter(network, layer, direction, "biases", gate, cell.biases[gate] + amount)


def _number(value: object) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError
    number = float(value)  # ValueError/TypeError for text that is not a number
    if not math.isfinite(number):
        raise ValueError
    return number


def apply_edits(frame: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]], what: str) -> pd.DataFrame:
    """``frame`` with a data editor's ``edited_rows`` applied, or a ValueError naming ``what``, row and column."""
    out = frame.copy()
    for row, changes in edited_rows.items():
        try:
            r = int(row)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: row {row!r} is not a row of this table") from None
        if not 0 <= r < len(out) or not isinstance(changes, Mapping):
            raise ValueError(f"{what}: row {row!r} is not a row of this table")
        for column, value in changes.items():
            if column == INDEX_COLUMN:  # the row labels: a unit's name, not a weight
                raise ValueError(f"{what}, row {out.index[r]}: the row names (the units) stay as they are; "
                                 "type numbers into the columns beside them. The weights stay as they were")
            if column not in out.columns:
                raise ValueError(f"{what}: there is no column {column!r}")
            try:
                out.iloc[r, out.columns.get_loc(column)] = _number(value)
            except (TypeError, ValueError):
                shown = "an empty cell" if value is None or (isinstance(value, float) and math.isnan(value)) \
                    else repr(value)
                raise ValueError(f"{what}, row {out.index[r]}, column {column}: {shown} is not a finite number; "
                                 "the weights stay as they were") from None
    return out


# ----- the model in the sidebar ------------------------------------------------------------------
def ready_models() -> dict[str, str]:
    """Menu value -> label: every preset and every shipped trained model."""
    options = {f"preset:{name}": f"Preset · {p.title}" for name, p in presets.PRESETS.items()}
    options |= {f"trained:{m['name']}": f"Trained · {m['label']}" for m in pretrained_manifest()}
    return options


def load_ready(value: str) -> Model:
    base, _, name = value.partition(":")
    return from_preset(name) if base == "preset" else from_pretrained(name)


def show_model(model: Model) -> None:
    """Make ``model`` the current one and put its own sequence in the sequence box (Explore and Weights share
    it); Explore starts on the model's unit to watch."""
    send("explore", model)
    st.session_state[keys.SEQ_TEXT] = model.sequence
    st.session_state[keys.SEQ_MODE] = "onehot" if model.vocabulary else "numbers" if "numbers" in model.reads \
        else st.session_state.get(keys.SEQ_MODE, "onehot")
    st.session_state.pop(keys.LAST_GOOD_MODEL_TEXT, None)
    forget_edits()


def forget_edits() -> None:
    """Start every editor and knob afresh from the current weights."""
    st.session_state[keys.W_VERSION] = st.session_state.get(keys.W_VERSION, 0) + 1
    for key in st.session_state.get(keys.W_KNOBS, {}):
        st.session_state.pop(key, None)
    st.session_state[keys.W_KNOBS] = {}
    st.session_state.pop(keys.W_EDIT_ERROR, None)


def _pick_ready() -> None:
    value = st.session_state.get(keys.READY_MODEL, PICK)
    if value != PICK:
        try:
            show_model(load_ready(value))
        except ValueError as e:
            st.session_state[keys.W_EDIT_ERROR] = f"Ready model: {e}"
    st.session_state[keys.READY_MODEL] = PICK


def _back_to_drawn() -> None:
    drop_model()
    forget_edits()


def ready_models_menu() -> None:
    """A menu of presets and trained models; picking one shows it with its own sequence."""
    options = ready_models()
    st.selectbox("Ready models", [PICK, *options], format_func=lambda v: options.get(v, v), key=keys.READY_MODEL,
                 on_change=_pick_ready,
                 help="Hand-set presets that do one readable thing, and small models trained on toy tasks. "
                      "Picking one fills the sequence box with an input that shows it.")


def model_panel(model: Model) -> None:
    """Which model is shown, how it reads text, what to look at, and the way back."""
    st.markdown(f"**{model.label}**")
    st.caption(f"Reads {model.reads}. The Network settings are fixed by this model.")
    if model.shown_note:
        st.caption(symbols_as_math(model.shown_note))
    st.button("Back to a drawn network", key=keys.DROP_MODEL, on_click=_back_to_drawn,
              help="Forget this model and draw a network from the Network settings again.")


def model_sidebar(model: Model | None, drawn_note: str) -> NetworkChoice | None:
    """The sidebar's Model section, and its Network settings while no model is fixed (their values, else None)."""
    with st.sidebar:
        st.header("Model")
        ready_models_menu()
        if model is not None:
            model_panel(model)
            return None
        st.caption(drawn_note)
        st.header("Network")
        return network_controls()


# ----- exports and uploads ---------------------------------------------------------------------
def export_buttons(network: cells.Network, stem: str, loaded: cells.LoadedModel | None = None) -> None:
    """Download buttons for every format this network can be written in, and why not for the others.

    A model from a file keeps its vocabulary, embedding and head in Gatescope's own .npz and JSON."""
    a, b, c, d = st.columns(4)
    whole = dataclasses.replace(loaded, network=network) if loaded is not None else None
    a.download_button(FORMATS["npz"], lambda: export_npz(network) if whole is None else file_model.to_npz(whole),
                      file_name=f"{stem}.npz", mime="application/octet-stream", key="w_export_npz", on_click="ignore")
    b.download_button(FORMATS["json"], lambda: cells.to_json(network) if whole is None else file_model.to_json(whole),
                      file_name=f"{stem}.json", mime="application/json", key="w_export_json", on_click="ignore")
    for column, fmt, writer in ((c, "torch", export_torch), (d, "keras", export_keras)):
        problem = export_problem(network, fmt)
        if problem:
            column.caption(problem)
        else:
            column.download_button(FORMATS[fmt], lambda writer=writer: writer(network),
                                   file_name=f"{stem}-{fmt}.npz", mime="application/octet-stream",
                                   key=f"w_export_{fmt}", on_click="ignore")
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
                              key=keys.W_UPLOAD, max_upload_size=MAX_UPLOAD_BYTES // 1_000_000)
    a, b = st.columns(2)
    a.text_input("Vocabulary (optional, over the file's own): its characters in index order", key=keys.W_UPLOAD_VOCAB,
                 placeholder="empty: the file's own, else numbers",
                 help="A character-level model's tokens, typed in the order of its embedding rows.")
    b.file_uploader("…or a vocabulary file (JSON list, JSON token → index map, or one token a line)",
                    type=["json", "txt", "vocab"], key=keys.W_UPLOAD_VOCAB_FILE, max_upload_size=50)
    found = st.session_state.get(keys.W_UPLOAD_FOUND)
    if found and len(found[2]) > 1:
        names = found[2]
        st.selectbox("Recurrent layer of the file", list(range(len(names))), key=keys.W_UPLOAD_LAYER,
                     format_func=lambda k: names[k], on_change=_use_upload, args=(fallback_vocabulary,),
                     help="The file has more than one recurrent layer: pick the one to show.")
    st.button("Use this file", key=keys.W_UPLOAD_APPLY, type="primary", disabled=upload is None, on_click=_use_upload,
              args=(fallback_vocabulary, True))
    if message := st.session_state.pop(keys.W_UPLOAD_ERROR, None):
        st.error(message)
    if found:
        with st.expander(f"What {found[0]} held", expanded=True):
            st.markdown("\n".join(f"- {line}" for line in found[1]))


def _use_upload(fallback_vocabulary: str, fresh: bool = False) -> None:
    upload = st.session_state.get(keys.W_UPLOAD)
    if upload is None:
        return
    if upload.size > MAX_UPLOAD_BYTES:  # checked before a byte is read
        st.session_state[keys.W_UPLOAD_ERROR] = (f"{upload.name}: {upload.size:,} bytes is over the limit of "
                                                 f"{MAX_UPLOAD_BYTES:,}; the current model stays.")
        return
    vocabulary: object = st.session_state.get(keys.W_UPLOAD_VOCAB) or None
    vocab_file = st.session_state.get(keys.W_UPLOAD_VOCAB_FILE)
    if vocab_file is not None:
        vocabulary = vocab_file.getvalue()
    if fresh:
        st.session_state.pop(keys.W_UPLOAD_LAYER, None)
    layer = st.session_state.get(keys.W_UPLOAD_LAYER)
    try:
        model = load_upload(upload.name, upload.getvalue(), vocabulary=vocabulary, layer=layer,
                            fallback_vocabulary=fallback_vocabulary or None)
    except ValueError as e:
        st.session_state[keys.W_UPLOAD_ERROR] = f"{e}. The current model stays."
        return
    if model.loaded is not None and model.loaded.found is not None:
        found = model.loaded.found
        names = [f"{r.style} {r.name or '(no prefix)'}" for r in found.recurrent]
        st.session_state[keys.W_UPLOAD_FOUND] = (upload.name, describe_found(found), names)
    text = st.session_state.get(keys.SEQ_TEXT, "")
    try:
        model.inputs(text)  # the typed sequence stays when the new model can read it
        model = dataclasses.replace(model, sequence=text)
    except (ValueError, TypeError):
        pass
    show_model(model)


def is_position(value: object, size: int) -> bool:
    """Whether a widget's ``value`` is a position 0 … size-1.

    A menu's value can come back from the browser as the label it showed (a model's "␣") when its options
    have changed since (another model's head: "#0", "#1"); that is no position, and no number."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 <= value < size


def predictions_start(tokens: list[str]) -> None:
    """New text starts the predictions and the gates beside them at its last step (call before the preview)."""
    state, T = st.session_state, len(tokens)
    if state.get(keys.W_PREDICT_OF) != list(tokens) or not is_position(state.get(keys.W_PREDICT_STEP), T):
        state[keys.W_PREDICT_OF] = list(tokens)
        state[keys.W_PREDICT_STEP] = state[PREVIEW_CURSOR.step] = T - 1


def _slider_moved() -> None:
    """The step slider moved: the preview's cursor goes there too."""
    st.session_state[PREVIEW_CURSOR.step] = st.session_state[keys.W_PREDICT_STEP]


def predictions(probabilities: np.ndarray, tokens: list[str], outputs: list[str] | None,
                palette: Palette = STANDARD) -> None:
    """The model's own head beside its gates: the top predictions after a chosen step, and one output over time.

    The step is the preview's: where the user stops its cursor (the browser's report) the slider follows, and
    the slider moves the preview's cursor."""
    T, K = probabilities.shape
    st.markdown("**What the model predicts**")
    state = st.session_state
    reported = state.get(PREVIEW_CURSOR.reported)
    if reported is not None and reported != state.get(keys.W_PREDICT_FOLLOWED) and 0 <= reported[0] < T:
        state[keys.W_PREDICT_FOLLOWED] = reported
        state[keys.W_PREDICT_STEP] = reported[0]
    if not is_position(state.get(keys.W_PREDICT_STEP), T):
        state[keys.W_PREDICT_STEP] = T - 1
    step = st.slider("After step", 0, max(T - 1, 1), key=keys.W_PREDICT_STEP, disabled=T == 1, on_change=_slider_moved,
                     help="The head's likeliest outputs once the model has read the sequence up to this step; the "
                          "gates' cursor and this slider move together.")
    st.caption(f"After reading {step}·{tokens[step]}: the head's five likeliest outputs.")
    with st.container(key=keys.weights_chart("top_predictions")):
        st.table(top_predictions(probabilities, tokens, step, outputs))
    labels = output_labels(K, outputs)
    if not is_position(st.session_state.get(keys.W_PREDICT_TOKEN), K):
        st.session_state[keys.W_PREDICT_TOKEN] = int(np.argmax(probabilities[step]))  # the likeliest, to start
    chosen = st.selectbox("Follow the probability of", list(range(K)), key=keys.W_PREDICT_TOKEN,
                          format_func=lambda k: labels[k])
    chart(token_probability(probabilities, tokens, chosen, outputs, step, palette=palette),
          key=keys.weights_chart("token_probability"), config={"displayModeBar": False})


def apply_preset() -> None:
    """The preset chosen in the page's menu becomes the model, with its sequence."""
    show_model(from_preset(st.session_state[keys.W_PRESET]))


# ----- editors and knobs -----------------------------------------------------------------------
EXTRA_CAPTIONS = {
    "peepholes": "Peephole weights on the cell state C (the gate also looks at $C_{t-1}$; $o_t$ at $C_t$):",
    "projection": "Projection $W_{hr}$, shared by every gate: $h_t = W_{hr} \\cdot m_t$ with "
                  "$m_t = o_t * \\tanh(C_t)$; a row per number of $h_t$, a column per unit:",
}
EXTRA_FRAMES = {"projection": projection_frame}  # how an extra that is not (H, H) is laid out as a table


def _own_key(cell: cells.Cell, field: str, gate: str) -> str | None:
    """The key of ``field`` shown beside ``gate``'s editor: the gate itself, or the one key of a parameter
    that belongs to no gate (a projection's W_hr, under "hidden"); None when the field is not shown there."""
    gates = cell.EXTRA[field]
    if gate in gates:
        return gate
    return gates[0] if len(gates) == 1 and gates[0] not in cell.GATES else None


# The page's tasks after the preview, a tab each (views/weights.py); only the open one is drawn.
SECTIONS = ("Clamp or ablate a gate", "Presets", "Download and upload")


def _version() -> int:
    return int(st.session_state.setdefault(keys.W_VERSION, 0))


BIAS_COLUMNS = ("b", "b_h")  # a gate's bias, and PyTorch's/Keras' recurrent one, after its matrix in its table


def edit_tables(cell: cells.Cell, gate: str, features: list[str] | None) -> dict[str, pd.DataFrame]:
    """field -> the table its editor shows for this gate: "weights", the gate's row [W | b] per unit (its matrix,
    then its bias b, and b_h where the cell has one: one editor for W·[h_{t-1}, x_t] + b, which pins the bias
    columns beside the unit names), and the extras the kind declares for this gate (the peepholes) or for the
    whole cell (a projection's W_hr)."""
    tables = {"weights": pd.concat([weight_frame(cell.weights[gate], features, cell.state_size),
                                    bias_frame(cell, gate)], axis=1)}
    for field in cell.EXTRA:
        own = _own_key(cell, field, gate)
        if own is not None:
            tables[field] = EXTRA_FRAMES.get(field, square_frame)(getattr(cell, field)[own])
    return tables


def matrix_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A gate's [W | b] table without its bias columns: the matrix the heatmap draws."""
    return table.drop(columns=[c for c in BIAS_COLUMNS if c in table.columns])


def _from_tables(network: cells.Network, layer: int, direction: str, gate: str, field: str,
                 table: pd.DataFrame) -> cells.Network:
    if field == "weights":  # [W | b (| b_h)]
        network = with_parameter(network, layer, direction, "biases", gate, table["b"].to_numpy())
        if "b_h" in table.columns:
            network = with_parameter(network, layer, direction, "hidden_biases", gate, table["b_h"].to_numpy())
        table = matrix_frame(table)
    cell = cell_of(network, layer, direction)
    own = gate if field == "weights" else _own_key(cell, field, gate)
    return with_parameter(network, layer, direction, field, own, table.to_numpy())


def pending_edits(network: cells.Network, layer: int, direction: str, gate: str, features: list[str] | None,
                  tables: dict[str, pd.DataFrame] | None = None) -> tuple[cells.Network | None, str | None]:
    """What this gate's editors and knobs hold since the last run, applied: (new network or None, refusal).
    ``tables`` are the gate's ``edit_tables`` in ``network``, when the caller has them already."""
    symbol = cells.gate_info(cell_of(network, layer, direction).FAMILY, gate).symbol
    changed = network
    knobs = st.session_state.setdefault(keys.W_KNOBS, {})
    for what, default in (("scale", 1.0), ("shift", 0.0)):
        key = keys.weights_knob(what, layer, direction, gate)
        before = float(knobs.get(key, default))
        now = float(st.session_state.get(key, before))
        if now != before:
            changed = (scaled(changed, layer, direction, gate, now / before) if what == "scale"
                       else shifted(changed, layer, direction, gate, now - before))
            knobs[key] = now
    edited = changed
    tables = tables if tables is not None else edit_tables(cell_of(network, layer, direction), gate, features)
    for field, table in tables.items():
        state = st.session_state.get(keys.weights_editor(field, layer, direction, gate, _version(), table.shape))
        rows = state.get("edited_rows") if isinstance(state, dict) else None
        if rows:
            what = f"{symbol} {'weights' if field == 'weights' else field.replace('_', ' ')}"
            try:
                edited = _from_tables(edited, layer, direction, gate, field, apply_edits(table, rows, what))
            except ValueError as e:
                return (changed if changed is not network else None), str(e)
    return (edited if edited is not network else None), None


def apply_pending(base: Model, layer: int, direction: str, gate: str, features: list[str] | None,
                  tables: dict[str, pd.DataFrame] | None = None) -> bool:
    """Make what the gate's editors and knobs hold the current model (``base``, edited), and say on the page what
    was refused; True when the model changed. The editors and knobs call it as their callback, before the page
    runs, so an edit costs one run; the page calls it as well (with the tables it draws), for edits that came
    without one."""
    edited, refused = pending_edits(base.network, layer, direction, gate, features, tables)
    if edited is not None:
        commit(base, edited)
    if refused:
        st.session_state[keys.W_EDIT_REFUSED] = refused  # said under the editors (views/weights.py)
    return edited is not None


def editors(cell: cells.Cell, layer: int, direction: str, gate: str, tables: dict[str, pd.DataFrame],
            on_edit: Callable[[], object] | None = None) -> None:
    """The gate's tables (``edit_tables``) as data editors; ``on_edit`` applies an edit (``apply_pending``)
    before the next run."""
    # The bias columns are pinned beside the row names: in sight however far a wide matrix scrolls.
    config = {c: st.column_config.NumberColumn(c, format="%.3f", step=0.001, pinned=c in BIAS_COLUMNS or None)
              for t in tables.values() for c in t.columns}
    config[INDEX_COLUMN] = st.column_config.Column(disabled=True)  # a row per unit: its name is not an input
    st.data_editor(tables["weights"],
                   key=keys.weights_editor("weights", layer, direction, gate, _version(), tables["weights"].shape),
                   num_rows="fixed", column_config=config, on_change=on_edit)
    for field in cell.EXTRA:
        if field not in tables:
            continue
        st.caption(EXTRA_CAPTIONS.get(field, f"{field.replace('_', ' ').capitalize()}:"))
        key = keys.weights_editor(field, layer, direction, gate, _version(), tables[field].shape)
        st.data_editor(tables[field], key=key, num_rows="fixed", column_config=config, on_change=on_edit)


def knobs(layer: int, direction: str, gate: str, symbol: str, on_edit: Callable[[], object] | None = None) -> None:
    """Scale the gate's matrix and shift its bias; each knob shows what it has applied so far."""
    applied = st.session_state.setdefault(keys.W_KNOBS, {})
    scale_key = keys.weights_knob("scale", layer, direction, gate)
    shift_key = keys.weights_knob("shift", layer, direction, gate)
    for key, default in ((scale_key, 1.0), (shift_key, 0.0)):
        if key not in st.session_state:
            st.session_state[key] = float(applied.get(key, default))
    st.slider(f"Scale W ({symbol}) by", *SCALE_RANGE, step=0.1, key=scale_key, on_change=on_edit,
              help="Multiplies every weight of this gate, hidden and input columns alike.")
    st.slider(f"Shift b ({symbol}) by", *SHIFT_RANGE, step=0.5, key=shift_key, on_change=on_edit,
              help="Adds to every unit's bias. Forget-gate bias +3 makes an LSTM remember longer from the start.")


def commit(base: Model, network: cells.Network) -> Model:
    """Make the edited ``network`` the current model; the editors start again from its weights."""
    label = base.label if base.label.endswith("(edited)") else f"{base.label} (edited)"
    model = base.edited(network, label=label)
    use_model(model)
    st.session_state[keys.W_VERSION] = _version() + 1
    st.session_state.pop(keys.W_EDIT_ERROR, None)
    return model


def reset(model: Model) -> None:
    """Back to the weights the model had before any edit."""
    if model.original is not None:
        label = model.label.removesuffix(" (edited)")
        use_model(dataclasses.replace(model, network=model.original, label=label, original=None))
    forget_edits()


def redraw(base: Model) -> None:
    """New random weights of the same shape, drawn with the seed box's seed."""
    seed = int(st.session_state.get(keys.W_SEED, 1))
    n = base.network
    network = cells.Network.create(n.kind, n.input_size, n.hidden_size, num_layers=len(n.layers),
                                   bidirectional=n.bidirectional, seed=seed, state_size=n.state_size)
    forget_edits()
    commit(base, network)
