"""Every page at a projector's sizes (1280×720 and 1024×768, presenter view) and a phone's (390×844), in Chromium.

One server and one browser for the module; every page is opened once per size (all pages of a size side by side,
so the server computes them together) and measured once; the tests read those measurements:
- nothing scrolls sideways: document.documentElement.scrollWidth <= innerWidth;
- every chart's drawn canvas/svg lies inside the viewport's width;
- every chart carries a non-empty text alternative (the spec's description, which Vega renders as aria-label);
- the first Tab stop is "Skip to the lesson", and it moves the focus to the lesson (past the sidebar);
- in presenter view, chart text is at least 16 px (the rendered SVG text where the chart is an SVG, and the spec as
  sent: its config and any font size set in it).
Screenshots land in test-artifacts/screens/<page>-<width>.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import pagetools
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "screens"


helpers = pagetools.browser_helpers()
if helpers.chromium_path() is None:
    pytest.skip("no Chromium at /usr/bin/chromium (or $CHROMIUM_PATH): browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package cannot be imported")

pytestmark = pytest.mark.browser

PAGES = helpers.PAGES
SIZES = {"1280x720": (1280, 720, True), "1024x768": (1024, 768, True), "390x844": (390, 844, False)}
PRESENTER_MIN_FONT = 16
LOAD_TIMEOUT_MS = 180_000

# What the page shows about its layout and its charts, read in the browser.
_MEASURE_JS = """() => {
  const charts = [];
  for (const embed of document.querySelectorAll('.vega-embed')) {
    const view = embed.querySelector(':scope > canvas, :scope > svg');
    if (!view) continue;
    const box = view.getBoundingClientRect();
    const fonts = [...view.querySelectorAll('text')].filter((t) => (t.textContent || '').trim())
      .map((t) => parseFloat(getComputedStyle(t).fontSize));
    charts.push({
      tag: view.tagName.toLowerCase(), left: box.left, right: box.right, width: box.width,
      label: view.getAttribute('aria-label') || embed.getAttribute('aria-label') || '',
      fonts,
    });
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, charts};
}"""


class SpecTracker:
    """The Vega-Lite specs the app sent over the page's websocket, by delta path (the latest run's)."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._forward = ForwardMsg
        self.specs: dict[tuple[int, ...], dict] = {}
        self._by_hash: dict[str, dict] = {}  # specs by message hash: an unchanged element comes as a reference
        page.on("websocket", self._attach)

    def _attach(self, websocket) -> None:
        if "/_stcore/stream" in websocket.url:
            websocket.on("framereceived", self._received)

    def _received(self, payload) -> None:
        if isinstance(payload, str):
            return
        message = self._forward()
        try:
            message.ParseFromString(payload)
        except Exception:  # not a message of ours
            return
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.specs.clear()
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "vega_lite_chart":
                spec = json.loads(element.vega_lite_chart.spec)
                self.specs[tuple(message.metadata.delta_path)] = spec
                if message.hash:
                    self._by_hash[message.hash] = spec
        elif kind == "ref_hash" and message.ref_hash in self._by_hash:
            self.specs[tuple(message.metadata.delta_path)] = self._by_hash[message.ref_hash]


def _font_sizes(node, found: list[float]) -> list[float]:
    """Every font size a spec sets (fontSize, labelFontSize, titleFontSize, ...), wherever it is set."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.lower().endswith("fontsize") and isinstance(value, (int, float)):
                found.append(float(value))
            elif key != "datasets":
                _font_sizes(value, found)
    elif isinstance(node, list):
        for item in node:
            _font_sizes(item, found)
    return found


def _wait_fitted(page, runs) -> None:
    """Wait for the page's first run, the rerun the width report asks for, and the charts it draws."""
    helpers.wait_for_app(page, runs, timeout_ms=LOAD_TIMEOUT_MS)
    for _ in range(100):  # the width report follows the first run within a moment
        if runs.runs_completed >= 2:
            break
        page.wait_for_timeout(100)
    helpers.wait_for_app(page, runs, timeout_ms=LOAD_TIMEOUT_MS)


@pytest.fixture(scope="module")
def app():
    """(server url, browser) for the module."""
    with helpers.streamlit_server(ARTIFACTS / "server.log") as url, sync_api.sync_playwright() as playwright:
        browser = helpers.launch_browser(playwright)
        try:
            yield url, browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def measured(app):
    """{(size, page): (what _MEASURE_JS read, the specs sent)} for every size and page."""
    results = {}
    url, browser = app
    for size, (width, height, presenting) in SIZES.items():
        opened = {}
        for name, path in PAGES.items():
            page = helpers.new_page(browser)
            page.set_viewport_size({"width": width, "height": height})
            opened[name] = (page, helpers.RunTracker(page), SpecTracker(page))
            page.goto(
                url + path + ("?presenter=true" if presenting else ""), wait_until="commit", timeout=LOAD_TIMEOUT_MS
            )
        for name, (page, runs, specs) in opened.items():
            _wait_fitted(page, runs)
            results[size, name] = (page.evaluate(_MEASURE_JS), list(specs.specs.values()))
            if name == "one-weight" and size == "390x844":  # the first Tab stop, and where Enter on it goes
                page.keyboard.press("Tab")
                first = page.evaluate("() => document.activeElement.textContent")
                page.keyboard.press("Enter")
                results["skip"] = (first, page.evaluate("() => document.activeElement.dataset.testid"))
            helpers.full_page_screenshot(page, ARTIFACTS / f"{name}-{width}.png")
            page.context.close()
    return results


