"""gd_core: gradient descent on torch, for teaching. No streamlit here: every function works in a notebook.

import gd_core as gd
run = gd.descend(gd.seed_problem(), lr=0.05, steps=20, start=-4)
run.frame        # one row per step: step, A, loss, grad_A
"""

from gd_core.data import DataError, Dataset, dataset_from_frame, load_csv, numeric_columns, read_csv, synthetic
from gd_core.descent import MAX_STEPS, OPTIMIZER_LABELS, OPTIMIZERS, Trajectory, descend, sweep
from gd_core.device import DEVICE_CHOICES, ResolvedDevice, available_devices, resolve_device
from gd_core.expr import Expression, ExpressionError, parse_expression
from gd_core.minibatch import batch_membership, steps_per_epoch
from gd_core.problems import (
    TEST_FUNCTIONS,
    LinearRegression,
    ScalarProblem,
    SurfaceProblem,
    seed_problem,
    test_function,
)
from gd_core.stability import critical_lr, hessian, hessian_eigenvalues
from gd_core.surface import loss_surface

__all__ = [
    "DEVICE_CHOICES",
    "MAX_STEPS",
    "OPTIMIZERS",
    "OPTIMIZER_LABELS",
    "TEST_FUNCTIONS",
    "DataError",
    "Dataset",
    "Expression",
    "ExpressionError",
    "LinearRegression",
    "ResolvedDevice",
    "ScalarProblem",
    "SurfaceProblem",
    "Trajectory",
    "available_devices",
    "batch_membership",
    "critical_lr",
    "dataset_from_frame",
    "descend",
    "hessian",
    "hessian_eigenvalues",
    "load_csv",
    "loss_surface",
    "numeric_columns",
    "parse_expression",
    "read_csv",
    "resolve_device",
    "seed_problem",
    "steps_per_epoch",
    "sweep",
    "synthetic",
    "test_function",
]
