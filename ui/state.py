"""Settings that survive a visit to another page.

Streamlit forgets a widget's value when a run shows a page without that widget. So on every run,
whatever page it shows, the router calls ``keep_settings``: each page's settings are kept aside and
put back (re-setting a value, after deleting the old widget's entry, lets the page's widget adopt it
when the page is shown again). Each page names its own settings with its own key prefix (workbench.keys)
and declares their defaults beside what they mean, in the page's own module of workbench/ (settings,
compare, training, lessons); this module only lists the groups, it never decides their values.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from workbench import keys
from workbench.compare import DEFAULTS as COMPARE
from workbench.lessons import STOPS
from workbench.settings import DEFAULTS as EXPLORE
from workbench.training import DEFAULTS as TRAIN
from workbench.training import option_defaults


class _KeepOnly:
    """A setting with no default here: kept once the page has set it, never created."""

    def __repr__(self) -> str:
        return "KEEP_ONLY"


KEEP_ONLY: Any = _KeepOnly()


def keep(defaults: Mapping[str, Any], shown: Iterable[str] | None = None) -> None:
    """Keep every key of ``defaults`` across pages: its value now is put aside, and the keys in ``shown``
    (every key when None) are put back: the value kept, else the default.

    A key left out of ``shown`` waits in the kept values, not in session state: each Streamlit widget
    reads the whole session state when it is drawn, so every key there makes every widget dearer."""
    ss = st.session_state
    kept = ss.setdefault(keys.APP.kept_settings, {})
    shown = set(defaults) if shown is None else set(shown)
    for key, default in defaults.items():
        if key in ss:
            kept[key] = ss[key]
            del ss[key]
        if key not in shown:
            continue
        if key in kept:
            ss[key] = kept[key]
        elif default is not KEEP_ONLY:
            ss[key] = copy.copy(default)


def forget(names: Iterable[str]) -> None:
    """Drop kept values (a page resetting its own settings calls this before setting new ones)."""
    kept = st.session_state.get(keys.APP.kept_settings, {})
    for key in names:
        kept.pop(key, None)


@functools.cache
def settings() -> dict[str, dict[str, Any]]:
    """Each group of settings by name, with their defaults (KEEP_ONLY: kept once set, never created)."""
    lessons = {keys.LESSONS.knob(stop.slug): stop.knob.default for stop in STOPS}
    lessons[keys.LESSONS.cursor.step] = KEEP_ONLY
    return {
        "explore": {**EXPLORE, keys.EXPLORE.equations_open: KEEP_ONLY},  # the equations stay open once opened
        "compare": dict(COMPARE),
        "lessons": lessons,
        "presenting": {keys.LESSONS.present: KEEP_ONLY, keys.EXPLORE.present: KEEP_ONLY,
                       keys.COMPARE.present: KEEP_ONLY},
        "everywhere": {keys.APP.show_tables: False},
        "weights": {keys.WEIGHTS.preset: KEEP_ONLY, keys.WEIGHTS.seed: 1, keys.WEIGHTS.section: KEEP_ONLY,
                    keys.WEIGHTS.clamp_on: False, keys.WEIGHTS.layer: KEEP_ONLY, keys.WEIGHTS.direction: KEEP_ONLY,
                    keys.WEIGHTS.gate: KEEP_ONLY},
        "train": {**TRAIN, **option_defaults(), keys.TRAIN.pretrained: KEEP_ONLY, keys.TRAIN.text: KEEP_ONLY,
                  keys.TRAIN.table_open: KEEP_ONLY},
        "corpus": {k: KEEP_ONLY for k in (keys.CORPUS.model, keys.CORPUS.source, keys.CORPUS.pasted,
                                          keys.CORPUS.section, keys.CORPUS.concept, keys.CORPUS.threshold)},
    }


# The groups of settings each page reads: the Weights page edits the model Explore shows, with its text.
READS: dict[str, tuple[str, ...]] = {
    "explore": ("explore", "presenting", "everywhere"),
    "compare": ("compare", "presenting", "everywhere"),
    "weights": ("weights", "explore", "everywhere"),
    "lessons": ("lessons", "presenting", "everywhere"),
    "train": ("train", "everywhere"),
    "gradient_flow": ("train", "everywhere"),
    "corpus": ("corpus", "everywhere"),
}


def keep_settings(page: str | None = None) -> None:
    """Every page's settings, kept on every run (the router calls this before the page runs); only the
    settings ``page`` reads are in session state during its run (all of them when ``page`` is None)."""
    groups = settings()
    defaults = {key: default for group in groups.values() for key, default in group.items()}
    if page is None:
        keep(defaults)
        return
    if page not in READS:
        raise ValueError(f"page: expected one of {', '.join(READS)}, got {page!r}")
    keep(defaults, [key for name in READS[page] for key in groups[name]])
