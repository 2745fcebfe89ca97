"""Every page in headless Chromium: it runs to the end, draws its charts cleanly, and scrubs without a rerun.

Starts the app once (`streamlit run app.py` on a free 127.0.0.1 port) and drives Debian's Chromium
(/usr/bin/chromium, or $CHROMIUM_PATH) with Playwright. Only localhost traffic: any other request is aborted.
Each page is loaded once and shared by its tests. Screenshots land in test-artifacts/browser/<page>.png, the
server's log in test-artifacts/browser/server.log. The server and browser helpers live in
tools/screenshots.py, which the README's screenshots are made with.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pagetools
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"


browser_helpers = pagetools.browser_helpers()

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


IGNORED_CONSOLE = [
    _ignored_resource_404,
    _ignored_favicon,
    _ignored_blocked_external,
    _ignored_websocket_reconnect,
]


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


# --- Lecture mode: the player toolbar, URL-bound widgets, scenes, presenter view -------------------------------

# The Vega range inputs bound to the parameter "step" (the ones ui/player.py drives), as the player finds them.
_STEP_INPUTS_JS = """() => [...document.querySelectorAll('.vega-bind')]
    .filter((b) => (b.querySelector('.vega-bind-name')?.textContent || '').trim() === 'step')
    .map((b) => b.querySelector('input[type=range]')).filter(Boolean)"""

# [value, min, max, stride] of the first step input, or null when the chart has none (yet).
_STEP_STATE_JS = f"""() => {{
    const input = ({_STEP_INPUTS_JS})()[0];
    return input ? [Number(input.value), Number(input.min), Number(input.max), Number(input.step) || 1] : null;
}}"""

# Sample the step input's value every `every` ms for `ms` ms, in the page (Python polling is too coarse):
# returns [[t, value], ...] with t in ms from the first sample.
_SAMPLE_STEP_JS = f"""([ms, every]) => new Promise((resolve) => {{
    const samples = [], t0 = performance.now();
    const take = () => {{
        const input = ({_STEP_INPUTS_JS})()[0];
        samples.push([performance.now() - t0, input ? Number(input.value) : null]);
    }};
    take();
    const timer = setInterval(() => {{
        take();
        if (performance.now() - t0 >= ms) {{ clearInterval(timer); resolve(samples); }}
    }}, every);
}})"""

# Each Streamlit slider / select slider's label -> the value its thumb shows; each number input's label -> value.
_WIDGET_VALUES_JS = """() => {
    const values = {};
    const label = (w) => (w.querySelector('[data-testid="stWidgetLabel"]')?.innerText || '').trim();
    for (const w of document.querySelectorAll('[data-testid="stSlider"]'))
        values[label(w)] = [...w.querySelectorAll('[data-testid="stSliderThumbValue"]')]
            .map((thumb) => thumb.innerText.trim()).join(' – ');
    for (const w of document.querySelectorAll('[data-testid="stNumberInput"]'))
        values[label(w)] = w.querySelector('input')?.value;
    return values;
}"""


def _player(page, act: str):
    """The player's control `act` (in the component's open shadow root: Playwright's CSS locators pierce it)."""
    return page.locator(f'[data-act="{act}"]').first


def _step_state(page) -> tuple[int, int, int, int]:
    """(value, min, max, stride) of the chart's step slider; fails when the page has none."""
    state = page.evaluate(_STEP_STATE_JS)
    assert state is not None, "no Vega range input named 'step' on the page"
    return tuple(int(v) for v in state)


def _wait_for_step(page, value: int, timeout_ms: int = 10_000) -> None:
    """Wait until the chart's step slider shows `value` (the player restores ?step= a little after mounting)."""
    try:
        page.wait_for_function(
            f"(want) => {{ const s = ({_STEP_STATE_JS})(); return s !== null && s[0] === want; }}",
            arg=value,
            timeout=timeout_ms,
            polling=50,
        )
    except sync_api.TimeoutError:
        raise AssertionError(f"step slider never reached {value}: it shows {page.evaluate(_STEP_STATE_JS)}") from None


def _wait_for_rerun(session: Session, runs_before: int, timeout_ms: int = 30_000) -> None:
    """Wait for a script run to start after `runs_before` runs, then for it to finish and draw."""
    deadline = time.monotonic() + timeout_ms / 1000
    while session.runs.runs_started <= runs_before:
        assert time.monotonic() < deadline, f"no script run started within {timeout_ms} ms"
        session.page.wait_for_timeout(50)
    session.wait()


def _query(page) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(urlsplit(page.url).query))


