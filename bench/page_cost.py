"""CPU seconds and peak memory of one rerun of each page at its most expensive link (AppTest, in process; cold
caches: a new seed each time), medians of 3. Run from the repository root: .venv/bin/python bench/page_cost.py"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from streamlit.testing.v1 import AppTest  # noqa: E402

import charts.kit  # noqa: E402, F401  (before AppTest puts a page's folder, with its charts.py, first on sys.path)

sys.path.insert(0, str(ROOT / "bench"))
from attack import HEAVY  # noqa: E402

from lessons import LESSONS  # noqa: E402


def main() -> None:
    pages = {lesson.slug: lesson.page for lesson in LESSONS}
    for slug, query in HEAVY:
        costs = []
        for seed in range(3):
            at = AppTest.from_file(str(ROOT / pages[slug]), default_timeout=600)
            for pair in f"{query}&seed={seed + 100}".split("&"):
                key, value = pair.split("=")
                at.query_params[key] = value
            start = time.process_time()
            at.run()
            costs.append(time.process_time() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"/{slug} ?{query}: {statistics.median(costs):.2f} CPU-s (median of 3), process peak {peak:.0f} MB")


if __name__ == "__main__":
    main()
