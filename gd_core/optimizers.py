"""The optimizers, one record each: name, hyper-parameters, update rule as LaTeX, and how to build it.

In the spirit of optax's GradientTransformation, an optimizer is data plus a pure update: `update_rule(theta, lr)`
returns a function (θ, ∇f(θ)) -> next θ for every run at once. Plain descent is written out, θ ← θ − lr·∇f(θ),
because that update is the lesson; the others are torch.optim's, built with the hyper-parameters below, so a
new optimizer is one more record in REGISTRY. Newton's method is the one record that needs more than the
gradient: its `hessian_step` gets the problem too (update_rule's optional `problem`).

A learning-rate schedule enters as `factors`: the update leaving step k uses lr·factors[k] (gd_core.schedules;
torch.optim records step a torch.optim.lr_scheduler.LambdaLR over the same factors after each update).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import torch

from gd_core.names import BETA, OPTIMIZER_LABELS
from gd_core.problems import MomentProblem, mse_from_moments

Tensor = torch.Tensor
UpdateRule = Callable[[Tensor, Tensor], Tensor]  # (θ (runs, P), ∇f(θ) (runs, P)) -> next θ (runs, P)
HessianStep = Callable[[object, Tensor, Tensor, Tensor], Tensor]  # (problem, θ, ∇f(θ), lr (runs, 1)) -> next θ


def batched_hessian(loss: Callable[[Tensor], Tensor], theta: Tensor) -> Tensor:
    """∇²f at each row of θ (runs, P) -> (runs, P, P): rows are independent, so ∂/∂θ of Σ_runs ∂f/∂θ_j is row j.

    Double backward (P + 1 autograd passes), not torch.func.vmap(torch.func.hessian): the same matrices (tested),
    but measured 0.4–1.6 ms a step against 6–10 ms on 2 CPU cores, which bounds a 5,000-step Newton run.
    """
    with torch.enable_grad():
        leaf = theta.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(leaf).sum(), leaf, create_graph=True)
        rows = []
        for j in range(theta.shape[-1]):
            if grad.requires_grad:
                (row,) = torch.autograd.grad(grad[:, j].sum(), leaf, retain_graph=True, allow_unused=True)
            else:  # the gradient does not depend on θ (a linear loss): H = 0
                row = None
            rows.append(torch.zeros_like(theta) if row is None else row)
    return torch.stack(rows, -2).detach()


def newton_step(problem, theta: Tensor, grad: Tensor, lr: Tensor) -> Tensor:
    """Damped Newton, θ ← θ − lr·H⁺∇f(θ), H = ∇²f(θ) per run (batched_hessian); lr = 1 is pure Newton.

    H comes from the problem's `hessian` where it has one (the test surfaces' formulas), else from autograd.
    H⁺ is the pseudo-inverse (torch.linalg.pinv): a singular Hessian steps only within its range, an indefinite
    one steps to the critical point of the local quadratic (a saddle's Newton step lands on the saddle), and a
    non-finite Hessian gives a non-finite θ, which descent records as divergence instead of raising.
    """
    written = getattr(problem, "hessian", None)
    curvature = written(theta) if written is not None else None  # a test surface's formula (gd_core.problems)
    if curvature is None:
        loss = problem.loss
        if isinstance(problem, MomentProblem):  # data problems: the moments once, not O(n) per Hessian
            moments = problem.moments(theta)
            loss = lambda params: mse_from_moments(params, moments)[0]  # noqa: E731
        curvature = batched_hessian(loss, theta)  # (runs, P, P)
    finite = torch.isfinite(curvature).all(-1).all(-1, keepdim=True)  # (runs, 1)
    inverse = torch.linalg.pinv(torch.where(finite.unsqueeze(-1), curvature, 0.0), hermitian=True)  # (runs, P, P)
    direction = (inverse @ grad.unsqueeze(-1)).squeeze(-1)  # (runs, P)
    return torch.where(finite, theta - lr * direction, math.nan)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: an id for code and links, a label for people, its update rule, and its torch.optim class."""

    id: str
    label: str
    update_latex: str  # the rule as torch.optim computes it, g = ∇f(θ), η = lr
    torch_class: type[torch.optim.Optimizer] | None = None  # None: plain descent, written out
    hyper: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))  # torch.optim keyword arguments
    hessian_step: HessianStep | None = None  # set for second-order methods: the update needs the problem
    default_lr: float = 0.01  # where a page starts it when the page has no better default of its own

    @property
    def plain(self) -> bool:
        """True for plain gradient descent, θ ← θ − lr·∇f(θ) (the update sweep fuses for linear regression)."""
        return self.torch_class is None and self.hessian_step is None

    def update_rule(
        self, theta: Tensor, lr: Tensor, problem: object = None, factors: Sequence[float] | None = None
    ) -> UpdateRule:
        """(θ, ∇f(θ)) -> next θ for every run at once; `lr` is (runs, 1), one learning rate per run.

        problem: the loss, needed by second-order records (hessian_step). factors: the schedule, the k-th
        call (k = 0, 1, …) uses lr·factors[k]; None keeps lr constant.
        """
        count = itertools.count()

        def rate() -> Tensor:
            return lr if factors is None else lr * factors[next(count)]

        if self.hessian_step is not None:
            if problem is None:
                raise ValueError(f"{self.label} needs the problem (its Hessian) to take a step")
            return lambda theta, grad: self.hessian_step(problem, theta, grad, rate())
        if self.torch_class is None:
            return lambda theta, grad: theta - rate() * grad  # θ ← θ − lr·∇f(θ), the lesson's update
        # Every run steps through one torch.optim optimizer on one (runs, P) leaf, though torch.optim holds one
        # rate per parameter group: these updates are lr × a direction that depends on the gradients alone (no
        # weight decay), so the optimizer steps a shadow leaf at lr = 1 (times the schedule's factor, from its
        # LambdaLR) and each run moves by its own lr times that step. One group instead of one per run: an Adam
        # sweep of 12 rates ran 4.5× faster (bench/README.md, "Page 5's best-lr race under 1 CPU-s");
        # tests/test_descent.py checks every optimizer against a hand-driven torch.optim loop.
        shadow = torch.zeros_like(theta, requires_grad=True)
        optimizer = self.torch_class([shadow], lr=1.0, **self.hyper)
        scheduler = None
        if factors is not None:  # torch's scheduler scales the group's initial lr (1) by factors[k] at step k
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: float(factors[k]))

        def step(theta: Tensor, grad: Tensor) -> Tensor:
            with torch.no_grad():
                shadow.zero_()  # the step is then exactly what the optimizer adds: −factor·direction
            shadow.grad = grad
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            return theta + lr * shadow.detach()

        return step


