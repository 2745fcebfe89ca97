"""2 · Fitting a line: slope and bias descend the mean squared error together."""

import pandas as pd
import streamlit as st

from charts import line_fit as lf
from charts.kit import read_description
from export.scene import RunSpec, SceneSpec
from lessons import lesson
from lessons.fitting_a_line import charts
from ui import data_controls as dc
from ui import lecture, screen, settings
from ui import schedule as sc
from ui.cache import chart_spec, live_description
from ui.exports import scene_exports, scene_link
from ui.numbers import shown_number
from ui.player import player
from ui.practice import practice_section
from ui.tables import shown_dataframe
from ui.widgets import remembered

LESSON = lesson("fitting-a-line")

s = settings.current()
st.title("2 · Fitting a line")
st.markdown(
    "Now the model is a line, **ŷ = w·x + b**, with two weights: the slope *w* and the bias *b*. The loss is the "
    "**mean squared error** over all the points. Each step moves (w, b) against the gradient, so the point "
    "walks downhill on the loss surface while the line swings into place over the data."
)

data, lr, descent_box = dc.data_and_rate(LESSON.control("lr"), s.device)
with descent_box:
    steps = remembered(st.slider, "Steps", key=LESSON.control("steps"), default=100, min_value=1, max_value=1000)
    schedule = sc.schedule_for(sc.schedule_control(LESSON.control("schedule")), steps)
    left, right = st.columns(2)
    start = {"min_value": -1000.0, "max_value": 1000.0, "step": 0.5, "format": "%g"}
    w0 = remembered(left.number_input, "Start slope w₀", key=LESSON.control("w0"), default=0.0, **start)
    b0 = remembered(right.number_input, "Start bias b₀", key=LESSON.control("b0"), default=0.0, **start)

if data is None:
    st.info("Fix the data above to continue: the lesson picks up as soon as there is a line to fit.", icon="ℹ️")
    st.stop()

LINE_FORMULAS = (
    r"\mathrm{MSE}(w, b) = \frac{1}{n}\sum_{i=1}^{n} \left(w\,x_i + b - y_i\right)^2",
    r"w \leftarrow w - \mathrm{lr}\cdot\frac{\partial\,\mathrm{MSE}}{\partial w},\qquad "
    r"b \leftarrow b - \mathrm{lr}\cdot\frac{\partial\,\mathrm{MSE}}{\partial b}",
    r"\frac{\partial\,\mathrm{MSE}}{\partial w} = \frac{2}{n}\sum_{i=1}^{n}(w\,x_i + b - y_i)\,x_i",
    r"\frac{\partial\,\mathrm{MSE}}{\partial b} = \frac{2}{n}\sum_{i=1}^{n}(w\,x_i + b - y_i)",
)
loss_column, grad_column = st.columns(2)
for column, formula in zip((loss_column, loss_column, grad_column, grad_column), LINE_FORMULAS, strict=True):
    column.latex(formula)
if data.scale is not None:  # standardised: the fit is on z-scores, the line reported in the file's units
    z = data.scale
    st.latex(
        rf"x_i \leftarrow \frac{{x_i - {z.mean_x:.4g}}}{{{z.std_x:.4g}}},\quad "
        rf"y_i \leftarrow \frac{{y_i - {z.mean_y:.4g}}}{{{z.std_y:.4g}}};\qquad "
        r"y = \underbrace{w\,\tfrac{s_y}{s_x}}_{W}\,x + \underbrace{\bar y + s_y b - W \bar x}_{B}"
    )

try:
    frame, summary = dc.descent(
        data, lr=lr, steps=steps, start=(w0, b0), device=s.device, schedule=sc.scheduled(schedule)
    )
except ValueError as error:
    dc.show_error(error)
    st.stop()
best = dc.least_squares(data)
(w_star, b_star), min_loss = best.optimum, best.min_loss
surface = dc.surface(data, lf.surface_ranges(frame, best.optimum), 50, s.device)
names = data.dataset.x_name, data.dataset.y_name
described = live_description("The line over the data beside (w, b) on the MSE surface and the loss against step",
                             frame, {"w": "w", "b": "b", "loss": "MSE"})  # fmt: skip
player(LESSON.control("player"), describe=described)
chart = chart_spec(
    charts.fit_chart, data.frame, frame, surface, best.optimum, min_loss, *names, future=not lecture.hide_future()
)
screen.chart(chart, read_description(described))
sc.schedule_panel(schedule, frame, steps)
st.caption(
    f"Drag **step** under the chart to replay the descent ({data.label}). Dashed black: the least-squares line, "
    "the best any step can reach. The surface is shaded by MSE on a log scale (lighter is lower)."
)

final = frame.iloc[-1]
diverged_at = summary["diverged_at"].iloc[0]
if pd.notna(diverged_at):
    st.error(
        f"Diverged at step {int(diverged_at)}: with lr = {lr:g} every step overshoots the valley by more than the "
        f"last, and the loss exploded. Pick a learning rate below the critical one.",
        icon="💥",
    )
elif min_loss > 0 and final["loss"] > 1.001 * min_loss:
    st.info(
        f"Not there yet: after {int(final['step'])} steps the MSE is {final['loss'] / min_loss - 1:.1%} above the best "
        "line's. More steps, or a larger learning rate below the critical one, get closer.",
        icon="🐢",
    )
results = pd.DataFrame(
    {
        "": [f"gradient descent, step {int(final['step'])}", "least squares (closed form)"],
        "slope w": [final["w"], w_star],
        "bias b": [final["b"], b_star],
        "MSE": [final["loss"], min_loss],
    }
)
if data.scale is not None:
    for label, (w, b, loss) in (
        ("gradient descent, in the file's units", (final["w"], final["b"], final["loss"])),
        ("least squares, in the file's units", (w_star, b_star, min_loss)),
    ):
        slope, bias = data.scale.to_original(w, b)
        results.loc[len(results)] = [label, slope, bias, data.scale.loss_to_original(loss)]
shown_dataframe(results, {"slope w": 6, "bias b": 6, "MSE": 6}, hide_index=True)  # cached (ui.tables)
st.download_button(
    "Download every step (CSV)",
    lambda: dc.trajectory_csv(frame),  # written only when clicked (ui.exports)
    file_name="fitting-a-line.csv",
    mime="text/csv",
    icon="⬇️",
    key=LESSON.control("download"),
)
st.caption(f"Computed on **{s.resolved.label}**.")

spec = SceneSpec("fitting-a-line", data.source, (RunSpec(lr=lr),), (w0, b0), steps, scene_link())
settings = [data.label, f"lr = {lr:g}", f"start (w₀, b₀) = ({shown_number(w0)}, {shown_number(b0)})", f"{steps} steps"]
scene_exports(spec, [chart], formulas=LINE_FORMULAS, settings=settings)
practice_section("fitting-a-line")
