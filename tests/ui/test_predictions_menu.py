"""The follow menu of a head's predictions stays small however many outputs the head has."""

from __future__ import annotations

import numpy as np

from ui.predictions import MAX_FOLLOWED, followable


def test_a_small_head_offers_every_output() -> None:
    assert followable(np.array([0.1, 0.7, 0.2]), 0) == [0, 1, 2]


def test_a_word_model_s_head_offers_its_likeliest_outputs_and_the_one_followed() -> None:
    p = np.random.default_rng(0).random(100_000)
    offered = followable(p, chosen=5)
    assert len(offered) <= MAX_FOLLOWED + 1  # not 100,000 labels sent to the browser on every rerun
    assert int(np.argmax(p)) in offered and 5 in offered
    assert offered == sorted(offered)
    smallest_offered = min(p[k] for k in offered if k != 5)
    assert np.sum(p > smallest_offered) < MAX_FOLLOWED  # the likeliest, not any 200
