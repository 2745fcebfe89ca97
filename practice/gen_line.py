"""Generators for the line-fitting questions (fitting a line, minibatches, the learning rate) on seeded data.

The data is gd.synthetic with seeded slope, intercept, noise and size; every answer comes from a gd_core run or
function on it (gd.descend, gd.sweep, gd.critical_lr, gd.hessian, gd.steps_per_epoch, gd.batch_membership).
"""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd

import gd_core as gd
from practice.records import ChoiceAnswer, NumberAnswer, Plot, PointAnswer, Question, num, par, rng_for

DEVICE = "cpu"
GRID = 36  # cells per side of the (w, b) map a click picks from
LOSS_FLOOR = 1e-12


DATA_INPUTS = ("n", "slope", "intercept", "noise", "data_seed")  # gd.synthetic's arguments, as Question.inputs


def _data(rng: random.Random, n_range: tuple[int, int] = (20, 60)) -> tuple[gd.LinearRegression, tuple]:
    """A seeded synthetic line y = slope·x + intercept + noise on x in [−3, 3], and its inputs by name."""
    n = rng.randint(*n_range)
    slope = rng.choice((-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0))
    intercept = rng.choice((-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0))
    noise, data_seed = rng.choice((0.3, 0.5, 1.0)), rng.randrange(2**31)
    data = gd.synthetic(n=n, slope=slope, intercept=intercept, noise=noise, seed=data_seed)
    inputs = tuple(zip(DATA_INPUTS, (float(n), slope, intercept, noise, float(data_seed)), strict=True))
    return gd.LinearRegression(data.x, data.y), inputs


def _stats(line: gd.LinearRegression) -> dict[str, float]:
    x, y = line.x.numpy(), line.y.numpy()
    return {"mx": x.mean(), "my": y.mean(), "mxx": (x * x).mean(), "mxy": (x * y).mean(), "vx": x.var()}


def w1(seed: int) -> Question:
    """One step from (0, 0): w₁ = −lr·∂MSE/∂w(0, 0) = lr·2·mean(x·y)."""
    rng = rng_for("fitting-a-line", "w1", seed)
    (line, data_inputs), lr = _data(rng), rng.choice((0.05, 0.1, 0.2))
    s = _stats(line)
    run = gd.descend(line, lr=lr, steps=1, start=(0.0, 0.0), device=DEVICE)
    grad, value = float(run.frame["grad_w"].iloc[0]), float(run.frame["w"].iloc[1])
    return Question(
        "fitting-a-line",
        "w1",
        seed,
        prompt=f"{line.n} points with mean(x·y) = {num(s['mxy'])} and mean(y) = {num(s['my'])}. One gradient step "
        f"on the MSE from (w, b) = (0, 0) with lr = {num(lr)}: where does w go?",
        latex=r"\frac{\partial\,\mathrm{MSE}}{\partial w} = \frac{2}{n}\sum_i (w x_i + b - y_i)\,x_i",
        answer=NumberAnswer(value, rel_tol=0.02, abs_tol=0.005),
        reveal=run.frame,
        plot=Plot("step", "w", "step", "w", predict="y", at=1),
        working=f"at (0, 0) ∂MSE/∂w = −2·mean(x·y) = {num(grad)}, so w₁ = 0 − {num(lr)} × {par(grad)} = {num(value)}",
        inputs=(*data_inputs, ("lr", lr)),
    )


