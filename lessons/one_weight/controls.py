"""UI helpers for page 1 (One weight): learning-rate stops, the loss box, the cached run, the status and formulas."""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

import gd_core as gd
from gd_core.charts import scalar

# Log-spaced stops from 1e-4 to 10 (a typed loss may need either end), plus the tutorial's named
# thresholds 1/18 (one step) and 1/9 (oscillates).
LR_NAMED = {1 / 18: "1/18", 1 / 9: "1/9"}
LR_STOPS = [1e-4, 3e-4, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3]
LR_STOPS += [0.5, 1, 2, 5, 10]
LR_OPTIONS = sorted([*LR_STOPS, *LR_NAMED])
LAST_GOOD = "w1_last_good_loss"  # session key: the last loss text that ran ("" = the tutorial's loss)


def format_lr(lr: float) -> str:
    """'1/18 ≈ 0.0556' for the named stops, '0.05' for the others."""
    name = LR_NAMED.get(lr)
    return f"{name} ≈ {lr:.3g}" if name else f"{lr:g}"


def escape_markdown(text: str) -> str:
    """Backslash every markdown/LaTeX-active character, so a message quoting user text shows it literally."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", text)


def tex_number(value: float, *, bracket: bool = False) -> str:
    """%.6g as LaTeX (1.2 \\times 10^{6}, not 1.2e+06); negatives in brackets when `bracket`."""
    mantissa, _, exponent = f"{value:.6g}".partition("e")
    text = mantissa + (rf" \times 10^{{{int(exponent)}}}" if exponent else "")
    return rf"\left({text}\right)" if bracket and value < 0 else text


def loss_text() -> str:
    """The box 'Your own loss'; returns the text to use: the box when it parses, else the last good text."""
    text = st.text_input(
        "Your own loss, in the variable a",
        key="w1_loss",
        bind="query-params",
        max_chars=500,
        placeholder="e.g. (3+3*a)**2 or sin(a) + a**2/10; empty = the tutorial's loss",
        help="Operators + - * / ** (or ^), numbers, pi, e, and sin cos tan exp log sqrt abs tanh sigmoid …",
    )
    if not text.strip():
        return ""
    try:
        gd.ScalarProblem.from_expression(text, var="a")
    except gd.ExpressionError as error:
        st.error(escape_markdown(str(error)), icon="⚠️")
        last = st.session_state.get(LAST_GOOD, "")
        st.caption("Still showing the last loss that worked" + ("." if last else ": the tutorial's."))
        return last
    return text


def run_or_fall_back(text: str, lr: float, steps: int, start: float, device: str) -> tuple[str, dict]:
    """Run the loss; when it cannot start here (say 1/0, or log(a) at a < 0), show why and run the last loss that
    did, else the tutorial's (which runs from any finite start). Returns the text that ran and its result."""
    for attempt, candidate in enumerate(dict.fromkeys([text, st.session_state.get(LAST_GOOD, ""), ""])):
        try:
            result = run(candidate, lr, steps, start, device)
        except ValueError as error:
            if attempt == 0:
                st.error(escape_markdown(str(error)), icon="⚠️")
            continue
        if attempt == 0:
            st.session_state[LAST_GOOD] = candidate
        else:
            st.caption("Still showing the last loss that worked" + ("." if candidate else ": the tutorial's."))
        return candidate, result
    raise AssertionError("the tutorial's loss runs from any finite start")


def problem_for(text: str) -> gd.ScalarProblem:
    """The tutorial's loss for empty text, else the typed-in loss in the variable a."""
    return gd.ScalarProblem.from_expression(text, var="a") if text else gd.seed_problem()


@st.cache_data(max_entries=32, show_spinner=False)
def run(text: str, lr: float, steps: int, start: float, device: str) -> dict:
    """Descend once and prepare everything the page shows (plain frames and numbers, cached)."""
    problem = problem_for(text)
    param = problem.param_names[0]
    trajectory = gd.descend(problem, lr=lr, steps=steps, start=start, device=device)
    frame = trajectory.run(0)
    minimum = None if text else scalar.SEED_MINIMUM
    ranges = scalar.curve_ranges(scalar.step_windows(frame, param, minimum))
    try:
        critical = gd.critical_lr(problem, at=start, device=device)
    except (RuntimeError, ValueError):  # e.g. a Hessian that is not finite at the start
        critical = math.nan
    diverged_at = trajectory.summary["diverged_at"].iloc[0]
    hand = problem.hand_derivative
    return {
        "param": param,
        "frame": frame,
        "curve": pd.concat([gd.loss_surface(problem, [r], 300, device=device) for r in ranges], ignore_index=True),
        "minimum": minimum,
        "critical_lr": critical,
        "diverged_at": None if pd.isna(diverged_at) else int(diverged_at),
        "table": scalar.iteration_table(frame, param),
        "check": scalar.derivative_check(frame, hand, param) if hand else None,
        "device": trajectory.device,
    }


