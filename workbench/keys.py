"""Session-state keys: one frozen dataclass per page, every key of a page under the page's own prefix.

A page reads and writes only its own keys; one page hands state to another through ui.handoff. Widget keys
are what browser tests find widgets by (``.st-key-<key>``); share links name their settings with their own
query parameters (workbench.settings, workbench.compare), so a key's spelling never shows in a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CursorKeys:
    """The keys of one gate view and its time cursor, all made from one prefix: the step and unit (what a link,
    a lesson or a hand-off sets), where the view was last told to start, what the browser last reported, and
    the view's own key."""

    prefix: str

    @property
    def step(self) -> str:
        return f"{self.prefix}_step"

    @property
    def unit(self) -> str:
        return f"{self.prefix}_unit"

    @property
    def start(self) -> str:  # (t, unit) the view was last told to start at
        return f"{self.prefix}_cursor_start"

    @property
    def reported(self) -> str:  # (t, unit) the browser last reported
        return f"{self.prefix}_reported"

    @property
    def view(self) -> str:
        return f"{self.prefix}_view"


@dataclass(frozen=True)
class PredictionKeys:
    """The keys of one page's head predictions (ui.predictions): the step they are shown after, the tokens that
    step was set for, the cursor report it last followed, the output whose line is drawn, the table and the line."""

    prefix: str

    @property
    def step(self) -> str:
        return f"{self.prefix}_step"

    @property
    def of(self) -> str:  # not a widget: the tokens the step was set for
        return f"{self.prefix}_of"

    @property
    def followed(self) -> str:  # not a widget: the cursor report the step last followed
        return f"{self.prefix}_followed"

    @property
    def output(self) -> str:
        return f"{self.prefix}_token"

    @property
    def table(self) -> str:
        return f"{self.prefix}_top"

    @property
    def line(self) -> str:
        return f"{self.prefix}_line"


@dataclass(frozen=True)
class ExploreKeys:
    """Explore (views/explore.py). The Weights page shows the same model and reads the same sequence box and
    Network settings (ui.state lists the settings each page reads)."""

    seq_mode: str = "explore_seq_mode"
    seq_text: str = "explore_seq_text"
    seq_example: str = "explore_seq_example"
    embed_size: str = "explore_embed_size"
    embed_seed: str = "explore_embed_seed"
    net_kind: str = "explore_net_kind"
    net_hidden: str = "explore_net_hidden"
    net_seed: str = "explore_net_seed"
    net_scheme: str = "explore_net_scheme"
    net_scale: str = "explore_net_scale"
    net_bidirectional: str = "explore_net_bidirectional"
    net_layers: str = "explore_net_layers"
    view_layer: str = "explore_view_layer"  # what the heatmaps show
    view_direction: str = "explore_view_direction"
    cursor: CursorKeys = field(default_factory=lambda: CursorKeys("explore"))
    download_csv: str = "explore_download_csv"
    download_npz: str = "explore_download_npz"
    download_view: str = "explore_download_view"
    equations_open: str = "explore_equations_open"  # the lecture's equations, drawn only while their expander is open
    figures_open: str = "explore_figures_open"  # the "Figures as HTML" popover, likewise
    present: str = "explore_present"  # presenter mode toggle (?present=1)
    last_good: str = "explore_last_good"  # not a widget: the last settings that encoded and ran
    link_loaded: str = "explore_link_loaded"  # not a widget: the share link has been read into the widgets
    link_errors: str = "explore_link_errors"  # not a widget: what was wrong in the share link
    ready_model: str = "explore_ready_model"  # the "Ready models" menu (Explore's and Weights' sidebar)
    drop_model: str = "explore_drop_model"  # "Back to a drawn network"
    last_good_model_text: str = "explore_last_good_model_text"  # not a widget: the last text the model could read
    first_view_shown: str = "explore_first_view_shown"  # not a widget: the first view (a ready model) was offered
    first_view_drawn: str = "explore_first_view_drawn"  # "Draw a random network instead"
    predict: PredictionKeys = field(default_factory=lambda: PredictionKeys("explore_predict"))  # the head's outputs

    def download_html(self, name: str) -> str:
        return f"explore_download_html_{name}"


