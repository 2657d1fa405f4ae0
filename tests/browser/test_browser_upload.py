"""Model files as their frameworks saved them, uploaded on the Weights page through the real file chooser.

One tab goes through every format in turn, as a user trying several files would (each upload replaces
the model, so the cases share the page and its start-up): safetensors, a PyTorch state_dict .pt with its
vocabulary file, Keras 3 .keras and .weights.h5, ONNX read by token indices, and Gatescope's own .npz
and JSON as the page's download buttons write them. For each: no error and no exception, the layers
the file held are listed, the gates are drawn with the model's units and the typed text's steps, and
the head's likeliest outputs at the cursor's step are those the engine computes from the same file.
Then the page's own .npz download comes back as the same model, and hostile files are refused by name
while the last good model stays.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # no playwright: conftest skips every test here
    PlaywrightTimeout = TimeoutError

from conftest import ALERT, DEFAULT_VIEWPORT, EXCEPTION, GATE_VIEWS_JS, PREVIEW_JS, App

import cells
from cells import encode
from cells.files.model import to_json, to_npz
from workbench import keys

if TYPE_CHECKING:
    from conftest import Server
    from playwright.sync_api import Browser, Locator, Request, Response

MODELS = Path(__file__).parents[1] / "fixtures" / "models"
CHARS = sorted(set("the quick brown fox jumps over the lazy dog. "))  # the fixtures' character vocabulary
ERROR = "[data-testid=stAlertContentError]"
STEP = f".st-key-{keys.WEIGHTS.predict.step} input[type=range]"  # the cursor slider's own (visually hidden) input


def preview(app: App, name: str) -> list[list[float]] | None:
    """A panel of the Weights page's preview ("forget", "update", "hidden" ...), as (units, steps)."""
    return app.evaluate(PREVIEW_JS, name)


@dataclass(frozen=True)
class Case:
    file: str  # in tests/fixtures/models/, or one written by the test (see ``written``)
    text: str  # what the user types, in the model's own vocabulary (token indices without one)
    held: tuple[str, ...]  # lines of "What <file> held"
    gate: str  # the first gate of its cells, whose heatmap the page draws first
    units: int
    vocabulary: str | None = None  # a vocabulary file chosen beside the model, in tests/fixtures/models/ or written


CASES = [
    Case("char_lm.safetensors", "the lazy fox jump", ("safetensors file", "→ used: nn.LSTM lstm: 2 layers",
         "Embedding embed: 28 tokens × 8 numbers", "Output head fc: 28 outputs", "Vocabulary: from the file"),
         "forget", 16),
    Case("char_lm.pt", "a quick dog jumps", ("PyTorch .pt/.pth file", "→ used: nn.LSTM lstm: 2 layers, 8 inputs, "
         "16 units", "Output head fc", "Vocabulary: from the vocabulary you gave"), "forget", 16,
         vocabulary="char_lm.vocab.json"),
    Case("keras_char_lm.keras", "the brown fox", ("Keras 3 .keras model", "Keras LSTM", "16 units",
         "Vocabulary: from the vocabulary you gave"), "forget", 16, vocabulary="chars.json"),
    Case("keras_char_lm.weights.h5", "over the dog.", ("Keras .weights.h5 file", "Keras LSTM", "16 units",
         "the head's activation is not known"), "forget", 16, vocabulary="chars.json"),
    Case("word_gru.onnx", "11 6 7 8 1", ("ONNX model", "bidirectional, 6 inputs, 8 units",
         "Embedding", "12 tokens × 6 numbers", "2 outputs from 16 numbers"), "update", 8),
    Case("word_gru.gatescope.npz", "the film was not good", (".npz file", "Gatescope network",
         "Embedding model.embedding: 12 tokens × 6 numbers", "Output head model.head.weights: 2 outputs",
         "Vocabulary: from the file"), "update", 8),
    Case("char_lm.gatescope.json", "the lazy dog", ("Gatescope JSON model", "2 layers", "16 units",
         "Embedding embedding: 28 tokens", "Output head head: 28 outputs", "Vocabulary: from the file"),
         "forget", 16),
]


