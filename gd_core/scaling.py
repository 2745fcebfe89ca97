"""Standardised data: fit z-scores, report the line in the data's own units.

z_x = (x − x̄)/s_x, z_y = (y − ȳ)/s_y. A line z_y = w·z_x + b in z-scores is y = W·x + B in the original units with
W = w·s_y/s_x and B = ȳ + s_y·b − W·x̄. Data in large units (house prices) have a tiny critical learning rate
2/λmax; in z-scores λmax = 2·max(1, 1) at most, so one learning rate suits every data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gd_core.data import DataError, Dataset


@dataclass(frozen=True)
class Scale:
    """The means and standard deviations that turn x and y into z-scores."""

    mean_x: float
    std_x: float
    mean_y: float
    std_y: float

    def to_original(self, w: float, b: float) -> tuple[float, float]:
        """(W, B) of the line in the original units: W = w·s_y/s_x, B = ȳ + s_y·b − W·x̄."""
        slope = w * self.std_y / self.std_x
        return slope, self.mean_y + self.std_y * b - slope * self.mean_x

    def loss_to_original(self, loss: float) -> float:
        """An MSE in z-scores of y, in the original units of y²: s_y²·MSE."""
        return loss * self.std_y**2


@dataclass(frozen=True)
class Standardised:
    """A data set in z-scores and the Scale that undoes it."""

    dataset: Dataset
    scale: Scale


def standardise(data: Dataset) -> Standardised:
    """(x − x̄)/s_x and (y − ȳ)/s_y (population standard deviations); a constant y keeps s_y = 1."""
    mean_x, std_x = float(np.mean(data.x)), float(np.std(data.x))
    mean_y, std_y = float(np.mean(data.y)), float(np.std(data.y))
    if not std_x > 0:
        raise DataError("x is constant, so it cannot be standardised")
    std_y = std_y if std_y > 0 else 1.0
    scaled = Dataset((data.x - mean_x) / std_x, (data.y - mean_y) / std_y, data.x_name, data.y_name)
    return Standardised(scaled, Scale(mean_x, std_x, mean_y, std_y))
