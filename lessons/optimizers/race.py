"""The optimizer race's mode: each at its own best lr for this step budget, all at one shared lr, or by hand.

"Best" runs one batched gd.sweep per first-order optimizer over the page's whole lr ladder and keeps the rate with
the lowest final loss, or the smallest one that gets below TARGET_LOSS. One sweep of all 36 rates, not a coarse
pass and then a fine one: a sweep's cost is nearly all per step (a rate adds ~0.4 µs a step, a step ~0.1 ms), so
the whole ladder costs about half of two passes and cannot miss a best rate between the coarse ones.
Newton's method keeps lr = 1 (the pure Newton step θ − H⁻¹∇f): it is the reference.

Work budgets (issue 9, gd_core.budget): the race itself within RACE_BUDGET (over it the page says so and offers the
steps that fit); the tuning within TUNE_BUDGET, by tuning on the first tuning_steps(steps) steps, said on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import gd_core as gd
from gd_core import budget as gb
from lessons.optimizers import controls as c
from ui.cache import cached
from ui.tables import shown_dataframe
from ui.widgets import bound

MODES = {
    "hand": "set by hand",
    "best": "each at its own best lr for this step budget",
    "shared": "all at one shared lr",
}
TARGET_LOSS = 1e-6  # a run below this loss has arrived: the smallest such rate wins (less overshoot)
NEWTON_LR = 1.0
# Priced by gd_core.budget (a step on a test surface at Adam's rate). The race: all six 390 steps (~0.2 CPU-s
# measured), any one of them 2,250. The "best" mode's sweeps, one per first-order optimizer over the whole ladder:
# the default 300 steps in full (priced 0.22 s, 0.15–0.3 s measured by surface and load). Both at their limits, with
# the page's charts, stay within 1 CPU-s a rerun (bench/page_cost.py, bench/README.md).
RACE_BUDGET = gd.Budget(seconds=0.25, megabytes=80)
TUNE_BUDGET = gd.Budget(seconds=0.22, megabytes=80)
NEWTON_NOTES = {
    "ill_conditioned": "On this quadratic bowl Newton's method lands on the minimum in one step, whatever κ is: "
    "it divides each direction's step by that direction's curvature.",
    "saddle": "On the saddle Newton's method heads straight for the saddle point (0, 0) and stops there: it "
    "looks for ∇f = 0, and H⁻¹ flips the downhill direction of negative curvature into an uphill one.",
}


@dataclass(frozen=True)
class Tuned:
    """One optimizer's best rate on a surface for a step budget, with its final loss."""

    optimizer: str
    lr: float
    final_loss: float
    tried: int


def _pick(summary: pd.DataFrame) -> pd.Series:
    """The smallest rate below TARGET_LOSS, else the lowest final loss; runs that diverged only if all did."""
    finished = summary[summary["diverged_at"].isna()]
    pool = finished if len(finished) else summary
    arrived = pool[pool["final_loss"] < TARGET_LOSS]
    return arrived.sort_values("lr").iloc[0] if len(arrived) else pool.loc[pool["final_loss"].idxmin()]


@cached
def tune(surface: str, optimizer: str, steps: int, x0: float, y0: float, device: str) -> Tuned:
    """The best rate of c.LR_CHOICES for `optimizer` from (x0, y0) in `steps` steps (one batched gd.sweep)."""
    ladder = list(c.LR_CHOICES)
    problem = gd.test_function(surface)
    summary = gd.sweep(problem, lrs=ladder, steps=steps, start=(x0, y0), optimizer=optimizer, device=device).summary
    row = _pick(summary)
    return Tuned(optimizer, float(row["lr"]), float(row["final_loss"]), len(ladder))


def _tune_cost(steps: int) -> gb.DescentCost:
    """The estimated cost of tune() for every first-order optimizer: one sweep of the ladder each."""
    return gb.race_cost(steps, len(gd.FIRST_ORDER), len(c.LR_CHOICES))


def tuning_steps(steps: int) -> int:
    """The steps the "best" mode tunes on: `steps`, or the most that fit TUNE_BUDGET (a multiple of 10, ≥ 10)."""
    affordable = gb.largest_within(_tune_cost, TUNE_BUDGET)
    return int(steps) if affordable >= steps else max(affordable - affordable % 10, 10)


