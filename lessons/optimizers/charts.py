"""Page 5, optimizers on 2-D surfaces: the loss map with every path, loss against step, one shared step slider.

Tidy frames in, alt.Chart out; no streamlit. Also the page's plain data (default learning rates per surface,
the update rules as LaTeX) and the small pure helpers the page needs (results table, click -> start point).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from gd_core.charts.common import PALETTE, finite_rows, step_slider, thin_steps
from gd_core.descent import OPTIMIZER_LABELS, OPTIMIZERS

SURFACE_LABELS = {
    "ill_conditioned": "Ill-conditioned bowl",
    "rosenbrock": "Rosenbrock's banana valley",
    "himmelblau": "Himmelblau (four minima)",
    "saddle": "Saddle",
}

# Learning rates offered by the sliders: 1, 1.5, 2, 3, 5, 7 per decade, from 1e-4 to 10.
LR_CHOICES: tuple[float, ...] = (
    *(float(f"{m * 10.0**e:.4g}") for e in range(-4, 1) for m in (1, 1.5, 2, 3, 5, 7)),
    10.0,
)

# Defaults chosen so each surface tells its story in the default 300 steps (all values are in LR_CHOICES).
DEFAULT_LRS: dict[str, dict[str, float]] = {
    # critical lr for plain gd is 2/25 = 0.08: 0.07 zig-zags across the narrow valley
    "ill_conditioned": {"gd": 0.07, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.05, "adam": 0.1},
    "rosenbrock": {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "rmsprop": 1e-2, "adam": 5e-2},
    "himmelblau": {"gd": 0.01, "momentum": 2e-3, "nesterov": 2e-3, "rmsprop": 0.02, "adam": 0.05},
    "saddle": {"gd": 0.1, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.01, "adam": 0.05},
}

# The updates as torch.optim computes them with its defaults (g = ∇f(θ), η = lr, k = step number from 1).
UPDATE_RULES: dict[str, str] = {
    "gd": r"\theta \leftarrow \theta - \eta\, g",
    "momentum": r"v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \eta\, v"
    r"\qquad (\beta = 0.9,\ v_0 = 0)",
    "nesterov": r"v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \eta\,(g + \beta v)"
    r"\qquad (\beta = 0.9)",
    "rmsprop": r"s \leftarrow \alpha s + (1-\alpha)\, g^2, \qquad \theta \leftarrow \theta - \eta\,"
    r"\frac{g}{\sqrt{s} + \varepsilon} \qquad (\alpha = 0.99,\ \varepsilon = 10^{-8})",
    "adam": r"\begin{gathered} m \leftarrow \beta_1 m + (1-\beta_1)\, g, \qquad "
    r"s \leftarrow \beta_2 s + (1-\beta_2)\, g^2"
    r"\\ \theta \leftarrow \theta - \eta\, \frac{m/(1-\beta_1^k)}{\sqrt{s/(1-\beta_2^k)} + \varepsilon}"
    r"\qquad (\beta_1 = 0.9,\ \beta_2 = 0.999,\ \varepsilon = 10^{-8}) \end{gathered}",
}

PICK = "pick_start"  # name of the click selection on the map
LOSS_FLOOR = 1e-12  # losses below this are drawn at it on the log axis (the tooltip keeps the exact value)
BANDS_PER_DECADE = 3  # colour bands of the map: filled contours, three per factor of ten in the loss
MAX_SHOWN_STEPS = 400
# Tick labels on a log axis: plain numbers from 0.001 to 999999, powers of ten as 1e-7 beyond.
DECADE_LABEL = (
    "datum.value == 0 || (abs(datum.value) >= 1e-3 && abs(datum.value) < 1e6)"
    " ? format(datum.value, '~g') : format(datum.value, '.0e')"
)
STAR = (  # a five-pointed star in Vega's unit square, marking the known minima
    "M0,-1L0.225,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382"
    "L-0.588,0.809L-0.363,0.118L-0.951,-0.309L-0.225,-0.309Z"
)
# Sized so the whole composite (axes and legends included) fits a 1280-px-wide screen with the sidebar open.
MAP_SIZE = {"width": 340, "height": 300}
LOSS_SIZE = {"width": 320, "height": 300}


def colour_of(optimizer: str) -> str:
    """Each optimizer keeps its colour whichever others are shown."""
    return PALETTE[OPTIMIZERS.index(optimizer) % len(PALETTE)]


def signed_surface(surface: pd.DataFrame) -> bool:
    """True when the loss takes negative values on the grid (the saddle): log scales are then out."""
    return bool(len(surface) and surface["loss"].min() < 0)


def surface_cells(surface: pd.DataFrame) -> pd.DataFrame:
    """Grid points (x, y, loss) -> heatmap cells with edges halfway to the neighbours, and a banded `shade`.

    Non-negative losses are banded on a log scale (log10 rounded down to thirds of a decade, floored a billion
    times below the largest value); signed losses in 16 equal bands around 0, for a diverging colour scale.
    """
    cells = finite_rows(surface[["x", "y", "loss"]]).copy()
    for name in ("x", "y"):
        values = np.unique(cells[name].to_numpy())
        half = (values[1] - values[0]) / 2 if len(values) > 1 else 0.5
        half *= 1.25  # neighbours overlap by ~1 px, so no antialiasing seams show between the cells
        cells[f"{name}_lo"], cells[f"{name}_hi"] = cells[name] - half, cells[name] + half
    loss = cells["loss"].to_numpy()
    if signed_surface(cells):
        band = max(float(np.abs(loss).max()), 1e-300) / 8
        cells["shade"] = np.floor(loss / band + 0.5) * band
    else:
        floor = max(float(loss.max()) * 1e-9, 1e-300)
        exponent = np.floor(np.log10(np.maximum(loss, floor)) * BANDS_PER_DECADE) / BANDS_PER_DECADE
        cells["shade"] = 10.0**exponent
    return cells


def combine_runs(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame of every optimizer's trajectory, with an `optimizer` column first (for the chart and CSV)."""
    parts = [frame.assign(optimizer=name) for name, frame in frames.items()]
    if not parts:
        return pd.DataFrame(columns=["optimizer", "run", "lr", "step", "x", "y", "loss"])
    combined = pd.concat(parts, ignore_index=True)
    return combined[["optimizer", *[c for c in combined.columns if c != "optimizer"]]]


