"""Isolines of a gridded surface as line segments (marching squares in numpy), and colour contrast (WCAG).

Page 5's maps draw the loss as a smooth colour field with these isolines over it, instead of stair-stepped bands;
the paths get a casing in black or white, whichever contrasts their own colour, so each path reads on any colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Viridis (matplotlib's, 10 stops), light for low loss as before; and a blue–white–orange diverging map for the
# saddle. Explicit stops interpolated in RGB, so the colour at any loss is known here too (tests/test_visuals.py).
VIRIDIS = ("#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e", "#3e4989", "#482878", "#440154")
DIVERGING = ("#08519c", "#3182bd", "#9ecae1", "#f7f7f7", "#fdd0a2", "#fd8d3c", "#d94801")


def isolines(surface: pd.DataFrame, levels: Sequence[float], *, log: bool = False) -> pd.DataFrame:
    """Segments (x, y, x2, y2, level) of the isolines of `loss` on a regular grid (x, y, loss), by marching squares.

    Crossings are interpolated linearly along the grid edges (in log10 of the loss when `log`), so the lines are
    smooth at a grid's resolution. A cell with four crossings (a saddle of the grid) gets two segments.
    """
    grid = surface.pivot_table(index="y", columns="x", values="loss", aggfunc="first").sort_index().sort_index(axis=1)
    xs, ys, z = grid.columns.to_numpy(float), grid.index.to_numpy(float), grid.to_numpy(float)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log10(np.where(z > 0, z, np.nan))
    parts = []
    for level in levels:
        value = np.log10(level) if log else level
        parts.append(_segments(xs, ys, z, value).assign(level=level))
    columns = ["x", "y", "x2", "y2", "level"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def _segments(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, level: float) -> pd.DataFrame:
    """One level's segments: per cell, the crossing points on its four edges, joined in pairs."""
    z00, z10, z01, z11 = z[:-1, :-1], z[:-1, 1:], z[1:, :-1], z[1:, 1:]  # [row j (y), column i (x)]
    x0, x1 = np.meshgrid(xs[:-1], ys[:-1])[0], np.meshgrid(xs[1:], ys[:-1])[0]
    y0, y1 = np.meshgrid(xs[:-1], ys[:-1])[1], np.meshgrid(xs[:-1], ys[1:])[1]

    def crossing(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (level - a) / (b - a)
        return ((a > level) != (b > level)) & np.isfinite(a) & np.isfinite(b), t

    edges = []  # (mask, x, y) in the order bottom, right, top, left
    m, t = crossing(z00, z10)
    edges.append((m, x0 + t * (x1 - x0), y0))
    m, t = crossing(z10, z11)
    edges.append((m, x1, y0 + t * (y1 - y0)))
    m, t = crossing(z01, z11)
    edges.append((m, x0 + t * (x1 - x0), y1))
    m, t = crossing(z00, z01)
    edges.append((m, x0, y0 + t * (y1 - y0)))
    mask = np.stack([e[0] for e in edges])  # (4, rows, columns)
    px, py = np.stack([e[1] for e in edges]), np.stack([e[2] for e in edges])
    count = mask.sum(axis=0)
    order = np.argsort(~mask, axis=0, kind="stable")  # crossing edges first, in edge order
    pick = lambda k: (np.take_along_axis(px, order[k : k + 1], 0)[0], np.take_along_axis(py, order[k : k + 1], 0)[0])  # noqa: E731
    (ax, ay), (bx, by) = pick(0), pick(1)
    two = count >= 2
    rows = [np.column_stack([ax[two], ay[two], bx[two], by[two]])]
    four = count == 4
    if four.any():
        (cx, cy), (dx, dy) = pick(2), pick(3)
        rows.append(np.column_stack([cx[four], cy[four], dx[four], dy[four]]))
    return pd.DataFrame(np.vstack(rows), columns=["x", "y", "x2", "y2"])


def hex_rgb(colour: str) -> np.ndarray:
    """'#0072B2' -> [0, 114, 178] / 255."""
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (last axis r, g, b in 0…1)."""
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """WCAG contrast ratio (1 … 21) between colours."""
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def casing(colour: str) -> str:
    """Black or white, whichever contrasts `colour` more: the outline drawn under a path of that colour."""
    rgb = hex_rgb(colour)
    return "#000000" if contrast(rgb, np.zeros(3)) >= contrast(rgb, np.ones(3)) else "#FFFFFF"


def colour_at(position: np.ndarray, stops: Sequence[str]) -> np.ndarray:
    """The colour of a continuous scale over `stops` (RGB interpolation) at positions 0…1."""
    table = np.stack([hex_rgb(s) for s in stops])
    where = np.clip(np.asarray(position, dtype=float), 0, 1) * (len(stops) - 1)
    low = np.minimum(np.floor(where).astype(int), len(stops) - 2)
    t = (where - low)[..., None]
    return table[low] * (1 - t) + table[low + 1] * t
