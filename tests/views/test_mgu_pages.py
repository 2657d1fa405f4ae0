"""The minimal gated unit on every page, from its module and one registry line alone (AppTest).

Explore shows its gates, equations and diagram; Compare lines its keep share 1 − f_t up with the
LSTM's f_t; Weights edits its two gates; Train trains it; Gradient flow plots the trained one.
"""

from __future__ import annotations

import numpy as np

import cells
from tests.views import test_compare as compare
from tests.views import test_weights_page as weights
from tests.views.apptest import TIMEOUT, chart, equations_latex, gate_view, open_view
from workbench import keys

LABEL = cells.KINDS["mgu"].LABEL


def test_explore_shows_its_gates_equations_and_diagram() -> None:
    at = open_view("explore", **{keys.EXPLORE.first_view_shown: True})  # the drawn network, not the first view's model
    at.selectbox(key=keys.EXPLORE.net_kind).set_value("mgu").run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    header, arrays = gate_view(at)  # what the browser gets
    assert [p["name"] for p in header["panels"]] == ["inputs", "forget", "candidate", "hidden"]
    assert [p["title"] for p in header["panels"]][1:] == ["forget gate", "candidate hidden state",
                                                          "hidden state (the output)"]
    assert np.all((arrays["forget"] > 0) & (arrays["forget"] < 1)) and arrays["forget"].shape == (11, 8)
    assert len(header["equations"]) == 3
    latex = equations_latex(at)
    assert r"\tilde{h}_t &= \tanh(W_h \cdot [f_t * h_{t-1}, x_t] + b_h)" in latex
    assert r"h_t &= (1 - f_t) * h_{t-1} + f_t * \tilde{h}_t" in latex
    assert "one forget gate does the GRU's two jobs" in " ".join(c.value for c in at.caption)


def test_compare_lines_its_keep_share_up_with_the_lstms_forget_gate() -> None:
    at = compare.open_page(state={keys.COMPARE.pane("b", "kind"): "mgu"})
    assert not compare.errors(at)
    shown = compare.side(at)
    assert shown["keep_a"]["symbol"] == "f<sub>t</sub>"
    assert shown["keep_b"]["symbol"] == "1 − f<sub>t</sub>" and "keep share (derived)" in shown["keep_b"]["title"]
    assert shown["new_b"]["symbol"] == "f<sub>t</sub>"
    mgu = compare.engine("mgu", "hello world").layers[0].forward
    np.testing.assert_allclose(shown["keep_b"]["values"], 1.0 - mgu.values["forget"], atol=1e-15)
    np.testing.assert_array_equal(shown["new_b"]["values"], mgu.values["forget"])
    assert "1 − f_t is the share of h_{t−1} kept (MGU)" in compare.notes(at)
    assert "other_a" in shown and "other_b" not in shown  # the LSTM's o_t has no MGU counterpart


def test_weights_edits_its_forget_gate_and_the_heatmap_follows() -> None:
    at = weights.open_weights()
    at.session_state[keys.EXPLORE.net_kind] = "mgu"
    at.run(timeout=TIMEOUT)
    assert not at.exception and not weights.errors(at)
    assert list(at.radio(key=keys.WEIGHTS.gate).options) == ["f_t forget", "h̃_t candidate"]
    before = weights.z(at, keys.WEIGHTS.chart("preview_forget"))
    weights.edit(at, "weights", {2: {"b": -40.0}}, (4, 13))  # [W | b]: the bias is the last column
    after = weights.z(at, keys.WEIGHTS.chart("preview_forget"))
    assert np.all(after[2] < 1e-3) and np.any(before[2] > 0.05)
    np.testing.assert_array_equal(after[[0, 1, 3], 0], before[[0, 1, 3], 0])  # other units, before h_{t-1} mixes them
    assert weights.model(at).label == f"Drawn {LABEL} (edited)"


def test_train_trains_it_and_gradient_flow_plots_the_trained_unit() -> None:
    at = open_view("train", **{keys.TRAIN.kind: "mgu", keys.TRAIN.steps: 30})
    at.button(keys.TRAIN.go).click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert any("Trained for 30 steps" in m.value for m in at.success)
    result = at.session_state[keys.TRAIN.result]
    assert result.model.network.kind == "mgu" and result.losses.size == 30

    at.switch_page("views/gradient_flow.py").run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    fig = chart(at, keys.FLOW.own_chart)
    assert [t["name"] for t in fig["data"]] == [f"your {LABEL}: ‖∂h_T/∂h_t‖"]
    assert fig["layout"]["yaxis"]["type"] == "log"
