"""ui/server_guard.py against a real `streamlit run app.py`, spoken to as a visitor's client would (websocket BackMsgs,
HTTP PUTs with the XSRF cookie), plus the eviction rules of the bounded upload manager in-process.

The server runs with DESCENT_GUARD_PROBE=1, which adds GET /_descent/guard: what the server holds (st.cache_data
bytes, upload files and bytes), read from Streamlit's own accounting. Off by default.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

import pytest
from pagetools import bench_client
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec
from websockets.asyncio.client import connect

from ui import server_guard

MB = 2**20
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


load_test = bench_client()  # bench/st_client.py: the benches' server start/stop and RSS reading


@dataclass
class Server:
    port: int
    pid: int
    cookie: str  # "_streamlit_xsrf=<token>", as the health check set it
    token: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **headers: str) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with OPENER.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def probe(self) -> dict:
        status, body = self.get("/_descent/guard")
        assert status == 200, "the guard's test probe is missing: install() did not run"
        return json.loads(body)

    def put(self, session_id: str, name: str, content: bytes, file_id: str | None = None) -> int:
        """PUT one file to the upload endpoint as the browser does (multipart, XSRF header and cookie)."""
        boundary = uuid.uuid4().hex
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        body = (head + "Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(
                "PUT", f"/_stcore/upload_file/{session_id}/{file_id or uuid.uuid4()}", body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": self.token,
                         "Cookie": self.cookie},
            )  # fmt: skip
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


@pytest.fixture(scope="module")
def server():
    """The app on a free loopback port, with the guard's probe on, warmed by one visit to the home page."""
    log = tempfile.NamedTemporaryFile(prefix="descent_guard_", suffix=".log", delete=False)  # noqa: SIM115
    previous = os.environ.get("DESCENT_GUARD_PROBE")
    os.environ["DESCENT_GUARD_PROBE"] = "1"
    try:
        process, port = load_test.start_server(log)
    finally:
        if previous is None:
            del os.environ["DESCENT_GUARD_PROBE"]
        else:
            os.environ["DESCENT_GUARD_PROBE"] = previous
    try:
        with OPENER.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as response:
            cookie = next(v for k, v in response.headers.items() if k.lower() == "set-cookie" and "_xsrf=" in v)
        cookie = cookie.split(";")[0]
        running = Server(port, process.pid, cookie, cookie.split("=", 1)[1])
        asyncio.run(_visit(running, ""))  # the first script run installs the guards
        yield running
    finally:
        load_test.stop_server(process)
        log.close()


@dataclass
class Run:
    """What one rerun sent back."""

    status: str = "?"
    elements: list = field(default_factory=list)  # the new elements, in order
    texts: list[str] = field(default_factory=list)  # their markdown, captions, alerts and headings

    def widget(self, kind: str):
        return next(getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind)


