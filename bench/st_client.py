"""A Streamlit session without a browser: the WebSocket protocol a browser tab speaks, for the load benchmark.

A browser tab of a Streamlit app holds one WebSocket (`/_stcore/stream`) and exchanges protobuf messages over
it: the tab sends a ``BackMsg.rerun_script`` (page, query string, the states of the widgets on screen) for a
first load, a navigation or a widget change; the server runs the script and streams ``ForwardMsg``s back — a
``new_session`` at the start of each run, one ``delta`` per element, a ``navigation`` with the app's pages,
and a ``script_finished`` at the end. This client does exactly that and nothing else: the server sees the
same messages, reruns and sessions as from Chromium, while the client's own cost is a few protobuf parses
instead of a renderer process, so a load test on the servers' own machine measures the servers.

What a tab does and this client does not: draw (the elements are kept as protobufs, widgets by id), load the
static JavaScript bundle (one GET of ``/`` stands for it: it picks up nginx's sticky-route cookie), run
custom components' JavaScript, and answer ``auto_rerun`` timers (no screen under load here uses them).
"""
from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
FRAGMENT = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
ALERT_ERROR, ALERT_SUCCESS, ALERT_INFO = 1, 4, 3


class ProtocolError(RuntimeError):
    """The connection closed, or the server did not finish a run in time."""


@dataclass
class Screen:
    """What one finished script run put on screen: elements by delta path, widgets by label."""

    elements: dict[tuple, object] = field(default_factory=dict)  # delta path → Element protobuf
    pages: dict[str, str] = field(default_factory=dict)  # url path → page script hash
    page_hash: str = ""
    fragments: dict[tuple, str] = field(default_factory=dict)  # delta path → id of the fragment drawing it

    def fragment_of(self, widget) -> str:
        """The id of the fragment ``widget`` is drawn in ("" outside any): a change of it reruns
        only that fragment, as the tab asks."""
        for path, e in self.elements.items():
            kind = e.WhichOneof("type")
            if kind and getattr(getattr(e, kind), "id", None) == widget.id:
                return self.fragments.get(path, "")
        return ""

    def of_type(self, kind: str) -> list:
        return [e for e in self.elements.values() if e.WhichOneof("type") == kind]

    def widgets(self, kind: str) -> list:
        return [getattr(e, kind) for e in self.of_type(kind)]

    def widget(self, kind: str, label: str, exact: bool = False):
        """The first widget of ``kind`` whose label contains (is, with ``exact``) ``label``; None if none."""
        return next((w for w in self.widgets(kind) if (w.label == label if exact else label in w.label)), None)

    def alerts(self, fmt: int) -> list[str]:
        return [e.alert.body for e in self.of_type("alert") if e.alert.format == fmt]

    def error(self) -> str | None:
        """An exception or an error alert on screen, as the tab would show it."""
        for e in self.of_type("exception"):
            return f"exception: {e.exception.type}: {e.exception.message}"[:300]
        errs = self.alerts(ALERT_ERROR)
        return errs[0][:300] if errs else None

    def text(self) -> str:
        parts = []
        for e in self.elements.values():
            kind = e.WhichOneof("type")
            if kind == "markdown":
                parts.append(e.markdown.body)
            elif kind == "heading":
                parts.append(e.heading.body)
            elif kind == "alert":
                parts.append(e.alert.body)
        return "\n".join(parts)


