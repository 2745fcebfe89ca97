"""Issue 14 on the learning-rate page: each curvature prediction sits beside its measurement, and they agree."""

import numpy as np
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page

import gd_core as gd
from lessons.learning_rate import controls
from lessons.learning_rate.predictions import measured_contraction

PAGE = "lessons/learning_rate/page.py"
LINE_TOLERANCE = 1e-3  # relative: after 100 steps the slower direction dominates the measured ratio this closely


def metric(at, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def runs_table(at):
    return next(d.value for d in at.dataframe if "predicted_rho" in d.value.columns)


@pytest.fixture(scope="module")
def seed_page():
    at = run_page(PAGE)
    assert_no_exception(at)
    return at


@pytest.fixture(scope="module")
def line_page():
    at = run_page(PAGE)
    at.radio(key="learning-rate.problem").set_value("line").run()
    assert_no_exception(at)
    return at


def test_seed_page_predicts_the_closed_form_contraction_and_measures_it_to_rounding(seed_page):
    table = runs_table(seed_page)
    np.testing.assert_allclose(table["predicted_rho"], np.abs(1 - 18 * table["lr"]), atol=1e-12)
    landed = np.isclose(table["lr"], 1 / 18)
    assert table.loc[landed, "measured_rho"].isna().all()  # lands on θ* in one step: no ratio to measure
    np.testing.assert_allclose(table.loc[~landed, "measured_rho"], table.loc[~landed, "predicted_rho"], rtol=1e-6)
    assert metric(seed_page, "κ = λmax/λmin") == pytest.approx(1.0)
    assert metric(seed_page, "best fixed lr 2/(λmin+λmax)") == pytest.approx(1 / 18, rel=1e-3)


def test_line_page_shows_gd_cores_curvature_and_centring(line_page):
    problem = controls.ProblemChoice("line").build()
    curv = gd.curvature(problem)
    assert metric(line_page, "κ = λmax/λmin") == pytest.approx(curv.condition_number, rel=1e-3)
    assert metric(line_page, "best fixed lr 2/(λmin+λmax)") == pytest.approx(curv.best_lr, rel=1e-3)
    assert metric(line_page, "its ρ = (κ−1)/(κ+1)") == pytest.approx(curv.best_contraction, rel=1e-3)
    after = gd.centring(problem).kappa_after
    assert any(f"to {after:.4g}" in m.value and "Centring" in m.value for m in line_page.markdown)


def test_line_page_measured_contraction_agrees_with_the_prediction(line_page):
    table = runs_table(line_page)
    curv = gd.curvature(controls.ProblemChoice("line").build())
    expected = [curv.contraction(lr) for lr in table["lr"]]
    np.testing.assert_allclose(table["predicted_rho"], expected, rtol=1e-9)
    np.testing.assert_allclose(table["measured_rho"], table["predicted_rho"], rtol=LINE_TOLERANCE)


def test_line_page_draws_contraction_and_eigen_path_charts_on_the_step_slider(line_page):
    assert_charts_clean(line_page, 4)  # the sweep, the chosen runs, the contraction and the eigen-coordinates
    specs = [spec for spec, _ in charts(line_page)]
    titles = [str(spec) for spec in specs]
    assert any("Contraction per step" in t for t in titles)
    eigen = [s for s, t in zip(specs, titles, strict=True) if "slow direction" in t and "fast direction" in t]
    assert eigen and any(p["name"] == "step" for p in eigen[0]["params"])


def test_measured_contraction_is_the_geometric_mean_of_the_last_ratios():
    trajectory = gd.descend(gd.seed_problem(), lr=0.01, steps=30, start=-4.0)
    table = gd.contraction_table(trajectory, gd.curvature(gd.seed_problem()))
    row = measured_contraction(table).iloc[0]
    assert row["measured"] == pytest.approx(0.82, rel=1e-9) and row["predicted"] == pytest.approx(0.82)