RESULT_COLUMNS = [
    "optimizer",
    "learning rate",
    "final loss",
    "final (x, y)",
    "distance to nearest minimum",
    "diverged at step",
]


def results_table(summaries: Mapping[str, pd.DataFrame], minima: Sequence[tuple[float, float]]) -> pd.DataFrame:
    """One row per optimizer: lr, final loss and point, distance to the nearest known minimum, divergence step.

    The final point of a diverged run is its last finite one; without known minima the distance column is left out.
    """
    rows = []
    for name, summary in summaries.items():
        row = summary.iloc[0]
        x, y = float(row["final_x"]), float(row["final_y"])
        distance = min((math.hypot(x - a, y - b) for a, b in minima), default=math.nan)
        diverged = row["diverged_at"]
        rows.append(
            {
                "optimizer": OPTIMIZER_LABELS[name],
                "learning rate": float(row["lr"]),
                "final loss": float(row["final_loss"]),
                "final (x, y)": f"({x:.4g}, {y:.4g})",
                "distance to nearest minimum": distance,
                "diverged at step": "—" if pd.isna(diverged) else str(int(diverged)),
            }
        )
    table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return table if minima else table.drop(columns="distance to nearest minimum")


def start_from_selection(state, view: tuple[tuple[float, float], tuple[float, float]]) -> tuple[float, float] | None:
    """The start point clicked on the map, rounded to 2 decimals and kept inside the view; None without a click.

    `state` is what st.altair_chart(on_select=...) stores: {"selection": {PICK: [{"x": …, "y": …}]}}.
    """
    try:
        points = state["selection"][PICK]
        x, y = float(points[0]["x"]), float(points[0]["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    (xlo, xhi), (ylo, yhi) = view
    return min(max(round(x, 2), xlo), xhi), min(max(round(y, 2), ylo), yhi)


def _shown_paths(paths: pd.DataFrame, signed: bool) -> tuple[pd.DataFrame, int]:
    """Every k-th step (plus each run's last, where it diverged) with the loss as drawn on the axis."""
    paths = finite_rows(paths[["optimizer", "step", "x", "y", "loss"]])
    thinned, stride = thin_steps(paths, MAX_SHOWN_STEPS)
    last = paths.groupby("optimizer")["step"].transform("max") == paths["step"]
    shown = paths[paths.index.isin(thinned.index) | last].copy()
    shown["label"] = shown["optimizer"].map(OPTIMIZER_LABELS)
    shown["loss_shown"] = shown["loss"] if signed else shown["loss"].clip(lower=LOSS_FLOOR)
    return shown, stride


def _decade_above(value: float) -> float:
    """The smallest power of ten at or above a positive value."""
    return 10.0 ** math.ceil(math.log10(value) - 1e-12)


def _loss_domain(shown: pd.DataFrame, signed: bool) -> list[float]:
    """y range of the loss chart in whole decades, fixed while scrubbing; blow-ups past 1000 × the start are clipped."""
    if shown.empty:
        return [-1.0, 1.0] if signed else [LOSS_FLOOR, 1.0]
    scale = max(float(shown.loc[shown["step"] == 0, "loss"].abs().max()), 1.0)
    low = max(float(shown["loss_shown"].min()), -1e3 * scale)
    high = min(float(shown["loss_shown"].max()), 1e3 * scale)
    if signed:
        return [-_decade_above(-low) if low < 0 else 0.0, _decade_above(high) if high > 0 else 1.0]
    low = max(low, LOSS_FLOOR)
    return [_decade_above(low) / (1.0 if _decade_above(low) == low else 10.0), max(_decade_above(high), low * 10)]


def _decade_ticks(domain: list[float], signed: bool) -> list[float]:
    """Tick values at whole powers of ten (and 0 and ± powers from 10 up on a symlog axis), at most ~9 of them.

    Vega's own ticks on these scales land on odd values (500, 60, 7 …) or crowd around zero.
    """
    low, high = domain
    if signed:
        ticks = [0.0]
        ticks += [-(10.0**k) for k in range(1, 300) if -(10.0**k) >= low]
        ticks += [10.0**k for k in range(1, 300) if 10.0**k <= high]
        return sorted(ticks)
    first, last = round(math.log10(low)), round(math.log10(high))
    every = max(1, math.ceil((last - first + 1) / 9))
    return [10.0**k for k in range(last, first - 1, -every)][::-1]


def _round_ticks(low: float, high: float) -> list[float]:
    """Axis ticks on round numbers (0 included when in range), at most 9 so that none is hidden for overlap."""
    step = next(step for step in (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0) if (high - low) / step <= 8)
    return [round(k * step, 10) for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]


def optimizer_chart(
    surface: pd.DataFrame,
    paths: pd.DataFrame,
    *,
    view: tuple[tuple[float, float], tuple[float, float]],
    minima: Sequence[tuple[float, float]],
    start: tuple[float, float],
    steps: int,
    optimizers: Sequence[str],
) -> alt.HConcatChart:
    """Map (banded loss, paths, current points, minima, start; click to pick a start) beside loss against step.

    `surface`: gd.loss_surface frame (x, y, loss). `paths`: every optimizer's trajectory with an `optimizer`
    column (combine_runs). Both views share one step slider, so scrubbing filters in the browser.
    """
    signed = signed_surface(surface)
    cells = surface_cells(surface)
    shown, stride = _shown_paths(paths, signed)
    slider = step_slider(math.ceil(steps / stride) * stride, stride=stride)
    labels = [OPTIMIZER_LABELS[name] for name in optimizers]
    colour = alt.Color(
        "label:N",
        title="optimizer",
        scale=alt.Scale(domain=labels, range=[colour_of(name) for name in optimizers]),
        legend=alt.Legend(orient="bottom", columns=3, symbolStrokeWidth=3, labelLimit=200),
    )
    (xlo, xhi), (ylo, yhi) = view
    x_scale = alt.Scale(domain=[xlo, xhi], nice=False, zero=False)
    y_scale = alt.Scale(domain=[ylo, yhi], nice=False, zero=False)
    x_axis, y_axis = alt.Axis(values=_round_ticks(xlo, xhi)), alt.Axis(values=_round_ticks(ylo, yhi))
    x = alt.X("x:Q", title="x", scale=x_scale, axis=x_axis)
    y = alt.Y("y:Q", title="y", scale=y_scale, axis=y_axis)
    number = ".4~g"
    pick = alt.selection_point(name=PICK, on="click", fields=["x", "y"], clear=False, empty=False)

    if signed:
        bound = float(cells["shade"].abs().max()) or 1.0
        fill_scale = alt.Scale(scheme="blueorange", domain=[-bound, bound], domainMid=0)
        fill_legend = alt.Legend(format=".2~g")
    else:
        fill_scale = alt.Scale(type="log", scheme="viridis", reverse=True)
        low, high = math.ceil(math.log10(cells["shade"].min())), math.floor(math.log10(cells["shade"].max()))
        every = max(1, math.ceil((high - low + 1) / 5))
        fill_legend = alt.Legend(values=[10.0**k for k in range(low, high + 1, every)], labelExpr=DECADE_LABEL)
    heatmap = (
        alt.Chart(cells)
        .mark_rect(clip=True)
        .encode(
            x=alt.X("x_lo:Q", title="x", scale=x_scale, axis=x_axis),
            x2="x_hi:Q",
            y=alt.Y("y_lo:Q", title="y", scale=y_scale, axis=y_axis),
            y2="y_hi:Q",
            fill=alt.Fill(
                "shade:Q",
                title="loss",
                scale=fill_scale,
                legend=fill_legend,  # horizontal gradient under the map
            ),
            tooltip=[
                alt.Tooltip("x:Q", format=number),
                alt.Tooltip("y:Q", format=number),
                alt.Tooltip("loss:Q", format=number),
            ],
        )
        .add_params(pick)
    )
    base = alt.Chart(shown)
    up_to_step = alt.datum.step <= slider
    path_tooltip = [
        alt.Tooltip("label:N", title="optimizer"),
        alt.Tooltip("step:Q"),
        alt.Tooltip("x:Q", format=".6g"),
        alt.Tooltip("y:Q", format=".6g"),
        alt.Tooltip("loss:Q", format=".6g"),
    ]
    lines = base.mark_line(clip=True, strokeWidth=2.5).encode(x=x, y=y, color=colour, order="step:Q", detail="label:N")
    current = (
        base.transform_filter(up_to_step)
        .transform_joinaggregate(now="max(step)", groupby=["label"])
        .transform_filter(alt.datum.step == alt.datum.now)
    )
    here = current.mark_point(clip=True, filled=True, size=110, stroke="white", strokeWidth=1.5, opacity=1)
    markers = pd.DataFrame(
        [{"marker": "start", "x": start[0], "y": start[1]}]
        + [{"marker": "minimum", "x": float(a), "y": float(b)} for a, b in minima]
    )
    marks = (
        alt.Chart(markers)
        .mark_point(clip=True, filled=True, size=220, stroke="black", strokeWidth=1.5, opacity=1)
        .encode(
            x=x,
            y=y,
            shape=alt.Shape(
                "marker:N",
                title=None,
                scale=alt.Scale(domain=["start", "minimum"][: 1 + bool(minima)], range=["circle", STAR]),
                legend=alt.Legend(orient="bottom"),
            ),
            fill=alt.value("white"),
            tooltip=[alt.Tooltip("marker:N"), alt.Tooltip("x:Q", format=".6g"), alt.Tooltip("y:Q", format=".6g")],
        )
    )
    surface_map = alt.LayerChart(
        layer=[
            heatmap,
            lines.transform_filter(up_to_step),
            marks,
            here.encode(x=x, y=y, color=colour, tooltip=path_tooltip),
        ],
        title="Paths on the loss surface (click the map to start there)",
        **MAP_SIZE,
    )

    domain = _loss_domain(shown, signed)
    loss_y = alt.Y(
        "loss_shown:Q",
        title="loss (symmetric log scale)" if signed else f"loss (log scale, floored at {LOSS_FLOOR:g})",
        scale=alt.Scale(type="symlog" if signed else "log", domain=domain, nice=False),
        axis=alt.Axis(values=_decade_ticks(domain, signed), labelExpr=DECADE_LABEL),
    )
    step_x = alt.X("step:Q", title="step", scale=alt.Scale(domain=[0, max(steps, 1)], nice=False))
    rule = (
        alt.Chart(pd.DataFrame({"origin": [0]}))
        .transform_calculate(now=slider.name)
        .mark_rule(color="#444", strokeDash=[4, 3])
        .encode(x=alt.X("now:Q", scale=alt.Scale(domain=[0, max(steps, 1)], nice=False)))
    )
    loss_chart = alt.LayerChart(
        layer=[
            base.mark_line(clip=True, strokeWidth=2.5)
            .encode(x=step_x, y=loss_y, color=colour, order="step:Q", tooltip=path_tooltip)
            .transform_filter(up_to_step),
            rule,
            here.encode(x=step_x, y=loss_y, color=colour, tooltip=path_tooltip),
        ],
        title="Loss against step",
        **LOSS_SIZE,
    )
    # Built in one constructor call: each chained .add_params/.resolve_*/.configure_* deep-copies the whole tree.
    return alt.HConcatChart(
        hconcat=[surface_map, loss_chart],
        spacing=20,
        params=[slider.param],
        resolve=alt.Resolve(
            scale=alt.ScaleResolveMap(color="shared", fill="independent"),
            legend=alt.LegendResolveMap(color="shared", fill="independent"),
        ),
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
        config=alt.Config(
            legend=alt.LegendConfig(orient="bottom", gradientLength=180, labelFontSize=12, titleFontSize=12),
            title=alt.TitleConfig(fontSize=14, anchor="start"),
        ),
    )
