"""Page 3 · Minibatches (AppTest): both runs, the batch shown at each step, the cost table, the clamps."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page
from streamlit.testing.v1 import AppTest

import gd_core as gd
from ui import data_controls as dc

PAGE = "lessons/minibatches/page.py"


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    return run_page(PAGE)


def chart_data(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one data set of the page's chart that has exactly these columns."""
    (_, datasets), *_ = charts(at)
    found = [frame for frame in datasets.values() if sorted(frame.columns) == sorted(columns)]
    assert len(found) == 1, [list(frame.columns) for frame in datasets.values()]
    return found[0]


def test_default_page_draws_one_composite_chart_and_the_cost_table(default_page):
    assert_no_exception(default_page)
    assert_charts_clean(default_page)
    (spec, _), *others = charts(default_page)
    assert sum("Noise floor" in str(s) for s, _ in others) == 1  # issue 14: the noise floor below it
    assert [p["name"] for p in spec["params"]] == ["step"] and spec["params"][0]["value"] == 50
    table = default_page.dataframe[0].value.set_index("run")
    # 100 points in batches of 10 for 5 epochs: 50 steps; the minibatch reads each point once per epoch.
    assert table.loc["full batch", "steps"] == table.loc["minibatch", "steps"] == 50
    assert table.loc["full batch", "points read"] == 50 * 100
    assert table.loc["minibatch", "points read"] == 5 * 100
    assert not default_page.error and not default_page.warning


