"""Built-in scenes a lecturer opens in one click: a page and the URL settings that set it up."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scene:
    """One ready-made setting of a lesson page, following the tutorial."""

    title: str
    page: str
    says: str
    query: dict[str, str | list[str]] = field(default_factory=dict)


# URL values are what the widgets show (select sliders and selectboxes are bound by their labels).
SCENES = [
    Scene("A small learning rate crawls", "lessons/one_weight.py", "lr = 0.005: 100 small steps, still not at −1.",
          {"w1_lr": "0.005", "w1_steps": "100", "step": "0"}),
    Scene("1/18 lands in one step", "lessons/one_weight.py", "lr = 1/18 = 1/f″: one step to A = −1 exactly.",
          {"w1_lr": "1/18 ≈ 0.0556", "w1_steps": "5", "step": "0"}),
    Scene("1/9 oscillates forever", "lessons/one_weight.py", "lr = 2/f″: A jumps between −4 and 2 for ever.",
          {"w1_lr": "1/9 ≈ 0.111", "w1_steps": "20", "step": "0"}),
    Scene("0.12 diverges", "lessons/one_weight.py", "Just above 1/9: each step overshoots further.",
          {"w1_lr": "0.12", "w1_steps": "100", "step": "0"}),
    Scene("A line fits itself", "lessons/fitting_a_line.py", "Slope and bias walk down the MSE bowl.",
          {"line_lr": "0.1", "line_steps": "60", "step": "0"}),
    Scene("Minibatch noise", "lessons/minibatches.py", "Batches of 2 points: a jittery path around ★.",
          {"mini_batch": "2", "mini_epochs": "3", "step": "0"}),
    Scene("Momentum on a ravine", "lessons/optimizers.py", "Plain descent zig-zags; momentum rolls through.",
          {"w5_surface": "Ill-conditioned bowl", "w5_optimizers": ["gradient descent", "momentum (β = 0.9)"],
           "step": "0"}),
]  # fmt: skip
