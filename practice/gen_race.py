"""Generators for the optimizers lesson: a fair race to 10⁻⁶, a momentum step, Adam's first step.

The race is fair by tuning: each optimizer runs at the learning rate of RACE_LRS that reaches the target
first (one batched gd.sweep per optimizer, the same step budget for all), as the question says on screen.
Those sweeps cost ~0.5 CPU-s a new variant (of 24), and the race is the first question page 5 opens on: so the
answers (tuned lr and finish step per optimizer) come from `practice.race_table`, written by
`python -m practice.gen_race` and checked against the live sweeps by tests/test_practice.py, and the sweeps run
only when a student locks an answer in and the reveal draws them (`Question.revealed()`).
"""

from __future__ import annotations

import functools
import math

import pandas as pd
import torch

import gd_core as gd
from practice import race_table
from practice.records import ChoiceAnswer, NumberAnswer, Plot, Question, num, par, rng_for

LESSON = "optimizers"
DEVICE = "cpu"
TARGET = 1e-6
RACE_LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
BUDGET = {"ill_conditioned": 200, "himmelblau": 200, "rosenbrock": 400}
STARTS_PER_SURFACE = 8  # race variants: a few starts per surface, so a lecture hall shares a small cache
NONE = "none of them within the budget"
LOSS_FLOOR = 1e-12


def _first_below(frame: pd.DataFrame, target: float) -> pd.Series:
    """Per run, the first step with loss < target (missing when never)."""
    hit = frame[frame["loss"] < target]
    return hit.groupby("run")["step"].min()


def _race_start(surface: str, index: int) -> tuple[float, float]:
    """The index-th start of the surface's race: a fixed pseudo-random point of its view, away from the minima."""
    problem = gd.test_function(surface)
    rng = rng_for(LESSON, f"race-start-{surface}", index)
    (xlo, xhi), (ylo, yhi) = problem.view
    start = (round(rng.uniform(xlo, xhi) * 2) / 2, round(rng.uniform(ylo, yhi) * 2) / 2)
    if any(math.hypot(start[0] - mx, start[1] - my) < 0.5 for mx, my in problem.minima):
        start = problem.default_start
    return start


@functools.lru_cache(maxsize=len(BUDGET) * STARTS_PER_SURFACE)  # a pure function of few inputs: ~40 kB each
def _race_runs(surface: str, start: tuple[float, float]) -> tuple[pd.DataFrame, dict[str, int | None]]:
    """Each optimizer's run at its tuned lr (one gd.sweep over RACE_LRS each), and its first step below TARGET."""
    problem = gd.test_function(surface)
    runs, finish = [], {}
    for optimizer in gd.FIRST_ORDER:
        sweep = gd.sweep(problem, lrs=RACE_LRS, steps=BUDGET[surface], start=start, optimizer=optimizer, device=DEVICE)
        first = _first_below(sweep.frame, TARGET)
        best = int(first.idxmin()) if len(first) else int(sweep.summary["final_loss"].fillna(math.inf).idxmin())
        finish[optimizer] = int(first.min()) if len(first) else None
        runs.append(sweep.run(best).assign(option=gd.OPTIMIZER_LABELS[optimizer], tuned_lr=RACE_LRS[best]))
    frame = pd.concat(runs, ignore_index=True)
    frame["loss_shown"] = frame["loss"].clip(lower=LOSS_FLOOR)
    return frame, finish


def _reveal(surface: str, start: tuple[float, float]) -> pd.DataFrame:
    """The race's runs for the reveal (a copy: the lru-cached frame is shared)."""
    return _race_runs(surface, start)[0].copy()


def table_key() -> tuple:
    """What the precomputed answers depend on: a change here makes race() compute them live instead."""
    return (TARGET, RACE_LRS, tuple(sorted(BUDGET.items())), STARTS_PER_SURFACE, gd.FIRST_ORDER)


