"""Gradient descent against closed forms: the seed loss, least squares, torch.optim and minibatches."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tolerance

import gd_core as gd

SEED = gd.seed_problem()


def seed_closed_form(a0: float, lr: float, k: np.ndarray) -> np.ndarray:
    """A_k = −1 + (1 − 18·lr)^k (A₀ + 1)."""
    return -1 + (1 - 18 * lr) ** k * (a0 + 1)


def line_data(n=200, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 4, n)
    return x, 1.5 * x - 0.5 + rng.normal(0, 0.7, n)


@pytest.mark.parametrize("lr", [0.001, 0.01, 0.05, 1 / 18, 0.1])
@pytest.mark.parametrize("a0", [-4.0, 0.0, 2.5])
def test_seed_descent_follows_closed_form(device, lr, a0):
    run = gd.descend(SEED, lr=lr, steps=40, start=a0, device=device)
    frame = run.frame
    expected = seed_closed_form(a0, lr, frame["step"].to_numpy())
    np.testing.assert_allclose(frame["A"], expected, rtol=tolerance(device), atol=1e-9)
    np.testing.assert_allclose(frame["loss"], (3 + 3 * frame["A"]) ** 2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(frame["grad_A"], 18 * (frame["A"] + 1), rtol=1e-9, atol=1e-9)


def test_tutorial_first_step_lands_on_minus_1_point_3():
    frame = gd.descend(SEED, lr=0.05, steps=1, start=-4).frame
    assert frame["grad_A"].iloc[0] == pytest.approx(-54)
    assert frame["A"].iloc[1] == pytest.approx(-1.3)


def test_lr_one_eighteenth_lands_in_one_step():
    frame = gd.descend(SEED, lr=1 / 18, steps=3, start=-4).frame
    assert frame["A"].iloc[1:].to_numpy() == pytest.approx([-1, -1, -1], abs=1e-12)


def test_lr_one_ninth_oscillates_forever():
    run = gd.descend(SEED, lr=1 / 9, steps=500, start=-4)
    a = run.frame["A"].to_numpy()
    assert np.allclose(a[0::2], -4, atol=1e-9) and np.allclose(a[1::2], 2, atol=1e-9)
    assert np.allclose(run.frame["loss"], 81, rtol=1e-9)
    assert pd.isna(run.summary["diverged_at"].iloc[0])


@pytest.mark.parametrize("lr", [0.12, 0.2, 1.0, 10.0])
def test_lr_above_one_ninth_diverges_and_is_recorded(lr):
    run = gd.descend(SEED, lr=lr, steps=2000, start=-4)
    diverged_at = run.summary["diverged_at"].iloc[0]
    assert not pd.isna(diverged_at) and 0 < diverged_at <= 2000
    assert run.frame["step"].max() == diverged_at - 1  # the run stops at the last good step
    assert np.isfinite(run.frame.select_dtypes("number").to_numpy()).all()
    assert np.isfinite(run.summary.drop(columns="diverged_at").select_dtypes("number").to_numpy()).all()
    # the amplitude grows by |1 − 18·lr| per step, as the closed form says
    a = run.frame["A"].to_numpy()
    np.testing.assert_allclose(a, seed_closed_form(-4, lr, np.arange(len(a))), rtol=1e-9)


def test_larger_learning_rates_diverge_sooner():
    summary = gd.sweep(SEED, lrs=[0.12, 0.2, 0.5, 2.0], steps=3000, start=-4).summary
    assert summary["diverged_at"].is_monotonic_decreasing


def test_critical_lr_of_seed_is_one_ninth():
    assert gd.critical_lr(SEED) == pytest.approx(1 / 9, rel=1e-12)


def test_critical_lr_of_mse_is_n_over_largest_eigenvalue_of_xtx(device):
    x, y = line_data()
    design = np.c_[x, np.ones_like(x)]
    expected = len(x) / np.linalg.eigvalsh(design.T @ design).max()
    assert gd.critical_lr(gd.LinearRegression(x, y), device=device) == pytest.approx(expected, rel=1e-4)


def test_critical_lr_of_nonquadratic_depends_on_the_point():
    rosenbrock = gd.test_function("rosenbrock")
    # ∇²f at (1, 1) = [[802, −400], [−400, 200]]
    expected = 2 / np.linalg.eigvalsh(np.array([[802.0, -400], [-400, 200]])).max()
    assert gd.critical_lr(rosenbrock, at=(1, 1)) == pytest.approx(expected)
    assert gd.critical_lr(gd.test_function("saddle")) == pytest.approx(1.0)
    assert gd.critical_lr(gd.ScalarProblem.from_expression("-a**2")) == math.inf


def test_linear_regression_reaches_least_squares(device):
    x, y = line_data()
    problem = gd.LinearRegression(x, y)
    lr = 0.9 * gd.critical_lr(problem)
    run = gd.descend(problem, lr=lr, steps=3000, start=(0, 0), device=device)
    (w, b), *_ = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)
    final = run.summary.iloc[0]
    assert final["final_w"] == pytest.approx(w, rel=1e-6)
    assert final["final_b"] == pytest.approx(b, rel=1e-6)
    assert problem.least_squares() == pytest.approx((w, b), rel=1e-9)


def test_mse_from_moments_equals_the_sum_over_points():
    x, y = line_data(n=500)
    problem = gd.LinearRegression(x, y)
    params = torch.randn(50, 2, dtype=torch.float64) * 3
    np.testing.assert_allclose(problem.loss(params), problem.direct_loss(params), rtol=1e-10)
    _, grad = problem.value_and_grad(params)
    leaf = params.clone().requires_grad_(True)
    (autograd,) = torch.autograd.grad(problem.direct_loss(leaf).sum(), leaf)
    np.testing.assert_allclose(grad, autograd, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", list(gd.TEST_FUNCTIONS))
def test_each_surface_gradient_formula_equals_autograd(name):
    problem = gd.test_function(name)
    assert problem.gradient is not None, "every test surface has its gradient written out"
    (x_low, x_high), (y_low, y_high) = problem.view
    params = torch.rand(7, 40, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    params = params * torch.tensor([3 * (x_high - x_low), 3 * (y_high - y_low)]) + torch.tensor([x_low, y_low]) * 2
    value, grad = problem.value_and_grad(params)
    leaf = params.clone().requires_grad_(True)
    (autograd,) = torch.autograd.grad(problem.loss(leaf).sum(), leaf)
    assert grad.shape == params.shape
    np.testing.assert_allclose(value, problem.loss(params), rtol=0)
    np.testing.assert_allclose(grad, autograd, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("name", list(gd.TEST_FUNCTIONS))
def test_each_surface_hessian_formula_equals_autograd(name):
    problem = gd.test_function(name)
    params = torch.randn(30, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(5)) * 3
    written = problem.hessian(params)
    assert written is not None and written.shape == (30, 2, 2)
    np.testing.assert_allclose(written, gd.optimizers.batched_hessian(problem.loss, params), rtol=1e-13, atol=1e-11)


@pytest.mark.parametrize("problem_name", ["seed", "line", "rosenbrock"])
@pytest.mark.parametrize("optimizer", gd.OPTIMIZERS)
def test_sweep_equals_individual_descents(device, problem_name, optimizer):
    problem, start, lrs = {
        "seed": (SEED, -4.0, [0.001, 0.05, 0.1, 0.13]),
        "line": (gd.LinearRegression(*line_data()), (0.0, 0.0), [0.01, 0.1, 0.3]),
        "rosenbrock": (gd.test_function("rosenbrock"), (-1.5, 2.0), [1e-4, 1e-3, 2e-3]),
    }[problem_name]
    swept = gd.sweep(problem, lrs=lrs, steps=60, start=start, optimizer=optimizer, device=device)
    for run, lr in enumerate(lrs):
        alone = gd.descend(problem, lr=lr, steps=60, start=start, optimizer=optimizer, device=device)
        together = swept.run(run).drop(columns="run")
        pd.testing.assert_frame_equal(together, alone.run(0).drop(columns="run"), rtol=1e-12)


def hand_driven_torch_optim(problem, optimizer_class, lr, start, steps, **options):
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([theta], lr=lr, **options)
    path = [theta.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        problem.loss(theta).backward()
        optimizer.step()
        path.append(theta.detach().clone())
    return torch.stack(path).numpy()


@pytest.mark.parametrize(
    ("name", "optimizer_class", "options"),
    [
        ("momentum", torch.optim.SGD, {"momentum": 0.9}),
        ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        ("rmsprop", torch.optim.RMSprop, {}),
        ("adam", torch.optim.Adam, {}),
    ],
)
def test_optimizers_equal_a_hand_driven_torch_optim_loop(name, optimizer_class, options):
    problem = gd.test_function("rosenbrock")
    expected = hand_driven_torch_optim(problem, optimizer_class, 1e-3, (-1.5, 2.0), 200, **options)
    run = gd.descend(problem, lr=1e-3, steps=200, start=(-1.5, 2.0), optimizer=name, device="cpu")
    # atol: the loop's gradient is autograd's, the run's the closed form (a rounding apart near a zero coordinate)
    np.testing.assert_allclose(run.frame[["x", "y"]].to_numpy(), expected, rtol=1e-12, atol=1e-14)


def test_plain_gd_equals_torch_sgd():
    problem = gd.test_function("himmelblau")
    expected = hand_driven_torch_optim(problem, torch.optim.SGD, 0.005, (0.5, -0.5), 100)
    run = gd.descend(problem, lr=0.005, steps=100, start=(0.5, -0.5), device="cpu")
    np.testing.assert_allclose(run.frame[["x", "y"]].to_numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [None, 200, 500])
def test_minibatch_with_full_batch_equals_gradient_descent(batch_size):
    problem = gd.LinearRegression(*line_data(n=200))
    full = gd.descend(problem, lr=0.1, steps=50, start=(0, 0))
    batched = gd.descend(problem, lr=0.1, steps=50, start=(0, 0), batch_size=batch_size)
    pd.testing.assert_frame_equal(batched.frame, full.frame, check_exact=True)


def test_minibatch_steps_use_the_batch_gradient_and_reshuffle_each_epoch(device):
    x, y = line_data(n=50)
    problem = gd.LinearRegression(x, y)
    run = gd.descend(problem, lr=0.05, steps=12, start=(0.5, 0.5), batch_size=16, seed=3, device=device)
    frame = run.frame
    membership = gd.batch_membership(50, 16, 12, seed=3)
    assert membership.groupby("step").size().tolist() == [16, 16, 16, 2] * 3  # remainder batch kept
    for epoch in range(3):  # each epoch visits every point exactly once
        steps = range(epoch * 4, epoch * 4 + 4)
        assert sorted(membership[membership["step"].isin(steps)]["index"]) == list(range(50))
    first, second = (membership[membership["step"] == s]["index"].to_numpy() for s in (0, 4))
    assert set(first) != set(second)
    for step in range(12):  # each update is θ − lr·(gradient of the MSE over that step's batch)
        idx = membership[membership["step"] == step]["index"].to_numpy()
        w, b = frame.loc[step, ["w", "b"]]
        residual = w * x[idx] + b - y[idx]
        grad = np.array([2 * np.mean(residual * x[idx]), 2 * np.mean(residual)])
        np.testing.assert_allclose(frame.loc[step, ["grad_w", "grad_b"]], grad, rtol=tolerance(device) * 1e2)
        np.testing.assert_allclose(frame.loc[step + 1, ["w", "b"]], [w, b] - 0.05 * grad, rtol=1e-8)
        assert frame.loc[step, "batch_loss"] == pytest.approx(np.mean(residual**2))
    np.testing.assert_allclose(frame["loss"], problem.direct_loss(torch.tensor(frame[["w", "b"]].to_numpy())))
    assert frame["epoch"].tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3]


def test_minibatch_is_reproducible_by_seed_and_differs_between_seeds():
    problem = gd.LinearRegression(*line_data())
    runs = [gd.descend(problem, lr=0.05, steps=30, start=(0, 0), batch_size=8, seed=s).frame for s in (1, 1, 2)]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert not np.allclose(runs[0]["w"], runs[2]["w"])


def test_batch_larger_than_data_is_full_batch():
    problem = gd.LinearRegression(*line_data(n=30))
    run = gd.descend(problem, lr=0.1, steps=5, start=(0, 0), batch_size=10_000)
    assert run.batch_size is None and "batch_loss" not in run.frame


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.0}, "positive"),
        ({"lr": -1.0}, "positive"),
        ({"lr": float("nan")}, "positive"),
        ({"steps": -1}, "steps"),
        ({"steps": gd.MAX_STEPS + 1}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"start": (1.0, 2.0)}, "start"),
        ({"start": float("inf")}, "finite"),
        ({"optimizer": "sgd!"}, "optimizer"),
        ({"batch_size": 4}, "batch_size"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_problem(kwargs, message):
    settings = {"lr": 0.05, "steps": 10, "start": -4.0} | kwargs
    with pytest.raises(ValueError, match=message):
        gd.descend(SEED, **settings)


def test_start_outside_the_domain_is_refused():
    with pytest.raises(ValueError, match="not finite at the start"):
        gd.descend(gd.ScalarProblem.from_expression("log(a)"), lr=0.1, steps=5, start=-1)


def test_leaving_the_domain_counts_as_divergence():
    run = gd.descend(gd.ScalarProblem.from_expression("sqrt(a)"), lr=10, steps=10, start=0.5)
    assert run.summary["diverged_at"].iloc[0] == 1
    assert len(run.frame) == 1


def test_every_run_diverging_stops_early_and_keeps_output_finite():
    run = gd.sweep(gd.test_function("saddle"), lrs=[0.5, 1.0, 5.0], steps=gd.MAX_STEPS, start=(1, 1))
    assert run.summary["diverged_at"].notna().all()
    assert np.isfinite(run.frame.select_dtypes("number").to_numpy()).all()
