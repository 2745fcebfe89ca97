"""Cold start: `streamlit run app.py` to the first chart drawn in Chromium, and where the time goes.

    .venv/bin/python bench/cold_start.py                  # /one-weight, 3 cold starts, medians
    .venv/bin/python bench/cold_start.py --page learning-rate --runs 5
    .venv/bin/python bench/cold_start.py --root /tmp/before --root .   # two checkouts, runs interleaved
    .venv/bin/python bench/cold_start.py --page "" --root /tmp/before --root .  # the home page (no chart: its last
                                                                                 # scene link drawn instead)

Chromium (Debian's /usr/bin/chromium, headless, loopback only) is launched first and not counted. Then, per run:
a fresh server is started; `healthy` is the wall time until /_stcore/health says ok (Python, `import streamlit`,
the web server); the browser then opens the page, and `first chart` is the wall time from the start until a
`.vega-embed` holds a drawn canvas or svg. Between the two, the server's first script run (app.py's imports: torch,
pandas, Altair, gd_core, and the page) and the browser's own work (the frontend's JavaScript, the websocket, Vega's
parsing and drawing) overlap; the server's CPU seconds over that window say how much of it is the server's.
The timeline in between: the frontend loaded (the page's `load` event: HTML, scripts, styles), the sidebar drawn,
the chart's element mounted (`.vega-embed`: the server has sent the chart), the chart drawn; the browser's part is
the last gap (Vega's lazy chunks fetched, parsed, the spec compiled and drawn), and the Vega chunks' fetch times.
Separately, in a fresh interpreter, the CPU seconds of each group of imports the app needs, in the order it needs them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package: its modules import each other
from st_client import ROOT, free_port, healthy, loopback_context, process_cpu, stop_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DRAWN = ".vega-embed canvas, .vega-embed svg.marks"
HOME_DRAWN = "text=Momentum on a ravine"  # the home page has no chart: its last scene link stands for "drawn"
SIDEBAR = "[data-testid=stSidebarUserContent] [data-testid=stNumberInput]"  # the sidebar's seed box

# Import groups, in the order app.py meets them: (name, statement).
IMPORTS = [
    ("streamlit", "import streamlit"),
    ("torch", "import torch"),
    ("pandas", "import pandas"),
    ("gd_core", "import gd_core"),
    ("ui (app.py's own imports)", "from ui import links, presenter, settings"),
    ("altair", "import altair"),
    ("charts (the chart kit)", "import charts.kit"),
    (
        "Altair's schema (first chart validated)",
        "import altair as alt, pandas as pd; alt.Chart(pd.DataFrame({'x': [0.0]})).mark_point().encode(x='x:Q')"
        ".to_dict(validate=True)",
    ),
]
IMPORT_PROBE = """
import json, sys, time
sys.path.insert(0, ".")
spent = []
for name, statement in json.loads(sys.argv[1]):
    start = time.process_time()
    try:
        exec(statement)
    except ImportError:  # an older checkout (--root) may lack a module
        spent.append((name, None))
        continue
    spent.append((name, time.process_time() - start))
print(json.dumps(spent))
"""  # our own constant statements, never a visitor's text


@dataclass
class ColdStart:
    healthy: float  # s of wall time, process start to /_stcore/health ok
    first_chart: float  # s of wall time, process start to a drawn chart
    server_cpu_at_healthy: float  # CPU s the server had used when healthy
    server_cpu_first_run: float  # CPU s the server used from healthy to the drawn chart
    loaded: float = 0.0  # s from the start: the frontend's `load` event
    sidebar: float = 0.0  # s from the start: the sidebar's seed box drawn
    mounted: float = 0.0  # s from the start: the chart's .vega-embed in the page (the home page: = first_chart)
    cpu_at_loaded: float = 0.0  # server CPU s (from the start) at each of those
    cpu_at_sidebar: float = 0.0
    cpu_at_mounted: float = 0.0
    vega_chunks: float = 0.0  # s: first Vega chunk requested -> last one received, in the browser
    sent: float = 0.0  # s from the start: the chart's spec received by the browser (websocket)
    cpu_at_sent: float = 0.0

    @property
    def browser_side(self) -> float:
        return self.first_chart - self.healthy

    @property
    def drawing(self) -> float:
        return self.first_chart - self.sent


def import_costs(cwd: Path) -> list[tuple[str, float]]:
    """CPU seconds of each import group in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, json.dumps(IMPORTS)], cwd=cwd, capture_output=True, text=True, check=True
    )
    return [tuple(item) for item in json.loads(out.stdout)]


VEGA_CHUNKS_JS = """() => {
  const vega = performance.getEntriesByType('resource').filter(e => /vega|Vega/.test(e.name));
  if (!vega.length) return 0;
  return (Math.max(...vega.map(e => e.responseEnd)) - Math.min(...vega.map(e => e.startTime))) / 1000;
}"""


