"""The Weights page in Chromium: type a weight into the data editor and watch the heatmaps follow;
apply a preset and clamp a gate; pick a ready model in Explore; upload a state_dict and a broken file.
Model files as their frameworks saved them are uploaded in test_browser_upload.py.

Reached the way a user does, through the sidebar from Explore. Charts and editors are found by their
keys (`st-key-<key>` classes; the keys live in workbench/keys.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # no playwright: conftest skips every test here
    PlaywrightTimeout = TimeoutError

from conftest import GATE_VIEWS_JS, PREVIEW_JS, sequence_box_js

import cells
from workbench import keys
from workbench.model_files import export_torch

if TYPE_CHECKING:
    from conftest import App
    from playwright.sync_api import Locator

EXCEPTION = "[data-testid=stException]"
# The clamp's gate view (in its component's shadow root): unit 0 of its ΔC_t map, step by step, once drawn.
DELTA_CELL_JS = f"""() => {{
    const root = ({GATE_VIEWS_JS})().find(r => r.gatescope?.h.panels.some(p => p.name === 'delta_cell'));
    const a = root?.gatescope.a.delta_cell;
    return a ? Array.from({{length: a.rows}}, (_, t) => a.values[t * a.cols]) : null;
}}"""
Z_JS = """selector => {
    const chart = document.querySelector(selector);
    const z = chart?._fullData?.[0]?.z;
    return z ? Array.from(z, row => Array.from(row)) : null;
}"""


def open_weights(app: App) -> None:
    app.open_drawn()
    app.page.locator("[data-testid=stSidebarNav] a", has_text="Weights").click()
    app.wait_idle()
    app.page.wait_for_function(f"() => !!({PREVIEW_JS})('forget')", timeout=45_000)
    app.wait_idle()


def choose(app: App, key: str, option: str, tries: int = 3) -> None:
    """Pick ``option`` in the selectbox with this key, as a user does: open it, click the option.

    A rerun that lands while the list is open redraws the box and closes the list; then try again.
    """
    for attempt in range(tries):
        app.wait_idle()
        app.click(app.page.locator(f".st-key-{key} input"))
        try:
            app.page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            break
        except PlaywrightTimeout:
            app.page.keyboard.press("Escape")
            if attempt == tries - 1:
                raise
    app.wait_idle()


def z(app: App, name: str = "forget") -> list[list[float]]:
    """A panel of the preview, as (units, steps)."""
    values = app.evaluate(PREVIEW_JS, name)
    assert values is not None, app.diagnostics()
    return values


def test_typing_a_weight_into_the_editor_redraws_the_gate(app: App) -> None:
    open_weights(app)
    before = z(app)
    grid = f".st-key-{keys.WEIGHTS.editor('weights', 0, 'forward', 'forget', 0, (8, 17))} [data-testid=stDataFrame]"
    editor = app.page.locator(grid)
    editor.scroll_into_view_if_needed()
    editor.locator("canvas").first.wait_for(state="visible", timeout=45_000)
    app.wait_idle()
    box = editor.bounding_box()
    assert box is not None
    # Row u0, column h0 (h_{t-1}'s first number): a header row, the index column and the pinned bias come
    # first. Click the index cell near the grid's left edge and step right with the arrow keys, so the column
    # widths (which follow the measured text) cannot send the click elsewhere. Each step is taken once the grid
    # shows the one before selected (its accessible table marks the cell): a key pressed before the grid has
    # taken the click goes nowhere, and the number lands in the bias. Typing on a selected cell opens its
    # editor; Enter writes the number. A rerun landing mid-edit can drop it: type again.
    changed = f"before => {{ const z = ({PREVIEW_JS})('forget'); return z && z[0][1] !== before[0][1]; }}"
    selected = "([grid, cell]) => !!document.querySelector(grid)?.querySelector(`#${cell}[aria-selected=true]`)"

    def on(column: int) -> bool:  # row u0's cell in this column is the grid's selected one
        return app.wait_true(selected, [grid, f"glide-cell-{column}-0"], timeout_ms=5_000)

    for _ in range(3):
        app.wait_idle()
        app.page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
        if not on(0):
            continue
        app.page.keyboard.press("ArrowRight")  # the bias b, pinned beside the row names
        if not on(1):
            continue
        app.page.keyboard.press("ArrowRight")  # h0
        if not on(2):
            continue
        app.page.keyboard.press("Enter")  # opens the cell's editor, a real input over the canvas
        field = app.page.locator(".gdg-input, [data-testid=stDataFrame] textarea, [data-testid=stDataFrame] input")
        try:
            field.first.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            continue
        field.first.fill("9")
        app.page.keyboard.press("Enter")
        if app.wait_true(changed, before):
            break
    else:
        pytest.fail(f"three times, 9 typed in row u0, column h0 did not reach the forget gate\n{app.diagnostics()}")
    app.wait_idle()
    after = z(app)
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    assert after[0][0] == before[0][0]  # at step 0, h_{t-1} = h_0 = 0: the h_1 weight has nothing to act on
    assert after[0][1:] != before[0][1:]  # from step 1 on, unit 0's forget gate reads 9·h_{t-1}[0]
    # The other units read h_{t-1}[0] too, but only from step 2 on does it differ.
    assert [row[:2] for row in after[1:]] == [row[:2] for row in before[1:]]
    sidebar = app.page.locator("[data-testid=stSidebar]").inner_text()
    assert "Drawn LSTM (edited)" in sidebar and "Back to a drawn network" in sidebar
    matrix = app.evaluate(Z_JS, f".st-key-{keys.WEIGHTS.chart('matrix')} .js-plotly-plot")
    assert matrix[0][0] == 9
    app.screenshot("weights-edited")


def test_a_preset_with_a_clamped_gate_shows_the_difference(app: App) -> None:
    open_weights(app)
    app.open_tab("Presets", app.page.locator(f".st-key-{keys.WEIGHTS.preset}"))
    choose(app, keys.WEIGHTS.preset, "LSTM: bracket depth")
    app.page.locator(f".st-key-{keys.WEIGHTS.preset_apply} button").click()
    app.wait_idle()
    app.page.wait_for_function(f"() => ({PREVIEW_JS})('forget')?.[0]?.length === 20",
                               timeout=30_000)
    cell = z(app, "cell")
    text = "(a(b(ab))a)(b)((a)b)"
    depth, running = [], 0
    for c in text:
        running += {"(": 1, ")": -1}.get(c, 0)
        depth.append(running)
    assert [round(v) for v in cell[0]] == depth
    app.open_tab("Clamp or ablate a gate", app.page.locator(f".st-key-{keys.WEIGHTS.clamp_on}"))
    switch = app.page.locator(f".st-key-{keys.WEIGHTS.clamp_on} input")
    for attempt in range(3):
        app.wait_idle()
        if not switch.is_checked():
            app.click(app.page.locator(f".st-key-{keys.WEIGHTS.clamp_on} label"))
        try:
            app.page.wait_for_function(f"() => ({DELTA_CELL_JS})() !== null", timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    app.wait_idle()
    # The default clamp ablates f_t (f = 0 at every step): C_t keeps only this step's ±1, so
    # ΔC = (±1 on a bracket, 0 on a letter) − depth. The clamp's gate view draws ΔC_t for unit 0:
    own = [{"(": 1, ")": -1}.get(c, 0) for c in text]
    assert [round(v) for v in app.evaluate(DELTA_CELL_JS)] == [o - d for o, d in zip(own, depth, strict=True)]
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("weights-preset-clamp")


def test_explore_shows_a_ready_model(app: App) -> None:
    app.open_drawn()
    choose(app, keys.EXPLORE.ready_model, "Trained · LSTM trained on brackets")
    app.page.wait_for_function(f"() => {sequence_box_js()}?.value === '(()(()))((()))()'", timeout=30_000)
    app.wait_idle()
    sidebar = app.page.locator("[data-testid=stSidebar]").inner_text()
    assert "LSTM trained on brackets" in sidebar and "Back to a drawn network" in sidebar
    assert app.page.locator(".st-key-explore_net_kind").count() == 0
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("explore-ready-model")


def test_uploading_a_pytorch_state_dict_continues_with_it_and_a_broken_file_is_refused(app: App,
                                                                                        tmp_path: Path) -> None:
    network = cells.Network.create("gru_torch", 8, 3, seed=4)
    good = tmp_path / "gru-state-dict.npz"
    good.write_bytes(export_torch(network))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(good.read_bytes()[:200])
    open_weights(app)
    app.open_tab("Download and upload", app.page.locator(f".st-key-{keys.WEIGHTS.upload}"))
    uploader = app.page.locator(f".st-key-{keys.WEIGHTS.upload} input[type=file]")
    use = f".st-key-{keys.WEIGHTS.upload_apply} button"

    def upload(path: Path, outcome: Locator) -> None:
        """Choose the file, press Use, and wait for ``outcome``. A click that lands while the upload's own
        rerun is still redrawing the button can be lost, so press again (at most three times)."""
        uploader.set_input_files(str(path))
        app.page.wait_for_function(f"() => document.querySelector({use!r}) && "
                                   f"!document.querySelector({use!r}).disabled && "
                                   f"document.body.innerText.includes({path.name!r})", timeout=30_000)
        app.until_shown(lambda: app.click(app.page.locator(use)), outcome)

    alert = app.page.locator("[data-testid=stAlert]", has_text="not a .npz file")
    upload(broken, alert)
    assert "The current model stays" in alert.inner_text()
    assert "A network drawn from the Network settings" in app.page.locator("[data-testid=stSidebar]").inner_text()

    upload(good, app.page.get_by_text("Uploaded: gru-state-dict.npz").first)
    # Its three units, its own gates (z_t update first), reading the sequence box's 8 characters one-hot.
    assert len(z(app, "update")) == 3
    box = app.page.locator(".st-key-explore_seq_text_box textarea")
    assert box.input_value() == "hello world"  # it reads the typed text
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("weights-uploaded")


def test_letters_typed_in_a_weight_cell_keep_the_weight_and_say_what_was_wrong(app: App) -> None:
    """Single click on a cell, type "abc", Enter; then double click, Ctrl+A, "abc", Enter: each time the weight
    stays, the gates do not move, the model is not marked edited, and the page says what was wrong."""
    open_weights(app)
    before = z(app)
    grid = f".st-key-{keys.WEIGHTS.editor('weights', 0, 'forward', 'forget', 0, (8, 17))} [data-testid=stDataFrame]"
    editor = app.page.locator(grid)
    editor.scroll_into_view_if_needed()
    editor.locator("canvas").first.wait_for(state="visible", timeout=45_000)
    app.wait_idle()
    box = editor.bounding_box()
    assert box is not None
    cell_editor = app.page.locator(".gdg-input, [data-testid=stDataFrame] textarea, [data-testid=stDataFrame] input"
                                   ).first  # the input the grid opens over a cell
    for version, double, letters in ((0, False, "abc"), (1, True, "xyz")):
        refused = app.page.locator("[data-testid=stAlertContentError]", has_text=f"'{letters}' is not a finite number")
        editor = app.page.locator(f".st-key-{keys.WEIGHTS.editor('weights', 0, 'forward', 'forget', version, (8, 17))}"
                                  " [data-testid=stDataFrame]")
        editor.locator("canvas").first.wait_for(state="visible", timeout=45_000)
        app.wait_idle()
        box = editor.bounding_box()

        def type_letters(box=box, double=double, letters=letters) -> None:
            # The grid opens a cell's editor some 50 ms after the key that asks for it; a key that comes sooner
            # opens it afresh and the letters before it are lost (Playwright's typing sent 'c' for "abc"). So, as
            # a user who sees the editor open: wait for it, then type on at a person's pace.
            app.wait_idle()
            app.page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # row u0's name, then right to h0
            # The grid takes the keys once it holds the focus: an arrow sent sooner is lost (it then chose b).
            app.page.wait_for_function("() => document.activeElement && "
                                       "document.activeElement.closest('[data-testid=stDataFrame]')", timeout=5_000)
            app.page.keyboard.press("ArrowRight", delay=60)
            app.page.keyboard.press("ArrowRight", delay=60)
            if double:  # the editor opened on the cell's text, all of it selected, then replaced
                app.page.keyboard.press("Enter")
                cell_editor.wait_for(state="visible", timeout=5_000)
                app.page.keyboard.press("Control+A")
                app.page.keyboard.type(letters, delay=60)
            else:  # the first letter opens the editor with that letter in it
                app.page.keyboard.press(letters[0])
                cell_editor.wait_for(state="visible", timeout=5_000)
                app.page.keyboard.type(letters[1:], delay=60)
            assert cell_editor.input_value() == letters
            app.page.keyboard.press("Enter")

        app.until_shown(type_letters, refused)
        assert (f"f_t weights, row u0, column h0: '{letters}' is not a finite number; the weights stay as they "
                "were") in refused.inner_text()
        app.wait_idle()
        assert z(app) == before
        sidebar = app.page.locator("[data-testid=stSidebar]").inner_text()
        assert "(edited)" not in sidebar and "Back to a drawn network" not in sidebar
        assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    app.screenshot("weights-letters-refused")
