"""Work budgets (issue 9): gd_core prices each request and refuses one over its budget with a message; every page,
driven at the most expensive settings its controls and links allow, shows a result or that message, never a crash."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from pagetools import assert_charts_clean, assert_no_exception, charts, run_page, shown

import gd_core as gd
from gd_core import budget as gb
from lessons import LESSONS
from lessons.learning_rate import controls as learning_rate
from lessons.one_weight import controls as one_weight
from lessons.optimizers import controls as opt_controls
from lessons.optimizers import race
from ui import data_controls as dc

TINY = gd.Budget(seconds=1e-3, megabytes=1)


@pytest.fixture(scope="module")
def big_csvs() -> dict[str, bytes]:
    """The upload caps, generated once, in memory: 1,000,000 rows × 2 numbers (24 MB); 990,000 rows × 25 text cells
    and 25,000 rows × 1,000 numbers (both just under 50 MB)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 1_000_000)
    frame = pd.DataFrame({"area": x, "price": 2000 * x + 50_000 + rng.normal(0, 500, len(x))})
    tall = io.StringIO()
    frame.to_csv(tall, index=False, float_format="%.8g")
    text_row = ",".join("abcdefghijklmnopqrstuvwxy").encode()  # 25 one-letter cells: 50 bytes a row
    wide_row = ",".join(str(v) for v in rng.integers(0, 10, 1000)).encode()  # 1,000 one-digit cells
    return {
        "tall": tall.getvalue().encode(),
        "text": b"\n".join([text_row] * 990_000),  # a header of words and 989,999 more rows of words
        "wide": b"\n".join([wide_row] * 25_000),
    }


# --- gd_core: the estimates and the checks ---------------------------------------------------------------------


def test_a_descent_over_its_budget_is_refused_with_the_estimated_seconds_and_what_to_reduce():
    line = gd.LinearRegression(*gd.synthetic(n=1000, seed=0).frame().to_numpy().T)
    with pytest.raises(gd.BudgetError, match=r"this would take ~.* s .*fewer epochs or a smaller batch"):
        gd.descend(line, lr=0.01, steps=10_000, start=(0, 0), batch_size=1, budget=TINY)
    with pytest.raises(gd.BudgetError, match="fewer steps or learning rates"):
        gd.sweep(line, lrs=[0.1] * 64, steps=1000, start=(0, 0), budget=TINY)
    assert issubclass(gd.BudgetError, ValueError)  # pages that show ValueErrors show this one too


def test_the_default_budget_lets_every_request_gd_core_accepts_run():
    for torch_steps in (False, True):
        gb.check_descent(None, steps=gd.MAX_STEPS, runs=8, n=1_000_000, batch_size=None, torch_steps=torch_steps)
    gb.check_descent(None, steps=gd.MAX_STEPS, n=1_000_000, batch_size=10)
    gb.check_surface(None, cells=1000**2, torch_cells=True)
    gb.check_csv(None, rows=1_000_000, columns=25, as_text=True)


def test_the_estimate_is_the_sum_of_its_parts():
    cost = gb.descent_cost(999, runs=1, n=10_000, batch_size=100)  # 1000 steps: 10 epochs of 100 batches
    expected = 1000 * gb.STEP_S + 1000 * gb.RUN_STEP_S + 10_000 * gb.POINT_S + 10 * 10_000 * gb.SHUFFLE_S
    assert cost.seconds == pytest.approx(expected)


@pytest.mark.parametrize("batch_size", [None, 1, 64])
def test_affordable_steps_is_the_largest_request_within_the_budget(batch_size):
    budget = dc.PAGE_BUDGET
    k = gb.affordable_steps(budget, n=5000, batch_size=batch_size)
    gb.check_descent(budget, steps=k, n=5000, batch_size=batch_size)
    with pytest.raises(gd.BudgetError):
        gb.check_descent(budget, steps=k + 1, n=5000, batch_size=batch_size)


def test_read_csv_and_loss_surface_check_their_budget_before_any_work(big_csvs):
    with pytest.raises(gd.BudgetError, match="fewer rows or columns"):
        gd.read_csv(big_csvs["wide"], budget=TINY)
    line = gd.LinearRegression(np.arange(10.0), np.arange(10.0))
    with pytest.raises(gd.BudgetError, match="a coarser grid"):
        gd.loss_surface(line, [(0, 1), (0, 1)], 1000, budget=TINY)


