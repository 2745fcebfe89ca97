"""Presenter view: larger type and charts for a projector, fewer controls, high contrast; the tables (the
iteration table is the tutorial's spreadsheet) stay.

The charts already use the Okabe–Ito palette (colour-blind safe); this restyles the page (no CSS zoom: the charts
are fitted to the column's real width by ui.screen, and get their own presenter type from charts.kit).
"""

import streamlit as st

_CSS = """
<style>
  [data-testid="stAppViewContainer"] { color: #000; }
  [data-testid="stMainBlockContainer"] { max-width: 100%; padding: 3.5rem 1.5rem 1rem; font-size: 1.15rem; }
  [data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
  [data-testid="stMainBlockContainer"] label { font-size: 1.1rem; overflow-wrap: anywhere; }
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #222 !important; opacity: 1; }
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
