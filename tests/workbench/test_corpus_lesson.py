"""The code-unit lesson stop: its committed record is what the census finds now, and its words quote it."""

from __future__ import annotations

import pytest

from cells.corpus import census
from workbench import corpus_lesson, lessons


def test_the_committed_record_is_what_the_census_finds_in_the_shipped_model_now() -> None:
    committed = corpus_lesson.record()
    assert committed is not None, "lessons/code-unit.json is missing: python -m workbench.corpus_lesson"
    if committed["model"] != corpus_lesson.lesson_model()["name"]:
        pytest.fail(f"lessons/code-unit.json was made for {committed['model']}, but the stop is now built on "
                    f"{corpus_lesson.lesson_model()['name']}: run python -m workbench.corpus_lesson")
    assert corpus_lesson.find() == committed


def test_the_stops_unit_is_clear_and_its_ablation_confirms_it() -> None:
    r = corpus_lesson.record()  # the words say the unit "came out on top" and what holding it did: both must hold
    score = r["score"]
    strength = abs(score) / census.R_CLEAR if r["measure"] == "r" else (score - 0.5) / (census.AUC_CLEAR - 0.5)
    finding = census.Finding(r["layer"], "forward", r["state"], r["unit"], r["concept"], r["measure"], score,
                             r["sign"], strength, r["loss_rise_on"], r["loss_rise_off"])
    assert finding.clear and finding.confirmed, r


def test_the_stop_comes_after_the_lstm_stops_and_its_words_quote_the_census() -> None:
    slugs = [s.slug for s in lessons.STOPS]
    assert slugs.index("code-unit") == slugs.index("output-gate") + 1
    r = corpus_lesson.record()
    stop = lessons.BY_SLUG["code-unit"]
    words = stop.explanation
    assert f"Unit {r['unit']} of $C_t$ in layer {r['layer'] + 1}" in words
    assert f"{r['score']:.2f}".replace("-", "−") in words
    assert corpus_lesson.concept_label(r["concept"]) in words
    assert f"unit={r['layer']}.cell.{r['unit']}" in words
    shown = lessons.show(stop)
    assert shown.trace.trace(r["layer"]).values["cell"].shape[1] > r["unit"]


def test_the_words_say_which_way_the_unit_moves_with_its_concept() -> None:
    low = {"measure": "auc", "sign": -1}
    assert corpus_lesson.sense_words(low) == "runs low where it holds and high elsewhere"
    assert corpus_lesson.sense_words({**low, "sign": 1}) == "runs high where it holds and low elsewhere"
    assert corpus_lesson.sense_words({"measure": "r", "sign": -1}) == "falls as it grows"
    r = corpus_lesson.record()
    assert corpus_lesson.sense_words(r) in lessons.BY_SLUG["code-unit"].explanation