def steps_within_budget(steps: int, optimizers: list[str], key) -> int:
    """`steps`, when the race fits RACE_BUDGET; else a warning that says why, and a toggle to race the steps that
    fit (the page stops until it is on): never a silent cut."""
    first = sum(name in gd.FIRST_ORDER for name in optimizers)
    newton = c.SECOND_ORDER_STEPS if len(optimizers) > first else 0
    try:
        gb.check_race(RACE_BUDGET, steps=steps, optimizers=first, newton_steps=min(newton, steps))
        return steps
    except gd.BudgetError as error:
        affordable = gb.affordable_race_steps(RACE_BUDGET, optimizers=first, newton_steps=newton)
        affordable -= affordable % 10
        st.warning(f"{first} optimizers × {steps:,} steps: {error}.", icon="⏱️")
        if affordable < 10:
            st.stop()
        shorter = bound(
            st.toggle, f"Race the first {affordable:,} steps instead", key=key("within_budget"), value=False
        )
        if not shorter:
            st.stop()
        return affordable


def mode_control(key) -> str:
    """The race-mode radio (URL key optimizers.race)."""
    return bound(st.radio, "Race", key=key("race"), options=list(MODES), format_func=MODES.get, horizontal=True)


def race_lrs(
    mode: str, by_hand: Mapping[str, float], surface: str, steps: int, start: tuple[float, float], device: str, key
) -> dict[str, float]:
    """The rate each optimizer races at in `mode` (drawing the shared-lr slider, or the tuned-rates table)."""
    if mode == "hand":
        return dict(by_hand)
    if mode == "shared":
        shared = bound(
            st.select_slider,
            "Shared learning rate",
            key=key(f"shared_lr_{surface}"),
            options=c.LR_CHOICES,
            value=c.DEFAULT_LRS[surface]["gd"],
            format_func="{:g}".format,
        )
        return {name: (NEWTON_LR if name not in gd.FIRST_ORDER else float(shared)) for name in by_hand}
    horizon = tuning_steps(steps)
    tuned = [tune(surface, name, horizon, *start, device) for name in gd.FIRST_ORDER]
    table = pd.DataFrame(
        {
            "optimizer": [gd.OPTIMIZER_LABELS[t.optimizer] for t in tuned],
            "best lr": [t.lr for t in tuned],
            f"final loss after {horizon} steps": [t.final_loss for t in tuned],
        }
    )
    # the one number formatter ("1.171e−7", typographic minus), replayed from the cache when unchanged (ui.tables)
    shown_dataframe(table, {"best lr": 6, f"final loss after {horizon} steps": 4}, hide_index=True)
    st.caption(
        f"Each first-order optimizer's rate from the {tuned[0].tried}-rate ladder: the lowest final loss after "
        f"{horizon} steps from this start, or the smallest rate below {TARGET_LOSS:g} (every rate tried, all of an "
        "optimizer's as one batched sweep)."
        + (
            f" Tuned on the first {horizon} of the {steps} steps: tuning on all of them would take longer than "
            "this page allows a rerun."
            if horizon < steps
            else ""
        )
    )
    rates = {t.optimizer: t.lr for t in tuned}
    return {name: rates.get(name, NEWTON_LR) for name in by_hand}


def mode_caption(mode: str, optimizers: list[str], surface: str) -> str:
    """What the page says about the race: its mode, and Newton's method as the reference where it is shown."""
    text = f"Race mode: **{MODES[mode]}**."
    shown = any(name not in gd.FIRST_ORDER for name in optimizers)
    text += f" Newton's method is the reference (lr = {NEWTON_LR:g} unless set by hand"
    text += ")." if shown else "; add it above)."
    return text + ((" " + NEWTON_NOTES[surface]) if surface in NEWTON_NOTES else "")


@cached
def run(surface: str, optimizer: str, lr: float, steps: int, x0: float, y0: float, device: str, schedule):
    """controls.run with a learning-rate schedule (gd.Schedule, or None for the constant rate)."""
    if schedule is None:
        return c.run(surface, optimizer, lr, steps, x0, y0, device)
    steps = steps if optimizer in gd.FIRST_ORDER else min(steps, c.SECOND_ORDER_STEPS)
    problem = gd.test_function(surface)
    trajectory = gd.descend(
        problem, lr=lr, steps=steps, start=(x0, y0), optimizer=optimizer, device=device, schedule=schedule
    )
    return trajectory.frame, trajectory.summary
