"""A student on a phone (390 × 844, Chromium) opens a practice link, types an answer, locks it in and sees the reveal.

Serves tests/apps/practice_page.py (`streamlit run` on a free 127.0.0.1 port) and drives Debian's Chromium with
Playwright, with every non-localhost request aborted. Screenshots: test-artifacts/practice/phone-*.png.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "practice"
PHONE = {"width": 390, "height": 844}


def _helpers():
    spec = importlib.util.spec_from_file_location("descent_screenshots_practice", ROOT / "tools" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _helpers()
if helpers.chromium_path() is None:
    pytest.skip("no Chromium at /usr/bin/chromium (or $CHROMIUM_PATH): browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright cannot be imported", exc_type=ImportError)

pytestmark = pytest.mark.browser


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server():
    """`streamlit run tests/apps/practice_page.py` on a free port; its base URL."""
    port = helpers.free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "streamlit", "run", "tests/apps/practice_page.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(ARTIFACTS / "server.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + helpers.SERVER_START_TIMEOUT_S
            while not _healthy(url):
                assert process.poll() is None and time.monotonic() < deadline, "streamlit did not start"
                time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def phone(server):
    with sync_api.sync_playwright() as playwright:
        browser = helpers.launch_browser(playwright)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)

        def only_localhost(route):
            host = urlsplit(route.request.url).hostname
            ok = host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:"))
            route.continue_() if ok else route.abort()

        context.route("**/*", only_localhost)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, errors
        browser.close()


def test_a_phone_answers_one_question_and_sees_the_reveal(server, phone):
    page, errors = phone
    page.goto(f"{server}/?lesson=one-weight&practice=one-weight.a1-108", timeout=60_000)
    page.get_by_text("Start at A₀ = −2 with lr = 0.03").wait_for(timeout=60_000)
    assert page.locator(".vega-embed").count() == 0  # nothing of the answer before the commit
    box = page.get_by_label("Your answer")
    box.fill("−1,46")  # a Unicode minus and a decimal comma, as a phone keyboard may give
    box.press("Enter")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Lock in my answer").click()
    verdict = page.get_by_text("Right: you said −1.46")
    verdict.wait_for(timeout=30_000)
    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(timeout=30_000)
    page.get_by_text("Score this session: 1 of 1, streak 1.").wait_for(timeout=10_000)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    page.screenshot(path=str(ARTIFACTS / "phone-reveal.png"), full_page=True)
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    chart = page.locator(".vega-embed").first.bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= PHONE["width"] + 1
    assert page.get_by_label("Your answer").is_disabled()
    assert not errors, errors


def test_a_tap_on_the_loss_map_fills_in_the_point(server, phone):
    page, errors = phone
    page.goto(f"{server}/?lesson=fitting-a-line&practice=fitting-a-line.click20-4321", timeout=60_000)
    canvas = page.locator(".vega-embed canvas, .vega-embed svg").first
    canvas.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    box = canvas.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"] + 1
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    w = page.get_by_label("w (slope)")
    page.wait_for_function(
        "() => [...document.querySelectorAll('input')].some((i) => i.getAttribute('aria-label') === 'w (slope)' "
        "&& i.value !== '')",
        timeout=30_000,
    )
    assert float(w.input_value()) == float(w.input_value())  # a number, typed in by the click
    assert page.get_by_label("b (bias)").input_value() != ""
    page.get_by_role("button", name="Lock in my answer").click()
    page.get_by_text("your point (").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "phone-click.png"), full_page=True)
    assert not errors, errors