def written(name: str, folder: Path) -> Path:
    """The file a case names: a committed fixture, or one this test writes as the page's own buttons do
    (Gatescope's .npz and JSON of a model read from a fixture, with its vocabulary, embedding and head)."""
    if (MODELS / name).exists():
        return MODELS / name
    path = folder / name
    if not path.exists():
        if name == "chars.json":
            path.write_text(json.dumps(CHARS))
        elif name == "word_gru.gatescope.npz":
            path.write_bytes(to_npz(cells.load(MODELS / "word_gru.pt")))
        elif name == "char_lm.gatescope.json":
            path.write_text(to_json(cells.load(MODELS / "char_lm.safetensors")))
        else:
            raise AssertionError(f"no fixture {name}")
    return path


@dataclass(frozen=True)
class Engine:
    """What the engine makes of the same file and text: the step labels the page's time axis shows, and p_t,
    softmax of ``cells.load(path).read(text).logits`` (a model without a vocabulary reads token indices)."""

    steps: list[str]  # "0·t", "1·h", … "4·#1"
    p: np.ndarray  # (T, K)
    outputs: list[str] | None  # the token each output stands for

    @classmethod
    def of(cls, path: Path, vocabulary: Path | None, text: str) -> Engine:
        model = cells.load(path, vocabulary.read_bytes() if vocabulary else None)
        reading = model.read(text if model.vocabulary is not None else np.array(text.split(), dtype=np.int64))
        logits = np.asarray(reading.logits, dtype=np.float64)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        shown = [encode.visible(t) if len(t) == 1 else t for t in reading.tokens]
        return cls([f"{t}·{token}" for t, token in enumerate(shown)], p / p.sum(axis=1, keepdims=True),
                   model.output_tokens)

    def top(self, step: int) -> tuple[str, float]:
        """The likeliest output after ``step``, as the table names it, and its probability."""
        best = int(np.argmax(self.p[step]))
        return (encode.visible(self.outputs[best]) if self.outputs else f"#{best}"), float(self.p[step, best])


@pytest.fixture(scope="module")
def weights(browser: Browser, server: Server) -> Iterator[App]:
    """One tab on the Weights page for the whole module, reached from Explore's drawn network."""
    width, height = DEFAULT_VIEWPORT
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    app = App(page=context.new_page(), server=server)
    app.page.on("pageerror", lambda error: app.errors.append(f"pageerror: {error}"))
    app.open_drawn()
    app.page.locator("[data-testid=stSidebarNav] a", has_text="Weights").click()
    app.wait_idle()
    app.page.wait_for_function(f"() => !!({PREVIEW_JS})('forget')", timeout=45_000)
    app.wait_idle()
    app.open_tab("Download and upload", app.page.locator(f".st-key-{keys.WEIGHTS.upload}"))
    yield app
    context.close()


def choose_file(app: App, key: str, path: Path | None) -> None:
    """Put ``path`` in the file chooser with this key, or empty it (its chip's delete button) for None."""
    chip = app.page.locator(f".st-key-{key} [data-testid=stFileChip]")
    if path is None:
        for _ in range(3):
            if chip.count() == 0:
                return
            app.wait_idle()
            app.click(app.page.locator(f".st-key-{key} [data-testid=stFileChipDeleteBtn] button"))
            try:
                chip.wait_for(state="detached", timeout=10_000)
            except PlaywrightTimeout:
                continue
        assert chip.count() == 0, app.diagnostics()
        return
    # The chip shortens a long name ("keras_c...weights.h5"); its accessible name is whole. A file chosen while
    # a rerun redraws the chooser can be dropped: choose it again.
    named = app.page.locator(f".st-key-{key} [data-testid=stFileChip][aria-label^={json.dumps(path.name + ',')}]")
    sent: list[str] = []  # what went to the server's upload endpoint meanwhile, for a failure's message

    def heard(response: Response) -> None:
        if "upload_file" in response.url:
            sent.append(f"{response.request.method} {response.status}")

    def failed(request: Request) -> None:
        if "upload_file" in request.url:
            sent.append(f"{request.method} failed: {request.failure}")

    app.page.on("response", heard)
    app.page.on("requestfailed", failed)
    try:
        app.until_shown(lambda: app.page.locator(f".st-key-{key} input[type=file]").set_input_files(str(path)), named)
    except PlaywrightTimeout:
        chips = chip.evaluate_all("chips => chips.map(c => c.getAttribute('aria-label'))")
        said = app.page.locator(f".st-key-{key}").inner_text()
        app.screenshot(f"upload-not-shown-{path.name}")
        pytest.fail(f"{path.name}, chosen three times, never showed in the chooser; it shows {chips} and says "
                    f"{said!r}; the upload requests: {sent}\n{app.diagnostics()}")
    finally:
        app.page.remove_listener("response", heard)
        app.page.remove_listener("requestfailed", failed)


