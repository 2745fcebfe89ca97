"""Learning rate: what the curvature predicts, beside what the runs measure (issue 14).

ρ(lr) = max_i |1 − lr·λ_i| against the measured ‖θ_{k+1} − θ*‖/‖θ_k − θ*‖, κ = λmax/λmin and the best fixed rate
2/(λmin + λmax), the path in the Hessian's eigen-coordinates, and κ before → after centring x (the line).
The numbers come from gd_core.curvature; this module only caches them and lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import gd_core as gd
from charts.kit import step_slider, thin, thinning_stride
from lessons.learning_rate import prediction_charts as pc
from lessons.learning_rate.controls import ProblemChoice
from ui import screen
from ui.cache import cached, chart_spec

RELATIVE_FLOOR = 1e-9  # below this fraction of the first distance a ratio is rounding noise, not contraction
LATE_STEPS = 5  # the measured contraction: the geometric mean of a run's last ratios above the floor


@dataclass(frozen=True)
class Predictions:
    """The spectrum at θ*, measured against predicted per step, per run, and (line) the eigen-path and centring."""

    curvature: gd.Curvature
    steps: pd.DataFrame  # gd.contraction_table: run, lr, step, distance, measured, predicted
    runs: pd.DataFrame  # one row per run: run, lr, predicted, measured
    eigen: pd.DataFrame | None  # gd.eigen_path (two directions), None for the one-weight seed loss
    kappa_centred: float | None  # κ after centring x (the line), None for the seed loss


def above_floor(steps: pd.DataFrame) -> pd.DataFrame:
    """The rows with a finite measured ratio whose distance is above RELATIVE_FLOOR·d₀ (below it: rounding)."""
    first = steps.groupby("run")["distance"].transform("first")
    return steps[np.isfinite(steps["measured"]) & (steps["distance"] > RELATIVE_FLOOR * first)]


def measured_contraction(steps: pd.DataFrame) -> pd.DataFrame:
    """Per run: the geometric mean of the last LATE_STEPS ratios whose distance is above RELATIVE_FLOOR·d₀
    (NaN when the run lands on θ* at once), beside the predicted ρ of its base rate."""
    late = above_floor(steps).groupby("run").tail(LATE_STEPS)
    measured = np.exp(np.log(late["measured"]).groupby(late["run"]).mean())
    runs = steps.groupby("run", as_index=False).agg(lr=("lr", "first"), predicted=("predicted", "last"))
    runs["measured"] = runs["run"].map(measured)
    return runs


@cached
def predictions(choice: ProblemChoice, start: tuple[float, ...], lrs: tuple[float, ...], steps: int, device: str):
    """The chosen runs (one batched gd.sweep) measured against gd.curvature's predictions."""
    problem = choice.build()
    curv = gd.curvature(problem, device=device)
    trajectory = gd.sweep(problem, lrs=lrs, steps=steps, start=start, device=device)
    table = gd.contraction_table(trajectory, curv)
    eigen, kappa_centred = None, None
    if choice.kind == "line":
        eigen = gd.eigen_path(trajectory, curv)
        kappa_centred = gd.centring(problem, device=device).kappa_after
    return Predictions(curv, table, measured_contraction(table), eigen, kappa_centred)


def with_contraction(table: pd.DataFrame, found: Predictions) -> pd.DataFrame:
    """The page's runs table with the predicted ρ and the measured ratio (matched by lr)."""
    return _with_contraction(table, found.runs)


