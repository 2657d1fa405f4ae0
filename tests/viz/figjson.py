"""Read a figure the way the browser gets it: its JSON, with typed arrays ("bdata") decoded."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

DTYPES = {"f4": np.float32, "f8": np.float64, "i1": np.int8, "u1": np.uint8, "i2": np.int16, "u2": np.uint16,
          "i4": np.int32, "u4": np.uint32}


def decode(value: Any) -> Any:
    """``value`` with every {"dtype", "bdata"} typed array turned into a NumPy array."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=DTYPES[value["dtype"]])
            if "shape" in value:
                a = a.reshape([int(n) for n in str(value["shape"]).split(",")])
            return a
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def spec(fig: go.Figure) -> dict:
    """The figure's JSON as Streamlit sends it, decoded."""
    return decode(json.loads(pio.to_json(fig, validate=False)))
