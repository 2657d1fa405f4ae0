"""ui.training: the live curve is redrawn at most once a second while a run is followed, and at its end."""

from __future__ import annotations

from ui import training


def test_the_live_curve_is_due_first_then_once_a_second_and_always_at_the_last_step(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr(training.time, "monotonic", lambda: now[0])
    throttle = training.Throttle(every=1.0)
    assert throttle.due(final=False)  # the first draw
    now[0] += 0.4
    assert not throttle.due(final=False)
    assert throttle.due(final=True)  # the last step is always drawn
    now[0] += 0.5
    assert not throttle.due(final=False)
    now[0] += 1.0
    assert throttle.due(final=False)