@pytest.fixture
def fresh_page(server, browser):
    """fresh_page(path) -> Session: a page of its own, opened at `path` (with its query string) and run to the end.
    Its context is closed after the test."""
    opened: list[Session] = []

    def opener(path: str, wait: bool = True) -> Session:
        session = Session.open(browser, server.url + path, SERVER_LOG)
        opened.append(session)
        if wait:
            session.wait()
        return session

    yield opener
    for session in opened:
        session.page.context.close()


def _rate(samples: list[list[float]]) -> tuple[float, int, float]:
    """(distinct step values per second after the first, changes seen, seconds sampled) of a sampling run."""
    values = [v for _, v in samples if v is not None]
    elapsed = (samples[-1][0] - samples[0][0]) / 1000
    changes = len(set(values)) - 1
    return changes / elapsed, changes, elapsed


def test_play_advances_frames_in_the_browser(fresh_page):
    session = fresh_page("/one-weight?one-weight.steps=200&step=0")
    page = session.page
    _wait_for_step(page, 0)
    _, low, high, _ = _step_state(page)
    assert (low, high) == (0, 200), f"a 200-step run's step slider should span 0..200, not {low}..{high}"
    reruns_before, runs_before = session.runs.reruns_requested, session.runs.runs_started
    console_before = len(session.console)

    # The frame rate itself is a benchmark (bench/README.md), not a test: on a shared machine it varies with the
    # load. Here: playing moves the chart in the browser, Pause stops it, and the server is never asked.
    for speed in ("10", "30"):
        _player(page, "speed").select_option(speed)
        _player(page, "play").click()
        samples = page.evaluate(_SAMPLE_STEP_JS, [2_000, 20])
        rate, changes, elapsed = _rate(samples)
        print(f"\nplay at {speed} steps/s: {changes} new steps in {elapsed:.2f} s = {rate:.1f} steps/s")
        assert "Pause" in _player(page, "play").inner_text(), "the Play button did not turn into Pause while playing"
        _player(page, "play").click()  # pause
        assert "Play" in _player(page, "play").inner_text(), "the Pause button did not turn back into Play"
        assert changes >= 3, f"at {speed} steps/s the chart advanced only {changes} steps in {elapsed:.2f} s"
        # Paused: the value stays where it is, and the URL says where.
        paused_at = _step_state(page)[0]
        page.wait_for_timeout(600)
        still = page.evaluate(_SAMPLE_STEP_JS, [400, 20])
        moved = sorted({v for _, v in still} - {paused_at})
        assert not moved, f"after Pause at step {paused_at} the step slider still moved to {moved}"
        assert _query(page).get("step") == str(paused_at), f"URL {page.url} does not say step={paused_at}"

    page.wait_for_timeout(500)  # a rerun would have been asked for, and started, by now
    reruns = session.runs.reruns_requested - reruns_before
    runs = session.runs.runs_started - runs_before
    assert not reruns and not runs, f"playing asked for {reruns} rerun(s) and the script ran {runs} time(s)"
    problems = session.problems(since=console_before)
    assert not problems, "while playing: " + "\n".join(problems)


def test_arrow_keys_step_the_chart(fresh_page):
    session = fresh_page("/one-weight?one-weight.steps=50&step=10")
    page = session.page
    _wait_for_step(page, 10)
    _, _, high, stride = _step_state(page)
    runs_before = session.runs.runs_started
    page.get_by_role("heading", name="1 · One weight").click()  # focus the page, not a text field or slider
    focused = page.evaluate("() => document.activeElement?.tagName")
    assert focused in ("BODY", "MAIN", "DIV", "SECTION"), f"clicking the title focused a {focused}"

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    _wait_for_step(page, 10 + stride, timeout_ms=2_000)
    page.keyboard.press("Home")
    _wait_for_step(page, 0, timeout_ms=2_000)
    page.keyboard.press("End")
    _wait_for_step(page, high, timeout_ms=2_000)
    assert high == 50, f"a 50-step run's step slider ends at {high}"
    assert _query(page).get("step") == str(high), f"URL {page.url} does not follow the keys to step={high}"
    page.wait_for_timeout(300)
    assert session.runs.runs_started == runs_before, "stepping with the keys reran the script"


def _focus_streamlit_slider(page, label: str):
    """The hidden range input of the Streamlit slider labelled `label`, focused (keys then move its thumb)."""
    handle = page.locator('[data-testid="stSlider"]').filter(has_text=label).locator("input[type=range]").first
    handle.focus()
    return handle