def _view(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square-ish box around the given (w, b) points, padded by a third of the span."""
    low, high = points.min(0), points.max(0)
    pad = np.maximum((high - low) / 3, 0.5)
    return (float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))


def _grid(line: gd.LinearRegression, view) -> pd.DataFrame:
    """Cells of the clickable (w, b) map: centre, corners and loss (gd.loss_surface)."""
    cells = gd.loss_surface(line, view, resolution=GRID, device=DEVICE)
    (wlo, whi), (blo, bhi) = view
    dw, db = (whi - wlo) / (GRID - 1), (bhi - blo) / (GRID - 1)
    return cells.assign(
        w_lo=cells["w"] - dw / 2, w_hi=cells["w"] + dw / 2, b_lo=cells["b"] - db / 2, b_hi=cells["b"] + db / 2
    )


def click20(seed: int) -> Question:
    """Where plain descent is after 20 steps on the (w, b) surface: a click, scored by distance."""
    rng = rng_for("fitting-a-line", "click20", seed)
    line, data_inputs = _data(rng)
    fraction = rng.choice((0.04, 0.06, 0.1, 0.15))
    lr = float(f"{gd.critical_lr(line, device=DEVICE) * fraction:.2g}")
    optimum = np.array(line.least_squares())
    start = (float(round(optimum[0] + rng.choice((-3, -2, 2, 3)))), float(round(optimum[1] + rng.choice((-3, 3)))))
    run = gd.descend(line, lr=lr, steps=20, start=start, device=DEVICE)
    end = run.frame[["w", "b"]].iloc[-1].to_numpy()
    view = _view(np.array([start, optimum, end]))
    radius = max(0.2 * float(np.hypot(*(end - np.array(start)))), 0.04 * math.hypot(*(np.diff(view).ravel())))
    frame = run.frame.assign(series="descent")
    return Question(
        "fitting-a-line",
        "click20",
        seed,
        prompt=f"Plain gradient descent on the MSE starts at (w, b) = ({num(start[0])}, {num(start[1])}) with "
        f"lr = {num(lr)}; the least-squares optimum is the cross. Click where descent will be after 20 steps "
        "(or type w and b).",
        answer=PointAnswer(float(end[0]), float(end[1]), radius),
        reveal=frame,
        plot=Plot("w", "b", "slope w", "bias b", predict="point", path=True),
        working=f"the run reaches ({num(end[0])}, {num(end[1])}) at step 20, on its way to the optimum "
        f"({num(optimum[0])}, {num(optimum[1])}); the steep direction is crossed first, the shallow one slowly",
        ask=_grid(line, view),
        landmarks=(("start", *start), ("optimum", float(optimum[0]), float(optimum[1]))),
        inputs=(*data_inputs, ("lr", lr), ("w0", start[0]), ("b0", start[1])),
    )


def wstar(seed: int) -> Question:
    """Where w ends up: the least-squares slope cov(x, y)/var(x), reached by a long stable gd.descend."""
    rng = rng_for("fitting-a-line", "wstar", seed)
    line, data_inputs = _data(rng)
    s = _stats(line)
    cov = s["mxy"] - s["mx"] * s["my"]
    lr = 0.5 * gd.critical_lr(line, device=DEVICE)
    run = gd.descend(line, lr=lr, steps=600, start=(0.0, 0.0), device=DEVICE)
    value = float(run.frame["w"].iloc[-1])
    shown = run.frame[run.frame["step"] <= 60]
    return Question(
        "fitting-a-line",
        "wstar",
        seed,
        prompt=f"{line.n} points with mean(x) = {num(s['mx'])}, mean(y) = {num(s['my'])}, var(x) = {num(s['vx'])} and "
        f"cov(x, y) = {num(cov)}. Descent with a stable lr runs until it stops moving: what slope w does it end at?",
        answer=NumberAnswer(value, rel_tol=0.02, abs_tol=0.01),
        reveal=shown,
        plot=Plot("step", "w", "step", "w", predict="y"),
        working=f"descent stops where the gradient is zero, the least-squares line: w* = cov(x, y)/var(x) = "
        f"{num(cov)}/{num(s['vx'])} = {num(value)}",
        inputs=data_inputs,
    )


# --- Minibatches ---------------------------------------------------------------------------------------------------


def which_path(seed: int) -> Question:
    """Two paths from the same start, one full-batch and one with minibatches: which is which."""
    rng = rng_for("minibatches", "which-path", seed)
    line, data_inputs = _data(rng, (40, 100))
    batch = rng.choice((2, 4, 8))
    lr = 0.3 * gd.critical_lr(line, device=DEVICE)
    optimum = np.array(line.least_squares())
    start = (float(round(optimum[0] + rng.choice((-3, 3)))), float(round(optimum[1] + rng.choice((-3, 3)))))
    full = gd.descend(line, lr=lr, steps=30, start=start, device=DEVICE).frame
    mini = gd.descend(line, lr=lr, steps=30, start=start, batch_size=batch, seed=seed, device=DEVICE).frame
    mini_label = rng.choice(("A", "B"))
    full_label = "B" if mini_label == "A" else "A"
    frame = pd.concat([mini.assign(option=mini_label), full.assign(option=full_label)], ignore_index=True)
    frame = frame[["option", "step", "w", "b", "loss"]]
    return Question(
        "minibatches",
        "which-path",
        seed,
        prompt=f"Both paths start at ({num(start[0])}, {num(start[1])}) with the same lr = {num(lr)} on the same "
        f"{line.n} points. One uses every point in each step; the other a random batch of {batch}. "
        "Which path is the minibatch one?",
        answer=ChoiceAnswer(("A", "B"), frozenset([mini_label])),
        reveal=frame,
        plot=Plot("w", "b", "slope w", "bias b", predict="series", series="option", path=True),
        working=f"path {mini_label} is the minibatch one: each batch of {batch} has its own gradient, so its steps "
        f"wobble around the full-batch path {full_label}, which heads straight down the valley",
        ask=frame,
        landmarks=(("start", *start), ("optimum", float(optimum[0]), float(optimum[1]))),
        inputs=(*data_inputs, ("lr", lr), ("batch", float(batch)), ("w0", start[0]), ("b0", start[1])),
    )


def epoch_steps(seed: int) -> Question:
    """Steps in E epochs with batch B on n points: E·ceil(n/B), counted on a gd.descend minibatch run."""
    rng = rng_for("minibatches", "epoch-steps", seed)
    n = rng.randint(50, 500)
    batch, epochs = rng.choice([b for b in (8, 16, 32, 50, 64, 100) if b < n]), rng.randint(1, 5)
    data = gd.synthetic(n=n, seed=seed % 2**31)
    line = gd.LinearRegression(data.x, data.y)
    per_epoch = gd.steps_per_epoch(n, batch)
    run = gd.descend(
        line, lr=0.05, steps=epochs * per_epoch + 1, start=(0.0, 0.0), batch_size=batch, seed=seed, device=DEVICE
    )
    value = int((run.frame["epoch"] < epochs).sum())  # the steps whose batch belongs to the first E epochs
    frame = run.frame.assign(epoch_label=run.frame["epoch"].map(lambda e: f"epoch {e + 1}"))
    return Question(
        "minibatches",
        "epoch-steps",
        seed,
        prompt=f"{n} points, batches of B = {batch}, each epoch one pass over every point. How many steps "
        f"(iterations) are {epochs} epoch{'s' if epochs > 1 else ''}?",
        answer=NumberAnswer(float(value), rel_tol=0.0),
        reveal=frame,
        plot=Plot("step", "loss", "step", "full-data loss", predict="x", series="epoch_label", answer_x=float(value)),
        working=f"one epoch is ceil({n}/{batch}) = {per_epoch} steps (the last batch takes the remainder), so "
        f"{epochs} × {per_epoch} = {value}",
        unit="steps",
        inputs=(("n", float(n)), ("batch", float(batch)), ("epochs", float(epochs))),
    )


def last_batch(seed: int) -> Question:
    """Points in the last batch of an epoch: n − (ceil(n/B) − 1)·B, counted from gd.batch_membership."""
    rng = rng_for("minibatches", "last-batch", seed)
    n, batch = rng.randint(20, 300), rng.choice((6, 8, 12, 16, 25, 32, 64))
    per_epoch = gd.steps_per_epoch(n, batch)
    members = gd.batch_membership(n, batch, per_epoch, seed)
    sizes = members.groupby("step").size().rename("points").reset_index()
    value = int(sizes["points"].iloc[-1])
    return Question(
        "minibatches",
        "last-batch",
        seed,
        prompt=f"One epoch over {n} points in batches of B = {batch}, drawn without replacement. "
        "How many points are in the last batch of the epoch?",
        answer=NumberAnswer(float(value), rel_tol=0.0),
        reveal=sizes,
        plot=Plot(
            "step", "points", "batch (step) in the epoch", "points in the batch", predict="y", at=float(per_epoch - 1)
        ),
        working=f"{per_epoch - 1} full batches hold {(per_epoch - 1) * batch} points, which leaves "
        f"{n} − {(per_epoch - 1) * batch} = {value} for the last one",
        unit="points",
        inputs=(("n", float(n)), ("batch", float(batch))),
    )


# --- The learning rate ---------------------------------------------------------------------------------------------


def _hessian_latex(line: gd.LinearRegression) -> str:
    h = gd.hessian(line, (0.0, 0.0), device=DEVICE).numpy()
    rows = r" \\ ".join(" & ".join(f"{v:.4g}" for v in row) for row in h)
    return r"H = \frac{2}{n}X^\top X = \begin{pmatrix}" + rows + r"\end{pmatrix}"


def largest_lr(seed: int) -> Question:
    """Mark the largest lr that still converges on the sweep: 2/λmax, λmax of the MSE Hessian (2/n)·XᵀX."""
    rng = rng_for("learning-rate", "largest-lr", seed)
    line, data_inputs = _data(rng)
    value = gd.critical_lr(line, device=DEVICE)
    lrs = np.geomspace(value / 8, value * 4, 64)
    start = tuple(float(v) + 2.0 for v in line.least_squares())
    runs = gd.sweep(line, lrs=lrs, steps=100, start=start, device=DEVICE)
    summary = runs.summary
    start_loss = float(runs.frame["loss"].iloc[0])
    converged = summary["diverged_at"].isna() & (summary["final_loss"] < start_loss)
    optimum = np.array(line.least_squares())
    distance = np.hypot(summary["final_w"] - optimum[0], summary["final_b"] - optimum[1]).clip(lower=LOSS_FLOOR)
    frame = pd.DataFrame({"lr": summary["lr"], "distance": distance})
    frame = frame[converged.to_numpy()].reset_index(drop=True)
    trace = float(np.trace(gd.hessian(line, (0.0, 0.0), device=DEVICE).numpy()))
    return Question(
        "learning-rate",
        "largest-lr",
        seed,
        prompt=f"Descent on the MSE of {line.n} points, whose Hessian is H (below). On the learning-rate axis, mark "
        "the largest lr that still converges (or type it).",
        latex=_hessian_latex(line),
        answer=NumberAnswer(value, rel_tol=0.1),
        reveal=frame,
        plot=Plot(
            "lr",
            "distance",
            "learning rate (log)",
            "distance to optimum, 100 steps",
            predict="x",
            log_x=True,
            log_y=True,
            answer_x=value,
        ),
        working=f"λmax of H is {num(2 / value)} (tr H = {num(trace)}), so the critical lr is 2/λmax = {num(value)}; "
        "the runs right of it are missing from the sweep because they diverged",
        ask=pd.DataFrame({"lr": np.geomspace(value / 8, value * 4, 120)}),
        inputs=data_inputs,
    )


REGIMES = ("creeps in steadily from one side", "overshoots, but converges", "diverges")
RATIOS = (0.3, 0.5, 0.8, 1.25, 1.5, 1.8, 2.3, 2.8)  # lr·λmax, away from the borders 1 and 2


def regime(seed: int) -> Question:
    """Which regime an lr is in, read off the run: the error along H's top eigenvector flips sign, or grows."""
    rng = rng_for("learning-rate", "regime", seed)
    line, data_inputs = _data(rng)
    h = gd.hessian(line, (0.0, 0.0), device=DEVICE).numpy()
    eigenvalues, vectors = np.linalg.eigh(h)
    top = vectors[:, -1]
    lr = float(f"{rng.choice(RATIOS) / eigenvalues[-1]:.3g}")
    optimum = np.array(line.least_squares())
    start = tuple(float(v) for v in optimum + 2.0 * top + 1.0 * vectors[:, 0])
    run = gd.descend(line, lr=lr, steps=40, start=start, device=DEVICE).frame
    along = (run[["w", "b"]].to_numpy() - optimum) @ top  # (steps + 1,)
    grew = len(run) < 41 or abs(along[-1]) > abs(along[0])
    flipped = bool((np.diff(np.sign(along[np.abs(along) > 1e-12])) != 0).any())
    label = REGIMES[2] if grew else REGIMES[1] if flipped else REGIMES[0]
    frame = run.assign(along=along)
    return Question(
        "learning-rate",
        "regime",
        seed,
        prompt=f"Descent on the MSE of {line.n} points, whose Hessian is H (below), with lr = {num(lr)}. "
        "What does the run do?",
        latex=_hessian_latex(line),
        answer=ChoiceAnswer(REGIMES, frozenset([label])),
        reveal=frame,
        plot=Plot("step", "along", "step", "error along the steepest direction", predict="series"),
        working=f"λmax = {num(eigenvalues[-1])}, so lr·λmax = {num(lr * eigenvalues[-1])}: below 1 descent creeps in, "
        "between 1 and 2 it overshoots each step but shrinks, above 2 each step grows the error; this run " + label,
        inputs=(*data_inputs, ("lr", lr)),
    )
