"""The fixed-point search on the page: a click during it (Stop) ends it with what has converged, leaves the points in
session state's box, and lets Streamlit's rerun go ahead; an undisturbed search fills the box and clears its bar."""

from __future__ import annotations

import numpy as np
import pytest

import cells
import ui.settle as settle

StopException = settle.INTERRUPTS[1]  # what Streamlit raises in an element's call when a click asks for a rerun


class Bar:
    """st.progress's element: the ``stop_at``-th update raises what Streamlit raises for a click during the run."""

    def __init__(self, stop_at: int | None) -> None:
        self.updates = 0
        self.stop_at = stop_at
        self.cleared = False

    def progress(self, value: float, text: str = "") -> None:
        self.updates += 1
        assert 0.0 <= value <= 1.0
        if self.stop_at is not None and self.updates >= self.stop_at:
            raise StopException()

    def empty(self) -> None:
        self.cleared = True


def search(monkeypatch: pytest.MonkeyPatch, bar: Bar, box: settle.Search) -> None:
    """The page's search of a 16-unit LSTM's fixed points from its run, with ``bar`` as its progress bar, leaving
    its points in ``box`` (and raising what the bar raised, once the box is filled)."""
    monkeypatch.setattr(settle.st, "progress", lambda value, text="": bar)
    cell = cells.Network.create("lstm", 3, 16, seed=4).layers[0].forward.astype(np.float64)
    trace = cell.run(np.random.default_rng(4).standard_normal((40, 3)))
    settle._search(cell, None, trace, box)


def test_an_undisturbed_search_fills_the_box_and_clears_its_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    bar, box = Bar(None), settle.Search(("net", 0, "forward"), "no input")
    search(monkeypatch, bar, box)
    assert box.done.is_set() and box.error is None
    assert not box.found.stopped and box.found.points
    assert bar.updates >= 2 and bar.cleared


def test_stop_ends_the_search_with_what_converged_and_the_rerun_goes_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    bar, box = Bar(2), settle.Search(("net", 0, "forward"), "no input")  # Stop during the second iteration
    with pytest.raises(StopException):  # the click's rerun goes ahead, once the points are in the box
        search(monkeypatch, bar, box)
    assert box.done.is_set() and box.found is not None and box.found.stopped
    assert box.found.iterations <= 3 and bar.updates == 2  # the search ended there; no more bar updates
