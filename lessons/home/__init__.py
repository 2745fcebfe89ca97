"""Lesson folder: page.py is the script Streamlit runs; the other modules are its parts."""