def test_a_file_of_numbers_reads_the_same_on_the_fast_path_as_cell_by_cell():
    text = b"a,b,c\n1,2.5,3e-3\n-4,0.1,1e300\n7,8,9\n"
    fast = gd.read_csv(text)
    slow = gd.read_csv(text + b"x,,\n")  # one text cell: the text path (its last row is not a number)
    pd.testing.assert_frame_equal(fast, slow.iloc[:3].astype(fast.dtypes.to_dict()))
    assert list(fast.columns) == fast.attrs["file_columns"] == ["a", "b", "c"]
    headless = gd.read_csv(b"1,2\n3,4\n")
    assert list(headless.columns) == ["column 1", "column 2"] and headless.to_numpy().tolist() == [[1, 2], [3, 4]]


def test_the_membership_of_listed_points_is_the_full_table_filtered_to_them():
    for n, batch, steps in ((100, 7, 40), (50, 50, 5), (1000, 1, 300)):
        full = gd.batch_membership(n, batch, steps, 3)
        points = np.sort(np.random.default_rng(1).choice(n, size=20, replace=False))
        wanted = full[full["index"].isin(points) & full["step"].isin([0, 3, 4, steps - 1])]
        got = gd.batch_membership_of(n, batch, steps, 3, points, only_steps=[0, 3, 4, steps - 1])
        pd.testing.assert_frame_equal(got, wanted.sort_values(["step", "index"], ignore_index=True))


def test_a_fit_on_standardised_data_converts_back_to_the_least_squares_line_in_the_file_units():
    rng = np.random.default_rng(2)
    x = rng.uniform(50, 250, 200)
    y = 2000 * x + 50_000 + rng.normal(0, 5000, 200)
    scaled = gd.standardise(gd.Dataset(x, y))
    w, b = gd.LinearRegression(scaled.dataset.x, scaled.dataset.y).least_squares()
    assert scaled.scale.to_original(w, b) == pytest.approx(tuple(np.polyfit(x, y, 1)), rel=1e-9)
    assert gd.critical_lr(gd.LinearRegression(scaled.dataset.x, scaled.dataset.y)) == pytest.approx(1.0)


# --- pages at their most expensive settings ----------------------------------------------------------------------


def upload(page: str, content: bytes, name: str = "big.csv"):
    at = run_page(page)
    at.radio(key="data.source").set_value("Upload CSV").run()
    at.file_uploader(key="data.upload").set_value((name, content, "text/csv")).run()
    return at


def messages(at) -> str:
    return " ".join(shown(e.value) for e in [*at.error, *at.warning, *at.info])


@pytest.mark.parametrize("kind", ["text", "wide"])
def test_a_file_at_the_cap_that_is_too_much_work_is_refused_with_a_message(big_csvs, kind):
    at = upload("lessons/fitting_a_line/page.py", big_csvs[kind])
    assert_no_exception(at)
    assert "This would take ~" in messages(at) and "fewer rows or columns" in messages(at)
    assert not charts(at)


def test_an_unusable_file_is_parsed_once_and_its_error_kept(monkeypatch, big_csvs):
    calls = []
    monkeypatch.setattr(gd, "read_csv", lambda *a, **k: calls.append(1) or gd.data.read_csv(*a, **k))
    at = upload("lessons/fitting_a_line/page.py", b"a,b\nfoo,bar\n" + b"x,y\n" * 10)
    at.run()
    at.slider(key="fitting-a-line.steps").set_value(500).run()
    assert_no_exception(at)
    assert "two numeric columns" in messages(at) and len(calls) == 1


def test_the_session_keeps_a_digest_not_the_uploaded_bytes(big_csvs):
    at = upload("lessons/fitting_a_line/page.py", big_csvs["tall"])
    assert_no_exception(at)
    file_id, name, digest = at.session_state["_data.upload_file"]
    assert name == "big.csv" and len(digest) == 64 and isinstance(file_id, str)


