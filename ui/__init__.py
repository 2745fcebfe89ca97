"""Streamlit helpers shared by the pages: sidebar settings, cached gd_core calls, common controls."""
