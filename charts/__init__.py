"""The chart kit shared by the lessons: palette, markers, the step parameter, thinning and the loss floor.

Tidy frames in, Altair out; no streamlit here. A lesson's own charts live in lessons/<slug>/charts.py.
"""
