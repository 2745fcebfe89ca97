"""What every lesson's charts share, defined once: colours and markers, the step parameter and how it is
attached, the thinning rule for long runs, the loss floor of log axes, and strict-JSON specs.

Scrubbing stays in the browser: each composite declares one Vega-Lite parameter `step` bound to a range
input, every layer filters on it, and ui.player drives that input. So a run is shipped once and never
recomputed while the class watches it play.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from gd_core.optimizers import OPTIMIZERS

# Okabe–Ito: distinguishable with every common form of colour blindness, and on a projector.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
BLUE, VERMILION, GREEN, PURPLE, ORANGE, SKY, YELLOW, BLACK = PALETTE
GREY = "#8C96A0"  # earlier steps, guides and the data points
# A five-pointed star centred on the origin (a Vega symbol path of unit size): the known minima.
STAR = (
    "M0,-1L0.2245,-0.309L0.9511,-0.309L0.3633,0.118L0.5878,0.809L0,0.382"
    "L-0.5878,0.809L-0.3633,0.118L-0.9511,-0.309L-0.2245,-0.309Z"
)
NUMBER = ".6~g"  # tooltip number format
EXACT = ".10~g"  # tooltip format exact enough to check against a table

MAX_SHOWN_STEPS = 400  # steps shipped per run; the slider then moves in strides
LOSS_FLOOR = 1e-30  # the lowest loss any log axis shows
STEP = "step"  # the name of the step parameter every trajectory chart shares (ui.player drives it by name)


def colour_of(optimizer: str) -> str:
    """Each optimizer keeps its colour whichever others are shown (by its place in gd_core's registry)."""
    return PALETTE[OPTIMIZERS.index(optimizer) % len(PALETTE)]


def finite_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose numeric cells are all finite (inf/NaN would break a Vega-Lite spec or scale)."""
    numeric = frame.select_dtypes("number")
    if numeric.empty:
        return frame
    return frame[np.isfinite(numeric.to_numpy(dtype=float, na_value=np.nan)).all(axis=1)]


def thinning_stride(last_step: int, max_steps: int = MAX_SHOWN_STEPS) -> int:
    """The stride that ships at most ~max_steps steps per run: the smallest ODD number ≥ (last+1)/max_steps,
    preferring one that divides last_step.

    Odd, so a run that flips sign every step (lr near 2/L) still alternates once thinned; a divisor when one
    is near, so the slider's own grid ends on the last step (step_slider reaches it either way).
    """
    need = max(1, math.ceil((int(last_step) + 1) / max_steps))
    odd = [k for k in range(need, 4 * need + 2) if k % 2 == 1]
    return next((k for k in odd if last_step % k == 0), odd[0])


def thin(frame: pd.DataFrame, stride: int) -> pd.DataFrame:
    """Every stride-th step of each run, plus each run's last step (where a diverged run ends); finite rows only."""
    frame = finite_rows(frame)
    last = frame.groupby("run")["step"].transform("max") if "run" in frame else frame["step"].max()
    return frame[(frame["step"] % stride == 0) | (frame["step"] == last)].reset_index(drop=True)


def loss_floor(losses: Sequence[float] | pd.Series | np.ndarray) -> float:
    """Where a log axis stops: a decade below the smallest positive loss, but never below LOSS_FLOOR.

    A run that lands exactly on the minimum has loss 0, which a log scale cannot show: it is drawn at the floor.
    """
    values = np.asarray(losses, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    if not len(positive):
        return LOSS_FLOOR
    return max(10.0 ** (math.floor(math.log10(positive.min())) - 1), LOSS_FLOOR)


def step_slider(max_step: int, *, stride: int = 1, value: int | None = None) -> alt.Parameter:
    """The step parameter, bound to a range input: scrubbing filters in the browser, no server rerun.

    The range ends at the first multiple of `stride` at or above `max_step`, so the last step is reachable
    (filter the current point with "the last step ≤ the slider", not "= the slider", when thinning).
    """
    top = max(math.ceil(max_step / stride) * stride, 1)
    value = top if value is None else min(max(int(value), 0), top)
    return alt.param(
        name=STEP, value=value - value % stride, bind=alt.binding_range(min=0, max=top, step=stride, name="step ")
    )


def with_params(chart: alt.TopLevelMixin, *params: alt.Parameter) -> alt.TopLevelMixin:
    """The one way to declare the step (and any other) parameter: set once at the top level.

    Not chart.add_params(), which deep-copies every view of a composite (about a second on page 1). Parameters
    already there (a selection Altair lifted from a view) are kept.
    """
    earlier = [] if chart.params is alt.Undefined else list(chart.params)
    chart.params = [*earlier, *(p.param for p in params)]
    return chart


def _refuse_constant(token: str):
    raise ValueError(f"chart spec contains {token}, which is not JSON")


def strict_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec as strict JSON (raises ValueError on NaN/Infinity anywhere in it)."""
    text = chart.to_json(validate=False)
    return json.loads(text, parse_constant=_refuse_constant)
