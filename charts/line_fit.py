"""Charts for the line-fitting lessons: the data with the line, the MSE surface with the descent path, the loss.

Tidy frames in, one Altair composite out. Every view shares one step parameter (a range input), so scrubbing
through the steps filters in the browser and costs no server rerun. Colours keep one meaning throughout:
vermilion = (minibatch) gradient descent, blue = full-batch descent, black = the least-squares optimum.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from gd_core.charts.common import PALETTE, finite_rows, step_slider

WIDTH, HEIGHT = 330, 280
MAX_POINTS = 2000  # data points drawn in a scatter (a deterministic sample of bigger data sets)
MAX_STEPS_SHOWN = 400  # steps shipped per run; the slider moves in strides over longer runs
MAX_BATCH_ROWS = 30_000  # (step, point) rows shipped to highlight each step's batch
BLUE, VERMILION, ORANGE, BLACK = PALETTE[0], PALETTE[1], PALETTE[4], PALETTE[7]
GREY = "#8C96A0"
DESCENT, LEAST_SQUARES = "gradient descent", "least squares"
FULL, MINI, MINI_BATCH_LOSS = "full batch", "minibatch", "minibatch, loss on its batch"
# A five-pointed star centred on the origin (Vega symbol path, unit size).
STAR = (
    "M0,-1L0.2245,-0.309L0.9511,-0.309L0.3633,0.118L0.5878,0.809L0,0.382"
    "L-0.5878,0.809L-0.3633,0.118L-0.9511,-0.309L-0.2245,-0.309Z"
)
NUMBER = ".6~g"


# --- pure helpers: frames in, frames or numbers out -------------------------------------------------------------


def display_stride(last_step: int, max_steps: int = MAX_STEPS_SHOWN) -> int:
    """The smallest stride k ≥ ceil((last+1)/max_steps) that divides last_step (so the slider reaches the end)."""
    base = max(1, math.ceil((last_step + 1) / max_steps))
    return next((k for k in range(base, 2 * base + 1) if last_step % k == 0), base)


def thin(frame: pd.DataFrame, stride: int) -> pd.DataFrame:
    """Rows at every stride-th step and at each run's last step; finite rows only."""
    frame = finite_rows(frame)
    last = frame.groupby("run")["step"].transform("max") if "run" in frame else frame["step"].max()
    return frame[(frame["step"] % stride == 0) | (frame["step"] == last)].reset_index(drop=True)


