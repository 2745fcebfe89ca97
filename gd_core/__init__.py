"""gd_core: gradient descent on torch, for teaching. No streamlit here: every function works in a notebook.

import gd_core as gd
run = gd.descend(gd.seed_problem(), lr=0.05, steps=20, start=-4)
run.frame        # one row per step: step, A, loss, grad_A

Every name below is imported on first use (PEP 562 module __getattr__): `import gd_core` costs nothing, and torch and
pandas load when a computation first needs them. The app's home page and sidebar read only gd_core.names (labels,
device choices), so a server's first visitor gets the page while torch is still being imported (issue 10).
Hand-written rather than the lazy_loader package: 30 lines, and one dependency fewer.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

# Where each public name lives: submodule -> names.
_SUBMODULES: dict[str, tuple[str, ...]] = {
    "budget": ("Budget", "BudgetError"),
    "curvature": (
        "Centring",
        "Curvature",
        "centring",
        "contraction_table",
        "curvature",
        "direction_names",
        "eigen_path",
    ),
    "data": ("DataError", "Dataset", "dataset_from_frame", "load_csv", "numeric_columns", "read_csv", "synthetic"),
    "descent": ("MAX_STEPS", "Trajectory", "descend", "sweep"),
    "device": ("ResolvedDevice", "available_devices", "resolve_device"),
    "expr": ("Expression", "ExpressionError", "parse_expression"),
    "minibatch": ("batch_membership", "batch_membership_of", "gradient_noise", "points_read", "steps_per_epoch"),
    "names": ("DEVICE_CHOICES", "OPTIMIZER_LABELS"),
    "noise": ("BatchSweep", "predicted_floor", "predicted_floor_slope", "sweep_batch_sizes"),
    "optimizers": ("FIRST_ORDER", "OPTIMIZERS", "Optimizer", "get_optimizer"),
    "problems": (
        "LinearRegression",
        "MomentProblem",
        "Problem",
        "ScalarProblem",
        "SurfaceProblem",
        "TEST_FUNCTIONS",
        "seed_problem",
        "test_function",
    ),
    "scaling": ("Scale", "Standardised", "standardise"),
    "schedules": ("SCHEDULES", "SCHEDULE_LABELS", "Schedule"),
    "stability": (
        "Quadratic",
        "REGIMES",
        "contraction",
        "critical_lr",
        "excess_loss",
        "hessian",
        "hessian_eigenvalues",
        "quadratic_fit",
        "regime",
        "regime_table",
    ),
    "surface": ("loss_surface",),
    "tables": ("derivative_check", "iteration_table"),
}
_WHERE = {name: module for module, names in _SUBMODULES.items() for name in names}
# gd_core.curvature the module and gd.curvature the function share a name: the import system binds a submodule as
# an attribute of its package after loading it, which would hide the function. The package keeps the function.
_SHADOWED = frozenset(_SUBMODULES) & frozenset(_WHERE)


def __getattr__(name: str) -> object:
    if name in _SUBMODULES and name not in _SHADOWED:  # gd.optimizers.REGISTRY: a submodule, as before
        return importlib.import_module(f"gd_core.{name}")
    module_name = _WHERE.get(name)
    if module_name is None:
        raise AttributeError(f"module 'gd_core' has no attribute {name!r}")
    module = importlib.import_module(f"gd_core.{module_name}")
    for other in _SUBMODULES[module_name]:  # every name of that submodule at once: the next lookups are plain
        globals()[other] = getattr(module, other)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | set(_SUBMODULES))


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return  # the submodule stays reachable as sys.modules["gd_core.<name>"] and by `from gd_core.x import`
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

if TYPE_CHECKING:  # what type checkers and editors see: the eager imports of before
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
    from gd_core.device import ResolvedDevice, available_devices, resolve_device
    from gd_core.expr import Expression, ExpressionError, parse_expression
    from gd_core.minibatch import batch_membership, batch_membership_of, gradient_noise, points_read, steps_per_epoch
    from gd_core.names import DEVICE_CHOICES, OPTIMIZER_LABELS
    from gd_core.noise import BatchSweep, predicted_floor, predicted_floor_slope, sweep_batch_sizes
    from gd_core.optimizers import FIRST_ORDER, OPTIMIZERS, Optimizer, get_optimizer
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
