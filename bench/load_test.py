"""Load test: concurrent sessions drive every page of the app over Streamlit's own websocket protocol.

    .venv/bin/python bench/load_test.py            # 60 s with 5 sessions, then 20 sessions for 180 s (~7 min)
    .venv/bin/python bench/load_test.py --quick    # 5 sessions for 30 s (~1 min)
    add --check to exit non-zero when any rerun failed

It starts `streamlit run app.py` on a free port of 127.0.0.1 (nothing else is contacted). Each session is a
websocket client that speaks what the browser speaks (BackMsg / ForwardMsg protobufs from the streamlit
package): it asks for a page by url path (rerun_script), reads the elements the server sends back, and times
the rerun up to script_finished. Runs are plain reruns, a new sidebar seed, or a new value for the page's
first slider (its id learnt from the page's own protos), so that caches miss on some runs.
Errors: an Exception element, a page_not_found message, the wrong page, a non-success finish, a timeout
or a dropped connection. The server's RSS (with any children) is sampled every 0.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import streamlit
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.exceptions import WebSocketException

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package: its modules import each other
import st_client
from st_client import Run, cpu_seconds, rss_mb, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lessons import PAGES as REGISTERED  # noqa: E402

PAGES = [page.url_path for page in REGISTERED]  # url paths, from the lesson registry
SETTLE = 15.0  # seconds after the last session left before "after" is measured
SESSION_TTL = 120.0  # server.disconnectedSessionTTL's default: a left session may be kept this long
NUMERIC = (Slider.INT, Slider.FLOAT)
FAIR_SHARE_NOTICE = "your page goes on in"  # ui/fair_share.py: this run first waited for its session's share


@dataclass
class Stats:
    """What one phase measured, shared by its sessions (one event loop: no locks needed)."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # page -> seconds
    kilobytes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # page -> KB received
    by_kind: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # plain/seed/slider
    errors: Counter = field(default_factory=Counter)  # (kind, page) -> count
    examples: dict[str, str] = field(default_factory=dict)  # kind -> first detail
    alerts: Counter = field(default_factory=Counter)  # st.error boxes the pages showed: (page, text) -> count
    waits: int = 0  # reruns that first waited for their session's fair share (ui/fair_share.py's notice)
    titles: dict[str, str] = field(default_factory=dict)  # page -> first heading of the main area
    cpu_seconds: float = 0.0  # the server's CPU time (user + system) during the phase
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average at the start and the end

    def error(self, kind: str, page: str, detail: str) -> None:
        self.errors[kind, page] += 1
        self.examples.setdefault(kind, f"/{page}: {detail}")


@dataclass
class Known:
    """Widgets one session has seen: the sidebar seed and the first slider of each page."""

    seed: NumberInput | None = None
    seed_value: int = 0
    sliders: dict[str, Slider] = field(default_factory=dict)


def widget_states(
    rng: random.Random, known: Known, page: str, kinds: tuple[str, ...] = ("plain", "seed", "slider")
) -> tuple[str, list[WidgetState]]:
    """Pick this run's kind and the widget values to send: the seed always, once known, and maybe a slider."""
    kind = rng.choice(kinds)
    states = []
    if kind == "seed" and known.seed is not None:
        known.seed_value = rng.randrange(1000)
    elif kind == "seed" or (kind == "slider" and page not in known.sliders):
        kind = "plain"
    if known.seed is not None:
        state = WidgetState(id=known.seed.id)
        if known.seed.data_type == NumberInput.INT:
            state.int_value = known.seed_value
        else:
            state.double_value = known.seed_value
        states.append(state)
    if kind == "slider":
        slider = known.sliders[page]
        points = round((slider.max - slider.min) / slider.step) if slider.step > 0 else 0
        values = sorted(slider.min + slider.step * rng.randint(0, points) for _ in slider.default or [0])
        state = WidgetState(id=slider.id)
        state.double_array_value.data.extend(round(v) if slider.data_type == Slider.INT else v for v in values)
        states.append(state)
    return kind, states