@cached  # keyed by the two frames' bytes (ui.cache): ~1.5 ms of pandas on every rerun when rebuilt
def _with_contraction(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    by_lr = runs.set_index("lr")
    return table.assign(
        predicted_rho=table["lr"].map(by_lr["predicted"]), measured_rho=table["lr"].map(by_lr["measured"])
    )


TABLE_COLUMNS = ["predicted_rho", "measured_rho"]
COLUMN_CONFIG = {
    "predicted_rho": st.column_config.NumberColumn(
        "predicted ρ = max|1 − lr·λ|", format="%.6g", help="The contraction per step the Hessian predicts."
    ),
    "measured_rho": st.column_config.NumberColumn(
        "measured ‖θₖ₊₁ − θ*‖/‖θₖ − θ*‖",
        format="%.6g",
        help=f"Geometric mean of the run's last {LATE_STEPS} ratios (blank: it landed on θ* at once).",
    ),
}


def curvature_metrics(found: Predictions) -> None:
    """κ, the best fixed rate 2/(λmin + λmax) and its contraction (κ − 1)/(κ + 1), as three metrics."""
    curv = found.curvature
    cols = st.columns(3)
    cols[0].metric("κ = λmax/λmin", f"{curv.condition_number:.4g}", help="The condition number: 1 is a round bowl.")
    cols[1].metric(
        "best fixed lr 2/(λmin+λmax)", f"{curv.best_lr:.4g}", help="The rate with the fastest worst-case contraction."
    )
    cols[2].metric("its ρ = (κ−1)/(κ+1)", f"{curv.best_contraction:.4g}", help="ρ at the best fixed rate.")


# The two charts as finished specs cached by their inputs (ui.cache.chart_spec): building and validating them with
# Altair on every rerun was 75 ms of an identical rerun of the page (cProfile). The slider is made inside, so the
# cache key is plain data; the rows are thinned inside too, so a rerun whose chart did not change filters nothing.
def _contraction_chart(steps_frame: pd.DataFrame, labels: dict, stride: int, steps: int):
    shown = thin(above_floor(steps_frame), stride)
    return pc.contraction_chart(shown, labels, step_slider(steps, stride=stride), steps)


def _eigen_chart(eigen: pd.DataFrame, labels: dict, stride: int, steps: int):
    return pc.eigen_chart(thin(eigen, stride), labels, step_slider(steps, stride=stride), steps)


def prediction_section(found: Predictions, table: pd.DataFrame, steps: int) -> None:
    """The measured-against-predicted chart, and for the line the eigen-path chart and the centring sentence."""
    stride = thinning_stride(steps)
    labels = dict(zip(table["lr"], pc.run_labels(table), strict=True))
    screen.chart(
        chart_spec(_contraction_chart, found.steps, labels, stride, steps),
        "Measured ratio of distances to the minimum per step (dots) and the ratio the Hessian predicts (dashed), "
        "for each chosen learning rate: " + ", ".join(labels.values()),
    )
    st.caption(
        "Each run's measured ratio of distances to θ* per step (dots), and the ratio the Hessian predicts, "
        "max over its eigenvalues of |1 − lr·λ| (dashed, same colour). Where the two directions contract at "
        "different rates the slower one takes over, and the measured ratio settles on the prediction (ratios are "
        "left out once a run is within a billionth of its first distance: there rounding, not descent, sets them)."
    )
    if found.eigen is None:
        return
    screen.chart(
        chart_spec(_eigen_chart, found.eigen, labels, stride, steps),
        "Each run's distance to the minimum along the stiff and the flat eigen-direction, against step",
    )
    curv = found.curvature
    st.caption(
        f"The same runs in the Hessian's eigen-coordinates: along the slow direction (λmin = {curv.lambda_min:.4g}) "
        f"each step multiplies the coordinate by 1 − lr·λmin, along the fast one (λmax = {curv.lambda_max:.4g}) by "
        "1 − lr·λmax; the faint line is that product, the dots are the run."
    )
    st.markdown(
        f"**Centring x** (subtracting its mean) makes the Hessian diagonal and changes κ from "
        f"{curv.condition_number:.4g} to {found.kappa_centred:.4g}, so the best fixed rate then contracts by "
        f"{(found.kappa_centred - 1) / (found.kappa_centred + 1):.4g} per step instead of {curv.best_contraction:.4g}."
    )
