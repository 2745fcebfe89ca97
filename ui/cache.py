"""The one caching pattern of the app: `@cached` on every function a rerun would otherwise recompute.

st.cache_data keyed by the arguments, with a bounded number of entries and a TTL, and a `Data` (a data set chosen on a
page) hashed by its key (the source and settings, or the upload's digest) rather than by its arrays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

F = TypeVar("F", bound=Callable)
MAX_ENTRIES = 32
# Entries live TTL_SECONDS from when they were computed (a popular one is recomputed once per TTL): with
# ui.memory's reaper expiring them every 30 s, memory is back near the warm server's within ~2 minutes of the
# last visitor leaving (bench/README.md, "memory after the sessions leave"). The pickled bytes of every cache's
# entries together stay under server.maxCacheDataSize (.streamlit/config.toml): Streamlit evicts the least recently
# used entry of any cache on the write that would pass it (tests/test_cache_bound.py).
TTL_SECONDS = 90


def _key_of(value) -> str:
    return value.key


def _frame_digest(frame) -> bytes:
    """A data frame's content digest for st.cache_data: its shape, names, dtypes, index and the bytes of its values.

    Hand-written because Streamlit's default (pandas.util.hash_pandas_object per column, then combined) costs
    1.5-2 ms per small frame, a frame's fixed overhead rather than its size: with 5-10 frames hashed by the cached
    builders of a page that was a third of an identical rerun (cProfile, bench/README.md "Server CPU per rerun").
    This is 0.1-0.3 ms per frame and hashes the same content (numeric columns by their bytes, others by pandas'
    own hash_array over their values).
    """
    import hashlib

    import numpy as np
    import pandas as pd

    digest = hashlib.md5(usedforsecurity=False)
    digest.update(repr((frame.shape, list(frame.columns), frame.dtypes.tolist())).encode())
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        digest.update(repr((index.start, index.stop, index.step, index.name)).encode())
    else:
        digest.update(_values_bytes(index.to_numpy(), np, pd))
    for _, column in frame.items():
        if isinstance(column.array, pd.arrays.ArrowExtensionArray):  # pyarrow-backed (pandas 3's text): its buffers
            _update_arrow(digest, column.array.__arrow_array__())
        else:
            digest.update(_values_bytes(column.to_numpy(), np, pd))
    return digest.digest()


def _update_arrow(digest, chunked) -> None:
    """An Arrow column into the digest: its type, and per chunk its offset, length, null count and buffers.

    Not its values one by one: turning a text column into Python strings was most of a digest (page 4's run frames,
    ~10,000 rows). Buffers hold a sliced chunk's neighbours too, so the same values laid out differently give another
    key (a cache miss, never a wrong hit); the offset and length say which part of them is this column."""
    digest.update(repr((str(chunked.type), len(chunked), chunked.num_chunks)).encode())
    for chunk in chunked.chunks:
        buffers = chunk.buffers()
        digest.update(repr((chunk.offset, len(chunk), chunk.null_count, [b and b.size for b in buffers])).encode())
        for buffer in buffers:
            if buffer is not None:
                digest.update(buffer)


def _series_digest(series) -> bytes:
    return _frame_digest(series.to_frame(name=repr(series.name)))


def _values_bytes(values, np, pd) -> bytes:
    if values.dtype.kind in "biufcmM":  # numbers, booleans, datetimes: their bytes
        return np.ascontiguousarray(values).tobytes()
    values = np.asarray(values, dtype=object)
    if all(type(value) is str for value in values):  # labels: their text, each ended by a NUL (no two lists alike)
        return "\0".join([*values, ""]).encode()
    return pd.util.hash_array(values).tobytes()  # other objects, missing values


def cached(function: F | None = None, *, max_entries: int = MAX_ENTRIES, ttl: float = TTL_SECONDS) -> F:
    """st.cache_data with the app's bounds, a chosen data set hashed by its key (ui.data_controls.Data.key)."""
    hash_funcs = {
        "ui.data_controls.Data": _key_of,  # by name: data_controls itself uses `cached`
        "pandas.DataFrame": _frame_digest,  # by name: no pandas import for a page that has none
        "pandas.Series": _series_digest,
    }
    decorate = st.cache_data(max_entries=max_entries, ttl=ttl, show_spinner=False, hash_funcs=hash_funcs)
    return decorate if function is None else decorate(function)


# Altair's theme and data transformer are process-wide settings: one lock so that two sessions building charts at
# once each get their own transformer and data sets (Streamlit's st.altair_chart keeps its own lock the same way).
ALTAIR_LOCK = threading.Lock()


