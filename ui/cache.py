"""The one caching pattern of the app: `@cached` on every function a rerun would otherwise recompute.

st.cache_data keyed by the arguments, with a bounded number of entries and a TTL, and a `Data` (a data set chosen on a
page) hashed by its key (the source and settings, or the upload's digest) rather than by its arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

F = TypeVar("F", bound=Callable)
MAX_ENTRIES = 32
# Entries live TTL_SECONDS from when they were computed (a popular one is recomputed once per TTL): with
# ui.memory's reaper expiring them every 30 s, memory is back near the warm server's within ~2 minutes of the
# last visitor leaving (bench/README.md, "memory after the sessions leave"). All bytes together stay under
# server.maxCacheDataSize (.streamlit/config.toml).
TTL_SECONDS = 90


def _key_of(value) -> str:
    return value.key


def cached(function: F | None = None, *, max_entries: int = MAX_ENTRIES, ttl: float = TTL_SECONDS) -> F:
    """st.cache_data with the app's bounds, a chosen data set hashed by its key (ui.data_controls.Data.key)."""
    hash_funcs = {"ui.data_controls.Data": _key_of}  # by name: data_controls itself uses `cached`
    decorate = st.cache_data(max_entries=max_entries, ttl=ttl, show_spinner=False, hash_funcs=hash_funcs)
    return decorate if function is None else decorate(function)


def finished_spec(chart) -> dict:
    """An Altair chart as the Vega-Lite dict st.vega_lite_chart draws, built once per input by a cached caller.

    Why: building a composite and validating it in to_dict() was nearly all of a rerun's server CPU (bench/
    rerun_cost.py: 1.7 s of an identical rerun of page 1 on a loaded machine); a cached dict costs a copy. No
    validation here: tests/pagetools.py and the page tests check every spec as strict JSON. Altair's default theme
    is off, as st.altair_chart turns it off (its width/height defaults are not the app's).
    """
    import altair as alt

    # Data sets inline, with no row limit: the charts thin their own data (charts.kit.thin), and Altair's default
    # 5,000-row cap would refuse a 60 × 60 grid with its paths.
    with alt.theme.enable("none"), alt.data_transformers.enable("default", max_rows=None):
        return chart.to_dict(validate=False)


def chart_spec(builder: Callable, *args, **kwargs) -> dict:
    """builder(*args, **kwargs) (an Altair chart builder of a lesson) as a finished Vega-Lite dict, cached by its
    arguments (data frames hash by content): a rerun whose chart did not change builds nothing."""
    return _spec_of(f"{builder.__module__}:{builder.__qualname__}", args, kwargs)


@cached(max_entries=64)
def _spec_of(builder: str, args: tuple, kwargs: dict) -> dict:
    import importlib

    module, name = builder.split(":")
    return finished_spec(getattr(importlib.import_module(module), name)(*args, **kwargs))