class Visitor:
    """One websocket session, as the browser opens it (origin, XSRF subprotocol and cookie)."""

    def __init__(self, server: Server, ws) -> None:
        self.server, self.ws, self.session_id = server, ws, ""

    async def send(self, msg: BackMsg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def until(self, kind: str) -> ForwardMsg:
        async with asyncio.timeout(120):
            while True:
                msg = ForwardMsg.FromString(await self.ws.recv())
                if msg.WhichOneof("type") == "new_session":
                    self.session_id = msg.new_session.initialize.session_id
                if msg.WhichOneof("type") == kind:
                    return msg

    async def rerun(self, page: str, query: str = "", states: list[WidgetState] = ()) -> Run:
        msg = BackMsg()
        msg.rerun_script.page_name, msg.rerun_script.query_string = page, query
        msg.rerun_script.widget_states.widgets.extend(states)
        await self.send(msg)
        run = Run()
        async with asyncio.timeout(120):
            while True:
                fwd = ForwardMsg.FromString(await self.ws.recv())
                kind = fwd.WhichOneof("type")
                if kind == "new_session":
                    self.session_id = fwd.new_session.initialize.session_id
                elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                    element = fwd.delta.new_element
                    run.elements.append(element)
                    which = element.WhichOneof("type")
                    if which in ("markdown", "alert", "heading"):
                        run.texts.append(getattr(element, which).body)
                elif kind == "script_finished" and fwd.script_finished in load_test.DONE:
                    run.status = load_test.DONE[fwd.script_finished]
                    return run

    async def settle(self) -> None:
        """Wait until the server has handled every message sent before: it answers a heartbeat in order."""
        msg = BackMsg()
        msg.app_heartbeat = True
        await self.send(msg)
        await self.until("heartbeat_ack")


def _visitor(server: Server):
    return connect(
        f"ws://127.0.0.1:{server.port}/_stcore/stream", origin=server.url, subprotocols=["streamlit", server.token],
        additional_headers={"Cookie": server.cookie}, max_size=None, ping_interval=None, proxy=None, open_timeout=30,
    )  # fmt: skip


async def _visit(server: Server, page: str) -> Run:
    async with _visitor(server) as ws:
        return await Visitor(server, ws).rerun(page)


# --- (1) clear_cache ---------------------------------------------------------------------------------------------


def test_a_clients_clear_cache_message_leaves_the_cached_data_in_place(server):
    async def scenario() -> tuple[dict, dict, Run]:
        async with _visitor(server) as ws:
            visitor = Visitor(server, ws)
            assert (await visitor.rerun("one-weight")).status == "success"
            before = server.probe()
            msg = BackMsg()
            msg.clear_cache = True
            await visitor.send(msg)
            await visitor.settle()  # clear_cache handled; no rerun in between could have refilled the caches
            after = server.probe()
            return before, after, await visitor.rerun("one-weight")

    before, after, again = asyncio.run(scenario())
    assert before["cache_data_bytes"] > 0, "the page filled no st.cache_data: nothing to protect here"
    assert after["cache_data_bytes"] == before["cache_data_bytes"]
    assert after["refused_clear_cache"] == before["refused_clear_cache"] + 1
    assert again.status == "success"


# --- (2) metrics -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/_stcore/metrics", {}),
        ("/_stcore/metrics", {"Accept": "application/x-protobuf"}),
        ("/_stcore/metrics?families=session_events_total", {}),
        ("/_stcore/metrics/", {}),
    ],
)
def test_metrics_endpoint_is_not_found_for_a_visitor(server, path, headers):
    status, body = server.get(path, **headers)
    assert status == 404
    assert b"session" not in body and b"cache" not in body


def test_the_other_core_routes_still_answer(server):
    assert server.get("/_stcore/health") == (200, b"ok")
    assert server.get("/")[0] == 200


# --- (3) orphan uploads ------------------------------------------------------------------------------------------