REGISTRY: tuple[Optimizer, ...] = (
    Optimizer("gd", OPTIMIZER_LABELS["gd"], r"\theta \leftarrow \theta - \eta\, g"),
    Optimizer(
        "momentum",
        OPTIMIZER_LABELS["momentum"],
        rf"v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \eta\, v \qquad (\beta = {BETA:g},\ v_0 = 0)",
        torch.optim.SGD,
        MappingProxyType({"momentum": BETA}),
    ),
    Optimizer(
        "nesterov",
        OPTIMIZER_LABELS["nesterov"],
        rf"v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \eta\,(g + \beta v) \qquad (\beta = {BETA:g})",
        torch.optim.SGD,
        MappingProxyType({"momentum": BETA, "nesterov": True}),
    ),
    Optimizer(
        "rmsprop",
        OPTIMIZER_LABELS["rmsprop"],
        r"s \leftarrow \alpha s + (1-\alpha)\, g^2, \qquad \theta \leftarrow \theta - \eta\,"
        r"\frac{g}{\sqrt{s} + \varepsilon} \qquad (\alpha = 0.99,\ \varepsilon = 10^{-8})",
        torch.optim.RMSprop,
        MappingProxyType({"alpha": 0.99, "eps": 1e-8}),
    ),
    Optimizer(
        "adam",
        OPTIMIZER_LABELS["adam"],
        r"\begin{gathered} m \leftarrow \beta_1 m + (1-\beta_1)\, g, \qquad "
        r"s \leftarrow \beta_2 s + (1-\beta_2)\, g^2"
        r"\\ \theta \leftarrow \theta - \eta\, \frac{m/(1-\beta_1^k)}{\sqrt{s/(1-\beta_2^k)} + \varepsilon}"
        rf"\qquad (\beta_1 = {BETA:g},\ \beta_2 = 0.999,\ \varepsilon = 10^{{-8}}) \end{{gathered}}",
        torch.optim.Adam,
        MappingProxyType({"betas": (BETA, 0.999), "eps": 1e-8}),
    ),
    Optimizer(
        "newton",
        OPTIMIZER_LABELS["newton"],
        r"\theta \leftarrow \theta - \eta\, H^{+} g \qquad (H = \nabla^2 f(\theta),\ H^{+} \text{ its pseudo-inverse;}"
        r"\ \eta = 1 \text{ is pure Newton})",
        hessian_step=newton_step,
    ),
)
BY_ID: Mapping[str, Optimizer] = MappingProxyType({optimizer.id: optimizer for optimizer in REGISTRY})
OPTIMIZERS: tuple[str, ...] = tuple(BY_ID)
FIRST_ORDER: tuple[str, ...] = tuple(o.id for o in REGISTRY if o.hessian_step is None)  # the gradient only
assert {o.id: o.label for o in REGISTRY} == OPTIMIZER_LABELS, "gd_core.names.OPTIMIZER_LABELS names every record"


def get_optimizer(optimizer_id: str) -> Optimizer:
    """The record for an id ('gd', 'momentum', 'nesterov', 'rmsprop', 'adam'); ValueError for any other."""
    try:
        return BY_ID[optimizer_id]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {optimizer_id!r}; choose one of {', '.join(OPTIMIZERS)}") from None
