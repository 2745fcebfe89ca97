"""Page 5, optimizers on 2-D surfaces: renders cleanly for every surface and control, reports divergence,
moves the start from the number inputs and from a click on the map, and shows update rules that match the runs."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page
from streamlit.proto.WidgetStates_pb2 import WidgetStates

import gd_core as gd
from charts.kit import MAX_SHOWN_STEPS
from lessons.optimizers import charts as page_charts
from lessons.optimizers import controls

PAGE = "lessons/optimizers/page.py"


def datasets_with(at, column: str) -> list[pd.DataFrame]:
    """The chart data sets that have `column` (paths have `label`, the start/minimum markers `marker`)."""
    (_, datasets), *_ = charts(at)
    return [frame for frame in datasets.values() if column in frame.columns]


def start_marker(at) -> tuple[float, float]:
    (markers,) = datasets_with(at, "marker")
    row = markers[markers["marker"] == "start"].iloc[0]
    return float(row["x"]), float(row["y"])


def table(at) -> pd.DataFrame:
    return at.dataframe[0].value


def assert_clean(at, charts_expected: int = 1) -> None:
    assert_no_exception(at)
    assert_charts_clean(at, minimum=charts_expected)
    assert not at.error, [e.value for e in at.error]


def click_map(at, x: float, y: float):
    """Rerun as the browser does after a click on the map: the chart's widget state carries the selection."""
    (chart,) = at.get("vega_lite_chart")
    tree = at._tree  # AppTest has no setter for chart selections; add the state the frontend would send
    original = tree.get_widget_states

    def with_click() -> WidgetStates:
        states = original()
        state = states.widgets.add()
        state.id = chart.proto.id
        state.string_value = json.dumps({"selection": {page_charts.PICK: [{"x": x, "y": y}]}})
        return states

    tree.get_widget_states = with_click
    try:
        return at.run()
    finally:
        tree.get_widget_states = original


@pytest.fixture(scope="module")
def default_page():
    return run_page(PAGE)


def test_default_page_shows_one_composite_with_step_slider_and_click_selection(default_page):
    at = default_page
    assert_clean(at)
    assert len(charts(at)) == 1
    spec, _ = charts(at)[0]
    params = {p["name"]: p for p in spec["params"]}
    assert params["step"]["bind"]["input"] == "range"
    assert params[page_charts.PICK]["select"]["on"] == "click"
    assert "hconcat" in spec
    assert list(table(at)["optimizer"]) == [gd.OPTIMIZER_LABELS[name] for name in gd.FIRST_ORDER]
    assert any(gd.test_function("ill_conditioned").latex in latex.value for latex in at.latex)


def test_default_runs_start_at_the_surface_default_and_none_diverges(default_page):
    (paths,) = datasets_with(default_page, "label")
    first = paths[paths["step"] == 0]
    assert len(first) == len(gd.FIRST_ORDER)
    np.testing.assert_allclose(first[["x", "y"]], [gd.test_function("ill_conditioned").default_start] * 5)
    assert (table(default_page)["diverged at step"] == "—").all()
    assert not default_page.warning


@pytest.mark.parametrize("surface", list(gd.TEST_FUNCTIONS))
def test_every_surface_renders_its_formula_minima_and_clean_charts(surface):
    at = run_page(PAGE)
    at.selectbox(key="optimizers.surface").select(surface).run()
    assert_clean(at)
    problem = gd.test_function(surface)
    assert any(problem.latex in latex.value for latex in at.latex)
    (markers,) = datasets_with(at, "marker")
    assert (markers["marker"] == "minimum").sum() == len(problem.minima)
    assert start_marker(at) == pytest.approx(problem.default_start)
    assert ("distance to nearest minimum" in table(at).columns) == bool(problem.minima)


