"""Built-in scenes a lecturer opens in one click: a lesson and the settings that set it up.

A scene stores ids and numbers (the optimizer "momentum", the learning rate 1/18), never the labels the widgets
show; `Scene.query()` writes them the way the widgets spell them in a link, so renaming a label cannot break a scene.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import gd_core as gd
from lessons import lesson
from lessons.optimizers.labels import SURFACE_LABELS  # not .controls: the home page needs no pandas or torch
from ui.numbers import lr_label

# How a control's value is written in a link (select sliders, selectboxes and multiselects by their labels).
URL_SPELLING: dict[tuple[str, str], Callable[[object], str | list[str]]] = {
    ("one-weight", "lr"): lr_label,
    ("optimizers", "surface"): SURFACE_LABELS.__getitem__,
    ("optimizers", "optimizers"): lambda ids: [gd.OPTIMIZER_LABELS[i] for i in ids],
}


@dataclass(frozen=True)
class Scene:
    """One ready-made setting of a lesson page, following the tutorial."""

    title: str
    lesson: str  # the lesson's slug
    says: str
    settings: Mapping[str, object] = field(default_factory=dict)  # control name -> value

    @property
    def page(self) -> str:
        """The lesson's page script."""
        return lesson(self.lesson).page

    def query(self) -> dict[str, str | list[str]]:
        """The link's query: each setting as its widget spells it, and the chart at step 0."""
        keys = lesson(self.lesson)
        query: dict[str, str | list[str]] = {}
        for name, value in self.settings.items():
            spell = URL_SPELLING.get((self.lesson, name), lambda v: f"{v:g}" if isinstance(v, float) else str(v))
            query[keys.control(name)] = spell(value)
        return query | {"step": "0"}


SCENES = (
    Scene("A small learning rate crawls", "one-weight", "lr = 0.0003: after 100 steps A is still less than halfway "
          "to −1.", {"lr": 0.0003, "steps": 100}),
    Scene("1/18 lands in one step", "one-weight", "lr = 1/18 = 1/f″: one step to A = −1 exactly.",
          {"lr": 1 / 18, "steps": 5}),
    Scene("1/9 oscillates forever", "one-weight", "lr = 2/f″: A jumps between −4 and 2 for ever.",
          {"lr": 1 / 9, "steps": 20}),
    Scene("0.12 diverges", "one-weight", "Just above 1/9: each step overshoots further, until the loss explodes.",
          {"lr": 0.12, "steps": 100}),
    Scene("A line fits itself", "fitting-a-line", "lr = 0.01: slope and bias walk down the MSE bowl for 100 steps.",
          {"lr": 0.01, "steps": 100}),
    Scene("Minibatch noise", "minibatches", "Batches of 2 points: a jittery path around ★.",
          {"batch": 2, "epochs": 3}),
    Scene("Momentum on a ravine", "optimizers", "Both at lr = 0.01: plain descent crawls down the valley, momentum "
          "builds up speed and reaches the bottom far sooner.",
          {"surface": "ill_conditioned", "optimizers": ("gd", "momentum"), "lr_ill_conditioned_gd": 0.01,
           "lr_ill_conditioned_momentum": 0.01}),
)  # fmt: skip
