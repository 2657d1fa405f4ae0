"""The LSTM with projections on the pages (AppTest): C_t and the gates have H units, h_t has P numbers.

Explore draws it from the kind picker, with its seven equations and the h_t panel P rows tall; a PyTorch
model with proj_size uploaded on the Weights page runs there and in Explore; the Weights page edits W_hr.
(The step panel's numbers for a unit past h_t's end are checked in Chromium:
tests/browser/test_browser_gateview.py.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import cells
from tests.views import test_weights_page as weights
from tests.views.apptest import TIMEOUT, equations_latex, gate_view, open_view
from workbench import keys

MODELS = Path(__file__).parents[1] / "fixtures" / "models"


def test_explore_draws_it_from_the_picker_with_h_p_rows_tall() -> None:
    at = open_view("explore", **{keys.EXPLORE.first_view_shown: True})  # the drawn network, not the first view's model
    at.selectbox(key=keys.EXPLORE.net_kind).set_value("lstmp").run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    header, arrays = gate_view(at)
    H = header["units"]
    assert [p["name"] for p in header["panels"]] == ["inputs", "forget", "input", "candidate", "output", "cell",
                                                     "unprojected", "hidden"]
    rows = {p["name"]: p["rows"] for p in header["panels"]}
    assert rows["cell"] == rows["forget"] == H and rows["hidden"] == H // 2  # the picker's P = H // 2
    np.testing.assert_allclose(arrays["unprojected"], arrays["output"] * np.tanh(arrays["cell"]), atol=1e-12)
    assert len(header["equations"]) == 7 and header["equations"][-1]["result"] == "hidden"
    assert "unprojected" in [b["name"] for b in header["diagram"]["boxes"]]
    assert sorted(header["activity"]) == list(range(H))  # every unit can be ordered, not only h_t's rows
    latex = equations_latex(at)
    assert r"m_t &= o_t * \tanh(C_t)" in latex and r"h_t &= W_{hr} \cdot m_t" in latex


def test_an_uploaded_pytorch_model_with_proj_size_runs_on_weights_and_in_explore() -> None:
    at = weights.open_weights(text="the lazy fox")
    weights.upload(at, "lstmp_lm.safetensors", (MODELS / "lstmp_lm.safetensors").read_bytes())
    assert not weights.errors(at), weights.errors(at)
    network = weights.model(at).network
    assert network.kind == "lstmp" and (network.hidden_size, network.state_size) == (6, 3)
    assert weights.z(at, keys.WEIGHTS.chart("preview_forget")).shape[0] == 6
    held = " ".join(t.value for t in at.text)  # what the file held, as plain text
    assert "nn.LSTM lstm: 2 layers, bidirectional, 5 inputs, 6 units, projected to an h_t of 3 (proj_size)" in held
    at.switch_page("views/explore.py").run(timeout=TIMEOUT)
    assert not at.exception and not weights.errors(at), weights.errors(at)
    header, arrays = gate_view(at)
    assert header["label"] == cells.KINDS["lstmp"].LABEL
    assert arrays["cell"].shape[1] == 6 and arrays["hidden"].shape[1] == 3


def test_a_share_link_carries_the_default_p_and_refuses_one_of_its_own() -> None:
    from workbench.model_link import link_problem, weights_from_link, weights_to_link

    drawn = cells.Network.create("lstmp", 3, 6, seed=1)  # P = H // 2 = 3, what the link's header implies
    back = weights_from_link(weights_to_link(drawn))
    assert back.state_size == 3
    np.testing.assert_allclose(back.layers[0].forward.projection["hidden"],
                               drawn.layers[0].forward.projection["hidden"], atol=1e-6)  # float32 in the link
    own = cells.Network.create("lstmp", 3, 6, seed=1, state_size=2)
    assert "a size of its own" in link_problem(own)


def test_weights_edits_the_projection_and_the_h_t_heatmap_follows() -> None:
    at = weights.open_weights()
    at.session_state[keys.EXPLORE.net_kind] = "lstmp"
    at.run(timeout=TIMEOUT)
    assert not at.exception and not weights.errors(at)
    before = weights.z(at, keys.WEIGHTS.chart("preview_hidden"))
    assert before.shape[0] == 2  # hidden size 4: P = 2 rows of h_t
    weights.edit(at, "projection", {1: {"m0": 0.0, "m1": 0.0, "m2": 0.0, "m3": 0.0}}, (2, 4))
    assert not weights.errors(at), weights.errors(at)
    network = weights.model(at).network
    np.testing.assert_array_equal(network.layers[0].forward.projection["hidden"][1], 0.0)
    after = weights.z(at, keys.WEIGHTS.chart("preview_hidden"))
    assert np.all(after[1] == 0.0) and np.any(before[1] != 0.0)  # row 1 of h_t is W_hr's row 1 times m_t
