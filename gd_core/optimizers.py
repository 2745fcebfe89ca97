"""The optimizers, one record each: name, hyper-parameters, update rule as LaTeX, and how to build it.

In the spirit of optax's GradientTransformation, an optimizer is data plus a pure update: `update_rule(theta, lr)`
returns a function (θ, ∇f(θ)) -> next θ for every run at once. Plain descent is written out, θ ← θ − lr·∇f(θ),
because that update is the lesson; the others are torch.optim's, built with the hyper-parameters below, so a
new optimizer is one more record in REGISTRY.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch

Tensor = torch.Tensor
UpdateRule = Callable[[Tensor, Tensor], Tensor]  # (θ (runs, P), ∇f(θ) (runs, P)) -> next θ (runs, P)

BETA = 0.9  # momentum's β, also Adam's β₁: written once


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: an id for code and links, a label for people, its update rule, and its torch.optim class."""

    id: str
    label: str
    update_latex: str  # the rule as torch.optim computes it, g = ∇f(θ), η = lr
    torch_class: type[torch.optim.Optimizer] | None = None  # None: plain descent, written out
    hyper: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))  # torch.optim keyword arguments

    def update_rule(self, theta: Tensor, lr: Tensor) -> UpdateRule:
        """(θ, ∇f(θ)) -> next θ for every run at once; `lr` is (runs, 1), one learning rate per run."""
        if self.torch_class is None:
            return lambda theta, grad: theta - lr * grad  # θ ← θ − lr·∇f(θ), the lesson's update
        # torch.optim holds one learning rate per parameter group, hence one leaf per run; the gradient
        # comes from the problem (closed form or autograd), as for plain descent.
        leaves = [row.clone().requires_grad_(True) for row in theta]
        groups = [{"params": [leaf], "lr": float(rate)} for leaf, rate in zip(leaves, lr.reshape(-1), strict=True)]
        optimizer = self.torch_class(groups, **self.hyper)

        def step(theta: Tensor, grad: Tensor) -> Tensor:
            for leaf, row_grad in zip(leaves, grad, strict=True):
                leaf.grad = row_grad.clone()
            optimizer.step()
            return torch.stack([leaf.detach() for leaf in leaves])

        return step


REGISTRY: tuple[Optimizer, ...] = (
    Optimizer("gd", "gradient descent", r"\theta \leftarrow \theta - \eta\, g"),
    Optimizer(
        "momentum",
        f"momentum (β = {BETA:g})",
        rf"v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \eta\, v \qquad (\beta = {BETA:g},\ v_0 = 0)",
        torch.optim.SGD,
        MappingProxyType({"momentum": BETA}),
    ),
    Optimizer(
        "nesterov",
        f"Nesterov (β = {BETA:g})",
        rf"v \leftarrow \beta v + g, \qquad \theta \leftarrow \theta - \eta\,(g + \beta v) \qquad (\beta = {BETA:g})",
        torch.optim.SGD,
        MappingProxyType({"momentum": BETA, "nesterov": True}),
    ),
    Optimizer(
        "rmsprop",
        "RMSProp",
        r"s \leftarrow \alpha s + (1-\alpha)\, g^2, \qquad \theta \leftarrow \theta - \eta\,"
        r"\frac{g}{\sqrt{s} + \varepsilon} \qquad (\alpha = 0.99,\ \varepsilon = 10^{-8})",
        torch.optim.RMSprop,
        MappingProxyType({"alpha": 0.99, "eps": 1e-8}),
    ),
    Optimizer(
        "adam",
        "Adam",
        r"\begin{gathered} m \leftarrow \beta_1 m + (1-\beta_1)\, g, \qquad "
        r"s \leftarrow \beta_2 s + (1-\beta_2)\, g^2"
        r"\\ \theta \leftarrow \theta - \eta\, \frac{m/(1-\beta_1^k)}{\sqrt{s/(1-\beta_2^k)} + \varepsilon}"
        rf"\qquad (\beta_1 = {BETA:g},\ \beta_2 = 0.999,\ \varepsilon = 10^{{-8}}) \end{{gathered}}",
        torch.optim.Adam,
        MappingProxyType({"betas": (BETA, 0.999), "eps": 1e-8}),
    ),
)
BY_ID: Mapping[str, Optimizer] = MappingProxyType({optimizer.id: optimizer for optimizer in REGISTRY})
OPTIMIZERS: tuple[str, ...] = tuple(BY_ID)  # the ids, in the order the lessons show them
OPTIMIZER_LABELS: Mapping[str, str] = MappingProxyType({o.id: o.label for o in REGISTRY})


def get_optimizer(optimizer_id: str) -> Optimizer:
    """The record for an id ('gd', 'momentum', 'nesterov', 'rmsprop', 'adam'); ValueError for any other."""
    try:
        return BY_ID[optimizer_id]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {optimizer_id!r}; choose one of {', '.join(OPTIMIZERS)}") from None
