"""Minibatches' chart: both paths on the MSE surface, both losses, the current batch among the data, and the
minibatch step beside the full-gradient step, all on one step slider."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

import gd_core as gd
from charts import line_fit as lf
from charts.kit import (
    BLACK,
    BLUE,
    NUMBER,
    ORANGE,
    VERMILION,
    Layer,
    finite_rows,
    layer,
    step_slider,
    thin,
    thinning_stride,
)
from ui.cache import cached

MAX_BATCH_ROWS = 30_000  # (step, point) rows shipped to highlight each step's batch
FULL, MINI = "full batch", "minibatch"


def with_minibatch_columns(frame: pd.DataFrame, per_epoch: int) -> pd.DataFrame:
    """A minibatch frame whatever the batch size (a batch of all n points comes back as plain gradient descent)."""
    if "full_grad_w" in frame:
        return frame
    return frame.assign(
        epoch=frame["step"] // per_epoch,
        batch_loss=frame["loss"],
        full_grad_w=frame["grad_w"],
        full_grad_b=frame["grad_b"],
    )


def step_arrows(frame: pd.DataFrame, lr: float) -> pd.DataFrame:
    """The step taken (−lr·batch gradient) and the full-batch step (−lr·full gradient) at each row.

    Both arrows of a step are divided by the longer one's length, so the pair keeps its angle and length ratio
    at every step however small the steps get; `dw`, `db` keep the true sizes for tooltips.
    """
    rows = []
    for series, gw, gb in ((MINI, "grad_w", "grad_b"), (FULL, "full_grad_w", "full_grad_b")):
        rows.append(
            pd.DataFrame({"series": series, "step": frame["step"], "dw": -lr * frame[gw], "db": -lr * frame[gb]})
        )
    arrows = pd.concat(rows, ignore_index=True)
    length = np.hypot(arrows["dw"], arrows["db"])
    longest = length.groupby(arrows["step"]).transform("max").replace(0.0, 1.0)
    arrows["u"], arrows["v"] = arrows["dw"] / longest, arrows["db"] / longest
    arrows["angle"] = np.degrees(np.arctan2(arrows["u"], arrows["v"]))  # clockwise from "up", as Vega rotates
    arrows["length"] = length
    return finite_rows(arrows)


def batch_points(membership: pd.DataFrame, shown: pd.DataFrame, steps: pd.Series) -> pd.DataFrame:
    """(step, x, y) of the shown data points that are in each listed step's batch."""
    rows = membership[membership["step"].isin(set(steps.tolist()))]
    return rows.merge(shown, on="index")[["step", "index", "x", "y"]]


def shown_steps(full: pd.DataFrame, mini: pd.DataFrame) -> list[int]:
    """The minibatch steps minibatch_chart ships (the kit's thinning rule on the longer run)."""
    last = int(max(finite_rows(full)["step"].max(), finite_rows(mini)["step"].max()))
    return sorted(set(thin(finite_rows(mini).assign(run=1), thinning_stride(last))["step"].tolist()))


@cached  # an identical rerun hashes the two runs (ui.cache: their bytes) instead of redoing this pandas
def derived(
    full: pd.DataFrame, mini: pd.DataFrame, per_epoch: int, n: int, batch_size: int, optimum: tuple[float, float]
) -> tuple[pd.DataFrame, list[int], int, int, tuple, pd.DataFrame, pd.Series]:
    """What the page derives from the two runs: the minibatch frame with its columns, the steps the chart ships,
    the (step, point) rows of their batches, the data points shown, the (w, b) ranges of the MSE surface, the
    comparison table and the gradient noise per epoch (gd.gradient_noise)."""
    mini = with_minibatch_columns(mini, per_epoch)
    shown = shown_steps(full, mini)  # build only the (step, point) rows the chart ships
    listed = batch_rows(shown, n, batch_size)
    ranges = lf.surface_ranges(pd.concat([full, mini]), optimum)
    table, spread = comparison(full, mini, n, batch_size), gd.gradient_noise(mini)
    return mini, shown, listed, shown_point_count(n, listed), ranges, table, spread


