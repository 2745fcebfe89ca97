"""The per-unit rates behind gd_core.budget's prices, measured, next to the constants the budgets use.

    .venv/bin/python bench/step_rates.py            # about 30 s on 2 idle cores
    .venv/bin/python bench/step_rates.py --quick    # fewer steps, for a look (about 5 s)

For each optimizer on a 2-D test surface: CPU seconds per step of one run (gd.descend), and per extra learning rate
per step of a sweep of RUNS rates (gd.sweep); the Newton step; and, as the baseline measured in the same script, a
sweep the way gd_core did it before 2026-12-02: one torch.optim parameter group per rate (the torch.optim idiom for
per-rate learning rates), which costs a Python loop over the groups on every step. CPU seconds of this process
(time.process_time), medians of REPEATS, torch on one thread as on the server.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
import gd_core as gd
from gd_core import budget as gb

SURFACE = "rosenbrock"
START = (-1.5, 2.0)
LRS = [1e-4 * 1.5**i for i in range(12)]  # 12 rates, none diverging on Rosenbrock from START in these steps


def cpu_seconds(fn, repeats: int) -> float:
    """The median CPU seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def group_per_rate_sweep(problem, optimizer: str, lrs: list[float], steps: int) -> torch.Tensor:
    """The baseline: one parameter group per rate, each its own leaf (what gd_core's sweep did before)."""
    record = gd.get_optimizer(optimizer)
    leaves = [torch.tensor(START, dtype=torch.float64, requires_grad=True) for _ in lrs]
    groups = [{"params": [leaf], "lr": lr} for leaf, lr in zip(leaves, lrs, strict=True)]
    torch_optimizer = record.torch_class(groups, **record.hyper)
    for _ in range(steps):
        theta = torch.stack([leaf.detach() for leaf in leaves])
        _, grad = problem.value_and_grad(theta)
        for leaf, row in zip(leaves, grad, strict=True):
            leaf.grad = row.clone()
        torch_optimizer.step()
    return torch.stack([leaf.detach() for leaf in leaves])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    steps, repeats = (200, 3) if args.quick else (1000, 5)
    problem = gd.test_function(SURFACE)

    print(f"{SURFACE} from {START}, {steps} steps, {len(LRS)} rates per sweep, medians of {repeats} (CPU seconds)")
    print(f"{'optimizer':10} {'µs/step':>8} {'priced':>7} {'µs/rate/step':>13} {'priced':>7} "
          f"{'group-per-rate µs/rate/step':>28} {'sweep ×faster':>14}")  # fmt: skip
    for name in gd.FIRST_ORDER:
        one = cpu_seconds(partial(gd.descend, problem, lr=1e-3, steps=steps, start=START, optimizer=name), repeats)
        many = cpu_seconds(partial(gd.sweep, problem, lrs=LRS, steps=steps, start=START, optimizer=name), repeats)
        per_step = one / steps
        per_rate = max(many - one, 0.0) / steps / (len(LRS) - 1)
        torch_optim = gd.get_optimizer(name).torch_class is not None
        priced_step, priced_rate = gb.SURFACE_STEP_S, gb.RUN_STEP_S
        if torch_optim:
            baseline = cpu_seconds(partial(group_per_rate_sweep, problem, name, LRS, steps), repeats)
            ratio = f"{baseline / many:14.1f}"
            baseline_rate = f"{(baseline - one) / steps / (len(LRS) - 1) * 1e6:28.1f}"
        else:
            ratio, baseline_rate = f"{'–':>14}", f"{'–':>28}"
        print(f"{name:10} {per_step * 1e6:8.1f} {priced_step * 1e6:7.1f} {per_rate * 1e6:13.1f} "
              f"{priced_rate * 1e6:7.1f} {baseline_rate} {ratio}")  # fmt: skip
    newton_steps = steps // 10
    newton = cpu_seconds(
        lambda: gd.descend(problem, lr=1.0, steps=newton_steps, start=START, optimizer="newton"), repeats
    )
    print(f"{'newton':10} {newton / newton_steps * 1e6:8.1f} {gb.NEWTON_STEP_S * 1e6:7.1f}   (per step, "
          f"{newton_steps} steps)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
