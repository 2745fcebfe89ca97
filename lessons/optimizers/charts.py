"""Optimizers' chart: the loss map with every optimizer's path, beside loss against step, on one step slider.

Tidy frames in, alt.Chart out; no streamlit. Colours follow gd_core's optimizer registry (charts.kit.colour_of).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from charts.contours import DIVERGING, VIRIDIS, casing, isolines
from charts.kit import (
    LOSS_FLOOR,
    STAR,
    Concat,
    colour_of,
    finite_rows,
    hconcat,
    layer,
    step_slider,
    thin,
    thinning_stride,
    with_params,
)
from gd_core.optimizers import OPTIMIZER_LABELS
from ui.numbers import shown_number

PICK = "pick_start"  # name of the click selection on the map
CASING, CONTOURS = "path casing", "isolines"  # the descriptions of the map's casing and isoline layers
BANDS_PER_DECADE = 3  # isolines of the map: three per factor of ten in the loss
# Tick labels on a log axis: plain numbers from 0.001 to 999999, powers of ten as 1e−7 beyond (d3's format writes
# "−" for a negative number but "-" in an exponent: the replace makes that one a minus sign too).
DECADE_LABEL = (
    "datum.value == 0 || (abs(datum.value) >= 1e-3 && abs(datum.value) < 1e6)"
    " ? format(datum.value, '~g') : replace(format(datum.value, '.0e'), '-', '−')"
)
# Sized so the whole composite (axes and legends included) fits a 1280-px-wide screen with the sidebar open.
MAP_SIZE = {"width": 340, "height": 300}
LOSS_SIZE = {"width": 320, "height": 300}


def signed_surface(surface: pd.DataFrame) -> bool:
    """True when the loss takes negative values on the grid (the saddle): log scales are then out."""
    return bool(len(surface) and surface["loss"].min() < 0)


def surface_cells(surface: pd.DataFrame) -> pd.DataFrame:
    """Grid points (x, y, loss) -> heatmap cells with edges halfway to the neighbours, and the `shade` they are filled
    with: the loss itself (floored a billion times below the largest value when non-negative, for a log scale), so
    the colour changes smoothly; the isolines (contour_levels) mark the bands the eye reads.
    """
    cells = finite_rows(surface[["x", "y", "loss"]]).copy()
    for name in ("x", "y"):
        values = np.unique(cells[name].to_numpy())
        half = (values[1] - values[0]) / 2 if len(values) > 1 else 0.5
        half *= 1.25  # neighbours overlap by ~1 px, so no antialiasing seams show between the cells
        cells[f"{name}_lo"], cells[f"{name}_hi"] = cells[name] - half, cells[name] + half
    loss = cells["loss"].to_numpy()
    if signed_surface(cells):
        cells["shade"] = loss
    else:
        cells["shade"] = np.maximum(loss, max(float(loss.max()) * 1e-9, 1e-300))
    return cells


def contour_levels(cells: pd.DataFrame, signed: bool) -> list[float]:
    """The isolines drawn over the map: 16 equal bands around 0 on a signed surface; else BANDS_PER_DECADE per
    decade of the loss (one per decade past five decades), from the floor to the largest value."""
    shade = cells["shade"].to_numpy()
    if signed:
        band = max(float(np.abs(shade).max()), 1e-300) / 8
        return [band * (k + 0.5) for k in range(-8, 8)]
    low, high = math.log10(shade.min()), math.log10(shade.max())
    per = BANDS_PER_DECADE if high - low <= 5 else 1
    first, last = math.ceil(low * per + 1e-9), math.floor(high * per - 1e-9)
    return [10.0 ** (k / per) for k in range(first, last + 1)]


def _shown_paths(paths: pd.DataFrame, signed: bool, stride: int) -> pd.DataFrame:
    """Every stride-th step (plus each run's last, where it diverged) with the loss as drawn on the axis."""
    paths = paths[["optimizer", "step", "x", "y", "loss"]]
    shown = thin(paths.assign(run=paths["optimizer"]), stride).drop(columns="run")
    shown["label"] = shown["optimizer"].map(OPTIMIZER_LABELS)
    shown["loss_shown"] = shown["loss"] if signed else shown["loss"].clip(lower=LOSS_FLOOR)
    return shown


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
) -> Concat:
    """Map (banded loss, paths, current points, minima, start; click to pick a start) beside loss against step.

    `surface`: gd.loss_surface frame (x, y, loss). `paths`: every optimizer's trajectory with an `optimizer`
    column (combine_runs). Both views share one step slider, so scrubbing filters in the browser.
    """
    signed = signed_surface(surface)
    cells = surface_cells(surface)
    stride = thinning_stride(steps)
    shown = _shown_paths(paths, signed, stride)
    slider = step_slider(steps, stride=stride)
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
        fill_scale = alt.Scale(domain=[-bound, bound], range=list(DIVERGING), interpolate="rgb", nice=False)
        fill_legend = alt.Legend(format=".2~g")
    else:
        shade_domain = [float(cells["shade"].min()), float(cells["shade"].max())]
        fill_scale = alt.Scale(type="log", domain=shade_domain, range=list(VIRIDIS), interpolate="rgb", nice=False)
        low, high = math.ceil(math.log10(cells["shade"].min())), math.floor(math.log10(cells["shade"].max()))
        every = max(1, math.ceil((high - low + 1) / 5))
        fill_legend = alt.Legend(values=[10.0**k for k in range(low, high + 1, every)], labelExpr=DECADE_LABEL)
    heatmap = (
        alt.Chart(cells)
        .mark_rect(clip=True)
        .encode(
            x=alt.X("x_lo:Q", title="x", scale=x_scale, axis=x_axis),
            x2=alt.X2("x_hi:Q"),
            y=alt.Y("y_lo:Q", title="y", scale=y_scale, axis=y_axis),
            y2=alt.Y2("y_hi:Q"),
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
        # A selection belongs to the view it is made on: add_params names that view so Altair can lift it to the
        # top level (cheap on one unit chart; composites get their parameters through with_params).
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
    lines = base.mark_line(clip=True, strokeWidth=2.5).encode(
        x=x, y=y, color=colour, order=alt.Order("step:Q"), detail=alt.Detail("label:N")
    )
    # Under each path: a casing in black or white, whichever contrasts the path, inside a thin halo of the other.
    # Any colour under it contrasts black or white by at least 4.5:1, so every path reads on every map colour.
    inner = [casing(colour_of(name)) for name in optimizers]
    outer = ["#FFFFFF" if colour == "#000000" else "#000000" for colour in inner]
    cased = alt.layer(
        *[
            base.mark_line(clip=True, strokeWidth=width, opacity=1, description=CASING).encode(
                x=x, y=y, order=alt.Order("step:Q"), detail=alt.Detail("label:N"),
                stroke=alt.Stroke("label:N", scale=alt.Scale(domain=labels, range=ring), legend=None),
            )
            for width, ring in ((7.0, outer), (5.0, inner))
        ]
    ).resolve_scale(stroke="independent")  # fmt: skip
    contour_lines = (
        alt.Chart(isolines(surface, contour_levels(cells, signed), log=not signed))
        .mark_rule(clip=True, color="#1B1F24", opacity=0.35, strokeWidth=0.8, description=CONTOURS)
        .encode(x=x, y=y, x2=alt.X2("x2:Q"), y2=alt.Y2("y2:Q"))
    )
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
            fill=alt.FillValue("white"),
            tooltip=[alt.Tooltip("marker:N"), alt.Tooltip("x:Q", format=".6g"), alt.Tooltip("y:Q", format=".6g")],
        )
    )
    surface_map = alt.LayerChart(
        layer=[
            heatmap,
            contour_lines,
            cased.transform_filter(up_to_step),
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
        title="loss (symmetric log scale)" if signed else f"loss (log scale, floored at {shown_number(LOSS_FLOOR)})",
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
    loss_chart = layer(  # charts.kit's (no parameters here): the same spec as alt.LayerChart, without its copies
        base.mark_line(clip=True, strokeWidth=2.5)
        .encode(x=step_x, y=loss_y, color=colour, order=alt.Order("step:Q"), tooltip=path_tooltip)
        .transform_filter(up_to_step),
        rule,
        here.encode(x=step_x, y=loss_y, color=colour, tooltip=path_tooltip),
        title="Loss against step",
        **LOSS_SIZE,
    )
    # Built in one constructor call: each chained .resolve_*/.configure_* deep-copies the whole tree; and charts.kit's
    # hconcat, not Altair's, whose constructor deep-copies both views again to lift the click selection.
    chart = hconcat(
        surface_map,
        loss_chart,
        spacing=20,
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
    return with_params(chart, slider)