@dataclass(frozen=True)
class TrainKeys:
    """Train (views/train.py)."""

    task: str = "train_task"
    kind: str = "train_kind"
    hidden: str = "train_hidden"
    lr: str = "train_lr"
    batch: str = "train_batch"
    steps: str = "train_steps"
    optimizer: str = "train_optimizer"
    seed: str = "train_seed"
    memory_bias: str = "train_memory_bias"
    clip: str = "train_clip"
    go: str = "train_go"
    compare_go: str = "train_compare_go"
    stop: str = "train_stop"
    stopped: str = "train_stopped"  # the Stop button, disabled, once the run has finished
    pretrained: str = "train_pretrained"
    load: str = "train_load"
    look_inside: str = "train_look_inside"
    look_inside_go: str = "train_look_inside_go"
    text: str = "train_text"
    explore: str = "train_explore"
    to_compare: str = "train_to_compare"
    download: str = "train_download"
    curve: str = "train_curve"
    compare_chart: str = "train_compare_chart"
    predictions: str = "train_predictions"
    table_open: str = "train_table_open"  # "Predictions as a table", drawn only while open
    cursor: CursorKeys = field(default_factory=lambda: CursorKeys("train"))  # the typed sequence's gate view
    watched: str = "train_watched"  # not a widget: the model whose unit to watch the cursor was last put on
    result: str = "train_result"  # not a widget: the model the page shows (trained, stopped, diverged or loaded)
    comparison: str = "train_comparison"  # not a widget: the last LSTM/GRU/RNN comparison
    busy: str = "train_busy"  # not a widget: the Handover a training run leaves its model in
    last_text: str = "train_last_text"  # not a widget: the last typed sequence that ran, for the model shown

    def option(self, task: str, option: str) -> str:
        """The key of a task option's widget (``train_opt_first_bit_gap``)."""
        return f"train_opt_{task}_{option}"

    def live(self, done: int, compared: bool = False) -> str:
        """The live curve drawn after ``done`` steps of a run (of the three-cell comparison, ``compared``)."""
        return f"train_{'compare_' if compared else ''}live_{done}"


@dataclass(frozen=True)
class FlowKeys:
    """Gradient flow (views/gradient_flow.py)."""

    steps: str = "flow_steps"
    hidden: str = "flow_hidden"
    seed: str = "flow_seed"
    random_chart: str = "flow_random_chart"
    trained_chart: str = "flow_trained_chart"
    own_chart: str = "flow_own_chart"


@dataclass(frozen=True)
class WeightsKeys:
    """Weights (views/weights.py)."""

    layer: str = "w_layer"
    direction: str = "w_direction"
    gate: str = "w_gate"
    preset: str = "w_preset"
    preset_apply: str = "w_preset_apply"
    reset: str = "w_reset"
    seed: str = "w_seed"
    redraw: str = "w_redraw"
    version: str = "w_version"  # not a widget: bumped after each applied edit, so the editors start afresh
    knobs: str = "w_knobs"  # not a widget: each knob's last applied value
    edit_error: str = "w_edit_error"  # not a widget: what went wrong with a ready model, said at the top
    edit_refused: str = "w_edit_refused"  # not a widget: what an edit held that could not be used
    section: str = "w_section"  # which of the page's task tabs is open (workbench.weights.SECTIONS)
    clamp_on: str = "w_clamp_on"
    clamp_gate: str = "w_clamp_gate"
    clamp_value: str = "w_clamp_value"
    clamp_units: str = "w_clamp_units"
    clamp_steps: str = "w_clamp_steps"
    clamp: CursorKeys = field(default_factory=lambda: CursorKeys("w_clamp"))  # the clamp's gate view
    preview: CursorKeys = field(default_factory=lambda: CursorKeys("w_preview"))  # the gate being edited, C_t, h_t
    upload: str = "w_upload"
    upload_vocab: str = "w_upload_vocab"
    upload_vocab_file: str = "w_upload_vocab_file"
    upload_layer: str = "w_upload_layer"  # which recurrent layer of the file, by its name, when it has more than one
    upload_found: str = "w_upload_found"  # not a widget: (file name, what it held, its layer names)
    upload_apply: str = "w_upload_apply"
    upload_error: str = "w_upload_error"  # not a widget: why the last upload was refused
    predict: PredictionKeys = field(default_factory=lambda: PredictionKeys("w_predict"))  # the head's outputs
    gate_activation: str = "w_gate_activation"  # what squashes the σ gates: σ, or a hard sigmoid
    head_predicts: str = "w_head_predicts"  # a file's head read as "classes" or "values"
    present: str = "w_present"  # presenter mode toggle (?present=1)
    roles_file: str = "w_roles_file"  # not a widget: (file name, its arrays) of a file whose arrays need roles
    roles_kind: str = "w_roles_kind"
    roles_layout: str = "w_roles_layout"
    roles_apply: str = "w_roles_apply"
    link_loaded: str = "w_link_loaded"  # not a widget: the page's own link settings have been read
    link_step: str = "w_link_step"  # not a widget: the step a link asked for, until the page knows its text
    link_errors: str = "w_link_errors"  # not a widget: what was wrong with the page's own link settings

    def editor(self, field: str, layer: int, direction: str, gate: str, version: int, shape: tuple[int, int]) -> str:
        """One data editor: ``field`` is "weights" (the gate's [W | b]), "peepholes" or "projection", ``shape``
        its table's (rows, columns), so an editor never keeps edits meant for a table of another size."""
        return f"w_edit_{field}_{layer}_{direction}_{gate}_{version}_{shape[0]}x{shape[1]}"

    def role(self, role: str) -> str:
        """The menu that gives a file's array a role ("input", "recurrent", "head_weights" …)."""
        return f"w_role_{role}"

    def knob(self, what: str, layer: int, direction: str, gate: str) -> str:
        """A gate's knob: ``what`` is "scale" or "shift"."""
        return f"w_knob_{what}_{layer}_{direction}_{gate}"

    def chart(self, name: str) -> str:
        return f"w_chart_{name}"

    def export(self, fmt: str) -> str:
        """A download button of the model in ``fmt`` ("npz", "json", "torch", "keras")."""
        return f"w_export_{fmt}"