def cold_start(browser, page_path: str, cwd: Path, log) -> ColdStart:
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        while not healthy("127.0.0.1", port, timeout=1):
            if server.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError(f"the server did not come up (log: {log.name})")
            time.sleep(0.02)
        at_healthy, cpu_healthy = time.perf_counter() - started, process_cpu(server.pid)
        context = loopback_context(browser)
        page = context.new_page()
        marks = {}

        def mark(name: str) -> None:
            marks[name] = (time.perf_counter() - started, process_cpu(server.pid))

        def on_frame(payload) -> None:  # the first websocket message that carries a Vega-Lite spec: the chart sent
            if "sent" not in marks and isinstance(payload, bytes) and b"vega-lite" in payload:
                mark("sent")

        page.on("websocket", lambda socket: socket.on("framereceived", on_frame))

        page.goto(f"http://127.0.0.1:{port}/{page_path}", wait_until="load")
        mark("loaded")
        page.wait_for_selector(SIDEBAR, state="attached", timeout=120_000)
        mark("sidebar")
        if page_path:
            page.wait_for_selector(".vega-embed", state="attached", timeout=120_000)
            mark("mounted")
        page.wait_for_selector(DRAWN if page_path else HOME_DRAWN, state="attached", timeout=120_000)
        mark("drawn")
        marks.setdefault("mounted", marks["drawn"])
        marks.setdefault("sent", marks["mounted"])
        at_chart, cpu_chart = marks["drawn"]
        result = ColdStart(
            at_healthy,
            at_chart,
            cpu_healthy,
            cpu_chart - cpu_healthy,
            loaded=marks["loaded"][0],
            sidebar=marks["sidebar"][0],
            mounted=marks["mounted"][0],
            cpu_at_loaded=marks["loaded"][1],
            cpu_at_sidebar=marks["sidebar"][1],
            cpu_at_mounted=marks["mounted"][1],
            sent=marks["sent"][0],
            cpu_at_sent=marks["sent"][1],
            vega_chunks=page.evaluate(VEGA_CHUNKS_JS),
        )
        context.close()
        return result
    finally:
        stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--page", default="one-weight", help='url path of a page (default one-weight; "" for the home page)'
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--root",
        action="append",
        type=Path,
        help="checkout to start (default this one); give it twice, e.g. a `git worktree` of an older commit and this "
        "one, and the runs alternate between them so both see the same load",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    roots = [root.resolve() for root in args.root or [ROOT]]
    costs = {root: import_costs(root) for root in roots}
    runs: dict[Path, list[ColdStart]] = {root: [] for root in roots}
    load_before = os.getloadavg()[0]
    with sync_playwright() as playwright, tempfile.NamedTemporaryFile(prefix="descent_cold_", suffix=".log") as log:
        launched = time.perf_counter()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        launch = time.perf_counter() - launched
        for _ in range(args.runs):
            for root in roots:
                runs[root].append(cold_start(browser, args.page, root, log))
        browser.close()
    print(f"cold start of /{args.page}, {args.runs} runs, medians (Chromium launched beforehand in {launch:.1f} s)")
    print(f"load average before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} (2 cores)")
    for root in roots:
        report(root, runs[root], costs[root])
    return 0


def report(root: Path, runs: list[ColdStart], costs: list[tuple[str, float]]) -> None:
    print(f"{root}:")
    med = lambda name: statistics.median(getattr(run, name) for run in runs)  # noqa: E731
    healthy_cpu = med("server_cpu_at_healthy")
    print(f"  process start -> /_stcore/health ok       {med('healthy'):6.2f} s wall ({healthy_cpu:.2f} CPU-s)")
    print(f"  healthy -> first chart drawn (browser)    {med('browser_side'):6.2f} s wall")
    print(f"    of which the server's first run         {med('server_cpu_first_run'):6.2f} CPU-s")
    print(f"  process start -> first chart drawn        {med('first_chart'):6.2f} s wall   (goal: 3 s)")
    print("  the split (medians of each part, wall s; server CPU-s in brackets):")
    print(f"    server healthy                          {med('healthy'):6.2f}")
    frontend = statistics.median(r.loaded - r.healthy for r in runs)
    print(f"    frontend loaded (HTML, JS, CSS)         {frontend:6.2f}")
    sidebar = statistics.median(r.sidebar - r.loaded for r in runs)
    sidebar_cpu = statistics.median(r.cpu_at_sidebar - r.cpu_at_loaded for r in runs)
    print(f"    loaded -> sidebar drawn                 {sidebar:6.2f} ({sidebar_cpu:.2f})")
    sent = statistics.median(r.sent - r.sidebar for r in runs)
    sent_cpu = statistics.median(r.cpu_at_sent - r.cpu_at_sidebar for r in runs)
    print(f"    sidebar -> the chart's spec received    {sent:6.2f} ({sent_cpu:.2f})")
    run_cpu = statistics.median(r.cpu_at_sent - r.cpu_at_loaded for r in runs)
    print(f"    server's first run up to the chart      {'':6} ({run_cpu:.2f})")
    after = statistics.median(r.server_cpu_first_run + r.server_cpu_at_healthy - r.cpu_at_sent for r in runs)
    mounted = statistics.median(r.first_chart - r.mounted for r in runs)
    print(
        f"    browser drawing (spec -> drawn)         {med('drawing'):6.2f} ({after:.2f}); .vega-embed -> drawn "
        f"{mounted:.2f} s; Vega's chunks fetched over {med('vega_chunks'):.2f} s"
    )
    print("import CPU-seconds, fresh interpreter, in app.py's order:")
    for name, seconds in costs:
        print(f"  {name:42}" + ("   n/a" if seconds is None else f"{seconds:6.2f}"))
    print(f"  {'total':42}{sum(s for _, s in costs if s is not None):6.2f}")
    print("per run: " + "; ".join(f"{r.healthy:.2f} + {r.browser_side:.2f} = {r.first_chart:.2f} s" for r in runs))


if __name__ == "__main__":
    sys.exit(main())
