"""5 · Optimizers: gradient descent, momentum, Nesterov, RMSProp and Adam side by side on 2-D test surfaces."""

import streamlit as st

import gd_core as gd
from charts.kit import read_description
from export.scene import RunSpec, SceneSpec, Surface
from lessons.optimizers import charts, race
from lessons.optimizers import controls as c
from ui import schedule as sc
from ui import screen, settings
from ui.cache import chart_spec, live_description
from ui.exports import scene_exports, scene_link
from ui.numbers import shown_number
from ui.player import player
from ui.practice import practice_section
from ui.tables import shown_dataframe
from ui.text import plain
from ui.widgets import bound

key = c.LESSON.control
s = settings.current()
st.title("5 · Optimizers")
st.markdown(
    "Plain gradient descent follows the slope it stands on. **Momentum** and **Nesterov** remember where they "
    "were going, so they roll through narrow valleys; **RMSProp** and **Adam** divide each coordinate's step by a "
    "running size of its gradient, so steep and flat directions move at similar speeds. Race them on four surfaces."
)

top = st.columns([3, 2])
surface = bound(
    top[0].selectbox, "Surface", key=key("surface"), options=list(gd.TEST_FUNCTIONS), format_func=c.SURFACE_LABELS.get
)
steps = bound(top[1].slider, "Steps", key=key("steps"), min_value=10, max_value=2000, value=300, step=10)
optimizers = bound(
    st.multiselect,
    "Optimizers",
    key=key("optimizers"),
    options=gd.OPTIMIZERS,
    default=list(gd.FIRST_ORDER),
    format_func=gd.OPTIMIZER_LABELS.get,
)
mode = race.mode_control(key)
steps = race.steps_within_budget(steps, optimizers, key)
schedule = sc.schedule_for(sc.schedule_control(key("schedule")), steps)
problem = gd.test_function(surface)
(xlo, xhi), (ylo, yhi) = problem.view
x_key, y_key = key(f"x0_{surface}"), key(f"y0_{surface}")
for start_key, value in zip((x_key, y_key), problem.default_start, strict=True):
    st.session_state.setdefault(start_key, float(value))

left, right = st.columns([2, 3])
with left:
    st.latex(problem.latex)
    start_x, start_y = st.columns(2)
    number = {"step": 0.1, "format": "%.2f"}
    x0 = bound(start_x.number_input, "Start x₀", key=x_key, min_value=xlo, max_value=xhi, **number)
    y0 = bound(start_y.number_input, "Start y₀", key=y_key, min_value=ylo, max_value=yhi, **number)
    st.caption("Or click the map below to start from that point.")
with right, st.expander("Learning rates", expanded=False):
    lrs = {}
    for name in gd.OPTIMIZERS:
        lr_key = key(f"lr_{surface}_{name}")
        st.session_state.setdefault(lr_key, c.default_lr(surface, name))
        lrs[name] = bound(
            st.select_slider, gd.OPTIMIZER_LABELS[name], key=lr_key, options=c.LR_CHOICES, format_func="{:g}".format
        )
lrs = race.race_lrs(mode, lrs, surface, steps, (x0, y0), s.device, key)

frames, summaries = {}, {}
for name in optimizers:
    try:
        frames[name], summaries[name] = race.run(
            surface, name, lrs[name], steps, x0, y0, s.device, sc.scheduled(schedule)
        )
    except ValueError as error:
        st.error(f"{gd.OPTIMIZER_LABELS[name]}: {plain(error, 300)}")

clicks = key("clicks")
map_key = key(f"map_{st.session_state.setdefault(clicks, 0)}")  # a fresh chart after each click: never stale


def use_clicked_start(map_key: str = map_key, x_key: str = x_key, y_key: str = y_key, view=problem.view) -> None:
    """Before the next run draws the number inputs: move the start to the clicked cell."""
    point = c.start_from_selection(st.session_state.get(map_key), view)
    if point is not None:
        st.session_state[x_key], st.session_state[y_key] = point
        st.session_state[clicks] += 1