def record(stats: Stats, known: Known, page: str, kind: str, run: Run) -> None:
    """Book one finished rerun: latency, errors, alerts, and the widgets worth changing next time."""
    seconds, received, status, ran, elements = run.seconds, run.received, run.status, run.page, run.elements
    stats.latency[page].append(seconds)
    stats.kilobytes[page].append(received / 1024)
    stats.by_kind[kind].append(seconds)
    if status != "success":
        stats.error(f"finished_{status}", page, status)
    if ran != page:
        stats.error("wrong_page", page, f"asked for /{page}, st.navigation ran /{ran}")
    for path, element in elements:
        if element == "page_not_found":
            stats.error("page_not_found", page, "server sent page_not_found (the browser shows a 'Page not found' box)")
            continue
        which = element.WhichOneof("type")
        if which == "exception":
            label = "warning_element" if element.exception.is_warning else "exception"
            stats.error(label, page, f"{element.exception.type}: {element.exception.message[:200]}")
        elif which == "alert" and element.alert.format == Alert.ERROR:
            stats.alerts[page, element.alert.body[:120]] += 1
        elif which == "alert" and FAIR_SHARE_NOTICE in element.alert.body:
            stats.waits += 1
        elif which == "heading" and path[:1] == (0,):
            stats.titles.setdefault(page, element.heading.body)
        elif which == "number_input" and element.number_input.id.endswith("-seed"):
            known.seed = element.number_input
        elif which == "slider" and element.slider.type == Slider.SLIDER and element.slider.data_type in NUMERIC:
            known.sliders.setdefault(page, element.slider)  # a numeric st.slider, not a select_slider


async def session(index: int, port: int, deadline: float, stats: Stats, pace: Pace) -> None:
    """One visitor: walk the pages (starting at a different one each) until the deadline.

    Back to back by default (every rerun on the next page); at a lecture-hall pace (`--hall`) a student waits
    `pace.think` seconds on average between interactions, changes a control on the page in front of them, and
    moves to the next page with probability `pace.switch`.
    """
    rng, known, turn = random.Random(index), Known(), index
    if pace.think:
        await asyncio.sleep(rng.uniform(0, pace.think))  # a hall does not click in unison
    while time.monotonic() < deadline:
        page = PAGES[turn % len(PAGES)]
        try:
            async with st_client.session("127.0.0.1", port, message_cache=False) as client:
                while time.monotonic() < deadline:
                    page = PAGES[turn % len(PAGES)]
                    kind, states = widget_states(rng, known, page, pace.kinds)
                    record(stats, known, page, kind, await client.rerun(page, states))
                    if rng.random() < pace.switch:
                        turn += 1
                    if pace.think:
                        await asyncio.sleep(rng.uniform(0.5, 1.5) * pace.think)
        except TimeoutError:
            stats.error("timeout", page, "no connection or no script_finished in time; reconnecting")
            turn += 1
        except (OSError, WebSocketException) as error:
            stats.error("connection", page, repr(error))
            await asyncio.sleep(1)


@dataclass(frozen=True)
class Pace:
    """How a session clicks: mean seconds between its interactions (0: back to back) and its chance of moving to
    the next page at each one."""

    think: float = 0.0
    switch: float = 1.0

    @property
    def kinds(self) -> tuple[str, ...]:
        # Back to back, a third of the reruns change nothing; a student at a hall's pace changes a control each time.
        return ("seed", "slider", "slider") if self.think else ("plain", "seed", "slider")


async def phase(port: int, pid: int, sessions: int, seconds: float, pace: Pace = Pace()) -> tuple[Stats, float]:
    """Run `sessions` concurrent sessions for `seconds`; return their stats and the server's peak RSS (MB)."""
    stats, peak, cpu_start, load_start = Stats(), rss_mb(pid), cpu_seconds(pid), os.getloadavg()[0]
    deadline = time.monotonic() + seconds
    tasks = [asyncio.create_task(session(i, port, deadline, stats, pace)) for i in range(sessions)]
    while not all(task.done() for task in tasks):  # ends by deadline + st_client.RERUN_TIMEOUT at the latest
        await asyncio.wait(tasks, timeout=0.5)
        peak = max(peak, rss_mb(pid))
    for task in tasks:
        task.result()  # a bug in this script should not pass silently
    stats.cpu_seconds, stats.load = cpu_seconds(pid) - cpu_start, (load_start, os.getloadavg()[0])
    return stats, peak


