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
CURSOR_PREV = "cursor_prev"
CURSOR_NEXT = "cursor_next"
CURSOR_PLAY = "cursor_play"
FOLLOW_UNITS = "follow_units"
PLAYING = "playing"

# Charts and downloads
INPUT_HEATMAP = "input_heatmap"
UNIT_LINES = "unit_lines"
CELL_DIAGRAM = "cell_diagram"
DOWNLOAD_CSV = "download_csv"
DOWNLOAD_NPZ = "download_npz"


def heatmap(name: str) -> str:
    """The key of the heatmap of gate or state ``name`` (its selection state lives there)."""
    return f"heatmap_{name}"


def download_html(name: str) -> str:
    return f"download_html_{name}"


# Page state that is not a widget
LAST_GOOD = "last_good"  # the last settings that encoded and ran
LINK_LOADED = "link_loaded"  # the share link has been read into the widgets
LINK_ERRORS = "link_errors"  # what was wrong in the share link
SEEN_SELECTION = "seen_selection"  # heatmap key -> the click already applied
