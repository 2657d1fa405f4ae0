"""workbench.weights: what the Weights page's widgets read back."""

from __future__ import annotations

import numpy as np

from workbench.weights import is_position


def test_a_label_sent_back_for_a_menu_is_no_position() -> None:
    # After a model with another head, the browser sends the label it showed ("␣") where a position was.
    assert not is_position("␣", 2)
    assert not is_position("1", 2)
    assert not is_position(None, 2)
    assert not is_position(True, 2)  # a bool is an int to Python, not a position
    assert not is_position(2, 2) and not is_position(-1, 2)
    assert is_position(0, 2) and is_position(np.int64(1), 2)
