"""workbench.memory: the objects alive at a server's first run are frozen once, and never again."""

from __future__ import annotations

import gc
import weakref

import pytest

from workbench import memory


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    """A process that has not frozen yet (and, afterwards, this test process as it was)."""
    monkeypatch.setattr(memory, "_frozen", False)
    yield
    gc.unfreeze()


def test_the_first_call_freezes_what_is_alive_and_later_calls_leave_new_objects_to_the_collector(fresh) -> None:
    gc.unfreeze()
    assert memory.freeze_startup_objects() is True
    frozen = gc.get_freeze_count()
    assert frozen > 1000  # the imported libraries at least
    made_later = [[k] for k in range(5000)]  # a session's objects, made after the first run
    assert memory.freeze_startup_objects() is False
    assert gc.get_freeze_count() == frozen  # not frozen: the collector still sees them
    assert gc.is_tracked(made_later[0]) and len(made_later) == 5000


def test_garbage_alive_at_the_first_run_is_collected_before_freezing(fresh) -> None:
    gc.unfreeze()

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b  # unreachable, but not yet collected: a cycle
    assert gone() is not None
    memory.freeze_startup_objects()
    assert gone() is None  # collected, not kept for ever in the frozen generation
