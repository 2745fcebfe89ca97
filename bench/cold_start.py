"""Cold start: `streamlit run app.py` to the first chart drawn in Chromium, and where the time goes.

    .venv/bin/python bench/cold_start.py                  # /one-weight, 3 cold starts, medians
    .venv/bin/python bench/cold_start.py --page learning-rate --runs 5
    .venv/bin/python bench/cold_start.py --root /tmp/before --root .   # two checkouts, runs interleaved

Chromium (Debian's /usr/bin/chromium, headless, loopback only) is launched first and not counted. Then, per run:
a fresh server is started; `healthy` is the wall time until /_stcore/health says ok (Python, `import streamlit`,
the web server); the browser then opens the page, and `first chart` is the wall time from the start until a
`.vega-embed` holds a drawn canvas or svg. Between the two, the server's first script run (app.py's imports: torch,
pandas, Altair, gd_core, and the page) and the browser's own work (the frontend's JavaScript, the websocket, Vega's
parsing and drawing) overlap; the server's CPU seconds over that window say how much of it is the server's.
Separately, in a fresh interpreter, the CPU seconds of each group of imports the app needs, in the order it needs them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package: its modules import each other
from st_client import ROOT, free_port, healthy, process_cpu, stop_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DRAWN = ".vega-embed canvas, .vega-embed svg.marks"

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

    @property
    def browser_side(self) -> float:
        return self.first_chart - self.healthy


def import_costs(cwd: Path) -> list[tuple[str, float]]:
    """CPU seconds of each import group in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, json.dumps(IMPORTS)], cwd=cwd, capture_output=True, text=True, check=True
    )
    return [tuple(item) for item in json.loads(out.stdout)]


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
        context = browser.new_context(viewport={"width": 1400, "height": 1000})

        def only_loopback(route):
            local = urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost")
            route.continue_() if local or route.request.url.startswith(("data:", "blob:")) else route.abort()

        context.route("**/*", only_loopback)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/{page_path}")
        page.wait_for_selector(DRAWN, state="attached", timeout=120_000)
        at_chart = time.perf_counter() - started
        result = ColdStart(at_healthy, at_chart, cpu_healthy, process_cpu(server.pid) - cpu_healthy)
        context.close()
        return result
    finally:
        stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="one-weight", help="url path of a page with a chart (default one-weight)")
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
    with sync_playwright() as playwright, tempfile.NamedTemporaryFile(prefix="descent_cold_", suffix=".log") as log:
        launched = time.perf_counter()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        launch = time.perf_counter() - launched
        for _ in range(args.runs):
            for root in roots:
                runs[root].append(cold_start(browser, args.page, root, log))
        browser.close()
    print(f"cold start of /{args.page}, {args.runs} runs, medians (Chromium launched beforehand in {launch:.1f} s)")
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
    print("import CPU-seconds, fresh interpreter, in app.py's order:")
    for name, seconds in costs:
        print(f"  {name:42}" + ("   n/a" if seconds is None else f"{seconds:6.2f}"))
    print(f"  {'total':42}{sum(s for _, s in costs if s is not None):6.2f}")
    print("per run: " + "; ".join(f"{r.healthy:.2f} + {r.browser_side:.2f} = {r.first_chart:.2f} s" for r in runs))


if __name__ == "__main__":
    sys.exit(main())
