"""Page 1 · One weight: the tutorial's numbers, its three regimes, divergence, and typed-in losses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page

import gd_core as gd
from lessons.one_weight import charts as scalar

PAGE = "lessons/one_weight/page.py"


def closed_form(lr: float, start: float, steps: int) -> np.ndarray:
    """A_k = −1 + (1 − 18·lr)^k · (A_0 + 1): gradient descent on (3 + 3A)²."""
    return -1 + (1 - 18 * lr) ** np.arange(steps + 1) * (start + 1)


def table(at) -> pd.DataFrame:
    return at.dataframe[0].value


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def params(spec):
    """Every parameter declared anywhere in a Vega-Lite spec."""
    if isinstance(spec, dict):
        yield from spec.get("params", [])
        for value in spec.values():
            yield from params(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from params(value)


def with_controls(**values):
    """Run the page, then set the given widgets (by key suffix) and rerun."""
    at = run_page(PAGE)
    for key, value in values.items():
        widget = {"lr": at.select_slider, "start": at.number_input, "steps": at.slider, "pick": at.number_input}[key]
        widget(key=f"one-weight.{key}").set_value(value)
    return at.run()


@pytest.fixture(scope="module")
def default():
    return run_page(PAGE)


def test_default_page_renders_one_clean_chart_without_exception(default):
    assert_no_exception(default)
    assert_charts_clean(default, minimum=1)
    assert not default.error


def test_default_table_matches_the_closed_form_at_every_step(default):
    frame = table(default)
    assert list(frame.columns) == ["step", "A", "f'(A)", "lr·f'(A)", "new A", "loss"]
    assert frame["step"].tolist() == list(range(21))
    expected = closed_form(0.05, -4.0, 20)
    np.testing.assert_allclose(frame["A"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame["f'(A)"], 18 * (expected + 1), rtol=0, atol=1e-10)
    np.testing.assert_allclose(frame["new A"].iloc[:-1], expected[1:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame["loss"], (3 + 3 * expected) ** 2, rtol=1e-6, atol=1e-24)


def test_first_update_is_written_out_with_the_tutorials_numbers(default):
    latex = texts(default.latex)
    assert r"= -4 - 0.05 \times 18\,(-4 + 1) = -4 - 0.05 \times \left(-54\right) = -1.3" in latex
    assert r"\mathrm{Loss}(A) = (3 + 3A)^2" in latex and "18\\,(A + 1)" in latex


def test_default_status_says_converges_with_factor_one_tenth(default):
    assert "Converges" in texts(default.success)
    assert r"= 0.1^k\cdot \left(-3\right)" in texts(default.latex)


def test_hand_derivative_equals_autograd_at_the_start(default):
    import pyarrow as pa

    shown = default.table[0].value
    assert shown.iloc[0]["by hand, 18(A + 1)"] == -54 and shown.iloc[0]["by torch autograd"] == -54
    assert float(shown.iloc[0]["difference"]) == 0
    # shown to the last digit (%.17g) with the minus sign: the Styler's display values
    cells = pa.ipc.open_stream(default.table[0].proto.arrow_data.styler.display_values).read_pandas()
    assert cells.iloc[0]["by hand, 18(A + 1)"] == "−54" and cells.iloc[0]["by torch autograd"] == "−54"


def test_picked_step_is_written_out_from_its_table_row():
    at = with_controls(pick=2)
    assert_no_exception(at)
    assert r"A_{3} = A_{2} - \mathrm{lr}\cdot f'(A_{2}) = -1.03 - 0.05 \times" in texts(at.latex)
    assert r"= -1.003" in texts(at.latex)


def test_tangent_segments_have_slope_f_prime_at_every_step(default):
    (_, datasets), *_ = charts(default)
    (tangent,) = [d for d in datasets.values() if "a_lo" in d.columns]
    assert tangent["step"].tolist() == list(range(21))
    touching = (tangent["a_lo"] + tangent["a_hi"]) / 2  # the segment is centred on A_k
    np.testing.assert_allclose(touching, closed_form(0.05, -4.0, 20), atol=1e-9)
    slope = (tangent["loss_hi"] - tangent["loss_lo"]) / (tangent["a_hi"] - tangent["a_lo"])
    np.testing.assert_allclose(slope, 18 * (touching + 1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("lr", "start"), [(0.01, -4.0), (0.1, 50.0)])
def test_table_matches_closed_form_for_other_settings(lr, start):
    at = with_controls(lr=lr, start=start, steps=30)
    np.testing.assert_allclose(table(at)["A"], closed_form(lr, start, 30), rtol=1e-12, atol=1e-12)


def test_lr_one_ninth_oscillates_forever_between_minus_four_and_two():
    at = with_controls(lr=1 / 9)
    assert_charts_clean(at)
    assert "oscillates forever" in texts(at.warning).lower()
    assert table(at)["A"].tolist() == [-4.0, 2.0] * 10 + [-4.0]


def test_lr_one_eighteenth_lands_in_one_step():
    at = with_controls(lr=1 / 18)
    assert "Lands in one step" in texts(at.success)
    assert (table(at)["A"].iloc[1:] == -1.0).all()


def test_lr_point_three_diverged_at_step_eight_and_shows_the_kept_steps():
    at = with_controls(lr=0.3, steps=200)
    assert_no_exception(at)
    assert_charts_clean(at)
    assert "diverged at step 8" in texts(at.error)
    frame = table(at)
    assert frame["step"].tolist() == list(range(8))  # 81·4.4^(2k) first exceeds 10^10 × 81 at k = 8
    np.testing.assert_allclose(frame["A"], closed_form(0.3, -4.0, 7), rtol=1e-12)


def test_lr_point_one_two_diverges_and_is_cut_with_enough_steps():
    at = with_controls(lr=0.12)
    assert "Diverges" in texts(at.warning) and not at.error  # 1.16^20: growing, not yet cut
    at.slider(key="one-weight.steps").set_value(200).run()
    assert_charts_clean(at)
    assert "diverged at step" in texts(at.error)


def test_diverging_view_widens_with_the_slider_and_converging_view_stays_put(default):
    def views(at):
        (spec, _), *_ = charts(at)
        (param,) = [p for p in params(spec) if p["name"] == "curve_view"]
        return np.array(param["value"])

    steady = views(default)
    assert (steady == steady[0]).all()
    assert steady[0][0] < -4 and steady[0][1] > 2  # the whole bowl, minimum in the middle
    growing = views(with_controls(lr=0.3, steps=200))
    assert (np.diff(growing[:, 0]) <= 0).all() and (np.diff(growing[:, 1]) >= 0).all()
    assert growing[0][1] - growing[0][0] < 100 < growing[-1][1] - growing[-1][0]


def test_every_control_at_its_min_and_max_reruns_cleanly():
    at = run_page(PAGE)
    for key, low, high in [("lr", 0.001, 0.3), ("start", -50.0, 50.0), ("steps", 1, 200), ("pick", 0, 7)]:
        widget = {"lr": at.select_slider, "start": at.number_input, "steps": at.slider, "pick": at.number_input}[key]
        for value in (low, high):
            widget(key=f"one-weight.{key}").set_value(value)
            at.run()
            assert_no_exception(at)
            assert_charts_clean(at)
            assert widget(key=f"one-weight.{key}").value == value


def test_step_pick_beyond_a_shorter_run_is_clamped():
    at = with_controls(pick=20)
    at.select_slider(key="one-weight.lr").set_value(0.3).run()  # 20 steps diverge at 8: only steps 0–7 remain
    assert_no_exception(at)
    assert at.number_input(key="one-weight.pick").value == 7


def test_valid_custom_loss_renders_with_autograd_only():
    at = run_page(PAGE)
    at.text_input(key="one-weight.loss").input("sin(a) + a**2/10").run()
    assert_no_exception(at)
    assert_charts_clean(at)
    assert not at.error
    assert r"\mathrm{Loss}(a) = \sin\left(a\right) + \frac{a^{2}}{10}" in texts(at.latex)
    frame = table(at)
    assert list(frame.columns) == ["step", "a", "f'(a)", "lr·f'(a)", "new a", "loss"]
    assert frame["f'(a)"].iloc[0] == pytest.approx(math.cos(-4) - 4 / 5, rel=1e-12)
    assert "autograd only" in texts(at.caption)


def test_hostile_expressions_show_an_error_and_keep_the_last_good_loss():
    at = run_page(PAGE)
    at.text_input(key="one-weight.loss").input("sin(a) + a**2/10").run()
    good = table(at)
    for hostile in ["__import__('os')", "a.__class__", "(" * 500]:
        at.text_input(key="one-weight.loss").input(hostile).run()
        assert_no_exception(at)
        assert at.error, f"the parser's message should show under the box for {hostile[:20]!r}"
        assert_charts_clean(at)
        assert r"\sin\left(a\right)" in texts(at.latex)
        pd.testing.assert_frame_equal(table(at), good)


def test_hostile_expression_first_keeps_the_tutorials_loss():
    at = run_page(PAGE)
    at.text_input(key="one-weight.loss").input("a.__class__").run()
    assert at.error and "attribute access" in texts(at.error)
    assert_charts_clean(at)
    np.testing.assert_allclose(table(at)["A"], closed_form(0.05, -4.0, 20), atol=1e-12)


def test_loss_not_finite_at_the_start_is_a_message_not_a_traceback():
    at = run_page(PAGE)
    at.text_input(key="one-weight.loss").input("log(a)").run()  # a₀ = −4: log is not finite there
    assert_no_exception(at)
    assert "not finite at the start" in texts(at.error)
    assert_charts_clean(at)  # and the page falls back to the last loss that ran: the tutorial's
    assert "Still showing the last loss that worked" in " ".join(c.value for c in at.caption)


# --- the chart module's pure helpers ------------------------------------------------------------


def test_quadratic_regimes_follow_the_contraction_factor():
    critical = gd.critical_lr(gd.seed_problem(), at=-4.0, device="cpu")
    assert critical == pytest.approx(1 / 9)
    kinds = {lr: gd.regime(lr, 2 / critical) for lr in (0.05, 1 / 18, 0.08, 1 / 9, 0.12)}
    assert kinds == {
        0.05: "steady",
        1 / 18: "one step",
        0.08: "overshooting",
        1 / 9: "oscillating",
        0.12: "diverging",
    }
    assert gd.contraction(0.08, 2 / critical) == pytest.approx(1 - 18 * 0.08)
    assert gd.regime(0.3, 0.0) == gd.regime(0.3, -18.0) == "steady"  # flat or concave: no threshold


@pytest.mark.parametrize(("lr", "most"), [(0.05, 1), (0.12, 20), (0.3, 8)])
def test_curve_ranges_cover_every_window_with_at_least_half_a_grid(lr, most):
    run = gd.descend(gd.seed_problem(), lr=lr, steps=200, start=-4.0, device="cpu").run(0)
    windows = scalar.step_windows(run, "A", gd.seed_problem().minima[0][0])
    ranges = scalar.curve_ranges(windows)
    assert len(ranges) <= most
    for lo, hi in zip(windows["x_lo"], windows["x_hi"], strict=True):
        assert any(r_lo <= lo and hi <= r_hi and (r_hi - r_lo) <= 2 * (hi - lo) for r_lo, r_hi in ranges)
