"""Learning rate's charts: final loss against lr with the regimes as bands, and the chosen runs step by step."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from charts.kit import (
    GREEN,
    LOSS_FLOOR,
    ORANGE,
    PALETTE,
    VERMILION,
    YELLOW,
    Concat,
    finite_rows,
    hconcat,
    layer,
    step_slider,
    thin,
    with_params,
)
from gd_core.stability import excess_loss
from ui.numbers import lr_label, minus

# Powers of ten as 1e−7: d3 writes "-" in an exponent, replace() makes it a minus sign.
E_LABEL = "replace(format(datum.value, '.0e'), '-', '−')"

ZERO_LOSS = 1e-12  # a minimum loss this small is 0 up to rounding: the axes then say "loss"
DIVERGED_COLOUR = VERMILION
RUN_COLOURS = [c for c in PALETTE if c not in (DIVERGED_COLOUR, YELLOW)]  # vermilion means diverged; yellow is faint
REGIME_FILLS = {"steady": GREEN, "overshooting": ORANGE, "diverging": VERMILION}
REGIME_INKS = {"steady": "#00664C", "overshooting": "#9A6A00", "diverging": "#B34700"}  # darker, for text
REGIME_TITLES = {"steady": "steady", "overshooting": "overshooting\nbut converging", "diverging": "diverging"}


def outcome(diverged_at) -> str:
    """'diverged at step k', or 'finished' for a run that lasted all its steps."""
    return f"diverged at step {int(diverged_at)}" if pd.notna(diverged_at) else "finished"


def loss_name(min_loss: float) -> str:
    """What the loss axes show: the loss itself when its minimum is 0, else the excess f(θ) − f(θ*)."""
    return "loss" if min_loss <= ZERO_LOSS else "loss − minimum"


def regime_bands(lr_low: float, lr_high: float, curvature: float) -> pd.DataFrame:
    """The parts of [lr_low, lr_high] below 1/L, between 1/L and 2/L, and above 2/L (empty parts dropped)."""
    edges = [("steady", 0.0, 1 / curvature), ("overshooting", 1 / curvature, 2 / curvature)]
    edges.append(("diverging", 2 / curvature, math.inf))
    rows = []
    for name, start, end in edges:
        start, end = max(start, lr_low), min(end, lr_high)
        if end > start:
            rows.append({"regime": name, "title": REGIME_TITLES[name], "start": start, "end": end})
    bands = pd.DataFrame(rows, columns=["regime", "title", "start", "end"])
    bands["middle"] = np.sqrt(bands["start"] * bands["end"])  # the centre on a log axis
    # Where each band's title hangs: from its left edge, except that "overshooting" hangs leftwards from 2/L when a
    # steady band precedes it. Then no two titles reach into the same gap from either side: the overshooting band
    # is a third of a decade wide, narrower than its title on a phone, and centred titles overprinted there.
    leftwards = (bands["regime"] == "overshooting") & (bands["regime"].shift() == "steady")
    bands["anchor"] = bands["end"].where(leftwards, bands["start"])
    bands["align"] = np.where(leftwards, "right", "left")
    return bands


def _log_domain(values: pd.Series, headroom: float = 0.3) -> list[float]:
    """A log-scale domain around positive values, with room at the top for labels."""
    low, high = (float(values.min()), float(values.max())) if len(values) else (1e-3, 1e3)
    span = max(math.log10(high / low), 1.0)
    return [low / 10 ** (0.05 * span), high * 10 ** (headroom * span)]


def sweep_chart(
    table: pd.DataFrame,
    curvature: float,
    lr_range: tuple[float, float],
    steps: int,
    min_loss: float = 0.0,
    width=760,
    height=360,
) -> alt.LayerChart:
    """Final loss against lr (both log): regimes as bands, rules at 1/L and 2/L, diverged runs as red crosses."""
    lr_low, lr_high = lr_range
    x_scale = alt.Scale(type="log", domain=[lr_low, lr_high], nice=False)
    columns = ["lr", "lr_times_L", "regime", "final_loss", "excess_loss"]
    finished = finite_rows(table.loc[table["diverged_at"].isna(), columns])
    finished = finished.assign(shown_loss=finished["excess_loss"].clip(lower=LOSS_FLOOR), kind=f"after {steps} steps")
    diverged = table.loc[table["diverged_at"].notna(), ["lr", "lr_times_L", "regime", "outcome"]]
    diverged = finite_rows(diverged.assign(kind="diverged"))
    y_scale = alt.Scale(type="log", domain=_log_domain(finished["shown_loss"]), nice=False)
    kinds = alt.Scale(domain=[f"after {steps} steps", "diverged"], range=[PALETTE[0], DIVERGED_COLOUR])
    lr_axis = alt.X("lr:Q", scale=x_scale, title="learning rate (log scale)", axis=alt.Axis(format="~g"))

    bands = regime_bands(lr_low, lr_high, curvature)
    fills = alt.Scale(domain=list(REGIME_FILLS), range=list(REGIME_FILLS.values()))
    inks = alt.Scale(domain=list(REGIME_INKS), range=list(REGIME_INKS.values()))
    band_marks = (
        alt.Chart(bands)
        .mark_rect(opacity=0.13)
        .encode(
            x=alt.X("start:Q", scale=x_scale, title="learning rate (log scale)"),
            x2=alt.X2("end:Q"),
            fill=alt.Fill("regime:N", scale=fills, legend=None),
            tooltip=[alt.Tooltip("title:N", title="regime")],
        )
    )
    band_titles = [
        alt.Chart(bands[bands["align"] == align])
        .mark_text(fontSize=13, fontWeight="bold", baseline="bottom", lineBreak="\n", align=align, dx=dx)
        .encode(
            x=alt.X("anchor:Q", scale=x_scale),
            y=alt.YValue(-22),  # above the plot, like a header over each band (a second line drops below)
            text=alt.Text("title:N"),
            fill=alt.Fill("regime:N", scale=inks, legend=None),
        )
        for align, dx in (("left", 3), ("right", -3))
        if (bands["align"] == align).any()
    ]
    rules = pd.DataFrame({"lr": [1 / curvature, 2 / curvature], "name": ["1/L", "2/L"]})
    rules = rules[(rules["lr"] >= lr_low) & (rules["lr"] <= lr_high)]
    rules["text"] = [f"{name} = {lr:.4g}" for name, lr in zip(rules["name"], rules["lr"], strict=True)]
    rule_marks = (
        alt.Chart(rules)
        .mark_rule(strokeDash=[5, 3], color="#444")
        .encode(x=alt.X("lr:Q", scale=x_scale), tooltip=[alt.Tooltip("text:N", title="threshold")])
    )
    # 1/L's label to the left of its rule and 2/L's to the right, so they never meet, unless the rule sits
    # at the edge of the plot: then the label goes inwards.
    where = np.log(rules["lr"] / lr_low) / np.log(lr_high / lr_low)
    rules["align"] = np.where(rules["name"] == "1/L", np.where(where < 0.15, "left", "right"), "left")
    rules.loc[(rules["name"] == "2/L") & (where > 0.85), "align"] = "right"
    rule_text = [
        alt.Chart(rules[rules["align"] == align])
        .mark_text(align=align, baseline="top", dx=dx, fontSize=12, color="#333")
        .encode(x=alt.X("lr:Q", scale=x_scale), y=alt.YValue(6), text=alt.Text("text:N"))
        for align, dx in (("right", -4), ("left", 4))
    ]
    colour = alt.Color("kind:N", scale=kinds, title=None, legend=alt.Legend(orient="bottom"))
    shape = alt.Shape("kind:N", scale=alt.Scale(domain=kinds.domain, range=["circle", "cross"]), title=None)
    lr_tips = [alt.Tooltip("lr:Q", format=".4~g"), alt.Tooltip("lr_times_L:Q", title="lr·L", format=".4~g")]
    line = alt.Chart(finished).mark_line(color=PALETTE[0], strokeWidth=1.5).encode(x=lr_axis, y=alt.Y("shown_loss:Q"))
    points = (
        alt.Chart(finished)
        .mark_point(size=45, filled=True, opacity=1)
        .encode(
            x=lr_axis,
            y=alt.Y(
                "shown_loss:Q",
                scale=y_scale,
                title=f"{loss_name(min_loss)} after {steps} steps (log scale)",
                axis=alt.Axis(labelExpr=E_LABEL),
            ),
            color=colour,
            shape=shape,
            tooltip=[
                *lr_tips,
                "regime:N",
                alt.Tooltip("final_loss:Q", title="final loss", format=".6~g"),
                alt.Tooltip("excess_loss:Q", title="final loss − minimum", format=".4~g"),
            ],
        )
    )
    crosses = (
        alt.Chart(diverged)
        .mark_point(size=90, filled=True, opacity=1)
        .encode(
            x=lr_axis,
            y=alt.YValue(30),
            color=colour,
            shape=shape,
            tooltip=[*lr_tips, alt.Tooltip("regime:N"), alt.Tooltip("outcome:N")],
        )
    )
    layers = [band_marks, *band_titles, rule_marks, *rule_text, line, points, crosses]
    title = alt.Title(f"{loss_name(min_loss).capitalize()} after {steps} steps, one run per lr", offset=34)
    # fit-x: stretch across the page but keep the plot's height (plain "fit" squeezes it and clips the title).
    autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    independent = alt.Resolve(scale=alt.ScaleResolveMap(fill="independent"))  # pale band fills, darker titles
    # charts.kit's layer: the same spec as alt.layer(...).resolve_scale(...).properties(...), without their copies
    return layer(*layers, resolve=independent, width=width, height=height, title=title, autosize=autosize)


WINDOW_MARGIN = 1.25  # the parameter window: θ* ± this × the start's distance from θ*
FAR_OUT = 1e3  # a diverging run is followed out to this many times the start's distance (symlog), then cut


def param_window(optimum, start, index: int, margin: float = WINDOW_MARGIN) -> tuple[float, float]:
    """θ*_i ± margin·‖θ₀ − θ*‖: every run with lr ≤ 2/L stays inside, since no eigen-component grows."""
    radius = margin * float(np.linalg.norm(np.subtract(start, optimum)))
    radius = radius if radius > 0 else 1.0
    return optimum[index] - radius, optimum[index] + radius


def in_window(frame: pd.DataFrame, window: tuple[float, float], column: str = "value") -> pd.DataFrame:
    """Each run's rows up to and including its first step outside the window (the line then exits at the edge)."""
    outside = ~frame[column].between(*window)
    exits_before = outside.groupby(frame["run"]).transform(lambda s: s.shift(fill_value=False).cummax())
    return frame[~exits_before]


