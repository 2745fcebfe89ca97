"""Curvature, the critical learning rate and the regimes of gradient descent: one vocabulary for every lesson.

Along an eigen-direction of the Hessian with eigenvalue λ, θ_{k+1} − θ* = (1 − lr·λ)(θ_k − θ*). With L = λmax:
lr < 1/L steady (factor in (0, 1)), lr = 1/L lands in one step, 1/L < lr < 2/L overshoots (factor in (−1, 0)),
lr = 2/L oscillates forever (factor −1), lr > 2/L diverges (|factor| > 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gd_core.device import resolve_device
from gd_core.problems import Problem

REGIMES = ("steady", "one step", "overshooting", "oscillating", "diverging")
REGIME_TOLERANCE = 1e-9  # lr·L within this (relative) of 1 or 2 sits on the boundary


def hessian(problem: Problem, at, device: str = "auto") -> torch.Tensor:
    """The Hessian ∇²f at the point `at` (P × P), by autograd (torch.autograd.functional.hessian)."""
    resolved = resolve_device(device)
    point = torch.as_tensor(np.atleast_1d(np.asarray(at, dtype=np.float64)), dtype=resolved.dtype)
    point = point.to(resolved.device)
    return torch.autograd.functional.hessian(problem.to(resolved.device, resolved.dtype).loss, point)


def hessian_eigenvalues(problem: Problem, at=None, device: str = "auto") -> list[float]:
    """Eigenvalues of the Hessian at `at` (the origin when not given), smallest first."""
    at = np.zeros(len(problem.param_names)) if at is None else at
    h = hessian(problem, at, device)
    return torch.linalg.eigvalsh((h + h.T) / 2).cpu().tolist()


def critical_lr(problem: Problem, at=None, device: str = "auto") -> float:
    """2/λmax: the largest stable learning rate (exact for a quadratic; local elsewhere). inf if λmax ≤ 0.

    The seed's f'' = 18 gives 1/9; for MSE, λmax(2XᵀX/n) gives n/λmax(XᵀX) with X = [x, 1].
    Quadratic problems have one Hessian everywhere, so `at` only matters for the others.
    """
    largest = hessian_eigenvalues(problem, at, device)[-1]
    return 2.0 / largest if largest > 0 and math.isfinite(largest) else math.inf


def regime(lr: float, curvature: float, rel_tol: float = REGIME_TOLERANCE) -> str:
    """The regime of lr along a direction of curvature λ (use L = λmax for the whole run): one of REGIMES."""
    if not (math.isfinite(curvature) and curvature > 0):
        return "steady"  # flat or concave: no step size overshoots a minimum that is not there
    product = lr * curvature
    if math.isclose(product, 1.0, rel_tol=rel_tol):
        return "one step"
    if math.isclose(product, 2.0, rel_tol=rel_tol):
        return "oscillating"
    if product < 1.0:
        return "steady"
    return "overshooting" if product < 2.0 else "diverging"


def contraction(lr: float, curvature: float) -> float:
    """The factor 1 − lr·λ that multiplies θ − θ* each step along a direction of curvature λ."""
    return 1.0 - lr * curvature


@dataclass(frozen=True)
class Quadratic:
    """A quadratic loss's closed form: f(θ) = min_loss + ½ (θ − optimum)ᵀ H (θ − optimum)."""

    optimum: tuple[float, ...]  # θ*
    min_loss: float  # f(θ*)
    hessian: tuple[tuple[float, ...], ...]  # H, the same at every point


def quadratic_fit(problem: Problem, device: str = "auto") -> Quadratic:
    """θ* = −H⁺∇f(0) (one Newton step from the origin), f(θ*) and H: exact for a quadratic loss."""
    resolved = resolve_device(device)
    problem = problem.to(resolved.device, resolved.dtype)
    origin = torch.zeros(len(problem.param_names), dtype=resolved.dtype, device=resolved.device)
    _, grad = problem.value_and_grad(origin.unsqueeze(0))
    h = hessian(problem, origin.cpu().numpy(), device).cpu().numpy()
    optimum = -np.linalg.pinv(h) @ grad[0].cpu().numpy()
    value = problem.loss(torch.as_tensor(optimum, dtype=resolved.dtype, device=resolved.device).unsqueeze(0))
    return Quadratic(tuple(float(v) for v in optimum), max(float(value[0]), 0.0), tuple(map(tuple, h.tolist())))


def excess_loss(params, optimum, hessian) -> np.ndarray:
    """f(θ) − f(θ*) = ½ (θ − θ*)ᵀ H (θ − θ*) for each row of params: exact for a quadratic, and free of the
    cancellation that subtracting two nearly equal losses suffers (so it reaches 1e-30, not 1e-15)."""
    delta = np.asarray(params, dtype=np.float64).reshape(-1, len(optimum)) - np.asarray(optimum, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return 0.5 * np.einsum("ni,ij,nj->n", delta, np.asarray(hessian, dtype=np.float64), delta)


def regime_table(summary: pd.DataFrame, curvature: float, quadratic: Quadratic) -> pd.DataFrame:
    """One row per run of a sweep: lr, lr·L, the factor 1 − lr·L, its regime, and how the run ended.

    excess_loss = f(θ_final) − f(θ*) (see excess_loss); lr·L and 1 − lr·L are rounded to 12 decimals
    (1/L·L is 1, not 1 − 1e-16).
    """
    final_columns = [c for c in summary.columns if c.startswith("final_") and c != "final_loss"]
    lrs = summary["lr"].to_numpy()
    table = pd.DataFrame(
        {
            "lr": lrs,
            "lr_times_L": np.round(lrs * curvature, 12),
            "factor_1_minus_lr_L": np.round([contraction(lr, curvature) for lr in lrs], 12),
            "regime": [regime(lr, curvature) for lr in lrs],
            "final_loss": summary["final_loss"].to_numpy(),
            "excess_loss": excess_loss(summary[final_columns].to_numpy(), quadratic.optimum, quadratic.hessian),
            "diverged_at": summary["diverged_at"].astype("Int64").to_numpy(),
            "steps_run": summary["steps_run"].to_numpy(),
        }
    )
    for column in final_columns:
        table[column] = summary[column].to_numpy()
    return table
