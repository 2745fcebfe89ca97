"""Presenter view: larger type and charts for a projector, fewer controls, high contrast.

The charts already use the Okabe–Ito palette (colour-blind safe); this only restyles the page.
"""

import streamlit as st

_CSS = """
<style>
  html { font-size: 20px; }
  [data-testid="stAppViewContainer"] { color: #000; }
  [data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
  [data-testid="stVegaLiteChart"] { zoom: 1.3; }
  [data-testid="stDownloadButton"], [data-testid="stExpander"], [data-testid="stDataFrame"],
  [data-testid="stTable"], [data-testid="stFileUploader"], .player .hint { display: none !important; }
  h1 { font-size: 2.4rem !important; }
</style>
"""


def apply() -> None:
    """Restyle the page for presenting (our own CSS; nothing user-supplied goes into it)."""
    st.html(_CSS)