async def warm_up(port: int, seconds: float = 20.0) -> int:
    """One session opens every page twice (a plain run, then a new seed), then reruns back to back until `seconds`
    have passed: the warm server has imported every page's modules and started each page's caches, however slowly a
    loaded machine runs (a fixed 20 s reached 2 or 3 pages at a load average of 20). Returns the number of reruns."""
    rng, known, started, runs = random.Random(0), Known(), time.monotonic(), 0
    async with st_client.session("127.0.0.1", port, message_cache=False) as client:
        for kind in ("plain", "seed"):
            for page in PAGES:
                _, states = widget_states(rng, known, page, (kind,))
                record(Stats(), known, page, kind, await client.rerun(page, states))
                runs += 1
        while time.monotonic() - started < seconds:
            page = PAGES[runs % len(PAGES)]
            record(Stats(), known, page, "plain", await client.rerun(page, widget_states(rng, known, page)[1]))
            runs += 1
    return runs


def memory_map(pid: int) -> dict[str, float]:
    """Where the server's resident memory is (MB, from /proc/PID/smaps): glibc's main heap ([heap]), anonymous
    mappings of 32 MB or more (glibc's per-thread arenas reserve 64 MB each, mimalloc its segments) and smaller
    ones (glibc's mmapped chunks, thread stacks, pymalloc's 1 MiB arenas), and file-backed pages (code, mapped data)."""
    parts = {"heap": 0.0, "anon>=32MB": 0.0, "anon<32MB": 0.0, "files": 0.0, "big anon maps": 0.0}
    name, size_kb = "", 0
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return parts
    for line in lines:
        fields = line.split()
        if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header: range perms offset dev inode [path]
            low, high = (int(end, 16) for end in fields[0].split("-"))
            name, size_kb = (fields[5] if len(fields) > 5 else ""), (high - low) // 1024
        elif fields[0] == "Rss:":
            rss = int(fields[1]) / 1024
            if name == "[heap]":
                parts["heap"] += rss
            elif name.startswith("/"):
                parts["files"] += rss
            elif size_kb >= 32 * 1024:
                parts["anon>=32MB"] += rss
                parts["big anon maps"] += 1 if rss else 0
            else:
                parts["anon<32MB"] += rss
    return {key: round(value, 1) for key, value in parts.items()}


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return f"{'-':>7}{'-':>7}{'-':>7}"
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return f"{pick(0.5):7.2f}{pick(0.95):7.2f}{ordered[-1]:7.2f}"


def grown(path: str, warm_at: float, top: int = 15) -> None:
    """From the server's memory log: the warm server's holdings (the last line before `warm_at`, else the first)
    against the last line, and the object types that grew most."""
    import json

    lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    if len(lines) < 2:
        print(f"memory log {path}: {len(lines)} line(s), nothing to compare")
        return
    warm = ([line for line in lines if line["t"] <= warm_at] or lines[:1])[-1]
    last = lines[-1]
    print(f"\nmemory log {path}: warm ({warm['t'] - warm_at:+.0f} s) vs last ({last['t'] - warm_at:+.0f} s)")
    for key in ("rss_mb", "python_blocks", "tracked", "frozen", "sessions"):
        print(f"  {key:14}{warm[key]!s:>12} -> {last[key]!s:>12}")
    print("  each reap (s from warm: RSS, sessions, glibc arena / mmapped / in use / free, pyarrow's pool now / max):")
    for line in lines:
        heap = line.get("malloc") or {}
        print(
            f"    {line['t'] - warm_at:+6.0f} s  {line['rss_mb']:6.0f}  {line['sessions']!s:>4}  "
            + " / ".join(f"{heap.get(key, '-')}" for key in ("arena", "mmapped", "in_use", "free"))
            + f"  arrow {line.get('arrow_mb')} / {line.get('arrow_max_mb')}"
        )
    names = set(warm["types"]) | set(last["types"])
    deltas = sorted(((last["types"].get(n, 0) - warm["types"].get(n, 0), n) for n in names), reverse=True)
    print(
        "  grown types (only the most common 25 of each line are logged): "
        + ", ".join(f"{name} {delta:+,}" for delta, name in deltas[:top] if delta)
    )


