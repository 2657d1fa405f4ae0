"""Session-state keys: every widget's key and the page's own state, in one place.

Widget keys are stable: browser tests and share links rely on them.
"""

# Sequence input
SEQ_MODE = "seq_mode"
SEQ_TEXT = "seq_text"
SEQ_EXAMPLE = "seq_example"
EMBED_SIZE = "embed_size"
EMBED_SEED = "embed_seed"

# Network
NET_KIND = "net_kind"
NET_HIDDEN = "net_hidden"
NET_SEED = "net_seed"
NET_SCHEME = "net_scheme"
NET_SCALE = "net_scale"
NET_BIDIRECTIONAL = "net_bidirectional"
NET_LAYERS = "net_layers"

# What the heatmaps show
VIEW_LAYER = "view_layer"
VIEW_DIRECTION = "view_direction"

# Time cursor and units
CURSOR_STEP = "cursor_step"
CURSOR_UNIT = "cursor_unit"
CURSOR_START = "cursor_start"  # (t, unit) the gate view was last told to start at
CURSOR_REPORTED = "cursor_reported"  # (t, unit) the browser last reported
GATE_VIEW = "gate_view"

# Charts and downloads
DOWNLOAD_CSV = "download_csv"
DOWNLOAD_NPZ = "download_npz"
DOWNLOAD_VIEW = "download_view"
EQUATIONS_OPEN = "equations_open"  # the lecture's equations, drawn only while their expander is open
FIGURES_OPEN = "figures_open"  # the "Figures as HTML" popover, likewise



def download_html(name: str) -> str:
    return f"download_html_{name}"


PRESENT = "present"  # presenter mode toggle (?present=1)

# Page state that is not a widget
LAST_GOOD = "last_good"  # the last settings that encoded and ran
LINK_LOADED = "link_loaded"  # the share link has been read into the widgets
LINK_ERRORS = "link_errors"  # what was wrong in the share link
LAST_NUMBERS = "last_numbers"  # number box key -> the value it last had, put back if it comes empty
NUMBER_NOTES = "number_notes"  # number box key -> what was put back, said once under the box


# ----- Train page (views/train.py) -------------------------------------------------------------------
TRAIN_TASK = "train_task"
TRAIN_KIND = "train_kind"
TRAIN_HIDDEN = "train_hidden"
TRAIN_LR = "train_lr"
TRAIN_BATCH = "train_batch"
TRAIN_STEPS = "train_steps"
TRAIN_OPTIMIZER = "train_optimizer"
TRAIN_SEED = "train_seed"
TRAIN_MEMORY_BIAS = "train_memory_bias"
TRAIN_CLIP = "train_clip"
TRAIN_GO = "train_go"
TRAIN_COMPARE_GO = "train_compare_go"
TRAIN_STOP = "train_stop"
TRAIN_PRETRAINED = "train_pretrained"
TRAIN_LOAD = "train_load"
TRAIN_LOOK_INSIDE = "train_look_inside"
TRAIN_LOOK_INSIDE_GO = "train_look_inside_go"
TRAIN_TEXT = "train_text"
TRAIN_EXPLORE = "train_explore"
TRAIN_TO_COMPARE = "train_to_compare"
TRAIN_DOWNLOAD = "train_download"
TRAIN_CURVE = "train_curve"
TRAIN_COMPARE_CHART = "train_compare_chart"
TRAIN_PREDICTIONS = "train_predictions"
TRAIN_TABLE_OPEN = "train_table_open"  # "Predictions as a table", drawn only while open
TRAIN_VIEW = "train_view"  # the gate view of the typed sequence
TRAIN_STEP = "train_step"  # its cursor: step, unit, where it was told to start, what the browser reported
TRAIN_UNIT = "train_unit"
TRAIN_CURSOR_START = "train_cursor_start"
TRAIN_CURSOR_REPORTED = "train_cursor_reported"
TRAIN_WATCHED = "train_watched"  # not a widget: the model whose unit to watch the cursor was last put on
TRAIN_RESULT = "train_result"  # not a widget: the model the page shows (trained, stopped, diverged or loaded)
TRAIN_COMPARISON = "train_comparison"  # not a widget: the last LSTM/GRU/RNN comparison
TRAIN_BUSY = "train_busy"  # not a widget: the Handover a training run leaves its model in
TRAIN_LAST_TEXT = "train_last_text"  # not a widget: the last typed sequence that ran, for the model shown


