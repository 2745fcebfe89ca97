"""Fitting a line's chart: the data with the line at the current step, the (w, b) path over the MSE surface, and
the loss per step, all on one step slider."""

from __future__ import annotations

import pandas as pd

from charts import line_fit as lf
from charts.kit import BLACK, VERMILION, finite_rows, layer, step_slider, thin, thinning_stride

DESCENT, LEAST_SQUARES = "gradient descent", "least squares"


def fit_chart(
    data: pd.DataFrame,
    trajectory: pd.DataFrame,
    surface: pd.DataFrame,
    optimum: tuple[float, float],
    min_loss: float,
    x_name: str = "x",
    y_name: str = "y",
    future: bool = True,
) -> lf.Concat:
    """Page 2: the data with the line at the current step, the path on the MSE surface, and the loss per step (the
    whole run's loss unless `future` is off)."""
    frame = finite_rows(trajectory[["step", "w", "b", "loss"]])
    last = int(frame["step"].max())
    stride = thinning_stride(last)
    shown_steps = thin(frame, stride)
    step = step_slider(last, stride=stride)

    shown = lf.display_sample(data[["x", "y"]])
    x_dom, y_dom = lf.padded(data["x"], 0.04), lf.padded(data["y"])
    w_star, b_star = optimum
    lines = pd.concat(
        [
            shown_steps.assign(series=DESCENT),
            pd.DataFrame({"series": [LEAST_SQUARES], "step": [-1], "w": [w_star], "b": [b_star]}),
        ],
        ignore_index=True,
    )
    of = f" ({len(shown):,} of {len(data):,} points shown)" if len(shown) < len(data) else ""
    scatter = layer(  # charts.kit's: the same spec as alt.layer, without its copies
        lf.scatter(shown, x_name, y_name, x_dom, y_dom, f"The data and the line at the current step{of}"),
        lf.fitted_lines(
            lf.line_endpoints(lines, x_dom), step, [DESCENT, LEAST_SQUARES], [VERMILION, BLACK], [[1, 0], [6, 4]]
        ),
    )
    cells = lf.heatmap_cells(surface)
    w_dom = (float(cells["w_lo"].min()), float(cells["w_hi"].max()))
    b_dom = (float(cells["b_lo"].min()), float(cells["b_hi"].max()))
    landscape = layer(
        lf.heatmap(cells, w_dom, b_dom, "The path of (w, b) over the MSE surface (★ = least squares)"),
        lf.contours(surface),
        *lf.path(shown_steps, step, VERMILION),
        lf.optimum_marker(optimum, min_loss),
    )
    losses = lf.loss_panel(
        shown_steps.assign(series=DESCENT),
        step,
        [DESCENT],
        [VERMILION],
        min_loss,
        2 * lf.WIDTH + 85,
        "Loss per step",
        future=future,
    )
    return lf.compose(lf.row(scatter, landscape), losses, step=step)
