"""CPU seconds of the issue-14 page computations (process time, median of --repeat runs), uncached.

python bench/bench_predictions.py [--repeat 3] [--steps 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gd_core as gd
from lessons.learning_rate import controls as lr_controls
from lessons.learning_rate import predictions
from lessons.minibatches import noise_floor as nf
from lessons.optimizers import race


def cpu(function, repeat: int) -> float:
    """Median process CPU seconds of `function()`."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    tune, found = race.tune.__wrapped__, predictions.predictions.__wrapped__  # the functions under the cache
    gd.sweep(gd.test_function("saddle"), lrs=[0.1], steps=10, start=(1.0, 1.0), optimizer="adam", device="cpu")
    line = lr_controls.ProblemChoice("line")
    lrs = tuple(m / 6.852 for m in lr_controls.LINE_DEFAULTS)
    seconds = cpu(lambda: found(line, (0.0, 0.0), lrs, 1000, "cpu"), args.repeat)
    print(f"learning-rate predictions (line, 5 runs × 1000 steps): {seconds:.3f} CPU-s")
    for n in (100, 5000):
        data = gd.synthetic(n=n, slope=2.0, intercept=1.0, noise=1.0, seed=0)
        problem = gd.LinearRegression(data.x, data.y)
        lr = 0.5 * gd.critical_lr(problem)
        sizes = nf.batch_sizes(n)

        def floor(problem=problem, lr=lr, sizes=sizes):
            return gd.sweep_batch_sizes(problem, sizes, lr=lr, steps=nf.STEPS, seeds=0, device="cpu")

        print(f"noise floor, n = {n}, {len(sizes)} batch sizes × {nf.STEPS} steps: {cpu(floor, args.repeat):.3f} CPU-s")
    for surface in gd.TEST_FUNCTIONS:
        start = gd.test_function(surface).default_start
        per = {
            name: cpu(lambda s=surface, n=name, x=start: tune(s, n, args.steps, *x, "cpu"), args.repeat)
            for name in gd.FIRST_ORDER
        }
        detail = ", ".join(f"{name} {seconds:.3f}" for name, seconds in per.items())
        print(f"race tuning {surface}, {args.steps} steps: {sum(per.values()):.3f} CPU-s ({detail})")


if __name__ == "__main__":
    main()
