"""One weight's charts: the loss curve with the tangent and the step, A(k) and loss(k), on one step slider.

Every per-step piece (tangent segment, step arrow, next point) is computed here for EVERY step as data; the
browser keeps the rows of the step chosen on the slider, so scrubbing never reruns the server.
"""

from __future__ import annotations

import json
import math

import altair as alt
import numpy as np
import pandas as pd

from charts.kit import (
    EXACT,
    GREY,
    PALETTE,
    Concat,
    finite_rows,
    hconcat,
    layer,
    loss_floor,
    step_slider,
    thin,
    thinning_stride,
    vconcat,
    with_params,
)
from ui.numbers import minus, shown_number

CURVE_WIDTH, CURVE_HEIGHT = 440, 330
SIDE_WIDTH, SIDE_HEIGHT = 330, 135
FOLLOW_GROWTH = 10.0  # a run spreading this many times its first step's extent gets a view that follows
# The composite's axis and title type, passed to its constructor (no chained .configure_* copies)
CONFIG = alt.Config(
    axis=alt.AxisConfig(labelFontSize=12, titleFontSize=13), title=alt.TitleConfig(fontSize=14, anchor="start")
)
ZOOM = 4.0  # a diverging run's view zooms out by this factor at a time (and holds still in between)
TYPED_HALF_WIDTH = 5.0  # a typed loss is drawn at least this far either side of its run, so its shape shows
STILL = 1e-3  # a step shorter than this fraction of the view draws no arrow
MIN_MARGIN = 0.75  # at least this much of the curve on each side of the run
TANGENT_HALF_PX = 100.0  # half-length of the drawn tangent, in screen pixels
TANGENT_CLEARANCE_PX = 8.0  # the tangent ends at least this far above the step arrow
DOMAINS = "curve_view"  # the parameter holding the curve view's [x_lo, x_hi, y_lo, y_hi] for every step
LARGEST = 1e300  # view bounds are clipped to ±this, so the spec stays finite near float64's limit
COLOURS = {"curve": PALETTE[0], "current": PALETTE[1], "tangent": PALETTE[2], "step": PALETTE[4], "earlier": GREY}
# Axis labels: plain numbers (1,800, 0.05) in the middle range, exponent form (2e+11, 1e-32) outside it.
LABELS = (  # d3 writes "−" for a negative number, "-" in an exponent: replace() makes that a minus sign too
    "replace(format(datum.value, abs(datum.value) >= 1e5 || (abs(datum.value) < 1e-3 && datum.value != 0)"
    " ? '.2~e' : ',.6~r'), '-', '−')"
)
Y_AXIS = alt.Axis(labelExpr=LABELS, minExtent=58, maxExtent=58)  # fixed width: no jumping as the domain follows


