"""The minibatch noise floor: at a constant rate, minibatch descent settles into a band around θ*, not onto it.

Each step's gradient is the batch's, g_B = ∇f(θ) + ξ with E ξ = 0 and, for B of n points drawn without
replacement, Cov ξ ≈ C·(n − B)/(B·(n − 1)) (C: the per-point gradient covariance). The band's excess loss
f(θ) − f(θ*) therefore grows with lr and falls roughly as 1/B: on log axes, slope d log(floor)/d log B ≈
−n/(n − B), about −1 while B ≪ n. `sweep_batch_sizes` measures it: one run per (batch size, seed), all
advancing together as one batched computation (descent's fused line-fit path with per-run moments). The batch
statistics come from running sums of the shuffled points, read once per seed for every batch size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gd_core.descent import MAX_STEPS, _bad, _linear_regression_path
from gd_core.device import resolve_device
from gd_core.minibatch import epoch_permutation_chunks, points_read, steps_per_epoch
from gd_core.problems import LinearRegression, affine_gradient, mse_from_moments

Tensor = torch.Tensor

MAX_RUNS = 256  # (batch size, seed) pairs in one sweep
MAX_CELLS = 1_000_000  # (steps + 1) × runs: bounds the moments (40 MB), the path and the frame
MAX_POINTS = 200_000_000  # points read over all runs: bounds the cost of the batch statistics
_RUNNING_BUDGET = 1 << 18  # points per pass of running sums: (E, n + 1, 5) float64 is then about 10 MB


@dataclass(frozen=True)
class BatchSweep:
    """A batch-size sweep at one constant rate, as tidy data.

    frame: one row per run and step (run, batch_size, seed, step, epoch, w, b, loss, excess_loss).
    summary: one row per run (run, batch_size, seed, steps_run, points_read, points_per_step, plateau, diverged_at);
      plateau = the mean excess loss f(θ_k) − f(θ*) over the last half of the run's steps.
    floor: one row per batch size (batch_size, plateau = mean over seeds, plateau_sd, points_per_step,
      predicted_slope = −n/(n − B), predicted = predicted_floor, the i.i.d.-batch prediction).
    slope: the least-squares slope of log(plateau) against log(B) over the batch sizes that did not diverge.
    """

    frame: pd.DataFrame
    summary: pd.DataFrame
    floor: pd.DataFrame
    slope: float
    lr: float
    n: int
    device: str


def predicted_floor_slope(n: int, batch_size: int) -> float:
    """d log(floor)/d log B for a floor ∝ (n − B)/(B·(n − 1)): −n/(n − B), ≈ −1 for B ≪ n (−inf at B = n)."""
    return -n / (n - batch_size) if batch_size < n else -math.inf


def predicted_floor(problem: LinearRegression, lr: float, batch_sizes: int | Sequence[int]) -> float | list[float]:
    """The i.i.d.-batch prediction of the plateau: E[f − f*] = (lr/2)·Σ_i v_iᵀC_Bv_i / (2 − lr·λ_i),
    C_B = C·(n − B)/(B·(n − 1)), C = mean of g_i g_iᵀ over the points' gradients g_i at θ*, (λ_i, v_i) of H.

    It solves the stationary covariance S = (I − lr·H) S (I − lr·H) + lr²·C_B. Shuffling once per epoch makes
    successive batches negatively correlated, so the measured floor is lower once an epoch (n/B steps) is short
    against the relaxation time 1/(lr·λmin). nan at or above lr = 2/λmax (no stationary band). One value for one
    batch size, a list for a sequence of them.
    """
    x, y = problem.x.detach().cpu().double().numpy(), problem.y.detach().cpu().double().numpy()
    n = len(x)
    design = np.stack([x, np.ones_like(x)], 1)  # (n, 2)
    eigenvalues, vectors = np.linalg.eigh(2 * design.T @ design / n)
    optimum = np.linalg.lstsq(design, y, rcond=None)[0]
    point_grads = 2 * (design @ optimum - y)[:, None] * design  # (n, 2)
    along = np.einsum("ji,jk,ki->i", vectors, point_grads.T @ point_grads / n, vectors)  # v_iᵀ C v_i
    per_unit = lr / 2 * np.sum(along / (2 - lr * eigenvalues)) if lr * eigenvalues[-1] < 2 else math.nan

    def floor(batch_size: int) -> float:
        batch_size = min(int(batch_size), n)
        return float(per_unit * (n - batch_size) / (batch_size * max(n - 1, 1)))

    return floor(batch_sizes) if np.ndim(batch_sizes) == 0 else [floor(b) for b in batch_sizes]


def _check(problem, batch_sizes, lr, steps, epochs, seeds) -> tuple[list[int], list[int], list[int]]:
    """Validated (batch sizes, seeds, steps of each batch size)."""
    if not isinstance(problem, LinearRegression):
        raise ValueError("a batch-size sweep needs a data problem (linear regression)")
    sizes = [int(b) for b in np.atleast_1d(batch_sizes)]
    seeds = [int(s) for s in np.atleast_1d(seeds)]
    if not sizes or any(b < 1 for b in sizes) or not seeds:
        raise ValueError("give at least one batch size (each at least 1) and one seed")
    sizes = list(dict.fromkeys(min(b, problem.n) for b in sizes))  # larger than the data: the full batch
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError("the learning rate must be a positive, finite number")
    if (steps is None) == (epochs is None):
        raise ValueError("give either steps (the same for every batch size) or epochs")
    if steps is not None:
        counts = [int(steps)] * len(sizes)
    else:
        counts = [int(epochs) * steps_per_epoch(problem.n, b) for b in sizes]
    if not all(0 < c <= MAX_STEPS for c in counts):
        raise ValueError(f"each run needs from 1 to {MAX_STEPS:,} steps")
    runs = len(sizes) * len(seeds)
    work = sum(points_read(c, problem.n, b) for c, b in zip(counts, sizes, strict=True)) * len(seeds)
    if runs > MAX_RUNS or (max(counts) + 1) * runs > MAX_CELLS or work > MAX_POINTS:
        raise ValueError("this sweep is too large: use fewer batch sizes, seeds or steps")
    return sizes, seeds, counts


def sweep_batch_sizes(
    problem: LinearRegression,
    batch_sizes: Sequence[int],
    *,
    lr: float,
    steps: int | None = None,
    epochs: int | None = None,
    start: Sequence[float] = (0.0, 0.0),
    seeds: int | Sequence[int] = 0,
    device: str = "auto",
) -> BatchSweep:
    """Minibatch descent θ ← θ − lr·∇f_B(θ) for every batch size and seed at once, at one constant rate.

    steps: the same number of updates for every batch size; or epochs: that many passes over the data (so a
    small batch takes more, cheaper steps). Run r = (batch size index)·len(seeds) + seed index; each run's
    shuffles are those of descend(..., batch_size=B, seed=s), so a run equals that descend call.
    """
    sizes, seeds, counts = _check(problem, batch_sizes, float(lr), steps, epochs, seeds)
    resolved = resolve_device(device)
    dev, dtype = resolved.device, resolved.dtype
    problem = problem.to(dev, dtype)
    full = problem.moments()  # (5,)
    longest = max(counts)
    runs = [(b, s, c) for b, c in zip(sizes, counts, strict=True) for s in seeds]

    moments = _batch_moments(problem, runs, seeds, full.expand(longest + 1, len(runs), 5).clone())  # (K+1, R, 5)
    epoch = np.zeros((longest + 1, len(runs)), dtype=np.int64)  # (K+1, R)
    rates = torch.full((longest + 1, len(runs), 1), float(lr), dtype=dtype, device=dev)  # (K+1, R, 1)
    for r, (b, _, c) in enumerate(runs):
        epoch[: c + 1, r] = np.arange(c + 1) // steps_per_epoch(problem.n, b)
        rates[c:, r] = 0.0  # past its last step a run stands still

    theta = torch.tensor([float(v) for v in start], dtype=dtype, device=dev).expand(len(runs), -1).clone()  # (R, 2)
    params = torch.full((longest + 1, len(runs), 2), math.nan, dtype=dtype, device=dev)  # (K+1, R, 2)
    params = _linear_regression_path(theta, rates, moments, params)
    loss, grad = mse_from_moments(params, full)  # (K+1, R), (K+1, R, 2): the full-data loss
    curvature, offset = affine_gradient(full)  # H = A, and θ* solves A·θ = c
    optimum = torch.linalg.solve(curvature, offset)
    delta = params - optimum  # (K+1, R, 2)
    excess = 0.5 * torch.einsum("kri,ij,krj->kr", delta, curvature, delta)  # ½ δᵀHδ: no cancellation
    bad = _bad(params, loss, grad, loss[0])  # (K+1, R)
    predicted = predicted_floor(problem, float(lr), sizes)
    sweep = _tidy(sizes, seeds, runs, params, loss, excess, bad, epoch, float(lr), problem.n, resolved.label)
    sweep.floor["predicted"] = predicted
    return sweep


def _batch_moments(problem: LinearRegression, runs, seeds, moments: Tensor) -> Tensor:
    """Fill moments (K+1, R, 5) with each minibatch run's batch statistics, those of descend(batch_size=B, seed=s).

    A seed's permutations are the same for every batch size (descend's shuffles), so they are drawn once per seed;
    the points are read once per seed too, into running sums, and every batch of every B is a difference of two
    of them (so the cost per batch size is per batch, not per point). Full-batch runs keep the full moments.
    """
    n, x, y = problem.n, problem.x, problem.y
    mean_x, mean_y = x.mean(), y.mean()  # centring first keeps the running sums small (the error is ~1e-16·n/B)
    u, v = x - mean_x, y - mean_y
    rows = max(1, _RUNNING_BUDGET // n)  # epochs per pass
    for seed in seeds:
        todo = [(r, b, c) for r, (b, s, c) in enumerate(runs) if s == seed and b < n]
        epochs = {r: math.ceil((c + 1) / steps_per_epoch(n, b)) for r, b, c in todo}
        first = 0
        for block in epoch_permutation_chunks(n, max(epochs.values(), default=0), seed):
            for part in block.to(x.device).split(rows):
                running = _running_sums(u[part], v[part])  # (5, E, n + 1)
                for r, b, c in todo:
                    if first < epochs[r]:
                        batch = _moments_from_running(running[:, : epochs[r] - first], b, mean_x, mean_y)
                        start = first * steps_per_epoch(n, b)
                        stop = min(start + len(batch), c + 1)
                        moments[start:stop, r] = batch[: stop - start]
                first += len(part)
    return moments


def _running_sums(u: Tensor, v: Tensor) -> Tensor:
    """Running sums of (u, v, u², uv, v²) along each epoch's permuted points, from 0: (E, n) -> (5, E, n + 1)."""
    running = u.new_zeros(5, *u.shape[:-1], u.shape[-1] + 1)
    body = running[..., 1:]
    body[0], body[1] = u, v
    torch.mul(u, u, out=body[2])
    torch.mul(u, v, out=body[3])
    torch.mul(v, v, out=body[4])
    return running.cumsum_(-1)  # the leading 0 stays 0


