"""The loss over a grid of parameter values, for contour plots and heatmaps."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from gd_core.budget import Budget, check_surface
from gd_core.device import resolve_device
from gd_core.problems import MomentProblem, Problem

MAX_RESOLUTION = 1000


def loss_surface(
    problem: Problem,
    ranges: Sequence[tuple[float, float]],
    resolution: int = 60,
    device="auto",
    budget: Budget | None = None,
) -> pd.DataFrame:
    """Loss on a resolution × resolution grid (or a curve for one parameter): columns are the params and `loss`.

    Evaluated as one batch. Linear regression computes its MSE from the data's moments, so a 200 × 200 grid
    costs the same for ten points as for a million. Points where the loss is not finite are left out.
    budget: the work allowed (gd_core.budget.DEFAULT if None); a grid over it raises BudgetError.
    """
    names = problem.param_names
    if len(ranges) != len(names):
        raise ValueError(f"give one (low, high) range per parameter: {', '.join(names)}")
    if not 2 <= int(resolution) <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be from 2 to {MAX_RESOLUTION}")
    check_surface(budget, cells=int(resolution) ** len(names), torch_cells=not isinstance(problem, MomentProblem))
    resolved = resolve_device(device)
    dev, dtype = resolved.device, resolved.dtype
    problem = problem.to(dev, dtype)
    axes = [torch.linspace(float(lo), float(hi), int(resolution), dtype=dtype, device=dev) for lo, hi in ranges]
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, len(names))
    with torch.no_grad():
        loss = problem.loss(grid)
    finite = torch.isfinite(loss)
    columns = {name: grid[finite, i].cpu().numpy() for i, name in enumerate(names)}
    return pd.DataFrame(columns | {"loss": loss[finite].cpu().numpy()})
