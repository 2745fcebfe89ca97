"""The batch-size sweep as one batched computation against a Python loop of descend calls, both in this run.

    .venv/bin/python bench/bench_batch_sweep.py            # full sizes (about a minute on 2 idle cores)
    .venv/bin/python bench/bench_batch_sweep.py --quick    # smaller sizes (a few seconds)
    add --check to exit 1 when the target is missed or the two disagree; --threads N to set torch's threads

ours:     gd.sweep_batch_sizes(problem, batch sizes, lr, steps, seeds)   one path loop for every (B, seed)
baseline: gd.descend(problem, lr, steps, batch_size=B, seed=s) for each (B, seed), then the same plateau

ratio = baseline / ours, on process CPU seconds (not wall time: the machine is shared), the median of a few
calls, the two sides alternating. Float64 on the CPU, fixed seeds; both give identical paths (checked).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
import gd_core as gd

FULL = {"n": 1_000, "steps": 1_000, "sizes": (1, 2, 4, 8, 16, 32, 64, 128, 256), "seeds": 4, "repeats": 5}
QUICK = {"n": 2_000, "steps": 300, "sizes": (1, 4, 16, 64), "seeds": 4, "repeats": 3}
TARGETS = {"full": 10, "quick": 5}  # fewer runs in --quick, so less to batch (as in bench_core.py)


def cpu_timed(fn):
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def plateaus_by_loop(problem, sizes, lr, steps, seeds):
    """The baseline: one descend call per (B, seed), then the mean excess loss over the last half of each run."""
    optimum = np.asarray(problem.least_squares())
    h = 2 * np.array([[np.mean(problem.x.numpy() ** 2), problem.x.numpy().mean()], [problem.x.numpy().mean(), 1]])
    finals, plateaus = [], []
    for b in sizes:
        for s in seeds:
            frame = gd.descend(problem, lr=lr, steps=steps, start=(0, 0), batch_size=b, seed=s, device="cpu").frame
            delta = frame[["w", "b"]].to_numpy() - optimum
            excess = 0.5 * np.einsum("ki,ij,kj->k", delta, h, delta)
            plateaus.append(excess[steps // 2 :].mean())
            finals.append(delta[-1] + optimum)
    return np.array(finals), np.array(plateaus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed or results disagree")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument(
        "--n", type=int, help="data points (default: 1,000 full, 2,000 quick; the lessons allow 10-5,000)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    size = dict(QUICK if args.quick else FULL)
    size["n"] = args.n or size["n"]
    target = TARGETS["quick" if args.quick else "full"]
    data = gd.synthetic(n=size["n"], slope=2, intercept=1, noise=1.0, seed=0)
    problem = gd.LinearRegression(data.x, data.y)
    lr = 0.1 * gd.critical_lr(problem, device="cpu")
    sizes, seeds, steps = size["sizes"], list(range(size["seeds"])), size["steps"]

    def ours():
        return gd.sweep_batch_sizes(problem, sizes, lr=lr, steps=steps, seeds=seeds, device="cpu")

    def baseline():
        return plateaus_by_loop(problem, sizes, lr, steps, seeds)

    ours_times, base_times = [], []
    for _ in range(size["repeats"]):
        elapsed, swept = cpu_timed(ours)
        ours_times.append(elapsed)
        elapsed, (finals, plateaus) = cpu_timed(baseline)
        base_times.append(elapsed)
    ours_s, base_s = statistics.median(ours_times), statistics.median(base_times)
    ours_finals = swept.frame.groupby("run").tail(1)[["w", "b"]].to_numpy()
    diff = np.abs(ours_finals - finals).max()
    plateau_rel = np.abs(swept.summary["plateau"].to_numpy() / plateaus - 1).max()
    agrees = diff < 1e-9 and plateau_rel < 1e-9
    ratio = base_s / ours_s
    runs = len(sizes) * len(seeds)
    print(
        f"batch-size sweep: {len(sizes)} batch sizes × {len(seeds)} seeds = {runs} runs × {steps:,} steps, "
        f"n = {size['n']:,}, lr = {lr:.4g}"
    )
    print(f"  sweep_batch_sizes (one batched computation): {ours_s:8.3f} CPU s   (median of {size['repeats']})")
    print(f"  loop of {runs} descend calls:                 {base_s:8.3f} CPU s")
    print(f"  ratio {ratio:.1f}×  (target ≥ {target}×)  {'PASS' if ratio >= target and agrees else 'FAIL'}")
    print(f"  agreement: max |Δ final (w, b)| = {diff:.1e}, max rel. Δ plateau = {plateau_rel:.1e}")
    print(f"  floor: slope {swept.slope:.3f} on log axes (predicted ≈ −1); plateau per B:")
    for row in swept.floor.itertuples():
        print(
            f"    B = {row.batch_size:>4}: {row.plateau:.3e}   i.i.d. prediction {row.predicted:.3e}   "
            f"{row.points_per_step:7.1f} points per step"
        )
    print(f"\ntorch {torch.__version__}, {torch.get_num_threads()} threads")
    return 1 if args.check and not (ratio >= target and agrees) else 0


if __name__ == "__main__":
    sys.exit(main())
