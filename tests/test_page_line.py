"""Page 2 · Fitting a line (AppTest), and the data controls it shares with page 3."""

from __future__ import annotations

import numpy as np
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page, shown
from streamlit.testing.v1 import AppTest

import gd_core as gd

PAGE = "lessons/fitting_a_line/page.py"


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return run_page(PAGE)


def results(at: AppTest):
    """The table under the chart: row 0 gradient descent, row 1 least squares."""
    return at.dataframe[0].value


def test_default_page_draws_one_composite_chart_with_a_step_slider(default_page):
    assert_no_exception(default_page)
    assert_charts_clean(default_page, minimum=1)
    (spec, datasets), *others = charts(default_page)
    assert not others
    assert [p["name"] for p in spec["params"]] == ["step"]
    assert spec["params"][0]["bind"]["input"] == "range" and spec["params"][0]["value"] == 100
    assert max(len(frame) for frame in datasets.values()) == 2500  # the 50 × 50 MSE surface
    assert not default_page.error


def test_default_page_shows_the_formulas_of_the_code(default_page):
    formulas = " ".join(element.value for element in default_page.latex)
    assert r"\frac{2}{n}\sum_{i=1}^{n}(w\,x_i + b - y_i)\,x_i" in formulas
    assert r"\frac{1}{n}\sum_{i=1}^{n} \left(w\,x_i + b - y_i\right)^2" in formulas


def test_default_learning_rate_is_the_largest_choice_below_half_the_critical_rate(default_page):
    data = gd.synthetic(n=100, slope=2.0, intercept=1.0, noise=1.0, outliers=0, seed=0)
    critical = gd.critical_lr(gd.LinearRegression(data.x, data.y))
    lr = default_page.select_slider(key="fitting-a-line.lr").value
    assert lr <= critical / 2 < 2 * lr
    assert f"{critical:.4g}" in " ".join(c.value for c in default_page.caption)


def test_final_line_matches_numpy_least_squares_after_many_small_steps():
    at = run_page(PAGE)
    at.number_input(key="data.slope").set_value(-1.5)
    at.slider(key="data.outliers").set_value(5)
    at.slider(key="fitting-a-line.steps").set_value(1000)
    at.select_slider(key="fitting-a-line.lr").set_value(0.05)
    at.run()
    assert_no_exception(at)
    data = gd.synthetic(n=100, slope=-1.5, intercept=1.0, noise=1.0, outliers=5, seed=0)
    (w_star, b_star), *_ = np.linalg.lstsq(np.column_stack([data.x, np.ones(data.n)]), data.y, rcond=None)
    table = results(at)
    np.testing.assert_allclose(table.loc[0, ["slope w", "bias b"]].to_numpy(float), [w_star, b_star], rtol=1e-9)
    np.testing.assert_allclose(table.loc[1, ["slope w", "bias b"]].to_numpy(float), [w_star, b_star], rtol=1e-9)
    assert table.loc[0, "MSE"] == pytest.approx(np.mean((w_star * data.x + b_star - data.y) ** 2), rel=1e-9)


def test_learning_rate_above_critical_reports_the_step_it_diverged_at():
    at = run_page(PAGE)
    at.select_slider(key="fitting-a-line.lr").set_value(0.5).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    assert any("Diverged at step" in e.value for e in at.error)
    assert any("above it: expect divergence" in c.value for c in at.caption)


CONTROLS = [
    ("slider", "data.n", 10),
    ("slider", "data.n", 5000),
    ("slider", "data.noise", 0.0),
    ("slider", "data.noise", 5.0),
    ("slider", "data.outliers", 20),
    ("number_input", "data.slope", -100.0),
    ("number_input", "data.intercept", 100.0),
    ("select_slider", "fitting-a-line.lr", 1e-6),
    ("select_slider", "fitting-a-line.lr", 10.0),
    ("slider", "fitting-a-line.steps", 1),
    ("slider", "fitting-a-line.steps", 1000),
    ("number_input", "fitting-a-line.w0", -1000.0),
    ("number_input", "fitting-a-line.b0", 1000.0),
]


@pytest.mark.parametrize(("kind", "key", "value"), CONTROLS, ids=[f"{key}={value:g}" for _, key, value in CONTROLS])
def test_each_control_at_its_extremes_reruns_cleanly(kind, key, value):
    at = run_page(PAGE)
    getattr(at, kind)(key=key).set_value(value).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    assert getattr(at, kind)(key=key).value == value


def test_ten_points_with_twenty_outliers_uses_ten_outliers():
    at = run_page(PAGE)
    at.slider(key="data.n").set_value(10)
    at.slider(key="data.outliers").set_value(20).run()
    assert_no_exception(at)
    assert not at.error
    assert len(charts(at)[0][1]) > 0


UNUSABLE = {
    "empty file": (b"", "The file is empty"),
    "one column": (b"x\n1\n2\n3\n", "two numeric columns"),
    "text cells": (b"a,b\nfoo,bar\nbaz,qux\n", "two numeric columns"),
    "constant x": (b"x,y\n1,2\n1,3\n1,4\n", "is constant (every value in column 'x' is 1)"),
    "empty cell": (b"x,y\n1,2\n,3\n3,4\n", "empty or non-numeric cell"),
    "NaN cell": (b"x,y\n1,2\nnan,3\n3,4\n", "1 empty or non-numeric cell (first at row 2)"),
    "binary": (b"\x00\x01\x02\x03", "binary"),
}


