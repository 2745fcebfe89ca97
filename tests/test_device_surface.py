"""Device resolution and loss surfaces."""

import numpy as np
import pytest
import torch

import gd_core as gd


def test_auto_picks_an_available_device_without_a_note():
    resolved = gd.resolve_device("auto")
    assert resolved.device.type == gd.available_devices()[0]
    assert resolved.note == ""


@pytest.mark.parametrize("name", ["cuda", "mps"])
def test_unavailable_device_falls_back_to_cpu_with_a_note(name):
    if name in gd.available_devices():
        pytest.skip(f"{name} is available here")
    resolved = gd.resolve_device(name)
    assert resolved.device == torch.device("cpu")
    assert name.upper() in resolved.note


@pytest.mark.parametrize("name", ["tpu", "", "cuda:999", "../etc", None])
def test_unusable_names_never_raise(name):
    resolved = gd.resolve_device(name)
    assert isinstance(resolved.device, torch.device)


def test_dtype_is_float64_except_on_mps():
    assert gd.resolve_device("cpu").dtype == torch.float64
    assert gd.ResolvedDevice(torch.device("mps")).dtype == torch.float32


def test_runs_happen_on_the_requested_device(device):
    run = gd.descend(gd.seed_problem(), lr=0.05, steps=3, start=-4, device=device)
    assert run.device.startswith(device)


def test_mse_surface_equals_direct_evaluation(device):
    rng = np.random.default_rng(0)
    x = rng.normal(2, 3, 1000)
    y = -0.7 * x + 4 + rng.normal(0, 1, 1000)
    problem = gd.LinearRegression(x, y)
    surface = gd.loss_surface(problem, [(-3, 2), (0, 8)], resolution=30, device=device)
    assert len(surface) == 900 and list(surface.columns) == ["w", "b", "loss"]
    assert surface["w"].min() == -3 and surface["b"].max() == 8
    w, b = surface["w"].to_numpy(), surface["b"].to_numpy()
    direct = ((w[:, None] * x + b[:, None] - y) ** 2).mean(1)
    np.testing.assert_allclose(surface["loss"], direct, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(gd.TEST_FUNCTIONS))
def test_test_function_surface_equals_direct_evaluation(name):
    problem = gd.test_function(name)
    surface = gd.loss_surface(problem, problem.view, resolution=25)
    direct = {
        "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        "saddle": lambda x, y: x**2 - y**2,
        "ill_conditioned": lambda x, y: 0.5 * (x**2 + 25 * y**2),
    }[name]
    np.testing.assert_allclose(surface["loss"], direct(surface["x"], surface["y"]), rtol=1e-12)
    for minimum in problem.minima:
        assert float(problem.loss(torch.tensor(minimum, dtype=torch.float64))) == pytest.approx(0, abs=1e-9)


def test_scalar_surface_is_a_curve_without_non_finite_points():
    curve = gd.loss_surface(gd.ScalarProblem.from_expression("log(a)"), [(-1, 3)], resolution=40)
    assert list(curve.columns) == ["a", "loss"]
    assert (curve["a"] > 0).all() and np.isfinite(curve["loss"]).all()
    assert len(curve) == 30  # the ten grid points with a ≤ 0 are left out


def test_surface_rejects_bad_arguments():
    with pytest.raises(ValueError, match="range"):
        gd.loss_surface(gd.seed_problem(), [(0, 1), (0, 1)])
    with pytest.raises(ValueError, match="resolution"):
        gd.loss_surface(gd.seed_problem(), [(0, 1)], resolution=10**6)


@pytest.mark.parametrize("last", [1000, 1024, 997, 399, 5000])
def test_step_slider_reaches_the_last_step_when_thinned(last):
    import pandas as pd

    from charts.kit import step_slider, thin, thinning_stride

    frame = pd.DataFrame({"step": range(last + 1)})
    stride = thinning_stride(last)
    thinned = thin(frame, stride)
    assert stride % 2 == 1 and len(thinned) <= 401 and thinned["step"].max() == last
    binding = step_slider(last, stride=stride).param.to_dict()["bind"]
    assert binding["max"] >= last and binding["max"] % stride == 0
