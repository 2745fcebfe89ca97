"""The lecture running order in headless Chromium: PageDown / ] go to the next scene, PageUp / [ back, and the
bar's links keep the running order as they go. A screenshot of the scene goes to the temp folder."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("screenshots", ROOT / "tools" / "screenshots.py")
helpers = importlib.util.module_from_spec(spec)
sys.modules.setdefault("screenshots", helpers)
spec.loader.exec_module(helpers)

if helpers.chromium_path() is None:
    pytest.skip("no Chromium at /usr/bin/chromium (or $CHROMIUM_PATH): browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", exc_type=ImportError)

from ui import lecture  # noqa: E402

OUT = Path(tempfile.gettempdir()) / "descent_lecture_browser"  # the server log and a screenshot


def scene_url(base: str, index: int, **extra: str) -> str:
    scene = lecture.running_order()[index]
    path = "/" + __import__("lessons").lesson(scene.lesson).url_path
    query = {k: (",".join(v) if isinstance(v, list) else v) for k, v in lecture.scene_query(index).items()}
    return base + path + "?" + urlencode(query | extra, doseq=False)


def where(page) -> tuple[str, dict[str, list[str]]]:
    url = urlsplit(page.url)
    return url.path, parse_qs(url.query)


@pytest.fixture(scope="module")
def app():
    with sync_api.sync_playwright() as playwright:
        browser = helpers.launch_browser(playwright)
        OUT.mkdir(exist_ok=True)
        with helpers.streamlit_server(log_path=OUT / "lecture_server.log") as url:
            yield browser, url
        browser.close()


def test_page_down_and_page_up_walk_the_running_order(app):
    browser, url = app
    page = helpers.new_page(browser)
    runs = helpers.RunTracker(page)
    order = lecture.running_order()
    index = [s.title for s in order].index("0.12 diverges")
    page.goto(scene_url(url, index))
    helpers.wait_for_app(page, runs)
    page.screenshot(path=str(OUT / "lecture_scene_4.png"), full_page=False)
    assert page.get_by_text(f"Scene {index + 1} of {len(order)}").count() == 1
    page.keyboard.press("PageDown")
    page.wait_for_url(lambda u: "scene=" + str(index + 2) in u, timeout=30_000)
    page.get_by_text(f"Scene {index + 2} of {len(order)}: {order[index + 1].title}").wait_for(timeout=60_000)
    path, query = where(page)
    assert path == "/fitting-a-line" and query["scene"] == [str(index + 2)]
    page.keyboard.press("[")
    page.wait_for_url(lambda u: "scene=" + str(index + 1) in u, timeout=30_000)
    page.get_by_text(f"Scene {index + 1} of {len(order)}: {order[index].title}").wait_for(timeout=60_000)
    path, query = where(page)
    assert path == "/one-weight" and query["one-weight.lr"] == ["0.12"]
    page.context.close()