def upload(content: bytes, name: str = "data.csv") -> AppTest:
    at = run_page(PAGE)
    at.radio(key="data.source").set_value("Upload CSV").run()
    at.file_uploader(key="data.upload").set_value((name, content, "text/csv")).run()
    return at


@pytest.mark.parametrize(("content", "message"), UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_csv_shows_what_is_wrong_and_keeps_the_controls(content, message):
    at = upload(content)
    assert_no_exception(at)
    assert any(message in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert any("Fix the data" in i.value for i in at.info)
    assert not charts(at)
    assert at.select_slider(key="fitting-a-line.lr").value > 0  # the descent controls are still drawn


def test_uploaded_csv_is_fitted_on_the_chosen_columns():
    rng = np.random.default_rng(1)
    hours = rng.uniform(0, 10, 60)
    score = 5 * hours + 40 + rng.normal(0, 3, 60)
    text = "name,hours,score\n" + "".join(
        f"s{i},{h:.6f},{s:.6f}\n" for i, (h, s) in enumerate(zip(hours, score, strict=True))
    )
    at = upload(text.encode())
    assert_no_exception(at)
    assert [at.selectbox(key="data.x_col").value, at.selectbox(key="data.y_col").value] == ["hours", "score"]
    at.select_slider(key="fitting-a-line.lr").set_value(0.01)
    at.slider(key="fitting-a-line.steps").set_value(1000).run()
    assert_charts_clean(at)
    spec = charts(at)[0][0]
    assert '"title": "hours"' in str(spec).replace("'", '"')
    data = gd.load_csv(text.encode(), "hours", "score")
    w_star, b_star = gd.LinearRegression(data.x, data.y).least_squares()
    assert results(at).loc[1, ["slope w", "bias b"]].tolist() == pytest.approx([w_star, b_star], rel=1e-12)
    at.selectbox(key="data.y_col").select("hours").run()
    assert any("different columns" in e.value for e in at.error)


def _remembered_script():
    import streamlit as st

    from ui.data_controls import remembered

    if st.session_state.get("shown", True):
        remembered(st.slider, "n", key="n", default=100, min_value=10, max_value=5000)


def test_remembered_widget_gets_its_value_back_after_a_run_that_did_not_draw_it():
    at = AppTest.from_function(_remembered_script).run()
    at.slider(key="n").set_value(700).run()
    at.session_state["shown"] = False
    at.run()  # a run that does not draw the widget (another page was open)
    at.session_state["shown"] = True
    at.run()
    assert at.slider(key="n").value == 700  # the URL binding and the shadow copy both keep it


def test_an_uploaded_file_name_is_shown_as_text_not_markup():
    name = "[click](javascript:alert(1)) **bold** <b>x</b>.csv"
    at = upload(b"x,y\n1,2\n2,4.5\n3,5.5\n", name=name)
    assert_no_exception(at)
    shown = " ".join(e.value for e in [*at.caption, *at.markdown])
    assert "points from" in shown
    assert "[click](javascript:alert(1))" not in shown and "**bold**" not in shown


HOUSES = "area,price\n" + "".join(f"{50 + i},{100_000 + 2_000 * i + (i % 7) * 500}\n" for i in range(100))


def test_the_first_upload_of_a_session_gets_a_learning_rate_suited_to_it():
    at = run_page(PAGE, {"data.source": "Upload CSV"})  # a fresh session that opens on the uploader: no data yet
    at.file_uploader(key="data.upload").set_value(("houses.csv", HOUSES.encode(), "text/csv")).run()
    assert_no_exception(at)
    critical = gd.critical_lr(gd.LinearRegression(*gd.load_csv(HOUSES.encode()).frame().to_numpy().T))
    assert at.select_slider(key="fitting-a-line.lr").value <= critical / 2
    assert not at.error  # it used to open on "Diverged at step 2" with lr = 0.1
    assert any("Standardise x and y" in i.value for i in [*at.info, *at.warning])  # a hint for raw units


def test_standardised_data_fit_in_z_scores_and_report_the_line_in_the_file_units():
    at = upload(HOUSES.encode(), "houses.csv")
    at.checkbox(key="data.standardise").check().run()
    at.slider(key="fitting-a-line.steps").set_value(1000).run()
    assert_no_exception(at)
    assert at.select_slider(key="fitting-a-line.lr").value >= 0.1  # z-scores: 2/λmax = 1
    table = results(at).set_index("")
    data = gd.load_csv(HOUSES.encode())
    slope, bias = np.polyfit(data.x, data.y, 1)
    assert table.loc["least squares, in the file's units", ["slope w", "bias b"]].tolist() == pytest.approx(
        [slope, bias], rel=1e-9
    )
    assert table.loc["gradient descent, in the file's units", "slope w"] == pytest.approx(slope, rel=1e-6)
    assert any("underbrace" in latex.value for latex in at.latex)  # the conversion is shown in the formulas