def race_answers(surface: str, index: int) -> tuple[tuple[float, float], dict[str, tuple[float, int | None]]]:
    """The index-th race of the surface, computed: its start, and per optimizer (tuned lr, first step below TARGET)."""
    start = _race_start(surface, index)
    frame, finish = _race_runs(surface, start)
    tuned = frame.groupby("option", sort=False)["tuned_lr"].first()
    return start, {name: (float(tuned[gd.OPTIMIZER_LABELS[name]]), finish[name]) for name in gd.FIRST_ORDER}


def _answers(surface: str, index: int) -> tuple[tuple[float, float], dict[str, int | None]]:
    """Start and finish steps of a race: from the precomputed table when it was made for these settings."""
    if table_key() == race_table.KEY:
        start, runs = race_table.RACES[(surface, index)]
    else:  # the settings changed since the table was written (tests/test_practice.py says so): compute
        start, runs = race_answers(surface, index)
    return start, {name: k for name, (_, k) in runs.items()}


def race(seed: int) -> Question:
    """Which optimizer first reaches a loss below 10⁻⁶, each at its own best lr for the same budget."""
    rng = rng_for(LESSON, "race", seed)
    surface = rng.choice(tuple(BUDGET))
    problem = gd.test_function(surface)
    start, finish = _answers(surface, rng.randrange(STARTS_PER_SURFACE))
    budget = BUDGET[surface]
    times = {name: k for name, k in finish.items() if k is not None}
    options = (*(gd.OPTIMIZER_LABELS[name] for name in gd.FIRST_ORDER), NONE)
    if times:
        fastest = min(times.values())
        correct = frozenset(gd.OPTIMIZER_LABELS[name] for name, k in times.items() if k == fastest)
        order = sorted(times.items(), key=lambda item: item[1])
        said = "; ".join(f"{gd.OPTIMIZER_LABELS[name]} at step {k}" for name, k in order)
        working = f"reaching 10^−6 (each at its best lr): {said}"
    else:
        correct, working = frozenset([NONE]), f"no optimizer gets below 10^−6 within {budget} steps at any lr tried"
    return Question(
        LESSON,
        "race",
        seed,
        prompt=f"On the {surface.replace('_', '-')} surface, starting at ({num(start[0])}, {num(start[1])}): which "
        f"optimizer first gets the loss below 10⁻⁶ (within {budget} steps)?",
        latex=problem.latex,
        answer=ChoiceAnswer(options, correct),
        reveal=functools.partial(_reveal, surface, start),
        plot=Plot(
            "step",
            "loss_shown",
            "step",
            "loss (log)",
            predict="series",
            series="option",
            log_y=True,
            reference=TARGET,
            reference_label="10⁻⁶",
        ),
        working=working,
        note="A fair race: each optimizer runs at its own best learning rate from "
        f"{', '.join(f'{lr:g}' for lr in RACE_LRS)}, tuned by one batched sweep per optimizer with the same "
        f"budget of {budget} steps.",
        inputs=(("x0", start[0]), ("y0", start[1]), ("budget", float(budget))),
    )


def _coordinate(rng, problem, start) -> tuple[str, int, float]:
    """Pick x or y, skipping a coordinate whose gradient is (nearly) zero at the start."""
    _, grad = problem.value_and_grad(torch.tensor([start], dtype=torch.float64))
    index = rng.choice((0, 1))
    if abs(float(grad[0, index])) < 1e-3:
        index = 1 - index
    return "xy"[index], index, float(grad[0, index])


def _start(rng, problem) -> tuple[float, float]:
    (xlo, xhi), (ylo, yhi) = problem.view
    return round(rng.uniform(xlo, xhi) * 2) / 2 or 0.5, round(rng.uniform(ylo, yhi) * 2) / 2 or 0.5