def _moments_from_running(running: Tensor, batch_size: int, mean_x: Tensor, mean_y: Tensor) -> Tensor:
    """Centred moments (see problems.centred_moments) of each consecutive batch of B points: (E·ceil(n/B), 5)."""
    n = running.shape[-1] - 1
    edges = torch.arange(0, n + batch_size, batch_size, device=running.device).clamp_max(n)  # (ceil(n/B) + 1,)
    sizes = (edges[1:] - edges[:-1]).to(running.dtype)  # (ceil(n/B),)
    mu, mv, uu, uv, vv = (running[..., edges[1:]] - running[..., edges[:-1]]) / sizes  # each (E, ceil(n/B))
    stats = [mu + mean_x, mv + mean_y, (uu - mu * mu).clamp_min(0), uv - mu * mv, (vv - mv * mv).clamp_min(0)]
    return torch.stack(stats, -1).reshape(-1, 5)


def _tidy(sizes, seeds, runs, params, loss, excess, bad, epoch, lr, n, device) -> BatchSweep:
    """Tensors (K+1, R, …) -> BatchSweep, each run cut at its last step or its first bad one."""
    steps_grid = np.arange(params.shape[0])[:, None]  # (K+1, 1)
    length = np.array([c + 1 for _, _, c in runs])  # (R,)
    bad = bad.cpu().numpy() & (steps_grid < length)
    first_bad = np.where(bad.any(0), bad.argmax(0), length)  # (R,)
    mask = (steps_grid < first_bad).T  # (R, K+1): run-major, so rows come out by run, then step

    def column(values) -> np.ndarray:
        values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values
        return values.T[mask]

    run_of = np.broadcast_to(np.arange(len(runs))[:, None], mask.shape)[mask]
    frame = pd.DataFrame(
        {
            "run": run_of,
            "batch_size": np.array([b for b, _, _ in runs])[run_of],
            "seed": np.array([s for _, s, _ in runs])[run_of],
            "step": np.broadcast_to(steps_grid.T, mask.shape)[mask],
            "epoch": column(epoch),
            "w": column(params[..., 0]),
            "b": column(params[..., 1]),
            "loss": column(loss),
            "excess_loss": column(excess),
        }
    )
    excess_np = excess.detach().cpu().numpy()
    plateau = [
        float(excess_np[c // 2 : c + 1, r].mean()) if first_bad[r] == c + 1 else math.nan
        for r, (_, _, c) in enumerate(runs)
    ]
    summary = pd.DataFrame(
        {
            "run": np.arange(len(runs)),
            "batch_size": [b for b, _, _ in runs],
            "seed": [s for _, s, _ in runs],
            "steps_run": np.minimum(first_bad - 1, [c for _, _, c in runs]),
            "points_read": [points_read(c, n, b) for b, _, c in runs],
            "points_per_step": [points_read(c, n, b) / c for b, _, c in runs],
            "plateau": plateau,
            "diverged_at": pd.array(
                [int(k) if k < c + 1 else None for k, (_, _, c) in zip(first_bad, runs, strict=True)], "Int64"
            ),
        }
    )
    grid = np.asarray(plateau).reshape(len(sizes), len(seeds))  # runs are batch-size-major, then seed
    per_step = summary["points_per_step"].to_numpy().reshape(len(sizes), len(seeds))
    floor = pd.DataFrame(
        {
            "batch_size": sizes,
            "plateau": grid.mean(1),  # NaN when a seed diverged
            "plateau_sd": grid.std(1, ddof=1) if len(seeds) > 1 else np.full(len(sizes), math.nan),
            "points_per_step": per_step.mean(1),
            "predicted_slope": [predicted_floor_slope(n, b) for b in sizes],
        }
    )
    ok = np.isfinite(floor["plateau"]) & (floor["plateau"] > 0)
    slope = math.nan
    if ok.sum() >= 2:
        slope = float(np.polyfit(np.log(floor["batch_size"][ok]), np.log(floor["plateau"][ok]), 1)[0])
    return BatchSweep(frame, summary, floor, slope, lr, n, device)
