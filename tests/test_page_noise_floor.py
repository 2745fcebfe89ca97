"""Issue 14 on the minibatch page: the noise floor against B, measured by gd_core, beside its prediction."""

import numpy as np
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page

import gd_core as gd
from lessons.minibatches import noise_floor as nf

PAGE = "lessons/minibatches/page.py"
SHUFFLE_TOLERANCE = 0.5  # relative: shuffled epochs sit below the i.i.d. prediction, by up to this much for B ≤ n/8


@pytest.fixture(scope="module")
def page():
    at = run_page(PAGE)
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def floor_data(at):
    for spec, datasets in charts(at):
        if "Noise floor" in str(spec):
            return spec, next(f for f in datasets.values() if "plateau" in f.columns)
    raise AssertionError("no noise-floor chart")


def independent_sweep(at) -> gd.BatchSweep:
    """The same sweep from the page's own settings (default data, its lr and seed), straight from gd_core."""
    data = gd.synthetic(n=100, slope=2.0, intercept=1.0, noise=1.0, seed=0)
    caption = next(c.value for c in at.caption if "per batch size" in c.value)
    lr = float(caption.split("lr = ")[1].split(",")[0])
    problem = gd.LinearRegression(data.x, data.y)
    return gd.sweep_batch_sizes(problem, nf.batch_sizes(100), lr=lr, steps=nf.STEPS, seeds=0, device="cpu")


def test_noise_floor_chart_is_clean_and_plots_gd_cores_plateaus(page):
    assert_charts_clean(page, 2)
    spec, shown = floor_data(page)
    assert any(layer.get("title", {}) for layer in spec["hconcat"])
    expected = independent_sweep(page).floor.set_index("batch_size")
    np.testing.assert_allclose(shown["plateau"], expected.loc[shown["batch_size"], "plateau"], rtol=1e-9)
    np.testing.assert_allclose(shown["points_per_step"], expected.loc[shown["batch_size"], "points_per_step"])


def test_measured_floor_follows_the_prediction_for_small_batches(page):
    floor = independent_sweep(page).floor
    small = floor[floor["batch_size"] <= 100 / 8]
    ratio = small["plateau"] / small["predicted"]
    assert ((ratio > 1 - SHUFFLE_TOLERANCE) & (ratio < 1 + SHUFFLE_TOLERANCE)).all(), ratio.tolist()
    assert any(f"**{independent_sweep(page).slope:.3g}**".replace("-", "−") in c.value for c in page.caption)


def test_batch_sizes_are_powers_of_two_below_n():
    assert nf.batch_sizes(100) == (2, 4, 8, 16, 32, 64)
    assert nf.batch_sizes(2) == ()
    assert len(nf.batch_sizes(10**9)) == nf.MAX_SIZES
