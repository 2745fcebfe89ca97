"""Generators for one-parameter questions: the tutorial's loss (3 + 3A)² and its cousins (y − a·x)², c·(a − m)².

Every answer is read off a gd_core run (gd.descend / gd.sweep / gd.critical_lr) for the variant; the
closed forms (A₁ = A₀ − lr·18(A₀ + 1), critical lr 2/f'') are in the working shown, and in the tests.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import gd_core as gd
from practice.records import ChoiceAnswer, NumberAnswer, Plot, Question, num, rng_for

LESSON = "one-weight"
TARGET = 1e-6  # "until the loss is below 10⁻⁶"
LOSS_FLOOR = 1e-12  # losses drawn on a log axis are clipped here
STARTS = (-5.0, -4.0, -3.0, -2.5, -2.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)
DEVICE = "cpu"  # questions are tiny; the CPU's float64 makes every variant the same on every server


def _shown_loss(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["loss_shown"] = frame["loss"].clip(lower=LOSS_FLOOR)
    return frame


def a1(seed: int) -> Question:
    """A₁ = A₀ − lr·f'(A₀) with f'(A) = 18(A + 1), from a seeded A₀ and lr."""
    rng = rng_for(LESSON, "a1", seed)
    a0, lr = rng.choice(STARTS), rng.choice((0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1))
    run = gd.descend(gd.seed_problem(), lr=lr, steps=1, start=a0, device=DEVICE)
    value = float(run.frame["A"].iloc[1])
    working = f"the step is A₁ = A₀ − lr·18(A₀ + 1) = {num(a0)} − {num(lr)} × 18({num(a0)} + 1) = {num(value)}"
    return Question(
        LESSON,
        "a1",
        seed,
        prompt=f"Loss(A) = (3 + 3A)², so f′(A) = 18(A + 1). Start at A₀ = {num(a0)} with lr = {num(lr)}: "
        "what is A₁ after one step?",
        latex=r"A_1 = A_0 - \mathrm{lr}\cdot f'(A_0)",
        answer=NumberAnswer(value, rel_tol=0.01, abs_tol=0.005),
        reveal=run.frame,
        plot=Plot("step", "A", "step", "A", predict="y", at=1),
        working=working,
        inputs=(("A0", a0), ("lr", lr)),
    )


DIVERGE_LADDER = (0.01, 0.03, 0.05, 0.08, 0.1, 0.105, 0.12, 0.13, 0.15, 0.2, 0.25)  # none within 0.005 of 1/9
DIVERGE_STEPS = 60


def diverge(seed: int) -> Question:
    """Which learning rates diverge on (3 + 3A)²: those above 2/f'' = 1/9, read off one batched gd.sweep."""
    rng = rng_for(LESSON, "diverge", seed)
    lrs = sorted(rng.sample(DIVERGE_LADDER, 5))
    a0 = rng.choice([a for a in STARTS if a != -1])
    runs = gd.sweep(gd.seed_problem(), lrs=lrs, steps=DIVERGE_STEPS, start=a0, device=DEVICE)
    start_loss = float(runs.frame["loss"].iloc[0])
    summary = runs.summary
    grew = summary["diverged_at"].notna().to_numpy() | (summary["final_loss"].to_numpy() > start_loss)
    labels = [f"{lr:g}" for lr in lrs]
    correct = frozenset(label for label, g in zip(labels, grew, strict=True) if g)
    frame = _shown_loss(runs.frame)
    frame["option"] = frame["lr"].map(lambda lr: f"{lr:g}")
    listed = ", ".join(sorted(correct, key=float)) or "none of them"
    working = (
        f"f″ = 18, so descent diverges exactly when lr > 2/18 = 1/9 ≈ 0.1111: here {listed}. Each step multiplies "
        f"A + 1 by 1 − 18·lr, e.g. 1 − 18 × {labels[-1]} = {num(1 - 18 * lrs[-1])}"
    )
    return Question(
        LESSON,
        "diverge",
        seed,
        prompt=f"Loss(A) = (3 + 3A)², start A₀ = {num(a0)}. Which of these learning rates diverge "
        "(the loss grows without bound)? Pick all that do, or none.",
        answer=ChoiceAnswer(tuple(labels), correct, multiple=True),
        reveal=frame,
        plot=Plot("step", "loss_shown", "step", "loss (log)", predict="series", series="option", log_y=True),
        working=working,
        inputs=(("A0", a0),),
    )


def steps_to_target(seed: int) -> Question:
    """Steps until (3 + 3A)² < 10⁻⁶: the loss is 9(A₀ + 1)²·r^{2k} with r = 1 − 18·lr."""
    rng = rng_for(LESSON, "steps", seed)
    a0 = rng.choice([a for a in STARTS if a != -1])
    lr = rng.choice((0.005, 0.01, 0.02, 0.03, 0.04, 0.07, 0.08, 0.09, 0.1))
    r = 1 - 18 * lr
    loss0 = 9 * (a0 + 1) ** 2
    bound = math.log(TARGET / loss0) / (2 * math.log(abs(r)))
    # The closed form only sizes the run (bounded cost); the answer is the first step of the run below 10⁻⁶.
    run = gd.descend(gd.seed_problem(), lr=lr, steps=max(int(bound), 0) + 8, start=a0, device=DEVICE)
    below = run.frame.index[run.frame["loss"] < TARGET]
    k = int(run.frame["step"].iloc[below[0]])
    working = (
        f"each step multiplies A + 1 by r = 1 − 18 × {num(lr)} = {num(r)}, so the loss {num(loss0)}·r^(2k) first "
        f"falls below 10^−6 at k = {k} (k > ln(10^−6 / {num(loss0)}) / (2 ln|r|) = {num(bound)})"
    )
    return Question(
        LESSON,
        "steps",
        seed,
        prompt=f"Loss(A) = (3 + 3A)², start A₀ = {num(a0)}, lr = {num(lr)}. How many steps until the loss is "
        "below 10⁻⁶?",
        answer=NumberAnswer(float(k), rel_tol=0.1, abs_tol=1.0),
        reveal=_shown_loss(run.frame[run.frame["step"] <= k + 5]),
        plot=Plot(
            "step",
            "loss_shown",
            "step",
            "loss (log)",
            predict="x",
            log_y=True,
            reference=TARGET,
            reference_label="10⁻⁶",
            answer_x=float(k),
        ),
        working=working,
        unit="steps",
        inputs=(("A0", a0), ("lr", lr)),
    )


def _lr_picture(problem, lrs: np.ndarray, start: float, steps: int, minimum: float) -> pd.DataFrame:
    """Distance from the minimum after `steps` steps against lr: one batched gd.sweep."""
    runs = gd.sweep(problem, lrs=lrs, steps=steps, start=start, device=DEVICE)
    summary = runs.summary
    param = problem.param_names[0]
    distance = (summary[f"final_{param}"] - minimum).abs().to_numpy()
    diverged = summary["diverged_at"].notna().to_numpy()
    distance = np.where(diverged | (distance > abs(start - minimum) * 10), np.nan, distance)
    frame = pd.DataFrame({"lr": summary["lr"].to_numpy(), "distance": np.clip(distance, LOSS_FLOOR, None)})
    return frame.dropna().reset_index(drop=True)


def one_step_lr(seed: int) -> Question:
    """The lr that lands in one step on (y − a·x)²: 1/f'' = 1/(2x²), half of gd.critical_lr."""
    rng = rng_for(LESSON, "one-step-lr", seed)
    x = rng.choice((-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0))
    y = float(rng.choice((-4, -3, -2, -1, 1, 2, 3, 4)))
    problem = gd.ScalarProblem.from_expression(f"({y:g} - a*({x:g}))**2")
    value = gd.critical_lr(problem, at=0.0, device=DEVICE) / 2
    a_star = y / x
    sign = "−" if x > 0 else "+"
    a0 = a_star + rng.choice((-3.0, -2.0, 2.0, 3.0))
    lrs = np.linspace(value / 20, 2 * value, 80)
    working = (
        f"f″(a) = 2x² = 2 × ({num(x)})² = {num(2 * x * x)}, and one step lands on the minimum a = y/x = "
        f"{num(a_star)} when lr = 1/f″ = {num(value)}"
    )
    return Question(
        LESSON,
        "one-step-lr",
        seed,
        prompt=f"The model y = a·x and one point (x, y) = ({num(x)}, {num(y)}), so "
        f"Loss(a) = ({num(y)} {sign} {num(abs(x))}·a)². "
        "What learning rate lands on the minimum in one step, from any start?",
        latex=r"\mathrm{Loss}(a) = " + problem.latex,
        answer=NumberAnswer(value, rel_tol=0.05),
        reveal=_lr_picture(problem, lrs, a0, 1, a_star),
        plot=Plot("lr", "distance", "learning rate", "|a₁ − a*| after one step", predict="x", answer_x=value),
        working=working,
        inputs=(("x", x), ("y", y), ("a0", a0)),
    )


def critical_scalar(seed: int) -> Question:
    """The largest lr that converges on c·(a − m)²: 2/f'' = 1/c, from gd.critical_lr (learning-rate lesson)."""
    rng = rng_for("learning-rate", "critical", seed)
    c = rng.choice((0.5, 1.0, 2.0, 4.0, 5.0, 8.0, 10.0, 20.0, 25.0))
    m = float(rng.choice((-3, -2, -1, 1, 2, 3)))
    problem = gd.ScalarProblem.from_expression(f"{c:g}*(a - ({m:g}))**2")
    value = gd.critical_lr(problem, at=0.0, device=DEVICE)
    lrs = np.geomspace(value / 10, value * 3, 90)
    return Question(
        "learning-rate",
        "critical",
        seed,
        prompt=f"Loss(a) = {num(c)}·(a − {num(m)})². What is the largest learning rate for which gradient descent "
        "still converges (the critical lr)?",
        latex=r"\mathrm{Loss}(a) = " + problem.latex,
        answer=NumberAnswer(value, rel_tol=0.05),
        reveal=_lr_picture(problem, lrs, m + 2.0, 100, m),
        plot=Plot(
            "lr",
            "distance",
            "learning rate (log)",
            "|a − m| after 100 steps (log)",
            predict="x",
            log_x=True,
            log_y=True,
            answer_x=value,
        ),
        working=f"f″ = 2 × {num(c)} = {num(2 * c)}, and descent converges only for lr < 2/f″ = {num(value)}",
        inputs=(("c", c), ("m", m)),
    )