def batch_rows(steps: list[int], n: int, batch: int) -> int:
    """(step, point) rows for every point of these steps' batches (an epoch's last batch is the rest)."""
    batch = min(max(batch, 1), n)
    position = np.asarray(steps, dtype=np.int64) % gd.steps_per_epoch(n, batch)
    return int(np.minimum(batch, n - position * batch).sum())


def shown_point_count(n: int, listed_rows: int) -> int:
    """Data points the scatter ships: all of them when every batch point of the shown steps fits MAX_BATCH_ROWS,
    else a sample whose batch points (about MAX_BATCH_ROWS) do, between 300 and MAX_BATCH_ROWS points."""
    if listed_rows <= MAX_BATCH_ROWS and n <= MAX_BATCH_ROWS:
        return n
    return int(min(n, MAX_BATCH_ROWS, max(300, MAX_BATCH_ROWS * n // max(listed_rows, 1))))


def comparison(full: pd.DataFrame, mini: pd.DataFrame, n: int, batch: int) -> pd.DataFrame:
    """Steps run, final loss on all the data, and the data points read for the gradients: full batch vs minibatch."""
    rows = []
    for label, frame, size in ((FULL, full, n), (MINI, mini, batch)):
        steps = int(frame["step"].max())
        rows.append(
            {
                "run": label,
                "steps": steps,
                "points read": gd.points_read(steps, n, min(size, n)),
                "final loss (all data)": float(frame["loss"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def trajectory_csv(full: pd.DataFrame, mini: pd.DataFrame) -> bytes:
    """Every step of both runs as CSV bytes. The page hands st.download_button this function, not the bytes:
    Streamlit calls it when the button is clicked (outside the script run), so a rerun no longer writes a CSV of
    every step that hardly anyone downloads."""
    return pd.concat([full.assign(method="full batch"), mini.assign(method="minibatch")]).to_csv(index=False).encode()


def minibatch_chart(
    data: pd.DataFrame,
    full: pd.DataFrame,
    mini: pd.DataFrame,
    membership: pd.DataFrame,
    surface: pd.DataFrame,
    optimum: tuple[float, float],
    min_loss: float,
    lr: float,
    x_name: str = "x",
    y_name: str = "y",
    listed_rows: int | None = None,
    future: bool = True,
) -> lf.Concat:
    """Page 3: both paths on the surface, the loss of both, the current batch in the data, the two gradient steps."""
    full = finite_rows(full[["step", "w", "b", "loss"]]).assign(series=FULL, run=0)
    mini = finite_rows(mini).assign(series=MINI, run=1)
    last = int(max(full["step"].max(), mini["step"].max()))
    stride = thinning_stride(last)
    step = step_slider(last, stride=stride)
    full_shown, mini_shown = thin(full, stride), thin(mini, stride)

    # Every point of each shown step's batch when that fits the budget, else the batch points among a sample.
    # listed_rows: how many rows the whole membership of the shown steps has, when `membership` lists only the
    # shipped points (ui.data_controls.batch_membership builds no more than that).
    listed = membership[membership["step"].isin(set(mini_shown["step"].tolist()))]
    shown = lf.display_sample(data[["x", "y"]])
    count = shown_point_count(len(data), len(listed) if listed_rows is None else listed_rows)
    if count == len(data):
        in_batch = batch_points(listed, lf.display_sample(data[["x", "y"]], len(data)), mini_shown["step"])
    else:
        shown = lf.display_sample(data[["x", "y"]], count)
        in_batch = batch_points(listed, shown, mini_shown["step"])
    x_dom, y_dom = lf.padded(data["x"], 0.04), lf.padded(data["y"])

    cells = lf.heatmap_cells(surface)
    w_dom = (float(cells["w_lo"].min()), float(cells["w_hi"].max()))
    b_dom = (float(cells["b_lo"].min()), float(cells["b_hi"].max()))
    landscape = layer(  # charts.kit's: the same spec as alt.layer, without its copies
        lf.heatmap(cells, w_dom, b_dom, "Both paths over the MSE surface (★ = least squares)"),
        lf.contours(surface),
        *lf.path(full_shown, step, BLUE),
        *lf.path(mini_shown, step, VERMILION),
        lf.optimum_marker(optimum, min_loss),
    )

    both = pd.concat([full_shown, mini_shown], ignore_index=True)[["series", "step", "w", "b"]]
    of = f"; {len(shown):,} of {len(data):,} points shown" if len(shown) < len(data) else ""
    highlight = (
        alt.Chart(in_batch)
        .mark_point(
            shape="circle",
            filled=True,
            fill=VERMILION,
            stroke=BLACK,
            strokeWidth=0.8,
            opacity=1,
            size=60 if len(shown) <= 500 else 36,
        )
        .encode(
            x=alt.X("x:Q"),
            y=alt.Y("y:Q"),
            tooltip=[
                alt.Tooltip("step:Q"),
                alt.Tooltip("index:Q", title="row"),
                alt.Tooltip("x:Q", format=NUMBER),
                alt.Tooltip("y:Q", format=NUMBER),
            ],
        )
        .transform_filter(alt.datum.step == step)
    )
    scatter = layer(
        lf.scatter(shown, x_name, y_name, x_dom, y_dom, f"This step's batch (vermilion dots) and both lines{of}"),
        highlight,
        lf.fitted_lines(lf.line_endpoints(both, x_dom), step, [FULL, MINI], [BLUE, VERMILION], [[1, 0], [1, 0]]),
    )

    losses = pd.concat(
        [
            full_shown[["series", "step", "loss"]],
            mini_shown[["series", "step", "loss"]],
            mini_shown[["step", "batch_loss"]].rename(columns={"batch_loss": "loss"}).assign(series=lf.MINI_BATCH_LOSS),
        ],
        ignore_index=True,
    )
    loss_panel = lf.loss_panel(
        losses,
        step,
        [FULL, MINI, lf.MINI_BATCH_LOSS],
        [BLUE, VERMILION, ORANGE],
        min_loss,
        lf.WIDTH,
        "Loss on all the data per step",
        future=future,
        height=lf.HEIGHT,
    )
    bottom = lf.row(loss_panel, _arrow_panel(step_arrows(mini_shown, lr), step))
    return lf.compose(lf.row(landscape, scatter), bottom, step=step)


def _arrow_panel(arrows: pd.DataFrame, step: alt.Parameter) -> Layer:
    """The minibatch step vs the full-batch step from the current point, longer arrow scaled to 1 (equal axes)."""
    side = lf.HEIGHT
    domain = (-1.15, 1.15)
    colour = lf.series_colour([FULL, MINI], [BLUE, VERMILION])
    tooltip = [
        alt.Tooltip("series:N", title="step from"),
        alt.Tooltip("step:Q"),
        alt.Tooltip("dw:Q", title="Δw = −lr·∂/∂w", format=NUMBER),
        alt.Tooltip("db:Q", title="Δb = −lr·∂/∂b", format=NUMBER),
        alt.Tooltip("length:Q", title="length", format=NUMBER),
    ]
    base = alt.Chart(arrows).transform_filter(alt.datum.step == step).encode(color=colour, tooltip=tooltip)
    shafts = (
        base.mark_rule(strokeWidth=3)
        .encode(
            x=lf.x_field("zero", "Δw (longer step scaled to 1)", domain),
            y=lf.y_field("zero", "Δb (longer step scaled to 1)", domain),
            x2=alt.X2("u:Q"),
            y2=alt.Y2("v:Q"),
        )
        .transform_calculate(zero="0")
    )
    heads = base.mark_point(shape="triangle-up", filled=True, size=160, opacity=1).encode(
        x=alt.X("u:Q"), y=alt.Y("v:Q"), angle=alt.Angle("angle:Q", scale=None)
    )
    axes = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#B8C0CA").encode(x=alt.X("zero:Q")) + alt.Chart(
        pd.DataFrame({"zero": [0.0]})
    ).mark_rule(color="#B8C0CA").encode(y=alt.Y("zero:Q"))
    return layer(
        axes, shafts, heads, title="The step taken vs the full-gradient step, at this step", width=side, height=side
    )
