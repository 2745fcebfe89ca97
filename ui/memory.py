"""Keep the server's memory near its working set when many sessions come and go.

glibc gives each thread that allocates under contention its own malloc arena (up to 8 per core), and
memory freed in an arena mostly stays with the process. Streamlit runs every session's script on its
own thread, so a room full of students leaves many arenas behind. Capping them at two (as
MALLOC_ARENA_MAX=2 would, which Community Cloud does not let us set) measured with bench/load_test.py,
20 sessions: 539 MB at the peak and after they left, instead of 577 MB (the warm server: 460 MB).
A fixed 128 kB mmap threshold keeps large short-lived blocks out of the arenas, and the reaper drops the closed
sessions Streamlit would keep until the next visitor: a 100-session hall, 180 s after it left, +28 % -> +14 % of the
warm server (bench/README.md, "Memory after a 100-session hall").
"""

import ctypes
import ctypes.util
import functools
import gc
import json
import logging
import os
import sys
import threading
import time
import types
from collections import Counter
from concurrent.futures import Future
from pathlib import Path

_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # from glibc's malloc.h
# Blocks of this size or more get their own mmap, handed back to the system whole when freed (see cap_malloc_arenas).
MMAP_THRESHOLD = 128 * 1024


@functools.cache
def cap_malloc_arenas(arenas: int = 2, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Ask glibc for at most `arenas` malloc arenas and a fixed mmap threshold; False (and nothing done) on other C
    libraries.

    The threshold: glibc starts at 128 kB but raises it to the size of every mmapped block freed (up to 32 MB), so
    after the first large frees every cache entry's pickled bytes, Arrow buffer and array of a rerun came from the
    arenas, between longer-lived blocks; freed, they left holes that malloc_trim cannot return. Fixing it (as
    MALLOC_MMAP_THRESHOLD_ would, which also turns the raising off) gives them their own mappings again.
    Where the deployment sets MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_ itself, that setting is left as it is.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        done = True
        if "MALLOC_ARENA_MAX" not in os.environ:
            done &= bool(libc.mallopt(_M_ARENA_MAX, arenas))
        if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            done &= bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold))
        return done
    except (OSError, AttributeError):
        return False


# --- giving memory back after the sessions leave (issue 9) -------------------------------------------------------
# st.cache_data drops an entry past its TTL only when that same cache is next read or written, so a cache nobody
# calls any more keeps its entries for good. The reaper thread expires every cache's stale entries itself, then
# collects and hands the freed heap back to the system (malloc_trim), every REAP_SECONDS.
REAP_SECONDS = 30.0
_log = logging.getLogger(__name__)


