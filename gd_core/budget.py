"""Work budgets: every request is priced before it runs, and one over its budget is refused with a message.

A request's cost is estimated from its size (seconds ≈ Σ units × seconds per unit) with rates measured on a
2-core CPU server (torch 2.13, float64, one thread; medians, bench/step_rates.py and bench/README.md):
- a descent step: 30 µs (plain gradient descent on a moment problem) or 0.15 ms through torch.optim or autograd
  (a typed loss); on a 2-D test surface, whose gradient is a formula, 0.11 ms (Adam, the dearest: plain descent
  48 µs, SGD with momentum 85 µs, RMSProp 96 µs, Adam 106 µs); a learning rate advancing with the others in a
  sweep: 1 µs a step (0.3–0.4 µs measured, torch.optim included: every rate shares one parameter tensor); a
  Newton step (Hessian and solve): 0.3 ms (0.2 ms on a test surface, whose Hessian is a formula);
- a data point read once to form the moments: 45 ns; a point shuffled into a minibatch epoch: 0.75 µs;
- a loss-surface cell: 0.25 µs; a CSV cell: 60 ns read as numbers, 1.6 µs read as text (pandas, str dtype).
The defaults (DEFAULT: 10 minutes, 8 GB) are generous, for notebooks (every MAX_STEPS request fits); a page
passes its own stricter Budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STEP_S = 30e-6  # one plain-descent step of a moment problem (linear regression)
TORCH_STEP_S = 0.15e-3  # one step through torch.optim / autograd
SURFACE_STEP_S = 0.11e-3  # one torch.optim step on a 2-D test surface (closed-form gradient): Adam's, the dearest
RUN_STEP_S = 1e-6  # one more learning rate in a batched sweep, per step (torch.optim included)
NEWTON_STEP_S = 0.3e-3  # one Newton step on a 2-D surface (its Hessian, then a pseudo-inverse)
POINT_S = 45e-9  # one data point read to form the moments
SHUFFLE_S = 0.75e-6  # one data point shuffled and summed into its minibatch, per epoch
CELL_S = 0.25e-6  # one loss-surface grid cell
CSV_NUMBER_CELL_S = 60e-9  # one CSV cell parsed straight to float64
CSV_TEXT_CELL_S = 1.6e-6  # one CSV cell parsed as text and converted
BYTES_PER_SHUFFLED_POINT = 80  # permutation, gathered x and y, centred terms: ~10 float64 per point at once


class BudgetError(ValueError):
    """A request over its work budget; the message says how long it would take and what to reduce."""


@dataclass(frozen=True)
class Budget:
    """At most `seconds` of estimated CPU time and `megabytes` of working memory per request."""

    seconds: float = 600.0
    megabytes: float = 8000.0

    def check(self, seconds: float, megabytes: float, advice: str) -> None:
        """Raise BudgetError when an estimate is over the budget: "this would take ~N s; <advice>"."""
        if seconds > self.seconds:
            raise BudgetError(f"this would take ~{_seconds(seconds)} (the limit here is {_seconds(self.seconds)}); "
                              f"{advice}")  # fmt: skip
        if megabytes > self.megabytes:
            raise BudgetError(f"this would need ~{megabytes:,.0f} MB of memory (the limit here is "
                              f"{self.megabytes:,.0f} MB); {advice}")  # fmt: skip


DEFAULT = Budget()


def _seconds(value: float) -> str:
    return f"{value:.2g} s" if value < 100 else f"{value:,.0f} s"


@dataclass(frozen=True)
class DescentCost:
    """Estimated cost of a descent: seconds and megabytes."""

    seconds: float
    megabytes: float


def descent_cost(
    steps: int,
    runs: int = 1,
    n: int = 0,
    batch_size: int | None = None,
    torch_steps: bool = False,
    step_s: float | None = None,
):
    """Seconds ≈ steps·t_step + runs·steps·t_run + n·t_point + epochs·n·t_shuffle (epochs = ⌈steps/⌈n/B⌉⌉).

    torch_steps: each step goes through torch (autograd or torch.optim), TORCH_STEP_S instead of STEP_S;
    step_s: the seconds of one step, when the caller knows better (a test surface: SURFACE_STEP_S)."""
    steps, runs, n = max(int(steps), 0), max(int(runs), 1), max(int(n), 0)
    seconds = (steps + 1) * (step_s if step_s is not None else TORCH_STEP_S if torch_steps else STEP_S)
    seconds += runs * (steps + 1) * RUN_STEP_S
    seconds += n * POINT_S
    megabytes = runs * (steps + 1) * 16 * 8 / 1e6  # the tidy frame: ~16 float64 columns a row
    if batch_size is not None and n and batch_size < n:
        per_epoch = math.ceil(n / batch_size)
        epochs = math.ceil((steps + 1) / per_epoch)
        seconds += epochs * n * SHUFFLE_S
        megabytes += min(epochs * n, max(n, 1 << 22)) * BYTES_PER_SHUFFLED_POINT / 1e6
    return DescentCost(seconds, megabytes)


def check_descent(
    budget: Budget | None,
    *,
    steps: int,
    runs: int = 1,
    n: int = 0,
    batch_size: int | None = None,
    torch_steps: bool = False,
    step_s: float | None = None,
) -> None:
    """Refuse a descent (or sweep) of `runs` × `steps` whose estimated cost is over the budget."""
    cost = descent_cost(steps, runs, n, batch_size, torch_steps, step_s)
    advice = "fewer epochs or a smaller batch" if batch_size is not None else "fewer steps or learning rates"
    (budget or DEFAULT).check(cost.seconds, cost.megabytes, advice)


def affordable_steps(budget: Budget, *, n: int = 0, batch_size: int | None = None, runs: int = 1) -> int:
    """The most steps a descent can take within the budget (0 if not even one): a bisection on descent_cost."""
    return largest_within(lambda k: descent_cost(k, runs, n, batch_size), budget)


def race_cost(steps: int, optimizers: int, runs: int = 1, newton_steps: int = 0) -> DescentCost:
    """`optimizers` descents of `steps` steps on a test surface, each a sweep of `runs` rates, plus a Newton run."""
    one = descent_cost(steps, runs, step_s=SURFACE_STEP_S)
    newton = (max(int(newton_steps), 0) + 1) * NEWTON_STEP_S if newton_steps else 0.0
    return DescentCost(max(int(optimizers), 0) * one.seconds + newton, max(int(optimizers), 0) * one.megabytes)


def check_race(budget: Budget | None, *, steps: int, optimizers: int, runs: int = 1, newton_steps: int = 0) -> None:
    """Refuse a race of `optimizers` descents (each a sweep of `runs` rates) whose estimated cost is over budget."""
    cost = race_cost(steps, optimizers, runs, newton_steps)
    (budget or DEFAULT).check(cost.seconds, cost.megabytes, "fewer steps or fewer optimizers")


def affordable_race_steps(budget: Budget, *, optimizers: int, runs: int = 1, newton_steps: int = 0) -> int:
    """The most steps a race (as check_race prices it) can take within the budget (0 if not even one)."""
    return largest_within(lambda k: race_cost(k, optimizers, runs, min(newton_steps, k)), budget)


def largest_within(cost_of, budget: Budget) -> int:
    """The largest k ≥ 0 whose cost_of(k) fits the budget (cost non-decreasing in k); 0 if none does."""

    def fits(k: int) -> bool:
        cost = cost_of(k)
        return cost.seconds <= budget.seconds and cost.megabytes <= budget.megabytes

    low, high = 0, 1
    if not fits(0):
        return 0
    while fits(high) and high < 1 << 40:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def check_csv(budget: Budget | None, *, rows: int, columns: int, as_text: bool) -> None:
    """Refuse reading a CSV of rows × columns cells whose estimated cost is over the budget."""
    cells = max(rows, 0) * max(columns, 1)
    seconds = cells * (CSV_TEXT_CELL_S if as_text else CSV_NUMBER_CELL_S)
    megabytes = cells * (70 if as_text else 16) / 1e6  # a Python str per cell, or float64 twice
    kind = "text " if as_text else ""
    (budget or DEFAULT).check(seconds, megabytes, f"a file with fewer rows or columns ({rows:,} × {columns:,} {kind}"
                                                  "cells here; numbers only read fastest)")  # fmt: skip


def check_surface(budget: Budget | None, *, cells: int, torch_cells: bool = False) -> None:
    """Refuse a loss surface of `cells` grid points whose estimated cost is over the budget."""
    seconds = cells * (CELL_S * (20 if torch_cells else 1))
    (budget or DEFAULT).check(seconds, cells * 5 * 8 / 1e6, "a coarser grid")


def fits(budget: Budget | None, check, **request) -> bool:
    """True when `check(budget, **request)` passes (for pages that offer a cheaper choice instead)."""
    try:
        check(budget, **request)
    except BudgetError:
        return False
    return True
