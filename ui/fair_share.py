"""A fair share of the server's interpreter for every session (issue 9).

One Streamlit process runs every session's script under one interpreter lock. The work budgets (gd_core/budget.py)
cap what one rerun may cost (≤ 1 CPU-s), but not how often a visitor asks: a client that reruns back to back keeps
its thread runnable all the time, and in a lecture hall, where each student asks every few seconds, that one client
can use more of the interpreter than the rest of the room together.

Each session's recent use is its script CPU (thread CPU time: what its own script thread computed, cached
functions included, not the time it waited for the lock), decayed with a time constant of TAU_S; its rate is that
sum over TAU_S (CPU-s a second). A session may use FACTOR times the median rate of the other sessions at work (still
connected, a script run in the last BUSY_WINDOW_S; one newer than TAU_S over its age, so that a room arriving
together is not taken for an idle one), and never less than FLOOR_RATE. A run that starts over its
share first waits until its decayed rate is back down to it (at most MAX_WAIT_S), with a notice on the page; the
wait sleeps, so the lock goes to the others. Alone on a server, or among sessions as busy as itself, nobody waits.

The numbers, measured (bench/attack.py with DESCENT_FAIR_SHARE_LOG): a session rerunning back to back beside five
others uses 0.17–0.21 CPU-s a second; a student at a hall's pace (a control every ~10 s, 0.1–0.4 CPU-s a rerun)
0.01–0.04. FLOOR_RATE = 0.1 CPU-s a second is 3 CPU-s within TAU_S: anyone may open three of the heaviest scenes
(the budgets' worst case is 0.9 CPU-s) at once. The unit is a session (a websocket), not an address: a whole
lecture hall can sit behind one address (a university's NAT).

Off in AppTest and bare scripts (no server). DESCENT_FAIR_SHARE="floor,factor" (or "floor,factor,max_wait") sets
the numbers at the server's start, "off" turns it off: the test suite's servers run with it off (tests/conftest.py:
a browser test clicking through scenes faster than any student must not wait), except tests/test_fair_share.py's.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from unittest.mock import Mock

TAU_S = 30.0  # the memory of a session's use: CPU-s spent this long ago count 1/e
FLOOR_RATE = 0.1  # CPU-s a second any session may use, whatever the others use
FACTOR = 2.0  # ... or this many times the median of the others at work, if more
MAX_WAIT_S = 10.0  # the longest one run waits, whatever its use
BUSY_WINDOW_S = 10.0  # a session that ran a script this recently is at work
FORGET_S = 600.0  # a session idle this long is forgotten (its use has decayed to nothing)


@dataclass
class Use:
    spent: float = 0.0  # CPU-s, decayed to `at`
    at: float = 0.0  # when `spent` was last decayed (monotonic seconds)
    last_run: float = -math.inf  # when its last script run ended
    first_run: float = 0.0  # when its first script run ended

    def decayed(self, now: float) -> float:
        return self.spent * math.exp(-(now - self.at) / TAU_S)


class Ledger:
    """Every session's recent use; thread-safe (each session's script has its own thread)."""

    def __init__(
        self,
        floor: float = FLOOR_RATE,
        factor: float = FACTOR,
        max_wait: float = MAX_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.floor, self.factor, self.max_wait, self.clock = floor, factor, max_wait, clock
        self._uses: dict[str, Use] = {}
        self._lock = threading.Lock()

    def rate(self, session: str) -> float:
        """`session`'s recent CPU-s a second."""
        with self._lock:
            use = self._uses.get(session)
            return use.decayed(self.clock()) / TAU_S if use else 0.0

    def share(self, session: str, connected: Callable[[str], bool] = lambda session: True) -> float | None:
        """The rate `session` may use now, or None if no other connected session is at work."""
        with self._lock:
            now = self.clock()
            others = [  # a session newer than TAU_S has had less time to spend: its pace is over its age
                use.decayed(now) / min(TAU_S, max(BUSY_WINDOW_S, now - use.first_run))
                for other, use in self._uses.items()
                if other != session and now - use.last_run < BUSY_WINDOW_S and connected(other)
            ]
        return max(self.floor, self.factor * statistics.median(others)) if others else None

    def wait_for(self, session: str, connected: Callable[[str], bool] = lambda session: True) -> float:
        """Seconds `session` should wait before its next run: until its decayed rate is down to its share."""
        share, rate = self.share(session, connected), self.rate(session)
        if share is None or rate <= share:
            return 0.0
        return min(self.max_wait, TAU_S * math.log(rate / share))

    def spend(self, session: str, cpu_seconds: float) -> None:
        """A run of `session` used `cpu_seconds` of its thread's CPU."""
        with self._lock:
            now = self.clock()
            use = self._uses.setdefault(session, Use(at=now, first_run=now))
            use.spent, use.at, use.last_run = use.decayed(now) + cpu_seconds, now, now
            if len(self._uses) > 256:  # a hall's worth: drop the sessions long gone
                self._uses = {s: u for s, u in self._uses.items() if now - u.last_run < FORGET_S}


def counted(body: Callable[..., None]) -> Callable[..., None]:
    """`body` run in a turn: for an st.fragment's function (put it under @st.fragment), whose reruns run it alone,
    without app.py and so without app.py's turn."""

    @functools.wraps(body)
    def in_a_turn(*args, **kwargs) -> None:
        with turn():
            body(*args, **kwargs)

    return in_a_turn


def _from_environment() -> Ledger | None:
    setting = os.environ.get("DESCENT_FAIR_SHARE", "").strip()
    if setting == "off":
        return None
    if not setting:
        return Ledger()
    return Ledger(*(float(part) for part in setting.split(",")))  # floor, factor[, max_wait]


LEDGER = _from_environment()


def _on_a_server() -> tuple[str, Callable[[str], bool]] | None:
    """This run's session id and the server's "is that session connected", or None outside a real server (a bare
    script, AppTest: its runtime is a mock)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists() or isinstance(Runtime.instance(), Mock):
        return None
    return ctx.session_id, Runtime.instance().is_active_session


def _notice(seconds: float) -> None:
    import streamlit as st

    st.info(
        f"This session has used far more of the server than the others in the last minute: your page goes on in "
        f"{seconds:.0f} s, so that everyone's stays quick.",
        icon="⏳",
    )


_IN_TURN = threading.local()  # set while this script thread is inside a turn


@contextlib.contextmanager
def turn(notice: Callable[[float], None] = _notice) -> Iterator[None]:
    """One script run's turn: first wait while this session is over its share (calling `notice(seconds)` to say so),
    then count the CPU the run uses, however it ends (a rerun or a stop interrupts it with an exception).
    Inside another turn (a fragment drawn by a full run) it does nothing: the outer turn counts."""
    server = _on_a_server() if LEDGER is not None and not getattr(_IN_TURN, "on", False) else None
    if server is None:
        yield
        return
    session, connected = server
    wait = LEDGER.wait_for(session, connected)
    if wait > 0:
        notice(wait)
        time.sleep(wait)
    start, _IN_TURN.on = time.thread_time(), True
    try:
        yield
    finally:
        _IN_TURN.on = False
        LEDGER.spend(session, time.thread_time() - start)
        if path := os.environ.get("DESCENT_FAIR_SHARE_LOG"):  # bench/attack.py: each run's use, for the figures
            with open(path, "a") as log:
                log.write(f"{time.monotonic():.3f} {session} {time.thread_time() - start:.4f} {wait:.2f}\n")
