"""1 · One weight: the tutorial's loss (3 + 3A)², one gradient step at a time."""

import streamlit as st

from charts.kit import read_description
from export.scene import RunSpec, SceneSpec, SeedLoss, TypedLoss
from lessons.one_weight import controls as c
from ui import lecture, screen, settings
from ui.cache import live_description
from ui.exports import scene_exports, scene_link
from ui.numbers import shown_number
from ui.player import player
from ui.practice import practice_section
from ui.tables import shown_dataframe

s = settings.current()
st.title("1 · One weight")
st.markdown(
    "The model is a line through the origin, **y = A·x**, and there is one data point, (x, y) = (−3, 3). "
    "Its squared error is a parabola in A with its bottom at **A = −1**. Gradient descent starts from a guess "
    "A₀, reads the slope of the tangent there, f′(A), and steps against it, scaled by the learning rate."
)

formulas, own = st.columns([3, 2], gap="large")
with own:
    text = c.loss_text()
lr, start, steps = c.step_controls(c.problem_for(text).param_names[0])

with own:
    text, result = c.run_or_fall_back(c.Settings(text, lr, start, steps), s.device)
problem, p = c.problem_for(text), result.param
with formulas:
    if problem.hand_derivative is not None:
        st.latex(problem.latex)
        st.latex(problem.derivative_latex)
    else:
        st.latex(r"\mathrm{Loss}(a) = " + problem.latex)
        st.caption("For a typed-in loss, f′(a) comes from torch autograd only (no hand derivative).")
    st.latex(rf"{p}_{{k+1}} = {p}_k - \mathrm{{lr}}\cdot f'({p}_k)")

c.show_status(result, lr)
st.markdown("**The first step, with the numbers in:**")
st.latex(c.update_latex(result.table, 0, lr, p, result.check is not None))

at_the_end = read_description(live_description("at the end", result.frame, {p: p, "loss": "loss"}), None)  # cached
described = live_description(
    f"Loss({p}) curve with the tangent and the step, {p}ₖ and the loss against step", result.frame,
    {p: p, "loss": "loss"}, after="; " + at_the_end,
)  # fmt: skip
follow = c.follow_the_player(result.table, lr, p, result.check is not None)
player(c.LESSON.control("player"), follow=follow, describe=described)
chart = c.chart_spec(text, lr, steps, start, s.device, not lecture.hide_future())
screen.chart(chart, read_description(described, 0))
st.caption(
    f"Drag **step** under the chart to walk through the run: the green tangent's slope is f′({p}ₖ), the orange "
    f"arrow is the step −lr·f′({p}ₖ), and the hollow circle is where it lands. Computed with torch on "
    f"{result.device}."
)

st.subheader("Step by step")
c.step_details(result, lr)

st.subheader("The iteration table")
st.caption("Like the tutorial's spreadsheet: every step of the run, with full precision in the CSV.")
table = result.table
shown_dataframe(  # replayed from the cache when the run did not change (ui.tables)
    table,
    {column: 8 for column in table.columns if column != "step"},
    hide_index=True,
    height="content" if len(table) <= 12 else 460,
)
st.download_button(
    "Download the table as CSV",
    lambda: c.csv_text(table, lr, start, p).encode("utf-8"),  # written only when clicked (ui.exports)
    file_name="one_weight_iterations.csv",
    mime="text/csv",
    key=c.LESSON.control("csv"),
)

spec = SceneSpec(
    "one-weight", TypedLoss(text) if text else SeedLoss(), (RunSpec(lr=lr),), (start,), steps, scene_link()
)
formulas = [problem.latex, problem.derivative_latex, rf"{p}_{{k+1}} = {p}_k - lr f'({p}_k)"]
shown_settings = [f"lr = {lr:g}", f"{p}₀ = {shown_number(start)}", f"{steps} steps"]
scene_exports(spec, [chart], formulas=[f for f in formulas if f], settings=shown_settings)
practice_section("one-weight")