def step_windows(frame: pd.DataFrame, param: str = "A", minimum: float | None = None) -> pd.DataFrame:
    """Per step k, the A-interval the curve view shows, with margin.

    A run that stays within FOLLOW_GROWTH times the extent of its first step gets one view of the whole run
    for every step. One that travels further (a diverging run) gets a view of A_0 … A_k, A_{k+1} that zooms out by
    ZOOM at a time: it holds still for several steps (the class sees the run fly outwards) and its early steps stay
    visible. The minimum, when known, is kept in the middle. A typed loss (no known minimum) is shown at least
    TYPED_HALF_WIDTH either side of the start, so its shape shows and not only the piece the run crossed.
    """
    value = frame[param].to_numpy(dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        landing = value - frame["lr"].to_numpy(dtype=float) * frame[f"grad_{param}"].to_numpy(dtype=float)
    landing = np.where(np.isfinite(landing), landing, value)
    lo = np.minimum(np.minimum.accumulate(value), landing)
    hi = np.maximum(np.maximum.accumulate(value), landing)
    if minimum is not None:  # centre the minimum so the bowl looks symmetric
        lo, hi = np.minimum(lo, 2 * minimum - hi), np.maximum(hi, 2 * minimum - lo)
        lo, hi = np.minimum(lo, minimum), np.maximum(hi, minimum)
    if minimum is None and len(value):  # a typed loss: show its shape around the start, not only where the run went
        lo, hi = np.minimum(lo, value[0] - TYPED_HALF_WIDTH), np.maximum(hi, value[0] + TYPED_HALF_WIDTH)
    following = bool(len(value)) and hi[-1] - lo[-1] > FOLLOW_GROWTH * (hi[0] - lo[0])
    if not following:
        lo, hi = np.full_like(lo, lo[-1]), np.full_like(hi, hi[-1])
    if following:  # zoom out in stages: the view holds still for several steps, so the run visibly flies outwards
        anchor = minimum if minimum is not None else value[0]
        base = max(anchor - lo[0], hi[0] - anchor, 1e-12)
        lo, hi = anchor - zoom_stage(anchor - lo, base), anchor + zoom_stage(hi - anchor, base)
    margin = np.maximum(0.12 * (hi - lo), MIN_MARGIN)
    return pd.DataFrame({"step": frame["step"].to_numpy(dtype=int), "x_lo": lo - margin, "x_hi": hi + margin})


def zoom_stage(extent: np.ndarray, base: float) -> np.ndarray:
    """Each extent rounded up to base·ZOOM^n (n ≥ 0): the few zoom levels a diverging run's view steps through."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        levels = np.ceil(np.log(np.maximum(extent, base) / base) / math.log(ZOOM) - 1e-9)
        return np.minimum(base * ZOOM ** np.maximum(levels, 0), LARGEST)


def curve_ranges(windows: pd.DataFrame, growth: float = 2.0) -> list[tuple[float, float]]:
    """The few intervals to sample the loss curve on so every step's window has ≥ 1/growth of a grid's points."""
    ranges: list[tuple[float, float]] = []
    for lo, hi in zip(windows["x_lo"], windows["x_hi"], strict=True):
        if not ranges or hi - lo > growth * (ranges[-1][1] - ranges[-1][0]):
            ranges.append((float(lo), float(hi)))
    if len(windows) and ranges[-1] != (windows["x_lo"].iloc[-1], windows["x_hi"].iloc[-1]):
        ranges.append((float(windows["x_lo"].iloc[-1]), float(windows["x_hi"].iloc[-1])))
    return ranges


# --- chart data -----------------------------------------------------------------------------------


def _views(points: pd.DataFrame, windows: pd.DataFrame, curve: pd.DataFrame) -> pd.DataFrame:
    """Per shown step: the curve view's x and y domains and the height of the step arrow.

    y runs from the bottom to a bit above the top of the curve inside the window (and of the losses visited so far,
    the landing point included), so the whole curve in view shows, y changes only when x does (a diverging run's
    zoom stages), and nothing is infinite.
    """
    views = points[["step"]].merge(windows, on="step", how="left")
    visited = points["loss"].to_numpy(dtype=float)
    landing = points["loss"].shift(-1).to_numpy(dtype=float)  # the next shown row (stride 1: the next step)
    top, low = np.fmax(np.maximum.accumulate(visited), landing), np.minimum.accumulate(visited)
    following = not (views["x_lo"].nunique() <= 1 and views["x_hi"].nunique() <= 1)
    if not following:
        top, low = np.full_like(top, visited.max()), np.full_like(low, visited.min())
    curve = curve.sort_values("a")
    a, loss = curve["a"].to_numpy(dtype=float), curve["loss"].to_numpy(dtype=float)
    bottom = np.empty(len(views))
    for i, (lo, hi) in enumerate(zip(views["x_lo"], views["x_hi"], strict=True)):
        inside = loss[np.searchsorted(a, lo) : np.searchsorted(a, hi, side="right")]
        bottom[i] = min(inside.min(), low[i]) if len(inside) else low[i]
        if len(inside):  # the whole curve in the view (a typed loss's shape; y changes only with a zoom stage)
            top[i] = max(top[i], inside.max())
            bottom[i] = min(bottom[i], inside.min())
        if not top[i] - bottom[i] > 1e-12 * (1 + abs(top[i])) and len(inside):
            top[i] = inside.max()  # a run sitting still at the bottom: show the curve around it
    with np.errstate(over="ignore", invalid="ignore"):
        span = np.where(top - bottom > 1e-12 * (1 + np.abs(top)), top - bottom, 1.0)
        views = views.assign(y_lo=bottom - 0.25 * span, y_hi=top + 0.22 * span, base=bottom - 0.11 * span)
    columns = ["x_lo", "x_hi", "y_lo", "y_hi", "base"]
    return views.assign(**{c: views[c].clip(-LARGEST, LARGEST).fillna(0.0) for c in columns})  # strict JSON


def _step_pieces(points: pd.DataFrame, views: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per step: the tangent segment (a fixed length on screen) and the step arrow A_k → A_k − lr·f'(A_k)."""
    a, loss, slope, lr = (points[c].to_numpy(dtype=float) for c in ("a", "loss", "slope", "lr"))
    steps = points["step"].to_numpy()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        px_per_a = CURVE_WIDTH / (views["x_hi"] - views["x_lo"]).to_numpy()
        px_per_loss = CURVE_HEIGHT / (views["y_hi"] - views["y_lo"]).to_numpy()
        half = TANGENT_HALF_PX / np.hypot(px_per_a, slope * px_per_loss)  # tangent half-width in units of A
        # The downhill half stops above the step arrow, so it never crosses the arrow or the label under it.
        room = (loss - views["base"].to_numpy() - TANGENT_CLEARANCE_PX / px_per_loss) / np.abs(slope)
        downhill = np.clip(np.where(np.isfinite(room), room, half), 0, half)
        left = np.where(slope > 0, downhill, half)  # a positive slope descends to the left
        right = np.where(slope < 0, downhill, half)
        tangent = pd.DataFrame(
            {"step": steps, "a_lo": a - left, "a_hi": a + right, "loss_lo": loss - slope * left}
        ).assign(loss_hi=loss + slope * right, slope=slope)
        move = -lr * slope
        arrows = pd.DataFrame(
            {
                "step": steps,
                "a": a,
                "loss": loss,
                "a_next": a + move,
                "a_mid": a + move / 2,
                "move": move,
                "base": views["base"].to_numpy(),
                "angle": np.where(move >= 0, 90.0, 270.0),
                "label": [f"−lr·f′ = {minus(f'{m:.4g}')}" for m in move],
            }
        )
        width = (views["x_hi"] - views["x_lo"]).to_numpy()
    arrows = arrows[np.abs(arrows["move"].to_numpy()) >= STILL * width]  # no arrow (nor "= −0") for a step ≈ 0
    return finite_rows(tangent), finite_rows(arrows)


def a_scale(values: pd.Series, windows: pd.DataFrame) -> alt.Scale:
    """Aₖ's axis: linear, or symlog for a run whose view had to zoom out (it diverges), with the first step's extent
    as the linear part, so the first steps do not look flat under the last one. The domain is fixed either way."""
    domain = [float(values.min()), float(values.max())]
    if windows["x_lo"].nunique() <= 1 and windows["x_hi"].nunique() <= 1:
        return alt.Scale(zero=False, padding=10, domain=domain, nice=False)
    constant = max(abs(float(values.iloc[1] - values.iloc[0])) if len(values) > 1 else 1.0, 1e-9)
    return alt.Scale(type="symlog", constant=constant, domain=domain, nice=False, padding=10)


def symlog_ticks(low: float, high: float, most: int = 7) -> list[float]:
    """0 and ±powers of ten from 10 up inside [low, high], every other decade when there are too many."""
    top = max(abs(low), abs(high), 10.0)
    decades = list(range(1, math.floor(math.log10(top)) + 1))
    every = 1
    while 1 + 2 * len(decades[::every]) > most and every < len(decades):
        every += 1
    powers = [10.0**k for k in decades[::-1][::every]]
    return sorted([0.0] + [p for p in powers if p <= high] + [-p for p in powers if -p >= low])


def decade_ticks(values: pd.Series, most: int = 6) -> list[float]:
    """Powers of ten spanning positive `values`, every 1, 2, 5, 10, … decades so that at most `most` remain."""
    low = math.floor(math.log10(values.min()))
    high = math.ceil(math.log10(values.max()))
    every = next(k for k in (1, 2, 5, 10, 20, 50, 100, 1000) if (high - low) // k + 1 <= most)
    return [10.0**e for e in range(low, high + 1) if e % every == 0]


def legend_labels(param: str) -> dict[str, str]:
    """What each colour in the loss-curve view means, in the problem's own variable name."""
    return {
        "curve": f"Loss({param})",
        "current": f"{param}ₖ at the chosen step",
        "tangent": f"tangent, slope f′({param}ₖ)",
        "step": f"step −lr·f′({param}ₖ), landing at {param}ₖ₊₁",
        "earlier": "earlier steps",
    }


def _colourer(param: str):
    """colour(chart, role): the chart with a constant colour that also makes an entry in the view's legend."""
    labels = legend_labels(param)
    scale = alt.Scale(domain=list(labels.values()), range=[COLOURS[role] for role in labels])
    legend = alt.Legend(title=None, orient="top", direction="horizontal", columns=3, symbolSize=110, symbolOpacity=1)
    legend.labelFontSize, legend.labelColor = 13, "#1B1F24"

    def colour(chart: alt.Chart, role: str) -> alt.Chart:
        return chart.transform_calculate(role=json.dumps(labels[role])).encode(
            color=alt.Color("role:N", scale=scale, legend=legend)
        )

    return colour


# --- charts ---------------------------------------------------------------------------------------


def curve_view(
    points: pd.DataFrame, curve: pd.DataFrame, views: pd.DataFrame, step: alt.Parameter, stride: int, param: str
) -> alt.LayerChart:
    """The loss curve with the current point, its tangent, the step to the next point, and the faded path.

    The x and y domains follow the slider: `views` holds them per step, shipped as one array parameter.
    """
    colour = _colourer(param)
    tangent, arrows = _step_pieces(points, views)
    landing = points.assign(step=points["step"] - 1)[lambda d: d["step"] >= 0]
    index = f"{DOMAINS}[floor({step.name} / {stride})]"
    x = alt.X(
        "a:Q",
        title=param,
        scale=alt.Scale(domain=[alt.ExprRef(f"{index}[{i}]") for i in (0, 1)], nice=False),
        axis=alt.Axis(labelExpr=LABELS),
    )
    y = alt.Y(
        "loss:Q",
        title=f"Loss({param})",
        scale=alt.Scale(domain=[alt.ExprRef(f"{index}[{i}]") for i in (2, 3)], nice=False, zero=False),
        axis=Y_AXIS,
    )
    tip = [alt.Tooltip("step:Q"), alt.Tooltip("a:Q", title=param, format=EXACT)]
    tip += [alt.Tooltip("loss:Q", format=EXACT), alt.Tooltip("slope:Q", title=f"f′({param})", format=EXACT)]
    now = alt.datum.step == step

    curve_tip = [alt.Tooltip("a:Q", title=param, format=EXACT), alt.Tooltip("loss:Q", format=EXACT)]
    loss_curve = colour(alt.Chart(curve).mark_line(clip=True, strokeWidth=2.5).encode(x, y, tooltip=curve_tip), "curve")
    on_curve = alt.Chart(points).encode(x, y, tooltip=tip)
    path = on_curve.mark_line(clip=True, strokeDash=[3, 3], strokeWidth=1, color=GREY).transform_filter(
        alt.datum.step <= step
    )
    earlier = colour(on_curve.mark_circle(clip=True, size=55, opacity=0.55), "earlier").transform_filter(
        alt.datum.step < step
    )
    drops = (  # dashed verticals from the current point and from where it lands, down to the step arrow
        alt.Chart(
            pd.concat([arrows, landing.merge(arrows[["step", "base"]], on="step")])[["step", "a", "loss", "base"]]
        )
        .mark_rule(clip=True, strokeDash=[4, 3], color=GREY)
        .encode(x, y, y2=alt.Y2("base:Q"))
        .transform_filter(now)
    )
    tangent_line = colour(
        alt.Chart(tangent)
        .mark_rule(clip=True, strokeWidth=3)
        .encode(
            x=alt.X("a_lo:Q"),
            x2=alt.X2("a_hi:Q"),
            y=alt.Y("loss_lo:Q"),
            y2=alt.Y2("loss_hi:Q"),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("slope:Q", title="slope f′", format=EXACT)],
        ),
        "tangent",
    ).transform_filter(now)
    arrow = alt.Chart(arrows).transform_filter(now)
    arrow_tip = [alt.Tooltip("step:Q"), alt.Tooltip("move:Q", title="−lr·f′", format=EXACT)]
    arrow_tip += [alt.Tooltip("a_next:Q", title=f"new {param}", format=EXACT)]
    arrow_shaft = colour(
        arrow.mark_rule(clip=True, strokeWidth=3).encode(
            x=alt.X("a:Q"), x2=alt.X2("a_next:Q"), y=alt.Y("base:Q"), tooltip=arrow_tip
        ),
        "step",
    )
    arrow_head = arrow.mark_point(shape="triangle", filled=True, size=170, opacity=1, clip=True).encode(
        x=alt.X("a_next:Q"), y=alt.Y("base:Q"), angle=alt.Angle("angle:Q", scale=None), tooltip=arrow_tip
    )
    arrow_head = colour(arrow_head, "step")
    arrow_label = arrow.mark_text(  # under the shaft: the tangent lies above the curve's bottom, the label below
        dy=6, baseline="top", fontSize=13, fontWeight="bold", clip=True, color=COLOURS["step"]
    ).encode(x=alt.X("a_mid:Q"), y=alt.Y("base:Q"), text=alt.Text("label:N"))
    landing_tip = [alt.Tooltip("a:Q", title=f"new {param}", format=EXACT), alt.Tooltip("loss:Q", format=EXACT)]
    landed = alt.Chart(landing).mark_point(clip=True, size=130, strokeWidth=2.5, filled=False, opacity=1)
    landed = colour(landed.encode(x, y, tooltip=landing_tip), "step").transform_filter(now)
    current = on_curve.mark_circle(clip=True, size=200, opacity=1, stroke="white", strokeWidth=1.5)
    current = colour(current, "current").transform_filter(now)
    layers = [loss_curve, path, earlier, drops, tangent_line, arrow_shaft, arrow_head, arrow_label, landed, current]
    return layer(  # charts.kit's: the same spec as alt.layer(...).properties(...), without their copies
        *layers,
        width=CURVE_WIDTH,
        height=CURVE_HEIGHT,
        title=f"Loss({param}): the tangent at {param}ₖ and the step it gives",
    )


FUTURE = "future"  # the name of the faint whole-run layer (left out when the lecture hides the future path)


def _series_view(
    points: pd.DataFrame,
    field: str,
    title: str,
    step: alt.Parameter,
    y: alt.Y,
    rule=None,
    future: bool = True,
    *,
    heading: str,
):
    """One quantity against step: the whole run faint (unless `future` is off), the part up to the slider bright,
    the current value marked."""
    last = max(int(points["step"].max()), 1)
    axis = alt.Axis(format="d", tickMinStep=1)
    x = alt.X("step:Q", title="step k", scale=alt.Scale(domain=[0, last], nice=False, padding=8), axis=axis)
    tip = [alt.Tooltip("step:Q"), alt.Tooltip(f"{field}:Q", title=title, format=EXACT)]
    base = alt.Chart(points).encode(x, y, tooltip=tip)
    layers = [
        base.mark_line(clip=True, color=GREY, opacity=0.45, strokeWidth=1.5, description=FUTURE),
        base.mark_line(
            clip=True, color=PALETTE[0], strokeWidth=2.5, point=alt.OverlayMarkDef(size=18)
        ).transform_filter(alt.datum.step <= step),
        alt.Chart(points).mark_rule(color=GREY, strokeDash=[2, 2]).encode(x).transform_filter(alt.datum.step == step),
        base.mark_circle(clip=True, size=110, color=PALETTE[1], opacity=1).transform_filter(alt.datum.step == step),
    ]
    if not future:
        layers = layers[1:]
    if rule is not None:
        layers.insert(0, rule)
    return layer(*layers, width=SIDE_WIDTH, height=SIDE_HEIGHT, title=heading)


def one_weight_chart(
    frame: pd.DataFrame,
    curve: pd.DataFrame,
    param: str = "A",
    *,
    minimum: float | None = None,
    value: int = 0,
    future: bool = True,
) -> Concat:
    """The page's composite: the loss curve view beside A(k) and loss(k), all driven by one step slider."""
    frame = finite_rows(frame)
    windows = step_windows(frame, param, minimum)
    stride = thinning_stride(int(frame["step"].max()))
    points = thin(frame, stride)
    points = points.rename(columns={param: "a", f"grad_{param}": "slope"})[["step", "lr", "a", "loss", "slope"]]
    points = points.reset_index(drop=True)
    curve = finite_rows(curve.rename(columns={param: "a"})[["a", "loss"]])
    views = _views(points, windows, curve)
    step = step_slider(int(points["step"].max()), stride=stride, value=value)

    rule = None
    a_scaled = a_scale(points["a"], windows)
    a_axis = (
        Y_AXIS
        if a_scaled.type != "symlog"
        else alt.Axis(labelExpr=LABELS, minExtent=58, maxExtent=58, values=symlog_ticks(*a_scaled.domain))
    )
    a_y = alt.Y("a:Q", title=f"{param}ₖ", scale=a_scaled, axis=a_axis)
    if minimum is not None:
        marker = pd.DataFrame({"a": [minimum], "label": [f"minimum {param} = {minimum:g}".replace("-", "−")]})
        rule = alt.Chart(marker).mark_rule(color=PALETTE[2], strokeDash=[6, 4], strokeWidth=2).encode(y=alt.Y("a:Q"))
        rule += (
            alt.Chart(marker)
            .mark_text(align="right", dy=-7, color=PALETTE[2], fontSize=12)
            # at the last step, not at a pixel: it stays inside the view whatever width ui.screen gives it
            .encode(
                y=alt.Y("a:Q"), x=alt.XDatum(int(points["step"].max()), type="quantitative"), text=alt.Text("label:N")
            )
        )
    a_view = _series_view(points, "a", param, step, a_y, rule, future, heading=f"{param}ₖ against step")

    losses = points["loss"].to_numpy(dtype=float)
    positive = losses[losses > 0]
    title, scale = "Loss against step", alt.Scale(zero=False, padding=10)
    if len(positive) and (losses >= 0).all() and losses.max() > 100 * positive.min():  # log scale, zeros at a floor
        floor = loss_floor(losses)
        points = points.assign(loss_shown=np.maximum(losses, floor))
        title += f" (log scale; 0 drawn at {shown_number(floor, 1)})" if (losses == 0).any() else " (log scale)"
        shown = points["loss_shown"]
        scale = alt.Scale(type="log", nice=True, padding=10, domain=[float(shown.min()), float(shown.max())])
        axis = alt.Axis(labelExpr=LABELS, minExtent=58, maxExtent=58, values=decade_ticks(points["loss_shown"]))
    else:
        points, axis = points.assign(loss_shown=losses), Y_AXIS
        scale = alt.Scale(zero=False, padding=10, domain=[float(losses.min()), float(losses.max())])
    loss_y = alt.Y("loss_shown:Q", title="loss", scale=scale, axis=axis)
    loss_view = _series_view(points, "loss", "loss", step, loss_y, future=future, heading=title)

    on_grid = views[views["step"] % stride == 0][["x_lo", "x_hi", "y_lo", "y_hi"]]
    domains = alt.param(name=DOMAINS, value=on_grid.to_numpy().tolist())
    chart = hconcat(  # charts.kit's: the same spec as alt.hconcat/alt.vconcat, without their deep copies
        curve_view(points, curve, views, step, stride, param),
        vconcat(a_view, loss_view, spacing=28),
        spacing=36,
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),  # "fit": concat warns
        config=CONFIG,
    )
    return with_params(chart, step, domains)
