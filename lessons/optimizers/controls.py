"""Optimizers: the surfaces and their default learning rates, the cached runs, the results table, the click."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

import gd_core as gd
from lessons import lesson
from lessons.optimizers.charts import PICK
from lessons.optimizers.labels import SURFACE_LABELS  # noqa: F401 (the page reads c.SURFACE_LABELS)
from ui.cache import cached
from ui.numbers import lr_ladder, shown_number

LESSON = lesson("optimizers")
LR_CHOICES = lr_ladder(1e-4, 10.0)
# Defaults chosen so each surface tells its story in the default 300 steps (all values are in LR_CHOICES).
# Newton's method at lr = 1 is the pure Newton step θ − H⁻¹∇f: the reference, one step on a quadratic.
DEFAULT_LRS: dict[str, dict[str, float]] = {
    # critical lr for plain gd is 2/25 = 0.08: 0.07 zig-zags across the narrow valley
    "ill_conditioned": {"gd": 0.07, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.05, "adam": 0.1, "newton": 1.0},
    "rosenbrock": {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "rmsprop": 1e-2, "adam": 5e-2, "newton": 1.0},
    "himmelblau": {"gd": 0.01, "momentum": 2e-3, "nesterov": 2e-3, "rmsprop": 0.02, "adam": 0.05, "newton": 1.0},
    "saddle": {"gd": 0.1, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.01, "adam": 0.05, "newton": 1.0},
}


def default_lr(surface: str, optimizer: str) -> float:
    """The page's default lr for an optimizer on a surface: DEFAULT_LRS, else the optimizer record's own."""
    return DEFAULT_LRS[surface].get(optimizer, gd.get_optimizer(optimizer).default_lr)


SECOND_ORDER_STEPS = 100  # Newton needs the Hessian each step (~0.2 ms): its runs stop here, and the page says so


@cached
def run(surface: str, optimizer: str, lr: float, steps: int, x0: float, y0: float, device: str):
    """One optimizer's trajectory (frame, summary) from (x0, y0); second-order runs at most SECOND_ORDER_STEPS."""
    if optimizer not in gd.FIRST_ORDER:
        steps = min(steps, SECOND_ORDER_STEPS)
    trajectory = gd.descend(
        gd.test_function(surface), lr=lr, steps=steps, start=(x0, y0), optimizer=optimizer, device=device
    )
    return trajectory.frame, trajectory.summary


@cached
def surface_grid(surface: str, device: str) -> pd.DataFrame:
    """The loss on a 60 × 60 grid over the surface's view."""
    problem = gd.test_function(surface)
    return gd.loss_surface(problem, problem.view, 60, device=device)


@cached  # keyed by the runs' bytes (ui.cache): a concat of every run was ~4 ms of each identical rerun
def combine_runs(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame of every optimizer's trajectory, with an `optimizer` column first (for the chart and CSV)."""
    parts = [frame.assign(optimizer=name) for name, frame in frames.items()]
    if not parts:
        return pd.DataFrame(columns=["optimizer", "run", "lr", "step", "x", "y", "loss"])
    combined = pd.concat(parts, ignore_index=True)
    return combined[["optimizer", *[c for c in combined.columns if c != "optimizer"]]]


RESULT_COLUMNS = [
    "optimizer",
    "learning rate",
    "final loss",
    "final (x, y)",
    "distance to nearest minimum",
    "diverged at step",
]


@cached  # as combine_runs: a row loop over the summaries on every rerun before
def results_table(summaries: Mapping[str, pd.DataFrame], minima: Sequence[tuple[float, float]]) -> pd.DataFrame:
    """One row per optimizer: lr, final loss and point, distance to the nearest known minimum, divergence step.

    The final point of a diverged run is its last finite one; without known minima the distance column is left out.
    """
    rows = []
    for name, summary in summaries.items():
        row = summary.iloc[0]
        x, y = float(row["final_x"]), float(row["final_y"])
        distance = min((math.hypot(x - a, y - b) for a, b in minima), default=math.nan)
        diverged = row["diverged_at"]
        rows.append(
            {
                "optimizer": gd.OPTIMIZER_LABELS[name],
                "learning rate": float(row["lr"]),
                "final loss": float(row["final_loss"]),
                "final (x, y)": f"({shown_number(x, 4)}, {shown_number(y, 4)})",
                "distance to nearest minimum": distance,
                "diverged at step": "—" if pd.isna(diverged) else str(int(diverged)),
            }
        )
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return table if minima else table.drop(columns="distance to nearest minimum")


def start_from_selection(state, view: tuple[tuple[float, float], tuple[float, float]]) -> tuple[float, float] | None:
    """The start point clicked on the map, rounded to 2 decimals and kept inside the view; None without a click.

    `state` is what st.altair_chart(on_select=...) stores: {"selection": {PICK: [{"x": …, "y": …}]}}.
    """
    try:
        points = state["selection"][PICK]
        x, y = float(points[0]["x"]), float(points[0]["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    (xlo, xhi), (ylo, yhi) = view
    return min(max(round(x, 2), xlo), xhi), min(max(round(y, 2), ylo), yhi)
