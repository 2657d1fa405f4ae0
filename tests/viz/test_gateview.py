"""The gate view's data, as the browser receives it: built from a Trace and packed, checked without a browser."""

from __future__ import annotations

import numpy as np
import pytest

import cells
from cells import encode
from viz import equations as eqs
from viz.gateview import GateView, ViewPanel, gate_view, pack, panel_view, unpack
from viz.heatmap import heatmap_names
from viz.style import colour_range

TEXT = encode.one_hot("hello world")


def trace(kind: str = "lstm", hidden: int = 4, xs: np.ndarray = TEXT.xs, **kw: object) -> cells.Trace:
    network = cells.Network.create(kind, xs.shape[1], hidden, seed=0, **kw)
    return network.run(xs).layers[0].forward


def view_of(shown: cells.Trace, tokens: tuple[str, ...] = TEXT.tokens, features: tuple[str, ...] = TEXT.features,
            **kw: object) -> GateView:
    return gate_view(shown, tokens, features, **kw)


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_a_small_view_packs_every_array_exactly_and_names_every_panel(kind: str) -> None:
    t = trace(kind)
    header, arrays = unpack(pack(view_of(t)))
    assert header["precision"] == "f8"
    assert [p["name"] for p in header["panels"]] == ["inputs", *heatmap_names(t)]
    np.testing.assert_array_equal(arrays["inputs"], t.inputs)
    for name in heatmap_names(t):
        np.testing.assert_array_equal(arrays[name], t.values[name])
    assert header["labels"] == ["0·h", "1·e", "2·l", "3·l", "4·o", "5·␣", "6·w", "7·o", "8·r", "9·l", "10·d"]
    assert header["steps"] == 11 and header["units"] == 4


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_slot_of_the_equations_is_sent_or_derived_from_a_sent_state(kind: str) -> None:
    t = trace(kind)
    header, arrays = unpack(pack(view_of(t)))
    assert [e["lhs"] for e in header["equations"]] == [eqs.html(e.lhs) for e in eqs.equations(kind)]
    wanted = eqs.slot_values(kind, t.values, t.pre, t.previous_hidden, t.previous_cell)
    for slot, values in wanted.items():
        if slot in header["previous"]:  # h_{t-1}, C_{t-1}: the browser shifts the state it has
            state = header["previous"][slot]
            shifted = np.concatenate([np.array(header["initial"][state])[None], arrays[state][:-1]])
            np.testing.assert_array_equal(shifted, values)
        else:
            np.testing.assert_array_equal(arrays[slot], values)


def test_a_backward_direction_says_so_and_its_previous_state_is_the_next_step() -> None:
    network = cells.Network.create("gru", TEXT.input_size, 3, seed=1, bidirectional=True)
    back = network.run(TEXT.xs).layers[0].backward
    header, arrays = unpack(pack(view_of(back)))
    assert header["reverse"] and header["previous"] == {"prev.hidden": "hidden"}
    np.testing.assert_array_equal(arrays["hidden"][1:], back.previous_hidden[:-1])  # h_{t-1} is h_{t+1} here


def test_sizes_stay_inside_the_payload_budgets_with_precision_stepping_down() -> None:
    rng = np.random.default_rng(0)
    mid = trace("lstm", 32, rng.normal(size=(100, 20)))
    data = pack(view_of(mid, tuple("x" * 100), tuple(str(i) for i in range(20))))
    header, arrays = unpack(data)
    assert len(data) <= 300_000 and header["precision"] == "f4"
    np.testing.assert_allclose(arrays["forget"], mid.values["forget"], rtol=1e-6)
    big = trace("lstm", 64, rng.normal(size=(2000, 8)))
    data = pack(view_of(big, tuple("y" * 2000), tuple(str(i) for i in range(8))))
    header, arrays = unpack(data)
    assert len(data) <= 3_000_000 and header["precision"] == "f2"
    np.testing.assert_allclose(arrays["cell"], big.values["cell"], atol=2e-3 * max(1, np.abs(big.values["cell"]).max()))