def test_a_copied_link_reopens_the_same_scene(fresh_page):
    session = fresh_page("/one-weight")
    page = session.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    # Set the learning rate and the number of steps as a user would, with the keyboard.
    runs_before = session.runs.runs_started
    _focus_streamlit_slider(page, "Learning rate")
    page.keyboard.press("ArrowRight")  # 0.05 -> the next stop, 1/18
    _wait_for_rerun(session, runs_before)
    runs_before = session.runs.runs_started
    _focus_streamlit_slider(page, "Number of steps")
    page.keyboard.press("ArrowLeft")  # 20 -> 19
    _wait_for_rerun(session, runs_before)
    widgets = page.evaluate(_WIDGET_VALUES_JS)
    lr_label, steps_label = "Learning rate lr (log scale)", "Number of steps"
    assert widgets.get(lr_label) == "1/18 ≈ 0.0556" and widgets.get(steps_label) == "19", widgets

    # Scrub with the player's forward button, once the redrawn chart and the player's restore have settled.
    _wait_for_step(page, 0)
    page.wait_for_timeout(1_500)  # as in test_the_url_step_follows_the_chart_after_a_rerun
    for _ in range(3):
        _player(page, "forward").click()
    _wait_for_step(page, 3, timeout_ms=2_000)

    _player(page, "copy").click()
    sync_api.expect(_player(page, "copy")).to_contain_text("Link copied")  # the clipboard write has resolved
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.url, f"Copy link copied {copied!r}, the page is at {page.url!r}"
    query = _query(page)
    assert query.get("step") == "3" and query.get("one-weight.steps") == "19" and "one-weight.lr" in query, (
        f"the link: {copied}"
    )

    again = fresh_page(urlsplit(copied)._replace(scheme="", netloc="").geturl())
    _wait_for_step(again.page, 3)
    reopened = again.page.evaluate(_WIDGET_VALUES_JS)
    for label in (lr_label, steps_label, "Start A₀"):
        assert reopened.get(label) == widgets.get(label), f"{label}: {widgets.get(label)} -> {reopened.get(label)}"
    assert _step_state(again.page)[2] == 19, "the reopened chart's step slider does not end at 19"
    assert again.page.get_by_text("Lands in one step").count(), "the reopened page does not say it lands in one step"
    problems = session.problems() + again.problems()
    assert not problems, "\n".join(problems)


def test_a_scene_opens_from_the_home_page(fresh_page):
    session = fresh_page("/")
    page = session.page
    runs_before = session.runs.runs_started
    page.get_by_role("link", name="1/9 oscillates forever").click()
    _wait_for_rerun(session, runs_before)
    assert urlsplit(page.url).path == "/one-weight", f"the scene opened {page.url}"
    # The lesson's own verdict on the run (the lecture bar above it names the scene too)
    sync_api.expect(page.get_by_test_id("stAlertContentWarning").get_by_text("Oscillates forever")).to_be_visible()
    sync_api.expect(page.get_by_text("Scene 3 of 7: 1/9 oscillates forever")).to_be_visible()
    widgets = page.evaluate(_WIDGET_VALUES_JS)
    assert widgets.get("Learning rate lr (log scale)") == "1/9 ≈ 0.111", widgets
    assert widgets.get("Number of steps") == "20", widgets
    _wait_for_step(page, 0)
    problems = session.problems()
    assert not problems, "\n".join(problems)


def test_presenter_view(fresh_page):
    session = fresh_page("/one-weight?presenter=true")
    page = session.page
    toggle = page.locator(".st-key-presenter input[type=checkbox]")
    assert toggle.is_checked(), "?presenter=true did not turn the Presenter view toggle on"
    hidden = {"download button": '[data-testid="stDownloadButton"]'}
    for what, selector in hidden.items():
        found = page.locator(selector)
        assert found.count() >= 1, f"the page has no {what} to hide ({selector})"
        assert not found.first.is_visible(), f"presenter view still shows the {what}"
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    assert table.is_visible(), "presenter view hides the iteration table, the tutorial's spreadsheet"
    container = '[data-testid="stMainBlockContainer"]'
    size = page.evaluate(f"""() => getComputedStyle(document.querySelector('{container}')).fontSize""")
    assert float(size.removesuffix("px")) > 16, f"presenter view does not enlarge the text ({size})"
    assert page.locator(".vega-embed canvas, .vega-embed svg").first.is_visible(), "presenter view shows no chart"
    browser_helpers.full_page_screenshot(page, ARTIFACTS / "presenter.png")
    problems = session.problems()
    assert not problems, "\n".join(problems)


def test_a_bad_url_value_is_reported_and_the_page_still_draws(fresh_page):
    session = fresh_page("/one-weight?one-weight.steps=9999", wait=False)
    page = session.page
    toast = page.locator('[data-testid="stToast"]').filter(has_text="could not be used")
    toast.first.wait_for(state="visible", timeout=browser_helpers.APP_TIMEOUT_MS)
    text = toast.first.inner_text()
    print(f"\ntoast: {text!r}")
    assert "Number of steps" in text and "9999" in text, f"the toast does not name the control and value: {text!r}"
    charts, _, drawn = session.wait()
    assert drawn >= 1 and drawn == charts, f"charts sent {charts}, drawn {drawn}"
    assert page.evaluate(_WIDGET_VALUES_JS).get("Number of steps") == "20", "one-weight.steps did not fall back to 20"
    assert page.locator('[data-testid="stException"]').count() == 0
    problems = session.problems()
    assert not problems, "\n".join(problems)


