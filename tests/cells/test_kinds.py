"""The registry of kinds: every kind declares what the rest of the app asks it, and an unknown kind is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import cells
from cells.kinds import check_kind
from cells.mgu import MGU


@pytest.mark.parametrize("kind", list(cells.KINDS))
def test_every_kind_declares_what_the_pages_ask(kind: str) -> None:
    cls = cells.KINDS[kind]
    assert check_kind(cls) is cls
    assert set(cls.SHOWN) >= {*cls.GATES, "hidden"} and len(cls.EQUATIONS) == len(cls.NUMBERS)
    boxes = cls.diagram(0.6, 0.4)["boxes"]
    assert set(boxes) == set(cls.SHOWN)  # one box per gate and state the page shows
    if cls.KEEP is not None:
        assert cls.KEEP[0] in cls.SIGMOID and cls.KEEP[1] in (+1, -1)


@pytest.mark.parametrize("entry", [
    lambda: cells.cell_class("lstmm"),
    lambda: cells.initialise("lstmm", 2, 3),
    lambda: cells.Network.create("lstmm", 2, 3),
])
def test_an_unknown_kind_is_a_value_error_naming_the_known_ones(entry: object) -> None:
    with pytest.raises(ValueError, match=r"^cell kind: expected one of lstm, gru, .*mgu, lstmp, got 'lstmm'$"):
        entry()


def test_the_views_refuse_an_unknown_kind_too() -> None:
    from viz.diagram import drawing
    from viz.equations import deck_equations, equations

    for build in (drawing, deck_equations, equations):
        with pytest.raises(ValueError, match="cell kind: expected one of"):
            build("lstmm")


def test_a_kind_that_leaves_out_its_backward_step_or_templates_is_refused_by_name() -> None:
    @dataclass(frozen=True, eq=False)
    class Half(MGU):  # the MGU's maths, but a backward step, a template line and a gate's name missing
        KIND: ClassVar[str] = "half"
        FAMILY: ClassVar[str] = "half"
        GATE_INFO: ClassVar[dict] = {}
        NUMBERS: ClassVar[tuple] = MGU.NUMBERS[:2]

    with pytest.raises(ValueError, match=r"^cell kind 'half': expected one NUMBERS template per equation, "
                                         r"got 2 for 3$"):
        check_kind(Half)
    Half.NUMBERS = MGU.NUMBERS
    with pytest.raises(ValueError, match=r"^cell kind 'half': no GATE_INFO for forget, candidate, hidden in the "
                                         r"'half' family$"):
        check_kind(Half)

    @dataclass(frozen=True, eq=False)
    class Bare(cells.Cell):
        KIND: ClassVar[str] = "bare"
        GATES: ClassVar[tuple[str, ...]] = ("hidden",)

    with pytest.raises(ValueError, match=r"^cell kind 'bare': expected its own reference_step, backward_step, "
                                         r"step_jacobian, diagram, _recur, LABEL, FAMILY, SHOWN, EQUATIONS, NUMBERS$"):
        check_kind(Bare)
    with pytest.raises(NotImplementedError):  # and nothing falls through to another kind's maths
        Bare(weights={"hidden": np.zeros((1, 2))}, biases={"hidden": np.zeros(1)}).run(np.zeros((2, 1)))
