"""The app's Streamlit configuration, as a local run reads it from .streamlit/config.toml."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).parents[2] / ".streamlit" / "config.toml"


def test_the_toolbar_has_no_deploy_button() -> None:
    # "minimal" keeps only the menu items the app itself needs; "Deploy" is for a hosting service
    assert tomllib.loads(CONFIG.read_text())["client"]["toolbarMode"] == "minimal"
