"""The app's Streamlit configuration, as a local run reads it from .streamlit/config.toml."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).parents[2] / ".streamlit" / "config.toml"


def test_the_toolbar_has_no_deploy_button() -> None:
    # "minimal" keeps only the menu items the app itself needs; "Deploy" is for a hosting service
    assert tomllib.loads(CONFIG.read_text())["client"]["toolbarMode"] == "minimal"


def test_every_page_in_the_navigation_says_what_it_is_for() -> None:
    # st.Page(help=...) is the tooltip beside the page's name in the sidebar's navigation
    import ast

    tree = ast.parse((CONFIG.parents[1] / "app.py").read_text())
    pages = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page"]
    assert len(pages) == len(list((CONFIG.parents[1] / "views").glob("*.py")))
    for page in pages:
        helps = [k.value.value for k in page.keywords if k.arg == "help" and isinstance(k.value, ast.Constant)]
        assert helps and len(helps[0]) > 20, ast.unparse(page.args[0])
