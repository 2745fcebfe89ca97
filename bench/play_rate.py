"""Playing in the browser: frames per second and long tasks while the player runs at 30 steps/s.

    .venv/bin/python bench/play_rate.py                       # every lesson page, 5 s of play each
    .venv/bin/python bench/play_rate.py --page optimizers --seconds 8

One server (`streamlit run app.py`, loopback) and headless Chromium (Debian's /usr/bin/chromium, software
rendering, loopback only). Per page: open it at its default settings, wait for the charts and the player, pick
30 steps/s and loop, go to step 0, then press ▶ Play and for `--seconds` count, in the page:
- frames: requestAnimationFrame callbacks (the browser's display frames; a busy main thread drops them),
- steps drawn: frames at which a step slider's value differs from the previous frame's (a new step on screen),
- slider changes: `input` events on the step sliders (what the player asked for: 30 per second),
- long tasks: PerformanceObserver 'longtask' entries (main-thread tasks over 50 ms), their count and the longest.
The goal (issue 10): ≥ 30 steps drawn per second, no long task over 50 ms. Timings are the browser's own and
depend on the machine's load: read them with the load average printed alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package: its modules import each other
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from st_client import ROOT, loopback_context, start_server, stop_server

from lessons import LESSONS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DRAWN = ".vega-embed canvas, .vega-embed svg.marks"

# Installed in the page before Play is pressed; our own constant script, no visitor text.
INSTRUMENT = """
() => {
  const m = { frames: 0, stepsDrawn: 0, inputs: 0, longTasks: [], started: performance.now(), stopped: null };
  window.__play = m;
  const sliders = () => Array.from(document.querySelectorAll(".vega-bind")).filter(
    (b) => (b.querySelector(".vega-bind-name")?.textContent || "").trim() === "step"
  ).map((b) => b.querySelector("input[type=range]")).filter(Boolean);
  const value = () => sliders().map((s) => s.value).join(",");
  let last = value();
  const frame = () => {
    if (m.stopped !== null) return;
    m.frames += 1;
    const now = value();
    if (now !== last) { m.stepsDrawn += 1; last = now; }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  document.addEventListener("input", (e) => { if (sliders().includes(e.target)) m.inputs += 1; });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) m.longTasks.push(entry.duration);
  });
  observer.observe({ type: "longtask" });
  m.observer = observer;
}
"""
COLLECT = """
() => {
  const m = window.__play;
  m.stopped = performance.now();
  m.observer.disconnect();
  const seconds = (m.stopped - m.started) / 1000;
  return JSON.stringify({ seconds, frames: m.frames, stepsDrawn: m.stepsDrawn, inputs: m.inputs,
                          longTasks: m.longTasks, charts: document.querySelectorAll(".vega-embed").length });
}
"""


def play(browser, port: int, slug: str, seconds: float) -> dict:
    context = loopback_context(browser)
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{port}/{slug}")
        page.wait_for_selector(DRAWN, state="attached", timeout=180_000)
        page.wait_for_selector(".vega-bind input[type=range]", state="attached", timeout=60_000)
        player = page.locator(".player").first
        player.wait_for(state="attached", timeout=60_000)
        page.wait_for_timeout(2_000)  # the rest of the page's charts and its after-load work
        player.locator("[data-act=speed]").select_option("30")
        loop = player.locator("[data-act=loop]")
        if not loop.is_checked():
            loop.check()
        player.locator("[data-act=first]").click()
        page.wait_for_timeout(500)
        page.evaluate(INSTRUMENT)
        player.locator("[data-act=play]").click()
        page.wait_for_timeout(seconds * 1000)
        result = json.loads(page.evaluate(COLLECT))
        player.locator("[data-act=play]").click()  # pause
        return result
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="append", help="lesson slug (default: every lesson)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to serve (default this one)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    slugs = args.page or [lesson.slug for lesson in LESSONS]
    rows = []
    with tempfile.NamedTemporaryFile(prefix="descent_play_", suffix=".log") as log:
        server, port = start_server(log, cwd=args.root.resolve())
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for slug in slugs:
                    rows.append((slug, play(browser, port, slug, args.seconds), os.getloadavg()[0]))
                browser.close()
        finally:
            stop_server(server)
    print(f"playing at 30 steps/s for {args.seconds:g} s per page (goal: >= 30 steps drawn/s, no long task > 50 ms)")
    print(f"{'page':16}{'frames/s':>9}{'steps/s':>9}{'inputs/s':>9}{'long tasks':>11}{'longest':>9}{'load':>6}")
    for slug, r, load in rows:
        s = r["seconds"]
        longest = max(r["longTasks"], default=0.0)
        print(
            f"{slug:16}{r['frames'] / s:9.1f}{r['stepsDrawn'] / s:9.1f}{r['inputs'] / s:9.1f}"
            f"{len(r['longTasks']):11d}{longest:8.0f}ms{load:6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