def run_labels(table: pd.DataFrame) -> list[str]:
    """Legend labels in lr order: 'lr = 1/18 ≈ 0.05556' or 'lr = 0.12 · diverged at step 63'."""
    labels = []
    for lr, diverged_at in zip(table["lr"], table["diverged_at"], strict=True):
        label = f"lr = {lr_label(lr)}"
        labels.append(label if pd.isna(diverged_at) else f"{label} · diverged at step {int(diverged_at)}")
    return labels


def thinned_trajectory_chart(frame: pd.DataFrame, table: pd.DataFrame, param: str, *, stride: int, **options) -> Concat:
    """trajectory_chart of every `stride`-th step (charts.kit.thin), thinned inside the cached builder
    (ui.cache.chart_spec): a rerun whose runs did not change thins nothing (~1.5 ms of pandas a rerun before)."""
    return trajectory_chart(thin(frame, stride), table, param, stride=stride, **options)


def trajectory_chart(
    frame: pd.DataFrame,
    table: pd.DataFrame,
    param: str,
    *,
    names: tuple[str, ...],
    optimum: tuple[float, ...],
    hessian,
    min_loss: float,
    window: tuple[float, float],
    steps: int,
    stride: int,
    width=340,
    height=300,
) -> Concat:
    """Loss above its minimum (log) and one parameter against step for each chosen lr, on one step slider (every
    `stride`-th of `steps`) that filters both in the browser. Diverged runs end in a red cross at their last finite
    point (clamped into the window).
    """
    step = step_slider(steps, stride=stride)
    labels = dict(zip(table["lr"], run_labels(table), strict=True))
    best = optimum[names.index(param)]
    data = frame[["run", "lr", "step", "loss", param]].copy()
    data["label"] = data["lr"].map(labels)
    data["excess"] = excess_loss(frame[list(names)].to_numpy(), optimum, hessian)
    data["shown_loss"] = data["excess"].clip(lower=LOSS_FLOOR)
    data = finite_rows(data.rename(columns={param: "value"}))
    # A run that leaves the window (it diverges): the panel plots the distance from θ* on a symmetric log scale,
    # linear within the start's distance, so the converging runs keep their shape and the diverging one stays on
    # screen for up to FAR_OUT times the start's distance (beyond that it is cut at the edge).
    start_distance = (window[1] - window[0]) / 2 / WINDOW_MARGIN
    reach = float((data["value"] - best).abs().max()) if len(data) else 0.0
    exploding = reach > (window[1] - window[0]) / 2
    if exploding:
        data["plot"] = data["value"] - best
        edge = min(reach, FAR_OUT * start_distance) * 1.02
        window, plotted_best = (-edge, edge), 0.0
    else:
        data["plot"], plotted_best = data["value"], best
    ends = data.groupby("run").tail(1)
    ends = ends[ends["lr"].isin(table.loc[table["diverged_at"].notna(), "lr"])]
    inside = window[0] + 0.06 * (window[1] - window[0]), window[1] - 0.06 * (window[1] - window[0])
    ends = ends.assign(
        shown_value=ends["plot"].clip(*window),
        note_value=ends["plot"].clip(*inside),
        note=ends["label"].str.split(" · ").str[-1],
    )
    values = in_window(data, window, "plot")

    colour = alt.Color(
        "label:N",
        scale=alt.Scale(domain=list(labels.values()), range=RUN_COLOURS[: len(labels)]),
        title="learning rate",
        legend=alt.Legend(orient="bottom", columns=3, labelLimit=320),
    )
    tips = [
        "label:N",
        alt.Tooltip("step:Q"),
        alt.Tooltip("value:Q", title=param, format=".6~g"),
        alt.Tooltip("loss:Q", format=".6~g"),
    ]
    x = alt.X("step:Q", title="step", scale=alt.Scale(domain=[0, int(frame["step"].max()) or 1], nice=False))
    y_loss = alt.Y(
        "shown_loss:Q",
        title=f"{loss_name(min_loss)} (log scale)",
        # A fixed domain: the axis holds still while scrubbing, and empty filtered layers have no extent.
        scale=alt.Scale(type="log", domain=_log_domain(data["shown_loss"], headroom=0.03), nice=False),
        axis=alt.Axis(labelExpr=E_LABEL),
    )
    if exploding:
        window_scale = alt.Scale(type="symlog", constant=start_distance, domain=list(window), nice=False)
        value_title = f"{param} − {param}* (symmetric log scale)"
    else:
        window_scale, value_title = alt.Scale(domain=list(window), nice=False), param
    y_value = alt.Y("plot:Q", title=value_title, scale=window_scale)
    y_end = alt.Y("shown_value:Q", title=value_title, scale=window_scale)

    def panel(y, title, rows, before=(), after=(), line_opacity=1.0):
        base = alt.Chart(rows).encode(x=x, y=y, color=colour, tooltip=tips)
        path = base.mark_line(strokeWidth=1.5, opacity=line_opacity, clip=True).transform_filter(alt.datum.step <= step)
        dots = base.mark_circle(size=14, opacity=1, clip=True).transform_filter(alt.datum.step <= step)
        here = base.mark_circle(size=70, opacity=1, clip=True).transform_filter(alt.datum.step == step)
        return layer(*before, path, dots, here, *after, width=width, height=height, title=title)  # kit's: no copies

    optimum_rule = (
        alt.Chart(pd.DataFrame({"plot": [plotted_best], "text": [minus(f"{param}* = {best:.4g}")]}))
        .mark_rule(strokeDash=[5, 3], color="#666")
        .encode(y=y_value, tooltip=alt.Tooltip("text:N"))
    )
    end_tips = [
        alt.Tooltip("label:N"),
        alt.Tooltip("step:Q", title="last finite step"),
        alt.Tooltip("value:Q", format=".4~g"),
    ]
    end_base = alt.Chart(ends).encode(x=x, tooltip=end_tips).transform_filter(alt.datum.step <= step)
    end_cross = end_base.mark_point(shape="cross", size=110, filled=True, color=DIVERGED_COLOUR, opacity=1)
    last_step = int(frame["step"].max())
    end_text = [  # the note sits on the side of the cross that has room
        alt.Chart(ends[(ends["step"] > last_step / 2) == (align == "right")])
        .mark_text(align=align, dx=dx, fontSize=11, color=DIVERGED_COLOUR)
        .encode(
            x=x,
            y=alt.Y("note_value:Q", scale=window_scale, title=value_title),
            text=alt.Text("note:N"),
            tooltip=end_tips,
        )
        .transform_filter(alt.datum.step <= step)
        for align, dx in (("right", -9), ("left", 9))
    ]
    loss_panel = panel(
        y_loss, f"{loss_name(min_loss).capitalize()} against step", data, after=[end_cross.encode(y=y_loss)]
    )
    value_panel = panel(
        y_value,
        f"{param} against step",
        values,
        [optimum_rule],
        [end_cross.encode(y=y_end), *end_text],
        line_opacity=0.2,  # an lr near 2/L zigzags every step: faint lines, dots show the two branches
    )
    pad = alt.AutoSizeParams(type="pad", contains="padding")  # "fit" does not apply to concatenated views
    return with_params(hconcat(loss_panel, value_panel, autosize=pad), step)  # charts.kit's: no deep copies
