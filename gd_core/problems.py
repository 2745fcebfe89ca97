"""Loss functions to descend: the tutorial's one-weight loss, typed-in losses, MSE line fits, 2-D surfaces.

Every problem takes a tensor whose last dimension holds the parameters and returns the loss over the
leading dimensions, so one call evaluates a whole family of runs or a whole grid at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from gd_core.expr import parse_expression

Tensor = torch.Tensor


class Problem(Protocol):
    """What descent, sweeps, curvature and surfaces need of a loss: its parameter names, the loss and its
    gradient at each row of a (…, P) tensor, and a copy on a device (a no-op for losses that hold no data)."""

    param_names: tuple[str, ...]
    name: str
    latex: str

    def loss(self, params: Tensor) -> Tensor: ...

    def value_and_grad(self, params: Tensor) -> tuple[Tensor, Tensor]: ...

    def to(self, device: torch.device, dtype: torch.dtype = torch.float64) -> Problem: ...


@runtime_checkable
class MomentProblem(Protocol):
    """A loss fixed by five centred moments of its n data points (the MSE of a line): each full-batch step
    then costs O(1) in n, and minibatches are batches of its points."""

    n: int

    def moments(self, like: Tensor | None = None) -> Tensor: ...


def value_and_grad(loss: Callable[[Tensor], Tensor], params: Tensor) -> tuple[Tensor, Tensor]:
    """Loss and its gradient at each row of `params`, by autograd (rows are independent, so d(sum)/dθ works)."""
    with torch.enable_grad():
        leaf = params.detach().requires_grad_(True)
        value = loss(leaf)
        (grad,) = torch.autograd.grad(value.sum(), leaf)
    return value.detach(), grad


@dataclass(frozen=True)
class ScalarProblem:
    """A loss of one parameter, f(a), evaluated elementwise."""

    fn: Callable[[Tensor], Tensor]
    name: str
    latex: str
    param_names: tuple[str, ...] = ("a",)
    hand_derivative: Callable[[Tensor], Tensor] | None = field(default=None, compare=False)
    derivative_latex: str = ""
    text: str = ""
    minima: tuple[tuple[float, ...], ...] = ()  # known minimisers θ*, when the loss has a closed form

    def loss(self, params: Tensor) -> Tensor:
        """f(params[..., 0])."""
        return self.fn(params[..., 0])

    def value_and_grad(self, params: Tensor) -> tuple[Tensor, Tensor]:
        """f and f' at each row of params, f' by autograd."""
        return value_and_grad(self.loss, params)

    def to(self, device: torch.device, dtype: torch.dtype = torch.float64) -> ScalarProblem:
        """Itself: a formula holds no tensors, so it runs on the device of its argument."""
        return self

    @classmethod
    def from_expression(cls, text: str, var: str = "a") -> ScalarProblem:
        """A loss typed by the user, parsed against a whitelist (raises gd.ExpressionError)."""
        expression = parse_expression(text, var)
        return cls(expression, name=expression.text, latex=expression.latex, param_names=(var,), text=expression.text)


def seed_problem() -> ScalarProblem:
    """The tutorial's loss: one point (x = −3, y = 3), model y = A·x, so Loss(A) = (3 + 3A)²."""
    x, y = -3.0, 3.0
    return ScalarProblem(
        fn=lambda a: (y - a * x) ** 2,
        name="(3 + 3A)²",
        latex=r"\mathrm{Loss}(A) = (3 + 3A)^2",
        param_names=("A",),
        hand_derivative=lambda a: 18 * (a + 1),  # d/dA (3 + 3A)² = 2·(3 + 3A)·3
        derivative_latex=r"f'(A) = 2\,(3 + 3A)\cdot 3 = 18\,(A + 1)",
        text="(3+3*A)**2",
        minima=((-1.0,),),  # 3 + 3A = 0
    )


# --- Linear regression ---------------------------------------------------------------------------

MOMENTS = ("mean_x", "mean_y", "var_x", "cov_xy", "var_y")


def centred_moments(x: Tensor, y: Tensor) -> Tensor:
    """(x̄, ȳ, mean(u²), mean(uv), mean(v²)) with u = x − x̄, v = y − ȳ, over the last dimension."""
    mean_x, mean_y = x.mean(-1), y.mean(-1)
    u, v = x - mean_x.unsqueeze(-1), y - mean_y.unsqueeze(-1)
    return torch.stack([mean_x, mean_y, (u * u).mean(-1), (u * v).mean(-1), (v * v).mean(-1)], -1)


