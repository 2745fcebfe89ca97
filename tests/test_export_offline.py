"""The offline page: opens from file:// with every other request aborted, draws its charts, and the player steps.

One Chromium is shared by the module; the pages hold the app's real charts (the chart kit, wherever the
restructure puts it) with five optimizer runs, the heaviest chart a page ships.
"""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest

import gd_core as gd
from export.offline import MAX_PAGE_BYTES, offline_page, vega_bundle
from export.scene import RunSpec, SceneSpec, SeedLoss, Surface

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
LINK = "https://descent.example/optimizers?optimizers.surface=Rosenbrock&step=0"


def one_weight_charts() -> list[dict]:
    from lessons.one_weight import charts as scalar

    problem = gd.seed_problem()
    frame = SceneSpec("one-weight", SeedLoss(), (RunSpec(lr=0.05),), (-4.0,), 20).frame()
    ranges = scalar.curve_ranges(scalar.step_windows(frame, "A", -1.0))
    curve = pd.concat([gd.loss_surface(problem, [r], 300) for r in ranges], ignore_index=True)
    return [scalar.one_weight_chart(frame, curve, "A", minimum=-1.0, value=0).to_dict()]


def optimizer_charts() -> list[dict]:
    from lessons.optimizers import charts as kit
    from lessons.optimizers import controls

    problem = gd.test_function("rosenbrock")
    runs = tuple(RunSpec(name, controls.DEFAULT_LRS["rosenbrock"][name]) for name in gd.FIRST_ORDER)
    frame = SceneSpec("optimizers", Surface("rosenbrock"), runs, (-1.5, 2.0), 300).frame()
    frames = {name: frame[frame["optimizer"] == name].drop(columns="optimizer") for name in gd.FIRST_ORDER}
    grid = gd.loss_surface(problem, problem.view, 60)
    chart = kit.optimizer_chart(
        grid,
        controls.combine_runs(frames),
        view=problem.view,
        minima=problem.minima,
        start=(-1.5, 2.0),
        steps=300,
        optimizers=list(gd.FIRST_ORDER),
    )
    return [chart.to_dict()]


def _page(charts: list[dict], **overrides) -> str:
    settings = {
        "title": "5 · Optimizers",
        "formulas": [r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2"],
        "settings": ["surface: rosenbrock", "steps: 300"],
        "link": LINK,
        "version": "0.1.0",
    }
    return offline_page(charts, **(settings | overrides))


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", exc_type=ImportError)
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _open(browser, path):
    """The page at file://path with every non-file:// request aborted; (page, console problems, aborted URLs)."""
    page = browser.new_page()
    problems, aborted = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def route(request_route):
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            aborted.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function("window.descentViews && window.descentViews.length > 0", timeout=20_000)
    return page, problems, aborted


_MARKS = """() => {
  let count = 0;
  const walk = (node) => {
    if (node.marktype && node.items) count += node.items.length;
    for (const item of node.items || []) walk(item);
  };
  walk(window.descentViews[0].scenegraph().root);
  return count;
}"""
_STEP = "() => window.descentViews[0].signal('step')"


@pytest.mark.parametrize("make_charts", [one_weight_charts, optimizer_charts], ids=["one-weight", "optimizers"])
def test_offline_page_draws_offline_and_the_player_moves_the_step(browser, tmp_path, make_charts):
    text = _page(make_charts())
    assert len(text.encode()) < MAX_PAGE_BYTES
    path = tmp_path / "scene.html"
    path.write_text(text, encoding="utf-8")
    page, problems, aborted = _open(browser, path)
    try:
        assert page.locator("canvas").count() >= 1
        assert page.evaluate(_MARKS) > 10  # the chart's marks are drawn
        page.click("[data-act=first]")
        assert page.evaluate(_STEP) == 0
        page.click("[data-act=forward]")
        page.keyboard.press("ArrowRight")
        stride = int(page.locator(".vega-bind input[type=range]").first.get_attribute("step"))
        assert page.evaluate(_STEP) == 2 * stride
        page.click("[data-act=play]")
        time.sleep(0.5)
        assert page.evaluate(_STEP) > 2 * stride  # playing advances the step, in the browser alone
        page.click("[data-act=play]")
        assert problems == [], problems
        assert aborted == [], aborted  # nothing asked the network for anything
    finally:
        page.close()


def test_offline_page_escapes_every_visitor_text():
    hostile = '<img src=x onerror=alert(1)>"</script>'
    text = _page(
        [{"data": {"values": [{"a": hostile}]}, "mark": "point"}],
        title=hostile,
        formulas=[hostile],
        settings=[f"file: {hostile}"],
        link="javascript:alert(1)//" + hostile,
    )
    body_scripts = re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.DOTALL)
    assert len(body_scripts) == 4  # specs, options, Vega bundle, player: no script element was closed early
    text = text.replace(vega_bundle(), "")  # Vega's own tooltip code writes an <img> tag
    assert "<img" not in text and '</script>"' not in text
    assert 'href="javascript' not in text  # only http(s) links become hyperlinks
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_offline_page_carries_link_version_formulas_and_settings():
    text = _page([{"data": {"values": []}, "mark": "point"}])
    assert f'href="{LINK.replace("&", "&amp;")}"' in text
    assert "Descent 0.1.0" in text
    assert r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2" in text and "surface: rosenbrock" in text
