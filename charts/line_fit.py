"""The chart kit's pieces for the line-fitting lessons (2 · Fitting a line, 3 · Minibatches): the data with the
line, the MSE surface with descent paths, and the loss per step.

Each piece takes the shared step parameter and filters on it, so scrubbing happens in the browser. Colours keep
one meaning throughout: vermilion = (minibatch) gradient descent, blue = full-batch descent, black = the
least-squares optimum.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from charts.kit import BLACK, GREY, NUMBER, STAR, Concat, finite_rows, hconcat, layer, loss_floor, vconcat, with_params

WIDTH, HEIGHT = 330, 280
MAX_POINTS = 2000  # data points drawn in a scatter (a deterministic sample of bigger data sets)
MINI_BATCH_LOSS = "minibatch, loss on its batch"  # the series drawn faint in the loss panel


# --- pure helpers: frames in, frames out -------------------------------------------------------------


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
    # plain arrays, not frames: this runs on every rerun of pages 2 and 3 (~2 ms of pandas before)
    values = paths[["step", "w", "b"]].to_numpy(dtype=float)  # (rows, 3)
    values = values[np.isfinite(values).all(axis=1)]  # finite_rows
    anchors = np.vstack([values[values[:, 0] == 0, 1:], np.asarray(optimum, dtype=float)[None, :]])
    low, high = anchors.min(0), anchors.max(0)
    centre, half = (low + high) / 2, (high - low) / 2
    # w and b have different units, so an axis with (almost) no extent is widened on its own scale.
    half = np.maximum(half, 0.1 * np.abs(centre))
    half = np.where(half > 1e-9 * max(1.0, half.max()), half, np.maximum(0.5 * np.abs(centre), 1.0))
    low, high = centre - half, centre + half
    if len(values):
        seen = values[:, 1:]
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
    cells["shown"] = cells["loss"].clip(lower=loss_floor(cells["loss"]))
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
    columns: dict[str, list[np.ndarray]] = {"level": [], "w": [], "b": [], "w2": [], "b2": []}
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
            # arrays gathered and framed once at the end: a frame per (level, pair) was 54 frames, ~15 ms
            columns["level"].append(np.full(int(pair.sum()), level + np.nanmin(z)))
            columns["w"].append(pw[..., first][pair])
            columns["b"].append(pb[..., first][pair])
            columns["w2"].append(pw[..., second][pair])
            columns["b2"].append(pb[..., second][pair])
    return finite_rows(pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()}))


def line_endpoints(frame: pd.DataFrame, x_range: tuple[float, float]) -> pd.DataFrame:
    """The fitted line y = w·x + b of each row, as two points (x_lo, x_hi) per row: columns step, x, y (+ series)."""
    keep = [c for c in ("series", "step", "w", "b") if c in frame]
    ends = [frame[keep].assign(x=x) for x in x_range]
    lines = pd.concat(ends, ignore_index=True)
    lines["y"] = lines["w"] * lines["x"] + lines["b"]
    return finite_rows(lines).sort_values(["step", "x"], kind="stable").reset_index(drop=True)


def axis_scale(domain: tuple[float, float] | None = None, **scale) -> alt.Scale:
    if domain is not None:
        scale = {"domain": [float(domain[0]), float(domain[1])], "nice": False, **scale}
        if scale.get("type") != "log":
            scale.setdefault("zero", False)
    return alt.Scale(**scale)


def x_field(field: str, title: str, domain: tuple[float, float] | None = None, **scale) -> alt.X:
    return alt.X(f"{field}:Q", title=title, scale=axis_scale(domain, **scale))


def y_field(field: str, title: str, domain: tuple[float, float] | None = None, **scale) -> alt.Y:
    return alt.Y(f"{field}:Q", title=title, scale=axis_scale(domain, **scale))


def padded(values: pd.Series | np.ndarray, pad: float = 0.06) -> tuple[float, float]:
    low, high = float(np.min(values)), float(np.max(values))
    span = high - low if high > low else max(abs(high), 1.0)
    return low - pad * span, high + pad * span


def series_colour(domain: list[str], colours: list[str], legend: bool = True) -> alt.Color:
    return alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=colours),
        legend=alt.Legend(orient="bottom") if legend else None,
    )


def scatter(shown: pd.DataFrame, x_name: str, y_name: str, x_dom, y_dom, title: str) -> alt.Chart:
    size = 30 if len(shown) <= 200 else 14 if len(shown) <= 1000 else 8
    return (
        alt.Chart(shown, title=title)
        .mark_circle(color=GREY, opacity=0.55, size=size)
        .encode(
            x=x_field("x", x_name, x_dom),
            y=y_field("y", y_name, y_dom),
            tooltip=[alt.Tooltip("x:Q", title=x_name, format=NUMBER), alt.Tooltip("y:Q", title=y_name, format=NUMBER)],
        )
        .properties(width=WIDTH, height=HEIGHT)
    )


def fitted_lines(
    lines: pd.DataFrame, step: alt.Parameter, domain: list[str], colours: list[str], dashes: list
) -> alt.Chart:
    """Fitted lines: rows with step == −1 are always drawn (the optimum), the others at the current step."""
    return (
        alt.Chart(lines)
        .mark_line(strokeWidth=2.5, clip=True)
        .encode(
            x=alt.X("x:Q"),
            y=alt.Y("y:Q"),
            detail=alt.Detail("series:N"),
            color=series_colour(domain, colours),
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


def heatmap(cells: pd.DataFrame, w_dom, b_dom, title: str) -> alt.Chart:
    low, high = float(cells["shown"].min()), float(cells["shown"].max())
    scale = alt.Scale(
        type="log", domain=[low, max(high, low * 1.0001)], scheme={"name": "greys", "extent": [0.02, 0.55]}
    )
    legend = alt.Legend(orient="bottom", direction="horizontal", gradientLength=WIDTH - 120, format=".3~g")
    return (
        alt.Chart(cells, title=title)
        .mark_rect(strokeWidth=0.8)  # each cell stroked in its own colour: no hairline seams between cells
        .encode(
            x=x_field("w_lo", "slope w", w_dom),
            x2=alt.X2("w_hi:Q"),
            y=y_field("b_lo", "bias b", b_dom),
            y2=alt.Y2("b_hi:Q"),
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


def contours(surface: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(contour_segments(surface))
        .mark_rule(color="#FFFFFF", strokeWidth=1, opacity=0.8)
        .encode(
            x=alt.X("w:Q"),
            y=alt.Y("b:Q"),
            x2=alt.X2("w2:Q"),
            y2=alt.Y2("b2:Q"),
            tooltip=[alt.Tooltip("level:Q", title="MSE on this line", format=NUMBER)],
        )
    )


def path(frame: pd.DataFrame, step: alt.Parameter, colour: str) -> list[alt.Chart]:
    """A descent path over the surface up to the current step, and its current point."""
    tooltip = [
        alt.Tooltip("step:Q"),
        alt.Tooltip("w:Q", format=NUMBER),
        alt.Tooltip("b:Q", format=NUMBER),
        alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
    ]
    base = alt.Chart(frame).encode(x=alt.X("w:Q"), y=alt.Y("b:Q"), tooltip=tooltip)
    line = base.mark_line(color=colour, strokeWidth=1.8, clip=True).encode(order=alt.Order("step:Q"))
    dots = base.mark_circle(color=colour, size=14, opacity=0.8, clip=True)
    now = base.mark_point(stroke=colour, fill="white", filled=True, size=110, strokeWidth=2.5, opacity=1, clip=True)
    return [
        line.transform_filter(alt.datum.step <= step),
        dots.transform_filter(alt.datum.step <= step),
        now.transform_filter(alt.datum.step == step),
    ]


def optimum_marker(optimum: tuple[float, float], min_loss: float) -> alt.Chart:
    """The least-squares point (w*, b*) as a star, with its MSE in the tooltip."""
    (w, b), loss = optimum, min_loss
    spot = pd.DataFrame({"w": [w], "b": [b], "loss": [loss], "label": ["least squares"]})
    return (
        alt.Chart(spot)
        .mark_point(shape=STAR, size=260, filled=True, fill=BLACK, stroke="white", strokeWidth=1, opacity=1, clip=True)
        .encode(
            x=alt.X("w:Q"),
            y=alt.Y("b:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="optimum"),
                alt.Tooltip("w:Q", title="w*", format=NUMBER),
                alt.Tooltip("b:Q", title="b*", format=NUMBER),
                alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
            ],
        )
    )


FUTURE = "future"  # the description of a layer that draws the whole run ahead of the slider (lecture: hideable)


def loss_panel(
    losses: pd.DataFrame,
    step: alt.Parameter,
    domain,
    colours,
    min_loss: float,
    width: int,
    title: str,
    future: bool = True,
    height: int = 180,
):
    """Loss against step (log scale, floored above 0) with the current step marked and the least-squares MSE; the
    whole run is drawn when `future`, else only the steps up to the slider (the lecture's "hide the future path")."""
    floor = loss_floor(losses["loss"])
    losses = losses.assign(shown=losses["loss"].clip(lower=floor))
    shown_best = max(min_loss, floor)
    low, high = min(float(losses["shown"].min()), shown_best), float(losses["shown"].max())
    y = y_field("shown", "MSE (log scale)", (low / 1.3, max(high, low * 1.01) * 1.3), type="log")
    y.axis = alt.Axis(format=".3~g", labelOverlap="greedy")
    last = int(losses["step"].max())
    x = x_field("step", "step", (0, max(last, 1)))
    x.axis = alt.Axis(format="d", tickMinStep=1)
    colour = series_colour(domain, colours, legend=len(domain) > 1)
    tooltip = [
        alt.Tooltip("series:N", title="run"),
        alt.Tooltip("step:Q"),
        alt.Tooltip("loss:Q", title="MSE", format=NUMBER),
    ]
    base = alt.Chart(losses).encode(x=x, y=y, color=colour, tooltip=tooltip)
    curves = base.mark_line(strokeWidth=1.8, clip=True, description=FUTURE if future else alt.Undefined).encode(
        # a channel object, not alt.condition's dict, which encode() turns into a channel with from_dict (~6 ms)
        opacity=alt.OpacityValue(1.0, condition={"test": alt.datum.series == MINI_BATCH_LOSS, "value": 0.4})
    )
    if not future:
        curves = curves.transform_filter(alt.datum.step <= step)
    now = base.mark_point(filled=True, size=70, opacity=1).transform_filter(alt.datum.step == step)
    rule = (
        alt.Chart(losses)
        .mark_rule(color=GREY, strokeDash=[3, 3])
        .encode(x=alt.X("step:Q"))
        .transform_filter(alt.datum.step == step)
    )
    optimum = pd.DataFrame({"shown": [shown_best], "loss": [min_loss], "label": ["least-squares MSE"]})
    floor_rule = (
        alt.Chart(optimum)
        .mark_rule(color=BLACK, strokeDash=[6, 4], strokeWidth=1.2)
        .encode(
            y=alt.Y("shown:Q"),
            tooltip=[alt.Tooltip("label:N", title=""), alt.Tooltip("loss:Q", title="MSE", format=NUMBER)],
        )
    )
    return layer(curves, floor_rule, rule, now, title=title, width=width, height=height)  # kit's: alt.layer's spec


# Built once and passed to the constructors: every Altair method call (.configure_*, .resolve_*, .add_params) on a
# composite deep-copies the whole spec, which costs more than building it.
INDEPENDENT = alt.Resolve(scale=alt.ScaleResolveMap(color="independent", strokeDash="independent"))
CONFIG = alt.Config(
    view=alt.ViewConfig(stroke="#D0D5DB"),
    axis=alt.AxisConfig(labelFontSize=11, titleFontSize=12, grid=True, gridColor="#ECEFF3"),
    title=alt.TitleConfig(fontSize=13, anchor="start", fontWeight="normal"),
    legend=alt.LegendConfig(labelFontSize=12, titleFontSize=12, symbolStrokeWidth=3),
)


def row(*panels) -> Concat:
    """Panels side by side: a charts.kit.Concat, the same spec as alt.hconcat without its deep copies."""
    return hconcat(*panels, spacing=30, resolve=INDEPENDENT)


def compose(*rows, step: alt.Parameter) -> Concat:
    """Rows of panels sharing the one step parameter (declared at the top level); the same spec as alt.vconcat."""
    return with_params(vconcat(*rows, spacing=24, config=CONFIG, resolve=INDEPENDENT), step)
