"""A Streamlit client and server harness for the benchmarks: what the browser says, spoken from Python.

- `start_server` / `stop_server`: `streamlit run <app>` on a free loopback port, healthy when /_stcore/health says ok.
- `Client`: one session over the websocket (BackMsg / ForwardMsg protobufs from the streamlit package): reruns a page
  with widget states, keeps the browser's message cache (hashes of the large elements it already holds), asks for
  upload URLs; `http_request` does the HTTP side (uploads, downloads) from the same source address and cookies.
- `cpu_seconds`, `process_cpu`, `rss_mb`: what a server process (and its children) used, from /proc.
Loopback only: nothing here contacts another host or a proxy.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLs
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
RERUN_TIMEOUT = 120.0  # seconds for one rerun before it counts as a timeout
DONE = {ForwardMsg.FINISHED_SUCCESSFULLY: "success", ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error"}
XSRF_COOKIE = "_streamlit_xsrf"


# --- the server process ----------------------------------------------------------------------------------------------


def family(pid: int) -> set[int]:
    """pid and all its descendants, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    members, grew = {pid}, True
    while grew:
        new = {child for child, parent in parents.items() if parent in members} - members
        members |= new
        grew = bool(new)
    return members


def rss_mb(pid: int) -> float:
    """Resident memory of pid and its descendants (VmRSS), in MB."""
    total_kb = 0
    for member in family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (utime + stime of /proc/<pid>/stat: every thread, live or exited) of pid and its descendants."""
    ticks = 0
    for member in family(pid):
        try:
            ticks += sum(int(v) for v in Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()[11:13])
        except (OSError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """The same CPU time as `cpu_seconds` for pid alone, to the nanosecond rather than the 10 ms clock tick.

    Linux's per-process CPU clock (clock_getcpuclockid: ((~pid) << 3) | CPUCLOCK_SCHED) sums every thread, exited
    ones included, exactly what utime + stime round down to ticks. A rerun costs a few ticks, so ticks are too coarse.
    """
    return time.clock_gettime(((~pid) << 3) | 2)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def healthy(host: str, port: int, timeout: float = 2) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
    try:
        return opener.open(f"http://{host}:{port}/_stcore/health", timeout=timeout).read() == b"ok"
    except OSError:
        return False


def start_server(
    log,
    app: str = "app.py",
    *,
    cwd: Path = ROOT,
    port: int | None = None,
    options: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[subprocess.Popen, int]:
    """`streamlit run app` in cwd on a loopback port (free unless given), once /_stcore/health answers "ok".

    options: extra `--section.option value` pairs, e.g. {"runner.postScriptGC": "false"}.
    """
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    for name, value in (options or {}).items():
        command += [f"--{name}", value]
    environment = {**os.environ, **(env or {})}
    server = subprocess.Popen(
        command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
        start_new_session=True,
    )  # fmt: skip
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up and server.poll() is None:
        if healthy("127.0.0.1", port):
            return server, port
        time.sleep(0.25)
    stop_server(server)
    raise RuntimeError(f"the server did not become healthy within {timeout:.0f} s (log: {log.name})")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def settle(pid: int, quiet: float = 0.0005, every: float = 0.03, longest: float = 3.0) -> float:
    """Wait until pid's CPU clock gains less than `quiet` s over `every` s (its after-run work, e.g. GC, is done);
    return the clock then."""
    give_up, last = time.monotonic() + longest, process_cpu(pid)
    while True:
        time.sleep(every)
        now = process_cpu(pid)
        if now - last < quiet or time.monotonic() > give_up:
            return now
        last = now


# --- the websocket client --------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One rerun as the client saw it, up to script_finished."""

    seconds: float
    received: int  # bytes of every websocket message
    status: str  # "success", "compile_error"
    page: str  # the url path st.navigation ran
    elements: list = field(default_factory=list)  # [(delta path, Element proto | "page_not_found" | "ref_hash")]