@pytest.mark.parametrize("steps", [10, 2000])
def test_steps_at_min_and_max_rerun_cleanly_and_thin_the_chart(steps):
    at = run_page(PAGE)
    at.multiselect(key="optimizers.optimizers").set_value(["adam"])  # 2000 steps of five: over the race's budget
    at.slider(key="optimizers.steps").set_value(steps).run()
    assert_clean(at)
    (paths,) = datasets_with(at, "label")
    assert paths["step"].max() == steps
    assert paths.groupby("label")["step"].nunique().max() <= MAX_SHOWN_STEPS + 1
    spec, _ = charts(at)[0]
    slider = next(p for p in spec["params"] if p["name"] == "step")
    assert slider["bind"]["max"] >= steps


@pytest.mark.parametrize("lr", [controls.LR_CHOICES[0], controls.LR_CHOICES[-1]])
def test_learning_rates_at_smallest_and_largest_rerun_cleanly(lr):
    at = run_page(PAGE)
    for name in gd.OPTIMIZERS:
        at.select_slider(key=f"optimizers.lr_ill_conditioned_{name}").set_value(lr)
    at.run()
    assert_clean(at)
    assert (table(at)["learning rate"] == lr).all()


def test_gd_with_lr_one_on_rosenbrock_says_diverged_at_step_and_keeps_charts_clean():
    at = run_page(PAGE)
    at.selectbox(key="optimizers.surface").select("rosenbrock").run()
    at.select_slider(key="optimizers.lr_rosenbrock_gd").set_value(1.0).run()
    assert_clean(at)
    problem = gd.test_function("rosenbrock")
    expected = gd.descend(problem, lr=1.0, steps=300, start=problem.default_start).summary["diverged_at"].iloc[0]
    assert not pd.isna(expected)
    (warning,) = at.warning
    assert f"**gradient descent** (lr = 1) diverged at step {expected}" in warning.value
    row = table(at).set_index("optimizer").loc["gradient descent"]
    assert row["diverged at step"] == str(expected)
    (paths,) = datasets_with(at, "label")
    assert paths.loc[paths["label"] == "gradient descent", "step"].max() < expected


def test_saddle_runs_that_fall_off_are_reported_as_running_to_minus_infinity():
    at = run_page(PAGE)
    at.selectbox(key="optimizers.surface").select("saddle").run()
    assert_clean(at)
    (note,) = at.info
    assert "left for −∞ (the saddle is unbounded below) at step" in note.value and "diverged" not in note.value
    spec, _ = charts(at)[0]
    assert "symlog" in json.dumps(spec)


def test_start_number_inputs_move_the_start_marker_and_every_path():
    at = run_page(PAGE)
    at.number_input(key="optimizers.x0_ill_conditioned").set_value(3.0)
    at.number_input(key="optimizers.y0_ill_conditioned").set_value(-1.25)
    at.run()
    assert_clean(at)
    assert start_marker(at) == pytest.approx((3.0, -1.25))
    (paths,) = datasets_with(at, "label")
    np.testing.assert_allclose(paths.loc[paths["step"] == 0, ["x", "y"]], [[3.0, -1.25]] * 5)


def test_click_on_the_map_sets_the_start_inputs_and_each_click_counts_once():
    at = run_page(PAGE)
    cell = (2.4576271186440675, 1.0508474576271185)  # a cell centre of the 60 × 60 grid
    click_map(at, *cell)
    assert_clean(at)
    assert at.number_input(key="optimizers.x0_ill_conditioned").value == pytest.approx(2.46)
    assert at.number_input(key="optimizers.y0_ill_conditioned").value == pytest.approx(1.05)
    assert start_marker(at) == pytest.approx((2.46, 1.05))
    at.number_input(key="optimizers.x0_ill_conditioned").set_value(-1.0).run()  # a later edit wins over the old click
    assert start_marker(at) == pytest.approx((-1.0, 1.05))
    click_map(at, *cell)  # clicking the same cell again moves the start back
    assert start_marker(at) == pytest.approx((2.46, 1.05))


