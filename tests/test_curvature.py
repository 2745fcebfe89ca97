"""What the curvature predicts, against numpy and closed forms: κ, the best rate, the contraction per step,
Newton's method, learning-rate schedules (against torch's schedulers stepped by hand) and the minibatch noise floor."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

import gd_core as gd
from gd_core.optimizers import batched_hessian, newton_step

SEED = gd.seed_problem()
BOWL = gd.test_function("ill_conditioned")
QUADRATIC_IDS = ["seed", "bowl", "line", "shifted line"]


def line_problem(n=200, seed=1, shift=0.0, noise=0.7):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 4, n) + shift
    return gd.LinearRegression(x, 1.5 * x - 0.5 + rng.normal(0, noise, n))


def numpy_line_hessian(problem):
    """H = (2/n)·XᵀX with X = [x, 1]: the MSE's Hessian, by numpy."""
    x = problem.x.numpy()
    design = np.c_[x, np.ones_like(x)]
    return 2 / len(x) * design.T @ design


# --- condition number and best rate ------------------------------------------------------------------


@pytest.mark.parametrize("shift", [0.0, 5.0, -20.0])
def test_line_eigenvalues_kappa_and_best_rate_match_numpy_on_two_over_n_xtx(device, shift):
    problem = line_problem(shift=shift)
    expected = np.linalg.eigvalsh(numpy_line_hessian(problem))
    curv = gd.curvature(problem, device=device)
    np.testing.assert_allclose(curv.eigenvalues, expected, rtol=1e-9)
    assert curv.condition_number == pytest.approx(expected[1] / expected[0], rel=1e-9)
    assert curv.best_lr == pytest.approx(2 / (expected[0] + expected[1]), rel=1e-9)
    vectors = np.asarray(curv.eigenvectors)
    np.testing.assert_allclose(vectors @ numpy_line_hessian(problem) @ vectors.T, np.diag(expected), atol=1e-9)


def test_seed_and_bowl_curvature_have_their_closed_forms():
    seed = gd.curvature(SEED)
    assert seed.eigenvalues == pytest.approx((18,)) and seed.condition_number == pytest.approx(1)
    assert seed.best_lr == pytest.approx(1 / 18) and seed.at == (-1.0,)
    bowl = gd.curvature(BOWL)
    assert bowl.eigenvalues == pytest.approx((1, 25)) and bowl.condition_number == pytest.approx(25)
    assert bowl.best_lr == pytest.approx(2 / 26) and bowl.best_contraction == pytest.approx(24 / 26)
    assert bowl.eigenvectors == ((1.0, 0.0), (0.0, 1.0))


def test_rosenbrock_curvature_at_its_minimum_matches_numpy():
    expected = np.linalg.eigvalsh(np.array([[802.0, -400], [-400, 200]]))
    curv = gd.curvature(gd.test_function("rosenbrock"))
    assert curv.at == (1.0, 1.0)
    np.testing.assert_allclose(curv.eigenvalues, expected, rtol=1e-12)


def test_saddle_and_concave_losses_have_no_condition_number_or_best_rate():
    saddle = gd.curvature(gd.test_function("saddle"))
    assert saddle.eigenvalues == pytest.approx((-2, 2)) and saddle.at == pytest.approx((0, 0))
    concave = gd.curvature(gd.ScalarProblem.from_expression("-a**2"), at=0)
    for curv in (saddle, concave):
        assert curv.condition_number == math.inf and math.isnan(curv.best_lr)


@pytest.mark.parametrize("problem", [SEED, BOWL, line_problem(), line_problem(shift=3)], ids=QUADRATIC_IDS)
def test_best_rate_contracts_by_kappa_minus_one_over_kappa_plus_one_and_no_rate_does_better(problem):
    curv = gd.curvature(problem)
    kappa = curv.condition_number
    assert curv.contraction(curv.best_lr) == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-12)
    others = np.linspace(0.01, 1.99, 199) / curv.lambda_max
    assert all(curv.contraction(lr) >= curv.contraction(curv.best_lr) - 1e-15 for lr in others)


