"""ui/fair_share.py: each session's decayed use of script CPU and its share beside the others, on a clock of the
test's own, and against a real server, where the session far over its share waits and the other does not."""

from __future__ import annotations

import asyncio
import math
import tempfile
import time

import pytest
from pagetools import bench_client

from ui import fair_share
from ui.fair_share import TAU_S, Ledger

NOTICE = "your page goes on in"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(clock) -> Ledger:
    return Ledger(floor=0.1, factor=2.0, clock=clock)


def test_use_decays_with_the_time_constant(ledger, clock):
    ledger.spend("a", 3.0)
    assert ledger.rate("a") == pytest.approx(3.0 / TAU_S)
    clock.now += TAU_S
    assert ledger.rate("a") == pytest.approx(3.0 / TAU_S / math.e)
    ledger.spend("a", 1.0)
    assert ledger.rate("a") == pytest.approx((3.0 / math.e + 1.0) / TAU_S)


def test_the_share_is_twice_the_median_of_the_others_at_work_or_the_floor(ledger, clock):
    assert ledger.share("a") is None  # nobody else: no share to keep to
    for session, spent in (("b", 3.0), ("c", 6.0), ("d", 30.0)):
        ledger.spend(session, spent)
    clock.now += TAU_S  # all three here for TAU_S: each one's pace is its decayed use over TAU_S
    for session in "bcd":
        ledger.spend(session, 0.0)  # still at work
    assert ledger.share("a") == pytest.approx(2 * 6.0 / math.e / TAU_S)  # the median, not the mean: d cannot lift it
    assert ledger.share("a", connected=lambda s: s == "b") == 0.1  # 2 × 0.037 is under the floor
    clock.now += fair_share.BUSY_WINDOW_S + 0.1  # all idle since
    assert ledger.share("a") is None


def test_a_session_over_its_share_waits_until_its_rate_has_decayed_to_it(ledger, clock):
    ledger.spend("student", 0.3)  # a student's rerun: 0.01 CPU-s a second, so the share is the floor
    ledger.spend("a", 3.0)  # three of the heaviest scenes at once: exactly the floor
    assert ledger.wait_for("a") == 0
    ledger.spend("a", 0.5)
    wait = ledger.wait_for("a")
    assert wait == pytest.approx(TAU_S * math.log((3.5 / TAU_S) / 0.1))  # 4.6 s
    clock.now += wait
    ledger.spend("student", 0.0)  # still at work
    assert ledger.rate("a") == pytest.approx(0.1)
    assert ledger.wait_for("a") == pytest.approx(0, abs=1e-9)


def test_among_sessions_as_busy_as_itself_nobody_waits(ledger, clock):
    for _ in range(40):  # six sessions back to back, each 0.2 CPU-s a second
        clock.now += 1.0
        for session in "abcdef":
            ledger.spend(session, 0.2)
            assert ledger.wait_for(session) == 0


def test_one_wait_is_capped_and_the_rest_is_waited_next_time(ledger, clock):
    ledger.spend("student", 0.3)
    ledger.spend("a", 100.0)
    assert ledger.wait_for("a") == fair_share.MAX_WAIT_S
    clock.now += fair_share.MAX_WAIT_S
    ledger.spend("student", 0.0)
    assert ledger.wait_for("a") == fair_share.MAX_WAIT_S  # 100 e^(-1/3) CPU-s still: the next run waits again


def test_sessions_long_gone_are_forgotten(ledger, clock):
    for n in range(300):
        ledger.spend(f"s{n}", 0.01)
    clock.now += fair_share.FORGET_S + 1
    ledger.spend("late", 0.01)
    assert len(ledger._uses) == 1


def test_the_environment_sets_the_numbers_or_turns_it_off(monkeypatch):
    monkeypatch.setenv("DESCENT_FAIR_SHARE", "0.25,3,2")
    made = fair_share._from_environment()
    assert (made.floor, made.factor, made.max_wait) == (0.25, 3.0, 2.0)
    monkeypatch.setenv("DESCENT_FAIR_SHARE", "off")
    assert fair_share._from_environment() is None
    monkeypatch.delenv("DESCENT_FAIR_SHARE")
    made = fair_share._from_environment()
    assert (made.floor, made.factor, made.max_wait) == (fair_share.FLOOR_RATE, fair_share.FACTOR, fair_share.MAX_WAIT_S)


