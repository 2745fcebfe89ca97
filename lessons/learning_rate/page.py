"""4 · Learning rate and divergence: sweep lr, see the regimes split at 1/L and 2/L, compare chosen runs."""

import streamlit as st

import gd_core as gd
from gd_core import regimes
from gd_core.charts import rates, step_slider
from ui import settings
from ui.player import player

PROBLEMS = {"seed": "the tutorial's loss (3 + 3A)²", "line": "a line through synthetic data (MSE)"}


def build(kind: str, n: int, slope: float, noise: float, seed: int):
    """The loss to descend: the seed problem, or MSE over gd.synthetic data."""
    if kind == "seed":
        return gd.seed_problem()
    data = gd.synthetic(n=n, slope=slope, intercept=1.0, noise=noise, seed=seed)
    return gd.LinearRegression(data.x, data.y)


@st.cache_data(max_entries=32, show_spinner=False)
def curvature(kind: str, n: int, slope: float, noise: float, seed: int, device: str):
    """Hessian eigenvalues (ascending), the critical lr 2/λmax, the minimum θ* and the loss there."""
    problem = build(kind, n, slope, noise, seed)
    minimum = regimes.quadratic_minimum(problem, device=device)  # (θ*, f(θ*), H)
    return gd.hessian_eigenvalues(problem, device=device), gd.critical_lr(problem, device=device), *minimum


@st.cache_data(max_entries=32, show_spinner=False)
def run(kind, n, slope, noise, seed, start: tuple, lrs: tuple, steps: int, device: str, keep_steps: bool):
    """One batched gd.sweep: (every step or None, per-run summary)."""
    trajectory = gd.sweep(build(kind, n, slope, noise, seed), lrs=lrs, steps=steps, start=start, device=device)
    return (trajectory.frame if keep_steps else None), trajectory.summary


s = settings.current()
st.title("4 · Learning rate and divergence")
st.markdown(
    "Too small a learning rate crawls, a good one converges, a large one overshoots back and forth, and a "
    "larger one still **diverges**. Where the switches happen is set by the curvature of the loss: "
    "L = λmax, the largest eigenvalue of the Hessian."
)
top = st.columns([1.5, 1, 1, 1, 1.3])
kind = top[0].radio("Problem", list(PROBLEMS), format_func=PROBLEMS.get, key="w4_problem", bind="query-params")
n, slope, noise, start_a = 100, 2.0, 1.0, -4.0
if kind == "seed":
    start_a = top[1].number_input("Start A₀", -20.0, 20.0, -4.0, 0.5, format="%g", key="w4_start", bind="query-params")
else:
    n = top[1].slider("Data points n", 2, 500, 100, key="w4_n", bind="query-params")
    slope = top[2].slider("True slope", -5.0, 5.0, 2.0, 0.5, key="w4_slope", bind="query-params")
    noise = top[3].slider("Noise σ", 0.0, 5.0, 1.0, 0.5, key="w4_noise", bind="query-params")
steps = top[4].slider("Steps per run", 10, 1000, 100, 10, key="w4_steps", bind="query-params")
start = (start_a,) if kind == "seed" else (0.0, 0.0)
data_args = (kind, n, slope, noise, s.seed)
try:
    eigenvalues, critical, optimum, minimum, hessian = curvature(*data_args, s.device)
except ValueError as error:
    st.error(f"Could not set up the problem: {error}")
    st.stop()
L = eigenvalues[-1]
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
metrics = numbers.columns(4 if kind == "line" else 3)
metrics[0].metric("L = λmax", f"{L:.4g}", help="Curvature along the stiffest direction.")
metrics[1].metric("1/L", f"{1 / L:.4g}", help="The lr that lands in one step along the stiffest direction.")
metrics[2].metric("2/L", f"{critical:.4g}", help="The critical learning rate: above it descent diverges.")
if kind == "line":
    metrics[3].metric("λmin", f"{eigenvalues[0]:.4g}", help="The flattest direction: for lr ≪ 1/λmin it crawls.")