def malloc_trim() -> bool:
    """Return the free memory at the top and inside glibc's heaps to the system; False on other C libraries."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


def expire_caches() -> int:
    """Drop every st.cache_data entry past its TTL now, in every cache; the number dropped (0 where Streamlit's
    internals are not the ones of 1.67, read in runtime/caching/cache_data_api.py and storage/)."""
    try:
        from streamlit.runtime.caching import cache_data_api

        registry = cache_data_api._data_caches
        with registry._caches_lock:
            caches = [cache for group in registry._function_caches.values() for cache in group.values()]
        dropped = 0
        for cache in caches:
            storage = cache.storage
            with storage._mem_cache_lock:
                dropped += len(storage._mem_cache.expire())
                storage._report_removals(storage._take_pending_removals())
        return dropped
    except AttributeError as error:  # a Streamlit release with other internals: the caches expire lazily only
        _log.warning("ui.memory: cannot expire st.cache_data entries (%s); they expire when next used", error)
        return 0


def expire_sessions() -> int:
    """Drop the sessions kept past server.disconnectedSessionTTL now; how many (0 without a server or where
    Streamlit's internals are not the ones of 1.67).

    Streamlit keeps a closed session (its AppSession, session state and every widget's metadata) for a reconnect in
    a TTLCache (runtime/memory_session_storage.py) that removes an expired entry only on its next write, that is when
    a new visitor connects: after a hall of 100 students had left, all 100 stayed in memory, invisible to
    list_sessions() (the memory log: +142,000 objects, glibc +48 MB in use, WidgetMetadata held by SessionState <-
    AppSession <- SessionInfo). The cache is not thread-safe: the expiry runs on the server's event loop.
    """
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return 0
        runtime = Runtime.instance()
        kept = runtime._session_mgr._session_storage._cache
        expired: Future[int] = Future()

        def expire() -> None:
            try:
                expired.set_result(len(kept.expire()))
            except Exception as error:  # handed to the reaper's thread
                expired.set_exception(error)

        runtime._get_async_objs().eventloop.call_soon_threadsafe(expire)
        return expired.result(timeout=10)
    except (AttributeError, RuntimeError, TimeoutError) as error:  # closed sessions go on the next connection
        _log.warning("ui.memory: cannot expire closed sessions (%s)", error)
        return 0


def session_count() -> int | None:
    """How many sessions the server holds (connected, or kept after their socket closed); None without a server."""
    try:
        from streamlit.runtime import Runtime

        return len(Runtime.instance()._session_mgr.list_sessions()) if Runtime.exists() else None
    except (AttributeError, RuntimeError):
        return None


def release_arrow_memory() -> bool:
    """Hand pyarrow's freed memory back to the system; False where pyarrow is not loaded.

    Streamlit turns every chart's and table's frame into Arrow IPC bytes, and pyarrow allocates them from its own
    pool (mimalloc here), which keeps freed pages for reuse: neither gc nor malloc_trim reaches them. Measured here
    (pyarrow 26, a 32 MB table written and dropped): RSS 187 MB after the drop, 137 MB after release_unused().
    """
    arrow = sys.modules.get("pyarrow")
    if arrow is None:
        return False
    arrow.default_memory_pool().release_unused()
    return True


def reap_once(collect: bool = False) -> int:
    """expire_caches() and expire_sessions(), then gc.collect() if anything went (or `collect`), malloc_trim() and
    pyarrow's release_unused(); the number of cache entries and sessions dropped."""
    dropped = expire_caches() + expire_sessions()
    if dropped or collect:
        gc.collect()  # ~0.25 CPU-s (runner.postScriptGC is off, see config.toml): only when there is garbage
    malloc_trim()  # cheap (no Python objects walked): also returns what the sessions that left had freed
    release_arrow_memory()  # cheap too: pyarrow's pool keeps what malloc_trim cannot see
    return dropped


# DESCENT_MEMORY_LOG=<file> (bench/ only): after each reap, one JSON line of what the process holds, to find what stays
# after a load's sessions have left (the live objects by type, from gc.get_objects: ~0.2 s, so never on by default).
MEMORY_LOG = os.environ.get("DESCENT_MEMORY_LOG")


class _MallInfo2(ctypes.Structure):
    _fields_ = [  # glibc's struct mallinfo2 (malloc.h), every field a size_t
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def malloc_info() -> dict[str, float]:
    """glibc's own account (mallinfo2, over every arena), in MB: held from the system in arenas (`arena`) and as
    mmapped chunks (`mmapped`), in use and free inside the arenas; {} on other C libraries (bench/ only)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    mb = lambda n: round(n / 2**20, 1)  # noqa: E731
    return {"arena": mb(info.arena), "mmapped": mb(info.hblkhd), "in_use": mb(info.uordblks), "free": mb(info.fordblks)}


def holdings(top: int = 25) -> dict:
    """What the process holds now: RSS, live Python blocks, sessions, tracked objects and the most common types."""
    counts = Counter(type(o).__qualname__ for o in gc.get_objects())
    arrow = sys.modules.get("pyarrow")
    try:
        status = Path("/proc/self/status").read_text().splitlines()
        rss_kb = int(next(line for line in status if line.startswith("VmRSS:")).split()[1])
    except (OSError, StopIteration, ValueError):
        rss_kb = -1
    return {
        "t": round(time.time(), 1),
        "rss_mb": round(rss_kb / 1024, 1),
        "python_blocks": sys.getallocatedblocks(),
        "sessions": session_count(),
        "tracked": sum(counts.values()),
        "frozen": gc.get_freeze_count(),
        "malloc": malloc_info(),
        "arrow_mb": round(arrow.default_memory_pool().bytes_allocated() / 2**20, 1) if arrow else None,
        "arrow_max_mb": round(arrow.default_memory_pool().max_memory() / 2**20, 1) if arrow else None,
        "types": dict(counts.most_common(top)),
    }


REFERRERS = [name for name in os.environ.get("DESCENT_MEMORY_REFERRERS", "").split(",") if name]


def referrer_chain(target: object, depth: int = 8) -> list[str]:
    """Who keeps `target` alive: one chain of referrers upwards (bench/ only, slow), as short type descriptions; a
    live thread's frame (its function, file and line) ends a chain."""
    chain, seen, current = [], {id(target)}, target
    own = {id(sys._getframe()), id(sys._getframe(1))}  # this function's lists and frames, and its caller's
    for _ in range(depth):
        referrers = gc.get_referrers(current)
        own.add(id(referrers))
        holders = [r for r in referrers if id(r) not in seen and id(r) not in own]
        holders = [r for r in holders if not (isinstance(r, list) and len(r) > 10_000)]  # gc.get_objects() itself
        own.add(id(holders))
        if not holders:
            break
        current = holders[0]
        seen.add(id(current))
        hint = type(current).__qualname__
        if isinstance(current, types.FrameType):
            chain.append(f"frame {current.f_code.co_name} {current.f_code.co_filename}:{current.f_lineno}")
            break
        if isinstance(current, dict):
            hint += "{" + ",".join(str(k)[:30] for k in list(current)[:4]) + "}"
        elif isinstance(current, (list, tuple)):
            hint += f"[{len(current)}]"
        elif isinstance(current, types.ModuleType):
            hint += f" {current.__name__}"
            chain.append(hint)
            break
        chain.append(hint)
    del referrers, holders, current
    return chain


def _log_holdings() -> None:
    if MEMORY_LOG:
        line = holdings()
        for name in REFERRERS:
            found, chains = [o for o in gc.get_objects() if type(o).__qualname__ == name][-2:], []  # the youngest
            while found:
                one = found.pop()  # out of the list first: a chain should not end at this function's own list
                chains.append(referrer_chain(one))
                del one
            line[f"held:{name}"] = chains
        with open(MEMORY_LOG, "a") as out:
            out.write(json.dumps(line) + "\n")
        sys._debugmallocstats()  # pymalloc's arenas and pools, to the server's stderr (its log)


@functools.cache
def start_reaper(every: float = REAP_SECONDS) -> threading.Thread:
    """Start (once per process) the daemon thread that runs reap_once() every `every` seconds."""

    def loop() -> None:
        sessions = session_count()
        while True:
            time.sleep(every)
            try:
                now = session_count()
                reap_once(collect=now is not None and sessions is not None and now < sessions)  # some sessions left
                sessions = now
                _log_holdings()
            except Exception:  # never let the reaper take the server down
                _log.exception("ui.memory: reaping failed")

    thread = threading.Thread(target=loop, name="descent-memory-reaper", daemon=True)
    thread.start()
    return thread
