"""The Corpus page's decisions, without Streamlit: which models and texts it offers, how an uploaded or pasted
text is checked, which unit colours the text, where the gate view's window lies, and its share link.

A corpus run itself is ``cells.corpus.run_corpus``; this module only prepares its inputs and reads its result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

import cells
from cells.corpus import CorpusRun, Finding, stdlib
from cells.corpus.window import stream_bounds
from cells.files import vocabulary as vocab
from cells.files.model import LoadedModel
from cells.gates import gate_info
from cells.learning.train import load_model
from viz.corpus import PAGE, PAGE_COMPUTED
from workbench.model import PRETRAINED, Model, pretrained_manifest

MAX_TEXT_BYTES = 10_000_000  # an uploaded or pasted text: at most this many bytes of UTF-8 (10 MB)
CURRENT = "current"  # the model choice that means "the model on the Weights page"
SOURCES = {"shipped": "The shipped text", "pasted": "Pasted text", "uploaded": "Uploaded file"}
SECTIONS = {"census": "Census", "text": "Coloured text", "match": "Find by pattern"}
# Standard library files read when no shipped code model lists its own held-out files (a few hundred kB of code).
DEMO_FILES = ("textwrap.py", "shlex.py", "tokenize.py", "json/decoder.py", "json/encoder.py", "string.py",
              "fnmatch.py", "glob.py")
PARTS = (5, 10, 20)  # parts of the shipped files the page offers besides all of them
WINDOW = 120  # characters of text the gate view opens on around a clicked character
CONTEXT = 40  # of which, before it
# A page of values computed from checkpoints multiplies small matrices (a few dozen pieces × a few hundred units):
# one BLAS thread does it in ~50 ms for the shipped 2 × 192 LSTM, where OpenBLAS's second thread on a busy 2-core
# server made the same page take 0.4 to 4 s (benchmarks/corpus_text.py).
_BLAS = ThreadpoolController()


def one_blas_thread():
    """A context in which NumPy's products use one BLAS thread: the page's corpus work. With a second thread, a
    run of the shipped 2 × 192 LSTM over the first five held-out files took 119 s instead of 5 s while another
    process kept one of this machine's two cores busy, as other sessions do on a class's server."""
    return _BLAS.limit(limits=1, user_api="blas")


# ----- texts --------------------------------------------------------------------------------------------------
def text_of_upload(name: str, data: bytes) -> str:
    """The text of an uploaded file: UTF-8, at most MAX_TEXT_BYTES, not empty, not binary; else a ValueError."""
    shown = name[:80]
    if len(data) > MAX_TEXT_BYTES:
        raise ValueError(f"{shown}: {len(data):,} bytes is over the limit of {MAX_TEXT_BYTES:,} bytes (10 MB); "
                         "the current corpus stays")
    if not data.strip():
        raise ValueError(f"{shown}: the file is empty; the current corpus stays")
    if b"\x00" in data[:65_536]:
        raise ValueError(f"{shown}: this looks like a binary file (it has zero bytes), not text; the current "
                         "corpus stays")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{shown}: not UTF-8 text (byte {e.start:,} cannot be read); the current corpus "
                         "stays") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def text_of_paste(text: str) -> str:
    """A pasted text, checked like an upload."""
    return text_of_upload("the pasted text", text.encode("utf-8"))


# ----- models ---------------------------------------------------------------------------------------------------
def text_models() -> list[dict]:
    """The shipped models that read text character by character: the code models (the manifest's
    ``corpus_models``, each with the ``"corpus"`` it was trained on) first, then the toy text models."""
    code = json.loads((PRETRAINED / "manifest.json").read_text()).get("corpus_models", [])
    toys = [entry for entry in pretrained_manifest() if entry.get("corpus") or entry.get("task") == "text"]
    return sorted([*code, *toys], key=lambda e: not e.get("corpus"))


def model_choices(current: Model | None) -> dict[str, str]:
    """name -> label of every model the page can run: the shipped text models, then the Weights page's one."""
    out = {e["name"]: e["label"] for e in text_models()}
    if current is not None and (current.loaded is not None or current.vocabulary is not None):
        out[CURRENT] = f"The model on the Weights page: {current.label}"
    return out


def load_shipped(name: str) -> LoadedModel:
    """A shipped text model as the corpus engine reads it: its network, its vocabulary and its head if any."""
    entry = next((e for e in text_models() if e["name"] == name), None)
    if entry is None:
        raise ValueError(f"model: expected one of {', '.join(e['name'] for e in text_models())}, got {name[:40]!r}")
    path = PRETRAINED / entry["file"]
    if path.suffix == ".npz":  # a model of cells.learning.train: its task's vocabulary, one-hot
        trained = load_model(path)
        return LoadedModel(trained.network, list(trained.task.vocabulary), name=name)
    loaded = cells.load(path)
    return LoadedModel(loaded.network, loaded.vocabulary, loaded.embedding, loaded.head, name=name)