st.subheader("1 · Sweep the learning rate")
cols = st.columns([1, 1, 1])
low = cols[0].select_slider(
    "Smallest lr (× 2/L)",
    regimes.SWEEP_LOW_MULTIPLES,
    0.001,
    format_func="{:g} × 2/L".format,
    key="w4_low",
    bind="query-params",
)
high = cols[1].select_slider(
    "Largest lr (× 2/L)",
    regimes.SWEEP_HIGH_MULTIPLES,
    10.0,
    format_func="{:g} × 2/L".format,
    key="w4_high",
    bind="query-params",
)
count = cols[2].slider("Number of learning rates", 16, 128, 64, 8, key="w4_count", bind="query-params")
lrs = regimes.sweep_lrs(critical, low, high, count)
try:
    _, summary = run(*data_args, start, tuple(lrs.tolist()), steps, s.device, False)
    table = rates.run_table(summary, L, optimum, hessian)
    st.altair_chart(rates.sweep_chart(table, L, (lrs[0], lrs[-1]), steps, minimum))
    n_diverged = int(table["diverged_at"].notna().sum())
    st.caption(
        f"{count} runs from lr = {lrs[0]:.4g} to {lrs[-1]:.4g}, computed together in one batched sweep on "
        f"{s.resolved.label}. {n_diverged} diverged (red crosses: hover for the step). The axis is clipped at "
        f"{rates.LOSS_FLOOR:g}, since a run that lands exactly on the minimum has nothing left to lose."
        + (
            f" The best line still has MSE {minimum:.4g} (the noise): charts show the loss above it."
            if minimum > rates.ZERO_LOSS
            else ""
        )
    )
    st.markdown("\n".join("- " + regimes.REGIME_SENTENCES[name] for name in regimes.REGIMES))
    st.download_button("Download the sweep (CSV)", table.to_csv(index=False), "lr_sweep.csv", key="w4_sweep_csv")
except ValueError as error:
    st.error(f"The sweep failed: {error}")

st.subheader("2 · Chosen learning rates, step by step")
options, defaults, unit = regimes.lr_choices(kind == "seed", L)  # the line's choices are multiples of 1/L
pick, which = st.columns([5, 1])
chosen = pick.multiselect(
    "Learning rates to compare (up to 6)",
    options,
    defaults,
    format_func=lambda c: regimes.choice_label(c, unit),
    max_selections=6,
    key=f"w4_{kind}_lrs",
    bind="query-params",
)
param = param_names[0]
if kind == "line":
    param = which.radio("Parameter to plot", param_names, horizontal=True, key="w4_param", bind="query-params")
if not chosen:
    st.info("Pick at least one learning rate to see its runs.")
    st.stop()
chosen_lrs = tuple(sorted(c * unit for c in chosen))
try:
    frame, summary = run(*data_args, start, chosen_lrs, steps, s.device, True)
except ValueError as error:
    st.error(f"The runs failed: {error}")
    st.stop()
table = rates.run_table(summary, L, optimum, hessian)
stride = rates.display_stride(steps)  # (common.thin_steps could drop the last step from the slider's reach)
index = param_names.index(param)
chart = rates.trajectory_chart(
    rates.thin_runs(frame, stride),
    table,
    param,
    names=param_names,
    optimum=optimum,
    hessian=hessian,
    minimum=minimum,
    window=rates.param_window(optimum, start, index),
    step=step_slider(steps, stride=stride),
)
player("w4_player")
st.altair_chart(chart)
st.caption(
    "Drag the **step** slider under the chart to replay the runs (no recomputation). The dashed line marks the "
    f"minimum {param}* = {optimum[index]:.4g}; runs that leave the window are cut at its edge."
)
st.dataframe(
    table[
        ["lr", "lr_times_L", "factor_1_minus_lr_L", "regime", "outcome", "final_loss"]
        + (["excess_loss"] if minimum > rates.ZERO_LOSS else [])
    ],
    hide_index=True,
    column_config={
        "lr": st.column_config.NumberColumn("lr", format="%.6g"),
        "lr_times_L": st.column_config.NumberColumn("lr·L", format="%.4g"),
        "factor_1_minus_lr_L": st.column_config.NumberColumn("1 − lr·L", format="%.4g"),
        "final_loss": st.column_config.NumberColumn("last loss", format="%.4g"),
        "excess_loss": st.column_config.NumberColumn("last loss − minimum", format="%.3e"),
    },
)
st.download_button("Download these runs, every step (CSV)", frame.to_csv(index=False), "lr_runs.csv", key="w4_runs_csv")
