"""What the curvature predicts: κ, the best fixed rate, the contraction per step, and the path in eigen-coordinates.

Near a minimum θ*, f(θ) ≈ f(θ*) + ½ (θ − θ*)ᵀ H (θ − θ*), so gradient descent multiplies the component of θ − θ*
along the eigenvector of λ_i by (1 − lr·λ_i) each step (exactly, for a quadratic). Hence:
- the distance to θ* shrinks by at most ρ(lr) = max_i |1 − lr·λ_i| per step, and by exactly that in the long run;
- ρ is smallest at lr = 2/(λmin + λmax), where ρ = (κ − 1)/(κ + 1) with κ = λmax/λmin;
- for a line fit, centring x makes H diagonal (x̄ = 0), which changes κ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from gd_core.descent import Trajectory
from gd_core.problems import LinearRegression, Problem
from gd_core.stability import hessian, quadratic_fit


@dataclass(frozen=True)
class Curvature:
    """The Hessian's spectrum at a point: λ_i ascending and their unit eigenvectors (eigenvectors[i] ↔ λ_i)."""

    at: tuple[float, ...]
    eigenvalues: tuple[float, ...]
    eigenvectors: tuple[tuple[float, ...], ...]

    @property
    def lambda_min(self) -> float:
        """The smallest eigenvalue: the slowest direction."""
        return self.eigenvalues[0]

    @property
    def lambda_max(self) -> float:
        """The largest eigenvalue L: the fastest direction, and the one that diverges first."""
        return self.eigenvalues[-1]

    @property
    def positive_definite(self) -> bool:
        """True when every λ_i > 0 (a strict local minimum)."""
        return self.lambda_min > 0 and math.isfinite(self.lambda_max)

    @property
    def condition_number(self) -> float:
        """κ = λmax/λmin (1 for a round bowl); inf unless the Hessian is positive definite."""
        return self.lambda_max / self.lambda_min if self.positive_definite else math.inf

    @property
    def best_lr(self) -> float:
        """The fixed rate with the fastest worst-case contraction: 2/(λmin + λmax); nan unless positive definite."""
        return 2.0 / (self.lambda_min + self.lambda_max) if self.positive_definite else math.nan

    @property
    def best_contraction(self) -> float:
        """ρ at the best rate: (κ − 1)/(κ + 1)."""
        kappa = self.condition_number
        return (kappa - 1) / (kappa + 1) if math.isfinite(kappa) else math.nan

    def contraction(self, lr: float) -> float:
        """ρ(lr) = max_i |1 − lr·λ_i|: the factor by which ‖θ − θ*‖ shrinks per step in the long run."""
        return max(abs(1.0 - lr * value) for value in self.eigenvalues)


def _default_point(problem: Problem, device: str) -> tuple[float, ...]:
    minima = getattr(problem, "minima", ())
    return tuple(minima[0]) if minima else quadratic_fit(problem, device).optimum


def curvature(problem: Problem, at=None, device: str = "auto") -> Curvature:
    """Eigenvalues and eigenvectors of H = ∇²f at `at` (default: the problem's first known minimum, else the
    quadratic fit's θ*). Exact everywhere for quadratics (seed loss, MSE line, ill-conditioned bowl, saddle)."""
    point = _default_point(problem, device) if at is None else tuple(np.atleast_1d(np.asarray(at, dtype=float)))
    h = hessian(problem, point, device).cpu().to(torch.float64)
    values, vectors = torch.linalg.eigh((h + h.T) / 2)  # ascending; columns are the eigenvectors
    signs = torch.sign(vectors.gather(0, vectors.abs().argmax(0, keepdim=True)))  # largest entry positive
    vectors = vectors * torch.where(signs == 0, 1.0, signs)
    return Curvature(
        tuple(float(p) for p in point), tuple(values.tolist()), tuple(tuple(v) for v in vectors.T.tolist())
    )


def _step_rates(frame: pd.DataFrame) -> np.ndarray:
    """The rate of the update leaving each row's step: lr_step with a schedule, else lr."""
    return frame["lr_step" if "lr_step" in frame else "lr"].to_numpy(dtype=float)


def _displacement(trajectory: Trajectory, optimum) -> np.ndarray:
    """θ_k − θ* for every row of the frame, (rows, P)."""
    theta = trajectory.frame[list(trajectory.param_names)].to_numpy(dtype=float)
    return theta - np.asarray(optimum, dtype=float)


