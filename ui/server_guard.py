"""Guards one public Streamlit server against its own visitors (issue 9): runtime patches, applied once.

Streamlit 1.67 has no config switch for any of these (read in its source: runtime/app_session.py,
web/server/starlette/starlette_routes.py, runtime/memory_uploaded_file_manager.py, config.py):
- Any websocket client may send the `clear_cache` BackMsg: AppSession then clears st.cache_data and
  st.cache_resource for every session (it is the "Clear caches" menu item; `client.toolbarMode = "viewer"` only
  hides the item). Measured here: a new visitor of page 5 costs 0.95 CPU-s warm, 1.94 CPU-s after a clear
  (medians of 5). Guarded, the message is ignored (0.89 and 0.98 CPU-s).
- `/_stcore/metrics` is always routed and unauthenticated (session count, each cache's size): it answers 404.
- The upload endpoint keeps every PUT, under any file id, of a live session until that session ends (2 minutes
  after its socket closes): 12 PUTs of 49 MB to one session took the server from 317 to 906 MB. Guarded, a
  session holds MAX_FILES_PER_SESSION file (its newest) and all sessions together at most MAX_HELD_UPLOAD_BYTES,
  older files evicted; at most MAX_UPLOADS_IN_FLIGHT PUTs are parsed at once (each ends as one bytes object of up
  to 50 MB), so uploads add at most 100 + 2 x 50 MB. The same flood, guarded: peak +150 MB, +54 MB after;
  12 x 49 MB from 12 sessions: peak +188 MB, +101 MB after. A page that has read its file keeps its own copy.
Each patch checks the internals it touches and, if they are not what 1.67 has, logs a warning and skips.
The patches act at the first script run (app.py calls `install()`); before it there is nothing to guard:
no cache is filled and no upload can be made without a session. The environment variable DESCENT_GUARD_PROBE=1
adds GET /_descent/guard (JSON: the cache and upload bytes held) for tests; off by default, never in production.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from dataclasses import asdict, dataclass
from unittest.mock import Mock

import streamlit

try:  # Streamlit's internals and Starlette (its web framework): they may move in a later release
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route
    from starlette.types import ASGIApp, Receive, Scope, Send
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.caching.cache_data_api import get_data_cache_stats_provider
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    _MISSING = ""
except ImportError as error:  # install() then warns and patches nothing
    _MISSING, MemoryUploadedFileManager = repr(error), object

TESTED_VERSION = "1.67."  # the Streamlit whose internals this module was read against
MAX_FILES_PER_SESSION = 1  # one data file at a time: the app has one st.file_uploader
MAX_HELD_UPLOAD_BYTES = 100 * 2**20  # two files at server.maxUploadSize = 50 MB, over all sessions
MAX_UPLOADS_IN_FLIGHT = 2  # PUTs being parsed at once (each ends as one bytes object of up to 50 MB)
UPLOAD_WAIT_S = 20.0  # a PUT waits this long for its turn (its body unread), then gets a 503
METRICS_PATH, UPLOAD_PATH, PROBE_PATH = "_stcore/metrics", "_stcore/upload_file/", "_descent/guard"

_LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()


@dataclass
class Guards:
    """Which guards are in place in this server process."""

    clear_cache: bool = False
    uploads: bool = False
    routes: bool = False  # /_stcore/metrics answers 404; upload PUTs pass a gate
    refused_clear_cache: int = 0  # clear_cache messages ignored so far


GUARDS = Guards()
_SETTLED: set[str] = set()  # guards installed, or given up on with a warning: not tried again


def install() -> Guards:
    """Put every guard in place once per server process; cheap and idempotent on every later run."""
    if len(_SETTLED) == 3:
        return GUARDS
    if _MISSING:
        _LOG.warning("server_guard: Streamlit's internals moved (%s); nothing patched", _MISSING)
        _SETTLED.update(("clear_cache", "uploads", "routes"))
        return GUARDS
    ctx = get_script_run_ctx()
    runtime = Runtime.instance() if ctx is not None and Runtime.exists() else None
    if runtime is None or isinstance(runtime, Mock):  # a bare script, or AppTest (its runtime is a mock): no server
        return GUARDS
    with _LOCK:
        if not streamlit.__version__.startswith(TESTED_VERSION):
            _LOG.warning("server_guard: written for Streamlit %sx, found %s; nothing patched", TESTED_VERSION,
                         streamlit.__version__)  # fmt: skip
            _SETTLED.update(("clear_cache", "uploads", "routes"))
            return GUARDS
        steps = {
            "clear_cache": _ignore_clear_cache,
            "uploads": lambda: _bound_uploads(runtime.uploaded_file_mgr),
            "routes": lambda: _guard_routes(runtime, ctx.session_id),
        }
        for name, step in steps.items():
            if name not in _SETTLED and (installed := step()) is not None:  # None: try again on the next run
                setattr(GUARDS, name, installed)
                _SETTLED.add(name)
    return GUARDS


def _skip(what: str) -> bool:
    _LOG.warning("server_guard: Streamlit's internals changed (%s); that guard is not installed", what)
    return False


# --- clear_cache ---------------------------------------------------------------------------------------------------


def _ignore_clear_cache() -> bool:
    """AppSession's clear_cache handler becomes a no-op (no visitor-facing UI sends it in viewer mode)."""
    if not callable(getattr(AppSession, "_handle_clear_cache_request", None)):
        return _skip("AppSession._handle_clear_cache_request is gone")

    def _handle_clear_cache_request(self: AppSession) -> None:
        if GUARDS.refused_clear_cache == 0:
            _LOG.warning("server_guard: ignored a clear_cache message (logged once; counted in the probe)")
        GUARDS.refused_clear_cache += 1

    AppSession._handle_clear_cache_request = _handle_clear_cache_request
    return True