def test_presenter_view_fits_the_screen(fresh_page):
    session = fresh_page("/one-weight?presenter=true")
    page = session.page
    overflow = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]').getBoundingClientRect();
            return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                .map((chart) => chart.getBoundingClientRect().right - Math.min(main.right, window.innerWidth))
                .filter((past) => past > 1);
        }"""
    )
    problems = [f"a chart reaches {past:.0f} px past the right edge of the page" for past in overflow]
    if page.locator(".player .hint").first.is_visible():
        problems.append("the player's key hint is still shown")
    assert not problems, "presenter view: " + "; ".join(problems)


def test_the_url_step_follows_the_chart_after_a_rerun(fresh_page):
    session = fresh_page("/one-weight?one-weight.steps=30&step=5")
    page = session.page
    _wait_for_step(page, 5)
    runs_before = session.runs.runs_started
    _focus_streamlit_slider(page, "Number of steps")
    page.keyboard.press("ArrowLeft")  # 30 -> 29: the script reruns and the chart is drawn anew
    _wait_for_rerun(session, runs_before)
    page.wait_for_timeout(1_500)  # the player's own restore polls every 100 ms
    shown, url_step = _step_state(page)[0], _query(page).get("step")
    assert url_step == str(shown), f"after a rerun the chart shows step {shown}, the URL (Copy link) says {url_step}"


def test_the_substituted_update_and_the_table_row_follow_the_player(fresh_page):
    session = fresh_page("/one-weight?one-weight.steps=20&step=0")
    page = session.page
    _wait_for_step(page, 0)
    runs_before = session.runs.runs_started
    for _ in range(3):
        _player(page, "forward").click()
    _wait_for_step(page, 3, timeout_ms=2_000)
    line = page.locator(".player-follow .line").inner_text()
    a3, a4 = -1 + 0.1**3 * -3, -1 + 0.1**4 * -3  # A_k = −1 + (1 − 18·0.05)^k (A₀ + 1), A₀ = −4
    assert line.startswith("A₄ = A₃ − lr·f′(A₃) = ") and line.endswith(f"= {a4:.6g}".replace("-", "−")), line
    assert f"{a3:.6g}".replace("-", "−") in line, line
    row = page.locator(".player-follow tr.now td").all_inner_texts()
    assert row[0] == "3" and row[1] == f"{a3:.6g}".replace("-", "−"), f"the highlighted row is {row}"
    assert session.runs.runs_started == runs_before, "following the player asked the server for a rerun"


def test_an_upload_on_the_line_page_carries_over_to_the_minibatch_page(fresh_page):
    """Issue 9: a CSV uploaded on page 2 is the data of page 3 after a click in the sidebar, with its columns."""
    session = fresh_page("/fitting-a-line")
    page = session.page
    runs_before = session.runs.runs_started
    page.get_by_text("Upload CSV", exact=True).click()
    _wait_for_rerun(session, runs_before)
    rows = "\n".join(f"{50 + 2 * i},{1 + i % 4},{1000 + 30 * i + (i % 3)}" for i in range(60))
    runs_before = session.runs.runs_started
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "houses.csv", "mimeType": "text/csv", "buffer": f"area,rooms,price\n{rows}\n".encode()}]
    )
    _wait_for_rerun(session, runs_before)
    sync_api.expect(page.get_by_text("houses.csv").first).to_be_visible()
    runs_before = session.runs.runs_started
    page.locator('[data-testid="stSidebarNav"] a[href$="/minibatches"]').click()
    _wait_for_rerun(session, runs_before)
    assert urlsplit(page.url).path == "/minibatches", page.url
    sync_api.expect(page.get_by_text("uploaded earlier")).to_be_visible()
    text = page.inner_text("body")
    assert "different columns" not in text and "Upload a CSV file" not in text, text[:2000]
    for label, column in (("x column", "area"), ("y column", "price")):
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
        chosen = box.evaluate("(w) => w.textContent + ' ' + [...w.querySelectorAll('input')].map((i) => i.value)")
        assert column in chosen, f"{label}: {chosen!r}"
    sent, _, drawn = session.wait()
    assert sent >= 1 and drawn == sent, (sent, drawn)
    problems = session.problems()
    assert not problems, "\n".join(problems)
