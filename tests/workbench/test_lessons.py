"""The Lessons stops as data: each is complete, runs, and its "try this" control does what its prompt says."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from cells.dynamics import first_bit_settling, time_constant
from cells.gradflow import gradient_flow
from cells.learning.train import load_model
from viz.heatmap import gate_heatmap
from viz.lessons import for_projector, projector_height
from workbench import corpus_lesson, lesson_text
from workbench.lessons import BY_SLUG, STOPS, Shown, Stop, find, panel_trace, quote, show
from workbench.model import PRETRAINED

DECK_ORDER = ["rnn-forgets", "conveyor-belt", "forget-gate", "input-gate", "cell-update", "output-gate", "code-unit",
              "settles", "gru", "peephole", "coupled-gate", "bidirectional", "deep"]


def unit0(shown: Shown, name: str, layer: int = 0, direction: str = "forward") -> np.ndarray:
    """Gate or state ``name`` of unit 0 over time."""
    trace = shown.trace.layers[layer]
    trace = trace.backward if direction == "backward" else trace.forward
    return trace.values[name][:, 0]


def test_the_stops_follow_the_deck_and_have_link_safe_names() -> None:
    assert [s.slug for s in STOPS] == DECK_ORDER
    for stop in STOPS:
        assert re.fullmatch(r"[a-z][a-z-]*", stop.slug)


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.slug)
def test_every_stop_has_words_an_equation_a_model_an_input_and_a_control(stop: Stop) -> None:
    assert stop.title and len(stop.explanation) > 200 and stop.try_this
    assert r"\colorbox" in stop.equation  # the term the stop is about is highlighted
    scene = stop.build()
    assert scene.model.network is not None and scene.text
    k = stop.knob
    assert k.low <= k.default <= k.high and k.step > 0 and k.label
    shown = show(stop)
    T = len(shown.encoded.tokens)
    assert shown.trace.layers[0].forward.steps == T and 0 <= stop.cursor < T
    for panel in stop.panels:
        if panel.name != "gradient":
            trace = panel_trace(shown, panel)
            assert panel.name in trace.values
            assert 0 <= stop.unit < trace.hidden_size


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.slug)
def test_every_try_this_control_changes_what_the_stop_draws(stop: Stop) -> None:
    k = stop.knob
    other = k.high if k.default != k.high else k.low
    before, after = show(stop), show(stop, other)
    if stop.panels[0].name == "gradient":
        assert not np.allclose(before.flows[1].cell, after.flows[1].cell)
        return
    changed = [not np.allclose(panel_trace(before, p).values[p.name], panel_trace(after, p).values[p.name])
               for p in stop.panels]
    assert any(changed), f"{stop.slug}: moving the control to {other} changes none of its heatmaps"


def test_the_settling_stop_says_the_first_bit_lstm_keeps_its_bit_in_one_of_two_stable_points() -> None:
    stop = BY_SLUG["settles"]
    settling = first_bit_settling(load_model(PRETRAINED / MANIFEST["first_bit_lstm"]["file"]))
    stable = [k for k, p in enumerate(settling.found.points) if p.stable]
    assert len(stable) == 2 and sorted(settling.ends) == stable  # each bit's run ends in its own stable point
    words = stop.explanation
    assert f"finds {len(settling.found.points)}, of which 2 are stable" in words
    for end in settling.ends:
        assert f"{settling.found.points[end].spectral_radius:.3f}" in words
    scene = stop.build()
    assert stop.knob.default == scene.model.network.layers[0].forward.biases["forget"][stop.unit]
    assert stop.unit == scene.model.watch


def test_lowering_the_watched_forget_bias_keeps_the_cell_near_zero() -> None:
    # the settling stop's prompt: at the knob's low end C_t no longer climbs
    stop = BY_SLUG["settles"]
    built, low = show(stop), show(stop, stop.knob.low)
    assert np.abs(unit_of(built, "cell", stop.unit)).max() > 5
    assert np.abs(unit_of(low, "cell", stop.unit)).max() < 1 and unit_of(low, "forget", stop.unit).max() < 0.05


def unit_of(shown: Shown, name: str, unit: int) -> np.ndarray:
    return shown.trace.layers[0].forward.values[name][:, unit]


def test_hostile_or_unknown_stop_names_find_nothing() -> None:
    for raw in ("", "Forget-Gate", "<script>alert(1)</script>", "../explore", "forget-gate ", None, 3, ["gru"]):
        assert find(raw) is None
    assert find("forget-gate") is BY_SLUG["forget-gate"]


# ----- each prompt, checked on the numbers -------------------------------------------------------------

def test_forget_bias_minus_3_makes_the_count_fade() -> None:
    stop = BY_SLUG["forget-gate"]
    text = stop.build().text
    kept, faded = show(stop), show(stop, -3.0)
    assert unit0(kept, "cell")[-1] == pytest.approx(text.count("a"), abs=1e-6)  # C_t counts every 'a'
    f = unit0(faded, "forget")
    assert np.allclose(f, 1 / (1 + np.exp(3)), atol=1e-6)  # f_t = σ(−3) ≈ 0.047
    c = unit0(faded, "cell")
    after_b = [t for t in range(1, len(text)) if text[t] == "b" and text[t - 1] == "b"]
    assert after_b and all(c[t] < 0.06 for t in after_b)  # two b's after an 'a': almost nothing left
    assert c.max() < 1.1  # it never counts past one


def test_conveyor_belt_leaks_when_the_forget_gate_is_lowered() -> None:
    stop = BY_SLUG["conveyor-belt"]
    held, leaky = unit0(show(stop), "cell"), unit0(show(stop, 2.0), "cell")
    assert np.allclose(held, held[0]) and held[0] == pytest.approx(np.tanh(0.8))
    assert abs(leaky[-1]) < 0.2 * abs(leaky[0])


def test_an_open_input_gate_writes_every_value() -> None:
    stop = BY_SLUG["input-gate"]
    shut, open_ = show(stop), show(stop, 20.0)
    assert np.all(unit0(open_, "input") > 0.999)
    c, c_shut = unit0(open_, "cell"), unit0(shut, "cell")
    # step 2 has no marker: only the open gate writes there
    assert c_shut[2] == pytest.approx(c_shut[1], abs=1e-6) and abs(c[2] - c[1]) > 0.1


def test_a_positive_weight_on_close_bracket_counts_brackets() -> None:
    stop = BY_SLUG["cell-update"]
    text = stop.build().text
    assert unit0(show(stop), "cell")[-1] == pytest.approx(0, abs=1e-6)  # balanced: depth 0 at the end
    assert unit0(show(stop, 10.0), "cell")[-1] == pytest.approx(text.count("(") + text.count(")"), abs=1e-5)


def test_an_open_output_gate_shows_the_depth_everywhere() -> None:
    stop = BY_SLUG["output-gate"]
    text = stop.build().text
    shut, open_ = show(stop), show(stop, 20.0)
    h = unit0(shut, "hidden")
    assert all(abs(h[t]) < 1e-6 for t, ch in enumerate(text) if ch != "a")
    assert np.allclose(unit0(open_, "hidden"), np.tanh(unit0(open_, "cell")), atol=1e-6)


def test_an_open_update_gate_makes_the_gru_follow_its_input() -> None:
    stop = BY_SLUG["gru"]
    shown = show(stop, 20.0)
    assert np.allclose(unit0(shown, "hidden"), np.tanh(shown.encoded.xs[:, 0]), atol=1e-6)


def test_peephole_output_gate_opens_from_depth_one_with_bias_minus_10() -> None:
    stop = BY_SLUG["peephole"]
    for bias, depth in ((None, 2), (-10.0, 1)):
        shown = show(stop, bias)
        c, o = unit0(shown, "cell"), unit0(shown, "output")
        assert np.array_equal(o > 0.5, c >= depth - 1e-6)


def test_coupled_gate_input_mirrors_forget() -> None:
    stop = BY_SLUG["coupled-gate"]
    for value in (None, 0.0):
        shown = show(stop, value)
        assert np.allclose(unit0(shown, "input"), 1 - unit0(shown, "forget"))
    marker = show(stop, 0.0).encoded.xs[:, 1]
    assert np.allclose(unit0(show(stop, 0.0), "forget")[marker == 0], 0.5)


def test_the_backward_cell_knows_the_last_number_from_step_0() -> None:
    stop = BY_SLUG["bidirectional"]
    before, after = show(stop), show(stop, 0.5)
    assert np.allclose(unit0(after, "cell", direction="backward"), np.tanh(0.5))
    assert np.allclose(unit0(before, "cell"), unit0(after, "cell"))  # the forward cell never sees it first


def test_layer_two_counts_steps_at_depth_two_or_one() -> None:
    stop = BY_SLUG["deep"]
    for value, least in ((None, 2), (-70.0, 1)):
        shown = show(stop, value)
        depth = unit0(shown, "cell")
        assert unit0(shown, "cell", layer=1)[-1] == pytest.approx(np.sum(depth >= least - 1e-6), abs=0.05)


def test_lower_forget_biases_make_the_lstm_gradient_vanish() -> None:
    stop = BY_SLUG["rnn-forgets"]
    trained, lowered = show(stop), show(stop, -4.0)
    rnn, lstm = trained.flows
    assert rnn.hidden[0] < 1e-12 and lstm.cell[0] > 0.1  # 50 steps back: the RNN's is gone, the LSTM's is not
    assert lowered.flows[1].cell[0] < 1e-6
    assert np.allclose(lowered.flows[0].hidden, rnn.hidden)  # the RNN is left as it was


def test_projector_figures_have_big_ticks_and_few_time_labels() -> None:
    stop = BY_SLUG["rnn-forgets"]
    shown = show(stop)
    trace = panel_trace(shown, stop.panels[1])
    fig = for_projector(gate_heatmap(trace, "hidden", cursor=0, tokens=shown.encoded.tokens),
                        height=projector_height(trace.hidden_size))
    assert fig.layout.xaxis.tickfont.size >= 18 and fig.layout.yaxis.tickfont.size >= 18
    assert fig.layout.hoverlabel.font.size >= 20 and fig.layout.font.size >= 22
    assert len(fig.layout.xaxis.tickvals) <= 12
    assert fig.layout.height >= 34 * trace.hidden_size


def test_knob_labels_are_plain_words_a_screen_reader_can_say() -> None:
    # the label is the slider's accessible name: $…$ or TeX would be read out raw
    for stop in STOPS:
        assert not any(c in stop.knob.label for c in "$\\{}_"), stop.knob.label


# ----- the words: lessons/<slug>.md, the numbers they quote filled from the models ----------------------------
_MANIFEST = json.loads((PRETRAINED / "manifest.json").read_text())
MANIFEST = {m["name"]: m for m in _MANIFEST["models"]}
TEXT_MODELS = {**MANIFEST, **{m["name"]: m for m in _MANIFEST.get("corpus_models", [])}}  # the code models too


def expected_number(stop: Stop, name: str) -> float:
    """What a placeholder must say, looked up here on its own: the manifest, the built model's arrays, a
    gradient flow computed afresh."""
    scene = stop.build()
    head, *rest = name.split(".")
    if head in MANIFEST:
        if rest == ["accuracy"]:
            return MANIFEST[head]["accuracy"]
        return getattr(load_model(PRETRAINED / MANIFEST[head]["file"]).task, rest[0])
    if head == "knob":
        return getattr(stop.knob, rest[0])
    if head.startswith("layer"):
        cell = scene.model.network.layers[int(head[5:]) - 1].forward
        gate, what, *column = rest
        if what == "bias":
            return cell.biases[gate][stop.unit]
        if what == "peephole":
            return cell.peepholes[gate][stop.unit, stop.unit]
        features = scene.model.inputs(scene.text).features if head == "layer1" else ()
        index = features.index(column[0]) if column[0] in features else int(column[0][1:]) - 1
        return cell.weights[gate][stop.unit, cell.state_size + index]
    if head == "gradient":
        model = next(m for m in (scene.model, scene.compare) if m is not None and m.network.kind == rest[0])
        return gradient_flow(model.network.layers[0].forward, model.inputs(scene.text).xs).hidden[0]
    if head == "settling":  # the fixed points of the shipped model, searched here afresh
        settling = first_bit_settling(load_model(PRETRAINED / MANIFEST[scene.model.source.split(":")[1]]["file"]))
        points = settling.found.points
        if rest[0] in ("points", "stable", "unstable"):
            n_stable = sum(p.stable for p in points)
            return {"points": len(points), "stable": n_stable, "unstable": len(points) - n_stable}[rest[0]]
        p = points[settling.ends[int(rest[0][3])]]
        radius = float(np.max(np.abs(p.eigenvalues)))
        return {"eigenvalue": radius, "steps": time_constant(radius), "slow": len(p.slow())}[rest[1]]
    if head == "census":  # the code-unit stop: its record as committed, read here on its own
        r = json.loads(corpus_lesson.RECORD.read_text(encoding="utf-8"))
        code = bool(TEXT_MODELS[r["model"]].get("corpus"))
        return {"unit": r["unit"], "layer": r["layer"] + 1, "score": r["score"], "bias": r["forget_bias"],
                "concept": corpus_lesson.concept_label(r["concept"]),
                "measure": "AUC" if r["measure"] == "auc" else "r",
                "model": TEXT_MODELS[r["model"]]["label"], "ablation": corpus_lesson.ablation_words(r),
                "link": corpus_lesson.link(r), "read": corpus_lesson.text_words(r, code),
                "sense": corpus_lesson.sense_words(r)}[rest[0]]
    raise AssertionError(f"{stop.slug}: a placeholder this test does not know: {name}")


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.slug)
def test_every_stop_renders_and_each_quoted_number_is_the_model_s(stop: Stop) -> None:
    content = stop.content
    for template, shown in ((content.explanation, stop.explanation), (content.try_this, stop.try_this)):
        assert not lesson_text.placeholders(shown), shown  # every placeholder was filled
        expected = lesson_text.fill(template, lambda name: expected_number(stop, name), stop.slug)
        assert shown == expected


def test_the_gradient_stop_quotes_the_shipped_models_accuracy_as_the_manifest_has_it() -> None:
    text = BY_SLUG["rnn-forgets"].explanation
    assert f"({MANIFEST['first_bit_rnn']['accuracy']:.0%})" in text  # 0.4629 in the manifest: "46%"
    assert "10⁻¹⁸" in text or "10⁻" in text  # a power of ten, written as one


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.slug)
def test_the_control_starts_at_the_value_the_stop_is_built_with(stop: Stop) -> None:
    # "from {knob.default:g} to …" is true only if the knob's default is what the model holds
    scene = stop.build()
    again = stop.knob.apply(scene, stop.knob.default)
    assert again.text == scene.text
    for model, other in ((scene.model, again.model), (scene.compare, again.compare)):
        if model is None:
            continue
        for a, b in zip(model.network.layers, other.network.layers, strict=True):
            for ca, cb in zip(a.cells, b.cells, strict=True):
                for field, group in ca.parameters().items():
                    for gate, array in group.items():
                        np.testing.assert_array_equal(array, cb.parameters()[field][gate])


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.slug)
def test_no_number_a_model_holds_is_typed_by_hand_in_the_words(stop: Stop) -> None:
    source = (lesson_text.LESSONS / f"{stop.slug}.md").read_text()
    prose = source.split("## Equation")[0] + source.split("## Try this")[1]
    typed = {float(n) for n in re.findall(r"(?<![\w.{^_])\d+(?:\.\d+)?", lesson_text.PLACEHOLDER.sub("", prose))}
    network = stop.build().model.network
    held = {abs(float(v)) for layer in network.layers for cell in layer.cells  # the biases: what the words cite
            for array in cell.biases.values() for v in np.ravel(array)}
    held |= {round(100 * m["accuracy"]) for m in MANIFEST.values()} | {abs(stop.knob.default)}
    held -= {0.0, 1.0}  # "between 0 and 1", "step 0", "layer 1": words, not weights
    assert not typed & held, f"lessons/{stop.slug}.md types {sorted(typed & held)}: use a placeholder"


def test_a_stop_file_missing_a_part_or_naming_an_unknown_number_is_refused_naming_the_file() -> None:
    with pytest.raises(ValueError, match=r"lessons/x\.md: expected a section '## Equation'"):
        lesson_text.parse("# T\n\nWords.\n\n## Try this\n\nMore.\n", "lessons/x.md")
    stop = BY_SLUG["deep"]
    with pytest.raises(ValueError, match=r"lessons/deep\.md: \{nowhere\.accuracy:\.0%\}: no number is called"):
        lesson_text.fill("At {nowhere.accuracy:.0%}.", lambda n: quote(stop, show(stop), n), "lessons/deep.md")


def test_a_marked_term_becomes_a_coloured_box_and_rows_are_set_apart() -> None:
    content = lesson_text.parse("# T\n\nWords.\n\n## Equation\n\n$$\na = ==b==\n$$\n\n$$\nc\n$$\n\n## Try this\n\n"
                                "Go.\n", "t")
    assert content.equation == lesson_text.lines("a = " + lesson_text.mark("b"), "c")
