"""Session keys: each page's keys carry its prefix and no two keys of the app are the same string (a shared key
would let one page's widget move another's)."""

from __future__ import annotations

import dataclasses

from workbench import keys

PREFIXES = {keys.EXPLORE: "explore_", keys.TRAIN: "train_", keys.FLOW: "flow_", keys.WEIGHTS: "w_",
            keys.COMPARE: "cmp_", keys.LESSONS: "lessons_"}


def strings(page: object) -> list[str]:
    out = []
    for f in dataclasses.fields(page):
        value = getattr(page, f.name)
        if isinstance(value, keys.CursorKeys):
            out += [value.step, value.unit, value.start, value.reported, value.view]
        elif isinstance(value, keys.PredictionKeys):
            out += [value.step, value.of, value.followed, value.output, value.table, value.line]
        else:
            out.append(value)
    return out


def test_every_page_s_keys_carry_its_prefix() -> None:
    for page, prefix in PREFIXES.items():
        wrong = [k for k in strings(page) if not k.startswith(prefix)]
        assert not wrong, (type(page).__name__, wrong)


def test_no_two_keys_of_the_app_are_the_same_string() -> None:
    every = [k for page in keys.PAGES for k in strings(page)]
    assert len(every) == len(set(every)), sorted(k for k in every if every.count(k) > 1)


def test_a_cursor_s_five_keys_come_from_its_prefix() -> None:
    cursor = keys.CursorKeys("train")
    assert (cursor.step, cursor.unit, cursor.start, cursor.reported, cursor.view) == (
        "train_step", "train_unit", "train_cursor_start", "train_reported", "train_view")
    assert keys.TRAIN.cursor == cursor  # frozen dataclasses: made once, compared by prefix