class Session:
    """One browser tab's Streamlit session over ``base`` (http://host:port), through nginx or direct."""

    def __init__(self, base: str, timeout: float = 60.0, locale: str = "zh-CN") -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.locale = locale
        self.cookies: dict[str, str] = {}
        self.screen = Screen()
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._running: Screen | None = None
        self._done: asyncio.Future | None = None
        self._closed: BaseException | None = None
        self.pages: dict[str, str] = {}
        self.query = ""
        self._fragment = ""  # the fragment whose run is awaited ("" for a whole run)

    # --- connection -------------------------------------------------------------------------------
    def _get_index(self) -> None:
        req = urllib.request.Request(self.base + "/", headers={"Accept-Language": self.locale})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - the benchmark's own server
            for header in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            resp.read()

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        await asyncio.to_thread(self._get_index)
        headers = {"Accept-Language": self.locale}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        ws_url = "ws" + self.base[4:] + "/_stcore/stream"
        self._ws = await asyncio.wait_for(
            connect(ws_url, subprotocols=["streamlit"], additional_headers=headers, origin=self.base,
                    max_size=None, ping_interval=None, open_timeout=self.timeout, compression=None),
            self.timeout)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._on(msg)
        except Exception as exc:  # the connection broke: whoever waits learns it
            self._closed = exc
        else:
            self._closed = ProtocolError("connection closed")
        if self._done is not None and not self._done.done():
            self._done.set_exception(ProtocolError(f"connection lost: {self._closed!r}"))

    def _on(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":  # a script run starts: its screen is built anew
            ids = set(msg.metadata.run.fragment_ids)
            self._running = Screen(pages=self.pages, page_hash=msg.new_session.page_script_hash)
            if ids:  # a fragment's run: the rest of the screen stays, the fragment is drawn anew
                old = self.screen
                self._running.elements = {p: e for p, e in old.elements.items() if old.fragments.get(p) not in ids}
                self._running.fragments = {p: f for p, f in old.fragments.items() if f not in ids}
        elif kind == "navigation":
            self.pages.clear()
            self.pages.update({p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages})
            if self._running is not None:
                self._running.page_hash = msg.navigation.page_script_hash or self._running.page_hash
        elif kind == "delta" and self._running is not None:
            if msg.delta.WhichOneof("type") == "new_element":
                path = tuple(msg.metadata.delta_path)
                self._running.elements[path] = msg.delta.new_element
                if msg.delta.fragment_id:
                    self._running.fragments[path] = msg.delta.fragment_id
        elif kind == "script_finished":
            status = msg.script_finished
            if status == EARLY or (status == FRAGMENT and self._fragment not in msg.metadata.run.fragment_ids):
                return  # st.rerun(), or another fragment's run: the run the tab waits for is still to come
            if self._running is not None:
                self.screen = self._running
            if self._done is not None and not self._done.done():
                self._done.set_result(self.screen)

    # --- runs -------------------------------------------------------------------------------------
    async def run(self, *, page: str | None = None, query: str | None = None,
                  widgets: list[WidgetState] = (), fragment: str = "") -> Screen:
        """Ask for a script run and wait until the script has finished (after any st.rerun). Without
        ``page`` the current page reruns with its query string, as after a widget change in the tab;
        with ``fragment`` (``Screen.fragment_of`` the widget changed) only that fragment runs."""
        if self._closed is not None:
            raise ProtocolError(f"connection lost: {self._closed!r}")
        back = BackMsg()
        cs = back.rerun_script
        if page is not None or query is not None:
            self.query = query or ""
        cs.query_string = self.query
        if page is not None:
            page_hash = self.pages.get(page)
            if page_hash:
                cs.page_script_hash = page_hash
            else:
                cs.page_name = page
        else:
            cs.page_script_hash = self.screen.page_hash
        cs.widget_states.widgets.extend(widgets)
        self._fragment = fragment if page is None and query is None else ""
        if self._fragment:
            cs.fragment_id = self._fragment
        cs.context_info.locale = self.locale
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.timezone_offset = -480
        cs.context_info.url = f"{self.base}/{page or ''}" + (f"?{self.query}" if self.query else "")
        self._done = asyncio.get_running_loop().create_future()
        await self._ws.send(back.SerializeToString())
        try:
            return await asyncio.wait_for(self._done, self.timeout)
        except TimeoutError as exc:
            raise ProtocolError(f"no finished run within {self.timeout:.0f} s") from exc


# --- widget states, as a tab sends them --------------------------------------------------------------
def text(widget, value: str) -> WidgetState:
    return WidgetState(id=widget.id, string_value=value)


def choice(widget, option: str) -> WidgetState:
    """A radio or selectbox set to one of its options (by its shown text)."""
    return WidgetState(id=widget.id, string_value=option)


def click(widget) -> WidgetState:
    return WidgetState(id=widget.id, trigger_value=True)


async def timed(coro) -> tuple[float, Screen]:
    t0 = time.perf_counter()
    screen = await coro
    return time.perf_counter() - t0, screen