def test_highlighted_batch_points_give_the_gradient_of_their_step():
    at = run_page(PAGE)
    at.number_input(key="minibatches.batch").set_value(7)  # 15 batches per epoch, the last one of 2 points
    at.slider(key="minibatches.epochs").set_value(50).run()  # 750 steps: the chart ships every 2nd (or so) step
    assert_no_exception(at)
    batches = chart_data(at, "step", "index", "x", "y")
    arrows = chart_data(at, "series", "step", "dw", "db", "u", "v", "angle", "length")
    (_, datasets), *_ = charts(at)
    mini = next(frame for frame in datasets.values() if "full_grad_w" in frame.columns)
    assert batches["step"].nunique() < 751 and set(batches["step"]) == set(mini["step"])
    lr = at.select_slider(key="minibatches.lr").value
    for step in mini["step"].iloc[[0, 1, 2, len(mini) // 2, -1]]:
        row = mini[mini["step"] == step].iloc[0]
        batch = batches[batches["step"] == step]
        assert len(batch) == (2 if step % 15 == 14 else 7)
        residual = row["w"] * batch["x"] + row["b"] - batch["y"]
        np.testing.assert_allclose(
            [2 * np.mean(residual * batch["x"]), 2 * np.mean(residual)], [row["grad_w"], row["grad_b"]], rtol=1e-9
        )
        step_taken = arrows[(arrows["step"] == step) & (arrows["series"] == "minibatch")].iloc[0]
        np.testing.assert_allclose([step_taken["dw"], step_taken["db"]], [-lr * row["grad_w"], -lr * row["grad_b"]])


def test_batch_size_above_n_is_clamped_to_full_batch_with_a_note():
    at = run_page(PAGE)
    at.number_input(key="minibatches.batch").set_value(500).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    assert any("using B = n (full batch)" in c.value for c in at.caption)
    table = at.dataframe[0].value.set_index("run")
    assert table.loc["minibatch", "steps"] == 5  # one step per epoch
    assert table.loc["minibatch", "final loss (all data)"] == pytest.approx(
        table.loc["full batch", "final loss (all data)"]
    )


def test_minibatch_final_loss_matches_an_independent_sgd_loop():
    at = run_page(PAGE)
    at.number_input(key="minibatches.batch").set_value(25).run()
    data = gd.synthetic(n=100, seed=0)
    membership = gd.batch_membership(100, 25, 20, seed=0)
    lr = at.select_slider(key="minibatches.lr").value
    w = b = 0.0
    for _, batch in membership.groupby("step"):
        x, y = data.x[batch["index"]], data.y[batch["index"]]
        residual = w * x + b - y
        w, b = w - lr * 2 * np.mean(residual * x), b - lr * 2 * np.mean(residual)
    final = at.dataframe[0].value.set_index("run").loc["minibatch", "final loss (all data)"]
    assert final == pytest.approx(np.mean((w * data.x + b - data.y) ** 2), rel=1e-9)


def test_too_many_steps_are_refused_with_the_budget_message_and_run_shorter_only_when_chosen():
    at = run_page(PAGE)
    at.slider(key="data.n").set_value(5000)
    at.number_input(key="minibatches.batch").set_value(1)
    at.slider(key="minibatches.epochs").set_value(50).run()
    assert_no_exception(at)
    (warning,) = [w.value for w in at.warning]
    assert "this would take ~" in warning and "fewer epochs or a smaller batch" in warning
    assert not charts(at)  # never silently truncated: nothing runs until the visitor chooses
    affordable = gd.budget.affordable_steps(dc.PAGE_BUDGET, n=5000, batch_size=1)
    whole = affordable - affordable % 5000  # whole epochs of 5,000 steps
    at.toggle(key="minibatches.within_budget").set_value(True).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    assert whole >= 5000 and at.dataframe[0].value["steps"].tolist() == [whole, whole]


CONTROLS = [
    ("number_input", "minibatches.batch", 1),
    ("number_input", "minibatches.batch", 1_000_000),
    ("slider", "minibatches.epochs", 1),
    ("slider", "minibatches.epochs", 50),
    ("select_slider", "minibatches.lr", 1e-6),
    ("select_slider", "minibatches.lr", 10.0),
    ("slider", "data.n", 10),
    ("slider", "data.noise", 0.0),
    ("slider", "data.outliers", 20),
]


@pytest.mark.parametrize(("kind", "key", "value"), CONTROLS, ids=[f"{key}={value:g}" for _, key, value in CONTROLS])
def test_each_control_at_its_extremes_reruns_cleanly(kind, key, value):
    at = run_page(PAGE)
    getattr(at, kind)(key=key).set_value(value).run()
    assert_no_exception(at)
    assert_charts_clean(at)


def test_large_learning_rate_reports_where_each_run_diverged():
    at = run_page(PAGE)
    at.select_slider(key="minibatches.lr").set_value(1.0).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    messages = [e.value for e in at.error]
    assert any(m.startswith("Full-batch descent diverged at step") for m in messages)
    assert any(m.startswith("Minibatch descent diverged at step") for m in messages)


def test_unusable_upload_shows_the_error_and_no_chart():
    at = run_page(PAGE)
    at.radio(key="data.source").set_value("Upload CSV").run()
    at.file_uploader(key="data.upload").set_value(("one.csv", b"x\n1\n2\n", "text/csv")).run()
    assert_no_exception(at)
    assert any("two numeric columns" in e.value for e in at.error)
    assert not charts(at)


def test_a_file_uploaded_on_page_two_carries_over_to_page_three():
    from pagetools import ROOT, TIMEOUT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("lessons/fitting_a_line/page.py").run()
    at.radio(key="data.source").set_value("Upload CSV").run()
    text = "name,area,price\n" + "".join(f"s{i},{50 + i},{1000 + 20 * i + (i % 7) * 5}\n" for i in range(100))
    at.file_uploader(key="data.upload").set_value(("houses.csv", text.encode(), "text/csv")).run()
    at.switch_page("lessons/minibatches/page.py").run()
    at.run()  # AppTest's first run after a switch still shows the old page's tree
    assert_no_exception(at)
    assert not at.error
    assert [at.selectbox(key="data.x_col").value, at.selectbox(key="data.y_col").value] == ["area", "price"]
    assert any("houses" in c.value for c in at.caption)


def test_the_download_writes_every_step_of_both_runs_when_clicked(monkeypatch):
    """The CSV is a deferred download (written on click, not on every rerun): what it writes is both whole runs."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    deferred = {}
    register = MediaFileManager.add_deferred

    def spy(self, data, mimetype, coordinates, *, file_name=None, **rest):
        deferred[file_name] = data
        return register(self, data, mimetype, coordinates, file_name=file_name, **rest)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    at = run_page(PAGE)
    assert_no_exception(at)
    frame = pd.read_csv(io.BytesIO(deferred["minibatches.csv"]()))
    steps = at.dataframe[0].value.set_index("run").loc["minibatch", "steps"]
    for method in ("full batch", "minibatch"):
        run = frame[frame["method"] == method]
        assert run["step"].tolist() == list(range(steps + 1))
        assert np.isfinite(run["loss"]).all()
    mini = frame[frame["method"] == "minibatch"]
    assert mini["batch_loss"].notna().iloc[1:].all()  # the minibatch run's own columns are in the file