def test_a_million_rows_on_the_minibatch_page_at_every_extreme_give_a_result_or_the_budget_message(big_csvs):
    at = upload("lessons/minibatches/page.py", big_csvs["tall"])
    assert_no_exception(at)
    for batch, epochs in ((1_000_000, 50), (1, 50), (1, 1), (1000, 50)):
        at.number_input(key="minibatches.batch").set_value(batch)
        at.slider(key="minibatches.epochs").set_value(epochs).run()
        assert_no_exception(at)
        assert charts(at) or "this would take ~" in messages(at), (batch, epochs, messages(at))
    at.number_input(key="minibatches.batch").set_value(1_000_000)  # the request: B = n, 50 epochs
    at.slider(key="minibatches.epochs").set_value(50).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    (_, datasets), *_ = charts(at)
    assert max(len(frame) for frame in datasets.values()) <= 30_000  # only what is shipped was built


def test_a_million_rows_on_the_line_page_at_the_most_steps_fit_within_the_budget(big_csvs):
    at = upload("lessons/fitting_a_line/page.py", big_csvs["tall"])
    at.checkbox(key="data.standardise").check().run()
    at.slider(key="fitting-a-line.steps").set_value(1000).run()
    assert_no_exception(at)
    assert_charts_clean(at)


EXTREMES = {
    "one-weight": {"one-weight.steps": "200"},
    "learning-rate": {"learning-rate.steps": "1000", "learning-rate.count": "128", "learning-rate.n": "500"},
    "optimizers": {"optimizers.steps": "2000", "optimizers.within_budget": "true"},
}


@pytest.mark.parametrize("slug", list(EXTREMES))
def test_the_other_pages_at_their_most_expensive_link_run_cleanly(slug):
    (page,) = [lesson.page for lesson in LESSONS if lesson.slug == slug]
    at = run_page(page, EXTREMES[slug])
    assert_no_exception(at)
    assert_charts_clean(at)


# --- pages 1, 4 and 5: their own budgets ----------------------------------------------------------------------


def test_sweeps_pay_per_rate_and_a_race_is_the_sum_of_its_descents_on_the_surface_rate():
    one = gb.descent_cost(99, runs=12, step_s=gb.SURFACE_STEP_S)
    assert one.seconds == pytest.approx(100 * gb.SURFACE_STEP_S + 12 * 100 * gb.RUN_STEP_S)
    assert gb.descent_cost(99, runs=12, torch_steps=True).seconds == pytest.approx(
        100 * gb.TORCH_STEP_S + 12 * 100 * gb.RUN_STEP_S
    )  # autograd or torch.optim: the rates advance as one tensor either way
    race_cost = gb.race_cost(99, optimizers=5, runs=12, newton_steps=50)
    assert race_cost.seconds == pytest.approx(5 * one.seconds + 51 * gb.NEWTON_STEP_S)


@pytest.mark.parametrize("optimizers,newton", [(5, 100), (1, 0), (3, 100)])
def test_affordable_race_steps_is_the_largest_race_within_the_budget(optimizers, newton):
    budget = race.RACE_BUDGET
    k = gb.affordable_race_steps(budget, optimizers=optimizers, newton_steps=newton)
    gb.check_race(budget, steps=k, optimizers=optimizers, newton_steps=min(newton, k))
    with pytest.raises(gd.BudgetError, match="fewer steps or fewer optimizers"):
        gb.check_race(budget, steps=k + 1, optimizers=optimizers, newton_steps=min(newton, k + 1))


def test_the_most_expensive_settings_of_pages_1_and_4_fit_their_budgets():
    """Page 1 at 200 steps (a typed loss: autograd) and page 4 at 128 rates × 1000 steps of the tutorial's loss
    (autograd) run, not refuse: their budgets exist for what a later control could add."""
    gb.check_descent(one_weight.PAGE_BUDGET, steps=200, torch_steps=True)
    gb.check_descent(learning_rate.PAGE_BUDGET, steps=1000, runs=128, torch_steps=True)
    at = run_page("lessons/one_weight/page.py", {"one-weight.steps": "200", "one-weight.loss": "sin(a)**2 + a**2/10"})
    assert_no_exception(at)
    assert_charts_clean(at)
    assert len(at.dataframe[0].value) == 201  # every step, none cut


