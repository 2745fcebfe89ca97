"""Helpers for AppTest page tests: run a page, read its charts back as strict JSON and data frames."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

import charts.kit as _chart_kit  # noqa: F401  (imported first: see run_page)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # the first run imports torch


def run_page(page: str, query: dict[str, str] | None = None) -> AppTest:
    """Run one page script (e.g. 'lessons/one_weight/page.py') on its own and return the finished AppTest.

    AppTest puts the page's own folder first on sys.path, where `charts` would be the lesson's charts.py; in the app
    the repository root is first and `charts` is the chart kit. The kit is imported above, so it is the kit here too.
    """
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _refuse(token: str):
    raise ValueError(f"chart spec contains {token}, which is not JSON")


def charts(at: AppTest, practice: bool = False) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """Every Vega-Lite chart of the lesson (and of its Practice section when `practice`): its spec parsed as strict
    JSON, and its named data sets."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec, parse_constant=_refuse)
        if not practice and spec.get("usermeta", {}).get("section") == "practice":
            continue
        datasets = {d.name: pa.ipc.open_stream(d.data.data).read_pandas() for d in element.proto.datasets}
        found.append((spec, datasets))
    return found


def assert_charts_clean(at: AppTest, minimum: int = 1, practice: bool = False) -> None:
    """At least `minimum` lesson charts; each chart (the Practice section's too) strict JSON, with no inf or NaN in
    any numeric data cell."""
    found = charts(at, practice=practice)
    assert len(found) >= minimum, f"expected at least {minimum} chart(s), found {len(found)}"
    for spec, datasets in charts(at, practice=True):
        json.dumps(spec, allow_nan=False)
        for name, frame in datasets.items():
            numeric = frame.select_dtypes("number").to_numpy(dtype=float, na_value=np.nan)
            assert np.isfinite(numeric).all(), f"data set {name} has non-finite values"


def assert_no_exception(at: AppTest) -> None:
    """The script ran to the end without an uncaught exception."""
    assert not at.exception, [e.value for e in at.exception]


def choose_label(control, label: str) -> None:
    """Pick an option of a selectbox, radio or select_slider by its shown label, as a browser user does.

    AppTest's set_value wants the underlying option value, which the test may not know (a page may show
    floats as "1/18"); the browser sends the label itself, so send that.
    """
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    if label not in control.options:
        raise ValueError(f"{label!r} is not one of {control.options}")
    state = WidgetState()
    state.id = control.id
    if control.type == "select_slider":
        state.string_array_value.data[:] = [label]
    else:
        state.string_value = label
    base = type(control)
    control.__class__ = type(f"Chosen{base.__name__}", (base,), {"_widget_state": property(lambda self: state)})


def shown(markdown: str) -> str:
    """Markdown as the reader sees it: backslash escapes (ui.text.plain) resolved, for comparing messages."""
    return re.sub(r"\\(.)", r"\1", markdown)


def browser_helpers():
    """tools/screenshots.py (the browser tests' server, run tracker and waits) as a module: tools/ is not a package."""
    return _script_module("descent_screenshots", "tools/screenshots.py")


def bench_client():
    """bench/st_client.py (the benches' server start/stop, websocket client and RSS reading) as a module."""
    return _script_module("st_client", "bench/st_client.py")  # its own name: bench scripts import it as st_client


def _script_module(name: str, relative: str):
    """The repository's file `relative` imported once as module `name` (tools/ and bench/ are not packages)."""
    import importlib.util
    import sys

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / relative)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