def report(args, stats: Stats, five: Stats | None, memory: dict[str, float], log_path: str) -> int:
    """Print the tables; return the number of errors over both phases."""
    pace = f"a rerun every ~{args.think:.0f} s each" if args.think else "back to back"
    print(f"\nLoad test: {args.sessions} sessions x {args.duration:.0f} s ({pace}) over {len(PAGES)} pages, streamlit")
    print(f"{streamlit.__version__}, client and server on the same machine; server log: {log_path}\n")
    print(f"{'page':16}{'first heading':42}{'runs':>6}{'p50 s':>7}{'p95 s':>7}{'max s':>7}{'errors':>8}{'KB/run':>8}")
    for page in PAGES:
        errors = sum(n for (_, p), n in stats.errors.items() if p == page)
        title = stats.titles.get(page, "?")[:40]
        runs = len(stats.latency[page])
        size = sorted(stats.kilobytes[page])[runs // 2] if runs else 0  # median
        print(f"{'/' + page:16}{title:42}{runs:6}{quantiles(stats.latency[page])}{errors:8}{size:8.0f}")
    every = [s for page in PAGES for s in stats.latency[page]]
    print(f"{'all pages':58}{len(every):6}{quantiles(every)}{sum(stats.errors.values()):8}")
    for kind in ("plain", "seed", "slider"):
        print(f"{'  ' + kind + ' reruns':58}{len(stats.by_kind[kind]):6}{quantiles(stats.by_kind[kind])}")
    if five is not None:
        five_runs = [s for values in five.latency.values() for s in values]
        print(
            f"{'5-session phase (' + str(round(args.phase5)) + ' s)':58}{len(five_runs):6}{quantiles(five_runs)}"
            f"{sum(five.errors.values()):8}"
        )
    total = Counter()
    for phase_stats in filter(None, (five, stats)):
        for (kind, _), n in phase_stats.errors.items():
            total[kind] += n
    print(f"\nerrors: {sum(total.values())}" + "".join(f"\n  {kind}: {n}" for kind, n in total.most_common()))
    for kind in total:
        example = (five.examples.get(kind) if five else None) or stats.examples.get(kind)
        print(f"  first {kind}: {example}")
    for (page, text), n in stats.alerts.most_common(5):
        print(f"st.error box shown {n}x on /{page}: {text}")
    print(f"reruns that first waited for their session's fair share (ui/fair_share.py): {stats.waits}")
    tracebacks = Path(log_path).read_text(errors="replace").count("Traceback")
    print(f"tracebacks in the server log: {tracebacks}")
    per_run = stats.cpu_seconds / max(1, len(every))
    print(f"server CPU: {stats.cpu_seconds:.0f} s for {len(every)} reruns = {per_run:.2f} s/rerun on average")
    start, end = stats.load
    print(f"machine load average (1 min, {os.cpu_count()} CPUs): {start:.1f} at the start, {end:.1f} at the end")
    print("\nserver RSS (MB): " + " | ".join(f"{name} {mb:.0f}" for name, mb in memory.items()))
    return sum(total.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, help="concurrent sessions (default 20; --quick: 5)")
    parser.add_argument("--duration", type=float, help="seconds of the main phase (default 180; --quick: 30)")
    parser.add_argument("--phase5", type=float, default=60, help="seconds of the 5-session phase (default 60)")
    parser.add_argument("--quick", action="store_true", help="5 sessions, 30 s, no wait for the session TTL")
    parser.add_argument("--check", action="store_true", help="exit 1 when any rerun failed")
    parser.add_argument("--after", type=float, default=SESSION_TTL + 10, help="seconds after the sessions left (130)")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE", help="a server option")
    parser.add_argument(
        "--hall",
        action="store_true",
        help="lecture-hall pace: a control changed every ~10 s, a new page 1 time in 5; no 5-session phase",
    )
    parser.add_argument(
        "--memory-log",
        metavar="FILE",
        help="the server writes what it holds to FILE after each reap (ui/memory.py, DESCENT_MEMORY_LOG); the report "
        "then lists the object types that grew from the warm server to the end",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="an environment variable of the server"
    )
    parser.add_argument("--think", type=float, help="mean seconds between a session's interactions (--hall: 10)")
    parser.add_argument("--switch", type=float, help="chance of moving to the next page per interaction (--hall: 0.2)")
    args = parser.parse_args()
    pace = Pace(
        think=args.think if args.think is not None else (10.0 if args.hall else 0.0),
        switch=args.switch if args.switch is not None else (0.2 if args.hall else 1.0),
    )
    args.think = pace.think
    if args.hall:
        args.phase5 = 0
    args.sessions = args.sessions or (5 if args.quick else 20)
    args.duration = args.duration or (30 if args.quick else 180)
    if args.sessions <= 5:
        args.phase5 = 0  # the main phase is the 5-session phase
    log = tempfile.NamedTemporaryFile(prefix="descent_load_test_", suffix=".log", delete=False)  # noqa: SIM115
    server = None
    try:
        env = dict(item.split("=", 1) for item in args.env) | (
            {"DESCENT_MEMORY_LOG": args.memory_log} if args.memory_log else {}
        )
        server, port = start_server(log, options=dict(item.split("=", 1) for item in args.set), env=env)
        time.sleep(3)
        memory = {"before": rss_mb(server.pid)}
        # One session through every page: torch, pandas and altair imported, each page's caches started.
        # The memory the sessions add is measured against this, not against the bare server above.
        print("1 session through every page twice, at least 20 s (warm-up) ...", flush=True)
        warm_runs = asyncio.run(warm_up(port))
        print(f"  {warm_runs} reruns", flush=True)
        memory["warm (1 session)"] = rss_mb(server.pid)
        maps, curve = {"warm": memory_map(server.pid)}, []
        if args.memory_log:  # the reaper logs every 30 s: wait for a line that shows the warm server
            time.sleep(32)
        warm_at = time.time()
        five = None
        if args.phase5 > 0:
            print(f"5 sessions for {args.phase5:.0f} s ...", flush=True)
            five, memory["peak(5 sessions)"] = asyncio.run(phase(port, server.pid, 5, args.phase5))
            time.sleep(5)
        print(f"{args.sessions} sessions for {args.duration:.0f} s ...", flush=True)
        stats, memory[f"peak({args.sessions} sessions)"] = asyncio.run(
            phase(port, server.pid, args.sessions, args.duration, pace)
        )
        left = time.monotonic()
        maps["end of load"] = memory_map(server.pid)
        time.sleep(SETTLE)
        memory[f"after {SETTLE:.0f} s"] = rss_mb(server.pid)
        if not args.quick:  # the server may keep left sessions for SESSION_TTL seconds
            print(f"waiting {args.after:.0f} s (the session TTL is {SESSION_TTL:.0f} s) ...", flush=True)
            while time.monotonic() < left + args.after:  # RSS every 15 s: how fast it comes back, not only where
                time.sleep(max(0.0, min(15.0, left + args.after - time.monotonic())))
                curve.append(f"{time.monotonic() - left:.0f} s {rss_mb(server.pid):.0f}")
            memory[f"after {args.after:.0f} s"] = rss_mb(server.pid)
            maps["after"] = memory_map(server.pid)
        errors = report(args, stats, five, memory, log.name)
        if curve:
            print("server RSS after the sessions left (MB): " + " | ".join(curve))
        for when, parts in maps.items():
            print(f"  {when:12} " + "  ".join(f"{key} {value:.0f}" for key, value in parts.items()))
        if args.memory_log:
            grown(args.memory_log, warm_at)
        if server.poll() is not None:
            print(f"ERROR: the server exited with {server.returncode} during the test")
            errors += 1
    finally:
        if server is not None:
            stop_server(server)
        log.close()
    return 1 if args.check and errors else 0


if __name__ == "__main__":
    sys.exit(main())
