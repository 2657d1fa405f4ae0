"""Widgets for fixed models and their weights: the ready-models menu, the model panel, the weight editors and
knobs (the head's predictions beside the gates are ui.predictions').

The widgets only read what the user did and hand it to the edits (cells.edits) and tables
(workbench.weights); an edit that cannot be applied is said under the editors, and the model stays as it was.
Files in and out are ui.model_files'.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd
import streamlit as st

import cells
from cells.activations import GATE_ACTIVATIONS
from cells.edits import cell_of, scaled, shifted
from ui.controls import network_controls
from ui.engine import NetworkChoice
from ui.handoff import send
from ui.model import drop_model, use_model
from workbench import keys
from workbench.literal import literal
from workbench.model import Model, from_preset, symbols_as_math
from workbench.weights import (
    BIAS_COLUMNS,
    EXTRA_CAPTIONS,
    INDEX_COLUMN,
    PICK,
    SCALE_RANGE,
    SHIFT_RANGE,
    apply_edits,
    edit_tables,
    from_table,
    load_ready,
    ready_models,
    shown_table,
)

PREVIEW_CURSOR = keys.WEIGHTS.preview
CLAMP_CURSOR = keys.WEIGHTS.clamp  # the clamp view's time cursor


# ----- the model in the sidebar ------------------------------------------------------------------
def show_model(model: Model) -> None:
    """Make ``model`` the current one and put its own sequence in the sequence box (Explore and Weights share
    it); Explore starts on the model's unit to watch."""
    send("explore", model)
    st.session_state[keys.EXPLORE.seq_text] = model.sequence
    st.session_state[keys.EXPLORE.seq_mode] = "onehot" if model.vocabulary else "numbers" if "numbers" in model.reads \
        else st.session_state.get(keys.EXPLORE.seq_mode, "onehot")
    st.session_state.pop(keys.EXPLORE.last_good_model_text, None)
    forget_edits()


def forget_edits() -> None:
    """Start every editor and knob afresh from the current weights."""
    st.session_state[keys.WEIGHTS.version] = st.session_state.get(keys.WEIGHTS.version, 0) + 1
    for key in st.session_state.get(keys.WEIGHTS.knobs, {}):
        st.session_state.pop(key, None)
    st.session_state[keys.WEIGHTS.knobs] = {}
    st.session_state.pop(keys.WEIGHTS.edit_error, None)


def _pick_ready() -> None:
    value = st.session_state.get(keys.EXPLORE.ready_model, PICK)
    if value != PICK:
        try:
            show_model(load_ready(value))
        except ValueError as e:
            st.session_state[keys.WEIGHTS.edit_error] = f"Ready model: {e}"
    st.session_state[keys.EXPLORE.ready_model] = PICK


def _back_to_drawn() -> None:
    drop_model()
    forget_edits()


def ready_models_menu() -> None:
    """A menu of presets and trained models; picking one shows it with its own sequence."""
    options = ready_models()
    st.selectbox("Ready models", [PICK, *options], format_func=lambda v: options.get(v, v),
                 key=keys.EXPLORE.ready_model,
                 on_change=_pick_ready,
                 help="Hand-set presets that do one readable thing, and small models trained on toy tasks. "
                      "Picking one fills the sequence box with an input that shows it.")


