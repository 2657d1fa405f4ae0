"""Settings that survive a visit to another page.

Streamlit forgets a widget's value when a run shows a page without that widget. So on every run,
whatever page it shows, the router calls ``keep_settings``: each page's settings are kept aside and
put back (re-setting a value, after deleting the old widget's entry, lets the page's widget adopt it
when the page is shown again). Each page names its own settings with its own key prefix (ui.keys);
this module only lists them, it never decides their values.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

from ui import keys


class _KeepOnly:
    """A setting with no default here: kept once the page has set it, never created."""

    def __repr__(self) -> str:
        return "KEEP_ONLY"


KEEP_ONLY: Any = _KeepOnly()


def keep(defaults: Mapping[str, Any]) -> None:
    """Keep every key of ``defaults`` across pages: its value now, else the value kept, else its default."""
    ss = st.session_state
    kept = ss.setdefault(keys.KEPT_SETTINGS, {})
    for key, default in defaults.items():
        if key in ss:
            kept[key] = ss[key]
            del ss[key]
        if key in kept:
            ss[key] = kept[key]
        elif default is not KEEP_ONLY:
            ss[key] = copy.copy(default)


def forget(names: Iterable[str]) -> None:
    """Drop kept values (a page resetting its own settings calls this before setting new ones)."""
    kept = st.session_state.get(keys.KEPT_SETTINGS, {})
    for key in names:
        kept.pop(key, None)


def keep_settings() -> None:
    """Every page's settings, kept on every run (the router calls this before the page runs)."""
    from ui.compare import DEFAULTS as COMPARE
    from ui.lessons import STOPS
    from ui.settings import DEFAULTS as EXPLORE
    from ui.training import DEFAULTS as TRAIN
    from ui.training import option_defaults

    lessons = {keys.lesson_knob(stop.slug): stop.knob.default for stop in STOPS}
    lessons[keys.LESSON_STEP] = KEEP_ONLY
    presenting = {keys.LESSON_PRESENT: KEEP_ONLY, keys.PRESENT: KEEP_ONLY, keys.CMP_PRESENT: KEEP_ONLY}
    everywhere = {keys.SHOW_TABLES: False}
    weights = {keys.W_PRESET: KEEP_ONLY, keys.W_SEED: 1, keys.W_CLAMP_ON: False, keys.W_LAYER: KEEP_ONLY,
               keys.W_DIRECTION: KEEP_ONLY, keys.W_GATE: KEEP_ONLY}
    train = {**TRAIN, **option_defaults(), keys.TRAIN_PRETRAINED: KEEP_ONLY, keys.TRAIN_TEXT: KEEP_ONLY}
    keep({**EXPLORE, **COMPARE, **train, **lessons, **weights, **presenting, **everywhere})
