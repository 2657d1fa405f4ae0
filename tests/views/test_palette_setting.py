"""The colour setting in Streamlit's AppTest: picked once, it colours every page, stays across pages and
comes back from a link; a link naming no palette says so and the page draws in the standard colours."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.views.apptest import gate_view
from viz.style import COLOURBLIND, STANDARD
from workbench import keys

APP = Path(__file__).parents[2] / "app.py"
TIMEOUT = 120


def open_app(query: dict[str, str] | None = None, page: str = "explore") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.switch_page(f"views/{page}.py")  # opened straight on the page, as its link does
    at.run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def drawn_in(at: AppTest, key: str) -> str:
    """The palette the gate view ``key`` on the page was drawn in, checked against its panels' stops."""
    header, _ = gate_view(at, key)
    name = header["colours"]["palette"]
    palette = COLOURBLIND if name == COLOURBLIND.name else STANDARD
    for panel in header["panels"]:
        if not panel.get("empty"):
            assert panel["scale"]["stops"] in (palette.stops("sequential", 11), palette.stops("diverging", 11))
    return name


def test_the_setting_colours_every_page_and_stays_in_the_link_across_pages() -> None:
    at = open_app()
    assert at.selectbox(key=keys.APP.palette).value == "standard" and "palette" not in at.query_params
    assert drawn_in(at, keys.EXPLORE.cursor.view) == "standard"
    at.selectbox(key=keys.APP.palette).set_value("colourblind").run(timeout=TIMEOUT)
    assert not at.exception
    assert drawn_in(at, keys.EXPLORE.cursor.view) == "colourblind"
    assert at.query_params["palette"] == "colourblind"
    for page, key in (("compare", keys.COMPARE.view_a), ("lessons", keys.LESSONS.cursor.view), ("explore",
                                                                                                keys.EXPLORE.cursor.view)):
        at.switch_page(f"views/{page}.py").run(timeout=TIMEOUT)
        assert not at.exception, (page, at.exception)
        assert at.selectbox(key=keys.APP.palette).value == "colourblind", page
        assert at.query_params["palette"] == "colourblind", page  # a page's own link carries it too
        assert drawn_in(at, key) == "colourblind", page
    at.selectbox(key=keys.APP.palette).set_value("standard").run(timeout=TIMEOUT)
    assert drawn_in(at, keys.EXPLORE.cursor.view) == "standard" and "palette" not in at.query_params


def test_a_link_brings_the_palette_to_a_fresh_session() -> None:
    at = open_app({"palette": "colourblind", "stop": "forget-gate"}, page="lessons")
    assert at.selectbox(key=keys.APP.palette).value == "colourblind"
    assert drawn_in(at, keys.LESSONS.cursor.view) == "colourblind"
    assert not at.warning


def test_a_link_naming_no_palette_says_so_and_draws_the_standard_colours() -> None:
    at = open_app({"palette": "rainbow"})
    notes = [w.value for w in at.warning]
    assert any("palette='rainbow' was not used" in n and "expected one of standard, colourblind" in n
               for n in notes), notes
    assert at.selectbox(key=keys.APP.palette).value == "standard" and "palette" not in at.query_params
    assert drawn_in(at, keys.EXPLORE.cursor.view) == "standard"
    at.selectbox(key=keys.APP.palette).set_value("colourblind").run(timeout=TIMEOUT)  # picking one ends the note
    assert not at.exception and not at.warning


def test_the_first_views_unit_to_watch_opens_on_its_own_colour_range() -> None:
    at = open_app()
    header, arrays = gate_view(at, keys.EXPLORE.cursor.view)
    assert header["unit"] == 3 and header["ranges"] == "unit"  # "Watch unit 3 of C_t", whose ±20 would leave it pale
    cell = next(p for p in header["panels"] if p["name"] == "cell")
    assert abs(arrays["cell"][:, 3]).max() < 0.25 * cell["scale"]["max"]