def train_option(task: str, option: str) -> str:
    """The key of a task option's widget (``train_opt_first_bit_gap``)."""
    return f"train_opt_{task}_{option}"


# ----- Gradient flow page (views/gradient_flow.py) ---------------------------------------------------
FLOW_STEPS = "flow_steps"
FLOW_HIDDEN = "flow_hidden"
FLOW_SEED = "flow_seed"
FLOW_RANDOM_CHART = "flow_random_chart"
FLOW_TRAINED_CHART = "flow_trained_chart"
FLOW_OWN_CHART = "flow_own_chart"


# ----- Weights page (views/weights.py) and the fixed model in Explore --------------------------------
READY_MODEL = "ready_model"  # Explore's "Ready models" menu
DROP_MODEL = "drop_model"  # "Back to a drawn network"
LAST_GOOD_MODEL_TEXT = "last_good_model_text"  # not a widget: the last text the fixed model could read
W_LAYER = "w_layer"
W_DIRECTION = "w_direction"
W_GATE = "w_gate"
W_PRESET = "w_preset"
W_PRESET_APPLY = "w_preset_apply"
W_RESET = "w_reset"
W_SEED = "w_seed"
W_REDRAW = "w_redraw"
W_VERSION = "w_version"  # not a widget: bumped after each applied edit, so the editors start from the new weights
W_KNOBS = "w_knobs"  # not a widget: each knob's last applied value
W_EDIT_ERROR = "w_edit_error"  # not a widget: what went wrong with a ready model, said at the top of the page
W_EDIT_REFUSED = "w_edit_refused"  # not a widget: what an edit held that could not be used, said under the editors
W_SECTION = "w_section"  # which of the page's task tabs is open (ui.weights.SECTIONS)
W_CLAMP_ON = "w_clamp_on"
W_CLAMP_GATE = "w_clamp_gate"
W_CLAMP_VALUE = "w_clamp_value"
W_CLAMP_UNITS = "w_clamp_units"
W_CLAMP_STEPS = "w_clamp_steps"
W_CLAMP_VIEW = "w_clamp_view"  # the clamp's gate view
W_PREVIEW_VIEW = "w_preview_view"  # the gate being edited, C_t and h_t over the sequence, and its cursor
W_PREVIEW_STEP = "w_preview_step"
W_PREVIEW_UNIT = "w_preview_unit"
W_PREVIEW_START = "w_preview_start"
W_PREVIEW_REPORTED = "w_preview_reported"
W_CLAMP_STEP = "w_clamp_step"  # its time cursor (the browser reports it)
W_CLAMP_UNIT = "w_clamp_unit"
W_CLAMP_START = "w_clamp_start"
W_CLAMP_REPORTED = "w_clamp_reported"
W_UPLOAD = "w_upload"
W_UPLOAD_VOCAB = "w_upload_vocab"
W_UPLOAD_VOCAB_FILE = "w_upload_vocab_file"
W_UPLOAD_LAYER = "w_upload_layer"  # which recurrent layer of the file, when it has more than one
W_UPLOAD_FOUND = "w_upload_found"  # not a widget: (file name, what the last used file held, its layer names)
W_PREDICT_STEP = "w_predict_step"
W_PREDICT_OF = "w_predict_of"  # not a widget: the tokens the step slider was set for
W_PREDICT_FOLLOWED = "w_predict_followed"  # not a widget: the preview's cursor report the slider last followed
W_PREDICT_TOKEN = "w_predict_token"
W_UPLOAD_APPLY = "w_upload_apply"
W_UPLOAD_ERROR = "w_upload_error"  # not a widget: why the last upload was refused
KEPT_SETTINGS = "kept_settings"  # not a widget: the shared settings' values, kept across pages
FIRST_VIEW_SHOWN = "first_view_shown"  # not a widget: Explore's first view (a ready model) has been offered
FIRST_VIEW_DRAWN = "first_view_drawn"  # "Draw a random network instead"


def weights_editor(field: str, layer: int, direction: str, gate: str, version: int, shape: tuple[int, int]) -> str:
    """The key of one data editor: ``field`` is "weights" (the gate's [W | b]), "peepholes" or "projection",
    ``shape`` its table's (rows, columns), so an editor never keeps edits meant for a table of another size."""
    return f"w_edit_{field}_{layer}_{direction}_{gate}_{version}_{shape[0]}x{shape[1]}"


