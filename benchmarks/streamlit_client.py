"""A minimal Streamlit client that speaks the browser's websocket protocol, for load tests.

It does what the browser's own client does for one session: fetch the page (keeping the cookies nginx
and Streamlit set), open /_stcore/stream, ask for a script run with the widget values it holds, and
read ForwardMsgs until the run's ``script_finished``. It keeps each widget's id by key (Streamlit's ids
end in ``-<key>``) so a later run can set a widget by its key, as a user's click or typing does. It
does not draw anything: what it measures is the server's side of a page load and of an interaction.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

RUN_TIMEOUT_S = 60.0


class RunError(Exception):
    """A run that ended badly: a traceback on the page, a timeout or a closed connection."""


@dataclass
class Run:
    seconds: float
    exceptions: list[str]
    query_string: str | None  # the share link the run wrote, if it wrote one
    worker: str | None = None


@dataclass
class Session:
    url: str  # http://host:port
    cookies: dict[str, str] = field(default_factory=dict)
    worker: str | None = None  # X-Gatescope-Worker of the page, behind nginx
    ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (widget id, element type)
    values: dict[str, WidgetState] = field(default_factory=dict)  # widget id -> the value this client holds
    page: str = ""
    page_hash: str = ""  # the page the server runs for this session (its navigation message says)
    query: str = ""
    _ws: Any = None

    def _fetch_page(self, path: str) -> None:
        request = urllib.request.Request(self.url + path)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with urllib.request.urlopen(request, timeout=RUN_TIMEOUT_S) as response:
            response.read()
            self.worker = response.headers.get("X-Gatescope-Worker")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value

    async def open(self, page: str = "", query: str = "", timeout: float = RUN_TIMEOUT_S) -> Run:
        """A page load: the HTML, the websocket, the first script run (within ``timeout`` seconds). Returns that
        run."""
        started = time.perf_counter()
        self.page, self.query = page, query
        await asyncio.to_thread(self._fetch_page, "/" + page + (f"?{query}" if query else ""))
        parts = urlsplit(self.url)
        headers = {"Origin": self.url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await websockets.connect(f"ws://{parts.netloc}/_stcore/stream", subprotocols=["streamlit"],
                                            additional_headers=headers, max_size=None, open_timeout=RUN_TIMEOUT_S)
        run = await self._run(started, timeout)
        run.worker = self.worker
        return run

    def set(self, key: str, value: Any) -> None:
        """Give widget ``key`` a new value for the next run (as typing or a knob does)."""
        if key not in self.ids:
            raise KeyError(f"no widget with key {key!r} on the page (known: {', '.join(sorted(self.ids))})")
        wid, kind = self.ids[key]
        state = WidgetState(id=wid)
        if kind == "button":
            state.trigger_value = True
        elif isinstance(value, dict):  # a custom component's state, as its script sends it (a JSON object)
            state.json_value = json.dumps(value)
        elif isinstance(value, bool):
            state.bool_value = value
        elif isinstance(value, int) and kind in ("number_input", "slider") and not isinstance(value, bool):
            state.int_value = value
        elif isinstance(value, float):
            state.double_value = value
        else:
            state.string_value = str(value)
        self.values[wid] = state

    def event(self, key: str, name: str, value: Any) -> None:
        """Send custom component ``key``'s event ``name`` with ``value`` in the next run, as its script's
        ``setTriggerValue(name, value)`` does (the sequence box's "text", say): once, like a button's click."""
        if key not in self.ids:
            raise KeyError(f"no widget with key {key!r} on the page (known: {', '.join(sorted(self.ids))})")
        wid = f"$$STREAMLIT_INTERNAL_KEY_{self.ids[key][0]}__events"
        self.values[wid] = WidgetState(id=wid, json_trigger_value=json.dumps([{"event": name, "value": value}]))

    async def rerun(self) -> Run:
        """One interaction: a script run with the values set since the last one."""
        return await self._run(time.perf_counter())

    async def send_run(self) -> None:
        """Ask for a run without waiting for it (``read_run`` reads it): a click while a long run goes on."""
        await self._send()

    async def read_run(self, timeout: float = RUN_TIMEOUT_S) -> Run:
        return await self._read(time.perf_counter(), timeout)

    async def _run(self, started: float, timeout: float = RUN_TIMEOUT_S) -> Run:
        await self._send()
        return await self._read(started, timeout)

    async def _send(self) -> None:
        back = BackMsg()
        back.rerun_script.query_string = self.query
        back.rerun_script.page_name = self.page
        back.rerun_script.page_script_hash = self.page_hash  # the page shown: a rerun of it, not a new arrival
        back.rerun_script.widget_states.widgets.extend(self.values.values())
        await self._ws.send(back.SerializeToString())
        for wid, state in list(self.values.items()):  # a button's trigger fires once
            if state.HasField("trigger_value") or state.HasField("json_trigger_value"):
                del self.values[wid]

    async def _read(self, started: float, timeout: float) -> Run:
        exceptions: list[str] = []
        query: str | None = None
        deadline = started + timeout
        while True:
            try:
                data = await asyncio.wait_for(self._ws.recv(), timeout=max(deadline - time.perf_counter(), 0.01))
            except (TimeoutError, websockets.ConnectionClosed) as e:
                raise RunError(f"{type(e).__name__} after {time.perf_counter() - started:.1f} s") from None
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                etype = element.WhichOneof("type")
                if etype == "exception":
                    exceptions.append(f"{element.exception.type}: {element.exception.message}")
                elif etype is not None:
                    wid = getattr(getattr(element, etype), "id", "")
                    if wid.startswith("$$ID-"):
                        self._remember_key(wid, etype)
                    if etype == "bidi_component" and "gatescope_history" in element.bidi_component.component_name:
                        # the share link as the app writes it: quietly on the server, by this component in
                        # the browser (ui/history.py), not by a page_info_changed message
                        query = json.loads(element.bidi_component.json or "{}").get("query", query)
                        self.query = query
            elif kind == "navigation":  # the page st.navigation chose for this session (not the main script)
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                query = msg.page_info_changed.query_string
                self.query = query
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                return Run(time.perf_counter() - started, exceptions, query)

    def _remember_key(self, wid: str, etype: str) -> None:
        """Streamlit's ids look like ``$$ID-<hash>-<key>``; a key may itself hold dashes."""
        rest = wid[len("$$ID-"):]
        _, _, key = rest.partition("-")
        if key:
            self.ids[key] = (wid, etype)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
