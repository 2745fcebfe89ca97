"""How much faster gd_core is than the plain torch way of doing the same thing, both measured in this run.

    .venv/bin/python bench/bench_core.py            # full sizes (about two minutes on 2 idle cores)
    .venv/bin/python bench/bench_core.py --quick    # smaller sizes, for CI (about ten seconds)
    add --check to exit 1 when a target is missed or the results disagree; --threads N to set torch's threads

1. sweep:    gd.sweep over 64 learning rates   vs  a Python loop of torch.optim.SGD runs, one per lr
2. surface:  gd.loss_surface on a 200×200 grid vs  the MSE at every grid point, chunked broadcasting
3. epoch:    gd.descend, one epoch, batch 64   vs  DataLoader(shuffle=True) + torch.optim.SGD

ratio = baseline time / gd_core time; each time is the best (min) of a few calls, the two sides alternating.
Float64 on the CPU, fixed seeds.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
import gd_core as gd

DTYPE = torch.float64
LRS, BATCH, CHUNK = 64, 64, 256
# The ratios grow with the sizes, so --quick has its own, lower targets (see README.md).
FULL = {"sweep_n": 100_000, "sweep_steps": 300, "surface_n": 100_000, "resolution": 200, "epoch_n": 1_000_000}
QUICK = {"sweep_n": 100_000, "sweep_steps": 30, "surface_n": 20_000, "resolution": 60, "epoch_n": 200_000}
TARGETS = {"full": {"sweep": 50, "surface": 1_000, "epoch": 5}, "quick": {"sweep": 50, "surface": 100, "epoch": 4}}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def race(ours, baseline, repeats: int = 5, baseline_repeats: int = 2, budget: float = 20.0):
    """Best (min) wall times and results of gd_core's and the baseline's calls.

    Calls alternate (ours, baseline, ours, ...) so that a busy spell on a shared machine hits both sides;
    no new baseline call once `budget` seconds have gone into it.
    """
    ours_times, base_times = [], []
    for i in range(repeats):
        time_, our_result = timed(ours)
        ours_times.append(time_)
        if i < baseline_repeats and sum(base_times) < budget:
            time_, base_result = timed(baseline)
            base_times.append(time_)
    return min(ours_times), min(base_times), our_result, base_result


def line_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """y = 2x + 1 + N(0, 1), x uniform on (−3, 3)."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=generator, dtype=DTYPE) * 6 - 3
    return x, 2 * x + 1 + torch.randn(n, generator=generator, dtype=DTYPE)


def plain_sgd(batches, lr: float) -> torch.Tensor:
    """The plain way: a (w, b) leaf, the MSE written out, autograd and torch.optim.SGD, one step per batch."""
    wb = torch.zeros(2, dtype=DTYPE, requires_grad=True)
    optimizer = torch.optim.SGD([wb], lr=lr)
    for x, y in batches:
        optimizer.zero_grad()
        ((wb[0] * x + wb[1] - y) ** 2).mean().backward()
        optimizer.step()
    return wb.detach()


# Each benchmark returns (gd_core call, baseline call, check of their two results -> (note, agrees)).


def bench_sweep(size):
    x, y = line_data(size["sweep_n"])
    problem, steps = gd.LinearRegression(x, y), size["sweep_steps"]
    lrs = np.geomspace(1e-3, 0.9, LRS) * gd.critical_lr(problem, device="cpu")  # all below the critical lr

    def ours():
        return gd.sweep(problem, lrs=lrs, steps=steps, start=(0, 0), device="cpu").summary[["final_w", "final_b"]]

    def baseline():
        return torch.stack([plain_sgd([(x, y)] * steps, lr) for lr in lrs])

    def check(finals, plain_finals):
        diff = np.abs(finals.to_numpy() - plain_finals.numpy()).max()
        return f"max |Δ final (w, b)| = {diff:.1e}", diff < 1e-8

    return ours, baseline, check


def bench_surface(size):
    x, y = line_data(size["surface_n"])
    problem, ranges, res = gd.LinearRegression(x, y), [(-1.0, 5.0), (-2.0, 4.0)], size["resolution"]

    def ours():
        return gd.loss_surface(problem, ranges, res, device="cpu")["loss"]

    def baseline():  # the same grid (w outer, b inner): CHUNK grid points × all data points at a time
        w, b = torch.meshgrid(*(torch.linspace(lo, hi, res, dtype=DTYPE) for lo, hi in ranges), indexing="ij")
        w, b = w.reshape(-1, 1), b.reshape(-1, 1)
        chunks = [((w[i : i + CHUNK] * x + b[i : i + CHUNK] - y) ** 2).mean(1) for i in range(0, len(w), CHUNK)]
        return torch.cat(chunks)

    def check(loss, plain_loss):
        rel = np.abs(loss.to_numpy() / plain_loss.numpy() - 1).max()
        return f"max rel. diff of the loss = {rel:.1e}", len(loss) == len(plain_loss) and rel < 1e-9

    return ours, baseline, check


def bench_epoch(size):
    x, y = line_data(size["epoch_n"])
    problem, steps = gd.LinearRegression(x, y), gd.steps_per_epoch(size["epoch_n"], BATCH)
    shuffle = torch.Generator().manual_seed(0)

    def ours():
        return gd.descend(problem, lr=0.01, steps=steps, start=(0, 0), batch_size=BATCH, seed=0, device="cpu")

    def baseline():
        loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True, generator=shuffle)
        return plain_sgd(loader, lr=0.01)

    return ours, baseline, lambda *_: (f"{steps:,} steps; different shuffles, so no check", True)


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, lower targets (for CI)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed or results disagree")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    mode = "quick" if args.quick else "full"
    size, targets = (QUICK if args.quick else FULL), TARGETS[mode]
    benches = {
        "sweep": (bench_sweep, f"{LRS} lrs × {size['sweep_steps']} steps, n={size['sweep_n']:,}"),
        "surface": (bench_surface, f"{size['resolution']}² grid, n={size['surface_n']:,}"),
        "epoch": (bench_epoch, f"1 epoch, batch {BATCH}, n={size['epoch_n']:,}"),
    }

    print(f"gd_core vs the plain torch way ({mode} sizes; each time is the best of several calls)\n")
    header = f"{'benchmark':<9} {'gd_core':>10} {'baseline':>9} {'ratio':>10} {'target':>7}  {'result':<6} details"
    print(header, "-" * len(header), sep="\n")
    failed = False
    for name, (bench, what) in benches.items():
        ours_call, baseline_call, check = bench(size)
        ours, base, result, base_result = race(ours_call, baseline_call)
        note, agrees = check(result, base_result)
        ratio, target = base / ours, targets[name]
        ok = ratio >= target and agrees
        failed |= not ok
        row = f"{name:<9} {ours:>9.4f}s {base:>8.2f}s {ratio:>9.2f}× {target:>6}×  {'PASS' if ok else 'FAIL':<6}"
        print(row, f"{what}; {note}", flush=True)
    threads = f"{torch.get_num_threads()} threads on {os.cpu_count()} cores"
    print(f"\ntorch {torch.__version__}, {threads}, CPU: {cpu_model()}")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
