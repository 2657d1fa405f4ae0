"""The lesson stop after the LSTM stops: a real unit of a shipped text model, found by the census.

``python -m workbench.corpus_lesson`` runs the census of the shipped code model (the first manifest entry with a
``"corpus"``; until one is shipped, the first shipped text model over its own text) over the start of its
held-out text and writes ``lessons/code-unit.json``: the strongest clear C_t unit (on the code concepts when the
model reads code), its census numbers and a window of text where its concept holds. The stop's words quote
that record through placeholders ({census.unit}, {census.score:.2f}, …), so no number in them is typed by hand,
and a test checks that the record is what the census finds now.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from cells.corpus import LABELS, CorpusRun, Finding, model_digest, run_corpus
from cells.corpus.tracks import CODE
from cells.learning.tasks import TEXT
from viz.corpus import loss_change
from workbench import corpus as wc
from workbench.lesson_text import LESSONS

RECORD = LESSONS / "code-unit.json"
CHARACTERS = 60_000  # of the held-out text the census reads for the lesson
CODE_CONCEPTS = (*CODE, "string_or_comment")  # and Karpathy et al.'s cell that is on in either
WINDOW = 160  # characters the stop's gate view reads
STATE = "cell"  # Karpathy's cells: the stop looks for a C_t unit


def lesson_model() -> dict:
    """The manifest entry the stop is built on: the first code model, else the first shipped text model."""
    models = [e for e in wc.text_models() if e.get("kind") == "lstm"]
    if not models:
        raise ValueError("lesson: no shipped LSTM text model in assets/pretrained/manifest.json")
    return models[0]


def lesson_text(entry: dict) -> str:
    """The text the census reads: the start of the code model's held-out files, or a task model's own text."""
    if entry.get("corpus"):
        return wc.shipped_text(wc.held_out_files(entry["name"]))[:CHARACTERS]
    return TEXT


def choose(run: CorpusRun, code: bool, each: int = 2) -> Finding:
    """The stop's unit: of the ``each`` strongest C_t units of every concept (every code concept, for a code
    model), the strongest clear one that its ablation confirms; else the strongest clear one, else the strongest.
    Candidates are held one at a time, strongest first, until one is confirmed."""
    wanted = [f for f in run.leaders(each, STATE) if not code or f.concept in CODE_CONCEPTS]  # strongest first
    if not wanted:
        raise ValueError("lesson: the census found no C_t unit to show")
    first = None
    for f in wanted:
        if not f.clear and first is not None:
            break
        tried = run.ablate([f])[0]
        first = first or tried
        if tried.confirmed:
            return tried
    return first


def place(run: CorpusRun, finding: Finding) -> tuple[int, int]:
    """(where the stop's window starts, where the concept first comes on in it): a line start a little before
    the concept first comes on (graded: rises above its mean) after the text's first tenth."""
    on = run.tracks[finding.concept].on()
    after = np.flatnonzero(on[len(on) // 10 :])
    first = int(after[0]) + len(on) // 10 if len(after) else 0
    start = max(0, first - 30)
    line = run.text.rfind("\n", 0, start)
    start = line + 1 if line >= 0 and start - line < 80 else start
    return start, first


def find() -> dict:
    """The record of the stop's unit, as the census finds it now."""
    entry = lesson_model()
    model = wc.load_shipped(entry["name"])
    text = lesson_text(entry)
    run = run_corpus(model, text, streams=8)
    f = choose(run, bool(entry.get("corpus")))
    at, first = place(run, f)
    stop = min(len(text), at + WINDOW)
    forget = float(model.network.layers[f.layer].forward.biases["forget"][f.unit])
    return {"model": entry["name"], "digest": model_digest(model)[:16], "characters": len(text),
            "layer": f.layer, "state": f.state, "unit": f.unit, "concept": f.concept, "measure": f.measure,
            "score": round(float(f.score), 4), "sign": f.sign,
            "loss_rise_on": None if f.loss_rise_on is None else round(float(f.loss_rise_on), 4),
            "loss_rise_off": None if f.loss_rise_off is None else round(float(f.loss_rise_off), 4),
            "at": at, "cursor": first - at, "forget_bias": forget, "text": text[at:stop]}


def concept_label(concept: str) -> str:
    return LABELS.get(concept, concept)


def sense_words(r: dict) -> str:
    """Which way the unit moves with its concept, in words: what a reader looks for in its row."""
    if r["measure"] == "auc":
        return ("runs low where it holds and high elsewhere" if r["sign"] < 0
                else "runs high where it holds and low elsewhere")
    return "rises as it grows" if r["sign"] > 0 else "falls as it grows"


def ablation_words(r: dict) -> str:
    """What holding the unit at its mean did, in words made from the record's numbers."""
    if r.get("loss_rise_on") is None or r.get("loss_rise_off") is None:
        return "this model has no head predicting the next character, so no ablation could confirm it"
    return (f"with the unit held at its mean, the loss on the next character {loss_change(r['loss_rise_on'])} "
            f"where the concept holds, and elsewhere it {loss_change(r['loss_rise_off'])}")


def text_words(r: dict, code: bool) -> str:
    """What the census read, in words."""
    return (f"{r['characters']:,} characters of held-out code it never saw" if code
            else f"its own {r['characters']:,} characters of training text (no code model is shipped yet)")


def link(r: dict) -> str:
    """The Corpus page's coloured text, coloured by the unit, at the stop's window."""
    values = wc.link_values("text", f"{r['layer']}.{r['state']}.{r['unit']}", r["at"] + r["cursor"], None,
                            model=r["model"])
    return "/corpus?" + urlencode(values)


def record() -> dict | None:
    """The committed record, or None when there is none (the stop is left out)."""
    if not RECORD.exists():
        return None
    return json.loads(RECORD.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    out = find()
    Path(argv[0] if argv else RECORD).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n",
                                                 encoding="utf-8")
    print({k: v for k, v in out.items() if k != "text"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