# --- uploads -------------------------------------------------------------------------------------------------------


class BoundedUploadedFileManager(MemoryUploadedFileManager):
    """MemoryUploadedFileManager that evicts: ≤ MAX_FILES_PER_SESSION files per session (the newest), and
    ≤ MAX_HELD_UPLOAD_BYTES over all sessions (oldest first; the file just added always stays)."""

    _arrivals: dict[tuple[str, str], int]  # (session, file id) -> arrival number, for the files held
    _arrived: int

    def add_file(self, session_id: str, file: UploadedFileRec) -> None:
        self.remove_file(session_id, file.file_id)  # a re-upload under the same id counts as the newest
        super().add_file(session_id, file)
        with self._lock:
            self._arrived += 1
            self._arrivals[session_id, file.file_id] = self._arrived
            held = {(s, f): len(rec.data) for s, files in self.file_storage.items() for f, rec in files.items()}
            self._arrivals = {key: n for key, n in self._arrivals.items() if key in held}  # DELETEs, closed sessions
            oldest_first = sorted(self._arrivals, key=self._arrivals.__getitem__)[:-1]
            mine = [key for key in oldest_first if key[0] == session_id]
            evict = mine[: max(0, len(mine) + 1 - MAX_FILES_PER_SESSION)]
            total = sum(held.values()) - sum(held[key] for key in evict)
            for key in oldest_first:
                if total <= MAX_HELD_UPLOAD_BYTES:
                    break
                if key not in evict:
                    evict.append(key)
                    total -= held[key]
        for evicted_session, file_id in evict:
            self.remove_file(evicted_session, file_id)

    def held(self) -> tuple[int, int, int]:
        """(files, bytes) held for all sessions, and the most files any one session holds."""
        with self._lock:
            most = max((len(files) for files in self.file_storage.values()), default=0)
            return self._file_count, self._total_bytes, most