def contraction_table(trajectory: Trajectory, curv: Curvature, optimum=None) -> pd.DataFrame:
    """Measured against predicted, one row per run and step: distance ‖θ_k − θ*‖, measured ‖θ_k − θ*‖/‖θ_{k−1} − θ*‖
    (NaN at step 0, or once the distance is 0) and predicted max_i |1 − lr_{k−1}·λ_i|.

    optimum: θ*, by default the point the curvature was taken at (curvature() takes the minimum by default).
    The measured ratio tends to the predicted one once the direction of the largest |1 − lr·λ_i| dominates.
    """
    optimum = curv.at if optimum is None else optimum
    frame = trajectory.frame
    distance = np.linalg.norm(_displacement(trajectory, optimum), axis=1)
    first = (frame["step"] == 0).to_numpy()
    previous = np.roll(distance, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = np.where(first | (previous == 0), np.nan, distance / previous)
    rates = np.roll(_step_rates(frame), 1)  # the update into step k used the rate recorded at step k − 1
    eigenvalues = np.asarray(curv.eigenvalues)
    predicted = np.abs(1 - rates[:, None] * eigenvalues[None, :]).max(1)
    return pd.DataFrame(
        {
            "run": frame["run"].to_numpy(),
            "lr": frame["lr"].to_numpy(),
            "step": frame["step"].to_numpy(),
            "distance": distance,
            "measured": measured,
            "predicted": np.where(first, np.nan, predicted),
        }
    )


def direction_names(count: int) -> tuple[str, ...]:
    """Names of the eigen-directions, smallest λ first: ('slow', 'fast') in 2-D."""
    return {1: ("slow",), 2: ("slow", "fast")}.get(count, tuple(f"λ{i + 1}" for i in range(count)))


def eigen_path(trajectory: Trajectory, curv: Curvature, optimum=None) -> pd.DataFrame:
    """The path in the Hessian's eigen-coordinates, one row per run, step and direction: c_i = v_iᵀ(θ_k − θ*),
    and the prediction c_i(k) = c_i(0)·Π_{j<k} (1 − lr_j·λ_i) (exact for a quadratic's gradient descent).

    Columns: run, lr, step, direction ('slow' = λmin, 'fast' = λmax), eigenvalue, coordinate, predicted.
    """
    optimum = curv.at if optimum is None else optimum
    frame = trajectory.frame
    vectors = np.asarray(curv.eigenvectors)  # (P, P): row i is v_i
    coordinates = _displacement(trajectory, optimum) @ vectors.T  # (rows, P)
    eigenvalues = np.asarray(curv.eigenvalues)
    runs, first = frame["run"].to_numpy(), (frame["step"] == 0).to_numpy()
    factors = 1 - np.roll(_step_rates(frame), 1)[:, None] * eigenvalues[None, :]  # (rows, P), into step k
    factors[first] = 1.0
    predicted = np.empty_like(coordinates)
    for run in np.unique(runs):  # rows of a run are consecutive steps (Trajectory.frame's order)
        rows = runs == run
        predicted[rows] = coordinates[rows][0] * np.cumprod(factors[rows], axis=0)
    names, count = direction_names(len(eigenvalues)), len(frame)
    return pd.DataFrame(
        {
            "run": np.tile(runs, len(names)),
            "lr": np.tile(frame["lr"].to_numpy(), len(names)),
            "step": np.tile(frame["step"].to_numpy(), len(names)),
            "direction": np.repeat(names, count),
            "eigenvalue": np.repeat(eigenvalues, count),
            "coordinate": coordinates.T.reshape(-1),
            "predicted": predicted.T.reshape(-1),
        }
    )


@dataclass(frozen=True, eq=False)
class Centring:
    """The line fit before and after centring x (x ← x − x̄): H becomes 2·diag(var_x, 1), so κ changes.

    The centred problem has the same slope w*; its intercept is b*_centred = b* + w*·x̄ (the mean of y).
    """

    kappa_before: float
    kappa_after: float
    mean_x: float
    before: Curvature
    after: Curvature
    centred: LinearRegression


def centring(problem: LinearRegression, device: str = "auto") -> Centring:
    """κ of H = (2/n)·XᵀX (X = [x, 1]) before and after centring x, and the centred problem."""
    mean_x = float(problem.x.double().mean())
    centred = LinearRegression(problem.x - problem.x.mean(), problem.y)
    before, after = curvature(problem, device=device), curvature(centred, device=device)
    return Centring(before.condition_number, after.condition_number, mean_x, before, after, centred)
