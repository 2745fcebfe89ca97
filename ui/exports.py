"""Take a scene anywhere: the PyTorch code behind it, a notebook, and an offline web page, under one expander.

Nothing is built until its button is pressed (download buttons take callables), so the expander costs a page
almost nothing; the script shown is a few kilobytes of text. Every download button of the app is deferred like these:
a button given bytes puts a file in Streamlit's media store on every run, and the browser fetches it at once to check
it (a second copy of every CSV over the wire per rerun, and a 404 when a newer run has replaced it already).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

import altair as alt
import streamlit as st

from export.notebook import scene_notebook
from export.offline import offline_page
from export.scene import SceneSpec
from export.script import scene_script
from ui.cache import json_spec


def scene_link() -> str:
    """The URL that reopens this scene: the page's address and its query (every setting, and the step)."""
    url = str(st.context.url or "").split("?")[0]
    query = urlencode(st.query_params.to_dict(), doseq=True)
    return f"{url}?{query}" if query else url


def scene_exports(
    spec: SceneSpec, charts: Sequence[alt.TopLevelMixin | dict], *, formulas: Sequence[str], settings: Sequence[str]
) -> None:
    """The expander "PyTorch code for this scene": the script (with a copy button), .py, .ipynb and .html downloads."""
    key = spec.lesson
    with st.expander("PyTorch code for this scene"):
        st.caption(
            "Plain PyTorch that recomputes this run and prints every step as CSV (the same numbers as the page). "
            "The notebook also plots the loss; the web page plays the scene offline, with no network."
        )
        script = scene_script(spec)
        st.code(script, language="python")
        py, notebook, page = st.columns(3)
        py.download_button("⬇️ .py", lambda: script, f"{key}.py", "text/x-python", key=f"{key}.export_py")
        notebook.download_button(
            "⬇️ .ipynb", lambda: scene_notebook(spec), f"{key}.ipynb", "application/x-ipynb+json", key=f"{key}.export_nb"
        )
        page.download_button(
            "⬇️ Download this scene as a web page",
            lambda: offline_page(
                [json_spec(chart) if isinstance(chart, dict) else chart.to_dict(validate=False) for chart in charts],
                title=spec.title,
                formulas=list(formulas),
                settings=list(settings),
                link=spec.link,
                version=spec.version,
            ),
            f"{key}.html",
            "text/html",
            key=f"{key}.export_html",
        )
