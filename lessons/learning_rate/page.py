"""4 · Learning rate and divergence: sweep lr, see the regimes split at 1/L and 2/L, compare chosen runs."""

import streamlit as st

import gd_core as gd
from charts.kit import read_description, thinning_stride
from export.scene import RunSpec, SceneSpec, SeedLoss, SyntheticLine
from lessons.learning_rate import charts
from lessons.learning_rate import controls as c
from lessons.learning_rate import predictions as p
from ui import screen, settings
from ui.cache import chart_spec, live_description
from ui.exports import scene_exports, scene_link
from ui.numbers import minus, shown_number
from ui.player import player
from ui.practice import practice_section
from ui.tables import shown_dataframe
from ui.text import plain
from ui.widgets import bound

key = c.LESSON.control
s = settings.current()
st.title("4 · Learning rate and divergence")
st.markdown(
    "Too small a learning rate crawls, a good one converges, a large one overshoots back and forth, and a "
    "larger one still **diverges**. Where the switches happen is set by the curvature of the loss: "
    "L = λmax, the largest eigenvalue of the Hessian."
)
top = st.columns([1.5, 1, 1, 1, 1.3])
kind = bound(top[0].radio, "Problem", key=key("problem"), options=list(c.PROBLEMS), format_func=c.PROBLEMS.get)
choice, start = c.ProblemChoice(kind), (0.0, 0.0)
if kind == "seed":
    a0 = bound(top[1].number_input, "Start A₀", key=key("start"), min_value=-20.0, max_value=20.0, value=-4.0,
               step=0.5, format="%g")  # fmt: skip
    start = (float(a0),)
else:
    choice = c.ProblemChoice(
        "line",
        n=bound(top[1].slider, "Data points n", key=key("n"), min_value=2, max_value=500, value=100),
        slope=bound(top[2].slider, "True slope", key=key("slope"), min_value=-5.0, max_value=5.0, value=2.0, step=0.5),
        noise=bound(top[3].slider, "Noise σ", key=key("noise"), min_value=0.0, max_value=5.0, value=1.0, step=0.5),
        seed=s.seed,
    )
steps = bound(top[4].slider, "Steps per run", key=key("steps"), min_value=10, max_value=1000, value=100, step=10)
try:
    curvature = c.curvature(choice, s.device)
except ValueError as error:
    st.error(f"Could not set up the problem: {plain(error, 300)}")
    st.stop()
L, critical, quadratic = curvature.largest, curvature.critical_lr, curvature.quadratic
if not 0 < critical < float("inf"):
    st.error("This loss has no positive curvature, so there is no critical learning rate to show.")
    st.stop()
param_names = ("A",) if kind == "seed" else ("w", "b")

rule, numbers = st.columns([1.1, 1], vertical_alignment="center")
rule.markdown(
    "Along each eigen-direction of the Hessian (eigenvalue λ) one step multiplies the distance to the minimum "
    "θ* by 1 − lr·λ (exact for a quadratic loss):"
)
rule.latex(r"\theta_{k+1} - \theta^* = (1 - \mathrm{lr}\cdot\lambda)\,(\theta_k - \theta^*)")
metrics = [cell for _ in range(2) for cell in numbers.columns(2)]  # two a row: "0.1406" is not cut to "0.14…"
metrics[0].metric("L = λmax", f"{L:.4g}", help="Curvature along the stiffest direction.")
metrics[1].metric("1/L", f"{1 / L:.4g}", help="The lr that lands in one step along the stiffest direction.")
metrics[2].metric("2/L", f"{critical:.4g}", help="The critical learning rate: above it descent diverges.")
if kind == "line":
    metrics[3].metric("λmin", f"{curvature.eigenvalues[0]:.4g}", help="The flattest direction: lr ≪ 1/λmin crawls.")

st.subheader("1 · Sweep the learning rate")
cols = st.columns([1, 1, 1])
low = bound(cols[0].select_slider, "Smallest lr (× 2/L)", key=key("low"), options=c.SWEEP_LOW_MULTIPLES,
            value=0.001, format_func="{:g} × 2/L".format)  # fmt: skip
high = bound(cols[1].select_slider, "Largest lr (× 2/L)", key=key("high"), options=c.SWEEP_HIGH_MULTIPLES,
             value=10.0, format_func="{:g} × 2/L".format)  # fmt: skip
count = bound(cols[2].slider, "Number of learning rates", key=key("count"), min_value=16, max_value=128, value=64,
              step=8)  # fmt: skip
lrs = c.sweep_lrs(critical, low, high, count)
try:
    _, summary = c.sweep(choice, start, tuple(lrs.tolist()), steps, s.device, False)
    table = c.run_table(summary, L, quadratic)
    screen.chart(
        chart_spec(charts.sweep_chart, table, L, (lrs[0], lrs[-1]), steps, quadratic.min_loss),
        f"Final loss against learning rate for {count} runs from lr = {lrs[0]:.4g} to {lrs[-1]:.4g}, after {steps} "
        f"steps; {int(table['diverged_at'].notna().sum())} diverged; 1/L = {1 / L:.4g}, 2/L = {critical:.4g}",
    )
    n_diverged = int(table["diverged_at"].notna().sum())
    st.caption(
        f"{count} runs from lr = {lrs[0]:.4g} to {lrs[-1]:.4g}, computed together in one batched sweep on "
        f"{s.resolved.label}. {n_diverged} diverged (vermilion crosses: hover for the step). The axis is clipped at "
        f"{shown_number(charts.LOSS_FLOOR)}, since a run that lands exactly on the minimum has nothing left to lose."
        + (
            f" The best line still has MSE {quadratic.min_loss:.4g} (the noise): charts show the loss above it."
            if quadratic.min_loss > charts.ZERO_LOSS
            else ""
        )
    )
    st.markdown("\n".join("- " + c.REGIME_SENTENCES[name] for name in gd.REGIMES))
    st.download_button(
        "Download the sweep (CSV)", lambda: table.to_csv(index=False), "lr_sweep.csv", key=key("sweep_csv")
    )  # written only when clicked (ui.exports)
