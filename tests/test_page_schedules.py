"""Issue 14: the learning-rate schedule control on the line, minibatch and optimizer pages, and the rescue claim."""

import numpy as np
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page

import gd_core as gd
from ui import schedule as sc


def lr_panels(at):
    return [d for spec, data in charts(at) if "Learning rate of each step" in str(spec) for d in data.values()]


@pytest.mark.parametrize("steps", [100, 1000])
def test_exponential_decay_rescues_a_constant_rate_that_diverges(steps):
    data = gd.synthetic(n=100, slope=2.0, intercept=1.0, noise=1.0, seed=0)
    problem = gd.LinearRegression(data.x, data.y)
    lr = sc.RESCUE_MULTIPLE * gd.critical_lr(problem)
    constant = gd.descend(problem, lr=lr, steps=steps, start=(0.0, 0.0))
    rescued = gd.descend(problem, lr=lr, steps=steps, start=(0.0, 0.0), schedule=sc.schedule_for("exponential", steps))
    assert constant.diverged
    assert not rescued.diverged
    w, b = problem.least_squares()
    best = float(problem.loss(problem.x.new_tensor([w, b])))
    assert rescued.summary["final_loss"].iloc[0] == pytest.approx(best, rel=1e-6)


def test_schedules_are_scaled_to_the_run():
    assert sc.schedule_for("exponential", 100).factors(100)[-1] == pytest.approx(sc.FINAL_FACTOR)
    assert sc.schedule_for("step", 100).step_size == 25
    assert sc.schedule_for("warmup", 100).warmup_steps == 10
    assert all(sc.schedule_for(kind, 1).kind == kind for kind in gd.SCHEDULES)


def test_line_page_draws_the_lr_of_every_step_under_the_loss():
    at = run_page("lessons/fitting_a_line/page.py")
    assert any(sc.RESCUE_NOTE in c.value for c in at.caption)  # constant: the rescue scene in words
    assert not lr_panels(at)
    at.selectbox(key="fitting-a-line.schedule").set_value("exponential").run()
    assert_no_exception(at)
    assert_charts_clean(at, 2)
    (panel,) = lr_panels(at)
    lr = float(at.select_slider(key="fitting-a-line.lr").value)
    schedule = sc.schedule_for("exponential", 100)
    np.testing.assert_allclose(panel["lr_step"], lr * schedule.factors(100)[panel["step"].to_numpy()], rtol=1e-9)
    assert any(schedule.latex in latex.value for latex in at.latex)


def test_minibatch_page_takes_a_schedule():
    at = run_page("lessons/minibatches/page.py")
    at.selectbox(key="minibatches.schedule").set_value("cosine").run()
    assert_no_exception(at)
    assert not at.error
    (panel,) = lr_panels(at)
    assert panel["lr_step"].iloc[0] > panel["lr_step"].iloc[-1]  # annealed towards 0


def test_optimizer_race_draws_one_lr_line_per_optimizer():
    at = run_page("lessons/optimizers/page.py")
    at.selectbox(key="optimizers.schedule").set_value("step").run()
    assert_no_exception(at)
    (panel,) = lr_panels(at)
    assert set(panel["optimizer"]) == set(gd.FIRST_ORDER)
    first = panel[panel["step"] == 0].set_index("optimizer")["lr_step"]
    late = panel[panel["step"] >= 225].groupby("optimizer")["lr_step"].first()
    np.testing.assert_allclose(late / first.loc[late.index], 0.5**3)  # 300 steps: decays at 75, 150, 225
