"""Pieces every chart shares: a colour-blind-safe palette, the step scrubber, finite and thinned data."""

from __future__ import annotations

import json
import math

import altair as alt
import numpy as np
import pandas as pd

# Okabe–Ito: distinguishable with every common form of colour blindness, and on a projector.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def finite_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose numeric cells are all finite (inf/NaN would break a Vega-Lite spec or scale)."""
    numeric = frame.select_dtypes("number")
    if numeric.empty:
        return frame
    return frame[np.isfinite(numeric.to_numpy(dtype=float, na_value=np.nan)).all(axis=1)]


def thin_steps(frame: pd.DataFrame, max_steps: int = 400, step: str = "step") -> tuple[pd.DataFrame, int]:
    """Keep every k-th step (and the last) so a chart ships at most ~max_steps steps per run; returns (rows, k)."""
    last = int(frame[step].max()) if len(frame) else 0
    stride = max(1, math.ceil((last + 1) / max_steps))
    keep = (frame[step] % stride == 0) | (frame[step] == last)
    return frame[keep], stride


def step_slider(max_step: int, *, name: str = "step", stride: int = 1, value: int | None = None) -> alt.Parameter:
    """A Vega-Lite parameter bound to a range input: scrubbing filters in the browser, no server rerun.

    The range ends at the first multiple of `stride` at or above `max_step`, so the last step is reachable
    (filter the current point with "the last step ≤ the slider", not "= the slider", when thinning).
    """
    top = max(math.ceil(max_step / stride) * stride, 1)
    value = top if value is None else min(max(int(value), 0), top)
    return alt.param(
        name=name,
        value=value - value % stride,
        bind=alt.binding_range(min=0, max=top, step=stride, name="step "),
    )


def _refuse_constant(token: str):
    raise ValueError(f"chart spec contains {token}, which is not JSON")


def strict_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec as strict JSON (raises ValueError on NaN/Infinity anywhere in it)."""
    text = chart.to_json(validate=False)
    return json.loads(text, parse_constant=_refuse_constant)
