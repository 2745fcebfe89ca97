"""gd_core: gradient descent on torch, for teaching. No streamlit here: every function works in a notebook.

import gd_core as gd
run = gd.descend(gd.seed_problem(), lr=0.05, steps=20, start=-4)
run.frame        # one row per step: step, A, loss, grad_A
"""

from gd_core.budget import Budget, BudgetError
from gd_core.curvature import (
    Centring,
    Curvature,
    centring,
    contraction_table,
    curvature,
    direction_names,
    eigen_path,
)
from gd_core.data import DataError, Dataset, dataset_from_frame, load_csv, numeric_columns, read_csv, synthetic
from gd_core.descent import MAX_STEPS, Trajectory, descend, sweep
from gd_core.device import DEVICE_CHOICES, ResolvedDevice, available_devices, resolve_device
from gd_core.expr import Expression, ExpressionError, parse_expression
from gd_core.minibatch import batch_membership, batch_membership_of, gradient_noise, points_read, steps_per_epoch
from gd_core.noise import BatchSweep, predicted_floor, predicted_floor_slope, sweep_batch_sizes
from gd_core.optimizers import FIRST_ORDER, OPTIMIZER_LABELS, OPTIMIZERS, Optimizer, get_optimizer
from gd_core.problems import (
    TEST_FUNCTIONS,
    LinearRegression,
    MomentProblem,
    Problem,
    ScalarProblem,
    SurfaceProblem,
    seed_problem,
    test_function,
)
from gd_core.scaling import Scale, Standardised, standardise
from gd_core.schedules import SCHEDULE_LABELS, SCHEDULES, Schedule
from gd_core.stability import (
    REGIMES,
    Quadratic,
    contraction,
    critical_lr,
    excess_loss,
    hessian,
    hessian_eigenvalues,
    quadratic_fit,
    regime,
    regime_table,
)
from gd_core.surface import loss_surface
from gd_core.tables import derivative_check, iteration_table

__all__ = [
    "DEVICE_CHOICES",
    "FIRST_ORDER",
    "MAX_STEPS",
    "OPTIMIZERS",
    "OPTIMIZER_LABELS",
    "REGIMES",
    "SCHEDULES",
    "SCHEDULE_LABELS",
    "TEST_FUNCTIONS",
    "BatchSweep",
    "Budget",
    "BudgetError",
    "Centring",
    "Curvature",
    "DataError",
    "Dataset",
    "Expression",
    "ExpressionError",
    "LinearRegression",
    "MomentProblem",
    "Optimizer",
    "Problem",
    "Quadratic",
    "ResolvedDevice",
    "ScalarProblem",
    "Scale",
    "Schedule",
    "Standardised",
    "SurfaceProblem",
    "Trajectory",
    "available_devices",
    "batch_membership",
    "batch_membership_of",
    "centring",
    "contraction",
    "contraction_table",
    "critical_lr",
    "curvature",
    "dataset_from_frame",
    "derivative_check",
    "descend",
    "direction_names",
    "eigen_path",
    "excess_loss",
    "get_optimizer",
    "gradient_noise",
    "hessian",
    "hessian_eigenvalues",
    "iteration_table",
    "load_csv",
    "loss_surface",
    "numeric_columns",
    "parse_expression",
    "points_read",
    "predicted_floor",
    "predicted_floor_slope",
    "quadratic_fit",
    "read_csv",
    "regime",
    "regime_table",
    "resolve_device",
    "seed_problem",
    "standardise",
    "steps_per_epoch",
    "sweep",
    "sweep_batch_sizes",
    "synthetic",
    "test_function",
]
