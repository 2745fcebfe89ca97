"""Full-page screenshots of every page for the README, and the browser helpers tests/test_browser.py shares.

Usage: .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--size 1280x720 --presenter --suffix=-projector]

It starts the app on a free localhost port, opens each page in headless Chromium (Debian's /usr/bin/chromium,
or $CHROMIUM_PATH) and saves docs/screenshots/<page>.png. Only localhost traffic: every other request the page
makes is aborted.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the lesson registry, when run as `python tools/screenshots.py`

from lessons import PAGES as REGISTERED  # noqa: E402

# name (used for file names and test ids) -> url path, from the lesson registry
PAGES: dict[str, str] = {page.slug: "/" + page.url_path for page in REGISTERED}

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT_S = 90  # the first run imports torch
APP_TIMEOUT_MS = 60_000

# The app finished its run: connected, and the script is no longer running.
APP_IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'

# Counts of the vega-embed containers in the page, and of those with a drawn view.
_CHART_COUNTS_JS = """() => {
    const embeds = [...document.querySelectorAll('.vega-embed')];
    return [embeds.length, embeds.filter((e) => e.querySelector(':scope > canvas, :scope > svg')).length];
}"""


def chromium_path() -> str | None:
    """The Chromium binary to drive ($CHROMIUM_PATH, else /usr/bin/chromium), or None when it is missing."""
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def streamlit_server(log_path: Path | None = None, timeout_s: float = SERVER_START_TIMEOUT_S) -> Iterator[str]:
    """Run `streamlit run app.py` on a free localhost port; yield its base URL; stop it afterwards.

    The server's output goes to log_path (overwritten) when given, else to a temporary file; either way its tail
    is in the error raised when the server does not come up.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w+b") if log_path else tempfile.TemporaryFile(mode="w+b") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout_s
            while not _healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-3000:]
                    state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
                    raise RuntimeError(f"streamlit server {state} before /_stcore/health said ok:\n{tail}")
                time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def launch_browser(playwright):
    """Headless Chromium (the system binary, not Playwright's download)."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium: install /usr/bin/chromium or set CHROMIUM_PATH")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)


def new_page(browser, viewport: dict | None = None):
    """A fresh page (own context) that may only talk to 127.0.0.1 / localhost; other requests are aborted."""
    context = browser.new_context(viewport=viewport or VIEWPORT)

    def only_localhost(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_localhost)
    return context.new_page()


class RunTracker:
    """Follows a page's Streamlit websocket: the reruns it asked for, and the script runs started and finished.

    Attach it before page.goto(). Counts are updated while Playwright is waiting on the page (its sync API
    delivers events then), so poll with page.wait_for_timeout(), not time.sleep().
    """

    def __init__(self, page):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._back, self._forward = BackMsg, ForwardMsg
        self.reruns_requested = 0  # rerun_script messages the browser sent
        self.runs_started = 0  # new_session messages: a script run began
        self.runs_ended = 0  # script_finished for a whole run, however it ended
        self.runs_completed = 0  # ... of which ran to the end (not cut short for a rerun)
        self._elements: dict[tuple[int, ...], str] = {}  # this run's element (or block) at each delta path
        # Streamlit sends an element the browser already has (unchanged since an earlier run) as a reference to
        # its hash: the element of each hash seen, to resolve those references.
        self._by_hash: dict[str, str] = {}
        page.on("websocket", self._attach)

    def _attach(self, websocket) -> None:
        if "/_stcore/stream" in websocket.url:
            websocket.on("framesent", self._sent)
            websocket.on("framereceived", self._received)

    def _parse(self, kind, payload):
        if isinstance(payload, str):
            return None
        message = kind()
        try:
            message.ParseFromString(payload)
        except Exception:  # not a message of ours; ignore it
            return None
        return message

    def _sent(self, payload) -> None:
        message = self._parse(self._back, payload)
        if message is not None and message.WhichOneof("type") == "rerun_script":
            self.reruns_requested += 1

    def _received(self, payload) -> None:
        message = self._parse(self._forward, payload)
        kind = message.WhichOneof("type") if message is not None else None
        if kind == "new_session":
            if self.runs_ended < self.runs_started:  # a run stopped for this one without a script_finished
                self.runs_ended += 1
            self.runs_started += 1
            self._elements.clear()
        elif kind == "delta":
            delta = message.delta
            if delta.WhichOneof("type") == "new_element":
                element = delta.new_element.WhichOneof("type") or ""
            else:
                element = delta.WhichOneof("type") or ""
            self._elements[tuple(message.metadata.delta_path)] = element
            if message.hash:
                self._by_hash[message.hash] = element
        elif kind == "ref_hash":
            self._elements[tuple(message.metadata.delta_path)] = self._by_hash.get(message.ref_hash, "")
        elif kind == "script_finished":
            status = message.script_finished
            if status == self._forward.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                return
            self.runs_ended += 1
            if status != self._forward.FINISHED_EARLY_FOR_RERUN:
                self.runs_completed += 1

    @property
    def charts(self) -> int:
        """Vega-Lite charts the current (or last) run has sent."""
        return sum(element == "vega_lite_chart" for element in self._elements.values())

    @property
    def idle(self) -> bool:
        """At least one run went to the end, and none is under way."""
        return self.runs_completed > 0 and self.runs_ended == self.runs_started


def chart_counts(page, runs: RunTracker) -> tuple[int, int, int]:
    """(charts the app sent, .vega-embed elements in the page, .vega-embed elements with a canvas/svg drawn)."""
    embeds, drawn = page.evaluate(_CHART_COUNTS_JS)
    return runs.charts, embeds, drawn


# ui.screen marks whether the server knows the main column's width or a rerun to tell it is on its way.
_WIDTH_STATE_JS = "() => document.documentElement.dataset.descentWidth || null"


def wait_for_app(page, runs: RunTracker, timeout_ms: int = APP_TIMEOUT_MS, settle_s: float = 0.75):
    """Wait until the script has run to the end and every chart it sent is drawn; return chart_counts()."""
    deadline = time.monotonic() + timeout_ms / 1000
    stable_since, last = time.monotonic(), None
    while True:
        counts = chart_counts(page, runs)
        charts, embeds, drawn = counts
        done = (
            runs.idle
            and (runs.runs_completed >= 2 or page.evaluate(_WIDTH_STATE_JS) != "reporting")  # ui.screen's rerun
            and charts == embeds == drawn
            and page.locator(APP_IDLE).count() == 1
            and page.locator(STATUS_WIDGET).count() == 0
        )
        now = time.monotonic()
        if not done or counts != last:
            stable_since = now
        elif now - stable_since >= settle_s:  # charts are lazy-loaded and drawn asynchronously: let them settle
            return counts
        last = counts if done else None
        if now > deadline:
            raise TimeoutError(
                f"page not finished after {timeout_ms} ms: runs started/ended/completed "
                f"{runs.runs_started}/{runs.runs_ended}/{runs.runs_completed}, charts sent/embedded/drawn {counts}"
            )
        page.wait_for_timeout(100)


def full_page_screenshot(page, path: Path) -> None:
    """Screenshot the whole page: Streamlit scrolls inside the app, so grow the viewport to the content first."""
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]') || document.body;
            const block = main.querySelector('[data-testid="stMainBlockContainer"]') || main;
            return Math.ceil(Math.max(block.getBoundingClientRect().bottom + main.scrollTop, main.scrollHeight));
        }"""
    )
    original = page.viewport_size
    page.set_viewport_size({"width": original["width"], "height": max(original["height"], int(height) + 40)})
    try:
        page.wait_for_timeout(300)  # let charts with container width re-layout
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(original)


