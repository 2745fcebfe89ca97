"""What one rerun of each page costs the server, in CPU seconds, against a floor and (optionally) another git ref.

    .venv/bin/python bench/rerun_cost.py                 # this tree: every page, medians of 5
    .venv/bin/python bench/rerun_cost.py --compare main  # ... and the same for `main`, checked out into a temp worktree
    .venv/bin/python bench/rerun_cost.py --set runner.postScriptGC=false   # a server option for both sides

For each page it starts one session (the server otherwise idle), runs the page twice to warm it, then measures
(a) an identical rerun, (b) a change of the page's first slider back to a value it had (st.cache_data hits) and
(c) a change to a value it never had, next to the current one (the page recomputes). The cost of a rerun is the
server process's CPU time (every thread; the nanosecond process clock, the same count as /proc/<pid>/stat
utime + stime) from just before the rerun is sent to when the server has gone quiet again after script_finished
(its post-run garbage collection included). Bytes: what the client received for an identical rerun, keeping the
browser's message cache.
The floor: bench/floor_app.py sending the same number of elements, the page's charts as precomputed spec dicts.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package: its modules import each other
import st_client
from st_client import ROOT, settle, start_server, stop_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lessons import PAGES as REGISTERED

PAGES = [page.url_path for page in REGISTERED]  # url paths, from the lesson registry
APP = "app.py"
FLOOR_APP = ROOT / "bench" / "floor_app.py"


@dataclass
class Control:
    """The slider a page's changes move: its widget id, label, and the values (or option indices) it can take."""

    id: str
    label: str
    values: list[float]
    default: list[float]
    integer: bool
    options: list[str] = field(default_factory=list)  # a select slider's formatted options: its value is one of them

    def state(self, value: float) -> WidgetState:
        state = WidgetState(id=self.id)
        # a range slider has two handles: move the lower one, keep the upper
        values = [value, *self.default[1:]] if len(self.default) > 1 else [value]
        if self.options:
            state.string_array_value.data.extend(self.options[round(v)] for v in values)
        else:
            state.double_array_value.data.extend(round(v) if self.integer else v for v in values)
        return state


@dataclass
class PageCost:
    """The measured CPU seconds of each kind of rerun of one page, and what it sent."""

    page: str
    control: str = "-"
    identical: list[float] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)
    recompute: list[float] = field(default_factory=list)
    bytes_identical: list[int] = field(default_factory=list)
    bytes_first: int = 0  # the first visit, nothing cached in the client
    elements: int = 0
    charts: int = 0
    floor: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def median_ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.0f}" if values else "-"


def find_control(elements: list) -> Control | None:
    """The first slider or select slider of the page's main area."""
    for path, element in elements:
        if isinstance(element, str) or path[:1] != (0,) or element.WhichOneof("type") != "slider":
            continue
        slider = element.slider
        if slider.type == Slider.SELECT_SLIDER:
            values = [float(i) for i in range(len(slider.options))]
        elif slider.data_type in (Slider.INT, Slider.FLOAT) and slider.step > 0:
            points = round((slider.max - slider.min) / slider.step)
            values = [slider.min + slider.step * k for k in range(points + 1)]
        else:
            continue
        select = slider.type == Slider.SELECT_SLIDER
        options = list(slider.options) if select else []
        default = list(slider.value or slider.default)  # a select slider's are option indices
        return Control(slider.id, slider.label, values, default, select or slider.data_type == Slider.INT, options)
    return None


def fresh_values(control: Control, count: int) -> list[float]:
    """`count` values of the control next to its current value (none of them it), as a student nudges a slider.

    Not spread over the whole range: the far end of a slider is the page's heaviest request (2,000 race steps on
    page 5), which the page's work budget refuses with a message, so a "recompute" there measured the message."""
    values = list(control.values)
    here = values.index(control.default[0]) if control.default[0] in values else 0
    near = sorted((i for i in range(len(values)) if i != here), key=lambda i: (abs(i - here), i))
    return [values[i] for i in near[:count]]


def capture(elements: list) -> list[dict | None]:
    """The floor's items for a page: the spec dict of each chart (datasets as Arrow bytes), None for the rest."""
    import json

    items = []
    for _, element in elements:
        if isinstance(element, str):
            continue
        if element.WhichOneof("type") == "vega_lite_chart":
            chart = element.vega_lite_chart
            spec = json.loads(chart.spec)
            if chart.datasets:
                spec["datasets"] = {d.name: bytes(d.data.data) for d in chart.datasets}
            items.append(spec)
        else:
            items.append(None)
    return items


async def measured(client: st_client.Client, pid: int, page: str, states: list, cost: PageCost) -> tuple[float, int]:
    """One rerun's CPU seconds (from an idle server to an idle server) and bytes received."""
    before = settle(pid)
    run = await client.rerun(page, states)
    spent = settle(pid) - before
    if run.status != "success" or run.page != page:
        cost.errors.append(f"{run.status}, ran /{run.page}")
    for _, element in run.elements:
        if element == "page_not_found" or (not isinstance(element, str) and element.WhichOneof("type") == "exception"):
            cost.errors.append(str(element)[:200])
    return spent, run.received


