"""Home: what gradient descent is, and one card per lesson."""

import streamlit as st

from ui.scenes import SCENES

st.title("Descent: gradient descent, step by step")
st.markdown(
    "**Gradient descent** finds the bottom of a loss by walking downhill. At the current guess it measures "
    "the slope of the loss (the derivative, or for many weights the gradient) and takes a step against it, "
    "scaled by the **learning rate**. Repeat, and the guess slides towards the minimum, unless the steps are "
    "so large that it overshoots further each time."
)
st.latex(r"\theta_{k+1} = \theta_k - \mathrm{lr}\cdot \nabla f(\theta_k)")

LESSONS = [
    (
        "lessons/one_weight.py",
        "1 · One weight",
        "The tutorial's example: Loss(A) = (3 + 3A)², its tangent, and the update table step by step.",
    ),
    (
        "lessons/fitting_a_line.py",
        "2 · Fitting a line",
        "Slope and bias at once: the line fits itself while (w, b) walks down the mean-squared-error surface.",
    ),
    ("lessons/minibatches.py", "3 · Minibatches", "Each step sees a random batch: cheaper steps, a noisier path."),
    ("lessons/learning_rate.py", "4 · Learning rate", "Crawl, converge, overshoot, explode: the threshold 2/λmax."),
    ("lessons/optimizers.py", "5 · Optimizers", "Momentum, Nesterov, RMSProp and Adam race on 2-D surfaces."),
]
columns = st.columns(len(LESSONS))
for column, (page, title, blurb) in zip(columns, LESSONS, strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{title}**")
        st.caption(blurb)
        st.page_link(page, label="Open", icon="➡️")

st.subheader("Scenes for a lecture")
st.caption(
    "One click opens a lesson set up for a point of the tutorial; press ▶ Play under its chart. "
    "Every page keeps its settings in the link: **🔗 Copy link** under a chart shares the exact scene."
)
scene_columns = st.columns(4)
for index, scene in enumerate(SCENES):
    with scene_columns[index % 4]:
        st.page_link(scene.page, label=scene.title, icon="🎬", query_params=scene.query)
        st.caption(scene.says)