def mse_from_moments(params: Tensor, moments: Tensor) -> tuple[Tensor, Tensor]:
    """MSE of y ≈ w·x + b and its gradient from centred moments: cost independent of the number of points.

    With c = w·x̄ + b − ȳ:  MSE = w²·var_x − 2w·cov_xy + var_y + c²,
    ∂/∂w = 2(w·var_x − cov_xy) + 2c·x̄,  ∂/∂b = 2c.
    (Written out rather than autograd: it is the closed form, and several times faster per step.)
    """
    w, b = params[..., 0], params[..., 1]
    mean_x, mean_y, var_x, cov_xy, var_y = moments.unbind(-1)
    c = w * mean_x + b - mean_y
    loss = w * w * var_x - 2 * w * cov_xy + var_y + c * c
    grad = torch.stack([2 * (w * var_x - cov_xy) + 2 * c * mean_x, 2 * c], -1)
    return loss.clamp_min(0), grad


def affine_gradient(moments: Tensor) -> tuple[Tensor, Tensor]:
    """The MSE gradient is affine in θ = (w, b): ∇MSE(θ) = A·θ − c, with, from the (centred) moments,
    A = 2·[[var_x + x̄², x̄], [x̄, 1]] and c = 2·(cov_xy + x̄·ȳ, ȳ). Returns (A, c) over the leading dimensions."""
    mean_x, mean_y, var_x, cov_xy, _ = moments.unbind(-1)
    one = torch.ones_like(mean_x)
    curvature = 2 * torch.stack(
        [torch.stack([var_x + mean_x * mean_x, mean_x], -1), torch.stack([mean_x, one], -1)], -2
    )
    offset = 2 * torch.stack([cov_xy + mean_x * mean_y, mean_y], -1)
    return curvature, offset


def _as_vector(values) -> Tensor:
    """1-D float tensor; tensors keep their device and dtype, anything else becomes float64."""
    if isinstance(values, Tensor):
        return values.reshape(-1) if values.is_floating_point() else values.reshape(-1).double()
    return torch.from_numpy(np.array(values, dtype=np.float64, copy=True)).reshape(-1)


class LinearRegression:
    """Mean squared error of the line y ≈ w·x + b over data points (x, y)."""

    param_names: tuple[str, ...] = ("w", "b")
    name = "linear regression"
    latex = r"\mathrm{MSE}(w, b) = \frac{1}{n}\sum_{i=1}^{n} (w x_i + b - y_i)^2"

    def __init__(self, x, y):
        self.x = _as_vector(x)
        self.y = _as_vector(y)
        if self.x.numel() != self.y.numel():
            raise ValueError(f"x has {self.x.numel()} values but y has {self.y.numel()}")
        if self.x.numel() < 1:
            raise ValueError("linear regression needs at least one point")

    @property
    def n(self) -> int:
        """Number of data points."""
        return self.x.numel()

    def to(self, device: torch.device, dtype: torch.dtype = torch.float64) -> LinearRegression:
        """The same problem with its data on `device`."""
        if self.x.device == device and self.x.dtype == dtype:
            return self
        return LinearRegression(self.x.to(device, dtype), self.y.to(device, dtype))

    def moments(self, like: Tensor | None = None) -> Tensor:
        """Centred moments of all the data, on the device and dtype of `like`."""
        x, y = (self.x, self.y) if like is None else (self.x.to(like), self.y.to(like))
        return centred_moments(x, y)

    def loss(self, params: Tensor) -> Tensor:
        """MSE at each row of params, from the data's sufficient statistics."""
        return mse_from_moments(params, self.moments(params))[0]

    def value_and_grad(self, params: Tensor) -> tuple[Tensor, Tensor]:
        """MSE and its gradient (closed form, see mse_from_moments)."""
        return mse_from_moments(params, self.moments(params))

    def direct_loss(self, params: Tensor) -> Tensor:
        """MSE by summing over the points: the definition, O(n) per evaluation (for checks)."""
        x, y = self.x.to(params), self.y.to(params)
        residual = params[..., 0:1] * x + params[..., 1:2] - y
        return (residual * residual).mean(-1)

    @property
    def minima(self) -> tuple[tuple[float, float], ...]:
        """The one minimiser, the least-squares line."""
        return (self.least_squares(),)

    def least_squares(self) -> tuple[float, float]:
        """The optimum (w*, b*) in closed form: w* = cov_xy / var_x, b* = ȳ − w*·x̄."""
        mean_x, mean_y, var_x, cov_xy, _ = self.moments().tolist()
        w = cov_xy / var_x if var_x > 0 else 0.0
        return w, mean_y - w * mean_x