async def measure_page(port: int, pid: int, page: str, repeats: int) -> tuple[PageCost, list[dict | None]]:
    cost = PageCost(page)
    async with st_client.session("127.0.0.1", port) as client:
        first = await client.rerun(page)
        cost.bytes_first = first.received
        items = capture(first.elements)
        cost.elements, cost.charts = len(items), sum(item is not None for item in items)
        control = find_control(first.elements)
        states = [control.state(control.default[0])] if control else []
        await client.rerun(page, states)  # warm: this session's widgets registered, the browser cache filled
        for _ in range(repeats):
            spent, received = await measured(client, pid, page, states, cost)
            cost.identical.append(spent)
            cost.bytes_identical.append(received)
        if control is not None:
            cost.control = control.label
            fresh = fresh_values(control, repeats + 1)
            for value in fresh:  # (c) never seen: the caches miss
                spent, _ = await measured(client, pid, page, [control.state(value)], cost)
                cost.recompute.append(spent)
            for index in range(repeats):  # (b) back and forth between values computed above: the caches hit
                value = fresh[index % 2] if index % 2 else control.default[0]
                spent, _ = await measured(client, pid, page, [control.state(value)], cost)
                cost.cached.append(spent)
    return cost, items


async def measure_floor(port: int, pid: int, costs: dict[str, PageCost], repeats: int) -> None:
    for page, cost in costs.items():
        async with st_client.session("127.0.0.1", port) as client:
            await client.rerun(page)
            await client.rerun(page)
            for _ in range(repeats):
                spent, _ = await measured(client, pid, page, [], cost)
                cost.floor.append(spent)


def measure_tree(
    cwd: Path, pages: list[str], repeats: int, options: dict[str, str], env: dict[str, str]
) -> dict[str, PageCost]:
    """Every page of the app in `cwd`, then the floor for each, each on a fresh server."""
    costs, captured = {}, {}
    with tempfile.NamedTemporaryFile(prefix="descent_rerun_cost_", suffix=".log", delete=False) as log:
        server, port = start_server(log, APP, cwd=cwd, options=options, env=env)
        try:
            for page in pages:
                costs[page], captured[page] = asyncio.run(measure_page(port, server.pid, page, repeats))
        finally:
            stop_server(server)
        with tempfile.NamedTemporaryFile(prefix="descent_floor_", suffix=".pickle", delete=False) as floor:
            pickle.dump(captured, floor)
        server, port = start_server(
            log, str(FLOOR_APP), cwd=cwd, options=options, env={**env, "DESCENT_FLOOR": floor.name}
        )
        try:
            asyncio.run(measure_floor(port, server.pid, costs, repeats))
        finally:
            stop_server(server)
            Path(floor.name).unlink()
    return costs


def table(title: str, costs: dict[str, PageCost]) -> None:
    print(f"\n{title}: server CPU per rerun, ms (median); × floor for an identical rerun / a recomputing change")
    head = f"{'page':16}{'control':28}{'identical':>10}{'cached':>8}{'recompute':>10}"
    print(head + f"{'KB':>7}{'KB 1st':>8}{'elem':>6}{'charts':>7}{'floor':>7}{'× floor':>14}")
    for cost in costs.values():
        floor = statistics.median(cost.floor) if cost.floor else float("nan")
        ratios = f"{statistics.median(cost.identical) / floor:.1f}"
        if cost.recompute:
            ratios += f" / {statistics.median(cost.recompute) / floor:.1f}"
        kb = statistics.median(cost.bytes_identical) / 1024
        print(
            f"{'/' + cost.page:16}{cost.control[:26]:28}{median_ms(cost.identical):>10}{median_ms(cost.cached):>8}"
            f"{median_ms(cost.recompute):>10}{kb:7.0f}{cost.bytes_first / 1024:8.0f}{cost.elements:6}{cost.charts:7}"
            f"{median_ms(cost.floor):>7}{ratios:>14}"
        )
        for error in cost.errors[:3]:
            print(f"    ERROR: {error}")


def compare(now: dict[str, PageCost], ref: dict[str, PageCost], name: str) -> None:
    print(f"\nthis tree vs {name}: CPU per rerun, ref / this (higher is better here)")
    print(f"{'page':16}{'identical':>10}{'cached':>8}{'recompute':>10}{'bytes':>8}")
    for page, cost in now.items():
        old = ref.get(page)
        if old is None:
            continue
        cells = []
        for kind in ("identical", "cached", "recompute", "bytes_identical"):
            a, b = getattr(old, kind), getattr(cost, kind)
            cells.append(f"{statistics.median(a) / statistics.median(b):.2f}×" if a and b else "-")
        print(f"{'/' + page:16}{cells[0]:>10}{cells[1]:>8}{cells[2]:>10}{cells[3]:>8}")


def checkout(ref: str) -> Path:
    """`ref` checked out (detached) into a new temporary git worktree."""
    where = Path(tempfile.mkdtemp(prefix="descent_ref_"))
    subprocess.run(["git", "worktree", "add", "--detach", str(where), ref], cwd=ROOT, check=True, capture_output=True)
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="reruns of each kind per page (default 5)")
    parser.add_argument("--pages", nargs="*", default=PAGES, help="url paths (default: every page)")
    parser.add_argument("--compare", metavar="REF", help="also measure this git ref, in a temporary worktree")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE", help="a server option")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a server environment variable"
    )
    args = parser.parse_args()
    options = dict(item.split("=", 1) for item in args.set)
    env = dict(item.split("=", 1) for item in args.env)
    started = time.monotonic()
    setup = f"server options {options or 'as configured'}, environment {env or 'as is'}"
    print(f"streamlit {streamlit.__version__}; {setup}; {args.repeats} reruns of each kind")
    now = measure_tree(ROOT, args.pages, args.repeats, options, env)
    table("this tree", now)
    if args.compare:
        where = checkout(args.compare)
        try:
            ref = measure_tree(where, args.pages, args.repeats, options, env)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)
        table(args.compare, ref)
        compare(now, ref, args.compare)
    print(f"\n({time.monotonic() - started:.0f} s; idle server CPU is included in each figure, see bench/README.md)")
    errors = sum(len(cost.errors) for cost in now.values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
