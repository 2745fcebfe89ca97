"""Every page in headless Chromium: it runs to the end, draws its charts cleanly, and scrubs without a rerun.

Starts the app once (`streamlit run app.py` on a free 127.0.0.1 port) and drives Debian's Chromium
(/usr/bin/chromium, or $CHROMIUM_PATH) with Playwright. Only localhost traffic: any other request is aborted.
Each page is loaded once and shared by its tests. Screenshots land in test-artifacts/browser/<page>.png, the
server's log in test-artifacts/browser/server.log. The server and browser helpers live in
tools/screenshots.py, which the README's screenshots are made with.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def _load_helpers():
    """tools/screenshots.py as a module (tools/ is not a package)."""
    name = "descent_screenshots"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "screenshots.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


browser_helpers = _load_helpers()

if browser_helpers.chromium_path() is None:
    pytest.skip("no Chromium at /usr/bin/chromium (or $CHROMIUM_PATH): browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package cannot be imported", exc_type=ImportError
)

pytestmark = pytest.mark.browser

PAGES = browser_helpers.PAGES
LESSONS = [name for name in PAGES if name != "home"]

# Error alerts (st.error) a page shows on purpose with its default settings; none so far.
EXPECTED_ERROR_ALERTS: dict[str, int] = {}

# Console warnings that mean a chart is wrong (Vega logs its warnings as "WARN ...").
BAD_WARNING_TOKENS = ("Infinite extent", "Log scale domain includes zero", "JSON", "Unrecognized", "NaN", "WARN")

_LOCAL_HOSTS = ("127.0.0.1", "localhost")


@dataclass
class ConsoleMessage:
    kind: str  # console type ("error", "warning", ...) or "pageerror"
    text: str
    url: str = ""

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        return f"[{self.kind}] {self.text}{where}"


def _ignored_resource_404(message: ConsoleMessage) -> bool:
    # Streamlit's frontend first probes <page path>/_stcore/{health,host-config} in case the app is served
    # under that path prefix, gets a 404, then uses the server root. Only that exact probe is ignored.
    path = urlsplit(message.url).path
    probe = re.fullmatch(r"/[^?#]+/_stcore/(health|host-config)", path)
    return "status of 404" in message.text and probe is not None


def _ignored_favicon(message: ConsoleMessage) -> bool:
    # A browser asking for /favicon.ico is not the app's doing (the app sets its icon via set_page_config).
    return "favicon" in message.url and "Failed to load resource" in message.text


def _ignored_blocked_external(message: ConsoleMessage) -> bool:
    # The test aborts every non-localhost request; the resulting load failures are the test's doing.
    host = urlsplit(message.url).hostname
    return bool(message.url) and host not in _LOCAL_HOSTS and "Failed to load resource" in message.text


def _ignored_websocket_reconnect(message: ConsoleMessage) -> bool:
    # Streamlit's websocket retry chatter when a connection drops (e.g. while a context closes).
    return "WebSocket connection to 'ws://127.0.0.1" in message.text


IGNORED_CONSOLE = [_ignored_resource_404, _ignored_favicon, _ignored_blocked_external, _ignored_websocket_reconnect]


@dataclass
class Session:
    """One open page and what it logged."""

    page: object
    runs: object  # browser_helpers.RunTracker: reruns asked for, script runs started and finished
    console: list[ConsoleMessage] = field(default_factory=list)
    log_offset: int = 0  # size of the server log when the page was opened

    @classmethod
    def open(cls, browser, url: str, log: Path) -> Session:
        """Open `url` in a fresh context, recording the console, page errors and the app's script runs."""
        page = browser_helpers.new_page(browser)
        session = cls(page, browser_helpers.RunTracker(page), log_offset=log.stat().st_size)
        page.on("console", lambda m: session.console.append(ConsoleMessage(m.type, m.text, m.location.get("url", ""))))
        page.on("pageerror", lambda e: session.console.append(ConsoleMessage("pageerror", str(e))))
        page.goto(url)
        return session

    def wait(self) -> tuple[int, int, int]:
        """Wait for the script run to finish and the charts to be drawn: (charts sent, embedded, drawn)."""
        return browser_helpers.wait_for_app(self.page, self.runs)

    def problems(self, since: int = 0) -> list[str]:
        """Console errors, page errors and chart warnings logged since message index `since`, minus known noise."""
        found = []
        for message in self.console[since:]:
            if any(ignored(message) for ignored in IGNORED_CONSOLE):
                continue
            bad_warning = message.kind == "warning" and any(t in message.text for t in BAD_WARNING_TOKENS)
            if message.kind in ("error", "pageerror") or bad_warning:
                found.append(str(message))
        return found