def model_panel(model: Model) -> None:
    """Which model is shown, how it reads text, what to look at, and the way back."""
    label, reads = (literal(model.label, 200), literal(model.reads, 300)) if model.from_file \
        else (model.label, model.reads)  # a file's name and its vocabulary's tokens are shown as they are spelt
    st.markdown(f"**{label}**")
    st.caption(f"Reads {reads}. The Network settings are fixed by this model.")
    if model.shown_note:
        st.caption(symbols_as_math(model.shown_note))
    st.button("Back to a drawn network", key=keys.EXPLORE.drop_model, on_click=_back_to_drawn,
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


def apply_preset() -> None:
    """The preset chosen in the page's menu becomes the model, with its sequence."""
    show_model(from_preset(st.session_state[keys.WEIGHTS.preset]))


# ----- editors and knobs ---------------------------------------------------------------------------
def _version() -> int:
    return int(st.session_state.setdefault(keys.WEIGHTS.version, 0))


def pending_edits(network: cells.Network, layer: int, direction: str, gate: str, features: list[str] | None,
                  tables: dict[str, pd.DataFrame] | None = None) -> tuple[cells.Network | None, str | None]:
    """What this gate's editors and knobs hold since the last run, applied: (new network or None, refusal).
    ``tables`` are the gate's ``edit_tables`` in ``network``, when the caller has them already."""
    symbol = cells.gate_info(cell_of(network, layer, direction).FAMILY, gate).symbol
    changed = network
    knobs = st.session_state.setdefault(keys.WEIGHTS.knobs, {})
    for what, default in (("scale", 1.0), ("shift", 0.0)):
        key = keys.WEIGHTS.knob(what, layer, direction, gate)
        before = float(knobs.get(key, default))
        now = float(st.session_state.get(key, before))
        if now != before:
            changed = (scaled(changed, layer, direction, gate, now / before) if what == "scale"
                       else shifted(changed, layer, direction, gate, now - before))
            knobs[key] = now
    edited = changed
    tables = tables if tables is not None else edit_tables(cell_of(network, layer, direction), gate, features)
    for field, table in tables.items():
        state = st.session_state.get(keys.WEIGHTS.editor(field, layer, direction, gate, _version(), table.shape))
        rows = state.get("edited_rows") if isinstance(state, dict) else None
        if rows:
            what = f"{symbol} {'weights' if field == 'weights' else field.replace('_', ' ')}"
            try:
                edited = from_table(edited, layer, direction, gate, field, apply_edits(table, rows, what))
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
        st.session_state[keys.WEIGHTS.version] = _version() + 1  # the editors show the weights as they still are
        st.session_state[keys.WEIGHTS.edit_refused] = (_version(), (layer, direction, gate), refused)
    return edited is not None


def refusal(layer: int, direction: str, gate: str) -> str | None:
    """What the last edit of this gate's editors held that could not be used, said under them until the weights or
    the gate shown change: not once, since the editors' own reruns (a grid sends its state again) come after it."""
    said = st.session_state.get(keys.WEIGHTS.edit_refused)
    if not said:
        return None
    version, where, message = said
    if version != _version() or where != (layer, direction, gate):
        del st.session_state[keys.WEIGHTS.edit_refused]
        return None
    return message


def editors(cell: cells.Cell, layer: int, direction: str, gate: str, tables: dict[str, pd.DataFrame],
            on_edit: Callable[[], object] | None = None) -> None:
    """The gate's tables (``edit_tables``) as data editors; ``on_edit`` applies an edit (``apply_pending``)
    before the next run."""
    # The bias columns are pinned beside the row names: in sight however far a wide matrix scrolls. The cells are
    # text: a number column's editor turns typed letters into 0 (or None), which would read as a real edit.
    config = {c: st.column_config.TextColumn(c, pinned=c in BIAS_COLUMNS or None)
              for t in tables.values() for c in t.columns}
    config[INDEX_COLUMN] = st.column_config.Column(disabled=True)  # a row per unit: its name is not an input
    st.data_editor(shown_table(tables["weights"]),
                   key=keys.WEIGHTS.editor("weights", layer, direction, gate, _version(), tables["weights"].shape),
                   num_rows="fixed", column_config=config, on_change=on_edit)
    for field in cell.EXTRA:
        if field not in tables:
            continue
        st.caption(EXTRA_CAPTIONS.get(field, f"{field.replace('_', ' ').capitalize()}:"))
        key = keys.WEIGHTS.editor(field, layer, direction, gate, _version(), tables[field].shape)
        st.data_editor(shown_table(tables[field]), key=key, num_rows="fixed", column_config=config, on_change=on_edit)


def knobs(layer: int, direction: str, gate: str, symbol: str, on_edit: Callable[[], object] | None = None) -> None:
    """Scale the gate's matrix and shift its bias; each knob shows what it has applied so far."""
    applied = st.session_state.setdefault(keys.WEIGHTS.knobs, {})
    scale_key = keys.WEIGHTS.knob("scale", layer, direction, gate)
    shift_key = keys.WEIGHTS.knob("shift", layer, direction, gate)
    # Each knob's default is what it has applied, not left to the slider (whose default is its minimum): a browser
    # that loses its copy of a knob (a page replaced by an error) draws the default, and reports it back on the
    # next rerun as if the user had moved the knob to 0.1 or -10.
    st.slider(f"Scale W ({symbol}) by", *SCALE_RANGE, float(applied.get(scale_key, 1.0)), step=0.1, key=scale_key,
              on_change=on_edit, help="Multiplies every weight of this gate, hidden and input columns alike.")
    st.slider(f"Shift b ({symbol}) by", *SHIFT_RANGE, float(applied.get(shift_key, 0.0)), step=0.5, key=shift_key,
              on_change=on_edit,
              help="Adds to every unit's bias. Forget-gate bias +3 makes an LSTM remember longer from the start.")


ACTIVATION_LABELS = {"sigmoid": "σ, the logistic sigmoid", "hard_sigmoid": "σ̂, Keras 2's hard sigmoid",
                     "hard_sigmoid_relu6": "σ̂₆, Keras 3's hard sigmoid (relu6)"}


def _set_activation(base: Model) -> None:
    name = st.session_state[keys.WEIGHTS.gate_activation]
    if name != base.network.gate_activation:
        commit(base, base.network.with_gate_activation(name))


def _set_head(model: Model) -> None:
    what = st.session_state[keys.WEIGHTS.head_predicts]
    use_model(dataclasses.replace(model, loaded=model.loaded.predicting(what)))


def computation(base: Model, model: Model | None) -> None:
    """How the model computes, where it has a choice: what squashes its σ gates (σ, or the hard sigmoid a
    Keras model was trained with), and whether a file's head predicts classes or values."""
    network = base.network
    has_sigmoid = all(cell.SIGMOID for layer in network.layers for cell in layer.cells)
    head = model.loaded.head if model is not None and model.loaded is not None else None
    if not has_sigmoid and head is None:
        return
    left, right = st.columns(2)
    if has_sigmoid and network.gate_activation in ACTIVATION_LABELS:
        st.session_state[keys.WEIGHTS.gate_activation] = network.gate_activation  # the model's, until changed
        left.selectbox("Gate activation (what σ is)", list(ACTIVATION_LABELS), key=keys.WEIGHTS.gate_activation,
                       format_func=lambda n: f"{ACTIVATION_LABELS[n]}: {GATE_ACTIVATIONS[n].formula}",
                       on_change=_set_activation, args=(base,),
                       help="The model's own, as its file says. Keras trained LSTMs and GRUs with a hard sigmoid "
                            "until 2.3: choose it for a model whose file does not say so.")
    if head is not None:
        st.session_state[keys.WEIGHTS.head_predicts] = "values" if head.predicts_value else "classes"
        right.radio("The head's outputs are", ("classes", "values"), key=keys.WEIGHTS.head_predicts,
                    horizontal=True, on_change=_set_head, args=(model,),
                    format_func=lambda w: "classes (softmax)" if w == "classes" else "values (a regression)",
                    help="Class scores become probabilities; values are the predictions themselves.")


def commit(base: Model, network: cells.Network) -> Model:
    """Make the edited ``network`` the current model; the editors start again from its weights."""
    label = base.label if base.label.endswith("(edited)") else f"{base.label} (edited)"
    model = base.edited(network, label=label)
    use_model(model)
    st.session_state[keys.WEIGHTS.version] = _version() + 1
    st.session_state.pop(keys.WEIGHTS.edit_error, None)
    return model


def reset(model: Model) -> None:
    """Back to the weights the model had before any edit."""
    if model.original is not None:
        label = model.label.removesuffix(" (edited)")
        use_model(dataclasses.replace(model, network=model.original, label=label, original=None))
    forget_edits()


def redraw(base: Model) -> None:
    """New random weights of the same shape, drawn with the seed box's seed."""
    seed = int(st.session_state.get(keys.WEIGHTS.seed, 1))
    n = base.network
    network = cells.Network.create(n.kind, n.input_size, n.hidden_size, num_layers=len(n.layers),
                                   bidirectional=n.bidirectional, seed=seed, state_size=n.state_size)
    forget_edits()
    commit(base, network)