def display_sample(data: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """At most max_points rows of (x, y), a fixed random sample (the same every run), with the row `index`."""
    data = data.reset_index(drop=True).rename_axis("index").reset_index()
    if len(data) <= max_points:
        return data
    keep = np.sort(np.random.default_rng(0).choice(len(data), size=max_points, replace=False))
    return data.iloc[keep].reset_index(drop=True)


def surface_ranges(
    paths: pd.DataFrame, optimum: tuple[float, float], reach: float = 3.0, margin: float = 0.25
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(w, b) ranges that show the starts, the optimum and the paths (a runaway path widens them at most `reach`×)."""
    paths = finite_rows(paths[["step", "w", "b"]])
    starts = paths[paths["step"] == 0]
    anchors = np.vstack([starts[["w", "b"]].to_numpy(), np.asarray(optimum, dtype=float)[None, :]])
    low, high = anchors.min(0), anchors.max(0)
    centre, half = (low + high) / 2, (high - low) / 2
    # w and b have different units, so an axis with (almost) no extent is widened on its own scale.
    half = np.maximum(half, 0.1 * np.abs(centre))
    half = np.where(half > 1e-9 * max(1.0, half.max()), half, np.maximum(0.5 * np.abs(centre), 1.0))
    low, high = centre - half, centre + half
    if len(paths):
        seen = paths[["w", "b"]].to_numpy()
        low = np.maximum(np.minimum(low, seen.min(0)), low - 2 * reach * half)
        high = np.minimum(np.maximum(high, seen.max(0)), high + 2 * reach * half)
    pad = margin * (high - low)
    return (float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))


def heatmap_cells(surface: pd.DataFrame) -> pd.DataFrame:
    """Grid points of a loss surface -> rectangles (w_lo, w_hi, b_lo, b_hi) centred on them, with a positive loss."""
    cells = finite_rows(surface).copy()
    for name in ("w", "b"):
        values = np.unique(cells[name].to_numpy())
        half = (values[-1] - values[0]) / (len(values) - 1) / 2 if len(values) > 1 else 0.5
        cells[f"{name}_lo"], cells[f"{name}_hi"] = cells[name] - half, cells[name] + half
    cells["shown"] = cells["loss"].clip(lower=positive_floor(cells["loss"]))
    return cells


def contour_segments(surface: pd.DataFrame, levels: int = 9) -> pd.DataFrame:
    """Iso-loss lines of a gridded surface (marching squares) as segments w, b, w2, b2 with their `level`.

    Levels are spaced geometrically in the excess over the grid's lowest loss, so the ellipses around the
    minimum spread evenly instead of crowding at the rim.
    """
    grid = surface.pivot_table(index="w", columns="b", values="loss", sort=True)
    w, b, z = grid.index.to_numpy(), grid.columns.to_numpy(), grid.to_numpy()
    excess = z - np.nanmin(z)
    top = float(np.nanmax(excess)) if excess.size else 0.0
    if not (len(w) > 1 and len(b) > 1 and math.isfinite(top) and top > 0):
        return pd.DataFrame(columns=["level", "w", "b", "w2", "b2"], dtype=float)
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]  # (di, dj) around each cell: the edges join corners k and k+1
    rows = []
    for level in np.geomspace(top * 2e-3, top * 0.6, levels):
        points = []
        for k in range(4):
            (ai, aj), (bi, bj) = corners[k], corners[(k + 1) % 4]
            za = excess[ai : len(w) - 1 + ai, aj : len(b) - 1 + aj]
            zb = excess[bi : len(w) - 1 + bi, bj : len(b) - 1 + bj]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                t = np.where((za - level) * (zb - level) < 0, (level - za) / (zb - za), np.nan)
            wa, wb = w[ai : len(w) - 1 + ai, None], w[bi : len(w) - 1 + bi, None]
            ba, bb = b[None, aj : len(b) - 1 + aj], b[None, bj : len(b) - 1 + bj]
            points.append((wa + t * (wb - wa), ba + t * (bb - ba)))
        pw, pb = np.stack([p[0] for p in points], -1), np.stack([p[1] for p in points], -1)
        crossed = np.isfinite(pw)
        for first, second in ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)):
            pair = crossed[..., first] & crossed[..., second]
            pair &= crossed.sum(-1) == 2  # saddle cells (four crossings) are skipped: a bowl has none
            rows.append(
                pd.DataFrame(
                    {
                        "level": level + np.nanmin(z),
                        "w": pw[..., first][pair],
                        "b": pb[..., first][pair],
                        "w2": pw[..., second][pair],
                        "b2": pb[..., second][pair],
                    }
                )
            )
    return finite_rows(pd.concat(rows, ignore_index=True))


def positive_floor(loss: pd.Series) -> float:
    """A floor > 0 for a loss on a log scale: 1e-12 of its largest value (a perfect fit's 0 would break the scale)."""
    top = float(loss.max()) if len(loss) else 1.0
    return max(top * 1e-12, 1e-300) if math.isfinite(top) and top > 0 else 1e-12


def line_endpoints(frame: pd.DataFrame, x_range: tuple[float, float]) -> pd.DataFrame:
    """The fitted line y = w·x + b of each row, as two points (x_lo, x_hi) per row: columns step, x, y (+ series)."""
    keep = [c for c in ("series", "step", "w", "b") if c in frame]
    ends = [frame[keep].assign(x=x) for x in x_range]
    lines = pd.concat(ends, ignore_index=True)
    lines["y"] = lines["w"] * lines["x"] + lines["b"]
    return finite_rows(lines).sort_values(["step", "x"], kind="stable").reset_index(drop=True)


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


def gradient_noise(frame: pd.DataFrame) -> pd.Series:
    """Per epoch, the median over its steps of |batch gradient − full gradient| / |full gradient|."""
    error = np.hypot(frame["grad_w"] - frame["full_grad_w"], frame["grad_b"] - frame["full_grad_b"])
    size = np.hypot(frame["full_grad_w"], frame["full_grad_b"])
    ratio = (error / size.where(size > 0)).replace([np.inf, -np.inf], np.nan)
    return ratio.groupby(frame["epoch"]).median().dropna()


def points_read(steps: int, n: int, batch: int) -> int:
    """Data points read to compute `steps` gradients with batches of `batch` (an epoch's last batch is the rest)."""
    per_epoch = math.ceil(n / batch)
    position = np.arange(steps) % per_epoch
    return int(np.minimum(batch, n - position * batch).sum())


def comparison(full: pd.DataFrame, mini: pd.DataFrame, n: int, batch: int) -> pd.DataFrame:
    """Steps run, final loss on all the data, and the data points read for the gradients: full batch vs minibatch."""
    rows = []
    for label, frame, size in ((FULL, full, n), (MINI, mini, batch)):
        steps = int(frame["step"].max())
        rows.append(
            {
                "run": label,
                "steps": steps,
                "points read": points_read(steps, n, min(size, n)),
                "final loss (all data)": float(frame["loss"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


# --- chart pieces ----------------------------------------------------------------------------------------------


def _scale(domain: tuple[float, float] | None = None, **scale) -> alt.Scale:
    if domain is not None:
        scale = {"domain": [float(domain[0]), float(domain[1])], "nice": False, **scale}
        if scale.get("type") != "log":
            scale.setdefault("zero", False)
    return alt.Scale(**scale)


def _x(field: str, title: str, domain: tuple[float, float] | None = None, **scale) -> alt.X:
    return alt.X(f"{field}:Q", title=title, scale=_scale(domain, **scale))


def _y(field: str, title: str, domain: tuple[float, float] | None = None, **scale) -> alt.Y:
    return alt.Y(f"{field}:Q", title=title, scale=_scale(domain, **scale))


def _padded(values: pd.Series | np.ndarray, pad: float = 0.06) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low if high > low else max(abs(high), 1.0)
    return low - pad * span, high + pad * span


def _series_colour(domain: list[str], colours: list[str], legend: bool = True) -> alt.Color:
    return alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=colours),
        legend=alt.Legend(orient="bottom") if legend else None,
    )


def _scatter(shown: pd.DataFrame, x_name: str, y_name: str, x_dom, y_dom, title: str) -> alt.Chart:
    size = 30 if len(shown) <= 200 else 14 if len(shown) <= 1000 else 8
    return (
        alt.Chart(shown, title=title)
        .mark_circle(color=GREY, opacity=0.55, size=size)
        .encode(
            x=_x("x", x_name, x_dom),
            y=_y("y", y_name, y_dom),
            tooltip=[alt.Tooltip("x:Q", title=x_name, format=NUMBER), alt.Tooltip("y:Q", title=y_name, format=NUMBER)],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def _lines(lines: pd.DataFrame, step: alt.Parameter, domain: list[str], colours: list[str], dashes: list) -> alt.Chart:
    """Fitted lines: rows with step == −1 are always drawn (the optimum), the others at the current step."""
    return (
        alt.Chart(lines)
        .mark_line(strokeWidth=2.5, clip=True)
        .encode(
            x="x:Q",
            y="y:Q",
            detail="series:N",
            color=_series_colour(domain, colours),
            strokeDash=alt.StrokeDash(
                "series:N", title=None, scale=alt.Scale(domain=domain, range=dashes), legend=alt.Legend(orient="bottom")
            ),
            tooltip=[
                alt.Tooltip("series:N", title="line"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("w:Q", format=NUMBER),
                alt.Tooltip("b:Q", format=NUMBER),
            ],
        )
        .transform_filter((alt.datum.step == step) | (alt.datum.step < 0))
    )


def _heatmap(cells: pd.DataFrame, w_dom, b_dom, title: str) -> alt.Chart:
    low, high = float(cells["shown"].min()), float(cells["shown"].max())
    scale = alt.Scale(
        type="log", domain=[low, max(high, low * 1.0001)], scheme={"name": "greys", "extent": [0.02, 0.55]}
    )
    legend = alt.Legend(orient="bottom", direction="horizontal", gradientLength=WIDTH - 120, format=".3~g")
    return (
        alt.Chart(cells, title=title)
        .mark_rect(strokeWidth=0.8)  # each cell stroked in its own colour: no hairline seams between cells
        .encode(
            x=_x("w_lo", "slope w", w_dom),
            x2="w_hi:Q",
            y=_y("b_lo", "bias b", b_dom),
            y2="b_hi:Q",
            color=alt.Color("shown:Q", title="MSE", scale=scale, legend=legend),
            stroke=alt.Stroke("shown:Q", scale=scale, legend=None),
            tooltip=[
                alt.Tooltip("w:Q", title="w", format=NUMBER),
                alt.Tooltip("b:Q", title="b", format=NUMBER),
                alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
            ],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def _contours(surface: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(contour_segments(surface))
        .mark_rule(color="#FFFFFF", strokeWidth=1, opacity=0.8)
        .encode(
            x="w:Q",
            y="b:Q",
            x2="w2:Q",
            y2="b2:Q",
            tooltip=[alt.Tooltip("level:Q", title="MSE on this line", format=NUMBER)],
        )
    )


def _path(frame: pd.DataFrame, step: alt.Parameter, colour: str) -> list[alt.Chart]:
    """A descent path over the surface up to the current step, and its current point."""
    tooltip = [
        alt.Tooltip("step:Q"),
        alt.Tooltip("w:Q", format=NUMBER),
        alt.Tooltip("b:Q", format=NUMBER),
        alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
    ]
    base = alt.Chart(frame).encode(x="w:Q", y="b:Q", tooltip=tooltip)
    line = base.mark_line(color=colour, strokeWidth=1.8, clip=True).encode(order="step:Q")
    dots = base.mark_circle(color=colour, size=14, opacity=0.8, clip=True)
    now = base.mark_point(stroke=colour, fill="white", filled=True, size=110, strokeWidth=2.5, opacity=1, clip=True)
    return [
        line.transform_filter(alt.datum.step <= step),
        dots.transform_filter(alt.datum.step <= step),
        now.transform_filter(alt.datum.step == step),
    ]


def _optimum(optimum: tuple[float, float, float]) -> alt.Chart:
    w, b, loss = optimum
    spot = pd.DataFrame({"w": [w], "b": [b], "loss": [loss], "label": ["least squares"]})
    return (
        alt.Chart(spot)
        .mark_point(shape=STAR, size=260, filled=True, fill=BLACK, stroke="white", strokeWidth=1, opacity=1, clip=True)
        .encode(
            x="w:Q",
            y="b:Q",
            tooltip=[
                alt.Tooltip("label:N", title="optimum"),
                alt.Tooltip("w:Q", title="w*", format=NUMBER),
                alt.Tooltip("b:Q", title="b*", format=NUMBER),
                alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
            ],
        )
    )


def _loss_panel(losses: pd.DataFrame, step: alt.Parameter, domain, colours, best: float, width: int, title: str):
    """Loss against step (log scale, floored above 0) with the current step marked and the least-squares MSE."""
    floor = positive_floor(losses["loss"])
    losses = losses.assign(shown=losses["loss"].clip(lower=floor))
    shown_best = max(best, floor)
    low, high = min(float(losses["shown"].min()), shown_best), float(losses["shown"].max())
    y = _y("shown", "MSE (log scale)", (low / 1.3, max(high, low * 1.01) * 1.3), type="log")
    y.axis = alt.Axis(format=".3~g", labelOverlap="greedy")
    last = int(losses["step"].max())
    x = _x("step", "step", (0, max(last, 1)))
    x.axis = alt.Axis(format="d", tickMinStep=1)
    colour = _series_colour(domain, colours, legend=len(domain) > 1)
    tooltip = [
        alt.Tooltip("series:N", title="run"),
        alt.Tooltip("step:Q"),
        alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
    ]
    base = alt.Chart(losses).encode(x=x, y=y, color=colour, tooltip=tooltip)
    curves = base.mark_line(strokeWidth=1.8, clip=True).encode(
        opacity=alt.condition(alt.datum.series == MINI_BATCH_LOSS, alt.value(0.4), alt.value(1.0))
    )
    now = base.mark_point(filled=True, size=70, opacity=1).transform_filter(alt.datum.step == step)
    rule = (
        alt.Chart(losses)
        .mark_rule(color=GREY, strokeDash=[3, 3])
        .encode(x="step:Q")
        .transform_filter(alt.datum.step == step)
    )
    optimum = pd.DataFrame({"shown": [shown_best], "loss": [best], "label": ["least-squares MSE"]})
    floor_rule = (
        alt.Chart(optimum)
        .mark_rule(color=BLACK, strokeDash=[6, 4], strokeWidth=1.2)
        .encode(
            y="shown:Q", tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("loss:Q", title="MSE", format=NUMBER)]
        )
    )
    return alt.layer(curves, floor_rule, rule, now, title=title).properties(width=width, height=180)


# Built once and passed to the constructors: every Altair method call (.configure_*, .resolve_*, .add_params) on a
# composite deep-copies the whole spec, which costs more than building it.
INDEPENDENT = alt.Resolve(scale=alt.ScaleResolveMap(color="independent", strokeDash="independent"))
CONFIG = alt.Config(
    view=alt.ViewConfig(stroke="#D0D5DB"),
    axis=alt.AxisConfig(labelFontSize=11, titleFontSize=12, grid=True, gridColor="#ECEFF3"),
    title=alt.TitleConfig(fontSize=13, anchor="start", fontWeight="normal"),
    legend=alt.LegendConfig(labelFontSize=12, titleFontSize=12, symbolStrokeWidth=3),
)


def _row(*panels) -> alt.HConcatChart:
    return alt.hconcat(*panels, spacing=30, resolve=INDEPENDENT)


def _compose(*rows, step: alt.Parameter) -> alt.VConcatChart:
    """Rows of panels sharing the one step parameter (declared at the top level)."""
    return alt.vconcat(*rows, spacing=24, params=[step.param], config=CONFIG, resolve=INDEPENDENT)


# --- the page charts -------------------------------------------------------------------------------------------


def fit_chart(
    data: pd.DataFrame,
    trajectory: pd.DataFrame,
    surface: pd.DataFrame,
    optimum: tuple[float, float, float],
    x_name: str = "x",
    y_name: str = "y",
) -> alt.VConcatChart:
    """Page 2: the data with the line at the current step, the path on the MSE surface, and the loss per step."""
    frame = finite_rows(trajectory[["step", "w", "b", "loss"]])
    last = int(frame["step"].max())
    stride = display_stride(last)
    shown_steps = thin(frame, stride)
    step = step_slider(last, stride=stride)

    shown = display_sample(data[["x", "y"]])
    x_dom, y_dom = _padded(data["x"], 0.04), _padded(data["y"])
    w_star, b_star, best = optimum
    lines = pd.concat(
        [
            shown_steps.assign(series=DESCENT),
            pd.DataFrame({"series": [LEAST_SQUARES], "step": [-1], "w": [w_star], "b": [b_star]}),
        ],
        ignore_index=True,
    )
    of = f" ({len(shown):,} of {len(data):,} points shown)" if len(shown) < len(data) else ""
    scatter = alt.layer(
        _scatter(shown, x_name, y_name, x_dom, y_dom, f"The data and the line at the current step{of}"),
        _lines(line_endpoints(lines, x_dom), step, [DESCENT, LEAST_SQUARES], [VERMILION, BLACK], [[1, 0], [6, 4]]),
    )
    cells = heatmap_cells(surface)
    w_dom = (float(cells["w_lo"].min()), float(cells["w_hi"].max()))
    b_dom = (float(cells["b_lo"].min()), float(cells["b_hi"].max()))
    landscape = alt.layer(
        _heatmap(cells, w_dom, b_dom, "The path of (w, b) over the MSE surface (★ = least squares)"),
        _contours(surface),
        *_path(shown_steps, step, VERMILION),
        _optimum(optimum),
    )
    losses = _loss_panel(
        shown_steps.assign(series=DESCENT), step, [DESCENT], [VERMILION], best, 2 * WIDTH + 85, "Loss per step"
    )
    return _compose(_row(scatter, landscape), losses, step=step)


def minibatch_chart(
    data: pd.DataFrame,
    full: pd.DataFrame,
    mini: pd.DataFrame,
    membership: pd.DataFrame,
    surface: pd.DataFrame,
    optimum: tuple[float, float, float],
    lr: float,
    x_name: str = "x",
    y_name: str = "y",
) -> alt.VConcatChart:
    """Page 3: both paths on the surface, the loss of both, the current batch in the data, the two gradient steps."""
    full = finite_rows(full[["step", "w", "b", "loss"]]).assign(series=FULL, run=0)
    mini = finite_rows(mini).assign(series=MINI, run=1)
    last = int(max(full["step"].max(), mini["step"].max()))
    stride = display_stride(last)
    step = step_slider(last, stride=stride)
    full_shown, mini_shown = thin(full, stride), thin(mini, stride)

    # Every point of each shown step's batch when that fits the budget, else the batch points among a sample.
    listed = membership[membership["step"].isin(set(mini_shown["step"].tolist()))]
    shown = display_sample(data[["x", "y"]])
    if len(listed) <= MAX_BATCH_ROWS:
        in_batch = batch_points(listed, display_sample(data[["x", "y"]], len(data)), mini_shown["step"])
    else:
        shown = display_sample(data[["x", "y"]], max(300, MAX_BATCH_ROWS * len(data) // len(listed)))
        in_batch = batch_points(listed, shown, mini_shown["step"])
    x_dom, y_dom = _padded(data["x"], 0.04), _padded(data["y"])

    cells = heatmap_cells(surface)
    w_dom = (float(cells["w_lo"].min()), float(cells["w_hi"].max()))
    b_dom = (float(cells["b_lo"].min()), float(cells["b_hi"].max()))
    landscape = alt.layer(
        _heatmap(cells, w_dom, b_dom, "Both paths over the MSE surface (★ = least squares)"),
        _contours(surface),
        *_path(full_shown, step, BLUE),
        *_path(mini_shown, step, VERMILION),
        _optimum(optimum),
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
            x="x:Q",
            y="y:Q",
            tooltip=[
                alt.Tooltip("step:Q"),
                alt.Tooltip("index:Q", title="row"),
                alt.Tooltip("x:Q", format=NUMBER),
                alt.Tooltip("y:Q", format=NUMBER),
            ],
        )
        .transform_filter(alt.datum.step == step)
    )
    scatter = alt.layer(
        _scatter(shown, x_name, y_name, x_dom, y_dom, f"This step's batch (vermilion dots) and both lines{of}"),
        highlight,
        _lines(line_endpoints(both, x_dom), step, [FULL, MINI], [BLUE, VERMILION], [[1, 0], [1, 0]]),
    )

    losses = pd.concat(
        [
            full_shown[["series", "step", "loss"]],
            mini_shown[["series", "step", "loss"]],
            mini_shown[["step", "batch_loss"]].rename(columns={"batch_loss": "loss"}).assign(series=MINI_BATCH_LOSS),
        ],
        ignore_index=True,
    )
    loss_panel = _loss_panel(
        losses,
        step,
        [FULL, MINI, MINI_BATCH_LOSS],
        [BLUE, VERMILION, ORANGE],
        optimum[2],
        WIDTH,
        "Loss on all the data per step",
    ).properties(height=HEIGHT)
    bottom = _row(loss_panel, _arrow_panel(step_arrows(mini_shown, lr), step))
    return _compose(_row(landscape, scatter), bottom, step=step)


def _arrow_panel(arrows: pd.DataFrame, step: alt.Parameter) -> alt.LayerChart:
    """The minibatch step vs the full-batch step from the current point, longer arrow scaled to 1 (equal axes)."""
    side = HEIGHT
    domain = (-1.15, 1.15)
    colour = _series_colour([FULL, MINI], [BLUE, VERMILION])
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
            x=_x("zero", "Δw (longer step scaled to 1)", domain),
            y=_y("zero", "Δb (longer step scaled to 1)", domain),
            x2="u:Q",
            y2="v:Q",
        )
        .transform_calculate(zero="0")
    )
    heads = base.mark_point(shape="triangle-up", filled=True, size=160, opacity=1).encode(
        x="u:Q", y="v:Q", angle=alt.Angle("angle:Q", scale=None)
    )
    axes = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#B8C0CA").encode(x="zero:Q") + alt.Chart(
        pd.DataFrame({"zero": [0.0]})
    ).mark_rule(color="#B8C0CA").encode(y="zero:Q")
    return alt.layer(axes, shafts, heads, title="The step taken vs the full-gradient step, at this step").properties(
        width=side, height=side
    )
