"""The heavy imports in the background once a server's first page has been drawn, then the code every load reaches.

Streamlit runs nothing of the app before the first browser connects (1.67 has a server-start hook only for `st.App`,
an ASGI server), so app.py calls `start()` at the top of every run; the first call starts one daemon thread, which
waits until the first page has been sent whole (`page_drawn()`, from app.py) and BROWSER_GRACE_S more, then:

1. imports torch, pandas, Altair, gd_core's modules and the chart kit (1.5-2 CPU-s) that the next page will need;
   a lesson's own `import` waits for a module being loaded here (Python's per-module import locks). Not from the
   first run on: the threads of one process share one interpreter lock, so imports beside the first run only made
   it slower (the torch-free home page's first run took 1.74 CPU-s of server time to its sidebar with them, 0.73
   alone), and a lesson opened first imports what it needs in its own run either way.
2. warms what the first visit of each page would otherwise pay inside a visitor's rerun and keep for good: one
   torch.optim step of each optimizer and an LR scheduler (that first step imports torch._dynamo: ~1.2 CPU-s,
   +77 MB, +116,000 objects, measured here), Altair's schema, then `gc.collect()` and `gc.freeze()`, so that the
   "warm server" already holds what any load reaches (issue 9: memory after a load is judged against it) and the
   collector no longer walks these objects.

The browser side (`vega_chunks()`, drawn in the sidebar): Streamlit's frontend fetches its chart element and Vega
(embed.js, ~0.8 MB) only when the first chart's message arrives, and then parses them while the chart waits. A small
component imports the same chunk as soon as the sidebar is drawn, while the server still runs the page, so the first
chart finds it loaded (the module map keys modules by URL: the frontend's own import gets the same, evaluated one).

A failure here is logged and changes nothing but speed: every module is imported again where it is used.
"""

from __future__ import annotations

import functools
import gc
import importlib
import logging
import sys
import threading
import time
from pathlib import Path

import streamlit as st

HEAVY = (
    "torch",
    "numpy",
    "pandas",
    "altair",
    "gd_core.descent",
    "gd_core.data",
    "gd_core.curvature",
    "gd_core.noise",
    "gd_core.surface",
    "gd_core.tables",
    "gd_core.scaling",
    "charts.kit",
    "charts.line_fit",
    "ui.exports",  # 0.27 CPU-s (the notebook and offline-page exporters): every lesson imports it at its top
    "ui.practice",
    "ui.data_controls",
    "streamlit.emojis",  # 0.27 CPU-s (a regex of every emoji): the first message with an emoji icon compiles it
)
DRAWN_WAIT_S = 60.0  # the preload starts at the latest this long after the first run, even if no page was drawn
# After the first page has been sent, the browser still fetches Vega's chunks (~0.8 MB) and the widgets' from this
# server, and tornado serves them only between the preload thread's GIL slices: the preload waits this long more.
BROWSER_GRACE_S = 4.0
_log = logging.getLogger(__name__)
_drawn = threading.Event()
timings: dict[str, float] = {}  # stage -> CPU seconds of the preload thread (for bench/ and the probe server)


def loaded(module: str) -> bool:
    """Whether `module` is fully imported (not merely started by another thread)."""
    found = sys.modules.get(module)
    spec = getattr(found, "__spec__", None)
    return found is not None and not getattr(spec, "_initializing", False)


def page_drawn() -> None:
    """Say that a page has been sent whole (app.py, after the page): stage 2 may use the CPU now."""
    _drawn.set()


def _imports() -> None:
    for name in HEAVY:
        importlib.import_module(name)


def _warm() -> None:
    """What the first visit of a page would import or build inside a visitor's rerun (see the module docstring)."""
    import altair as alt
    import pandas as pd
    import torch

    import gd_core as gd

    leaf = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    for record in gd.optimizers.REGISTRY:
        if record.torch_class is None:
            continue
        optimizer = record.torch_class([{"params": [leaf], "lr": 0.1}], **record.hyper)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1.0)
        leaf.grad = torch.ones(2, dtype=torch.float64)
        optimizer.step()
        scheduler.step()
    alt.Chart(pd.DataFrame({"x": [0.0]})).mark_point().encode(x="x:Q").to_dict(validate=True)


def _run() -> None:
    try:
        if _drawn.wait(DRAWN_WAIT_S):
            time.sleep(BROWSER_GRACE_S)
        start = time.thread_time()
        _imports()
        timings["imports"] = time.thread_time() - start
        start = time.thread_time()
        _warm()
        gc.collect()
        gc.freeze()  # what is alive now lives for good: the collector stops walking it (issue 10's GC route)
        timings["warm"] = time.thread_time() - start
    except Exception:  # never let a preload take the server down: the pages import what they need themselves
        _log.exception("ui.preload: background imports failed")


@functools.cache
def start() -> threading.Thread:
    """Start (once per process) the thread that imports and warms in the background; returns it."""
    thread = threading.Thread(target=_run, name="descent-preload", daemon=True)
    thread.start()
    return thread


# --- the browser side ----------------------------------------------------------------------------------------------
# The chunk names carry a content hash, so they are read from the installed Streamlit's static folder; with none found
# (another packaging) the component is not drawn and the charts load Vega as before.
_STATIC_JS = Path(st.__file__).parent / "static" / "static" / "js"
CHUNKS = tuple(path.name for path in _STATIC_JS.glob("ArrowVegaLiteChart.*.js"))  # it imports embed.js statically
_PREFETCH_JS = """
export default function (component) {
  const chunks = (component.data && component.data.chunks) || [];
  if (window.__descentVega || !chunks.length) return;
  const entry = document.querySelector('script[type="module"][src*="static/js/index."]');
  if (!entry) return;
  // The same URLs as the frontend's own lazy imports: one module instance, fetched and evaluated once.
  window.__descentVega = Promise.all(chunks.map((name) => import(new URL(name, entry.src).href))).catch(() => {});
}
"""
_prefetch = st.components.v2.component("descent_vega_prefetch", html="<span></span>", js=_PREFETCH_JS)


def vega_chunks() -> None:
    """Place the component that makes the browser fetch Vega's chunks now (sidebar, every run: a few bytes)."""
    if len(CHUNKS) == 1:
        _prefetch(key="vega-prefetch", data={"chunks": list(CHUNKS)})