@dataclass(frozen=True)
class CompareKeys:
    """Compare (views/compare.py): its own keys, so its panes and cursor never move Explore's."""

    start: str = "cmp_start"  # how the comparison starts: two models, two inputs, two weight settings
    same_input: str = "cmp_same_input"  # pane B reads pane A's input
    same_net: str = "cmp_same_net"  # pane B runs pane A's network
    view: str = "cmp_view"  # side by side, bidirectional, deep stack
    view_pane: str = "cmp_view_pane"  # which pane the bidirectional and deep views show
    layer: str = "cmp_layer"
    direction: str = "cmp_direction"
    gate: str = "cmp_gate"  # the gate or state the bidirectional and deep views draw
    cursor: CursorKeys = field(default_factory=lambda: CursorKeys("cmp_side"))  # one cursor for the three views
    view_a: str = "cmp_view_a"
    view_b: str = "cmp_view_b"
    view_diff: str = "cmp_view_diff"
    make_bidirectional: str = "cmp_make_bidirectional"
    summary: str = "cmp_summary"  # the Summary expander: open or not
    download_gates: str = "cmp_download_gates"
    download_half_life: str = "cmp_download_half_life"
    last_good: str = "cmp_last_good"  # not a widget: pane -> the last settings that ran
    link_loaded: str = "cmp_link_loaded"
    link_errors: str = "cmp_link_errors"
    present: str = "cmp_present"  # presenter mode toggle (?present=1)

    def pane(self, p: str, name: str) -> str:
        """Pane ``p``'s (``"a"`` or ``"b"``) setting ``name``: ``cmp_a_kind``."""
        return f"cmp_{p}_{name}"


@dataclass(frozen=True)
class LessonKeys:
    """Lessons (views/lessons.py)."""

    present: str = "lessons_present"  # presenter mode toggle (query parameter ?present=1)
    prev: str = "lessons_prev"  # previous stop
    next: str = "lessons_next"  # next stop
    cursor: CursorKeys = field(default_factory=lambda: CursorKeys("lessons"))  # the stop's gate view
    reset: str = "lessons_reset"  # put the "try this" control back
    open_explore: str = "lessons_open_explore"
    shown: str = "lessons_shown"  # not a widget: the stop the cursor belongs to
    going: str = "lessons_going"  # not a widget: the stop a button asked for, shown by the run it started

    def knob(self, slug: str) -> str:
        """A stop's "try this" slider (each stop keeps its own)."""
        return f"lessons_knob_{slug}"

    def go(self, slug: str) -> str:
        """The sidebar's button for stop ``slug``."""
        return f"lessons_jump_{slug}"

    def chart(self, slug: str, index: int) -> str:
        return f"lessons_chart_{slug}_{index}"


