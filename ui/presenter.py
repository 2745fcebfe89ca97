"""Presenter view: larger type and charts for a projector, fewer controls, high contrast; the tables (the
iteration table is the tutorial's spreadsheet) stay.

The charts already use the Okabe–Ito palette (colour-blind safe); this only restyles the page.
"""

import streamlit as st

_CSS = """
<style>
  [data-testid="stAppViewContainer"] { color: #000; }
  [data-testid="stMainBlockContainer"] { max-width: 100%; padding: 3.5rem 1.5rem 1rem; zoom: 1.15; }
  [data-testid="stDownloadButton"], [data-testid="stExpander"], [data-testid="stFileUploader"],
  .player .hint { display: none !important; }
  h1 { font-size: 2.4rem !important; }
</style>
"""


def requested() -> bool:
    """Whether this run presents: the sidebar toggle, or ?presenter=true in an opened link."""
    if "presenter" in st.session_state:
        return bool(st.session_state["presenter"])
    return st.query_params.get("presenter", "").lower() in {"true", "1"}


def apply() -> None:
    """Restyle the page for presenting (our own CSS; nothing user-supplied goes into it)."""
    st.html(_CSS)
