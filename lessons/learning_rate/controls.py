"""Learning rate: the problem picker, the cached curvature and sweeps, the regimes in words and the lr choices."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

import gd_core as gd
from lessons import lesson
from lessons.learning_rate import charts
from ui.cache import cached
from ui.numbers import lr_label, lr_ladder

LESSON = lesson("learning-rate")
PROBLEMS = {"seed": "the tutorial's loss (3 + 3A)²", "line": "a line through synthetic data (MSE)"}
# Sweep ranges, as multiples of the critical learning rate 2/L.
SWEEP_LOW_MULTIPLES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
SWEEP_HIGH_MULTIPLES = (1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0)
# Learning rates to compare: the one ladder for the seed loss, multiples of 1/L for the line (so the choices
# survive a change of data).
SEED_CHOICES = lr_ladder(1e-4, 10.0, named=(1 / 18, 1 / 9))
SEED_DEFAULTS = (0.01, 1 / 18, 0.1, 1 / 9, 0.12)
LINE_MULTIPLES = (0.001, 0.01, 0.1, 0.2, 0.5, 1.0, 1.5, 1.9, 2.0, 2.2, 3.0, 10.0)
LINE_DEFAULTS = (0.2, 1.0, 1.5, 2.0, 2.2)
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


@dataclass(frozen=True)
class ProblemChoice:
    """The loss the page descends: the tutorial's, or the MSE of a line through synthetic data."""

    kind: str  # "seed" | "line"
    n: int = 100
    slope: float = 2.0
    noise: float = 1.0
    seed: int = 0

    def build(self) -> gd.Problem:
        """The problem itself."""
        if self.kind == "seed":
            return gd.seed_problem()
        data = gd.synthetic(n=self.n, slope=self.slope, intercept=1.0, noise=self.noise, seed=self.seed)
        return gd.LinearRegression(data.x, data.y)


@dataclass(frozen=True)
class Curvature:
    """The Hessian's eigenvalues (ascending), the critical lr 2/λmax, and the quadratic's closed form."""

    eigenvalues: tuple[float, ...]
    critical_lr: float
    quadratic: gd.Quadratic

    @property
    def largest(self) -> float:
        """L = λmax."""
        return self.eigenvalues[-1]


# The page's work budget (issue 9): the largest sweep, 128 rates × 1000 steps of the tutorial's loss (autograd), is
# priced at ~0.28 s. Over it, the page shows gd.BudgetError's message (a ValueError) in place of the sweep.
PAGE_BUDGET = gd.Budget(seconds=0.4, megabytes=80)


@cached
def curvature(choice: ProblemChoice, device: str) -> Curvature:
    """The curvature of the chosen problem (one Hessian: the losses here are quadratic)."""
    problem = choice.build()
    eigenvalues = tuple(gd.hessian_eigenvalues(problem, device=device))
    return Curvature(eigenvalues, gd.critical_lr(problem, device=device), gd.quadratic_fit(problem, device=device))


@cached
def sweep(
    choice: ProblemChoice, start: tuple[float, ...], lrs: tuple[float, ...], steps: int, device: str, keep_steps: bool
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """One batched gd.sweep: (every step, or None when only the summary is wanted; per-run summary)."""
    trajectory = gd.sweep(choice.build(), lrs=lrs, steps=steps, start=start, device=device, budget=PAGE_BUDGET)
    return (trajectory.frame if keep_steps else None), trajectory.summary


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
    """'1/18 ≈ 0.0556' for an absolute choice, '1.5/L = 0.2189' for a multiple of 1/L."""
    return lr_label(choice) if unit == 1.0 else f"{choice:g}/L = {choice * unit:.4g}"


@cached  # a rerun that changed nothing hashes the summary (ui.cache: its bytes) instead of rebuilding the table
def run_table(summary: pd.DataFrame, largest: float, quadratic: gd.Quadratic) -> pd.DataFrame:
    """gd.regime_table of a sweep (L = largest) with an `outcome` column in words, for tables, charts and CSV."""
    table = gd.regime_table(summary, largest, quadratic)
    table["outcome"] = [charts.outcome(k) for k in table["diverged_at"]]
    return table