def steps_until_slow_direction_dominates(curv, lr, margin=1e-12):
    """k with (|1 − lr·λmax| / (1 − lr·λmin))^(2k) < margin: the fast component no longer shows in the ratio."""
    if len(curv.eigenvalues) == 1:
        return 20  # one direction: the ratio is 1 − lr·λ from the first step
    quotient = abs(1 - lr * curv.lambda_max) / (1 - lr * curv.lambda_min)
    return 5 + (0 if quotient == 0 else math.ceil(math.log(margin) / (2 * math.log(quotient))))


@pytest.mark.parametrize("problem", [SEED, BOWL, line_problem(), line_problem(shift=3)], ids=QUADRATIC_IDS)
def test_measured_contraction_equals_max_of_one_minus_lr_lambda_on_quadratics(problem):
    # Below 2/(λmin + λmax) the slow direction has the larger factor 1 − lr·λmin, so the distance ratio tends to
    # it as the fast component dies out; half the best rate makes that quick while the distance stays large.
    curv = gd.curvature(problem)
    lr = curv.best_lr / 2
    steps = steps_until_slow_direction_dominates(curv, lr)
    start = np.asarray(curv.at) + 1.5 + np.arange(len(curv.at))
    table = gd.contraction_table(gd.descend(problem, lr=lr, steps=steps, start=start), curv)
    late = table[table["step"] > steps - 5]
    assert late["distance"].min() > 1e-6 * np.linalg.norm(start)  # far from rounding noise
    np.testing.assert_allclose(late["measured"], 1 - lr * curv.lambda_min, rtol=1e-9)
    np.testing.assert_allclose(table["predicted"].iloc[1:], curv.contraction(lr), rtol=1e-12)


def test_above_the_best_rate_the_distance_ratio_tends_to_the_fast_factor():
    curv = gd.curvature(BOWL)
    lr = 0.079  # above 2/26: |1 − 25·0.079| = 0.975 > 1 − 0.079 = 0.921, the fast direction dominates
    table = gd.contraction_table(gd.descend(BOWL, lr=lr, steps=400, start=(3, 1)), curv)
    assert table["measured"].iloc[-1] == pytest.approx(abs(1 - lr * 25), rel=1e-9)
    assert curv.contraction(lr) == pytest.approx(abs(1 - lr * 25))


@pytest.mark.parametrize("problem", [BOWL, line_problem(shift=2)], ids=["bowl", "line"])
def test_eigen_coordinates_shrink_by_one_minus_lr_lambda_each_step(problem):
    curv = gd.curvature(problem)
    run = gd.descend(problem, lr=0.9 * curv.best_lr, steps=50, start=np.add(curv.at, (2, -1)))
    path = gd.eigen_path(run, curv)
    assert set(path["direction"]) == {"slow", "fast"} and len(path) == 2 * 51
    start = np.abs(path[path["step"] == 0]["coordinate"]).max()
    np.testing.assert_allclose(path["coordinate"], path["predicted"], rtol=0, atol=1e-9 * start)
    slow = path[path["direction"] == "slow"]["coordinate"].to_numpy()
    np.testing.assert_allclose(slow[1:] / slow[:-1], 1 - 0.9 * curv.best_lr * curv.lambda_min, rtol=1e-9)


def test_centring_x_makes_the_hessian_diagonal_and_changes_kappa():
    problem = line_problem(shift=4)
    effect = gd.centring(problem)
    before = np.linalg.eigvalsh(numpy_line_hessian(problem))
    x = problem.x.numpy()
    var_x = np.mean((x - x.mean()) ** 2)
    np.testing.assert_allclose(numpy_line_hessian(effect.centred), np.diag([2 * var_x, 2]), atol=1e-12)
    assert effect.kappa_before == pytest.approx(before[1] / before[0], rel=1e-9)
    assert effect.kappa_after == pytest.approx(max(var_x, 1) / min(var_x, 1), rel=1e-9)
    assert effect.kappa_after < effect.kappa_before / 10  # x̄ ≈ 5: the shift made the bowl a ravine
    (w, b), (w_c, b_c) = problem.least_squares(), effect.centred.least_squares()
    assert w_c == pytest.approx(w, rel=1e-12) and b_c == pytest.approx(b + w * effect.mean_x, rel=1e-12)