def test_an_orphan_upload_flood_holds_at_most_one_file_per_session_and_the_global_bound(server):
    flood = [0, 0, 1, 2]  # PUTs by sessions 0, 1, 2: 4 x 49 MB = 196 MB sent, none of them used by a widget
    size = 49 * MB
    payload = b"x,y\n" + b"1,2\n" * ((size - 4) // 4)

    async def scenario() -> tuple[list[int], dict, float, float]:
        sockets = [_visitor(server) for _ in range(max(flood) + 1)]
        visitors = [Visitor(server, await s.__aenter__()) for s in sockets]
        try:
            for visitor in visitors:
                await visitor.rerun("")
            rss_before = load_test.rss_mb(server.pid)
            puts = [visitors[i].session_id for i in flood]
            statuses = await asyncio.gather(*(asyncio.to_thread(server.put, sid, "x.csv", payload) for sid in puts))
            held = server.probe()
            return statuses, held, rss_before, load_test.rss_mb(server.pid)
        finally:
            for s in sockets:
                await s.__aexit__(None, None, None)

    statuses, held, rss_before, rss_after = asyncio.run(scenario())
    assert statuses == [204] * len(flood)
    assert held["upload_bytes"] <= server_guard.MAX_HELD_UPLOAD_BYTES
    assert held["upload_files"] <= server_guard.MAX_HELD_UPLOAD_BYTES // len(payload)
    assert held["most_files_in_a_session"] == 1
    # Unguarded, all 196 MB stay resident until the sessions expire; guarded, at most the bound (100 MB) does.
    assert rss_after - rss_before < server_guard.MAX_HELD_UPLOAD_BYTES / MB + 60


def _manager(files: list[tuple[str, str, int]]) -> MemoryUploadedFileManager:
    """A bounded manager fed (session, file id, size) in order."""
    manager = MemoryUploadedFileManager("/upload")
    assert server_guard._bound_uploads(manager)
    for session, file_id, size in files:
        manager.add_file(session, UploadedFileRec(file_id, f"{file_id}.csv", "text/csv", b"0" * size))
    return manager


def _held(manager: MemoryUploadedFileManager) -> dict[str, list[str]]:
    return {session: list(files) for session, files in manager.file_storage.items() if files}


def test_a_session_keeps_only_its_newest_upload():
    manager = _manager([("s", "first", 10), ("t", "other", 10), ("s", "second", 10), ("s", "third", 10)])
    assert _held(manager) == {"s": ["third"], "t": ["other"]}
    assert manager.held() == (2, 20, 1)


def test_uploads_over_the_global_bound_evict_the_oldest_sessions_file_first():
    third = server_guard.MAX_HELD_UPLOAD_BYTES // 3 + 1  # three of these do not fit
    manager = _manager([("a", "1", third), ("b", "2", third), ("c", "3", third)])
    assert _held(manager) == {"b": ["2"], "c": ["3"]}
    assert manager.held() == (2, 2 * third, 1)


def test_a_reupload_under_the_same_id_counts_as_the_newest_and_once():
    third = server_guard.MAX_HELD_UPLOAD_BYTES // 3 + 1
    manager = _manager([("a", "1", third), ("b", "2", third), ("a", "1", third), ("c", "3", third)])
    assert _held(manager) == {"a": ["1"], "c": ["3"]}
    assert manager.held() == (2, 2 * third, 1)


def test_installing_the_upload_bound_twice_changes_nothing():
    manager = _manager([("a", "1", 5)])
    assert server_guard._bound_uploads(manager)
    assert _held(manager) == {"a": ["1"]} and manager.held() == (1, 5, 1)


# --- (4) a legitimate upload -------------------------------------------------------------------------------------


def _csv(slope: float, points: int) -> bytes:
    return ("x,y\n" + "".join(f"{x},{slope * x + 1}\n" for x in range(points))).encode()


def test_a_csv_uploaded_through_the_page_is_the_sessions_current_file(server):
    query = "data.source=Upload+CSV"

    async def upload(visitor: Visitor, uploader_id: str, name: str, content: bytes) -> Run:
        """The browser's steps: ask for an upload URL, PUT the file there, rerun with the widget's new value."""
        ask = BackMsg()
        ask.file_urls_request.request_id, ask.file_urls_request.session_id = name, visitor.session_id
        ask.file_urls_request.file_names.append(name)
        await visitor.send(ask)
        urls = (await visitor.until("file_urls_response")).file_urls_response.file_urls[0]
        assert await asyncio.to_thread(server.put, visitor.session_id, name, content, urls.file_id) == 204
        state = WidgetState(id=uploader_id)
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(content), urls.file_id
        info.file_urls.CopyFrom(urls)
        return await visitor.rerun("fitting-a-line", query, [state])

    async def scenario() -> tuple[Run, Run, dict]:
        async with _visitor(server) as ws:
            visitor = Visitor(server, ws)
            page = await visitor.rerun("fitting-a-line", query)
            uploader = page.widget("file_uploader").id
            first = await upload(visitor, uploader, "first.csv", _csv(2.0, 40))
            second = await upload(visitor, uploader, "second.csv", _csv(-1.0, 30))
            return first, second, server.probe()

    first, second, held = asyncio.run(scenario())
    assert first.status == second.status == "success"
    assert any(r"40 points from first\.csv" in text for text in first.texts)  # the name is shown escaped
    assert any(r"30 points from second\.csv" in text for text in second.texts)
    assert not any("first" in text for text in second.texts)
    assert held["most_files_in_a_session"] == 1  # the second file replaced the first, with no DELETE from the client