def weights_knob(what: str, layer: int, direction: str, gate: str) -> str:
    """The key of a gate's knob: ``what`` is "scale" or "shift"."""
    return f"w_knob_{what}_{layer}_{direction}_{gate}"


def weights_chart(name: str) -> str:
    return f"w_chart_{name}"


# ----- Compare page (views/compare.py): its own keys, so its panes and cursor never move Explore's ----------
CMP_START = "cmp_start"  # how the comparison starts: two models, two inputs, two weight settings
CMP_SAME_INPUT = "cmp_same_input"  # pane B reads pane A's input
CMP_SAME_NET = "cmp_same_net"  # pane B runs pane A's network
CMP_VIEW = "cmp_view"  # side by side, bidirectional, deep stack
CMP_VIEW_PANE = "cmp_view_pane"  # which pane the bidirectional and deep views show
CMP_LAYER = "cmp_layer"
CMP_DIRECTION = "cmp_direction"
CMP_GATE = "cmp_gate"  # the gate or state the bidirectional and deep views draw
CMP_STEP = "cmp_step"
CMP_UNIT = "cmp_unit"
CMP_VIEW_A = "cmp_view_a"
CMP_VIEW_B = "cmp_view_b"
CMP_VIEW_DIFF = "cmp_view_diff"
CMP_CURSOR_START = "cmp_cursor_start"  # (t, unit) the side-by-side views were last told to start at
CMP_REPORTED = "cmp_reported"  # (t, unit) the browser last reported there
CMP_MAKE_BIDIRECTIONAL = "cmp_make_bidirectional"
CMP_SUMMARY = "cmp_summary"  # the Summary expander: open or not
CMP_DOWNLOAD_GATES = "cmp_download_gates"
CMP_DOWNLOAD_HALF_LIFE = "cmp_download_half_life"
CMP_LAST_GOOD = "cmp_last_good"  # pane -> the last settings that ran
CMP_LINK_LOADED = "cmp_link_loaded"
CMP_LINK_ERRORS = "cmp_link_errors"
CMP_PRESENT = "cmp_present"  # presenter mode toggle (?present=1)


def pane(p: str, name: str) -> str:
    """The key of pane ``p``'s (``"a"`` or ``"b"``) setting ``name``: ``cmp_a_kind``."""
    return f"cmp_{p}_{name}"



# ----- Lessons page (views/lessons.py) ---------------------------------------------------------------
LESSON_PRESENT = "lessons_present"  # presenter mode toggle (query parameter ?present=1)
LESSON_PREV = "lessons_prev"  # previous stop
LESSON_NEXT = "lessons_next"  # next stop
LESSON_JUMP = "lessons_jump"  # the sidebar's list of stops
LESSON_STEP = "lessons_step"  # the time cursor
LESSON_UNIT = "lessons_unit"
LESSON_CURSOR_START = "lessons_cursor_start"  # (t, unit) the stop's view was last told to start at
LESSON_REPORTED = "lessons_reported"  # (t, unit) the browser last reported
LESSON_VIEW = "lessons_view"  # the stop's gate view
LESSON_RESET = "lessons_reset"  # put the "try this" control back
LESSON_OPEN_EXPLORE = "lessons_open_explore"
LESSON_SHOWN = "lessons_shown"  # not a widget: the stop the cursor belongs to


def lesson_knob(slug: str) -> str:
    """The key of a stop's "try this" slider (each stop keeps its own)."""
    return f"lessons_knob_{slug}"


def lesson_chart(slug: str, index: int) -> str:
    return f"lessons_chart_{slug}_{index}"

# ----- every page (app.py) ----------------------------------------------------------------------------
SESSION_SEEN = "session_seen"  # this session has run once (ui/reconnect.py)
PALETTE = "palette"  # the colour setting in every page's sidebar (?palette=colourblind)
PALETTE_LINK_READ = "palette_link_read"  # not a widget: the link's palette has been read
PALETTE_NOTE = "palette_note"  # not a widget: (what was wrong with the link's palette, the page it opened)
SHOW_TABLES = "show_tables"  # "Show numbers as tables" (ui/tables.py), one setting for every page
