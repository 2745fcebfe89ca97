"""Curvature and the critical learning rate: gradient descent on a quadratic diverges above 2/λmax."""

from __future__ import annotations

import math

import numpy as np
import torch

from gd_core.device import resolve_device
from gd_core.problems import LinearRegression


def hessian(problem, at, device="auto") -> torch.Tensor:
    """The Hessian ∇²f at the point `at` (P × P), by autograd (torch.autograd.functional.hessian)."""
    resolved = resolve_device(device)
    point = torch.as_tensor(np.atleast_1d(np.asarray(at, dtype=np.float64)), dtype=resolved.dtype)
    point = point.to(resolved.device)
    if isinstance(problem, LinearRegression):
        problem = problem.to(resolved.device, resolved.dtype)
    return torch.autograd.functional.hessian(problem.loss, point)


def hessian_eigenvalues(problem, at=None, device="auto") -> list[float]:
    """Eigenvalues of the Hessian at `at` (the origin when not given), smallest first."""
    at = np.zeros(len(problem.param_names)) if at is None else at
    h = hessian(problem, at, device)
    return torch.linalg.eigvalsh((h + h.T) / 2).cpu().tolist()


def critical_lr(problem, at=None, device="auto") -> float:
    """2/λmax: the largest stable learning rate (exact for a quadratic; local elsewhere). inf if λmax ≤ 0.

    The seed's f'' = 18 gives 1/9; for MSE, λmax(2XᵀX/n) gives n/λmax(XᵀX) with X = [x, 1].
    Quadratic problems have one Hessian everywhere, so `at` only matters for the others.
    """
    largest = hessian_eigenvalues(problem, at, device)[-1]
    return 2.0 / largest if largest > 0 and math.isfinite(largest) else math.inf