# --- Newton's method ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problem", "starts"),
    [
        (SEED, [-4.0, 0.0, 7.5]),
        (BOWL, [(-4.5, 1.5), (3.0, -2.0)]),
        (line_problem(), [(0.0, 0.0), (5.0, -5.0)]),
        (line_problem(shift=30, seed=4), [(0.0, 0.0), (-3.0, 10.0)]),
    ],
    ids=["seed", "bowl", "line", "shifted line"],
)
def test_newton_lands_on_the_minimum_of_every_quadratic_in_one_step(device, problem, starts):
    optimum = np.asarray(problem.minima[0])
    for start in starts:
        frame = gd.descend(problem, lr=1.0, steps=2, start=start, optimizer="newton", device=device).frame
        params = frame[list(problem.param_names)].to_numpy()
        np.testing.assert_allclose(params[1:], [optimum, optimum], rtol=1e-9, atol=1e-9)


def test_gradient_descent_at_one_over_the_curvature_is_newtons_step_on_the_seed():
    newton = gd.descend(SEED, lr=1.0, steps=3, start=-4, optimizer="newton").frame
    descent = gd.descend(SEED, lr=1 / 18, steps=3, start=-4).frame
    np.testing.assert_allclose(newton["A"], descent["A"], atol=1e-12)


def test_damped_newton_shrinks_the_distance_by_one_minus_lr_on_a_quadratic():
    frame = gd.descend(BOWL, lr=0.25, steps=10, start=(-4.5, 1.5), optimizer="newton").frame
    expected = np.outer(0.75 ** np.arange(11), [-4.5, 1.5])
    np.testing.assert_allclose(frame[["x", "y"]].to_numpy(), expected, rtol=1e-12)


def test_newton_converges_on_rosenbrock():
    frame = gd.descend(gd.test_function("rosenbrock"), lr=1.0, steps=10, start=(-1.5, 2), optimizer="newton").frame
    np.testing.assert_allclose(frame[["x", "y"]].iloc[-1], [1, 1], atol=1e-12)


def test_newton_heads_for_the_saddle_point():
    saddle = gd.test_function("saddle")
    pure = gd.descend(saddle, lr=1.0, steps=1, start=(-2, 0.5), optimizer="newton").frame
    np.testing.assert_allclose(pure[["x", "y"]].iloc[1], [0, 0], atol=1e-15)
    damped = gd.descend(saddle, lr=0.5, steps=20, start=(-2, 0.5), optimizer="newton").frame
    np.testing.assert_allclose(damped[["x", "y"]].to_numpy(), np.outer(0.5 ** np.arange(21), [-2, 0.5]), rtol=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func's first call scripts a module (torch's own)