def use_file(app: App, outcome: Locator) -> None:
    """Press "Use this file" and wait for ``outcome``. A click that lands while the upload's own rerun is
    still redrawing the button can be lost, so press again (at most three times)."""
    use = f".st-key-{keys.WEIGHTS.upload_apply} button"
    app.page.wait_for_function(f"() => document.querySelector({use!r}) && !document.querySelector({use!r}).disabled",
                               timeout=30_000)
    app.until_shown(lambda: app.click(app.page.locator(use)), outcome)


def upload(app: App, path: Path, vocabulary: Path | None, outcome: Locator) -> None:
    choose_file(app, keys.WEIGHTS.upload_vocab_file, vocabulary)
    choose_file(app, keys.WEIGHTS.upload, path)
    use_file(app, outcome)


def type_text(app: App, text: str, steps: list[str]) -> None:
    """Type ``text`` in the sequence box and wait until the head's probability line is drawn over its steps."""
    box = app.page.locator(".st-key-explore_seq_text_box textarea")
    box.fill(text)
    box.press("Enter")
    line = f".st-key-{keys.WEIGHTS.predict.line} .js-plotly-plot"
    app.page.wait_for_function(f"""steps => JSON.stringify(Array.from(document.querySelector(
        {line!r})?._fullData?.[0]?.text ?? [])) === JSON.stringify(steps)""",
                               arg=steps, timeout=45_000)
    app.wait_idle()


def shown_top(app: App) -> tuple[str, float]:
    first = app.page.locator(f".st-key-{keys.WEIGHTS.predict.table} tbody tr").first.locator("td")
    return first.nth(0).inner_text(), float(first.nth(1).inner_text())


def no_error(app: App) -> None:
    assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
    errors = app.page.locator(ERROR).all_inner_texts()
    assert not errors, errors


# .pt files need no PyTorch: Gatescope reads the zip checkpoint itself (and the word model's Gatescope .npz is
# written from its .pt the same way), so every case runs under `make test`.
@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_a_model_file_as_saved_shows_its_gates_and_predictions(weights: App, case: Case, tmp_path_factory) -> None:
    app = weights
    folder = tmp_path_factory.getbasetemp() / "uploads"
    folder.mkdir(exist_ok=True)
    path = written(case.file, folder)
    vocabulary = written(case.vocabulary, folder) if case.vocabulary else None
    upload(app, path, vocabulary, app.page.locator("[data-testid=stSidebar]").get_by_text(f"Uploaded: {case.file}"))
    no_error(app)
    held = app.page.locator("[data-testid=stExpander]", has_text=f"What {case.file} held").inner_text()
    for line in case.held:
        assert line in held, held

    engine = Engine.of(path, vocabulary, case.text)
    type_text(app, case.text, engine.steps)
    gate = preview(app, case.gate)
    assert gate is not None, app.diagnostics()
    assert (len(gate), len(gate[0])) == (case.units, len(engine.steps))  # a row per unit, a column per step
    no_error(app)

    # The cursor starts at the last step of new text; the table is what the head predicts after reading it.
    last = len(engine.steps) - 1
    assert app.evaluate(f"() => document.querySelector({STEP!r}).value") == str(last)
    label, p = shown_top(app)
    assert label == engine.top(last)[0] and p == pytest.approx(engine.top(last)[1], abs=1e-4)
    # Home takes the cursor to the first step, and the table follows.
    caption = app.page.get_by_text(f"After reading {engine.steps[0]}:").first

    def home() -> None:  # as Tab reaches the slider, then Home
        app.page.locator(STEP).focus()
        app.page.keyboard.press("Home")

    app.until_shown(home, caption, timeout_ms=10_000)
    label, p = shown_top(app)
    assert label == engine.top(0)[0] and p == pytest.approx(engine.top(0)[1], abs=1e-4)
    no_error(app)
    app.screenshot(f"upload-{case.file.replace('.', '-')}")
    if case.file == "char_lm.safetensors":  # the README's picture: the gates beside the head's predictions
        app.page.locator(f".st-key-{keys.WEIGHTS.preview.view}").evaluate("e => e.scrollIntoView({block: 'center'})")
        app.screenshot("weights-readme", whole_app=False)