except gd.BudgetError as error:  # the page's work budget (controls.PAGE_BUDGET)
    st.warning(f"{count} runs × {steps:,} steps: {error}.", icon="⏱️")
except ValueError as error:
    st.error(f"The sweep failed: {plain(error, 300)}")

st.subheader("2 · Chosen learning rates, step by step")
options, defaults, unit = c.lr_choices(kind == "seed", L)  # the line's choices are multiples of 1/L
pick, which = st.columns([5, 1])
chosen = bound(
    pick.multiselect,
    "Learning rates to compare (up to 6)",
    key=key(f"{kind}_lrs"),
    options=options,
    default=defaults,
    format_func=lambda choice: c.choice_label(choice, unit),
    max_selections=6,
)
param = param_names[0]
if kind == "line":
    param = bound(which.radio, "Parameter to plot", key=key("param"), options=param_names, horizontal=True)
if not chosen:
    st.info("Pick at least one learning rate to see its runs.")
    st.stop()
chosen_lrs = tuple(sorted(choice * unit for choice in chosen))
try:
    frame, summary = c.sweep(choice, start, chosen_lrs, steps, s.device, True)
    found = p.predictions(choice, start, chosen_lrs, steps, s.device)
except gd.BudgetError as error:
    st.warning(f"{len(chosen_lrs)} runs × {steps:,} steps: {error}.", icon="⏱️")
    st.stop()
except ValueError as error:
    st.error(f"The runs failed: {plain(error, 300)}")
    st.stop()
table = p.with_contraction(c.run_table(summary, L, quadratic), found)
stride = thinning_stride(steps)
index = param_names.index(param)
chart = chart_spec(
    charts.thinned_trajectory_chart,
    frame,
    table,
    param,
    names=param_names,
    optimum=quadratic.optimum,
    hessian=quadratic.hessian,
    min_loss=quadratic.min_loss,
    window=charts.param_window(quadratic.optimum, start, index),
    steps=steps,
    stride=stride,
)
described = live_description(f"{param} and the loss against step for each chosen learning rate", frame,
                             {param: param, "loss": "loss"})  # fmt: skip
player(key("player"), describe=described)
screen.chart(chart, read_description(described))
st.caption(
    "Drag the **step** slider under the chart to replay the runs (no recomputation). The dashed line marks the "
    f"minimum {param}* = {minus(f'{quadratic.optimum[index]:.4g}')}; when a run diverges, the panel shows the "
    f"distance {param} − {param}* on a symmetric log scale (linear near {param}*), so the run stays on screen as it "
    "explodes, and is cut at the edge only past 1,000 times its first distance."
)
shown_columns = (
    ["lr", "lr_times_L", "factor_1_minus_lr_L", "regime", "outcome", "final_loss"]
    + (["excess_loss"] if quadratic.min_loss > charts.ZERO_LOSS else [])
    + p.TABLE_COLUMNS
)
shown_dataframe(  # replayed from the cache when the runs did not change (ui.tables)
    table[shown_columns],
    {"lr": 6, "lr_times_L": 4, "factor_1_minus_lr_L": 4, "final_loss": 4, "excess_loss": 4}
    | dict.fromkeys(p.TABLE_COLUMNS, 6),  # a measured ρ that does not exist is blank (its help says so)
    hide_index=True,
    column_config={
        "lr": st.column_config.NumberColumn("lr"),
        "lr_times_L": st.column_config.NumberColumn("lr·L"),
        "factor_1_minus_lr_L": st.column_config.NumberColumn("1 − lr·L"),
        "final_loss": st.column_config.NumberColumn("last loss"),
        "excess_loss": st.column_config.NumberColumn("last loss − minimum"),
        **p.COLUMN_CONFIG,
    },
)
st.download_button(
    "Download these runs, every step (CSV)", lambda: frame.to_csv(index=False), "lr_runs.csv", key=key("runs_csv")
)
st.subheader("3 · Predicted against measured")
p.curvature_metrics(found)
p.prediction_section(found, table, steps)

problem = SeedLoss() if kind == "seed" else SyntheticLine(choice.n, choice.slope, 1.0, choice.noise, 0, choice.seed)
spec = SceneSpec("learning-rate", problem, tuple(RunSpec(lr=lr) for lr in chosen_lrs), start, steps, scene_link())
settings = [c.PROBLEMS[kind], "lr = " + ", ".join(f"{lr:.4g}" for lr in chosen_lrs), f"{steps} steps per run"]
scene_exports(spec, [chart], formulas=[r"\theta_{k+1} - \theta^* = (1 - lr \lambda)(\theta_k - \theta^*)"],
              settings=settings)  # fmt: skip
practice_section("learning-rate")
