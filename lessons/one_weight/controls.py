"""One weight: its widgets (learning rate, start, steps, the loss box), the cached run, the status and formulas."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

import gd_core as gd
from lessons import lesson
from lessons.one_weight import charts
from ui import fair_share
from ui.cache import cached, finished_spec
from ui.numbers import lr_label, lr_ladder, minus, shown_number, tex_number
from ui.player import Follow
from ui.tables import shown_static_table
from ui.text import plain
from ui.widgets import bound

LESSON = lesson("one-weight")
# The ladder from 1e-4 to 10 (a typed loss may need either end), plus the tutorial's thresholds 1/18 (one step)
# and 1/9 (oscillates).
LR_OPTIONS = lr_ladder(1e-4, 10.0, named=(1 / 18, 1 / 9))
LAST_GOOD = f"_{LESSON.key}.last_good_loss"  # session key: the last loss text that ran ("" = the tutorial's loss)

# The page's work budget (issue 9): a run of the most steps (200, autograd for a typed loss) is priced at ~0.03 s.
# Over it, run_or_fall_back shows gd.BudgetError's message (a ValueError) and runs the last loss that worked.
PAGE_BUDGET = gd.Budget(seconds=0.2, megabytes=40)


@dataclass(frozen=True)
class Settings:
    """What the visitor chose: the loss (its text, "" for the tutorial's), learning rate, start and steps."""

    text: str
    lr: float
    start: float
    steps: int


@dataclass(frozen=True)
class Run:
    """One run of the page, ready to show: the trajectory, the loss curve around it, and its tables."""

    param: str
    frame: pd.DataFrame  # gd.descend's frame (one run)
    curve: pd.DataFrame  # the loss on the ranges the chart shows
    minimum: float | None  # A* where the loss has a known minimiser (the tutorial's: −1)
    critical_lr: float  # 2/f'' at the start (nan where the Hessian is not finite)
    diverged_at: int | None
    table: pd.DataFrame  # the iteration table
    check: pd.DataFrame | None  # f' by hand against autograd (the tutorial's loss only)
    device: str


def problem_for(text: str) -> gd.ScalarProblem:
    """The tutorial's loss for empty text, else the typed-in loss in the variable a."""
    return gd.ScalarProblem.from_expression(text, var="a") if text else gd.seed_problem()


def loss_text() -> str:
    """The box 'Your own loss'; returns the text to use: the box when it parses, else the last good text."""
    text = bound(
        st.text_input,
        "Your own loss, in the variable a",
        key=LESSON.control("loss"),
        max_chars=500,
        placeholder="e.g. (3+3*a)**2 or sin(a) + a**2/10; empty = the tutorial's loss",
        help="Operators + - * / ** (or ^), numbers, pi, e, and sin cos tan exp log sqrt abs tanh sigmoid …",
    )
    if not text.strip():
        return ""
    try:
        gd.ScalarProblem.from_expression(text, var="a")
    except gd.ExpressionError as error:
        st.error(plain(error), icon="⚠️")
        last = st.session_state.get(LAST_GOOD, "")
        st.caption("Still showing the last loss that worked" + ("." if last else ": the tutorial's."))
        return last
    return text


def step_controls(param: str) -> tuple[float, float, int]:
    """The learning rate, start and number of steps, side by side."""
    lr_column, start_column, steps_column = st.columns(3, gap="large")
    with lr_column:
        lr = bound(
            st.select_slider,
            "Learning rate lr (log scale)",
            key=LESSON.control("lr"),
            options=LR_OPTIONS,
            value=0.05,
            format_func=lr_label,
            help="Above 1/9 the tutorial's loss diverges; 1/9 oscillates forever; 1/18 lands in one step.",
        )
        typed = bound(
            st.number_input, "or type the learning rate", key=LESSON.control("lr_typed"), min_value=1e-6,
            max_value=10.0, value=None, step=0.001, format="%g", placeholder="e.g. 0.115",
            help="A typed learning rate replaces the slider's (empty the box to use the slider again).",
        )  # fmt: skip
        if typed is not None:
            lr = typed
            st.caption(f"Using the typed lr = {minus(f'{typed:g}')}.")  # a float, not visitor text
    with start_column:
        start = bound(
            st.number_input, f"Start {param}₀", key=LESSON.control("start"), min_value=-50.0, max_value=50.0,
            value=-4.0, step=0.5, format="%g",
        )  # fmt: skip
    with steps_column:
        steps = bound(st.slider, "Number of steps", key=LESSON.control("steps"), min_value=1, max_value=200, value=20)
    return float(lr), float(start), int(steps)


def run_or_fall_back(settings: Settings, device: str) -> tuple[str, Run]:
    """Run the loss; when it cannot start here (say 1/0, or log(a) at a < 0), show why and run the last loss that
    did, else the tutorial's (which runs from any finite start). Returns the text that ran and its run."""
    for attempt, candidate in enumerate(dict.fromkeys([settings.text, st.session_state.get(LAST_GOOD, ""), ""])):
        try:
            result = run(candidate, settings.lr, settings.steps, settings.start, device)
        except ValueError as error:
            if attempt == 0:
                st.error(plain(error), icon="⚠️")
            continue
        if attempt == 0:
            st.session_state[LAST_GOOD] = candidate
        else:
            st.caption("Still showing the last loss that worked" + ("." if candidate else ": the tutorial's."))
        return candidate, result
    raise AssertionError("the tutorial's loss runs from any finite start")


@cached
def run(text: str, lr: float, steps: int, start: float, device: str) -> Run:
    """Descend once and prepare everything the page shows (plain frames and numbers, cached)."""
    problem = problem_for(text)
    param = problem.param_names[0]
    trajectory = gd.descend(problem, lr=lr, steps=steps, start=start, device=device, budget=PAGE_BUDGET)
    frame = trajectory.run(0)
    minimum = problem.minima[0][0] if problem.minima else None
    ranges = charts.curve_ranges(charts.step_windows(frame, param, minimum))
    try:
        critical = gd.critical_lr(problem, at=start, device=device)
    except (RuntimeError, ValueError):  # e.g. a Hessian that is not finite at the start
        critical = math.nan
    diverged_at = trajectory.summary["diverged_at"].iloc[0]
    hand = problem.hand_derivative
    return Run(
        param=param,
        frame=frame,
        curve=pd.concat(
            [gd.loss_surface(problem, [r], 300, device=device, budget=PAGE_BUDGET) for r in ranges], ignore_index=True
        ),
        minimum=minimum,
        critical_lr=critical,
        diverged_at=None if pd.isna(diverged_at) else int(diverged_at),
        table=gd.iteration_table(frame, param),
        check=gd.derivative_check(frame, hand, param) if hand else None,
        device=trajectory.device,
    )


@cached
def chart_spec(text: str, lr: float, steps: int, start: float, device: str, future: bool = True) -> dict:
    """The page's chart for this run as a finished Vega-Lite dict (see ui.cache.finished_spec); `future=False`
    leaves out the faint whole-run lines ahead of the slider (the lecture's "guess the next step")."""
    result = run(text, lr, steps, start, device)
    chart = charts.one_weight_chart(result.frame, result.curve, result.param, minimum=result.minimum, future=future)
    return finished_spec(chart)


# What the status line says in each regime of the tutorial's loss (factor = 1 − 18·lr, |factor| written a).
VERDICTS = {
    "diverging": (st.warning, "**Diverges**: |1 − 18·lr| = {a:.3g} > 1, so the distance to the minimum grows "
                  "×{a:.3g} every step (more steps and the run is cut off).", "📈"),
    "oscillating": (st.warning, "**Oscillates forever** (|1 − 18·lr| = 1): A jumps between {first:g} and {second:g} "
                    "and never gets closer.", "🔁"),
    "one step": (st.success, "**Lands in one step**: 1 − 18·lr = 0, so A₁ = −1 exactly.", "🎯"),
    "steady": (st.success, "**Converges**: every step multiplies the distance to the minimum by 1 − 18·lr = "
               "{factor:.3g}.", "✅"),
    "overshooting": (st.success, "**Converges, overshooting**: 1 − 18·lr = {factor:.3g} < 0, so A jumps past the "
                     "minimum each step, but lands closer every time.", "✅"),
}  # fmt: skip


def show_status(result: Run, lr: float) -> None:
    """One clear line on how the run behaves, and for the tutorial's loss the contraction factor 1 − 18·lr."""
    k, p, table = result.diverged_at, result.param, result.table
    kept = f"The chart and the table show the steps before it, 0 to {k - 1}." if k else ""
    if result.minimum is None:
        last = table.iloc[-1]
        slope = last[f"f'({p})"]
        if k is not None:
            st.error(f"**The run diverged at step {k}**: the loss blew up. {kept}", icon="💥")
        else:
            st.info(minus(f"After {int(last['step'])} steps: {p} = {last[p]:.6g}, f′({p}) = {slope:.3g}."))
        critical = result.critical_lr
        if math.isinf(critical):
            st.caption(f"At {p}₀ the curvature f″ ≤ 0: locally, no learning rate is too large.")
        elif math.isfinite(critical):
            st.caption(
                minus(f"At {p}₀, f″ = {2 / critical:.4g}: locally, lr > 2/f″ = {critical:.4g} overshoots and grows.")
            )
        return
    if k is None and table["f'(A)"].iloc[0] == 0:
        st.info("**Starts at the minimum**: f′(A₀) = 0, so gradient descent never moves, whatever the lr.", icon="🎯")
        return
    curvature = 2.0 / result.critical_lr  # f'' = 18
    factor = gd.contraction(lr, curvature)
    if k is not None:
        st.error(
            f"**The run diverged at step {k}**: |1 − 18·lr| = {abs(factor):.3g} > 1, so every step throws A further "
            f"past the minimum, until the loss exploded. {kept}",
            icon="💥",
        )
    else:
        show, text, icon = VERDICTS[gd.regime(lr, curvature)]
        numbers = {"a": abs(factor), "factor": factor, "first": table["A"].iloc[0], "second": table["new A"].iloc[0]}
        show(minus(text.format(**numbers)), icon=icon)
    st.latex(
        rf"A_k - (-1) = (1 - 18\cdot\mathrm{{lr}})^k\,(A_0 + 1) = {tex_number(factor, bracket=True)}^k"
        rf"\cdot {tex_number(table['A'].iloc[0] + 1, bracket=True)}"
    )


def csv_text(table: pd.DataFrame, lr: float, start: float, param: str) -> str:
    """The iteration table as CSV with the run's lr and start as columns; whole numbers as integers (−1, not −1.0),
    every other number in full (shortest round-trip) precision."""
    frame = table.copy()
    frame.insert(1, "lr", lr)
    frame.insert(2, f"{param}₀", start)

    def cell(value):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(float(value)) if isinstance(value, float) else str(value)

    return frame.map(cell).to_csv(index=False)


def update_latex(table: pd.DataFrame, k: int, lr: float, param: str, by_hand: bool) -> str:
    """A_{k+1} = A_k − lr·f'(A_k) with the numbers of row k substituted (f' written out for the tutorial's loss)."""
    row = table.iloc[k]
    a, grad, new = row[param], row[f"f'({param})"], row[f"new {param}"]
    text = rf"{param}_{{{k + 1}}} = {param}_{{{k}}} - \mathrm{{lr}}\cdot f'({param}_{{{k}}}) = {tex_number(a)}"
    text += rf" - {tex_number(lr)} \times "
    if by_hand:
        text += rf"18\,({tex_number(a)} + 1) = {tex_number(a)} - {tex_number(lr)} \times "
    return text + rf"{tex_number(grad, bracket=True)} = {tex_number(new)}"


def _number(value: float) -> str:
    """%.6g with a typographic minus (ui.numbers.shown_number)."""
    return shown_number(value)


@cached  # a row loop over the run: ~1.5 ms of every rerun when it was rebuilt each time
def follow_the_player(table: pd.DataFrame, lr: float, param: str, by_hand: bool) -> Follow:
    """Beside the player, in the browser: the update of the current step with the numbers in, and the iteration
    table with the current row highlighted (the tutorial's spreadsheet, following the chart as it plays)."""
    lines = []
    for k, a, grad, new in zip(table["step"], table[param], table[f"f'({param})"], table[f"new {param}"], strict=True):
        k = int(k)
        text = f"{param}{_subscript(k + 1)} = {param}{_subscript(k)} − lr·f′({param}{_subscript(k)}) = {_number(a)} − "
        if by_hand:
            text += f"{_number(lr)} × 18({_number(a)} + 1) = {_number(a)} − "
        lines.append(text + f"{_number(lr)} × ({_number(grad)}) = {_number(new)}")
    rows = tuple(
        tuple(str(int(v)) if name == "step" else _number(v) for name, v in row.items()) for _, row in table.iterrows()
    )
    return Follow(tuple(lines), tuple(table.columns), rows)


@st.fragment
@fair_share.counted  # a fragment rerun runs without app.py: its CPU counts too
def step_details(result: Run, lr: float) -> None:
    """Pick a step k: its update written out, and f' by hand against torch autograd at A₀ and at A_k."""
    table, check, p = result.table, result.check, result.param
    last = int(table["step"].max())
    key = LESSON.control("pick")
    picked = st.session_state.get(key)
    if picked is None or picked > last:  # first visit (default: step 1), or a shorter run than the step picked
        st.session_state[key] = min(1 if picked is None else picked, last)
    k = st.number_input("Write out the update at step k", 0, last, step=1, key=key, width=260)
    st.latex(update_latex(table, int(k), lr, p, check is not None))
    rows = [0, int(k)] if k else [0]
    if check is None:
        shown = table.iloc[rows][["step", p, f"f'({p})"]].rename(columns={f"f'({p})": "by torch autograd"})
        st.caption("A typed-in loss has no hand derivative: f′ comes from torch autograd only.")
    else:
        shown = check.iloc[rows].rename(columns={"by hand": "by hand, 18(A + 1)"})
        st.caption(f"f′ by hand against torch autograd, at A₀ and at A{_subscript(int(k))}, to the last digit:")
    shown = shown.set_index("step")
    shown_static_table(shown, {column: 17 for column in shown.columns})  # replayed from the cache (ui.tables)


def _subscript(k: int) -> str:
    """k as Unicode subscript digits: 12 -> ₁₂."""
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
