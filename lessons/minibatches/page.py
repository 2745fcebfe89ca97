"""3 · Minibatches: the same line fit, each step on a random batch of the points."""

import functools

import pandas as pd
import streamlit as st

import gd_core as gd
from charts.kit import read_description
from export.scene import RunSpec, SceneSpec
from gd_core.budget import affordable_steps, check_descent
from lessons import lesson
from lessons.minibatches import charts
from lessons.minibatches.noise_floor import noise_floor_section
from ui import data_controls as dc
from ui import lecture, screen, settings
from ui import schedule as sc
from ui.cache import chart_spec, live_description
from ui.exports import scene_exports, scene_link
from ui.player import player
from ui.practice import practice_section
from ui.widgets import bound, remembered

LESSON = lesson("minibatches")

s = settings.current()
st.title("3 · Minibatches")
st.markdown(
    "A full gradient reads **every** point before each step. A **minibatch** step reads only a random batch of "
    "*B* points: each step is *n/B* times cheaper, and its gradient is a noisy estimate of the full one. "
    "Each epoch shuffles the points and deals them out in batches, so one **epoch** (one pass over the data) "
    "is ⌈n/B⌉ **iterations** (steps)."
)

data, lr, descent_box = dc.data_and_rate(LESSON.control("lr"), s.device)
with descent_box:
    left, right = st.columns(2)
    batch_size = remembered(
        left.number_input, "Batch size B", key=LESSON.control("batch"), default=10, min_value=1, max_value=1_000_000
    )
    epochs = remembered(right.slider, "Epochs", key=LESSON.control("epochs"), default=5, min_value=1, max_value=50)
    schedule_kind = sc.schedule_control(LESSON.control("schedule"))
    if data is not None and batch_size > data.dataset.n:
        st.caption(f"ℹ️ B = {batch_size:,} is more than the {data.dataset.n:,} points: using B = n (full batch).")
        batch_size = data.dataset.n

if data is None:
    st.info("Fix the data above to continue: the lesson picks up as soon as there is a line to fit.", icon="ℹ️")
    st.stop()

n = data.dataset.n
per_epoch = gd.steps_per_epoch(n, batch_size)
steps = epochs * per_epoch
batched = batch_size if batch_size < n else None
try:  # the page's work budget (ui.data_controls.PAGE_BUDGET): over it, say so and let the visitor choose
    check_descent(dc.PAGE_BUDGET, steps=min(steps, gd.MAX_STEPS + 1), n=n, batch_size=batched)
except gd.BudgetError as error:
    affordable = affordable_steps(dc.PAGE_BUDGET, n=n, batch_size=batched)
    affordable = affordable if affordable < per_epoch else affordable - affordable % per_epoch  # whole epochs
    st.warning(f"{epochs} epochs of {per_epoch:,} steps on {n:,} points: {error}.", icon="⏱️")
    if affordable < 1:
        st.stop()
    shorter = bound(
        st.toggle, f"Run the first {affordable:,} steps ({affordable / per_epoch:.3g} epochs) instead",
        key=LESSON.control("within_budget"), value=False,
    )  # fmt: skip
    if not shorter:
        st.stop()
    steps, epochs = affordable, affordable / per_epoch
schedule = sc.schedule_for(schedule_kind, steps)
try:
    full, full_summary = dc.descent(data, lr=lr, steps=steps, device=s.device, schedule=sc.scheduled(schedule))
    mini, mini_summary = dc.descent(
        data, lr=lr, steps=steps, batch_size=batch_size, seed=s.seed, device=s.device, schedule=sc.scheduled(schedule)
    )
except ValueError as error:
    dc.show_error(error)
    st.stop()
best = dc.least_squares(data)
mini, shown, listed, points, ranges, table, spread = charts.derived(full, mini, per_epoch, n, batch_size, best.optimum)
membership = dc.batch_membership(data, batch_size, steps + 1, s.seed, points, tuple(shown))
surface = dc.surface(data, ranges, 50, s.device)
names = data.dataset.x_name, data.dataset.y_name
chart = chart_spec(
    charts.minibatch_chart,
    data.frame, full, mini, membership, surface, best.optimum, best.min_loss, lr, *names, listed_rows=listed,
    future=not lecture.hide_future(),
)  # fmt: skip
described = live_description("Minibatch descent: the line, (w, b) on the MSE surface, the loss and the step taken",
                             mini, {"w": "w", "b": "b", "loss": "MSE"})  # fmt: skip
player(LESSON.control("player"), describe=described)
screen.chart(chart, read_description(described))
sc.schedule_panel(schedule, mini, steps)
st.caption(
    f"Drag **step** under the chart ({data.label}). Blue: full-batch descent; vermilion: minibatch descent with "
    f"B = {batch_size:,}, both with lr = {lr:g} and the same {steps:,} steps from (0, 0). Lower right: the step each "
    "takes from the current point (−lr × gradient), the longer arrow scaled to unit length."
)

for name, summary in (("Full-batch", full_summary), ("Minibatch", mini_summary)):
    if pd.notna(diverged_at := summary["diverged_at"].iloc[0]):
        st.error(f"{name} descent diverged at step {int(diverged_at)}: lower the learning rate.", icon="💥")
costs, noise = st.columns([3, 2], gap="large")
with costs:
    st.markdown(
        f"**Iterations vs epochs.** {n:,} points in batches of {batch_size:,} make **{per_epoch:,} iterations per "
        f"epoch**; {epochs:g} epoch(s) = **{steps:,} steps**. Each minibatch step reads {batch_size:,} of {n:,} "
        f"points, **{batch_size / n:.3g}** of the cost of a full-batch step."
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "points read": st.column_config.NumberColumn("points read for gradients", format="localized"),
            "final loss (all data)": st.column_config.NumberColumn(format="%.6f"),
        },
    )
with noise:
    st.markdown(
        "**The price is noise.** A batch gradient only estimates the full one."
    ) if spread.empty else st.markdown(
        "**The price is noise.** How far a batch gradient points from the full one (median |g_batch − g_full| / "
        f"|g_full|): **{spread.iloc[0]:.0%}** in the first epoch, **{spread.iloc[-1]:.0%}** in the last. Near the "
        "minimum the full gradient shrinks but the batch noise does not, so minibatch descent keeps jittering "
        "around ★ unless the batch grows or the learning rate shrinks."
    )
noise_floor_section(data, lr, s.seed, s.device)
st.download_button(
    "Download every step of both runs (CSV)",
    functools.partial(charts.trajectory_csv, full, mini),  # written on click (0.1 CPU-s of a 25k-step rerun)
    file_name="minibatches.csv",
    mime="text/csv",
    icon="⬇️",
    key=LESSON.control("download"),
)
st.caption(f"Computed on **{s.resolved.label}**.")

runs = (RunSpec(lr=lr), RunSpec(lr=lr, batch_size=batch_size, seed=s.seed))
spec = SceneSpec("minibatches", data.source, runs, (0.0, 0.0), steps, scene_link())
settings = [data.label, f"lr = {lr:g}", f"batch size B = {batch_size:,}", f"{steps:,} steps ({epochs:g} epochs)"]
scene_exports(spec, [chart], formulas=[r"\theta \leftarrow \theta - \mathrm{lr}\cdot \nabla_\theta \frac{1}{B}"
              r"\sum_{i \in \text{batch}} (w x_i + b - y_i)^2"], settings=settings)  # fmt: skip
practice_section("minibatches")