def test_the_page_s_own_download_comes_back_as_the_same_model(weights: App, tmp_path: Path) -> None:
    """Download the model shown as Gatescope's .npz, upload that file: the same gates and predictions."""
    app = weights
    if app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: ").count() == 0:  # run alone
        upload(app, MODELS / "char_lm.safetensors", None,
               app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: char_lm.safetensors"))
    before = (preview(app, "hidden"), shown_top(app))
    button = app.page.locator(".st-key-w_export_npz button")
    button.scroll_into_view_if_needed()
    download = app.download(button)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name == "gatescope-model.npz"
    upload(app, saved, None, app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: gatescope-model.npz"))
    held = app.page.locator("[data-testid=stExpander]", has_text="What gatescope-model.npz held").inner_text()
    assert "Embedding model.embedding" in held and "Output head model.head.weights" in held, held
    assert "Vocabulary: from the file" in held
    no_error(app)
    assert (preview(app, "hidden"), shown_top(app)) == before


def lambda_keras(folder: Path) -> Path:
    """The Keras char LM with a Lambda layer (Python code) put in its config."""
    source = zipfile.ZipFile(MODELS / "keras_char_lm.keras")
    config = json.loads(source.read("config.json"))
    config["config"]["layers"].insert(2, {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                                          "config": {"name": "lambda", "function": {
                                              "class_name": "__lambda__", "config": {"code": "print('ran')"}}}})
    path = folder / "lambda.keras"
    with zipfile.ZipFile(path, "w") as z:
        for name in source.namelist():
            z.writestr(name, json.dumps(config) if name == "config.json" else source.read(name))
    return path


def huge_npz(folder: Path) -> Path:
    """An .npz whose one array header claims 10^13 float64 values (80 TB), with no data behind it."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    path = folder / "huge.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("weight_ih_l0.npy", header.getvalue())
    return path


def test_hostile_files_are_refused_by_name_and_the_last_model_stays(weights: App, tmp_path: Path) -> None:
    app = weights
    shown = app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: ")
    if shown.count() == 0:  # run alone: start from a model of a file
        upload(app, MODELS / "char_lm.safetensors", None, shown)
    before = shown.first.inner_text()
    gate = preview(app, "forget") or preview(app, "update")
    for path, message in ((lambda_keras(tmp_path), "lambda.keras: Keras model: it has a Lambda layer, which holds "
                                                   "Python code"),
                          (huge_npz(tmp_path), "huge.npz: model file: array weight_ih_l0 of shape "
                                               "(10000000000000,) is larger than the limit")):
        upload(app, path, None, app.page.locator(ALERT, has_text=path.name))
        alert = app.page.locator(ALERT, has_text=path.name).inner_text()
        assert message in alert and "The current model stays." in alert, alert
        assert shown.first.inner_text() == before
        still = preview(app, "forget") or preview(app, "update")
        assert still == gate  # the same gates of the same model on the same text
        assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
        app.screenshot(f"upload-refused-{path.stem}")


def json_kind_list(folder: Path) -> Path:
    """A Gatescope JSON network whose cells' "kind" is a list: the reader meets a type it did not expect."""
    document = json.loads(cells.to_json(cells.Network.create("lstm", 3, 4, seed=1)))
    for layer in document["layers"]:
        for cell in layer.values():
            if isinstance(cell, dict):
                cell["kind"] = []
    path = folder / "json_kind_list.json"
    path.write_text(json.dumps(document))
    return path


def knob_values(app: App) -> list[str]:
    """The forget gate's two knobs as their sliders say them."""
    return [app.page.locator(f".st-key-{keys.WEIGHTS.knob(what, 0, 'forward', 'forget')} input[type=range]")
            .input_value() for what in ("scale", "shift")]


def test_a_failed_upload_leaves_the_model_and_every_knob_as_they_were(weights: App, tmp_path: Path) -> None:
    """A file the reader chokes on (a list where a cell's kind belongs) is refused with a message, twice, and a
    visit to the page again shows the same model, unedited, with its knobs where they were."""
    app = weights
    sidebar = app.page.locator("[data-testid=stSidebar]")
    upload(app, MODELS / "char_lm.safetensors", None, sidebar.get_by_text("Uploaded: char_lm.safetensors"))
    gate = preview(app, "forget")
    assert knob_values(app) == ["1", "0"]
    bad = json_kind_list(tmp_path)
    for _ in range(2):
        upload(app, bad, None, app.page.locator(ALERT, has_text=bad.name))
        alert = app.page.locator(ALERT, has_text=bad.name).inner_text()
        assert "The current model stays." in alert, alert
        assert app.page.locator(EXCEPTION).count() == 0, app.diagnostics()
        app.page.locator("[data-testid=stSidebarNav] a", has_text="Weights").click()
        app.wait_idle()
        app.page.wait_for_function(f"() => !!({PREVIEW_JS})('forget')", timeout=45_000)
        app.wait_idle()
        assert knob_values(app) == ["1", "0"]
        assert "(edited)" not in sidebar.inner_text() and "Uploaded: char_lm.safetensors" in sidebar.inner_text()
        assert preview(app, "forget") == gate
        app.open_tab("Download and upload", app.page.locator(f".st-key-{keys.WEIGHTS.upload}"))
    no_error(app)


MARKUP_PREFIX = "# Heading `x` ![img](http://127.0.0.1:9/x.png)"  # a layer's name that is all Markdown
MARKUP_EXTRA = "**bold** ![extra](http://127.0.0.1:9/y.png) `code"  # an array the model leaves out


def markup_file(folder: Path) -> Path:
    """A safetensors LSTM whose file name and array names are Markdown: a heading, code spans, images."""
    import safetensors.numpy

    network = cells.Network.create("lstm", 3, 4, seed=2, dtype=np.float32)
    arrays = {f"{MARKUP_PREFIX}.{k}": v for k, v in cells.to_torch(network).items()}
    arrays[MARKUP_EXTRA] = np.zeros(3, np.float32)
    path = folder / "# Title `tick` **bold** [link](x).safetensors"
    path.write_bytes(safetensors.numpy.save(arrays))
    return path


def test_names_in_a_file_show_as_text_and_fetch_nothing(weights: App, tmp_path: Path) -> None:
    """Markdown in a file's name and in its arrays' names is shown as spelt: no heading, no bold, no image, and
    no request leaves the page for the images' addresses."""
    app = weights
    fetched: list[str] = []
    app.page.on("request", lambda request: fetched.append(request.url) if ":9/" in request.url else None)
    path = markup_file(tmp_path)
    sidebar = app.page.locator("[data-testid=stSidebar]")
    upload(app, path, None, sidebar.get_by_text(f"Uploaded: {path.name}"))
    no_error(app)
    held = app.page.locator("[data-testid=stExpander]", has_text="held")
    text = held.inner_text()
    assert f"What {path.name} held" in text, text
    assert f"nn.LSTM {MARKUP_PREFIX}: 1 layer, 3 inputs, 4 units" in text, text
    assert MARKUP_EXTRA in text, text
    assert held.locator("img, h1, h2, strong, code, a").count() == 0, held.inner_html()[:2000]
    label = sidebar.locator("strong", has_text="Uploaded: ")
    assert label.inner_text() == f"Uploaded: {path.name}"  # one bold label, spelt out, with nothing inside it
    assert label.locator("*").count() == 0 and sidebar.locator("img, h1, code, a[href='x']").count() == 0
    app.page.wait_for_timeout(500)
    assert fetched == []


def odd_npz(folder: Path) -> Path:
    """An LSTM (3 inputs, 4 units) with a 2-output head, its arrays named by no convention."""
    torch_arrays = cells.to_torch(cells.Network.create("lstm", 3, 4, seed=6, dtype=np.float32))
    path = folder / "odd.npz"
    np.savez(path, alpha=torch_arrays["weight_ih_l0"], beta=torch_arrays["weight_hh_l0"],
             gamma=torch_arrays["bias_ih_l0"], delta=torch_arrays["bias_hh_l0"],
             out=np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
    return path


def pick(app: App, key: str, option: str) -> None:
    """Choose ``option`` in the selectbox with this key as a user does (again if a rerun closed the list)."""
    for attempt in range(3):
        app.wait_idle()
        app.click(app.page.locator(f".st-key-{key} input"))
        try:
            app.page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            break
        except PlaywrightTimeout:
            app.page.keyboard.press("Escape")
            if attempt == 2:
                raise
    app.wait_idle()


def test_arrays_under_unknown_names_are_given_their_roles_in_the_page(weights: App, tmp_path: Path) -> None:
    """The key-mapping menus: a file whose names no reader knows is refused with an offer; the menus start at a
    guess from the shapes; a wrong choice is named at once and the build button waits; then the model is built."""
    app = weights
    path = odd_npz(tmp_path)
    heading = app.page.get_by_text("Give the file's arrays their roles", exact=True)
    upload(app, path, None, heading)
    assert "give the file's arrays their roles below" in app.page.locator(ERROR).first.inner_text()
    build = app.page.locator(f".st-key-{keys.WEIGHTS.roles_apply} button")
    assert build.is_enabled()
    pick(app, keys.WEIGHTS.role("recurrent"), "gamma 16 float32")
    warning = app.page.locator("[data-testid=stAlertContentWarning]", has_text="already the recurrent weights")
    warning.wait_for(timeout=15_000)
    assert warning.inner_text().strip() == "input bias: 'gamma' is already the recurrent weights"
    assert build.is_disabled()
    pick(app, keys.WEIGHTS.role("recurrent"), "beta 16×4 float32")
    app.page.wait_for_function(f"() => !document.querySelector({f'.st-key-{keys.WEIGHTS.roles_apply} button'!r})"
                               ".disabled", timeout=15_000)
    shown = app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: odd.npz")
    app.until_shown(lambda: app.click(build), shown)
    no_error(app)
    app.page.wait_for_function(f"() => ({PREVIEW_JS})('forget')?.length === 4", timeout=45_000)
    assert "roles given by hand" in app.page.locator("[data-testid=stExpander]", has_text="odd.npz").inner_text()
    app.screenshot("upload-roles")


def test_see_it_in_explore_draws_the_uploaded_model_s_gates(weights: App) -> None:
    """From the Weights page to Explore with an uploaded model: its gate view draws the model's own units
    over the typed text's steps. (Last here: it leaves the Weights page.)"""
    app = weights
    path = MODELS / "char_lm.safetensors"
    upload(app, path, None, app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: char_lm.safetensors"))
    engine = Engine.of(path, None, "over the lazy fox")
    type_text(app, "over the lazy fox", engine.steps)
    app.click(app.page.locator("[data-testid=stSidebar]").get_by_role("link", name="See it in Explore"))
    # The text typed on the Weights page (not the one it was uploaded on), over the model's own 16 units; read in one
    # go, as the page's first runs may mount the view afresh between two reads.
    app.page.wait_for_function(f"""steps => {{
        const v = ({GATE_VIEWS_JS})()[0]?.gatescope;
        return !!v && JSON.stringify(v.h.labels) === JSON.stringify(steps) && v.h.units === 16;
    }}""", arg=engine.steps, timeout=45_000)
    app.wait_idle()
    # the sidebar's model section can be drawn a run after the view: wait for it to name the upload
    app.page.locator("[data-testid=stSidebar]").get_by_text("Uploaded: char_lm.safetensors").first.wait_for(
        timeout=20_000)
    no_error(app)
    app.screenshot("upload-char_lm-in-explore")