def loaded_of(model: Model) -> LoadedModel:
    """The Weights page's model as the corpus engine reads it, or a ValueError saying why it cannot read text."""
    if model.loaded is not None and model.loaded.vocabulary is not None:
        return model.loaded
    if model.vocabulary is not None:
        return LoadedModel(model.network, list(model.vocabulary), name=model.label)
    raise ValueError(f"{model.label}: this model has no vocabulary, so it cannot read a text (load one with its "
                     "vocabulary on the Weights page)")


def held_out_files(name: str) -> tuple[str, ...]:
    """The standard library files a shipped code model never saw (its manifest record), else DEMO_FILES."""
    entry = next((e for e in text_models() if e["name"] == name), {})
    files = entry.get("held_out_files") or entry.get("held_out") or ()
    return tuple(files) if isinstance(files, list) and files else DEMO_FILES


def shipped_text(files: tuple[str, ...]) -> str:
    """The held-out corpus: these standard library files joined as the code models' training text was."""
    present = [f for f in files if (stdlib.root() / f).exists()]
    if not present:
        raise ValueError(f"standard library files: none of {', '.join(files[:3])}… is in {stdlib.root()}")
    return stdlib.text(present)


def shipped_source(name: str) -> tuple[str, tuple[str, ...] | None]:
    """What the page offers as a model's shipped text: (what it is, the standard library files to read, or None
    for the text a task model learnt, ``cells.learning.tasks.TEXT``)."""
    entry = next((e for e in text_models() if e["name"] == name), {})
    if entry.get("held_out_files"):
        files = held_out_files(name)
        return f"{len(files)} held-out standard library files the model never saw", files
    if entry.get("task") == "text":
        return "the short text the model learnt (it reads only its characters)", None
    return f"{len(DEMO_FILES)} standard library files", DEMO_FILES


def shipped_parts(files: tuple[str, ...]) -> list[int]:
    """How many of the shipped files the page offers to read (the first ones): a few for a quick run in class,
    every one for the census the shipped model's record was made from."""
    return [n for n in PARTS if n < len(files)] + [len(files)]


def describe_text(text: str) -> str:
    lines = text.count("\n") + 1
    return f"{len(text):,} characters, {lines:,} lines"


# ----- units ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """One unit of one gate or state of one layer: what colours the text. Spelled ``layer.state.unit`` in links."""

    layer: int
    state: str
    unit: int

    def __str__(self) -> str:
        return f"{self.layer}.{self.state}.{self.unit}"

    @classmethod
    def parse(cls, spelled: str) -> Unit:
        m = re.fullmatch(r"(\d{1,2})\.([a-z_]{1,24})\.(\d{1,5})", spelled.strip())
        if m is None:
            raise ValueError(f"unit: expected layer.state.unit such as 1.cell.37, got {spelled[:40]!r}")
        return cls(int(m.group(1)), m.group(2), int(m.group(3)))

    @classmethod
    def of(cls, finding: Finding) -> Unit:
        return cls(finding.layer, finding.state, finding.unit)

    def check(self, run: CorpusRun) -> Unit:
        """This unit, when the run has it; else a ValueError naming what it has."""
        names = run.passed.names
        if self.layer not in names:
            raise ValueError(f"unit {self}: layer {self.layer} is not one of 0 to {len(names) - 1}")
        if self.state not in names[self.layer]:
            raise ValueError(f"unit {self}: expected one of {', '.join(names[self.layer])}, got {self.state!r}")
        width = len(run.stat(self.layer, self.state).mean)
        if not 0 <= self.unit < width:
            raise ValueError(f"unit {self}: expected a unit from 0 to {width - 1}")
        return self

    def label(self, run: CorpusRun) -> str:
        family = run.model.network.layers[self.layer].forward.FAMILY
        return f"{gate_info(family, self.state).symbol} unit {self.unit}, layer {self.layer + 1}"


def first_unit(run: CorpusRun, census: list[Finding]) -> Unit:
    """The unit the text is coloured by before the user picks one: the census's strongest finding."""
    return Unit.of(census[0]) if census else Unit(len(run.passed.names) - 1, "hidden", 0)


def value_range(run: CorpusRun, unit: Unit) -> tuple[float, float]:
    """The colour range of a unit: [0, 1] for σ gates, [-1, 1] for tanh values, symmetric around 0 for the cell
    state (its mean ± 3 spreads over the corpus, so colours compare across the whole text)."""
    family = run.model.network.layers[unit.layer].forward.FAMILY
    kind = gate_info(family, unit.state).range
    if kind == "sigmoid":
        return 0.0, 1.0
    if kind == "tanh":
        return -1.0, 1.0
    s = run.stat(unit.layer, unit.state)
    bound = float(abs(s.mean[unit.unit]) + 3 * s.spread[unit.unit]) or 1.0
    return -bound, bound


def indexed(run: CorpusRun, unit: Unit) -> bool:
    """Whether the unit's values are read from the match index's bytes (an h_t of the indexed layer), not computed."""
    return run.index is not None and unit.state == "hidden" and unit.layer == run.index.layer


