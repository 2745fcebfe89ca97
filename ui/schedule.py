"""The learning-rate schedule control, its cached descent and the lr-per-step panel (line, minibatch, race).

η_k = η·f_k with f_k from gd.Schedule (torch.optim.lr_scheduler's closed forms). Each kind's parameters are
scaled to the run (a decay every quarter, warm-up over the first tenth, exponential down to 1 % by the end),
so one selectbox is the whole control. The panel is its own chart with the shared `step` slider under the loss.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import gd_core as gd
from charts.kit import BLUE, Layer, colour_of, layer, step_slider, thin, thinning_stride, with_params
from ui import screen
from ui.cache import chart_spec
from ui.widgets import remembered

FINAL_FACTOR = 0.01  # exponential decay: the last step's rate as a fraction of the first
RESCUE_MULTIPLE = 1.2  # the rescue scene: a constant rate this many times 2/λmax
RESCUE_NOTE = (
    f"**A schedule can rescue a rate that diverges.** At a constant lr = {RESCUE_MULTIPLE:g} × 2/λmax every step "
    "lands further from the minimum; with **exponential decay** the rate drops below 2/λmax within a few steps, "
    "before the overshoot has grown far, and the same run converges. Try it: set the rate just above the critical "
    "one, then pick exponential decay."
)


def schedule_for(kind: str, steps: int) -> gd.Schedule:
    """The schedule of `kind` with its parameters scaled to a run of `steps` updates."""
    steps = max(int(steps), 1)
    if kind == "step":
        return gd.Schedule("step", step_size=max(steps // 4, 1), gamma=0.5)
    if kind == "exponential":
        return gd.Schedule("exponential", gamma=FINAL_FACTOR ** (1 / steps))
    if kind == "warmup":
        return gd.Schedule("warmup", warmup_steps=max(steps // 10, 1), start_factor=0.1)
    return gd.Schedule(kind)


def schedule_control(key: str) -> str:
    """A selectbox of gd.SCHEDULES (remembered across pages, in the URL as `key`): the kind; see schedule_for."""
    return remembered(
        st.selectbox, "Learning-rate schedule", key=key, default="constant", options=list(gd.SCHEDULES),
        format_func=gd.SCHEDULE_LABELS.get, help="How the rate changes from step to step: η_k = η·f_k.",
    )  # fmt: skip


def scheduled(schedule: gd.Schedule) -> gd.Schedule | None:
    """None for the constant rate (descend's plain path, no lr_step column), else the schedule."""
    return None if schedule.kind == "constant" else schedule


def lr_panel(frame: pd.DataFrame, steps: int, width=700, height=110, by: str | None = None) -> Layer:
    """η_k against step (one line per `by` value, e.g. optimizer), filtered by the shared step slider."""
    stride = thinning_stride(steps)
    columns = ["step", "lr_step", *([by] if by else [])]
    data = thin(frame[[*columns, *(["run"] if "run" in frame else [])]], stride)[columns]
    x = alt.X("step:Q", title="step", scale=alt.Scale(domain=[0, max(int(steps), 1)], nice=False))
    y = alt.Y("lr_step:Q", title="learning rate ηₖ")
    if by:
        names = list(dict.fromkeys(data[by]))
        colour = alt.Color(f"{by}:N", scale=alt.Scale(domain=names, range=[colour_of(n) for n in names]), legend=None)
    else:
        colour = alt.ColorValue(BLUE)
    step = step_slider(steps, stride=stride)
    tips = [alt.Tooltip("step:Q"), alt.Tooltip("lr_step:Q", title="ηₖ", format=".4~g")]  # objects: see kit
    tips += [alt.Tooltip(f"{by}:N")] if by else []
    base = alt.Chart(data).encode(x=x, y=y, color=colour, tooltip=tips)
    line = base.mark_line(strokeWidth=1.5, opacity=0.35)
    done = base.mark_line(strokeWidth=2).transform_filter(alt.datum.step <= step)
    autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    chart = layer(  # charts.kit's: the same spec as alt.layer(...).properties(...), without their copies
        line, done, width=width, height=height, title="Learning rate of each step", autosize=autosize
    )
    return with_params(chart, step)


def schedule_panel(schedule: gd.Schedule, frame: pd.DataFrame, steps: int, by: str | None = None) -> None:
    """The schedule's formula and, unless it is constant, the lr-per-step panel (call it right under the loss)."""
    if schedule.kind == "constant" or "lr_step" not in frame:
        st.caption(RESCUE_NOTE)
        return
    # A finished spec cached by its inputs (ui.cache.chart_spec): no Altair build on a rerun that changed nothing.
    used = [c for c in ("step", "lr_step", by, "run") if c and c in frame]
    screen.chart(chart_spec(lr_panel, frame[used], steps, by=by), f"Learning rate of each step, steps 0 to {steps}")
    st.latex(schedule.latex)
