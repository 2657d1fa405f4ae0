"""Widgets for fixed models and their weights: the ready-models menu, the model panel, the weight
editors and knobs, clamps, and files in and out.

The edits themselves are pure functions of a Network at the top of this file; the widgets below
only read what the user did and hand it to them. An edit that cannot be applied (not a number,
NaN, infinite) is a ValueError naming gate, row and column, and the model stays as it was.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import cells
from cells import presets
from ui import keys
from ui.controls import network_controls
from ui.engine import NetworkChoice
from ui.gateview import CursorKeys
from ui.model import (
    FORMATS,
    MAX_UPLOAD_BYTES,
    Model,
    drop_model,
    export_keras,
    export_npz,
    export_problem,
    export_torch,
    from_preset,
    from_pretrained,
    load_upload,
    pretrained_manifest,
    use_model,
)
from viz.weights import bias_frame, square_frame, weight_frame

DIRECTIONS = ("forward", "backward")
PICK = "— pick a ready model —"
SCALE_RANGE = (0.1, 3.0)
SHIFT_RANGE = (-10.0, 10.0)

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
    """Make ``model`` the current one and put its own sequence in the sequence box."""
    use_model(model)
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
    if model.note:
        st.caption(model.note)
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
def export_buttons(network: cells.Network, stem: str) -> None:
    """Download buttons for every format this network can be written in, and why not for the others."""
    a, b, c, d = st.columns(4)
    a.download_button(FORMATS["npz"], lambda: export_npz(network), file_name=f"{stem}.npz",
                      mime="application/octet-stream", key="w_export_npz", on_click="ignore")
    b.download_button(FORMATS["json"], lambda: cells.to_json(network), file_name=f"{stem}.json",
                      mime="application/json", key="w_export_json", on_click="ignore")
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


def upload_controls(default_vocabulary: str) -> None:
    """Upload a Gatescope, PyTorch or Keras file and continue with it; refusals name the problem."""
    upload = st.file_uploader("Upload a model (.npz or .json, up to 5 MB)", type=["npz", "json"], key=keys.W_UPLOAD,
                              max_upload_size=MAX_UPLOAD_BYTES // 1_000_000)
    a, b, c, d = st.columns(4)
    kind = a.selectbox("PyTorch/Keras kind", ["infer", "lstm", "gru"], key=keys.W_UPLOAD_KIND,
                       help="Read off the shapes unless chosen (LSTMs have 4 gate blocks, GRUs 3).")
    layers = b.number_input("PyTorch layers (0: infer)", 0, 4, 0, key=keys.W_UPLOAD_LAYERS)
    bidir = c.selectbox("PyTorch bidirectional", ["infer", "yes", "no"], key=keys.W_UPLOAD_BIDIR)
    after = d.selectbox("Keras GRU reset_after", ["infer", "True", "False"], key=keys.W_UPLOAD_RESET_AFTER,
                        help="Read off the bias shape unless chosen: (2, 3·units) means reset_after=True.")
    if st.session_state.get(keys.W_UPLOAD_VOCAB_OFFERED) != default_vocabulary:  # follow the current model
        st.session_state[keys.W_UPLOAD_VOCAB_OFFERED] = st.session_state[keys.W_UPLOAD_VOCAB] = default_vocabulary
    vocabulary = st.text_input("Read typed characters one-hot over (empty: the model reads numbers)",
                               key=keys.W_UPLOAD_VOCAB)
    st.button("Use this file", key=keys.W_UPLOAD_APPLY, type="primary", disabled=upload is None, on_click=_use_upload,
              args=(kind, int(layers), bidir, after, vocabulary))
    if message := st.session_state.pop(keys.W_UPLOAD_ERROR, None):
        st.error(message)


def _use_upload(kind: str, layers: int, bidir: str, after: str, vocabulary: str) -> None:
    upload = st.session_state.get(keys.W_UPLOAD)
    if upload is None:
        return
    if upload.size > MAX_UPLOAD_BYTES:  # checked before a byte is read
        st.session_state[keys.W_UPLOAD_ERROR] = (f"{upload.name}: {upload.size:,} bytes is over the limit of "
                                                 f"{MAX_UPLOAD_BYTES:,}; the current model stays.")
        return
    try:
        model = load_upload(
            upload.name, upload.getvalue(), kind=None if kind == "infer" else kind, layers=layers or None,
            bidirectional=None if bidir == "infer" else bidir == "yes",
            reset_after=None if after == "infer" else after == "True", vocabulary=vocabulary or None,
        )
    except ValueError as e:
        st.session_state[keys.W_UPLOAD_ERROR] = f"{e}. The current model stays."
        return
    text = st.session_state.get(keys.SEQ_TEXT, "")
    try:
        model.inputs(text)  # the typed sequence stays when the new model can read it
        model = dataclasses.replace(model, sequence=text)
    except (ValueError, TypeError):
        pass
    show_model(model)


def apply_preset() -> None:
    """The preset chosen in the page's menu becomes the model, with its sequence."""
    show_model(from_preset(st.session_state[keys.W_PRESET]))