def show_status(result: dict, lr: float) -> None:
    """One clear line on how the run behaves, and for the tutorial's loss the contraction factor 1 − 18·lr."""
    k, p, table = result["diverged_at"], result["param"], result["table"]
    kept = f"The chart and the table show the steps before it, 0 to {k - 1}." if k else ""
    if result["minimum"] is None:
        last = table.iloc[-1]
        slope = last[f"f'({p})"]
        if k is not None:
            st.error(f"**The run diverged at step {k}**: the loss blew up. {kept}", icon="💥")
        else:
            st.info(f"After {int(last['step'])} steps: {p} = {last[p]:.6g}, f′({p}) = {slope:.3g}.")
        critical = result["critical_lr"]
        if math.isinf(critical):
            st.caption(f"At {p}₀ the curvature f″ ≤ 0: locally, no learning rate is too large.")
        elif math.isfinite(critical):
            st.caption(f"At {p}₀, f″ = {2 / critical:.4g}: locally, lr > 2/f″ = {critical:.4g} overshoots and grows.")
        return
    if k is None and table["f'(A)"].iloc[0] == 0:
        st.info("**Starts at the minimum**: f′(A₀) = 0, so gradient descent never moves, whatever the lr.", icon="🎯")
        return
    regime = scalar.quadratic_regime(lr, result["critical_lr"], k)
    factor = abs(regime.factor)
    messages = {
        "diverged": (st.error, f"**The run diverged at step {k}**: |1 − 18·lr| = {factor:.3g} > 1, so every step "
                     f"throws A further past the minimum, until the loss exploded. {kept}", "💥"),
        "diverges": (st.warning, f"**Diverges**: |1 − 18·lr| = {factor:.3g} > 1, so the distance to the minimum grows "
                     f"×{factor:.3g} every step (more steps and the run is cut off).", "📈"),
        "oscillates": (st.warning, f"**Oscillates forever** (|1 − 18·lr| = 1): A jumps between {table['A'].iloc[0]:g} "
                       f"and {table['new A'].iloc[0]:g} and never gets closer.", "🔁"),
        "one_step": (st.success, "**Lands in one step**: 1 − 18·lr = 0, so A₁ = −1 exactly.", "🎯"),
        "converges": (st.success, f"**Converges**: every step multiplies the distance to the minimum by "
                      f"1 − 18·lr = {regime.factor:.3g}.", "✅"),
        "converges_alternating": (st.success, f"**Converges, overshooting**: 1 − 18·lr = {regime.factor:.3g} < 0, so A "
                                  "jumps past the minimum each step, but lands closer every time.", "✅"),
    }  # fmt: skip
    show, text, icon = messages[regime.kind]
    show(text, icon=icon)
    st.latex(
        rf"A_k - (-1) = (1 - 18\cdot\mathrm{{lr}})^k\,(A_0 + 1) = {tex_number(regime.factor, bracket=True)}^k"
        rf"\cdot {tex_number(table['A'].iloc[0] + 1, bracket=True)}"
    )


def update_latex(table: pd.DataFrame, k: int, lr: float, param: str, by_hand: bool) -> str:
    """A_{k+1} = A_k − lr·f'(A_k) with the numbers of row k substituted (f' written out for the tutorial's loss)."""
    row = table.iloc[k]
    a, grad, new = row[param], row[f"f'({param})"], row[f"new {param}"]
    text = rf"{param}_{{{k + 1}}} = {param}_{{{k}}} - \mathrm{{lr}}\cdot f'({param}_{{{k}}}) = {tex_number(a)}"
    text += rf" - {tex_number(lr)} \times "
    if by_hand:
        text += rf"18\,({tex_number(a)} + 1) = {tex_number(a)} - {tex_number(lr)} \times "
    return text + rf"{tex_number(grad, bracket=True)} = {tex_number(new)}"


@st.fragment
def step_details(result: dict, lr: float) -> None:
    """Pick a step k: its update written out, and f' by hand against torch autograd at A₀ and at A_k."""
    table, check, p = result["table"], result["check"], result["param"]
    last = int(table["step"].max())
    picked = st.session_state.get("w1_pick")
    if picked is None or picked > last:  # first visit (default: step 1), or a shorter run than the step picked
        st.session_state["w1_pick"] = min(1 if picked is None else picked, last)
    k = st.number_input("Write out the update at step k", 0, last, step=1, key="w1_pick", width=260)
    st.latex(update_latex(table, int(k), lr, p, check is not None))
    rows = [0, int(k)] if k else [0]
    if check is None:
        shown = table.iloc[rows][["step", p, f"f'({p})"]].rename(columns={f"f'({p})": "by torch autograd"})
        st.caption("A typed-in loss has no hand derivative: f′ comes from torch autograd only.")
    else:
        shown = check.iloc[rows].rename(columns={"by hand": "by hand, 18(A + 1)"})
        st.caption(f"f′ by hand against torch autograd, at A₀ and at A{_subscript(int(k))}, to the last digit:")
    st.table(shown.set_index("step").map(lambda v: f"{v:.17g}"))


def _subscript(k: int) -> str:
    """k as Unicode subscript digits: 12 -> ₁₂."""
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