@dataclass
class Client:
    """One browser session: its websocket, its cookies, and the hashes of the elements it has cached."""

    ws: ClientConnection
    cookies: dict[str, str] = field(default_factory=dict)
    message_cache: bool = True  # send the hashes of cached elements, as the browser does (the server then sends refs)
    session_id: str = ""
    cached: set[str] = field(default_factory=set)
    pending: list[ForwardMsg] = field(default_factory=list)  # messages read while waiting for something else

    async def _next(self) -> tuple[ForwardMsg, int]:
        raw = await self.ws.recv()
        fwd = ForwardMsg.FromString(raw)
        if fwd.WhichOneof("type") == "new_session":
            self.session_id = fwd.new_session.initialize.session_id or self.session_id
        if self.message_cache and fwd.metadata.cacheable and fwd.hash:
            self.cached.add(fwd.hash)
        return fwd, len(raw)

    async def rerun(self, page: str, states: list[WidgetState] = (), query: str = "") -> Run:
        """Ask for one page with these widget states, read until script_finished."""
        msg = BackMsg()
        msg.rerun_script.page_name = page
        msg.rerun_script.query_string = query
        msg.rerun_script.widget_states.widgets.extend(states)
        if self.message_cache:
            msg.rerun_script.cached_message_hashes.extend(sorted(self.cached))
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = Run(0.0, 0, "?", "?")
        async with asyncio.timeout(RERUN_TIMEOUT):
            while True:
                fwd, size = await self._next()
                run.received += size
                kind = fwd.WhichOneof("type")
                if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                    run.elements.append((tuple(fwd.metadata.delta_path), fwd.delta.new_element))
                elif kind == "ref_hash":  # an element the client holds already: the server sent its hash only
                    run.elements.append((tuple(fwd.metadata.delta_path), "ref_hash"))
                elif kind == "navigation":  # the last one names the page st.navigation ran
                    nav = fwd.navigation
                    run.page = next(
                        (p.url_pathname for p in nav.app_pages if p.page_script_hash == nav.page_script_hash), "?"
                    )
                elif kind == "page_not_found":
                    run.elements.append(((), "page_not_found"))
                elif kind == "script_finished" and fwd.script_finished in DONE:  # not a fragment or early end
                    run.seconds, run.status = time.perf_counter() - start, DONE[fwd.script_finished]
                    return run

    async def file_urls(self, names: list[str]) -> list[FileURLs]:
        """Ask the server where to PUT these files (what the browser does before an upload)."""
        msg = BackMsg()
        request_id = uuid.uuid4().hex
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.session_id = self.session_id
        msg.file_urls_request.file_names.extend(names)
        await self.ws.send(msg.SerializeToString())
        async with asyncio.timeout(30):
            while True:
                fwd, _ = await self._next()
                if fwd.WhichOneof("type") == "file_urls_response" and fwd.file_urls_response.response_id == request_id:
                    return list(fwd.file_urls_response.file_urls)

    async def deferred_file(self, file_id: str) -> str:
        """Ask the server to write a deferred download (a download button given a callable) and return its media URL:
        what the browser does when such a button is clicked."""
        msg = BackMsg()
        request_id = uuid.uuid4().hex
        msg.backend_operation_request.request_id = request_id
        msg.backend_operation_request.session_id = self.session_id
        msg.backend_operation_request.deferred_file.file_id = file_id
        await self.ws.send(msg.SerializeToString())
        async with asyncio.timeout(30):
            while True:
                fwd, _ = await self._next()
                answer = fwd.backend_operation_response
                if fwd.WhichOneof("type") == "backend_operation_response" and answer.request_id == request_id:
                    if answer.error_msg:
                        raise RuntimeError(f"deferred file {file_id}: {answer.error_msg}")
                    return answer.deferred_file.url


def loopback_context(browser, width: int = 1400, height: int = 1000):
    """A Playwright browser context at this viewport that reaches only the local server (every other request is
    aborted, so a bench never waits on the network): what the browser benches (play_rate, cold_start) open."""
    from urllib.parse import urlsplit

    context = browser.new_context(viewport={"width": width, "height": height})

    def only_loopback(route):
        local = urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
        route.continue_() if local or route.request.url.startswith(("data:", "blob:")) else route.abort()

    context.route("**/*", only_loopback)
    return context


def http_request(
    host: str, port: int, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None, source: str | None = None, timeout: float = 30,
) -> tuple[int, bytes]:  # fmt: skip
    """One HTTP request from `source` (a loopback address) with these cookies; (status, body). Set-Cookie headers of
    the answer are stored into `cookies`."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0) if source else None)
    try:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        if cookies is not None:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data
    finally:
        connection.close()


def multipart(field_name: str, file_name: str, content: bytes, content_type: str = "text/csv") -> tuple[bytes, str]:
    """A multipart/form-data body with one file, as the browser's uploader sends it; (body, Content-Type)."""
    boundary = f"----descent{uuid.uuid4().hex}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@asynccontextmanager
async def session(
    host: str, port: int, *, source: str | None = None, cookies: dict[str, str] | None = None,
    message_cache: bool = True, open_timeout: float = 30,
) -> AsyncIterator[Client]:  # fmt: skip
    """A websocket session to the server at host:port from `source`, sending `cookies` (the affinity cookie of a
    load balancer, Streamlit's XSRF cookie)."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else None
    protocols = ["streamlit"]
    if cookies and XSRF_COOKIE in cookies:
        protocols.append(cookies[XSRF_COOKIE])  # the browser sends the XSRF token as the second subprotocol
    async with connect(
        f"ws://{host}:{port}/_stcore/stream",
        origin=f"http://{host}:{port}",
        subprotocols=protocols,
        additional_headers=headers,
        max_size=None,
        ping_interval=None,
        proxy=None,
        open_timeout=open_timeout,
        local_addr=(source, 0) if source else None,
    ) as ws:
        yield Client(ws, dict(cookies or {}), message_cache)
