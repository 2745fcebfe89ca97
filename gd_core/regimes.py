"""The learning-rate regimes of gradient descent on a quadratic, and the learning rates the lesson sweeps.

Along an eigen-direction of the Hessian with eigenvalue λ, θ_{k+1} − θ* = (1 − lr·λ)(θ_k − θ*). With L = λmax:
lr < 1/L steady (factor in (0, 1)), lr = 1/L lands in one step, 1/L < lr < 2/L overshoots (factor in (−1, 0)),
lr = 2/L oscillates forever (factor −1), lr > 2/L diverges (|factor| > 1).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import torch

from gd_core.device import resolve_device
from gd_core.problems import LinearRegression
from gd_core.stability import hessian

REGIMES = ("steady", "one step", "overshooting", "oscillating", "diverging")
REGIME_SENTENCES = {
    "steady": "**lr < 1/L, steady:** 0 < 1 − lr·L < 1, so each step keeps the sign of θ − θ* and shrinks it; "
    "a very small lr crawls.",
    "one step": "**lr = 1/L:** 1 − lr·L = 0, so the stiffest direction lands on the minimum in one step.",
    "overshooting": "**1/L < lr < 2/L, overshooting but converging:** −1 < 1 − lr·L < 0, so along the "
    "stiffest direction θ jumps across the minimum every step, each time a little closer.",
    "oscillating": "**lr = 2/L:** 1 − lr·L = −1, so θ bounces between two points forever.",
    "diverging": "**lr > 2/L, diverging:** |1 − lr·L| > 1, so along the stiffest direction every step lands "
    "further away than the last; the loss explodes.",
}
# Sweep ranges, as multiples of the critical learning rate 2/L.
SWEEP_LOW_MULTIPLES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
SWEEP_HIGH_MULTIPLES = (1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)
# Learning rates to compare: absolute values for the seed loss, multiples of 1/L for the line.
SEED_CHOICES = (0.0001, 0.001, 0.01, 0.03, 0.05, 1 / 18, 0.08, 0.1, 1 / 9, 0.12, 0.15, 0.5, 1.0, 10.0)
SEED_DEFAULTS = (0.01, 1 / 18, 0.1, 1 / 9, 0.12)
LINE_MULTIPLES = (0.001, 0.01, 0.1, 0.2, 0.5, 1.0, 1.5, 1.9, 2.0, 2.2, 3.0, 10.0)
LINE_DEFAULTS = (0.2, 1.0, 1.5, 2.0, 2.2)


def regime(lr: float, curvature: float, rel_tol: float = 1e-9) -> str:
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


def sweep_lrs(critical: float, low_multiple: float, high_multiple: float, count: int) -> np.ndarray:
    """`count` learning rates, log-spaced from low_multiple·(2/L) to high_multiple·(2/L)."""
    if not (math.isfinite(critical) and critical > 0):
        raise ValueError("the critical learning rate is not a positive number: this loss has no curvature")
    if not 0 < low_multiple < high_multiple:
        raise ValueError("the smallest learning rate must be below the largest")
    return np.geomspace(low_multiple * critical, high_multiple * critical, int(count))


def lr_choices(absolute: bool, curvature: float) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """(options, defaults, unit) for the compare-these-lrs picker: lr = choice·unit. The seed's choices are
    absolute (unit 1); other problems' are multiples of 1/L (unit 1/L), so they survive a change of data."""
    if absolute:
        return SEED_CHOICES, SEED_DEFAULTS, 1.0
    return LINE_MULTIPLES, LINE_DEFAULTS, 1.0 / curvature


def choice_label(choice: float, unit: float) -> str:
    """'1/18 ≈ 0.05556' for an absolute choice, '1.5/L = 0.2189' for a multiple of 1/L."""
    return lr_label(choice) if unit == 1.0 else f"{choice:g}/L = {choice * unit:.4g}"


def lr_label(lr: float) -> str:
    """A short exact name: '0.01', '1/18 ≈ 0.05556', or 4 significant digits."""
    short = f"{lr:.4g}"
    if float(short) == lr:
        return short
    fraction = Fraction(lr).limit_denominator(1000)
    if fraction.numerator == 1 and math.isclose(float(fraction), lr, rel_tol=1e-12):
        return f"1/{fraction.denominator} ≈ {lr:.4g}"
    return short


def quadratic_minimum(problem, device="auto") -> tuple[tuple[float, ...], float, list[list[float]]]:
    """(θ*, f(θ*), H) with θ* = −H⁺∇f(0), one Newton step from the origin: exact for a quadratic loss."""
    resolved = resolve_device(device)
    if isinstance(problem, LinearRegression):
        problem = problem.to(resolved.device, resolved.dtype)
    origin = torch.zeros(len(problem.param_names), dtype=resolved.dtype, device=resolved.device)
    _, grad = problem.value_and_grad(origin.unsqueeze(0))
    h = hessian(problem, origin.cpu().numpy(), device).cpu().numpy()
    optimum = -np.linalg.pinv(h) @ grad[0].cpu().numpy()
    value = problem.loss(torch.as_tensor(optimum, dtype=resolved.dtype, device=resolved.device).unsqueeze(0))
    return tuple(float(v) for v in optimum), max(float(value[0]), 0.0), h.tolist()


def excess_loss(params, optimum, hessian) -> np.ndarray:
    """f(θ) − f(θ*) = ½ (θ − θ*)ᵀ H (θ − θ*) for each row of params: exact for a quadratic, and free of the
    cancellation that subtracting two nearly equal losses suffers (so it reaches 1e-30, not 1e-15)."""
    delta = np.asarray(params, dtype=np.float64).reshape(-1, len(optimum)) - np.asarray(optimum, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return 0.5 * np.einsum("ni,ij,nj->n", delta, np.asarray(hessian, dtype=np.float64), delta)