@dataclass(frozen=True)
class CorpusKeys:
    """Corpus (views/corpus.py): a model over a whole text, the census, the coloured text, find by pattern."""

    model: str = "corpus_model"  # which model: a shipped one's name, or "current" (the one on Weights)
    source: str = "corpus_source"  # which text: "shipped", "pasted" or "uploaded"
    part: str = "corpus_part"  # how many of the shipped held-out files to read (the first ones)
    pasted: str = "corpus_pasted"
    upload: str = "corpus_upload"
    run: str = "corpus_run"  # the Run button
    run_here: str = "corpus_run_here"  # the Run button beside the page's first words, before any run
    stop: str = "corpus_stop"  # the Stop button (pressing it interrupts the run under way)
    result: str = "corpus_result"  # not a widget: the last good run (workbench.corpus.Loaded)
    uploaded: str = "corpus_uploaded"  # not a widget: (file name, text) of the last good upload
    message: str = "corpus_message"  # not a widget: what went wrong with the last input, said once
    section: str = "corpus_section"  # census, text or match
    section_shown: str = "corpus_section_shown"  # not a widget: the section drawn last (a second click keeps it)
    unit: str = "corpus_unit"  # not a widget: the unit the text is coloured by, "layer.state.unit"
    unit_box: str = "corpus_unit_box"  # the box that types one
    census_table: str = "corpus_census_table"
    concept: str = "corpus_concept"  # the census table's filter
    text_view: str = "corpus_text_view"  # the coloured-text component
    at: str = "corpus_at"  # not a widget: the corpus position the coloured text shows
    clicked: str = "corpus_clicked"  # not a widget: the character clicked last, for the gate view
    selection: str = "corpus_selection"  # not a widget: the span selected in the coloured text, (start, stop)
    threshold: str = "corpus_threshold"
    matches_table: str = "corpus_matches_table"
    cursor: CursorKeys = field(default_factory=lambda: CursorKeys("corpus_gate"))  # the gate view of a clicked place
    link_loaded: str = "corpus_link_loaded"  # not a widget: the link has been read into the widgets
    autorun: str = "corpus_autorun"  # not a widget: a link named a view before any run: run it once
    open_explore: str = "corpus_open_explore"


@dataclass(frozen=True)
class AppKeys:
    """Every page (app.py and the pieces every page draws)."""

    model: str = "model"  # not a widget: the model the user picked (ui.model), absent for drawn networks
    parcel: str = "handoff_parcel"  # not a widget: what one page hands another (ui.handoff)
    kept_settings: str = "kept_settings"  # not a widget: every page's settings, kept across pages (ui.state)
    last_numbers: str = "last_numbers"  # not a widget: number box key -> the value it last had
    number_notes: str = "number_notes"  # not a widget: number box key -> what was put back, said once
    session_seen: str = "session_seen"  # not a widget: this session has run once (ui/reconnect.py)
    link_written: str = "link_written"  # not a widget: the share-link parameters as the app last wrote them
    link_page: str = "link_page"  # not a widget: the page the last run showed (ui/history.py)
    link_back: str = "link_back"  # not a widget: Back or Forward brought an address to apply as a link
    link_run: str = "link_run"  # not a widget: this run's part in the browser's history (ui/history.py)
    palette: str = "palette"  # the colour setting in every page's sidebar (?palette=colourblind)
    palette_link_read: str = "palette_link_read"  # not a widget: the link's palette has been read
    palette_note: str = "palette_note"  # not a widget: (what was wrong with the link's palette, the page)
    show_tables: str = "show_tables"  # "Show numbers as tables" (ui/tables.py), one setting for every page


@dataclass(frozen=True)
class InsightKeys:
    """The attribution and state-space panels of a page's gate view and its "where it settles" section
    (ui/insight.py, ui/settle.py), all made from one prefix."""

    prefix: str

    @property
    def show(self) -> str:  # the panels are on
        return f"{self.prefix}_show"

    @property
    def target(self) -> str:  # what the attribution explains
        return f"{self.prefix}_target"

    @property
    def baseline(self) -> str:  # integrated gradients' baseline
        return f"{self.prefix}_baseline"

    @property
    def state(self) -> str:  # h_t or C_t in the state space
        return f"{self.prefix}_state"

    @property
    def held(self) -> str:  # the input held while searching for fixed points
        return f"{self.prefix}_held"

    @property
    def token(self) -> str:  # the token held
        return f"{self.prefix}_token"

    @property
    def starts(self) -> str:  # where the fixed-point search starts from
        return f"{self.prefix}_starts"

    @property
    def found(self) -> str:  # not a widget: the last fixed points found, with what they were found for
        return f"{self.prefix}_found"

    @property
    def stop(self) -> str:  # the search's Stop button
        return f"{self.prefix}_stop"

    @property
    def open(self) -> str:  # the "where it settles" expander
        return f"{self.prefix}_open"

    @property
    def chart(self) -> str:  # the "where it settles" figure
        return f"{self.prefix}_chart"

    @property
    def search(self) -> str:  # the search's Find button
        return f"{self.prefix}_search"


EXPLORE = ExploreKeys()
TRAIN = TrainKeys()
FLOW = FlowKeys()
WEIGHTS = WeightsKeys()
COMPARE = CompareKeys()
LESSONS = LessonKeys()
CORPUS = CorpusKeys()
APP = AppKeys()
EXPLORE_INSIGHT = InsightKeys("explore_insight")
PAGES = (EXPLORE, TRAIN, FLOW, WEIGHTS, COMPARE, LESSONS, CORPUS, APP)