# ----- editors and knobs -----------------------------------------------------------------------
EXTRA_CAPTIONS = {"peepholes": "Peephole weights on the cell state C (the gate also looks at C_{t−1}; o_t at C_t):"}


def _version() -> int:
    return int(st.session_state.setdefault(keys.W_VERSION, 0))


def edit_tables(cell: cells.Cell, gate: str, features: list[str] | None) -> dict[str, pd.DataFrame]:
    """field -> the table its editor shows for this gate: weights, biases, and the (H, H) extras the kind
    declares for this gate (the peepholes)."""
    tables = {"weights": weight_frame(cell.weights[gate], features), "biases": bias_frame(cell, gate)}
    for field, gates in cell.EXTRA.items():
        if gate in gates:
            tables[field] = square_frame(getattr(cell, field)[gate])
    return tables


def _from_tables(network: cells.Network, layer: int, direction: str, gate: str, field: str,
                 table: pd.DataFrame) -> cells.Network:
    if field == "biases":
        network = with_parameter(network, layer, direction, "biases", gate, table["b"].to_numpy())
        if "b_h" in table.columns:
            network = with_parameter(network, layer, direction, "hidden_biases", gate, table["b_h"].to_numpy())
        return network
    return with_parameter(network, layer, direction, field, gate, table.to_numpy())


def pending_edits(network: cells.Network, layer: int, direction: str, gate: str,
                  features: list[str] | None) -> tuple[cells.Network | None, str | None]:
    """What this gate's editors and knobs hold since the last run, applied: (new network or None, refusal)."""
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
    tables = edit_tables(cell_of(network, layer, direction), gate, features)
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


def editors(cell: cells.Cell, layer: int, direction: str, gate: str, features: list[str] | None) -> None:
    """The gate's tables as data editors; edits are applied on the next run (``pending_edits``)."""
    tables = edit_tables(cell, gate, features)
    config = {c: st.column_config.NumberColumn(c, format="%.3f", step=0.001) for t in tables.values()
              for c in t.columns}
    st.data_editor(tables["weights"],
                   key=keys.weights_editor("weights", layer, direction, gate, _version(), tables["weights"].shape),
                   num_rows="fixed", column_config=config)
    for field in cell.EXTRA:
        if field not in tables:
            continue
        st.caption(EXTRA_CAPTIONS.get(field, f"{field.replace('_', ' ').capitalize()}:"))
        key = keys.weights_editor(field, layer, direction, gate, _version(), tables[field].shape)
        st.data_editor(tables[field], key=key, num_rows="fixed", column_config=config)


def bias_editor(cell: cells.Cell, layer: int, direction: str, gate: str) -> None:
    tables = edit_tables(cell, gate, None)
    config = {c: st.column_config.NumberColumn(c, format="%.3f", step=0.001) for c in tables["biases"].columns}
    st.data_editor(tables["biases"],
                   key=keys.weights_editor("biases", layer, direction, gate, _version(), tables["biases"].shape),
                   num_rows="fixed", column_config=config)


def knobs(layer: int, direction: str, gate: str, symbol: str) -> None:
    """Scale the gate's matrix and shift its bias; each knob shows what it has applied so far."""
    applied = st.session_state.setdefault(keys.W_KNOBS, {})
    scale_key = keys.weights_knob("scale", layer, direction, gate)
    shift_key = keys.weights_knob("shift", layer, direction, gate)
    for key, default in ((scale_key, 1.0), (shift_key, 0.0)):
        if key not in st.session_state:
            st.session_state[key] = float(applied.get(key, default))
    st.slider(f"Scale W ({symbol}) by", *SCALE_RANGE, step=0.1, key=scale_key,
              help="Multiplies every weight of this gate, hidden and input columns alike.")
    st.slider(f"Shift b ({symbol}) by", *SHIFT_RANGE, step=0.5, key=shift_key,
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
                                   bidirectional=n.bidirectional, seed=seed)
    forget_edits()
    commit(base, network)