SERVER_LOG = ARTIFACTS / "server.log"


def server_log_since(offset: int) -> str:
    """What the server logged after byte `offset` (its tracebacks: the page only shows a redacted message)."""
    with open(SERVER_LOG, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")[-4000:]


@dataclass
class FirstVisit:
    """What the very first visitor of a fresh server saw, arriving on a lesson's own URL."""

    path: str  # the url path requested
    final_path: str = ""
    not_found_shown: bool = False
    console: list[str] = field(default_factory=list)
    error: str = ""  # the page never finished running


@dataclass
class AppServer:
    url: str
    first_visit: FirstVisit


def _first_visit(browser, url: str, path: str) -> FirstVisit:
    visit = FirstVisit(path)
    session = Session.open(browser, url + path, SERVER_LOG)
    try:
        session.wait()
    except Exception as error:
        visit.error = f"{type(error).__name__}: {error}"
    visit.final_path = urlsplit(session.page.url).path
    visit.not_found_shown = session.page.get_by_text("Page not found").count() > 0
    visit.console = [str(m) for m in session.console if "does not seem to exist" in m.text]
    session.page.context.close()
    return visit


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = browser_helpers.launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(browser):
    """The running app. Its first visit, made here, opens a lesson by its URL: test_deep_link_on_a_fresh_server
    checks what it saw, and the tests after it all meet a warm server (torch imported, pages registered), so
    none of them depends on running first.
    """
    with browser_helpers.streamlit_server(log_path=SERVER_LOG) as url:
        yield AppServer(url, _first_visit(browser, url, PAGES[LESSONS[0]]))


@pytest.fixture(scope="module")
def open_page(request, server, browser):
    """open_page(name) -> Session: the page, loaded once per module and shared by the tests of that page.

    Every page a selected test will need is requested at once, so the server computes them side by side.
    """
    sessions: dict[str, Session] = {}
    mine = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    wanted = [item.callspec.params.get("name") for item in mine if hasattr(item, "callspec")]
    for name in dict.fromkeys(w for w in wanted if w in PAGES):
        sessions[name] = Session.open(browser, server.url + PAGES[name], SERVER_LOG)

    def opener(name: str) -> Session:
        if name not in sessions:
            sessions[name] = Session.open(browser, server.url + PAGES[name], SERVER_LOG)
        return sessions[name]

    yield opener
    for session in sessions.values():
        session.page.context.close()


# The text of each st.error alert, leaving out the alert inside an exception box (reported as such).
_ERROR_ALERTS_JS = """() => [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
    .filter((alert) => !alert.closest('[data-testid="stException"]'))
    .map((alert) => alert.innerText)"""


@pytest.mark.parametrize("name", list(PAGES))
def test_page_runs_and_draws_cleanly(open_page, name):
    session = open_page(name)
    page = session.page
    problems = []
    try:
        charts, _, drawn = session.wait()
    except TimeoutError as error:  # still report what the page shows and logged
        problems.append(str(error))
        charts, drawn = session.runs.charts, 0
    finally:
        browser_helpers.full_page_screenshot(page, ARTIFACTS / f"{name}.png")

    exceptions = page.locator('[data-testid="stException"]').count()
    if exceptions:
        log = server_log_since(session.log_offset).strip() or "(nothing new in the server log)"
        problems.append(f"{exceptions} exception box(es); server log since the page opened (others ran too):\n{log}")
    errors = page.evaluate(_ERROR_ALERTS_JS)
    if len(errors) != EXPECTED_ERROR_ALERTS.get(name, 0):
        problems.append(f"{len(errors)} error alert(s): {errors}")
    if name != "home" and drawn < 1:
        problems.append(f"no chart drawn (charts the app sent: {charts})")
    problems += session.problems()
    assert not problems, f"{name}: " + "\n".join(problems)


# The chart's drawn pixels (canvas renderer) or markup (svg renderer), for one .vega-embed.
_CHART_IMAGE_JS = """(embed) => {
    const canvas = embed.querySelector(':scope > canvas');
    if (canvas) return canvas.toDataURL('image/png');
    const svg = embed.querySelector(':scope > svg');
    return svg ? svg.outerHTML : null;
}"""

# Move a range input to the end of its range farthest from where it is, as a user dragging it would.
_SCRUB_JS = """(input) => {
    const min = Number(input.min), max = Number(input.max), now = Number(input.value);
    const target = (now - min >= max - now) ? min : max;
    input.value = String(target);
    input.dispatchEvent(new Event('input', {bubbles: true}));
    input.dispatchEvent(new Event('change', {bubbles: true}));
    return [min, max, now, Number(input.value)];
}"""


def _settled_image(page, embed, what: str, timeout_s: float = 5.0) -> str | None:
    """The chart's image once it has stopped changing (e.g. re-layout after the screenshot's resize)."""
    image = embed.evaluate(_CHART_IMAGE_JS)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        again = embed.evaluate(_CHART_IMAGE_JS)
        if again == image:
            return image
        image = again
    raise AssertionError(f"{what} keeps redrawing on its own")


@pytest.mark.parametrize("name", LESSONS)
def test_step_slider_scrubs_in_the_browser(open_page, name):
    session = open_page(name)
    page = session.page
    session.wait()
    exceptions = page.locator('[data-testid="stException"]').count()
    assert exceptions == 0, f"{name}: the page shows an exception box (see test_page_runs_and_draws_cleanly)"
    embeds = page.locator(".vega-embed")
    sliders = []  # (embed, range input) per chart with a step slider
    for embed in embeds.all():
        for label in embed.locator(".vega-bindings label").all():
            name_text = label.locator(".vega-bind-name").all_inner_texts()
            ranges = label.locator("input[type=range]")
            if ranges.count() and name_text and name_text[0].strip().lower().startswith("step"):
                sliders.append((embed, ranges.first))
    if not sliders:
        pytest.xfail(f"{name}: no Vega-Lite step slider yet ({embeds.count()} chart(s)); a finished lesson has one")

    reruns_before, runs_before = session.runs.reruns_requested, session.runs.runs_started
    console_before = len(session.console)
    for index, (embed, slider) in enumerate(sliders):
        before = _settled_image(page, embed, f"{name}: chart {index}")
        low, high, start, now = slider.evaluate(_SCRUB_JS)
        assert high > low, f"{name}: chart {index}'s step slider has a single value ({low})"
        assert now != start, f"{name}: chart {index}'s step slider did not move from {start}"
        try:
            page.wait_for_function(
                f"([embed, before]) => ({_CHART_IMAGE_JS})(embed) !== before",
                arg=[embed.element_handle(), before],
                timeout=5_000,
                polling=100,
            )
            changed = True
        except sync_api.TimeoutError:
            changed = False
        assert changed, f"{name}: chart {index} looks the same after moving its step slider from {start} to {now}"
    page.wait_for_timeout(1_000)  # a rerun would have been asked for, and started, by now

    reruns = session.runs.reruns_requested - reruns_before
    runs = session.runs.runs_started - runs_before
    assert not reruns and not runs, f"{name}: scrubbing asked for {reruns} rerun(s) and the script ran {runs} time(s)"
    assert page.locator(browser_helpers.STATUS_WIDGET).count() == 0, f"{name}: the running indicator appeared"
    problems = session.problems(since=console_before)
    assert not problems, f"{name} after scrubbing: " + "\n".join(problems)


def test_deep_link_on_a_fresh_server(server):
    """The first visitor after a (re)start who opens a lesson's own URL gets that lesson, and no "Page not found"."""
    visit = server.first_visit
    assert not visit.error, f"first visit to {visit.path}: {visit.error}"
    landed = not visit.not_found_shown and not visit.console and visit.final_path == visit.path
    assert landed, (
        f"first visit to {visit.path} on a fresh server: 'Page not found' shown: {visit.not_found_shown}, "
        f"url path now {visit.final_path}, console: {visit.console}"
    )
