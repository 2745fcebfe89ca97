"""A scene is a claim: each built-in scene, opened as a lecturer opens it, computes a run that shows its title."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pagetools import assert_no_exception, charts, run_page

from ui.scenes import SCENES

SCENE = {scene.title: scene for scene in SCENES}


def opened(title: str):
    """The scene's page, run with the scene's link."""
    scene = SCENE[title]
    at = run_page(scene.page, scene.query())
    assert_no_exception(at)
    return at


def dataset_with(at, *columns: str, without: str = "") -> pd.DataFrame:
    """The one chart data set that has all these columns (and not the column `without`)."""
    found = [f for _, sets in charts(at) for f in sets.values() if set(columns) <= set(f.columns)]
    (frame,) = [f for f in found if without not in f.columns]
    return frame


def test_the_small_learning_rate_still_crawls_after_its_steps():
    table = opened("A small learning rate crawls").dataframe[0].value
    distance = (table["A"] + 1).abs().to_numpy()
    assert len(table) == 101
    assert distance[-1] > 0.5 * distance[0]  # "less than halfway": visibly far from −1 at the end
    assert np.all(np.diff(distance) < 0)  # but every step gets closer


def test_one_eighteenth_lands_in_one_step():
    table = opened("1/18 lands in one step").dataframe[0].value
    assert table["A"].iloc[0] == -4 and table["A"].iloc[1:].to_numpy() == pytest.approx(-1.0, abs=1e-12)


def test_one_ninth_oscillates_forever_between_two_points():
    table = opened("1/9 oscillates forever").dataframe[0].value
    assert table["A"].to_numpy() == pytest.approx([-4.0, 2.0] * 10 + [-4.0])


def test_zero_point_one_two_diverges_at_a_step_the_page_names():
    at = opened("0.12 diverges")
    table = at.dataframe[0].value
    (message,) = [e.value for e in at.error if "diverged at step" in e.value]
    k = int(message.split("diverged at step ")[1].split("*")[0])
    assert len(table) == k and 50 < k < 100  # the run stops before the step that exploded, inside the 100 steps
    assert np.all(np.diff((table["A"] + 1).abs()) > 0)  # each step lands further away


def test_a_line_fits_itself_over_the_whole_run_not_in_its_first_steps():
    at = opened("A line fits itself")
    losses = dataset_with(at, "step", "w", "b", "loss", "series", "shown").sort_values("step")
    best = at.dataframe[0].value["MSE"].iloc[1]  # the least-squares line's MSE
    excess = losses["loss"].to_numpy() / best - 1
    assert excess[30] > 0.2 and excess[60] > 0.02  # still visibly improving through most of the run
    assert excess[-1] < 0.01  # and within 1% of the best line at the end


def test_minibatch_noise_jitters_around_the_optimum_while_full_batch_settles():
    at = opened("Minibatch noise")
    full = dataset_with(at, "step", "w", "b", "loss", "series", "run", without="batch_loss")
    mini = dataset_with(at, "step", "w", "b", "loss", "batch_loss")
    best = dataset_with(at, "w", "b", "loss", "label")["loss"].iloc[0]
    full = full[full["series"] == "full batch"].sort_values("step")["loss"].to_numpy() - best
    mini = mini.sort_values("step")["loss"].to_numpy() - best
    last = slice(len(mini) * 2 // 3, None)  # the last epoch
    assert np.all(np.diff(full) <= 1e-12)  # full batch: straight down
    ups = np.sum(np.diff(mini[last]) > 0)
    assert ups >= len(mini[last]) // 4  # minibatch: up and down, step after step
    assert mini[last].mean() > 5 * full[-1]  # and it stays in a band above the optimum


def test_momentum_beats_plain_descent_on_the_ravine_at_the_same_learning_rate():
    at = opened("Momentum on a ravine")
    table = at.dataframe[0].value
    assert set(table["learning rate"]) == {0.01}  # the same lr, as the scene says
    paths = dataset_with(at, "optimizer", "step", "x", "y", "loss")
    gd_loss = paths[paths["optimizer"] == "gd"].set_index("step")["loss"]
    momentum = paths[paths["optimizer"] == "momentum"].set_index("step")["loss"]
    behind = momentum > gd_loss
    overtakes = int(behind[behind].index.max()) + 1 if behind.any() else 0
    assert overtakes < 50 and momentum.iloc[-1] < 1e-6 * gd_loss.iloc[-1]  # ahead from early on, and at the end


def test_every_scene_has_a_claim_test():
    tested = {name for name in globals() if name.startswith("test_")} - {"test_every_scene_has_a_claim_test"}
    assert len(tested) == len(SCENES)