def test_start_from_selection_rounds_clamps_and_ignores_empty_clicks():
    view = ((-2.0, 2.0), (-1.0, 3.0))
    pick = page_charts.PICK
    assert controls.start_from_selection({"selection": {pick: [{"x": 0.123, "y": 2.987}]}}, view) == (0.12, 2.99)
    assert controls.start_from_selection({"selection": {pick: [{"x": 9.0, "y": -9.0}]}}, view) == (2.0, -1.0)
    for empty in (None, {}, {"selection": {}}, {"selection": {pick: {}}}, {"selection": {pick: []}}):
        assert controls.start_from_selection(empty, view) is None
    assert controls.start_from_selection({"selection": {pick: [{"x": math.nan, "y": 0}]}}, view) is None


def test_no_optimizer_selected_still_draws_the_surface():
    at = run_page(PAGE)
    at.multiselect(key="optimizers.optimizers").set_value([]).run()
    assert_clean(at)
    assert at.info and "at least one optimizer" in at.info[0].value


def test_results_table_distance_is_to_the_nearest_of_himmelblaus_minima():
    problem = gd.test_function("himmelblau")
    summaries = {"adam": gd.descend(problem, lr=0.05, steps=50, start=(-1.0, -1.0), optimizer="adam").summary}
    row = controls.results_table(summaries, problem.minima).iloc[0]
    final = summaries["adam"][["final_x", "final_y"]].to_numpy()[0]
    expected = min(np.hypot(*(final - np.array(m))) for m in problem.minima)
    assert row["distance to nearest minimum"] == pytest.approx(expected)
    assert row["diverged at step"] == "—"


def test_csv_frame_holds_every_step_of_every_optimizer_with_its_name_first():
    problem = gd.test_function("rosenbrock")
    frames = {
        name: gd.descend(problem, lr=1e-3, steps=700, start=problem.default_start, optimizer=name).frame
        for name in ("gd", "adam")
    }
    combined = controls.combine_runs(frames)
    assert combined.columns[0] == "optimizer"
    assert combined.groupby("optimizer")["step"].agg(["min", "max", "count"]).values.tolist() == [[0, 700, 701]] * 2


def numpy_updates(name: str, theta, grad_of, lr: float, steps: int, hess_of=None) -> np.ndarray:
    """The update rules the page shows (each record's update_latex), in numpy with torch.optim's default constants."""
    theta = np.array(theta, dtype=float)
    v = m = s = np.zeros(2)
    path = [theta.copy()]
    for k in range(1, steps + 1):
        g = grad_of(theta)
        if name == "gd":
            theta = theta - lr * g
        elif name == "newton":
            theta = theta - lr * np.linalg.solve(hess_of(theta), g)
        elif name == "momentum":
            v = 0.9 * v + g
            theta = theta - lr * v
        elif name == "nesterov":
            v = 0.9 * v + g
            theta = theta - lr * (g + 0.9 * v)
        elif name == "rmsprop":
            s = 0.99 * s + 0.01 * g * g
            theta = theta - lr * g / (np.sqrt(s) + 1e-8)
        else:
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            theta = theta - lr * (m / (1 - 0.9**k)) / (np.sqrt(s / (1 - 0.999**k)) + 1e-8)
        path.append(theta.copy())
    return np.array(path)


@pytest.mark.parametrize("name", gd.OPTIMIZERS)
def test_update_rules_shown_match_the_runs(name):
    problem = gd.test_function("rosenbrock")

    def grad_of(theta):
        x, y = theta
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    def hess_of(theta):
        x, y = theta
        return np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])

    lr = controls.DEFAULT_LRS["rosenbrock"][name]
    run = gd.descend(problem, lr=lr, steps=40, start=problem.default_start, optimizer=name).frame
    expected = numpy_updates(name, problem.default_start, grad_of, lr, 40, hess_of)
    np.testing.assert_allclose(run[["x", "y"]].to_numpy(), expected, rtol=1e-9, atol=1e-12)
    assert gd.get_optimizer(name).update_latex


def test_default_learning_rates_are_offered_by_the_sliders():
    for surface in gd.TEST_FUNCTIONS:
        assert set(controls.DEFAULT_LRS[surface]) <= set(gd.OPTIMIZERS)
        assert all(controls.default_lr(surface, name) in controls.LR_CHOICES for name in gd.OPTIMIZERS)
