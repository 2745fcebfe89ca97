"""Tables whose numbers read as the lessons write them (ui.numbers.shown_table), drawn once per content.

Why this module exists: Streamlit marshals a pandas Styler's display values on every call (pandas renders every
cell, then Streamlit turns the frame into strings and a second Arrow table): 2.5-4 ms for a table of 5-20 rows, on
every rerun, the largest single cost of an identical rerun of pages 1 and 4 (cProfile of AppTest runs,
bench/README.md "Server CPU per rerun"). Drawn inside a cached function, the element is recorded with the result
and replayed on a hit (st.cache_data's replay of the elements a cached function draws), so an unchanged table costs
a copy of its message. The key is the frame's content (ui.cache digests frames by their bytes) and the settings.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.cache import cached
from ui.numbers import shown_table


@cached
def shown_dataframe(frame: pd.DataFrame, digits: dict[str, int], **options) -> None:
    """st.dataframe(shown_table(frame, digits), **options), replayed from the cache when nothing changed."""
    st.dataframe(shown_table(frame, digits), **options)


@cached
def shown_static_table(frame: pd.DataFrame, digits: dict[str, int]) -> None:
    """st.table(shown_table(frame, digits)), replayed from the cache when nothing changed."""
    st.table(shown_table(frame, digits))
