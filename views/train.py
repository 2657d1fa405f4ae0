"""Train: teach a small network a toy task in NumPy, watch it learn, then look inside it."""

from __future__ import annotations

import numpy as np
import streamlit as st

import cells
from cells.learning.train import model_bytes
from ui.gateview import show_gate_view
from ui.handoff import send
from ui.palette import current_palette
from ui.sequence_input import sequence_box
from ui.tables import chart
from ui.training import (
    TRAIN_CURSOR,
    LiveProgress,
    collect_training,
    compare_live,
    fresh_accuracy,
    load_pretrained,
    show_model,
    train_controls,
    train_defaults,
    train_live,
    train_on_page,
    typed_view,
    watch_cursor,
)
from viz.training import compare_curves, final_accuracies, learning_curves, prediction_figure, prediction_table
from workbench import keys
from workbench.literal import literal
from workbench.training import (
    COMPARE_KINDS,
    MAX_TYPED,
    Handover,
    chance,
    explore_model,
    from_comparison,
    from_result,
    pretrained_labels,
    problems,
)

st.set_page_config(page_title="Gatescope · Train", layout="wide")  # the browser tab names the page
palette = current_palette()
train_defaults()
if not collect_training():
    st.warning("The last training run is still stopping; its model will show on the next click.")


def load_chosen() -> None:
    show_model(load_pretrained(st.session_state[keys.TRAIN.pretrained]))


def look_inside() -> None:
    comparison = st.session_state.get(keys.TRAIN.comparison)
    if comparison is not None and st.session_state[keys.TRAIN.look_inside] in comparison.results:
        show_model(from_comparison(comparison, st.session_state[keys.TRAIN.look_inside]))


st.title("Train a small network")
st.markdown("Pick a task and a cell, press **Train**, and watch the loss fall as backpropagation through time "
            "teaches the gates their jobs. Everything runs in NumPy, in your session.")

with st.sidebar:
    st.header("Or start from a trained model")
    names = pretrained_labels()
    st.selectbox("Shipped models", list(names), format_func=names.get, key=keys.TRAIN.pretrained)
    st.button("Load it", key=keys.TRAIN.load, on_click=load_chosen, width="stretch",
              help="No training: the model as shipped in assets/pretrained.")

settings = train_controls()
refused = problems(settings)
for message in refused:
    st.error(message)

go_col, compare_col, stop_col = st.columns([2, 3, 1])
train_clicked = go_col.button("Train", key=keys.TRAIN.go, type="primary", disabled=bool(refused), width="stretch")
compare_clicked = compare_col.button(
    "Compare cells: LSTM, GRU and plain RNN", key=keys.TRAIN.compare_go, disabled=bool(refused), width="stretch",
    help="Trains the three with the same task, hidden size, steps and seed, and overlays their curves.",
)
training = (train_clicked or compare_clicked) and not refused
stop_slot = stop_col.empty()  # enabled only while this run trains
stop_slot.button("Stop", key=keys.TRAIN.stop, disabled=not training, width="stretch",
                 help="Stops training and keeps the weights so far.")

if training:
    steps = int(settings.steps)
    task = settings.make_task()

    def train_one(box: Handover, progress: LiveProgress) -> BaseException | None:
        def draw(step: int, losses: np.ndarray, accuracies: np.ndarray) -> None:
            progress.draw(step, steps, f"Step {step:,} of {steps:,} · loss {losses[-1]:.4f} · "
                                       f"accuracy {accuracies[-1]:.0%}",
                          lambda: learning_curves(losses, accuracies, total_steps=steps, chance=chance(task),
                                                  title="Training…", palette=palette), keys.TRAIN.live(step))

        result, interrupted = train_live(settings, draw, wait=progress.waiting)
        if result is not None:  # None: stopped while it waited for a process
            box.trained = from_result(result, steps)  # the next run picks it up, even if this one was stopped
        return interrupted

    def train_three(box: Handover, progress: LiveProgress) -> BaseException | None:
        total = steps * len(COMPARE_KINDS)

        def draw(done: int, curves: list) -> None:
            progress.draw(done, total, f"{curves[-1].label}: step {(done - 1) % steps + 1:,} of {steps:,}",
                          lambda: compare_curves(curves, total_steps=steps, chance=chance(task), title="Training…",
                                                 palette=palette), keys.TRAIN.live(done, compared=True))

        comparison, interrupted = compare_live(settings, draw, wait=progress.waiting)
        if comparison.results:  # none: stopped while the first waited for a process
            box.comparison = comparison
        return interrupted

    if train_clicked:
        train_on_page("Training…", "**Stop**, or any other click on the page, ends training and keeps the weights "
                      "so far.", train_one)
    else:
        train_on_page("Training LSTM, GRU and plain RNN…", "**Stop**, or any other click on the page, ends training "
                      "and keeps the curves so far.", train_three)
    # Training has finished: nothing left to stop (a widget's key is used once a run, so this is another button).
    stop_slot.button("Stop", key=keys.TRAIN.stopped, disabled=True, width="stretch", help="Training has finished.")

