"""Home: what gradient descent is, one card per lesson, and the scenes for a lecture."""

import streamlit as st

from lessons import LESSONS
from ui.scenes import SCENES

st.title("Descent: gradient descent, step by step")
st.markdown(
    "**Gradient descent** finds the bottom of a loss by walking downhill. At the current guess it measures "
    "the slope of the loss (the derivative, or for many weights the gradient) and takes a step against it, "
    "scaled by the **learning rate**. Repeat, and the guess slides towards the minimum, unless the steps are "
    "so large that it overshoots further each time."
)
st.latex(r"\theta_{k+1} = \theta_k - \mathrm{lr}\cdot \nabla f(\theta_k)")

columns = st.columns(len(LESSONS))
for column, lesson in zip(columns, LESSONS, strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{lesson.title}**")
        st.caption(lesson.blurb)
        st.page_link(lesson.page, label="Open", icon="➡️")

st.subheader("Scenes for a lecture")
st.caption(
    "One click opens a lesson set up for a point of the tutorial; press ▶ Play above its chart. "
    "Every page keeps its settings in the link: **🔗 Copy link** under a chart shares the exact scene."
)
for index, scene in enumerate(SCENES):
    if index % 4 == 0:  # a row of four at a time: on a phone the columns stack and keep the tutorial's order
        scene_columns = st.columns(4)
    with scene_columns[index % 4]:
        st.page_link(scene.page, label=scene.title, icon="🎬", query_params=scene.query())
        st.caption(scene.says)