def visible_problems(page) -> list[str]:
    """What a reader of the screenshot would see go wrong: exception boxes, a "Page not found" dialog."""
    problems = []
    if exceptions := page.locator('[data-testid="stException"]').count():
        problems.append(f"{exceptions} exception box(es)")
    if page.get_by_text("Page not found").count():
        problems.append('a "Page not found" dialog')
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save a full-page PNG of each page of the app, for the README.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="folder for <page>.png")
    parser.add_argument("--page", action="append", choices=list(PAGES), help="only this page (repeatable)")
    parser.add_argument("--size", default=None, help="viewport WIDTHxHEIGHT (default 1400x1000)")
    parser.add_argument("--presenter", action="store_true", help="open the pages in presenter view")
    parser.add_argument("--suffix", default="", help="added to each file name: <page><suffix>.png")
    args = parser.parse_args(argv)
    if chromium_path() is None:
        print("no Chromium: install /usr/bin/chromium or set CHROMIUM_PATH", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    viewport = VIEWPORT
    if args.size:
        width, height = (int(n) for n in args.size.lower().split("x"))
        viewport = {"width": width, "height": height}
    query = "?presenter=true" if args.presenter else ""
    status = 0
    with streamlit_server() as url, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            # Warm up on the home page: the server's first run imports torch and registers the pages.
            page = new_page(browser)
            runs = RunTracker(page)
            page.goto(url + PAGES["home"])
            wait_for_app(page, runs)
            page.context.close()
            # Request every page at once, so the server computes them side by side; then shoot each in turn.
            opened = {}
            for name in dict.fromkeys(args.page or PAGES):
                page = new_page(browser, viewport)
                opened[name] = (page, RunTracker(page))
                page.goto(url + PAGES[name] + query)
            for name, (page, runs) in opened.items():
                wait_for_app(page, runs, timeout_ms=180_000)
                for _ in range(50):  # the width report's rerun (ui.screen), which fits the charts
                    if runs.runs_completed >= 2:
                        break
                    page.wait_for_timeout(100)
                wait_for_app(page, runs, timeout_ms=180_000)
                out = args.out / f"{name}{args.suffix}.png"
                full_page_screenshot(page, out)
                problems = visible_problems(page)
                page.context.close()
                print(f"{out}  WARNING: it shows {', '.join(problems)}" if problems else out)
                status = 1 if problems else status
        finally:
            browser.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
