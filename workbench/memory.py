"""Garbage collection for a server that lives for a whole lecture.

CPython's cycle collector now and then walks every object the process holds. In a Gatescope server most of
them are the imported libraries (NumPy, pandas, Plotly, Streamlit and the app: about 135,000 objects), alive
until the process ends, and each full walk over them took about 65 ms: a pause in somebody's rerun, every few
reruns on the Compare page. ``freeze_startup_objects`` moves what is alive at the first run into the
permanent generation, which the collector leaves alone; what sessions make afterwards is collected as before.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_startup_objects() -> bool:
    """Once per process: collect what is garbage now, then freeze everything still alive. True on the call that
    froze; later calls do nothing (freezing again would keep the sessions' objects for ever)."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.collect()
        gc.freeze()
        _frozen = True
        return True