def test_equal_views_pack_to_equal_bytes_and_a_new_start_is_a_new_view() -> None:
    t = trace()
    assert pack(view_of(t)) == pack(view_of(t))
    moved = unpack(pack(view_of(t, t=3, unit=2)))[0]
    assert moved["id"] != unpack(pack(view_of(t)))[0]["id"] and (moved["t"], moved["unit"]) == (3, 2)
    far = unpack(pack(view_of(t, t=99, unit=-5)))[0]
    assert (far["t"], far["unit"]) == (10, 0)  # clamped into the trace


def test_colour_scales_are_the_fixed_ranges_and_units_are_ordered_by_activity() -> None:
    t = trace("lstm", 6)
    header, _ = unpack(pack(view_of(t)))
    scales = {p["name"]: p["scale"] for p in header["panels"]}
    assert (scales["forget"]["min"], scales["forget"]["max"]) == (0.0, 1.0)
    assert (scales["hidden"]["min"], scales["hidden"]["max"]) == (-1.0, 1.0)
    bound = colour_range("lstm", "cell", t.values["cell"]).zmax
    assert (scales["cell"]["min"], scales["cell"]["max"]) == (-bound, bound)
    assert all(len(s["stops"]) == 11 and all(len(c) == 3 for c in s["stops"]) for s in scales.values())
    spread = np.std(t.values["hidden"], axis=0)
    assert list(np.diff(spread[header["activity"]]) <= 0) == [True] * 5


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_the_diagram_has_a_box_for_every_value_it_colours(kind: str) -> None:
    t = trace(kind)
    boxes = unpack(pack(view_of(t)))[0]["diagram"]["boxes"]
    assert len(boxes) == len(cells.KINDS[kind].SHOWN)  # one box per gate and state the view shows
    assert {b["name"] for b in boxes} <= set(t.values)


def test_bad_tokens_or_features_are_refused_with_what_was_expected() -> None:
    t = trace()
    with pytest.raises(ValueError, match="tokens: expected 11"):
        view_of(t, tokens=("a", "b"))
    with pytest.raises(ValueError, match="features: expected 8"):
        view_of(t, features=("a",))
    with pytest.raises(ValueError, match="not a packed view"):
        unpack(b"nope" + bytes(8))


def test_a_panel_view_keeps_empty_slots_in_place_and_checks_lengths() -> None:
    t = trace()
    crange = colour_range("lstm", "forget")
    view = panel_view([ViewPanel("keep", "f_t", "keeps", crange, t.values["forget"]),
                       ViewPanel("none", "", "no such gate", None, None, note="Pane B has none.")],
                      TEXT.tokens, label="A", columns=1)
    header, arrays = unpack(pack(view))
    assert [p.get("empty", False) for p in header["panels"]] == [False, True]
    assert list(arrays) == ["keep"] and not header["side"] and header["columns"] == 1
    with pytest.raises(ValueError, match="expected 11 steps"):
        panel_view([ViewPanel("keep", "f_t", "keeps", crange, t.values["forget"][:3])], TEXT.tokens, label="A")


def test_equation_templates_turn_into_html_with_their_slots_kept() -> None:
    assert eqs.html(r"\tilde{C}_t") == "C̃<sub>t</sub>"
    assert eqs.html(r"\sigma(W_f \cdot [h_{t-1}, x_t] + b_f)") == \
        "σ(W<sub>f</sub> · [h<sub>t-1</sub>, x<sub>t</sub>] + b<sub>f</sub>)"
    assert eqs.html(r"%{forget:f} \cdot %{candidate_hidden}") == "%{forget:f} · %{candidate_hidden}"
    assert eqs.html(r"\Delta C_t") == "ΔC<sub>t</sub>"
    assert eqs.html("a < b & c") == "a &lt; b &amp; c"
