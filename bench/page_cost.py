"""CPU seconds and memory of one cold rerun of each page at its most expensive links (AppTest, in process).

Cold: every st.cache_data cache is cleared before each measured run (a new seed alone leaves the pages that take no
seed cached). Warm server: ui.preload's imports and warm-up (what the app's server does in the background from its
first run), then one run of every page at its defaults (Altair's schema). Per link: the
median of 3 process CPU-seconds, and the peak resident memory above the warm process during the run (sampled every
2 ms). Run from the repository root: .venv/bin/python bench/page_cost.py [--repeat 3] [--only optimizers]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, unquote_plus, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import charts.kit  # noqa: E402, F401  (before AppTest puts a page's folder, with its charts.py, first on sys.path)

sys.path.insert(0, str(ROOT / "bench"))
from attack import HEAVY  # noqa: E402

import gd_core as gd  # noqa: E402
from lessons import LESSONS  # noqa: E402
from lessons.learning_rate import controls as lr_controls  # noqa: E402
from lessons.optimizers import controls as opt_controls  # noqa: E402
from lessons.optimizers import race  # noqa: E402
from ui import preload  # noqa: E402


def _query(**params) -> str:
    """A link's query string from widget values given as their labels (Streamlit binds the formatted option)."""
    pairs = [(key, v) for key, values in params.items() for v in (values if isinstance(values, list) else [values])]
    return urlencode([(_name(key), value) for key, value in pairs])


def _name(argument: str) -> str:
    """one_weight__steps → one-weight.steps (the page's slug, then its control)."""
    page, control = argument.split("__")
    return f"{page.replace('_', '-')}.{control}"


ALL = [gd.OPTIMIZER_LABELS[name] for name in gd.OPTIMIZERS]
_FITS = gd.budget.affordable_race_steps(race.RACE_BUDGET, optimizers=5, newton_steps=opt_controls.SECOND_ORDER_STEPS)
RACE_FITS = _FITS - _FITS % 10  # the longest race of all six that fits its budget, on the Steps slider's grid
BEST = race.MODES["best"]
WORST = [  # beyond attack.HEAVY: the links that make pages 1, 4 and 5 do the most work
    ("one-weight", _query(one_weight__steps=200, one_weight__loss="sin(a)**2+exp(a/10)+log(1+a**2)*tanh(a)")),
    (
        "learning-rate",
        _query(
            learning_rate__problem=lr_controls.PROBLEMS["line"],
            learning_rate__steps=1000,
            learning_rate__count=128,
            learning_rate__n=500,
            learning_rate__noise=5.0,
        ),
    ),
    ("optimizers", _query(optimizers__steps=2000, optimizers__optimizers=ALL)),  # over the budget: the message
    ("optimizers", _query(optimizers__steps=2000, optimizers__optimizers=ALL, optimizers__within_budget="true")),
    (
        "optimizers",
        _query(
            optimizers__steps=2000, optimizers__race=BEST, optimizers__optimizers=ALL, optimizers__within_budget="true"
        ),
    ),
    *(  # Himmelblau: the dearest surface to tune on
        (
            "optimizers",
            _query(
                optimizers__steps=2000,
                optimizers__race=BEST,
                optimizers__optimizers=ALL,
                optimizers__within_budget="true",
                optimizers__surface=opt_controls.SURFACE_LABELS[surface],
                optimizers__schedule=gd.SCHEDULE_LABELS["warmup"],
            ),
        )
        for surface in ("rosenbrock", "himmelblau")
    ),
    ("optimizers", _query(optimizers__steps=RACE_FITS, optimizers__race=BEST, optimizers__optimizers=ALL)),
]


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


class Peak:
    """The largest resident size while the block runs, sampled on a thread."""

    def __enter__(self):
        self.peak, self.running = rss_mb(), True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, rss_mb())


_COMPONENTS: list = []  # one scan of the installed components for every run, as a server does once at its start


def page_run(page: str, query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=600)
    # AppTest scans every installed package for Streamlit components on an AppTest's first run (~0.07 CPU-s here,
    # importlib.metadata); a server does it once at its start. Its private slot, as of Streamlit 1.67: share one.
    if _COMPONENTS:
        at._bidi_component_manager = _COMPONENTS[0]
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query):
        params.setdefault(key, []).append(value)
    for key, values in params.items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    return at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    pages = {lesson.slug: lesson.page for lesson in LESSONS}
    preload._imports()  # what the app's server imports and warms in the background from its first run
    preload._warm()
    for page in pages.values():  # the warm server
        warm = page_run(page, "").run()
        if not _COMPONENTS and getattr(warm, "_bidi_component_manager", None) is not None:
            _COMPONENTS.append(warm._bidi_component_manager)
    for slug, query in [*HEAVY, *WORST]:
        if args.only and slug != args.only:
            continue
        costs, above = [], []
        for seed in range(args.repeat):
            st.cache_data.clear()
            at = page_run(pages[slug], f"{query}&seed={seed + 100}")
            base = rss_mb()
            with Peak() as peak:
                start = time.process_time()
                at.run()
                costs.append(time.process_time() - start)
            above.append(peak.peak - base)
            problems = [e.value for e in at.exception]
            notes = [str(e.value)[:90] for e in [*at.error, *at.warning]]
        line = f"/{slug} ?{unquote_plus(query)[:150]}: {statistics.median(costs):.2f} CPU-s (median of {args.repeat}, "
        line += f"max {max(costs):.2f}), +{max(above):.0f} MB peak above the process before it"
        line += (f"  EXCEPTION {problems}" if problems else "") + (f"  notes {notes}" if notes else "")
        print(line, flush=True)


if __name__ == "__main__":
    main()