def momentum(seed: int) -> Question:
    """Two momentum steps (β = 0.9, from rest) on ½(x² + 25y²): v₁ = g₀, v₂ = βg₀ + g₁, θ₂ = θ₀ − lr(v₁ + v₂)."""
    rng = rng_for(LESSON, "momentum", seed)
    problem = gd.test_function("ill_conditioned")
    start = _start(rng, problem)
    name, index, g0 = _coordinate(rng, problem, start)
    lr = rng.choice((0.01, 0.02, 0.03))
    run = gd.descend(problem, lr=lr, steps=2, start=start, optimizer="momentum", device=DEVICE).frame
    first, value = float(run[name].iloc[1]), float(run[name].iloc[2])
    g1 = float(run[f"grad_{name}"].iloc[1])
    slope = name if name == "x" else f"25{name}"
    return Question(
        LESSON,
        "momentum",
        seed,
        prompt=f"f(x, y) = ½(x² + 25y²), so ∂f/∂{name} = {slope}. Momentum (β = 0.9, starting from rest) "
        f"from ({num(start[0])}, {num(start[1])}) with lr = {num(lr)}: what is {name} after two steps?",
        latex=r"v_{k+1} = \beta v_k + \nabla f(\theta_k),\quad \theta_{k+1} = \theta_k - \mathrm{lr}\, v_{k+1}",
        answer=NumberAnswer(value, rel_tol=0.02, abs_tol=0.005),
        reveal=run,
        plot=Plot("step", name, "step", name, predict="y", at=2),
        working=f"step 1 is a plain step: {name}₁ = {num(start[index])} − {num(lr)} × {par(g0)} = {num(first)}; "
        f"step 2 adds 0.9 of the old velocity: {name}₂ = {num(first)} − {num(lr)} × (0.9 × {par(g0)} + {par(g1)}) "
        f"= {num(value)}",
        inputs=(("x0", start[0]), ("y0", start[1]), ("lr", lr), ("coordinate", float(index))),
    )


def adam(seed: int) -> Question:
    """Adam's first step: bias correction gives m̂ = g, v̂ = g², so θ₁ = θ₀ − lr·g/(|g| + ε) ≈ θ₀ − lr·sign(g)."""
    rng = rng_for(LESSON, "adam", seed)
    surface = rng.choice(("ill_conditioned", "rosenbrock", "himmelblau"))
    problem = gd.test_function(surface)
    start = _start(rng, problem)
    name, index, g0 = _coordinate(rng, problem, start)
    lr = rng.choice((0.01, 0.05, 0.1, 0.2, 0.5))
    run = gd.descend(problem, lr=lr, steps=1, start=start, optimizer="adam", device=DEVICE).frame
    value = float(run[name].iloc[1])
    return Question(
        LESSON,
        "adam",
        seed,
        prompt=f"On the {surface.replace('_', '-')} surface, one Adam step (default β₁, β₂) from "
        f"({num(start[0])}, {num(start[1])}) with lr = {num(lr)}, where ∂f/∂{name} = {num(g0)}: what is {name}₁?",
        latex=problem.latex,
        answer=NumberAnswer(value, rel_tol=0.01, abs_tol=0.002),
        reveal=run,
        plot=Plot("step", name, "step", name, predict="y", at=1),
        working=f"Adam's first step divides the gradient by its own size (m̂ = g, v̂ = g²): {name}₁ = "
        f"{num(start[index])} − {num(lr)} × {par(g0)}/|{num(g0)}| = {num(value)}, whatever the gradient's size",
        inputs=(("x0", start[0]), ("y0", start[1]), ("lr", lr), ("coordinate", float(index))),
    )


def write_table() -> str:
    """practice/race_table.py's text: every race variant's answers, computed (~12 CPU-s)."""
    lines = [
        '"""The race question\'s answers, precomputed: written by `python -m practice.gen_race`, do not edit.',
        "",
        "Per (surface, start index): the start, and per optimizer (tuned lr, first step below the target or None).",
        "tests/test_practice.py checks every entry against the live sweeps of practice.gen_race._race_runs.",
        '"""',
        "",
        f"KEY = {table_key()!r}",
        "RACES = {",
    ]
    for surface in BUDGET:
        for index in range(STARTS_PER_SURFACE):
            start, runs = race_answers(surface, index)
            lines.append(f"    ({surface!r}, {index}): ({start!r}, {runs!r}),")
    return "\n".join([*lines, "}", ""])


if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).with_name("race_table.py").write_text(write_table(), encoding="utf-8")
