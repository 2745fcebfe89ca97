"""Descent: a gradient-descent teaching dashboard. Run with `streamlit run app.py`."""

import streamlit as st

from ui import links, presenter, server_guard, settings
from ui.memory import cap_malloc_arenas

cap_malloc_arenas()  # many sessions, one thread each: see ui/memory.py
server_guard.install()  # visitors cannot clear the caches, read /_stcore/metrics or pin uploads: see the module

st.set_page_config(
    page_title="Descent: gradient descent, step by step",
    page_icon="📉",
    layout="wide",
    initial_sidebar_state="collapsed" if presenter.requested() else "auto",  # presenting: all width to the charts
)

PAGES = [
    st.Page("lessons/home.py", title="Home", icon="🏠", default=True),
    st.Page("lessons/one_weight.py", title="1 · One weight", icon="🎯", url_path="one-weight"),
    st.Page("lessons/fitting_a_line.py", title="2 · Fitting a line", icon="📈", url_path="fitting-a-line"),
    st.Page("lessons/minibatches.py", title="3 · Minibatches", icon="🎲", url_path="minibatches"),
    st.Page("lessons/learning_rate.py", title="4 · Learning rate", icon="💥", url_path="learning-rate"),
    st.Page("lessons/optimizers.py", title="5 · Optimizers", icon="🏎️", url_path="optimizers"),
]

incoming = st.query_params.to_dict()  # the link as opened, before the widgets read (and clean) it
navigation = st.navigation(PAGES)
if settings.sidebar().presenting:
    presenter.apply()
navigation.run()
links.report_ignored(incoming)
