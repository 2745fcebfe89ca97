"""Learning rate's prediction charts: measured contraction against the predicted rule, and the eigen-path."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from charts.kit import Concat, Layer, finite_rows, hconcat, layer, with_params
from lessons.learning_rate.charts import RUN_COLOURS, in_window, run_labels

__all__ = ["contraction_chart", "eigen_chart", "run_labels"]
MAX_RATIO = 3.0  # the ratio axis stops here: a run at 10/L multiplies its distance by 9, off the useful scale


def _colour(labels: dict[float, str]) -> alt.Color:
    scale = alt.Scale(domain=list(labels.values()), range=RUN_COLOURS[: len(labels)])
    return alt.Color("label:N", scale=scale, title="learning rate", legend=alt.Legend(orient="bottom", columns=3))


def _step_axis(last_step: int) -> alt.X:
    return alt.X("step:Q", title="step", scale=alt.Scale(domain=[0, max(int(last_step), 1)], nice=False))


def contraction_chart(
    steps: pd.DataFrame, labels: dict[float, str], step: alt.Parameter, last_step: int, width=700, height=260
) -> Layer:
    """Measured ‖θ_k − θ*‖/‖θ_{k−1} − θ*‖ against step per run (dots up to the slider), predicted ρ as a dashed rule."""
    data = finite_rows(steps[["run", "lr", "step", "measured", "predicted"]].dropna())
    data = data.assign(label=data["lr"].map(labels), shown=data["measured"].clip(upper=MAX_RATIO))
    rules = data.groupby("run", as_index=False).agg(
        lr=("lr", "first"), label=("label", "first"), rho=("predicted", "last")
    )
    top = float(min(max(1.1, 1.05 * max(rules["rho"].max(), data["shown"].max())), MAX_RATIO)) if len(data) else 1.1
    y = alt.Y("shown:Q", title="‖θₖ − θ*‖ / ‖θₖ₋₁ − θ*‖", scale=alt.Scale(domain=[0, top], nice=False))
    colour, x = _colour(labels), _step_axis(last_step)
    tips = [
        alt.Tooltip("label:N"),
        alt.Tooltip("step:Q"),
        alt.Tooltip("measured:Q", format=".6~g"),
        alt.Tooltip("predicted:Q", format=".6~g"),
    ]
    base = alt.Chart(data).encode(x=x, y=y, color=colour, tooltip=tips)
    dots = base.mark_circle(size=16, opacity=1, clip=True).transform_filter(alt.datum.step <= step)
    rule = (
        alt.Chart(rules.assign(rho_shown=rules["rho"].clip(upper=MAX_RATIO)))
        .mark_rule(strokeDash=[6, 3], strokeWidth=1.5)
        .encode(
            y=alt.Y("rho_shown:Q", scale=alt.Scale(domain=[0, top], nice=False)),
            color=colour,
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("rho:Q", title="predicted ρ", format=".6~g")],
        )
    )
    title = "Contraction per step: measured (dots) and predicted max|1 − lr·λ| (dashed)"
    autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    chart = layer(rule, dots, width=width, height=height, title=title, autosize=autosize)  # kit's: no copies
    return with_params(chart, step)


def eigen_chart(
    eigen: pd.DataFrame, labels: dict[float, str], step: alt.Parameter, last_step: int, width=340, height=240
) -> Concat:
    """The coordinates along the slow (λmin) and fast (λmax) eigenvectors against step: dots measured, faint line
    predicted c(0)·Π(1 − lr·λ); each panel's window is ±1.25 of its largest starting |c|, runs cut at its edge."""
    data = eigen.assign(label=eigen["lr"].map(labels))
    panels = []
    for direction in ("slow", "fast"):
        part = finite_rows(data[data["direction"] == direction])
        radius = 1.25 * float(np.abs(part.loc[part["step"] == 0, "coordinate"]).max() or 1.0) if len(part) else 1.0
        window = (-radius, radius)
        shown = in_window(in_window(part, window, "coordinate"), window, "predicted")
        scale = alt.Scale(domain=list(window), nice=False)
        y = alt.Y("coordinate:Q", title=f"{direction} coordinate", scale=scale)
        tips = [
            alt.Tooltip("label:N"),  # channel objects, not shorthand strings: see bench/README.md
            alt.Tooltip("step:Q"),
            alt.Tooltip("coordinate:Q", format=".6~g"),
            alt.Tooltip("predicted:Q", format=".6~g"),
        ]
        base = alt.Chart(shown).encode(x=_step_axis(last_step), color=_colour(labels), tooltip=tips)
        predicted = alt.Y("predicted:Q", scale=scale, title=f"{direction} coordinate")
        line = base.mark_line(strokeWidth=1, opacity=0.35, clip=True).encode(y=predicted)
        dots = base.mark_circle(size=14, opacity=1, clip=True).encode(y=y)
        lam = float(part["eigenvalue"].iloc[0]) if len(part) else float("nan")
        title = f"{direction} direction (λ = {lam:.4g})" if np.isfinite(lam) else f"{direction} direction"
        shown_up_to_step = [
            line.transform_filter(alt.datum.step <= step),
            dots.transform_filter(alt.datum.step <= step),
        ]
        panels.append(layer(*shown_up_to_step, width=width, height=height, title=title))
    pad = alt.AutoSizeParams(type="pad", contains="padding")
    return with_params(hconcat(*panels, autosize=pad), step)  # charts.kit's: no deep copies
