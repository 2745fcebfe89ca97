"""Minibatches: the noise floor against the batch size B, measured beside its prediction (issue 14).

At a constant rate minibatch descent settles into a band around θ* whose excess loss falls roughly as 1/B
(slope −n/(n − B) on log axes), while each step reads B points. One cached gd.sweep_batch_sizes call measures
the plateau for every B at once; gd.predicted_floor gives the i.i.d.-batch curve.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import gd_core as gd
from charts.kit import BLUE, GREY, VERMILION, Concat, finite_rows, hconcat, layer
from ui import screen
from ui.cache import cached, chart_spec
from ui.numbers import shown_number
from ui.text import plain

STEPS = 500  # updates per run, the same for every B: enough to settle at the page's default rate
MAX_SIZES = 10  # B = 2, 4, … 1024 below n (≤ ~0.3 CPU-s on 5,000 points); B = 1 is past the linear regime


def batch_sizes(n: int) -> tuple[int, ...]:
    """Powers of two from 2 up to below n, at most MAX_SIZES of them (the full batch has no noise, so no floor)."""
    return tuple(2**k for k in range(1, MAX_SIZES + 1) if 2**k < n)


@cached
def noise_floor(data, lr: float, seed: int, device: str) -> gd.BatchSweep:
    """One batched sweep of the plateau over batch_sizes(n) at a constant lr (STEPS updates each)."""
    problem = gd.LinearRegression(data.dataset.x, data.dataset.y)
    return gd.sweep_batch_sizes(problem, batch_sizes(data.dataset.n), lr=lr, steps=STEPS, seeds=seed, device=device)


def floor_chart(floor: pd.DataFrame, width=330, height=260) -> Concat:
    """Plateau f − f* against B (log–log): measured dots, the predicted curve; beside it the points read per step."""
    data = finite_rows(floor.loc[floor["plateau"] > 0, ["batch_size", "plateau", "points_per_step"]])
    curve = finite_rows(floor.loc[floor["predicted"] > 0, ["batch_size", "predicted"]])  # nan at lr ≥ 2/λmax
    x = alt.X("batch_size:Q", title="batch size B (log scale)", scale=alt.Scale(type="log"), axis=alt.Axis(format="~g"))
    y_title = "plateau f(θ) − f(θ*) (log scale)"
    y = alt.Y("plateau:Q", title=y_title, scale=alt.Scale(type="log"))
    tips = [
        alt.Tooltip("batch_size:Q"),
        alt.Tooltip("plateau:Q", format=".4~g"),
        alt.Tooltip("predicted:Q", format=".4~g"),
    ]
    measured = alt.Chart(data).mark_circle(size=60, opacity=1, color=VERMILION).encode(x=x, y=y, tooltip=tips[:2])
    predicted = (
        alt.Chart(curve)
        .mark_line(strokeDash=[6, 3], color=GREY)
        .encode(x=x, y=alt.Y("predicted:Q", scale=alt.Scale(type="log"), title=y_title), tooltip=[tips[0], tips[2]])
    )
    left = layer(  # charts.kit's: the same spec as alt.layer(...).properties(...), without their copies
        predicted, measured, width=width, height=height, title="Noise floor: measured (dots), predicted (dashed)"
    )
    cost = (
        alt.Chart(data)
        .mark_line(point=True, color=BLUE)
        .encode(
            x=x,
            y=alt.Y("points_per_step:Q", title="points read per step (log scale)", scale=alt.Scale(type="log")),
            tooltip=[alt.Tooltip("batch_size:Q"), alt.Tooltip("points_per_step:Q", format=".4~g")],
        )
        .properties(width=width, height=height, title="Cost: points read per step")
    )
    return hconcat(
        left, cost, autosize=alt.AutoSizeParams(type="pad", contains="padding")
    )  # charts.kit's: no deep copies


def noise_floor_section(data, lr: float, seed: int, device: str) -> None:
    """The section: the chart, the measured slope beside the predicted one, in one sentence."""
    st.subheader("The noise floor against the batch size")
    if not batch_sizes(data.dataset.n):
        st.info("With so few points there is no batch smaller than the data to compare.")
        return
    try:
        sweep = noise_floor(data, lr, seed, device)
    except ValueError as error:
        st.info(f"No noise-floor sweep for these settings: {plain(error, 300)}")
        return
    screen.chart(
        chart_spec(floor_chart, sweep.floor),  # a finished spec, built once per sweep
        "Noise floor against batch size, measured (dots) and predicted (dashed), beside the points read per step",
    )
    small = sweep.floor
    slope, first, last = (shown_number(v, 3) for v in (sweep.slope, *small["predicted_slope"].iloc[[0, -1]]))
    st.caption(
        f"At lr = {lr:g}, {STEPS} steps per batch size (one batched sweep): the plateau is the mean excess loss over "
        f"each run's last half. Measured slope of log plateau against log B: **{slope}**; predicted −n/(n − B), "
        f"from {first} at B = {int(small['batch_size'].iloc[0])} to {last} at B = {int(small['batch_size'].iloc[-1])}. "
        f"Each step reads B of the {sweep.n:,} points: halving the noise costs twice the points per step."
    )
