"""The head's predictions under or beside a gate view, one widget for every page that shows a model with a head:
the top predictions (or the predicted values) after the cursor's step, and one output's line over time.

The step is the gate view's: where the user stops its cursor (the browser's report) the slider follows, and the
slider moves the view's cursor. What is shown is ``workbench.model.head_outputs``; the tables and figures are
viz.predictions'.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.tables import chart
from viz.predictions import output_labels, predicted_values, token_probability, top_predictions, value_line
from viz.style import STANDARD, Palette
from workbench.keys import CursorKeys, PredictionKeys
from workbench.literal import literal
from workbench.model import HeadOutputs
from workbench.weights import is_position


def predictions_start(tokens: list[str], pk: PredictionKeys, cursor: CursorKeys, *, move_cursor: bool) -> None:
    """New text starts the predictions at its last step (call before the gate view); with ``move_cursor`` the
    view's cursor goes there too, else the predictions start where the cursor is."""
    state, T = st.session_state, len(tokens)
    if state.get(pk.of) == list(tokens) and is_position(state.get(pk.step), T):
        return
    state[pk.of] = list(tokens)
    if move_cursor:
        state[pk.step] = state[cursor.step] = T - 1
    else:
        at = state.get(cursor.step)
        state[pk.step] = at if is_position(at, T) else T - 1


def show_predictions(head: HeadOutputs, tokens: list[str], pk: PredictionKeys, cursor: CursorKeys,
                     palette: Palette = STANDARD, *, wide: bool = False) -> None:
    """What the head says after the chosen step, and one output over time; ``wide`` sets the table and the line
    side by side (under a gate view), else one above the other (in a column beside it)."""
    numbers = head.numbers
    T, K = numbers.shape
    predictions_start(tokens, pk, cursor, move_cursor=False)  # new text: start where the cursor is
    state = st.session_state
    reported = state.get(cursor.reported)
    if reported is not None and reported != state.get(pk.followed) and 0 <= reported[0] < T:
        state[pk.followed] = reported
        state[pk.step] = reported[0]
    if not is_position(state.get(pk.step), T):
        state[pk.step] = T - 1
    st.markdown("**What the model predicts**")

    def moved() -> None:  # the slider moved: the gate view's cursor goes there too
        state[cursor.step] = state[pk.step]

    step = st.slider("After step", 0, max(T - 1, 1), key=pk.step, disabled=T == 1, on_change=moved,
                     help="What the head says once the model has read the sequence up to this step; the gates' "
                          "cursor and this slider move together.")
    table_column, line_column = st.columns([2, 3]) if wide else (st.container(), st.container())
    labels = output_labels(K, head.labels)
    read = f"After reading {step}·{literal(tokens[step], 40)}"
    with table_column:
        if head.predicts_value:
            st.caption(f"{read}: the predicted value{'s' if K > 1 else ''} ŷ = W·h_t + b (a regression: no "
                       "probabilities).")
            with st.container(key=pk.table):
                st.table(predicted_values(numbers, tokens, step, head.labels))
        else:
            st.caption(f"{read}: the head's five likeliest outputs.")
            with st.container(key=pk.table):
                st.table(top_predictions(numbers, tokens, step, head.labels))
    with line_column:
        if not is_position(state.get(pk.output), K):
            state[pk.output] = 0 if head.predicts_value else int(np.argmax(numbers[step]))  # the likeliest, to start
        chosen = state[pk.output]
        if K > 1:
            chosen = st.selectbox("Follow the predicted value of" if head.predicts_value
                                  else "Follow the probability of", followable(numbers[step], chosen), key=pk.output,
                                  format_func=lambda k: labels[k])
        line = value_line if head.predicts_value else token_probability
        chart(line(numbers, tokens, chosen, head.labels, step, palette=palette), key=pk.line,
              config={"displayModeBar": False})


MAX_FOLLOWED = 200  # outputs the follow menu offers: a word model's 100,000 would all be sent on every rerun


def followable(at_step: np.ndarray, chosen: int) -> list[int]:
    """The outputs the menu offers: all of them for a small head, else the MAX_FOLLOWED likeliest (largest) at
    the step, with the one followed now, in output order."""
    K = len(at_step)
    if K <= MAX_FOLLOWED:
        return list(range(K))
    top = np.argpartition(-at_step, MAX_FOLLOWED - 1)[:MAX_FOLLOWED]
    return sorted({int(k) for k in top} | {int(chosen)})