comparison = st.session_state.get(keys.TRAIN.comparison)
if comparison is not None:
    st.header("LSTM, GRU and plain RNN")
    s = comparison.settings
    task = comparison.task
    chart(compare_curves(comparison.curves, total_steps=int(s.steps), chance=chance(task),
                         title=f"{task.LABEL}: hidden size {s.hidden}, {s.steps:,} steps, seed {s.seed}",
                         palette=palette), key=keys.TRAIN.compare_chart)
    finals = final_accuracies(comparison.curves)
    summary = ", ".join(f"{label} {acc:.0%}" for label, acc in finals.items())
    note = f" (a coin flip gets {chance(task):.0%})" if chance(task) else ""
    st.markdown(f"Accuracy at the end of training: {summary}{note}.")
    if not comparison.complete:
        st.warning("Stopped before every cell finished: the curves show the steps done.")
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    pick.selectbox("Look inside one of them", list(comparison.results), key=keys.TRAIN.look_inside,
                   format_func=lambda k: cells.KINDS[k].LABEL)
    go.button("Show it below", key=keys.TRAIN.look_inside_go, on_click=look_inside, width="stretch")

trained = st.session_state.get(keys.TRAIN.result)
if trained is None:
    st.info("No model yet: press **Train**, load a shipped model from the sidebar"
            + (", or look inside one of the compared cells." if comparison is not None else "."))
    st.stop()

st.header(trained.label)
{"finished": st.success, "stopped": st.warning, "diverged": st.error, "pretrained": st.info}[trained.status](
    trained.message)
if trained.status == "diverged":
    st.markdown("The loss stopped being a finite number, so training ended by itself. The model below has the last "
                "weights whose loss was finite; a smaller learning rate usually keeps the run stable.")
if trained.losses.size:
    chart(learning_curves(trained.losses, trained.accuracies, total_steps=trained.total_steps,
                          chance=chance(trained.task), title=f"Learning curve: {trained.label}",
                          palette=palette), key=keys.TRAIN.curve)
loss, accuracy = fresh_accuracy(trained, trained.ident)
st.markdown(f"On 256 fresh sequences of the task: **{accuracy:.1%}** right (loss {loss:.4f}).")
if trained.note:
    st.markdown(trained.note)

st.subheader("Run your own sequence through it")
task = trained.task
text = sequence_box(f"Sequence for the {task.LABEL.lower()} task (up to {MAX_TYPED} steps)", keys.TRAIN.text,
                    rows=1, help=task.DESCRIPTION)
run, shown_text, problem = typed_view(trained, text)
if problem:
    kept = " Showing the last sequence that worked." if run is not None else ""
    st.error(f"Sequence: {literal(problem, 2_000)}.{kept}")  # it quotes the typed text, shown as typed
if run is not None:
    watch_cursor(trained)
    show_gate_view(run.trace, run.encoded.tokens, run.encoded.features, key=keys.TRAIN.cursor.view, k=TRAIN_CURSOR,
                   palette=palette, watch=trained.watch)
    chart(prediction_figure(run.predictions, palette=palette), key=keys.TRAIN.predictions,
          config={"displayModeBar": False})
    if task.AT == "last":
        st.caption("This task is answered once, at the last step; each column shows what the model would answer "
                   "if the sequence ended there.")
    table = st.expander("Predictions as a table", key=keys.TRAIN.table_open, on_change="rerun")
    if table.open:  # a lazy expander: closed, the table is not built
        with table:
            st.dataframe(prediction_table(run.predictions), hide_index=True)

explore_col, compare_col, download_col = st.columns(3)
if explore_col.button("Open in Explore", key=keys.TRAIN.explore, type="primary", width="stretch",
                      help="Explore shows every gate step by step, with the lecture's equations."):
    send("explore", explore_model(trained, shown_text))
    st.switch_page("views/explore.py")
if compare_col.button("Put it in Compare (pane A)", key=keys.TRAIN.to_compare, width="stretch",
                      help="Compare runs it next to another model or input."):
    send("compare", explore_model(trained, shown_text))  # Compare's pane A shows it
    st.switch_page("views/compare.py")
download_col.download_button("Download the model (.npz)", lambda: model_bytes(trained.model),
                             file_name=f"gatescope-{trained.model.network.kind}-{task.NAME}.npz",
                             mime="application/octet-stream", key=keys.TRAIN.download, on_click="ignore",
                             width="stretch")