def finished_spec(chart) -> dict:
    """An Altair chart as the Vega-Lite dict st.vega_lite_chart draws, built once per input by a cached caller.

    Why: building a composite and validating it in to_dict() was nearly all of a rerun's server CPU (bench/
    rerun_cost.py: 1.7 s of an identical rerun of page 1 on a loaded machine); a cached dict costs a copy. No
    validation here: tests/pagetools.py and the page tests check every spec as strict JSON. Altair's default theme
    is off, as st.altair_chart turns it off (its width/height defaults are not the app's).
    """
    import altair as alt

    # Every data frame goes straight to Arrow IPC bytes (what st.vega_lite_chart sends), named by their hash, as
    # st.altair_chart does: Altair's default route wrote each frame as rows and hashed their JSON, then
    # st.vega_lite_chart turned the rows back into a frame and Arrow (cProfile: ~20% of a recomputing rerun of the
    # optimizers page). No row limit: the charts thin their own data (charts.kit.thin).
    datasets: dict[str, bytes] = {}
    named: dict[int, tuple[object, dict]] = {}  # id(frame) -> (frame, its reference): a frame in several layers once
    alt.data_transformers.register("app_arrow", _arrow_dataset)
    with (
        ALTAIR_LOCK,
        alt.theme.enable("none"),
        alt.data_transformers.enable("app_arrow", datasets=datasets, named=named),
    ):
        spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    if not spec["datasets"]:
        del spec["datasets"]
    return with_arrow_datasets(spec)


def _arrow_dataset(data, datasets: dict[str, bytes], named: dict | None = None) -> dict[str, str]:
    """Altair data transformer: the frame as Arrow IPC bytes in `datasets`, referenced by a content-hash name.

    A frame that several layers share (the same object) is converted once per spec (`named`, by identity, the
    frame kept alive beside its name): page 1's composite converted 19 frames for 8 data sets."""
    import hashlib

    from streamlit import dataframe_util

    if named is not None and id(data) in named and named[id(data)][0] is data:
        return dict(named[id(data)][1])
    rows = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = "data-" + hashlib.md5(rows, usedforsecurity=False).hexdigest()
    datasets[name] = rows
    if named is not None:
        named[id(data)] = (data, {"name": name})
    return {"name": name}


def with_arrow_datasets(spec: dict) -> dict:
    """The spec with its named data sets as Arrow IPC bytes, converted once with Streamlit's own converter.

    Why: st.vega_lite_chart moves bytes to the proto as they are, but turns rows (a list of dicts) into a data frame
    and then Arrow on every call: 15–45 ms of an identical rerun (cProfile of the page scripts). Same bytes either
    way. json_spec() turns them back into rows where a spec leaves the app (the offline page).
    """
    from streamlit import dataframe_util

    datasets = spec.get("datasets")
    if datasets:
        spec["datasets"] = {
            name: rows if isinstance(rows, bytes) else dataframe_util.convert_anything_to_arrow_bytes(rows)
            for name, rows in datasets.items()
        }
    return spec


def json_spec(spec: dict) -> dict:
    """A finished spec with its Arrow data sets back as rows (null for a missing value): strict JSON again."""
    import pyarrow as pa

    datasets = spec.get("datasets")
    if not datasets or not any(isinstance(rows, bytes) for rows in datasets.values()):
        return spec
    rows_of = {
        name: pa.ipc.open_stream(rows).read_all().to_pylist() if isinstance(rows, bytes) else rows
        for name, rows in datasets.items()
    }
    return spec | {"datasets": rows_of}


def chart_spec(builder: Callable, *args, **kwargs) -> dict:
    """builder(*args, **kwargs) (an Altair chart builder of a lesson) as a finished Vega-Lite dict, cached by its
    arguments (data frames hash by content): a rerun whose chart did not change builds nothing."""
    return _spec_of(f"{builder.__module__}:{builder.__qualname__}", args, kwargs)


@cached(max_entries=64)
def _spec_of(builder: str, args: tuple, kwargs: dict) -> dict:
    import importlib

    module, name = builder.split(":")
    return finished_spec(getattr(importlib.import_module(module), name)(*args, **kwargs))


@cached
def live_description(what: str, frame, columns: dict[str, str], *, by: str | None = None, after: str = "") -> dict:
    """charts.kit.live_description, cached by its inputs: the text alternative of every step is the same for the
    same run (9 ms and ~60 kB to build for five 300-step optimizers), so a rerun that changes nothing reuses it."""
    from charts.kit import live_description as build

    return build(what, frame, columns, by=by, after=after)