@pytest.mark.parametrize("name", ["seed", "rosenbrock", "himmelblau", "typed", "linear"])
def test_batched_hessian_equals_torch_func_hessian_vmapped_over_runs(name):
    problem = {
        "seed": SEED,
        "rosenbrock": gd.test_function("rosenbrock"),
        "himmelblau": gd.test_function("himmelblau"),
        "typed": gd.ScalarProblem.from_expression("sin(a) + a**2/10"),
        "linear": gd.ScalarProblem.from_expression("3*a + 1"),
    }[name]
    theta = torch.randn(6, len(problem.param_names), dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = torch.func.vmap(torch.func.hessian(problem.loss))(theta)
    np.testing.assert_allclose(batched_hessian(problem.loss, theta), expected, rtol=1e-12, atol=1e-12)


def test_newton_with_a_singular_or_non_finite_hessian_does_not_crash():
    flat = gd.descend(gd.ScalarProblem.from_expression("abs(a)"), lr=1, steps=3, start=1, optimizer="newton")
    assert flat.frame["a"].tolist() == [1, 1, 1, 1]  # H = 0: the pseudo-inverse takes no step
    quartic = gd.descend(gd.ScalarProblem.from_expression("a**4"), lr=1, steps=3, start=0, optimizer="newton")
    assert quartic.frame["a"].tolist() == [0, 0, 0, 0]
    root = gd.ScalarProblem.from_expression("sqrt(a)")
    theta = torch.tensor([[-1.0], [4.0]], dtype=torch.float64)
    step = newton_step(root, theta, root.value_and_grad(theta)[1], torch.ones(2, 1, dtype=torch.float64))
    assert math.isnan(step[0, 0]) and step[1, 0] == pytest.approx(12)  # a − f'/f'' = a + 2a


# --- learning-rate schedules -------------------------------------------------------------------------

SCHEDULE_CASES = {
    "constant": (gd.Schedule("constant"), lambda o, k: torch.optim.lr_scheduler.ConstantLR(o, 1.0, 0)),
    "step": (gd.Schedule("step", step_size=3, gamma=0.5), lambda o, k: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    "exponential": (gd.Schedule("exponential", gamma=0.9), lambda o, k: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    "cosine": (
        gd.Schedule("cosine", min_factor=0.1),
        lambda o, k: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=k, eta_min=0.1 * o.param_groups[0]["lr"]),
    ),
    "cosine, period 8 of 20": (
        gd.Schedule("cosine", min_factor=0.1, period=8),
        lambda o, k: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.1 * o.param_groups[0]["lr"]),
    ),
    "warmup": (
        gd.Schedule("warmup", warmup_steps=5, start_factor=0.2),
        lambda o, k: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=5),
    ),
}