def test_the_first_tab_stop_skips_to_the_lesson(measured):
    first, focused = measured["skip"]
    assert first == "Skip to the lesson"
    assert focused == "stMainBlockContainer"  # past the sidebar's controls, at the lesson


CASES = [(size, name) for size in SIZES for name in PAGES]
IDS = [f"{size}-{name}" for size, name in CASES]


@pytest.mark.parametrize(("size", "name"), CASES, ids=IDS)
def test_no_sideways_scrolling_and_charts_inside(measured, size, name):
    layout, _ = measured[size, name]
    assert layout["scrollWidth"] <= layout["innerWidth"], f"the page is {layout['scrollWidth']} px wide"
    for chart in layout["charts"]:
        assert chart["left"] >= -0.5 and chart["right"] <= layout["innerWidth"] + 0.5, (
            f"a {chart['width']:.0f} px chart spans {chart['left']:.0f}–{chart['right']:.0f} px of "
            f"{layout['innerWidth']}"
        )


@pytest.mark.parametrize(("size", "name"), CASES, ids=IDS)
def test_every_chart_has_a_text_alternative(measured, size, name):
    layout, specs = measured[size, name]
    assert len(layout["charts"]) == len(specs), "every chart sent is drawn"
    for chart in layout["charts"]:
        assert chart["label"].strip(), "a chart without an aria-label"
    for spec in specs:
        assert spec.get("description", "").strip(), "a spec without a description"
    if name != "home":
        assert specs, "a lesson page shows charts"


PRESENTER_CASES = [(size, name) for size, name in CASES if SIZES[size][2]]


@pytest.mark.parametrize(("size", "name"), PRESENTER_CASES, ids=[f"{size}-{name}" for size, name in PRESENTER_CASES])
def test_presenter_chart_text_is_large(measured, size, name):
    layout, specs = measured[size, name]
    for spec in specs:
        sizes = _font_sizes(spec, [])
        assert sizes, "the presenter config sets font sizes"
        assert min(sizes) >= PRESENTER_MIN_FONT, f"a font size of {min(sizes)} px in the spec"
    for chart in layout["charts"]:
        if chart["fonts"]:  # an SVG chart: its text as drawn
            assert min(chart["fonts"]) >= PRESENTER_MIN_FONT, f"drawn text of {min(chart['fonts'])} px"


_SHOWN_JS = """() => {
  const input = [...document.querySelectorAll('.vega-bind')].find(
    (b) => (b.querySelector('.vega-bind-name')?.textContent || '').trim() === 'step')?.querySelector('input');
  const embed = input && input.closest('.vega-embed');
  return input ? [Number(input.value), embed.getAttribute('aria-label') || ''] : null;
}"""


def test_the_text_alternative_follows_the_player(app):
    """Play page 1 at 1 step/s: at steps 1, 2, 3 the chart's aria-label reads A_k and the loss of that step, from
    the closed form A_k = −1 + (1 − 18·lr)^k (A₀ + 1), loss = 9 (A_k + 1)² (lr 0.05, A₀ = −4)."""
    url, browser = app
    page = helpers.new_page(browser)
    runs = helpers.RunTracker(page)
    try:
        page.goto(url + "/one-weight?one-weight.steps=20&step=0", wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        _wait_fitted(page, runs)
        page.locator('[data-act="speed"]').first.select_option("1")
        page.locator('[data-act="play"]').first.click()
        seen = {}
        for _ in range(100):
            step, label = page.evaluate(_SHOWN_JS)
            seen.setdefault(step, label)
            if step >= 3:
                break
            page.wait_for_timeout(100)
        page.locator('[data-act="play"]').first.click()  # pause
    finally:
        page.context.close()
    assert {1, 2, 3} <= set(seen), f"the player showed steps {sorted(seen)}"
    for k in (1, 2, 3):
        a = -1 + (1 - 18 * 0.05) ** k * (-4 + 1)
        numbers = f"A = {a:.4g}, loss = {9 * (a + 1) ** 2:.2g}".replace("-", "−").replace("e−05", "e−5")
        assert f"step {k} of 20: {numbers}" in seen[k], seen[k]
        assert seen[k].startswith("Loss(A) curve") and seen[k].endswith("at the end, step 20 of 20: A = −1, loss = 0")
    assert "step 3 of 20: A = −1.003, loss = 8.1e−5" in seen[3]
