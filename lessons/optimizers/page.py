"""Page 5: gradient descent, momentum, Nesterov, RMSProp and Adam side by side on 2-D test surfaces."""

import pandas as pd
import streamlit as st

import gd_core as gd
from gd_core.charts import optimizers as charts
from ui import settings
from ui.player import player


@st.cache_data(max_entries=32, show_spinner=False)
def run(surface: str, optimizer: str, lr: float, steps: int, x0: float, y0: float, device: str):
    """One optimizer's trajectory (frame, summary) from (x0, y0)."""
    trajectory = gd.descend(
        gd.test_function(surface), lr=lr, steps=steps, start=(x0, y0), optimizer=optimizer, device=device
    )
    return trajectory.frame, trajectory.summary


@st.cache_data(max_entries=32, show_spinner=False)
def surface_grid(surface: str, device: str) -> pd.DataFrame:
    """The loss on a 60 × 60 grid over the surface's view."""
    problem = gd.test_function(surface)
    return gd.loss_surface(problem, problem.view, 60, device=device)


s = settings.current()
st.title("5 · Optimizers")
st.markdown(
    "Plain gradient descent follows the slope it stands on. **Momentum** and **Nesterov** remember where they "
    "were going, so they roll through narrow valleys; **RMSProp** and **Adam** divide each coordinate's step by a "
    "running size of its gradient, so steep and flat directions move at similar speeds. Race them on four surfaces."
)

top = st.columns([3, 2])
surface = top[0].selectbox(
    "Surface", list(gd.TEST_FUNCTIONS), key="w5_surface", bind="query-params", format_func=charts.SURFACE_LABELS.get
)
steps = top[1].slider("Steps", 10, 2000, 300, step=10, key="w5_steps", bind="query-params")
optimizers = st.multiselect(
    "Optimizers",
    gd.OPTIMIZERS,
    default=list(gd.OPTIMIZERS),
    key="w5_optimizers",
    bind="query-params",
    format_func=gd.OPTIMIZER_LABELS.get,
)
problem = gd.test_function(surface)
(xlo, xhi), (ylo, yhi) = problem.view
x_key, y_key = f"w5_x0_{surface}", f"w5_y0_{surface}"
for key, value in zip((x_key, y_key), problem.default_start, strict=True):
    st.session_state.setdefault(key, float(value))

left, right = st.columns([2, 3])
with left:
    st.latex(problem.latex)
    start_x, start_y = st.columns(2)
    x0 = start_x.number_input("Start x₀", xlo, xhi, step=0.1, format="%.2f", key=x_key, bind="query-params")
    y0 = start_y.number_input("Start y₀", ylo, yhi, step=0.1, format="%.2f", key=y_key, bind="query-params")
    st.caption("Or click the map below to start from that point.")
with right, st.expander("Learning rates", expanded=False):
    lrs = {}
    for name in gd.OPTIMIZERS:
        key = f"w5_lr_{surface}_{name}"
        st.session_state.setdefault(key, charts.DEFAULT_LRS[surface][name])
        lrs[name] = st.select_slider(
            gd.OPTIMIZER_LABELS[name], charts.LR_CHOICES, key=key, format_func=lambda v: f"{v:g}", bind="query-params"
        )

frames, summaries = {}, {}
for name in optimizers:
    try:
        frames[name], summaries[name] = run(surface, name, lrs[name], steps, x0, y0, s.device)
    except ValueError as error:
        st.error(f"{gd.OPTIMIZER_LABELS[name]}: {error}")


map_key = (
    f"w5_map_{st.session_state.setdefault('w5_clicks', 0)}"  # a fresh chart after each click: clicks never go stale
)


def use_clicked_start(map_key: str = map_key, x_key: str = x_key, y_key: str = y_key, view=problem.view) -> None:
    """Before the next run draws the number inputs: move the start to the clicked cell."""
    point = charts.start_from_selection(st.session_state.get(map_key), view)
    if point is not None:
        st.session_state[x_key], st.session_state[y_key] = point
        st.session_state["w5_clicks"] += 1


chart = charts.optimizer_chart(
    surface_grid(surface, s.device),
    charts.combine_runs(frames),
    view=problem.view,
    minima=problem.minima,
    start=(x0, y0),
    steps=steps,
    optimizers=list(frames),
)
player("w5_player")
st.altair_chart(chart, key=map_key, on_select=use_clicked_start, selection_mode=charts.PICK)
if not optimizers:
    st.info("Pick at least one optimizer above to see it descend.")

table = charts.results_table(summaries, problem.minima)
diverged = table[table["diverged at step"] != "—"]
if len(diverged):
    lines = [
        f"- **{r['optimizer']}** (lr = {r['learning rate']:g}) diverged at step {r['diverged at step']}"
        for _, r in diverged.iterrows()
    ]
    if surface == "saddle":
        st.info("\n".join(lines) + "\n\nThe saddle has no bottom: these ran off towards −∞, so their runs stop there.")
    else:
        st.warning("\n".join(lines) + "\n\nThe loss blew up, so these runs stop there: try a smaller learning rate.")
if len(table):
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "learning rate": st.column_config.NumberColumn(format="%g"),
            "final loss": st.column_config.NumberColumn(format="%.6g"),
            "distance to nearest minimum": st.column_config.NumberColumn(format="%.4g"),
        },
    )
if surface == "saddle":
    st.caption(
        "The saddle has no minimum: it falls away for ever along y. Starting almost on the ridge (y₀ = 0.01), "
        "the winner is the optimizer that escapes fastest; a start with y₀ = 0 never leaves the ridge."
    )

with st.expander("Update rules (as torch.optim computes them, g = ∇f(θ), η = learning rate)"):
    for name in gd.OPTIMIZERS:
        st.markdown(f"**{gd.OPTIMIZER_LABELS[name]}**")
        st.latex(charts.UPDATE_RULES[name])

if frames:
    st.download_button(
        "Download all trajectories (CSV)",
        lambda: charts.combine_runs(frames).to_csv(index=False),  # written only when clicked
        file_name=f"optimizers_{surface}.csv",
        mime="text/csv",
        key="w5_csv",
    )
st.caption(f"Computed on **{s.resolved.label}**.")