def rates_by_hand(build, lr, steps):
    """torch's scheduler stepped by hand over SGD: the lr of each of steps + 1 rows."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=lr)
    scheduler = build(optimizer, steps)
    rates = []
    for _ in range(steps + 1):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("kind", list(SCHEDULE_CASES))
@pytest.mark.parametrize("optimizer", ["gd", "adam", "newton"])
def test_each_schedule_records_the_rates_of_torchs_scheduler_stepped_by_hand(kind, optimizer):
    schedule, build = SCHEDULE_CASES[kind]
    run = gd.sweep(BOWL, lrs=[0.01, 0.03], steps=20, start=(-4.5, 1.5), optimizer=optimizer, schedule=schedule)
    for index, lr in enumerate([0.01, 0.03]):
        np.testing.assert_allclose(run.run(index)["lr_step"], rates_by_hand(build, lr, 20), rtol=1e-12)
    assert run.summary["lr"].tolist() == [0.01, 0.03] and run.schedule == schedule


@pytest.mark.parametrize("kind", list(SCHEDULE_CASES))
def test_schedule_factors_equal_its_own_torch_scheduler_stepped_100_times(kind):
    schedule = SCHEDULE_CASES[kind][0]
    np.testing.assert_allclose(schedule.factors(100), rates_by_hand(schedule.scheduler, 1.0, 100), rtol=1e-12)


@pytest.mark.parametrize("kind", list(SCHEDULE_CASES))
def test_plain_descent_with_a_schedule_steps_with_each_steps_rate(kind):
    frame = gd.descend(SEED, lr=0.05, steps=25, start=-4, schedule=SCHEDULE_CASES[kind][0]).frame
    factors = np.cumprod(np.r_[1.0, 1 - 18 * frame["lr_step"].to_numpy()[:-1]])  # A_k + 1 = Π(1 − 18·lr_j)(A₀ + 1)
    np.testing.assert_allclose(frame["A"], -1 + factors * (-4 + 1), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["cosine", "step"])
def test_torch_optimizer_with_a_schedule_equals_a_hand_driven_loop_with_its_scheduler(kind):
    schedule, build = SCHEDULE_CASES[kind]
    problem = gd.test_function("rosenbrock")
    theta = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([theta], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    scheduler, path = build(optimizer, 60), [theta.detach().clone()]
    for _ in range(60):
        optimizer.zero_grad()
        problem.loss(theta).backward()
        optimizer.step()
        scheduler.step()
        path.append(theta.detach().clone())
    run = gd.descend(problem, lr=0.01, steps=60, start=(-1.5, 2), optimizer="adam", schedule=schedule, device="cpu")
    np.testing.assert_allclose(run.frame[["x", "y"]].to_numpy(), torch.stack(path).numpy(), rtol=1e-12)


def test_minibatch_descent_with_a_schedule_steps_each_batch_gradient_at_each_steps_rate():
    schedule = gd.Schedule("step", step_size=4, gamma=0.5)
    frame = gd.descend(line_problem(), lr=0.1, steps=20, start=(0, 0), batch_size=16, seed=2, schedule=schedule).frame
    theta, grad = frame[["w", "b"]].to_numpy(), frame[["grad_w", "grad_b"]].to_numpy()
    rates = frame["lr_step"].to_numpy()[:, None]
    np.testing.assert_allclose(theta[1:], theta[:-1] - rates[:-1] * grad[:-1], rtol=1e-12, atol=1e-14)
    assert frame["lr_step"].tolist()[:9] == [0.1] * 4 + [0.05] * 4 + [0.025]


RESCUES = [gd.Schedule("exponential", gamma=0.9), gd.Schedule("step", step_size=4, gamma=0.5)]


@pytest.mark.parametrize("schedule", RESCUES, ids=["exponential", "step"])
def test_a_decaying_schedule_rescues_a_rate_that_diverges_when_constant(schedule):
    constant = gd.descend(SEED, lr=0.2, steps=300, start=-4)
    assert not pd.isna(constant.summary["diverged_at"].iloc[0])  # |1 − 18·0.2| = 2.6 per step
    rescued = gd.descend(SEED, lr=0.2, steps=300, start=-4, schedule=schedule)
    assert pd.isna(rescued.summary["diverged_at"].iloc[0])
    assert rescued.summary["final_loss"].iloc[0] < 1e-6 * 81  # from Loss(−4) = 81: it converges towards A = −1
    assert rescued.frame["lr_step"].iloc[0] == 0.2 and rescued.frame["lr_step"].iloc[-1] < 1 / 9


def test_constant_schedule_equals_no_schedule():
    plain = gd.descend(line_problem(), lr=0.1, steps=30, start=(0, 0), batch_size=16)
    scheduled = gd.descend(line_problem(), lr=0.1, steps=30, start=(0, 0), batch_size=16, schedule=gd.Schedule())
    pd.testing.assert_frame_equal(scheduled.frame.drop(columns="lr_step"), plain.frame, check_exact=True)
    assert (scheduled.frame["lr_step"] == 0.1).all() and "lr_step" not in plain.frame


@pytest.mark.parametrize(
    "settings",
    [{"kind": "linear"}, {"gamma": 0.0}, {"gamma": 1.5}, {"step_size": 0}, {"min_factor": -0.1}, {"period": 2.5}],
)
def test_bad_schedule_parameters_raise_value_error(settings):
    with pytest.raises(ValueError):
        gd.Schedule(**settings)
    with pytest.raises(ValueError, match="schedule"):
        gd.descend(SEED, lr=0.1, steps=3, start=0, schedule="cosine")


# --- the minibatch noise floor -----------------------------------------------------------------------

NOISY = line_problem(n=2000, seed=3, noise=1.0)


def test_batch_size_sweep_runs_equal_descend_with_that_batch_size_and_seed():
    # The sweep's batch statistics are differences of running sums, descend's are sums per batch: equal to
    # rounding (about 1e-16·n/B relative), so the paths agree to 1e-9 rather than bit for bit.
    swept = gd.sweep_batch_sizes(NOISY, [1, 16, 700, 2000], lr=0.02, steps=300, seeds=[0, 5])
    for batch_size, seed in [(1, 5), (16, 0), (700, 5), (2000, 0)]:
        alone = gd.descend(NOISY, lr=0.02, steps=300, start=(0, 0), batch_size=batch_size, seed=seed).frame
        run = swept.frame[(swept.frame["batch_size"] == batch_size) & (swept.frame["seed"] == seed)]
        columns = ["w", "b", "loss"]
        np.testing.assert_allclose(run[columns].to_numpy(), alone[columns].to_numpy(), rtol=1e-9, atol=1e-12)
        assert run["epoch"].tolist() == (alone["epoch"].tolist() if "epoch" in alone else list(range(301)))


def test_noise_floor_falls_roughly_as_one_over_the_batch_size():
    # The floor ∝ (n − B)/B predicts a 4× drop per 4× in B. Over these 4 seeds a plateau's spread is at most ~12%
    # of its mean (so ~6% for the mean), so requiring at least a 2× drop per step leaves a margin of > 10 sd.
    swept = gd.sweep_batch_sizes(NOISY, [1, 4, 16, 64], lr=0.02, steps=2000, seeds=range(4))
    floor = swept.floor["plateau"].to_numpy()
    assert (floor[1:] < floor[:-1] / 2).all()
    assert -1.5 < swept.slope < -0.8
    np.testing.assert_allclose(swept.floor["predicted_slope"], [-2000 / (2000 - b) for b in (1, 4, 16, 64)])


def test_noise_floor_grows_with_the_learning_rate():
    low, high = (gd.sweep_batch_sizes(NOISY, [8], lr=lr, steps=1500, seeds=range(3)) for lr in (0.01, 0.04))
    assert high.floor["plateau"].iloc[0] > 2 * low.floor["plateau"].iloc[0]


def test_noise_floor_matches_the_iid_prediction_when_an_epoch_outlasts_the_relaxation_time():
    # lr·λmin ≈ 0.2: a band relaxes in ~5 steps, well inside an epoch of 2000/B ≥ 31 steps.
    swept = gd.sweep_batch_sizes(NOISY, [16, 64], lr=0.1, steps=3000, seeds=range(4))
    ratio = swept.floor["plateau"] / swept.floor["predicted"]
    assert ((ratio > 0.75) & (ratio < 1.33)).all()


def test_full_batch_has_no_noise_floor():
    swept = gd.sweep_batch_sizes(NOISY, [1, NOISY.n], lr=0.02, steps=2000)
    assert swept.floor["plateau"].iloc[1] < 1e-6 * swept.floor["plateau"].iloc[0]
    assert gd.predicted_floor(NOISY, 0.02, NOISY.n) == 0


def test_epochs_give_each_batch_size_its_own_number_of_steps_and_the_same_points_read():
    swept = gd.sweep_batch_sizes(NOISY, [10, 300], lr=0.02, epochs=2)
    assert swept.summary["steps_run"].tolist() == [400, 14]  # 2·ceil(2000/B)
    assert swept.summary["points_read"].tolist() == [4000, 4000]
    assert swept.summary["points_per_step"].tolist() == pytest.approx([10, 4000 / 14])
    assert swept.frame.groupby("run")["epoch"].max().tolist() == [2, 2]  # the last row opens a third epoch


@pytest.mark.parametrize(
    "settings",
    [
        {"batch_sizes": [0]},
        {"lr": -1.0},
        {"steps": None},
        {"epochs": 3},
        {"seeds": range(300)},
        {"steps": 90_000, "batch_sizes": [1000, 999, 998]},
    ],
)
def test_batch_size_sweep_refuses_bad_or_oversized_requests(settings):
    arguments = {"batch_sizes": [4], "lr": 0.02, "steps": 10} | settings
    with pytest.raises(ValueError):
        gd.sweep_batch_sizes(NOISY, **arguments)
