"""Page 4, learning rate and divergence: the regimes split at 1/L and 2/L, and the page survives every control."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page

import gd_core as gd
from charts.kit import strict_spec, thin, thinning_stride
from lessons.learning_rate import charts as rates
from lessons.learning_rate import controls

PAGE = "lessons/learning_rate/page.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def line_page():
    at = run_page(PAGE)
    at.radio(key="learning-rate.problem").set_value("line").run()
    return at


def frames_with(at, column: str) -> list[pd.DataFrame]:
    """Every chart data set that has `column`."""
    return [frame for _, datasets in charts(at) for frame in datasets.values() if column in frame.columns]


def rerun_clean(at, minimum: int = 2):
    at.run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert_charts_clean(at, minimum)


def closed_form(problem) -> tuple[tuple[float, ...], float, tuple]:
    """(θ*, f(θ*), H) of a quadratic problem, from gd.quadratic_fit."""
    fit = gd.quadratic_fit(problem)
    return fit.optimum, fit.min_loss, fit.hessian


# --- the regime helper ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lr", "expected"),
    [(0.01, "steady"), (1 / 18, "one step"), (0.1, "overshooting"), (1 / 9, "oscillating"), (0.12, "diverging")],
)
def test_seed_learning_rates_fall_in_the_tutorials_regimes(lr, expected):
    curvature = gd.hessian_eigenvalues(gd.seed_problem())[-1]  # 18 from autograd, up to rounding
    assert gd.regime(lr, curvature) == expected


BOUNDARY_CASES = [(1e-6, "steady"), (0.999, "steady"), (1.0, "one step"), (1.001, "overshooting")]
BOUNDARY_CASES += [(1.999, "overshooting"), (2.0, "oscillating"), (2.001, "diverging"), (1e6, "diverging")]


@pytest.mark.parametrize(("lr_times_l", "expected"), BOUNDARY_CASES)
def test_regime_boundaries_sit_at_one_and_two_over_L(lr_times_l, expected):
    curvature = 6.852
    assert gd.regime(lr_times_l / curvature, curvature) == expected
    assert gd.contraction(lr_times_l / curvature, curvature) == pytest.approx(1 - lr_times_l)


def test_regime_bands_split_the_range_at_one_and_two_over_L():
    bands = rates.regime_bands(1e-4, 10.0, 18.0)
    assert list(bands["regime"]) == ["steady", "overshooting", "diverging"]
    assert bands["start"].tolist() == pytest.approx([1e-4, 1 / 18, 1 / 9])
    assert bands["end"].tolist() == pytest.approx([1 / 18, 1 / 9, 10.0])
    assert list(rates.regime_bands(1e-4, 0.05, 18.0)["regime"]) == ["steady"]


def _title_spans(bands: pd.DataFrame, lr_low: float, lr_high: float, plot_px: float) -> list[tuple[float, float]]:
    """Each band title's horizontal extent in px on the log axis, as the chart anchors and aligns it (13 px bold:
    ~8 px a character of its longest line, an overestimate), the 3 px offset included."""
    px = lambda lr: plot_px * np.log10(lr / lr_low) / np.log10(lr_high / lr_low)  # noqa: E731
    spans = []
    for row in bands.itertuples():
        width = 8 * max(len(line) for line in row.title.split("\n"))
        x = px(row.anchor)
        spans.append((x + 3, x + 3 + width) if row.align == "left" else (x - 3 - width, x - 3))
    return spans


@pytest.mark.parametrize("plot_px", [260, 420, 700])  # a phone, a half-width view, a projector
@pytest.mark.parametrize(("lr_low", "lr_high", "curvature"), [(1e-4, 1.111, 18.0), (1e-3, 2.0, 6.852)])
def test_regime_titles_do_not_overprint(plot_px, lr_low, lr_high, curvature):
    # The page's default sweep ranges: the overshooting band is log10(2) of a decade, ~20 px on a phone, narrower
    # than "overshooting" itself; titles centred on their bands overprinted there.
    bands = rates.regime_bands(lr_low, lr_high, curvature)
    spans = sorted(_title_spans(bands, lr_low, lr_high, plot_px))
    for (_, right), (left, _) in itertools.pairwise(spans):
        assert right <= left, f"band titles overlap at {plot_px} px: {spans}"
    assert spans[0][0] >= 0, f"a title hangs off the left of the plot: {spans}"


def test_quadratic_minimum_matches_closed_forms_and_excess_loss_is_loss_minus_minimum():
    optimum, minimum, _ = closed_form(gd.seed_problem())
    assert optimum == pytest.approx((-1.0,)) and minimum == pytest.approx(0.0, abs=1e-24)
    data = gd.synthetic(n=57, slope=-1.5, intercept=2.0, noise=0.7, seed=3)
    problem = gd.LinearRegression(data.x, data.y)
    optimum, minimum, hessian = closed_form(problem)
    assert optimum == pytest.approx(problem.least_squares(), rel=1e-12)
    x = np.column_stack([data.x, np.ones(data.n)])
    w, *_ = np.linalg.lstsq(x, data.y, rcond=None)
    assert minimum == pytest.approx(np.mean((x @ w - data.y) ** 2), rel=1e-12)
    theta = np.array([[0.3, -2.0], [4.0, 1.0]])
    direct = [np.mean((x @ t - data.y) ** 2) - minimum for t in theta]
    assert gd.excess_loss(theta, optimum, hessian) == pytest.approx(direct, rel=1e-10)


@pytest.mark.parametrize("steps", [10, 100, 400, 990, 1000])
def test_display_stride_is_odd_divides_the_steps_and_keeps_at_most_about_400_points(steps):
    stride = thinning_stride(steps)
    assert stride % 2 == 1 and steps % stride == 0 and steps / stride <= 400


def test_thinned_run_at_two_over_L_still_oscillates_and_keeps_each_runs_last_step():
    run = gd.sweep(gd.seed_problem(), lrs=[1 / 9, 0.12], steps=1000, start=-4)
    shown = thin(run.frame, thinning_stride(1000))
    oscillating = shown[shown["run"] == 0]
    assert oscillating["step"].iloc[-1] == 1000
    assert set(np.round(oscillating["A"], 9)) == {-4.0, 2.0}  # both branches survive the thinning
    assert np.all(np.diff(np.sign(oscillating["A"] + 1)) != 0)
    diverged = shown[shown["run"] == 1]
    assert diverged["step"].iloc[-1] == run.summary["diverged_at"].iloc[1] - 1


@pytest.mark.parametrize("kind", ["seed", "line"])
def test_charts_stay_clean_for_every_lr_from_1e_minus_4_to_10(kind):
    if kind == "seed":
        problem, start = gd.seed_problem(), (-4.0,)
    else:
        data = gd.synthetic(seed=0)
        problem, start = gd.LinearRegression(data.x, data.y), (0.0, 0.0)
    optimum, minimum, hessian = closed_form(problem)
    curvature = gd.hessian_eigenvalues(problem)[-1]
    lrs = np.geomspace(1e-4, 10, 128)
    run = gd.sweep(problem, lrs=lrs, steps=300, start=start)
    table = controls.run_table(run.summary, curvature, gd.quadratic_fit(problem))
    assert table["diverged_at"].notna().to_numpy().tolist() == (lrs > 2 / curvature).tolist()
    sweep = rates.sweep_chart(table, curvature, (lrs[0], lrs[-1]), 300, minimum)
    json.dumps(strict_spec(sweep), allow_nan=False)  # strict_spec raises on NaN / Infinity, data included

    chosen = [1e-4, 1e-2, 1 / curvature, 2 / curvature, 1.0, 10.0]
    run = gd.sweep(problem, lrs=chosen, steps=1000, start=start)
    stride = thinning_stride(1000)
    shown = thin(run.frame, stride)
    names = problem.param_names
    chart = rates.trajectory_chart(
        shown,
        controls.run_table(run.summary, curvature, gd.quadratic_fit(problem)),
        names[-1],
        names=names,
        optimum=optimum,
        hessian=hessian,
        min_loss=minimum,
        window=rates.param_window(optimum, start, len(names) - 1),
        steps=1000,
        stride=stride,
    )
    json.dumps(strict_spec(chart), allow_nan=False)


# --- the page -------------------------------------------------------------------------------------


def test_default_page_renders_both_charts_and_the_seed_thresholds():
    at = run_page(PAGE)
    assert_no_exception(at)
    assert not at.error
    assert_charts_clean(at, 2)
    assert metric(at, "L = λmax") == "18"
    assert metric(at, "1/L") == f"{1 / 18:.4g}"
    assert metric(at, "2/L") == "0.1111"  # the tutorial's critical learning rate 1/9
    assert {b.key for b in at.get("download_button")} >= {"learning-rate.sweep_csv", "learning-rate.runs_csv"}


@pytest.mark.parametrize("n", [100, 37])
def test_line_critical_lr_shown_is_n_over_largest_eigenvalue_of_xtx(n):
    at = line_page()
    at.slider(key="learning-rate.n").set_value(n)
    rerun_clean(at)
    data = gd.synthetic(n=n, slope=2.0, intercept=1.0, noise=1.0, seed=0)
    x = np.column_stack([data.x, np.ones(n)])
    largest = np.linalg.eigvalsh(x.T @ x)[-1]
    assert metric(at, "2/L") == f"{n / largest:.4g}"
    assert metric(at, "L = λmax") == f"{2 * largest / n:.4g}"
    assert metric(at, "λmin") == f"{2 * np.linalg.eigvalsh(x.T @ x)[0] / n:.4g}"


def test_sweep_marks_every_run_above_two_over_L_as_diverged_and_no_other():
    at = run_page(PAGE)
    (points,) = [f for f in frames_with(at, "kind") if "shown_loss" in f.columns]
    (crosses,) = [f for f in frames_with(at, "outcome") if (f.get("kind") == "diverged").all()]
    assert len(points) + len(crosses) == 64
    assert (crosses["lr"] > 1 / 9).all() and (points["lr"] < 1 / 9).all()
    assert crosses["outcome"].str.fullmatch(r"diverged at step \d+").all()


def test_chosen_lr_above_two_over_L_is_labelled_diverged_at_its_step():
    at = run_page(PAGE)
    expected = int(gd.descend(gd.seed_problem(), lr=0.12, steps=100, start=-4).summary["diverged_at"].iloc[0])
    table = at.dataframe[0].value
    row = table[table["lr"] == 0.12].iloc[0]
    assert row["regime"] == "diverging" and row["outcome"] == f"diverged at step {expected}"
    labels = set(pd.concat(f["label"] for f in frames_with(at, "label")))
    assert f"lr = 0.12 · diverged at step {expected}" in labels
    assert "lr = 1/9 ≈ 0.111" in labels  # oscillates forever, never diverges
    assert set(table.loc[table["lr"] < 0.12, "outcome"]) == {"finished"}


def test_seed_controls_at_their_extremes_rerun_cleanly():
    at = run_page(PAGE)
    moves = [
        ("select_slider", "learning-rate.low", 0.5),
        ("select_slider", "learning-rate.high", 1.0),
        ("slider", "learning-rate.count", 128),
    ]
    moves += [
        ("slider", "learning-rate.steps", 1000),
        ("select_slider", "learning-rate.low", 0.001),
        ("select_slider", "learning-rate.high", 10.0),
    ]
    moves += [
        ("slider", "learning-rate.steps", 10),
        ("number_input", "learning-rate.start", -20.0),
        ("number_input", "learning-rate.start", 20.0),
    ]
    moves += [("number_input", "learning-rate.start", -1.0)]  # starts on the minimum: nothing to descend
    for kind, key, value in moves:
        getattr(at, kind)(key=key).set_value(value)
        rerun_clean(at)


def test_line_controls_at_their_extremes_rerun_cleanly():
    at = line_page()
    assert_charts_clean(at, 2)
    for key, value in [
        ("learning-rate.n", 2),
        ("learning-rate.n", 500),
        ("learning-rate.noise", 0.0),
        ("learning-rate.slope", -5.0),
        ("learning-rate.count", 128),
    ]:
        at.slider(key=key).set_value(value)
        rerun_clean(at)
    at.slider(key="learning-rate.steps").set_value(1000)
    at.select_slider(key="learning-rate.low").set_value(0.5)
    at.select_slider(key="learning-rate.high").set_value(1.0)
    at.radio(key="learning-rate.param").set_value("b")
    rerun_clean(at)


@pytest.mark.parametrize(
    ("kind", "choices"),
    [("seed", [0.0001, 10.0]), ("seed", list(controls.SEED_CHOICES[:6])), ("line", [0.001, 10.0])],
)
def test_chosen_learning_rates_at_the_ends_of_the_list_rerun_cleanly(kind, choices):
    at = run_page(PAGE) if kind == "seed" else line_page()
    at.multiselect(key=f"learning-rate.{kind}_lrs").set_value(choices)
    rerun_clean(at)
    assert len(at.dataframe[0].value) == len(choices)


def test_no_learning_rate_chosen_shows_a_hint_and_keeps_the_sweep():
    at = run_page(PAGE)
    at.multiselect(key="learning-rate.seed_lrs").set_value([])
    rerun_clean(at, minimum=1)
    assert any("Pick at least one" in info.value for info in at.info)