# --- a real server -------------------------------------------------------------------------------------------------


st_client = bench_client()


def _texts(run) -> list[str]:
    return [
        getattr(element, element.WhichOneof("type")).body
        for _, element in run.elements
        if not isinstance(element, str) and element.WhichOneof("type") in ("alert", "markdown")
    ]


def test_on_a_server_the_session_far_over_its_share_waits_and_the_other_does_not():
    """A floor of 0.001 CPU-s a second and waits of at most 2 s: A's first visit of a lesson page (tenths of a
    CPU-s) puts it far over twice B's use (the cheap home page), so A's next run waits 2 s with the notice; B, under
    twice A's use, never waits."""
    log = tempfile.NamedTemporaryFile(prefix="descent_fair_", suffix=".log", delete=False)  # noqa: SIM115
    process, port = st_client.start_server(log, env={"DESCENT_FAIR_SHARE": "0.001,2,2"})

    async def scenario():
        cookies: dict[str, str] = {}
        await asyncio.to_thread(st_client.http_request, "127.0.0.1", port, "GET", "/_stcore/health", cookies=cookies)
        async with st_client.session("127.0.0.1", port, cookies=cookies) as warm:
            await warm.rerun("")  # the server's first run (imports, guards) is paid by a session that then leaves
        async with (
            st_client.session("127.0.0.1", port, cookies=cookies, message_cache=False) as a,
            st_client.session("127.0.0.1", port, cookies=cookies) as b,
        ):
            first = await a.rerun("one-weight")
            b_first = await b.rerun("")
            start = time.perf_counter()
            second = await a.rerun("one-weight", query="one-weight.steps=12")
            waited = time.perf_counter() - start
            b_second = await b.rerun("")
            return first, b_first, second, waited, b_second

    try:
        first, b_first, second, waited, b_second = asyncio.run(scenario())
    finally:
        st_client.stop_server(process)
        log.close()
    assert all(run.status == "success" for run in (first, b_first, second, b_second))
    assert not any(NOTICE in text for text in _texts(first))  # nobody else was at work yet
    notices = [text for text in _texts(second) if NOTICE in text]
    assert len(notices) == 1 and f"{NOTICE} 2 s" in notices[0]
    assert waited >= 2.0  # it did wait, then drew the page
    charts = [e for _, e in second.elements if not isinstance(e, str) and e.WhichOneof("type") == "vega_lite_chart"]
    assert charts, "after its wait the page was drawn as usual"
    assert not any(NOTICE in text for run in (b_first, b_second) for text in _texts(run))


def test_a_session_that_just_arrived_counts_at_its_pace_not_as_idle(ledger, clock):
    ledger.spend("a", 0.0)
    clock.now += 10.0
    ledger.spend("new", 6.0)  # 6 CPU-s in its first 10 s: 0.6 CPU-s a second, not 0.2
    assert ledger.share("a") == pytest.approx(2 * 6.0 / fair_share.BUSY_WINDOW_S)
    clock.now += TAU_S
    ledger.spend("new", 0.0)
    assert ledger.share("a") == pytest.approx(2 * 6.0 / math.e / TAU_S)


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_fragment_counts_alone_and_not_twice_inside_a_full_run(monkeypatch, clock):
    """A fragment's rerun runs its function without app.py (so `counted` gives it a turn of its own); drawn by a full
    run, it is inside app.py's turn and counts once, there."""
    ledger = Ledger(clock=clock)
    monkeypatch.setattr(fair_share, "LEDGER", ledger)
    monkeypatch.setattr(fair_share, "_on_a_server", lambda: ("a", lambda session: True))
    fragment = fair_share.counted(lambda: _burn(0.05))
    fragment()  # a fragment rerun
    alone = ledger._uses["a"].spent
    assert alone == pytest.approx(0.05, abs=0.02)
    with fair_share.turn():  # a full run that draws the fragment
        _burn(0.05)
        fragment()
    assert ledger._uses["a"].spent - alone == pytest.approx(0.10, abs=0.03)  # once, not 0.15
    fragment()
    assert ledger._uses["a"].spent - alone == pytest.approx(0.15, abs=0.04)  # and alone again afterwards
