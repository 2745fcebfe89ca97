"""Run gradient descent: one run (descend) or a family of learning rates advancing together (sweep).

θ_{k+1} = θ_k − lr·∇f(θ_k) for plain gradient descent; the other optimizers come from torch.optim
(gd_core.optimizers: one record each). Divergence is data: a run stops at the first non-finite or
exploding step, recorded as `diverged_at`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gd_core.budget import Budget, check_descent
from gd_core.device import ResolvedDevice, resolve_device
from gd_core.minibatch import batch_moments
from gd_core.optimizers import Optimizer, get_optimizer
from gd_core.problems import MomentProblem, Problem, affine_gradient, mse_from_moments
from gd_core.schedules import Schedule

Tensor = torch.Tensor

MAX_STEPS = 100_000
EXPLODE_FACTOR = 1e10  # a loss this many times its start (or 1) counts as diverged
EXPLODE_PARAM = 1e150  # parameters beyond this would overflow float64 once squared
_CHECK_EVERY = 64  # steps between checks whether every run has already diverged


@dataclass(frozen=True)
class Trajectory:
    """Every step of every run as tidy data: `frame` (one row per run and step) and `summary` (one per run)."""

    frame: pd.DataFrame
    summary: pd.DataFrame
    param_names: tuple[str, ...]
    optimizer: str
    batch_size: int | None
    device: str
    device_note: str = ""
    schedule: Schedule | None = None  # None: a constant rate; otherwise the frame's lr_step is each update's rate

    @property
    def diverged(self) -> bool:
        """True when any run diverged."""
        return bool(self.summary["diverged_at"].notna().any())

    def run(self, index: int = 0) -> pd.DataFrame:
        """The rows of one run."""
        return self.frame[self.frame["run"] == index].reset_index(drop=True)


def descend(
    problem: Problem,
    *,
    lr: float,
    steps: int,
    start: float | Sequence[float],
    optimizer: str = "gd",
    batch_size: int | None = None,
    seed: int = 0,
    device: str = "auto",
    schedule: Schedule | None = None,
    budget: Budget | None = None,
) -> Trajectory:
    """One run of `steps` updates from `start` with learning rate `lr` (a sweep of one learning rate).

    problem: any gd_core problem (seed_problem(), ScalarProblem.from_expression, LinearRegression, test_function).
    start: one value per parameter (problem.param_names). optimizer: an id of gd_core.optimizers.REGISTRY.
    batch_size: for data problems, the points per step (None or ≥ n: the full batch); seed: the shuffles' seed.
    device: "auto" | "cpu" | "cuda" | "mps" (see resolve_device). schedule: a gd_core.schedules.Schedule.
    budget: the work allowed (gd_core.budget.DEFAULT if None); a request over it raises BudgetError before any work.
    """
    return sweep(
        problem,
        lrs=[lr],
        steps=steps,
        start=start,
        optimizer=optimizer,
        batch_size=batch_size,
        seed=seed,
        device=device,
        schedule=schedule,
        budget=budget,
    )


@dataclass(frozen=True)
class _Request:
    """The checked arguments of a sweep."""

    lrs: list[float]
    steps: int
    start: list[float]
    optimizer: Optimizer
    batch_size: int | None  # None: full batch
    factors: np.ndarray | None  # (steps + 1,): update k uses lr·factors[k]; None: a constant rate


@dataclass(frozen=True)
class _BatchRecord:
    """What a minibatch run records besides its path: the loss on each step's batch, the full-data gradient
    (the batch gradient actually used is the frame's grad_*), and the epoch of each step."""

    batch_loss: Tensor  # (steps + 1, runs)
    full_grad: Tensor  # (steps + 1, runs, P)
    epoch: Tensor  # (steps + 1,)


def _validate(problem: Problem, lrs, steps, start, optimizer, batch_size, schedule) -> _Request:
    chosen = get_optimizer(optimizer)
    lrs = [float(lr) for lr in np.atleast_1d(np.asarray(lrs, dtype=np.float64))]
    if not lrs:
        raise ValueError("give at least one learning rate")
    if not all(math.isfinite(lr) and lr > 0 for lr in lrs):
        raise ValueError("learning rates must be positive, finite numbers")
    if isinstance(steps, bool) or int(steps) != steps or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 0 to {MAX_STEPS:,}")
    start = [float(v) for v in np.atleast_1d(np.asarray(start, dtype=np.float64))]
    if len(start) != len(problem.param_names):
        raise ValueError(f"start needs {len(problem.param_names)} value(s), one per {', '.join(problem.param_names)}")
    if not all(math.isfinite(v) for v in start):
        raise ValueError("the start point must be finite")
    if batch_size is not None:
        if not isinstance(problem, MomentProblem):
            raise ValueError("batch_size applies only to data problems (linear regression)")
        if int(batch_size) < 1:
            raise ValueError("batch size must be at least 1")
        batch_size = None if int(batch_size) >= problem.n else int(batch_size)  # larger than the data: full batch
    if schedule is not None and not isinstance(schedule, Schedule):
        raise ValueError("schedule must be a gd_core Schedule (or None for a constant rate)")
    factors = None if schedule is None else schedule.factors(int(steps))
    return _Request(lrs, int(steps), start, chosen, batch_size, factors)


def sweep(
    problem: Problem,
    *,
    lrs: Sequence[float],
    steps: int,
    start: float | Sequence[float],
    optimizer: str = "gd",
    batch_size: int | None = None,
    seed: int = 0,
    device: str = "auto",
    schedule: Schedule | None = None,
    budget: Budget | None = None,
) -> Trajectory:
    """One run per learning rate in `lrs`, all advancing together as one batched tensor computation.

    The arguments are descend's, with a sequence of learning rates. The frame has one row per run and step:
    run, lr, step, [epoch], the parameters (problem.param_names), loss, grad_<param>; minibatch runs add
    batch_loss and full_grad_<param>, and their `loss` is the full-data loss. Each run stops at its first
    non-finite or exploding step (summary.diverged_at, <NA> for a run that did not diverge). With a schedule,
    the frame adds lr_step, the rate of the update leaving that row's step (lr stays each run's base rate).
    """
    request = _validate(problem, lrs, steps, start, optimizer, batch_size, schedule)
    moment = isinstance(problem, MomentProblem)
    torch_steps = not moment or request.optimizer.torch_class is not None  # torch.optim / autograd, not the fast path
    n = problem.n if moment else 0
    check_descent(budget, steps=request.steps, runs=len(request.lrs), n=n, batch_size=request.batch_size,
                  torch_steps=torch_steps)  # fmt: skip
    resolved: ResolvedDevice = resolve_device(device)
    dev, dtype = resolved.device, resolved.dtype
    problem = problem.to(dev, dtype)
    steps, runs = request.steps, len(request.lrs)

    theta = torch.tensor(request.start, dtype=dtype, device=dev).expand(runs, -1).clone()  # (runs, P)
    lr = torch.tensor(request.lrs, dtype=dtype, device=dev).unsqueeze(-1)  # (runs, 1)
    params = torch.full((steps + 1, runs, len(request.start)), math.nan, dtype=dtype, device=dev)  # (K+1, runs, P)

    if isinstance(problem, MomentProblem):
        full_moments = problem.moments()  # (5,), computed once: each full-batch step is then O(1) in n
        if request.batch_size is None:
            step_moments = full_moments.expand(steps + 1, -1)  # (K+1, 5)
        else:
            step_moments, epochs = batch_moments(problem.x, problem.y, request.batch_size, steps + 1, seed)

        def value_and_grad_at_step(theta: Tensor, k: int) -> tuple[Tensor, Tensor]:
            return mse_from_moments(theta, step_moments[k])
    else:

        def value_and_grad_at_step(theta: Tensor, k: int) -> tuple[Tensor, Tensor]:
            return problem.value_and_grad(theta)

    if isinstance(problem, MomentProblem) and request.optimizer.plain:
        rates = lr if request.factors is None else lr * torch.tensor(request.factors).to(lr)[:, None, None]
        params = _linear_regression_path(theta, rates, step_moments, params)
        losses, grads = mse_from_moments(params, step_moments.unsqueeze(1))  # (K+1, runs), (K+1, runs, P)
        _refuse_bad_start(params[0], losses[0], grads[0])
    else:
        losses = torch.full((steps + 1, runs), math.nan, dtype=dtype, device=dev)  # (K+1, runs)
        grads = torch.full_like(params, math.nan)  # (K+1, runs, P)
        update = request.optimizer.update_rule(theta, lr, problem, request.factors)
        for k in range(steps + 1):
            loss, grad = value_and_grad_at_step(theta, k)
            if k == 0:
                _refuse_bad_start(theta, loss, grad)
            params[k], losses[k], grads[k] = theta, loss, grad
            if k == steps:
                break
            if k % _CHECK_EVERY == 0 and bool(_bad(theta, loss, grad, losses[0]).all()):
                break  # every run has diverged: nothing left to compute
            with torch.no_grad():
                theta = update(theta, grad)

    batch = None
    if request.batch_size is not None:
        full_loss, full_grad = mse_from_moments(params, full_moments)
        batch = _BatchRecord(batch_loss=losses, full_grad=full_grad, epoch=epochs)
        losses = full_loss
    return _tidy(problem.param_names, request, params, losses, grads, batch, resolved, schedule)


def _linear_regression_path(theta: Tensor, lr: Tensor, step_moments: Tensor, params: Tensor) -> Tensor:
    """Plain descent on the MSE, θ ← θ − lr_k·(A_k·θ − c_k), filling params (steps + 1, runs, 2).

    The gradient is affine in θ (problems.affine_gradient), so a step is one fused matrix product: about
    three times fewer tensor operations per step than the moments formula, which matters for minibatch
    runs of many thousand steps. Losses and gradients are computed for the whole path afterwards.
    step_moments: (K+1, 5), the same batch for every run, or (K+1, runs, 5), one per run (batch-size sweeps).
    lr: (runs, 1), constant, or (K+1, runs, 1), the rate of each update (schedules; 0 holds a run still).
    """
    curvature, offset = affine_gradient(step_moments)  # (K+1, [runs,] 2, 2), (K+1, [runs,] 2)
    curvature_t = curvature.transpose(-1, -2)
    per_run = step_moments.dim() == 3
    offset_column = offset.unsqueeze(-1)  # (K+1, [runs,] 2, 1)
    rates = lr if lr.dim() == 3 else lr.expand(params.shape[0], -1, -1)  # (K+1, runs, 1)
    steps = params.shape[0] - 1
    for k in range(steps + 1):
        params[k] = theta
        if k == steps:
            break
        if k % _CHECK_EVERY == 0 and bool(((~torch.isfinite(theta)) | (theta.abs() > EXPLODE_PARAM)).any(-1).all()):
            break  # every run has diverged
        if per_run:  # A_r·θ_r − c_r for each run r: one batched product, and the update fused in one more
            grad = torch.baddbmm(offset_column[k], curvature[k], theta.unsqueeze(-1), beta=-1).squeeze(-1)
            theta = torch.addcmul(theta, rates[k], grad, value=-1)
        else:
            grad = torch.addmm(offset[k], theta, curvature_t[k], beta=-1)
            theta = theta - rates[k] * grad
    return params


def _refuse_bad_start(theta: Tensor, loss: Tensor, grad: Tensor) -> None:
    if bool(_bad(theta, loss, grad, loss).any()):
        raise ValueError("the loss or its gradient is not finite at the start point; pick another start")


def _bad(theta: Tensor, loss: Tensor, grad: Tensor, start_loss: Tensor) -> Tensor:
    """Runs whose state is non-finite or has exploded."""
    limit = EXPLODE_FACTOR * torch.nan_to_num(start_loss.abs(), nan=1.0, posinf=1.0).clamp_min(1.0)
    finite = torch.isfinite(theta).all(-1) & torch.isfinite(loss) & torch.isfinite(grad).all(-1)
    return ~finite | (loss.abs() > limit) | (theta.abs() > EXPLODE_PARAM).any(-1)


def _tidy(
    names: tuple[str, ...],
    request: _Request,
    params: Tensor,
    losses: Tensor,
    grads: Tensor,
    batch: _BatchRecord | None,
    resolved: ResolvedDevice,
    schedule: Schedule | None = None,
) -> Trajectory:
    """Tensors of shape (steps + 1, runs, …) -> tidy frame and per-run summary, cut at each run's divergence."""
    bad = _bad(params, losses, grads, losses[0])  # (K+1, runs)
    if batch is not None:
        bad |= _bad(params, batch.batch_loss, batch.full_grad, losses[0])
    count, runs = losses.shape
    first_bad = torch.where(bad.any(0), bad.int().argmax(0), torch.full((runs,), count, device=bad.device))
    kept = first_bad.cpu().numpy()  # (runs,): the steps each run keeps

    steps_grid, runs_grid = np.meshgrid(np.arange(count), np.arange(runs), indexing="ij")  # (K+1, runs) each
    mask = steps_grid < kept[None, :]
    order = np.lexsort((steps_grid[mask], runs_grid[mask]))  # rows by run, then step

    def column(values: Tensor) -> np.ndarray:
        return values.detach().cpu().numpy()[mask][order]

    lrs = np.asarray(request.lrs)
    data = {"run": runs_grid[mask][order], "lr": lrs[runs_grid[mask][order]], "step": steps_grid[mask][order]}
    if request.factors is not None:
        data["lr_step"] = data["lr"] * request.factors[data["step"]]
    if batch is not None:
        data["epoch"] = batch.epoch.numpy()[steps_grid[mask][order]]
    data |= {name: column(params[..., i]) for i, name in enumerate(names)}
    data["loss"] = column(losses)
    data |= {f"grad_{name}": column(grads[..., i]) for i, name in enumerate(names)}
    if batch is not None:
        data["batch_loss"] = column(batch.batch_loss)
        data |= {f"full_grad_{name}": column(batch.full_grad[..., i]) for i, name in enumerate(names)}
    frame = pd.DataFrame(data)

    last = frame.groupby("run").tail(1).set_index("run")
    diverged = [int(k) if k < count else None for k in kept]
    summary = pd.DataFrame(
        {
            "run": np.arange(runs),
            "lr": lrs,
            "final_loss": last["loss"].reindex(range(runs)).to_numpy(),
            "diverged_at": pd.array(diverged, dtype="Int64"),
            "steps_run": np.maximum(kept - 1, 0),
        }
    )
    for name in names:
        summary[f"final_{name}"] = last[name].reindex(range(runs)).to_numpy()
    optimizer, batch_size = request.optimizer.id, request.batch_size
    return Trajectory(frame, summary, tuple(names), optimizer, batch_size, resolved.label, resolved.note, schedule)
