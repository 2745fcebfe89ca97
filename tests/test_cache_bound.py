"""The byte bound on every st.cache_data entry together (server.maxCacheDataSize), exercised on the app's own caches.

What Streamlit 1.67 does with the option (read in runtime/caching/global_cache_budget.py and
storage/in_memory_cache_storage_wrapper.py): one process-wide budget over the pickled bytes of every in-memory
st.cache_data entry of every function and session; each write that takes the total over it evicts the least
recently used entries of any cache (reads count as use) until it fits, never the entry just written (so one value
larger than the whole budget is still kept, alone). The budget is set from the config when the Runtime is built
(Runtime.__init__ calls reconfigure_global_cache_budget_from_config); AppTest's mock Runtime never does, so these
tests call that same function under a patched config.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.runtime.caching import cache_data_api
from streamlit.runtime.caching.global_cache_budget import (
    get_global_cache_budget,
    reconfigure_global_cache_budget_from_config,
)
from streamlit.testing.v1.util import patch_config_options

from ui import cache as app_cache
from ui import data_controls, memory

ROOT = Path(__file__).resolve().parents[1]
BOUND = 3 * 1024 * 1024  # 3 MiB: three of the uploads below (one ~1 MB pickled frame each), not four


def _csv(seed: int, rows: int = 60_000) -> bytes:
    """A distinct numbers-only CSV of `rows` × 2 (its parsed frame pickles to ~1 MB)."""
    x = np.random.default_rng(seed).normal(size=rows)
    return ("x,y\n" + "\n".join(f"{a:.6f},{2 * a + 1:.6f}" for a in x)).encode()


def _stored_bytes() -> int:
    """Bytes the in-memory st.cache_data storages really hold now, summed over every cache (not the budget's count)."""
    registry = cache_data_api._data_caches
    with registry._caches_lock:
        caches = [cache for group in registry._function_caches.values() for cache in group.values()]
    return sum(len(value) for cache in caches for value in cache.storage._mem_cache.values())


@pytest.fixture
def byte_bound():
    """The process-wide budget set to BOUND as a server start would set it, every cache empty; restored after."""
    cache_data_api._data_caches.clear_all()
    with patch_config_options({"server.maxCacheDataSize": f"{BOUND}b"}):
        reconfigure_global_cache_budget_from_config()
    yield get_global_cache_budget()
    cache_data_api._data_caches.clear_all()
    reconfigure_global_cache_budget_from_config()  # back to what the unpatched config says


def test_app_config_sets_a_200_mib_bound_that_streamlit_reads():
    """Streamlit itself reads .streamlit/config.toml (a fresh interpreter in the app's folder, the server's start-up
    call): a renamed or mistyped option would leave the budget off and fail here."""
    probe = (
        "from streamlit.runtime.caching.global_cache_budget import get_global_cache_budget as g, "
        "reconfigure_global_cache_budget_from_config as r; r(); print(g().max_bytes)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) == 200 * 1024 * 1024


def test_parsed_uploads_stay_under_the_byte_bound_and_the_newest_is_served(byte_bound):
    digests = [f"upload-{seed}" for seed in range(6)]
    sizes = []
    for seed, digest in enumerate(digests):
        parsed = data_controls._parse(digest, _csv(seed))
        assert parsed.error == "" and len(parsed.frame) == 60_000
        sizes.append(byte_bound.total_bytes)
        assert byte_bound.total_bytes <= BOUND
        assert _stored_bytes() <= BOUND  # what the storages hold, not only Streamlit's own count of it
    assert sizes[0] > BOUND / 4  # each entry is big enough that six of them must evict (no vacuous bound)
    # The newest file is served from the cache: its bytes are not sent again (None), as the other line page asks.
    newest = data_controls._parse(digests[-1], None)
    assert newest.frame["x"].iloc[0] == pytest.approx(np.random.default_rng(5).normal(size=1)[0], abs=1e-6)
    # The oldest went first (least recently used): asking for it without its bytes is a miss.
    with pytest.raises(LookupError):
        data_controls._parse(digests[0], None)


def test_the_bound_is_shared_by_every_cache_least_recently_used_first(byte_bound):
    data_controls._parse("kept", _csv(10))
    data_controls._parse("dropped", _csv(11))
    data_controls._parse("kept", None)  # a read: "kept" is now more recent than "dropped"
    for seed in range(40):  # ~80 kB each, in another function's cache, until the first eviction
        before = byte_bound.total_bytes
        data_controls._synthetic(n=5000, slope=2.0, intercept=1.0, noise=1.0, outliers=0, seed=seed)
        assert byte_bound.total_bytes <= BOUND and _stored_bytes() <= BOUND
        if byte_bound.total_bytes < before:
            break
    else:
        pytest.fail("40 entries of ~80 kB over 2 MB of uploads never reached a 3 MiB bound")
    assert data_controls._parse("kept", None).frame is not None
    with pytest.raises(LookupError):
        data_controls._parse("dropped", None)


def test_the_reapers_expiry_is_subtracted_from_the_byte_count(byte_bound):
    """ui.memory.expire_caches drops expired entries itself: the budget must stop counting them, or live entries
    would be evicted early to make room for bytes no cache holds any more."""

    @app_cache.cached(ttl=0.5)
    def short(seed: int) -> np.ndarray:
        return np.full(100_000, float(seed))  # 800 kB

    for seed in range(2):
        short(seed)
    assert byte_bound.total_bytes > 1_500_000
    time.sleep(0.6)
    assert memory.expire_caches() == 2
    assert byte_bound.total_bytes == 0 and _stored_bytes() == 0


def test_closed_sessions_past_their_ttl_are_dropped_by_the_reaper_not_only_on_the_next_connection(monkeypatch):
    """Streamlit's own session storage (a TTLCache) hides an expired session from list() but keeps it, with its whole
    session state, until the next write; ui.memory.expire_sessions removes them on the server's event loop."""
    import asyncio
    import threading
    from types import SimpleNamespace

    from streamlit.runtime import Runtime
    from streamlit.runtime.memory_session_storage import MemorySessionStorage

    storage = MemorySessionStorage(ttl_seconds=0.2)
    for number in range(3):
        storage.save(SimpleNamespace(session=SimpleNamespace(id=f"s{number}")))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runtime = SimpleNamespace(
        _session_mgr=SimpleNamespace(_session_storage=storage),
        _get_async_objs=lambda: SimpleNamespace(eventloop=loop),
    )
    monkeypatch.setattr(Runtime, "exists", staticmethod(lambda: True))
    monkeypatch.setattr(Runtime, "instance", staticmethod(lambda: runtime))
    try:
        time.sleep(0.3)
        assert storage.list() == [] and len(storage._cache._data) == 3  # hidden, still held
        assert memory.expire_sessions() == 3
        assert len(storage._cache._data) == 0
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
