"""The floor for bench/rerun_cost.py: pages that send what a lesson page sends, and do nothing else.

Each page draws, in order, the elements bench/rerun_cost.py captured from the real page: its charts as
precomputed Vega-Lite spec dicts (the page's own spec and Arrow datasets) through st.vega_lite_chart, and one short
st.markdown for every other element. No imports of torch, pandas or Altair, no computation, no widgets: what a rerun
costs here is Streamlit's own per-element work, the least a page with that many elements can cost.

    DESCENT_FLOOR=/path/to/capture.pickle streamlit run bench/floor_app.py
"""

import os
import pickle
from pathlib import Path

import streamlit as st

CAPTURE = Path(os.environ["DESCENT_FLOOR"])  # written by bench/rerun_cost.py: {url path: [item, ...]}


@st.cache_resource
def specs() -> dict[str, list[dict | None]]:
    """Per url path: a spec dict (datasets as Arrow bytes) for each chart, None for each other element."""
    captured = pickle.loads(CAPTURE.read_bytes())  # our own file, written by rerun_cost.py; never a visitor's
    return {path: [item if item is None else dict(item) for item in items] for path, items in captured.items()}


def page(path: str):
    def draw() -> None:
        for index, spec in enumerate(specs()[path]):
            if spec is None:
                st.markdown(f"element {index}")
            else:
                st.vega_lite_chart(spec)  # Streamlit copies the dict before it moves the datasets to the proto

    draw.__name__ = f"floor_{path.replace('-', '_') or 'home'}"
    return draw


def empty() -> None:
    st.markdown("floor")


pages = [st.Page(page(path), title=path, url_path=path) for path in specs() if path]
home = st.Page(page("") if "" in specs() else empty, title="home", default=True)  # the default page is at ""
st.navigation([home, *pages]).run()