def _bound_uploads(manager: object) -> bool:
    """Turn the runtime's own manager (the routes hold a reference to it) into the bounded one, state kept."""
    if type(manager) is BoundedUploadedFileManager:
        return True
    needed = ("file_storage", "_lock", "_total_bytes", "_file_count")
    if type(manager) is not MemoryUploadedFileManager or not all(hasattr(manager, a) for a in needed):
        return _skip(f"the upload manager is a {type(manager).__name__}")
    with manager._lock:
        manager._arrivals = {(s, f): 0 for s, files in manager.file_storage.items() for f in files}
        manager._arrived = 0
        manager.__class__ = BoundedUploadedFileManager
    return True


# --- the HTTP routes -----------------------------------------------------------------------------------------------


def _gated(app: ASGIApp, slots: asyncio.Semaphore) -> ASGIApp:
    """`app` run by at most slots' count requests at once; a request that waits UPLOAD_WAIT_S in vain gets a 503."""

    async def gated(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await asyncio.wait_for(slots.acquire(), UPLOAD_WAIT_S)
        except TimeoutError:
            await PlainTextResponse("Too many uploads at once: try again", status_code=503)(scope, receive, send)
            return
        try:
            await app(scope, receive, send)
        finally:
            slots.release()

    return gated


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)


def _guard_routes(runtime: Runtime, session_id: str) -> bool | None:
    """Route /_stcore/metrics to a 404, and PUTs to the upload endpoint through a gate of MAX_UPLOADS_IN_FLIGHT.

    The Starlette app is reached through this session's websocket."""
    client = runtime.get_client(session_id)
    if client is None or type(client).__name__ == "AgentSessionClient":  # socket gone; agent API: no socket
        return None
    app = getattr(getattr(client, "_websocket", None), "scope", {}).get("app")
    routes = getattr(getattr(app, "router", None), "routes", None)
    if not isinstance(routes, list):
        return _skip("no Starlette app behind the session's websocket")
    paths = [(route, getattr(route, "path", ""), getattr(route, "methods", None) or ()) for route in routes]
    metrics = [route for route, path, _ in paths if path.rstrip("/").endswith(METRICS_PATH)]
    uploads = [route for route, path, methods in paths if UPLOAD_PATH in path and "PUT" in methods]
    if not metrics or not uploads:
        return _skip(f"{len(metrics)} metrics and {len(uploads)} upload routes")
    for route in metrics:
        route.app = _not_found  # Route.handle still checks the method, then calls .app
    slots = asyncio.Semaphore(MAX_UPLOADS_IN_FLIGHT)  # binds to the server's event loop at its first use
    for route in uploads:
        route.app = _gated(route.app, slots)
    if os.environ.get("DESCENT_GUARD_PROBE") == "1":
        routes.insert(0, Route(metrics[0].path.replace(METRICS_PATH, PROBE_PATH), _probe, methods=["GET"]))
    return True


async def _probe(request: Request) -> Response:
    """Test hook (DESCENT_GUARD_PROBE=1 only): what the server holds, as JSON."""
    stats = get_data_cache_stats_provider().get_stats()
    media = Runtime.instance().media_file_mgr._storage.get_stats()  # download buttons' files, per session
    manager = Runtime.instance().uploaded_file_mgr
    files, held, most = manager.held() if isinstance(manager, BoundedUploadedFileManager) else (-1, -1, -1)
    body = asdict(GUARDS) | {
        "cache_data_bytes": sum(s.byte_length for family in stats.values() for s in family),
        "upload_files": files,
        "upload_bytes": held,
        "most_files_in_a_session": most,
        "sessions": len(Runtime.instance()._session_mgr.list_sessions()),
        "media_bytes": sum(s.byte_length for family in media.values() for s in family),
        "python_blocks": sys.getallocatedblocks(),  # live small Python allocations (pymalloc)
        "threads": threading.active_count(),
        "os_threads": len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else -1,
    }
    return Response(json.dumps(body), media_type="application/json")
