"""A tiny page for the practice tests: one lesson's Practice section (?lesson=<slug>, default one-weight)."""

import streamlit as st

from practice.questions import KINDS
from ui.practice import practice_section

lesson = st.query_params.get("lesson", "one-weight")
practice_section(lesson if lesson in KINDS else "one-weight")
