"""Attack test: N ordinary sessions (bench/load_test.py's client), first alone, then beside one visitor who cycles the
heaviest settings the URLs allow; the ordinary sessions' p50/p95 in both phases and the server's memory.

    .venv/bin/python bench/attack.py                       # 5 sessions, 60 s per phase (~3.5 min)
    .venv/bin/python bench/attack.py --sessions 5 --duration 30

Goal (issue 9): the attacker moves the others' p95 by < 25 %, peak memory < 800 MB, and after the sessions leave
memory is back within 10 % of warm within 3 minutes. The attacker sends links (query strings), not uploads.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_test as lt
from streamlit.proto.BackMsg_pb2 import BackMsg
from websockets.asyncio.client import connect

HEAVY = [  # (url path, query string): the most expensive values each page's controls take
    ("minibatches", "data.n=5000&minibatches.batch=1&minibatches.epochs=50&minibatches.within_budget=true"),
    ("minibatches", "data.n=5000&minibatches.batch=1000000&minibatches.epochs=50&data.outliers=20"),
    ("fitting-a-line", "data.n=5000&fitting-a-line.steps=1000&fitting-a-line.lr=1e-06"),
    ("learning-rate", "learning-rate.steps=1000&learning-rate.count=128&learning-rate.n=500"),
    ("optimizers", "optimizers.steps=2000"),
    ("one-weight", "one-weight.steps=200"),
]


async def attacker(port: int, deadline: float, times: dict[str, list[float]]) -> None:
    """One visitor rerunning the heavy links in turn, a new seed each round so that the caches miss."""
    turn = 0
    async with connect(f"ws://127.0.0.1:{port}/_stcore/stream", origin=f"http://127.0.0.1:{port}",
                       subprotocols=["streamlit"], max_size=None, ping_interval=None, proxy=None) as ws:  # fmt: skip
        while time.monotonic() < deadline:
            page, query = HEAVY[turn % len(HEAVY)]
            msg = BackMsg()
            msg.rerun_script.page_name = page
            msg.rerun_script.query_string = f"{query}&seed={turn // len(HEAVY)}"
            start = time.perf_counter()
            await ws.send(msg.SerializeToString())
            while True:
                fwd = lt.ForwardMsg.FromString(await ws.recv())
                if fwd.WhichOneof("type") == "script_finished" and fwd.script_finished in lt.DONE:
                    break
            times.setdefault(page, []).append(time.perf_counter() - start)
            turn += 1


async def with_attacker(port: int, pid: int, sessions: int, seconds: float, times) -> tuple[lt.Stats, float]:
    deadline = time.monotonic() + seconds
    attack = asyncio.create_task(attacker(port, deadline, times))
    result = await lt.phase(port, pid, sessions, seconds)
    await attack
    return result


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--duration", type=float, default=60)
    args = parser.parse_args()
    log = tempfile.NamedTemporaryFile(prefix="descent_attack_", suffix=".log", delete=False)  # noqa: SIM115
    server, port = lt.start_server(log)
    try:
        time.sleep(3)
        asyncio.run(lt.phase(port, server.pid, 1, 20))
        memory = {"warm": lt.rss_mb(server.pid)}
        calm, memory["peak without"] = asyncio.run(lt.phase(port, server.pid, args.sessions, args.duration))
        times: dict[str, list[float]] = {}
        cpu = lt.cpu_seconds(server.pid)
        attacked, memory["peak with"] = asyncio.run(
            with_attacker(port, server.pid, args.sessions, args.duration, times)
        )
        cpu = lt.cpu_seconds(server.pid) - cpu
        left = time.monotonic()
        samples = []
        while time.monotonic() < left + 180:
            samples.append((time.monotonic() - left, lt.rss_mb(server.pid)))
            if samples[-1][1] <= 1.1 * memory["warm"]:
                break
            time.sleep(5)
        memory["after"] = samples[-1][1]
        print(f"{args.sessions} ordinary sessions, {args.duration:.0f} s per phase, one server on this machine")
        for name, stats in (("without the attacker", calm), ("with the attacker", attacked)):
            every = [s for values in stats.latency.values() for s in values]
            print(f"  {name}: {len(every)} reruns, p50 {p(every, 50):.3f} s, p95 {p(every, 95):.3f} s, "
                  f"errors {sum(stats.errors.values()) if hasattr(stats, 'errors') else 'n/a'}")  # fmt: skip
        for page, values in times.items():
            print(f"  attacker /{page}: {len(values)} reruns, median {statistics.median(values):.3f} s wall")
        print(f"  server CPU during the attacked phase: {cpu:.1f} s")
        print(f"  memory (MB): warm {memory['warm']:.0f}, peak without {memory['peak without']:.0f}, "
              f"peak with {memory['peak with']:.0f}, after {memory['after']:.0f} "
              f"({samples[-1][0]:.0f} s after the sessions left)")  # fmt: skip
    finally:
        lt.stop_server(server)
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
