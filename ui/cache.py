"""The one caching pattern of the app: `@cached` on every function a rerun would otherwise recompute.

st.cache_data keyed by the arguments, with a bounded number of entries, and a `Data` (a data set chosen on a
page) hashed by its key (the source and settings, or the upload's digest) rather than by its arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

F = TypeVar("F", bound=Callable)
MAX_ENTRIES = 32


def _key_of(value) -> str:
    return value.key


def cached(function: F | None = None, *, max_entries: int = MAX_ENTRIES) -> F:
    """st.cache_data with the app's bounds, a chosen data set hashed by its key (ui.data_controls.Data.key)."""
    hash_funcs = {"ui.data_controls.Data": _key_of}  # by name: data_controls itself uses `cached`
    decorate = st.cache_data(max_entries=max_entries, show_spinner=False, hash_funcs=hash_funcs)
    return decorate if function is None else decorate(function)