combined = c.combine_runs(frames)  # once a rerun: the chart, its description, the schedule panel
chart = chart_spec(
    charts.optimizer_chart,
    c.surface_grid(surface, s.device),
    combined,
    view=problem.view,
    minima=problem.minima,
    start=(x0, y0),
    steps=steps,
    optimizers=list(frames),
)
described = live_description(
    "Each optimizer's path over the loss map and its loss against step",
    combined,
    {"x": "x", "y": "y", "loss": "loss"},
    by="optimizer",
)
player(key("player"), describe=described)
screen.chart(
    chart,
    read_description(described),
    key=map_key,
    on_select=use_clicked_start,
    selection_mode=charts.PICK,
)  # fmt: skip
st.caption(race.mode_caption(mode, optimizers, surface))
sc.schedule_panel(schedule, combined, steps, by="optimizer")
if optimizers:  # the learning rates of the race, on screen (the sliders sit in an expander)
    st.caption("Learning rates: " + " · ".join(f"{gd.OPTIMIZER_LABELS[name]} {lrs[name]:g}" for name in optimizers))
    if any(name not in gd.FIRST_ORDER for name in optimizers) and steps > c.SECOND_ORDER_STEPS:
        st.caption(f"Newton's method runs its first {c.SECOND_ORDER_STEPS} steps: each needs the Hessian.")
else:
    st.info("Pick at least one optimizer above to see it descend.")

table = c.results_table(summaries, problem.minima)
diverged = table[table["diverged at step"] != "—"]
if len(diverged):
    went = "left for −∞ (the saddle is unbounded below) at step" if surface == "saddle" else "diverged at step"
    lines = [
        f"- **{r['optimizer']}** (lr = {r['learning rate']:g}) {went} {r['diverged at step']}"
        for _, r in diverged.iterrows()
    ]
    if surface == "saddle":
        st.info("\n".join(lines) + "\n\nThe saddle has no bottom: these runs stop where the loss ran away.")
    else:
        st.warning("\n".join(lines) + "\n\nThe loss blew up, so these runs stop there: try a smaller learning rate.")
if len(table):
    shown_dataframe(  # replayed from the cache when the race did not change (ui.tables)
        table, {"learning rate": 6, "final loss": 6, "distance to nearest minimum": 4}, hide_index=True
    )
if surface == "saddle":
    st.caption(
        "The saddle has no minimum: it falls away for ever along y. Starting almost on the ridge (y₀ = 0.01), "
        "the winner is the optimizer that escapes fastest; a start with y₀ = 0 never leaves the ridge."
    )

with st.expander("Update rules (as torch.optim computes them, g = ∇f(θ), η = learning rate)"):
    for optimizer in gd.optimizers.REGISTRY:
        st.markdown(f"**{optimizer.label}**")
        st.latex(optimizer.update_latex)

if frames:
    st.download_button(
        "Download all trajectories (CSV)",
        lambda: combined.to_csv(index=False),  # written only when clicked
        file_name=f"optimizers_{surface}.csv",
        mime="text/csv",
        key=key("csv"),
    )
st.caption(f"Computed on **{s.resolved.label}**.")

if exported := [name for name in frames if name in gd.FIRST_ORDER]:  # (no plain-torch script for Newton yet)
    runs = tuple(RunSpec(name, lrs[name]) for name in exported)
    spec = SceneSpec("optimizers", Surface(surface), runs, (x0, y0), steps, scene_link())
    settings = [c.SURFACE_LABELS[surface], f"start ({shown_number(x0)}, {shown_number(y0)})", f"{steps} steps"]
    settings += [f"{gd.OPTIMIZER_LABELS[name]}: lr = {lrs[name]:g}" for name in exported]
    formulas = [problem.latex, *(gd.get_optimizer(name).update_latex for name in exported)]
    scene_exports(spec, [chart], formulas=formulas, settings=settings)
practice_section("optimizers")
