"""Home: what gradient descent is, one card per lesson, and the scenes for a lecture."""

import streamlit as st

from lessons import LESSONS
from ui import lecture

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
    "The scenes follow the tutorial's order. Each opens a lesson set up for one point, with a bar above it: the "
    "settings that make the point, **← previous** and **next →** (or PageUp / PageDown, [ and ]), and a toggle "
    "that hides the grey future path so the class can guess the next step. Press ▶ Play above the chart. Every "
    "page keeps its settings in the link: **🔗 Copy link** shares the exact scene."
)
order = lecture.running_order()
st.page_link(order[0].page, label="Start the lecture at scene 1", icon="▶️", query_params=lecture.scene_query(0))
for index, scene in enumerate(order):  # one scene per row: the same order on a phone as on a projector
    st.page_link(scene.page, label=f"{index + 1}. {scene.title}", icon="🎬", query_params=lecture.scene_query(index))
    st.caption(f"{lecture.settings_line(scene)}. {scene.says}")