# --- 2-D test surfaces ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceProblem:
    """A loss of two parameters (x, y) for comparing optimizers.

    gradient: ∇f in closed form, (x, y) -> (∂f/∂x, ∂f/∂y), or None for autograd; curvature: ∇²f in closed form,
    (x, y) -> (∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²), or None for autograd (gd_core.optimizers.batched_hessian). Written out
    for the four test surfaces because the optimizers page runs thousands of steps a rerun: autograd's forward and
    backward cost ~90 µs a step on a 2-core CPU, the formula ~15 µs, and a Hessian by double backward ~0.4 ms
    against ~30 µs (bench/step_rates.py); tests check each formula against autograd.
    """

    fn: Callable[[Tensor, Tensor], Tensor]
    name: str
    latex: str
    minima: tuple[tuple[float, float], ...]
    default_start: tuple[float, float]
    view: tuple[tuple[float, float], tuple[float, float]]
    param_names: tuple[str, ...] = ("x", "y")
    gradient: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None
    curvature: Callable[[Tensor, Tensor], tuple[Tensor, Tensor, Tensor]] | None = None

    def loss(self, params: Tensor) -> Tensor:
        """f(x, y) at each row of params."""
        return self.fn(params[..., 0], params[..., 1])

    def value_and_grad(self, params: Tensor) -> tuple[Tensor, Tensor]:
        """f and ∇f at each row of params: ∇f from `gradient`, else by autograd."""
        if self.gradient is None:
            return value_and_grad(self.loss, params)
        x, y = params[..., 0], params[..., 1]
        return self.fn(x, y), torch.stack(self.gradient(x, y), -1)

    def hessian(self, params: Tensor) -> Tensor | None:
        """∇²f at each row of params, (…, 2, 2), from `curvature`; None where it is not written out."""
        if self.curvature is None:
            return None
        x, y = params[..., 0], params[..., 1]
        xx, xy, yy = (torch.as_tensor(v, dtype=params.dtype, device=params.device).expand_as(x)
                      for v in self.curvature(x, y))  # fmt: skip
        return torch.stack([torch.stack([xx, xy], -1), torch.stack([xy, yy], -1)], -2)

    def to(self, device: torch.device, dtype: torch.dtype = torch.float64) -> SurfaceProblem:
        """Itself: a formula holds no tensors, so it runs on the device of its argument."""
        return self


TEST_FUNCTIONS: dict[str, SurfaceProblem] = {
    "ill_conditioned": SurfaceProblem(
        lambda x, y: 0.5 * (x * x + 25 * y * y),
        "ill_conditioned",
        r"f(x, y) = \tfrac12\,(x^2 + 25\,y^2)",
        minima=((0.0, 0.0),),
        default_start=(-4.5, 1.5),
        view=((-5.0, 5.0), (-2.0, 2.0)),
        gradient=lambda x, y: (x, 25 * y),
        curvature=lambda x, y: (1.0, 0.0, 25.0),
    ),
    "rosenbrock": SurfaceProblem(
        lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        "rosenbrock",
        r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
        minima=((1.0, 1.0),),
        default_start=(-1.5, 2.0),
        view=((-2.0, 2.0), (-1.0, 3.0)),
        gradient=lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
        curvature=lambda x, y: (2 - 400 * (y - x * x) + 800 * x * x, -400 * x, 200.0),
    ),
    "himmelblau": SurfaceProblem(
        lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
        "himmelblau",
        r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        minima=((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        default_start=(0.0, 0.0),
        view=((-5.0, 5.0), (-5.0, 5.0)),
        gradient=lambda x, y: (
            4 * x * (x * x + y - 11) + 2 * (x + y * y - 7),
            2 * (x * x + y - 11) + 4 * y * (x + y * y - 7),
        ),
        curvature=lambda x, y: (4 * (x * x + y - 11) + 8 * x * x + 2, 4 * (x + y), 4 * (x + y * y - 7) + 8 * y * y + 2),
    ),
    "saddle": SurfaceProblem(
        lambda x, y: x * x - y * y,
        "saddle",
        r"f(x, y) = x^2 - y^2",
        minima=(),
        default_start=(-2.0, 0.01),
        view=((-2.5, 2.5), (-2.5, 2.5)),
        gradient=lambda x, y: (2 * x, -2 * y),
        curvature=lambda x, y: (2.0, 0.0, -2.0),
    ),
}


def test_function(name: str) -> SurfaceProblem:
    """One of the 2-D surfaces: 'rosenbrock', 'himmelblau', 'saddle', 'ill_conditioned'."""
    try:
        return TEST_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown test function {name!r}; choose one of {', '.join(TEST_FUNCTIONS)}") from None


test_function.__test__ = False  # not a pytest test, despite the name
