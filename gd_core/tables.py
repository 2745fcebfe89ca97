"""Tables derived from a trajectory: the tutorial's iteration table and the derivative checked by hand."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch


def iteration_table(frame: pd.DataFrame, param: str = "A") -> pd.DataFrame:
    """The tutorial's spreadsheet, one row per step: step, lr, A, f'(A), lr·f'(A), new A = A − lr·f'(A), loss."""
    grad = frame[f"grad_{param}"].to_numpy(dtype=float)
    lr = frame["lr_step" if "lr_step" in frame else "lr"].to_numpy(dtype=float)  # a schedule's rate of each step
    value = frame[param].to_numpy(dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = lr * grad
        new = value - scaled
    return pd.DataFrame(
        {
            "step": frame["step"].to_numpy(dtype=int),
            param: value,
            f"f'({param})": grad,
            f"lr·f'({param})": scaled,
            f"new {param}": new,
            "loss": frame["loss"].to_numpy(dtype=float),
        }
    )


def derivative_check(
    frame: pd.DataFrame, hand_derivative: Callable[[torch.Tensor], torch.Tensor], param: str = "A"
) -> pd.DataFrame:
    """f'(A) by hand (the problem's formula) against torch autograd (the trajectory's grad), and their difference."""
    value = torch.tensor(frame[param].to_numpy(dtype=np.float64, copy=True))
    hand = hand_derivative(value).detach().cpu().numpy()
    autograd = frame[f"grad_{param}"].to_numpy(dtype=float)
    steps = frame["step"].to_numpy(dtype=int)
    return pd.DataFrame({"step": steps, param: value.numpy(), "by hand": hand, "by torch autograd": autograd}).assign(
        difference=lambda d: d["by torch autograd"] - d["by hand"]
    )