def test_a_sweep_over_the_learning_rate_pages_budget_says_so_and_never_crashes(monkeypatch):
    monkeypatch.setattr(learning_rate, "PAGE_BUDGET", TINY)
    st.cache_data.clear()  # the sweeps of this link, run at the real budget by another test, are cached
    at = run_page("lessons/learning_rate/page.py", EXTREMES["learning-rate"])
    assert_no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "128 runs × 1,000 steps: this would take ~" in warnings and "fewer steps or learning rates" in warnings


OPTIMIZERS = [gd.OPTIMIZER_LABELS[name] for name in gd.OPTIMIZERS]


def race_at(query: dict):
    at = run_page("lessons/optimizers/page.py", {"optimizers.optimizers": OPTIMIZERS, **query})
    assert_no_exception(at)
    return at


def test_a_race_over_its_budget_says_why_and_runs_only_when_asked_to_run_the_steps_that_fit():
    at = race_at({"optimizers.steps": "2000"})
    assert "5 optimizers × 2,000 steps: this would take ~" in messages(at)
    assert "fewer steps or fewer optimizers" in messages(at)
    assert not charts(at)  # nothing silently cut: the page waits for the visitor's choice
    k = gb.affordable_race_steps(race.RACE_BUDGET, optimizers=5, newton_steps=opt_controls.SECOND_ORDER_STEPS)
    k -= k % 10
    toggle = at.toggle(key="optimizers.within_budget")
    assert f"Race the first {k:,} steps instead" in toggle.label
    toggle.set_value(True).run()
    assert_no_exception(at)
    assert_charts_clean(at)
    table = next(d.value for d in at.dataframe if "final loss" in d.value.columns)
    gd_row = table[table["optimizer"] == gd.OPTIMIZER_LABELS["gd"]].iloc[0]
    problem = gd.test_function("ill_conditioned")
    lr = opt_controls.default_lr("ill_conditioned", "gd")
    own = gd.descend(problem, lr=lr, steps=k, start=problem.default_start).summary["final_loss"].iloc[0]
    assert gd_row["final loss"] == pytest.approx(own, rel=1e-9, abs=1e-300)  # the race ran k steps, not 2000


def test_the_best_lr_race_at_the_most_steps_tunes_on_the_steps_its_budget_allows_and_says_so():
    best = race.MODES["best"]
    at = race_at({"optimizers.steps": "2000", "optimizers.within_budget": "true", "optimizers.race": best})
    assert_charts_clean(at)
    horizon = race.tuning_steps(2000)
    assert 10 <= horizon < 2000
    assert any(f"Tuned on the first {horizon} of the " in c.value for c in at.caption)
    tuned = next(d.value for d in at.dataframe if "best lr" in d.value.columns)
    assert f"final loss after {horizon} steps" in tuned.columns
    problem = gd.test_function("ill_conditioned")
    label, lr, loss = tuned.iloc[0]
    assert label == gd.OPTIMIZER_LABELS["gd"]
    own = gd.descend(problem, lr=lr, steps=horizon, start=problem.default_start).summary["final_loss"].iloc[0]
    assert loss == pytest.approx(own, rel=1e-9, abs=1e-300)


def test_tuning_covers_the_whole_race_when_it_fits_and_its_estimate_fits_the_tuning_budget():
    assert race.tuning_steps(50) == 50
    horizon = race.tuning_steps(2000)
    assert race._tune_cost(horizon).seconds <= race.TUNE_BUDGET.seconds < race._tune_cost(horizon + 10).seconds


# --- memory after the sessions leave -----------------------------------------------------------------------------


def test_the_reaper_drops_expired_entries_of_a_cache_nobody_calls_any_more():
    import time

    from ui import memory

    calls = []

    @st.cache_data(ttl=0.2)
    def held(k: int) -> bytes:
        calls.append(k)
        return bytes(1000)

    held(1), held(2), held(1)
    assert calls == [1, 2]
    time.sleep(0.3)
    assert memory.reap_once() >= 2  # both gone without a call to `held` (Streamlit alone drops them when next called)
    assert memory.expire_caches() == 0
    held(1)
    assert calls == [1, 2, 1]  # recomputed: the entry had gone


def test_the_race_at_its_default_steps_with_every_optimizer_fits_its_budget():
    gb.check_race(
        race.RACE_BUDGET, steps=300, optimizers=len(gd.FIRST_ORDER), newton_steps=opt_controls.SECOND_ORDER_STEPS
    )