def page_size(run: CorpusRun, unit: Unit) -> int:
    """Characters of coloured text sent at a time: a long page of bytes read from the index, a shorter one of values
    computed from checkpoints (so a jump anywhere paints as quickly)."""
    return PAGE if indexed(run, unit) else PAGE_COMPUTED


def unit_values(run: CorpusRun, unit: Unit, start: int, stop: int) -> np.ndarray:
    """The unit's values over positions [start, stop), (stop - start,): read from the match index's bytes when the
    unit is an h_t of the indexed layer (no model run), else computed from the nearest checkpoints."""
    index = run.index
    if indexed(run, unit):
        codes = np.asarray(index.codes[start:stop, unit.unit], np.float32)  # (n,)
        return codes * (2.0 / 255.0) - 1.0
    with one_blas_thread():
        return run.unit_values(unit.layer, unit.state, unit.unit, start, stop).astype(np.float32)


# ----- the gate view of one place ---------------------------------------------------------------------------------
def window_around(run: CorpusRun, position: int, width: int = WINDOW, before: int = CONTEXT) -> tuple[int, int]:
    """[start, stop) of the gate view's window around ``position``: ``before`` characters ahead of it where the
    text has them, ``width`` in all, inside the stream that holds it (a window reads one stream's states)."""
    if not 0 <= position < run.steps:
        raise ValueError(f"position: expected 0 to {run.steps - 1}, got {position}")
    first, end = stream_bounds(run.passed, position)
    start = max(first, position - before)
    stop = min(end, start + width)
    start = max(first, min(start, stop - width))
    return start, stop


def token_labels(run: CorpusRun, start: int, stop: int) -> list[str]:
    """The gate view's time labels: each character, visible (a line break as ⏎, a space as ␣)."""
    return [cells.encode.visible(c) for c in run.text[start:stop]]


def input_features(model: LoadedModel) -> list[str]:
    """The names of the first layer's inputs: the vocabulary one-hot, or the embedding's dimensions."""
    if model.embedding is not None:
        return [f"e{k}" for k in range(model.network.input_size)]
    return [cells.encode.visible(t) if len(t) == 1 else t for t in (model.vocabulary or [])]


def reads_text(model: LoadedModel) -> bool:
    return model.vocabulary is not None and vocab.by_characters(model.vocabulary)


# ----- the share link ---------------------------------------------------------------------------------------------
# What the page's link can hold (parse_link reads them): the section, the shipped model and how many of its
# held-out files were read, the unit, the place and the span.
LINK_PARAMS = ("section", "model", "files", "unit", "at", "span")


def link_values(section: str, unit: Unit | str | None, at: int | None, span: tuple[int, int] | None,
                files: int | None = None, model: str | None = None) -> dict[str, str]:
    """The page's query parameters: the section shown, the unit the text is coloured by, the place, the span, the
    shipped model (None: the first) and how many of its held-out files are read (None: all of them)."""
    out = {"section": section}
    if model is not None:
        out["model"] = model
    if unit is not None:
        out["unit"] = str(unit)
    if at is not None:
        out["at"] = str(at)
    if span is not None:
        out["span"] = f"{span[0]}-{span[1]}"
    if files is not None:
        out["files"] = str(files)
    return out


def parse_link(params: dict[str, str]) -> tuple[dict, list[str]]:
    """What a link asks for (section, model: a shipped text model's name, unit, at, span, files: the first held-out
    files read) and what was wrong in it, said for the user."""
    out: dict = {}
    errors = []
    if (model := params.get("model")) is not None:
        names = [e["name"] for e in text_models()]
        if model in names:
            out["model"] = model
        else:
            errors.append(f"link: model should be one of the shipped text models ({', '.join(names)}), "
                          f"got {model[:40]!r}")
    section = params.get("section")
    if section is not None:
        if section in SECTIONS:
            out["section"] = section
        else:
            errors.append(f"link: section should be one of {', '.join(SECTIONS)}, got {section[:20]!r}")
    if (spelled := params.get("unit")) is not None:
        try:
            out["unit"] = Unit.parse(spelled)
        except ValueError as e:
            errors.append(f"link: {e}")
    if (at := params.get("at")) is not None:
        if at.isdigit() and len(at) <= 9:
            out["at"] = int(at)
        else:
            errors.append(f"link: at should be a character position, got {at[:20]!r}")
    if (span := params.get("span")) is not None:
        m = re.fullmatch(r"(\d{1,9})-(\d{1,9})", span)
        if m and int(m.group(1)) < int(m.group(2)):
            out["span"] = (int(m.group(1)), int(m.group(2)))
        else:
            errors.append(f"link: span should be start-stop, start below stop, got {span[:20]!r}")
    if (files := params.get("files")) is not None:
        if files in {str(n) for n in PARTS}:
            out["files"] = int(files)
        else:
            errors.append(f"link: files should be {', '.join(map(str, PARTS[:-1]))} or {PARTS[-1]} (how many of the "
                          f"held-out files to read), got {files[:20]!r}")
    return out, errors


def model_file(name: str) -> Path:
    return PRETRAINED / next(e["file"] for e in text_models() if e["name"] == name)
