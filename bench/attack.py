"""Attack test: N ordinary sessions (bench/load_test.py's client), first alone, then beside one visitor who cycles the
heaviest settings the URLs allow and uploads of a 1,000,000-row CSV (a new file each time, so no parse is cached);
the ordinary sessions' p50/p95 in both phases, the server's memory before, at its peak and after.

    .venv/bin/python bench/attack.py                       # 5 sessions, 60 s per phase, up to 180 s after (~6 min)
    .venv/bin/python bench/attack.py --quick               # 2 sessions, 15 s per phase, 20 s after (~1.5 min)
    .venv/bin/python bench/attack.py --no-uploads          # links only, as the first run (2026-12-01) was
    .venv/bin/python bench/attack.py --hall --sessions 20  # the others at a lecture hall's pace (a control per ~10 s)
    .venv/bin/python bench/attack.py --fair-share off      # the server without ui/fair_share.py's waits

The server logs each script run's thread CPU (DESCENT_FAIR_SHARE_LOG): the attacker's and the others' CPU-s a second
and how many runs waited for their fair share are printed too.

Goal (issue 9): the attacker moves the others' p95 by < 25 %, peak memory < 800 MB, and after the sessions leave
memory is back within 10 % of warm within 3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_test as lt
import st_client
from replicas import first
from streamlit.proto.WidgetStates_pb2 import WidgetState

HEAVY = [  # (url path, query string): the most expensive values each page's controls take
    ("minibatches", "data.n=5000&minibatches.batch=1&minibatches.epochs=50&minibatches.within_budget=true"),
    ("minibatches", "data.n=5000&minibatches.batch=1000000&minibatches.epochs=50&data.outliers=20"),
    ("fitting-a-line", "data.n=5000&fitting-a-line.steps=1000&fitting-a-line.lr=1e-06"),
    ("learning-rate", "learning-rate.steps=1000&learning-rate.count=128&learning-rate.n=500"),
    ("optimizers", "optimizers.steps=2000"),
    ("one-weight", "one-weight.steps=200"),
]


UPLOAD_PAGE, UPLOAD_QUERY = "minibatches", "minibatches.batch=1000000&minibatches.epochs=50"
ROWS = 1_000_000  # the 34 MB file: 1,000,000 rows × 2 numbers (here 24 MB)


@functools.cache
def big_rows() -> bytes:
    """The big file's rows, made once (on the attacker's first upload: bench/page_cost.py imports HEAVY from here)."""
    return "".join(f"{i * 1e-3:.3f},{2 * i * 1e-3 + (i % 13) * 0.1:.3f}\n" for i in range(ROWS)).encode()


async def upload(client: st_client.Client, port: int, turn: int) -> st_client.Run | str:
    """Page 3 with B = 1,000,000 and 50 epochs, on a new 1M-row CSV; the finished run, or what went wrong."""
    run = await client.rerun(UPLOAD_PAGE, query=UPLOAD_QUERY)
    radio = first(run, "radio", "Data")
    if radio is None:
        return "no Data radio"
    choose = WidgetState(id=radio.id, string_value="Upload CSV")
    run = await client.rerun(UPLOAD_PAGE, [choose], query=UPLOAD_QUERY)
    uploader = first(run, "file_uploader")
    if uploader is None:
        return "no file uploader"
    name = f"big{turn}.csv"
    content = f"x,y\n{turn},0\n".encode() + big_rows()  # a new digest each time: nothing parsed before
    (urls,) = await client.file_urls([name])
    body, content_type = st_client.multipart("UploadedFile", name, content)
    headers = {"Content-Type": content_type, "X-Xsrftoken": client.cookies.get(st_client.XSRF_COOKIE, "")}
    status, answer = await asyncio.to_thread(
        st_client.http_request, "127.0.0.1", port, "PUT", urls.upload_url, body=body, headers=headers,
        cookies=client.cookies, timeout=120,
    )  # fmt: skip
    if status >= 300:
        return f"PUT answered {status} {answer[:80]!r}"
    state = WidgetState(id=uploader.id)
    info = state.file_uploader_state_value.uploaded_file_info.add()
    info.file_id, info.name, info.size = urls.file_id, name, len(content)
    info.file_urls.CopyFrom(urls)
    return await client.rerun(UPLOAD_PAGE, [choose, state], query=UPLOAD_QUERY)


async def attacker(
    port: int, deadline: float, times: dict[str, list[float]], errors: list[str], uploads: bool, ident: dict[str, str]
) -> None:
    """One visitor rerunning the heavy links in turn (a new seed each round so that the caches miss), each round
    started by a new 1M-row upload on page 3 at its heaviest settings (unless `uploads` is off)."""
    cookies: dict[str, str] = {}
    for path in ("/", "/_stcore/health"):  # as a browser: the page, then the health probe (it sets the XSRF cookie)
        await asyncio.to_thread(st_client.http_request, "127.0.0.1", port, "GET", path, cookies=cookies)
    turn = 0
    async with st_client.session("127.0.0.1", port, cookies=cookies, message_cache=False) as client:
        while time.monotonic() < deadline:
            cycle = len(HEAVY) + uploads
            try:
                if uploads and turn % cycle == 0:  # first, so that even a --quick run uploads
                    start = time.perf_counter()
                    run = await upload(client, port, turn)
                    if isinstance(run, str):
                        errors.append(f"upload: {run}")
                        turn += 1
                        continue
                    page, seconds = "minibatches (upload)", time.perf_counter() - start
                else:
                    page, query = HEAVY[turn % cycle - uploads]
                    run = await client.rerun(page, query=f"{query}&seed={turn // cycle}")
                    seconds = run.seconds
            except TimeoutError:
                errors.append(f"timeout on turn {turn}")
                turn += 1
                continue
            if run.status != "success" or any(
                not isinstance(e, str) and e.WhichOneof("type") == "exception" for _, e in run.elements
            ):
                errors.append(f"/{page}: {run.status}")
            times.setdefault(page, []).append(seconds)
            ident["session"] = client.session_id
            turn += 1


async def with_attacker(port, pid, sessions, seconds, times, errors, uploads, pace, ident) -> tuple[lt.Stats, float]:
    deadline = time.monotonic() + seconds
    attack = asyncio.create_task(attacker(port, deadline, times, errors, uploads, ident))
    result = await lt.phase(port, pid, sessions, seconds, pace)
    await attack
    return result


def fair_shares(runs_log: Path, start: float, end: float, attacker_session: str) -> str:
    """The attacked phase's script CPU per session from the server's run log (ui/fair_share.py), as CPU-s a second,
    and how many runs waited for their fair share (one clock: CLOCK_MONOTONIC is the machine's, not a process's)."""
    cpu: dict[str, float] = {}
    waited: dict[str, int] = {}
    if runs_log.exists():
        for line in runs_log.read_text().splitlines():
            at, session, seconds, wait = line.split()
            if start <= float(at) <= end:
                cpu[session] = cpu.get(session, 0.0) + float(seconds)
                waited[session] = waited.get(session, 0) + (float(wait) > 0)
    span = max(end - start, 1e-9)
    others = sorted(v / span for s, v in cpu.items() if s != attacker_session)
    if not others:
        return "script CPU per session: no run log"
    mine = cpu.get(attacker_session, 0.0) / span
    their_waits = sum(n for s, n in waited.items() if s != attacker_session)
    return (
        f"script CPU (CPU-s a second) in the attacked phase: attacker {mine:.3f}, the others median "
        f"{statistics.median(others):.3f} (max {others[-1]:.3f}, {len(others)} sessions); runs that waited for their "
        f"fair share: attacker {waited.get(attacker_session, 0)}, the others {their_waits}"
    )


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, help="ordinary sessions (default 5; --quick: 2)")
    parser.add_argument("--duration", type=float, help="seconds per phase (default 60; --quick: 15)")
    parser.add_argument("--after", type=float, help="most seconds to watch memory after (default 180; --quick: 20)")
    parser.add_argument("--quick", action="store_true", help="a short run that checks the script works")
    parser.add_argument("--no-uploads", dest="uploads", action="store_false", help="the attacker sends links only")
    parser.add_argument("--hall", action="store_true", help="the others at a hall's pace (bench/load_test.py --hall)")
    parser.add_argument("--fair-share", default="", help="DESCENT_FAIR_SHARE for the server (default: the app's own)")
    args = parser.parse_args()
    pace = lt.Pace(think=10.0, switch=0.2) if args.hall else lt.Pace()
    sessions = args.sessions or (2 if args.quick else 5)
    duration = args.duration or (15 if args.quick else 60)
    after = args.after if args.after is not None else (20 if args.quick else 180)
    log = tempfile.NamedTemporaryFile(prefix="descent_attack_", suffix=".log", delete=False)  # noqa: SIM115
    runs_log = Path(log.name).with_suffix(".runs")
    env = {"DESCENT_FAIR_SHARE_LOG": str(runs_log)}
    if args.fair_share:
        env["DESCENT_FAIR_SHARE"] = args.fair_share
    server, port = lt.start_server(log, env=env)
    try:
        time.sleep(3)
        asyncio.run(lt.phase(port, server.pid, 1, 20))
        memory = {"warm": lt.rss_mb(server.pid)}
        calm, memory["peak without"] = asyncio.run(lt.phase(port, server.pid, sessions, duration, pace))
        attacked_from = time.monotonic()
        times: dict[str, list[float]] = {}
        errors: list[str] = []
        ident: dict[str, str] = {}
        cpu = lt.cpu_seconds(server.pid)
        attacked, memory["peak with"] = asyncio.run(
            with_attacker(port, server.pid, sessions, duration, times, errors, args.uploads, pace, ident)
        )
        attacked_to = time.monotonic()
        cpu = lt.cpu_seconds(server.pid) - cpu
        left = time.monotonic()
        samples = [(0.0, lt.rss_mb(server.pid))]
        while time.monotonic() < left + after and samples[-1][1] > 1.1 * memory["warm"]:
            time.sleep(5)
            samples.append((time.monotonic() - left, lt.rss_mb(server.pid)))
        memory["after"] = samples[-1][1]
        attack = "links and 1M-row uploads" if args.uploads else "links only"
        others = "at a hall's pace" if args.hall else "back to back"
        print(f"{sessions} ordinary sessions {others}, {duration:.0f} s per phase, one server here; "
              f"attacker: {attack}; DESCENT_FAIR_SHARE={args.fair_share or '(default)'}")  # fmt: skip
        p95 = {}
        for name, stats in (("without the attacker", calm), ("with the attacker", attacked)):
            every = [s for values in stats.latency.values() for s in values]
            p95[name] = p(every, 95)
            print(f"  {name}: {len(every)} reruns, p50 {p(every, 50):.3f} s, p95 {p95[name]:.3f} s, "
                  f"errors {sum(stats.errors.values())}, load {stats.load[0]:.1f}→{stats.load[1]:.1f}")  # fmt: skip
        for page, values in times.items():
            print(f"  attacker /{page}: {len(values)} reruns, median {statistics.median(values):.3f} s wall")
        print(f"  attacker errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        print("  " + fair_shares(runs_log, attacked_from, attacked_to, ident.get("session", "")))
        print(f"  server CPU during the attacked phase: {cpu:.1f} s of {duration:.0f} s")
        print(f"  memory (MB): warm {memory['warm']:.0f}, peak without {memory['peak without']:.0f}, "
              f"peak with {memory['peak with']:.0f}, after {memory['after']:.0f} "
              f"({samples[-1][0]:.0f} s after the sessions left)")  # fmt: skip
        change = p95["with the attacker"] / p95["without the attacker"] - 1
        print(f"  goals: p95 change {change:+.0%} (< +25 %: {'met' if change < 0.25 else 'NOT met'}), peak "
              f"{max(memory['peak with'], memory['peak without']):.0f} MB (< 800: "
              f"{'met' if max(memory['peak with'], memory['peak without']) < 800 else 'NOT met'}), after within "
              f"10 % of warm: {'met' if memory['after'] <= 1.1 * memory['warm'] else 'NOT met'}")  # fmt: skip
    finally:
        lt.stop_server(server)
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
