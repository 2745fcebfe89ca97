"""Issue 14 on the optimizers page: the race modes, the tuned rates, and Newton's method as the reference."""

import numpy as np
import pytest
from pagetools import assert_charts_clean, assert_no_exception, run_page

import gd_core as gd
from lessons.optimizers import controls, race
from ui.numbers import shown_number

PAGE = "lessons/optimizers/page.py"
STEPS = 50  # within what the tuning covers whole (race.tuning_steps), and quick


def race_page(mode: str, surface: str = "ill_conditioned"):
    at = run_page(PAGE)
    at.selectbox(key="optimizers.surface").set_value(surface)
    at.slider(key="optimizers.steps").set_value(STEPS)
    at.radio(key="optimizers.race").set_value(mode).run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_default_race_says_it_is_set_by_hand():
    at = run_page(PAGE)
    assert_no_exception(at)
    assert any("Race mode: **set by hand**" in text for text in captions(at))


def test_best_mode_rates_are_gd_cores_best_on_the_ladder_and_drive_the_race():
    at = race_page("best")
    assert_charts_clean(at, 1)
    table = next(d.value for d in at.dataframe if "best lr" in d.value.columns)
    start = gd.test_function("ill_conditioned").default_start
    ladder = list(controls.LR_CHOICES)
    for label, lr, shown_loss in table.itertuples(index=False):
        name = next(k for k, v in gd.OPTIMIZER_LABELS.items() if v == label)
        summary = gd.sweep(gd.test_function("ill_conditioned"), lrs=ladder, steps=STEPS, start=start, optimizer=name)
        summary = summary.summary
        own = summary.loc[np.isclose(summary["lr"], lr), "final_loss"].iloc[0]
        assert shown_loss == pytest.approx(own, rel=1e-9, abs=1e-300)  # the table's loss is gd_core's at that lr
        finished = summary[summary["diverged_at"].isna()]
        arrived = finished[finished["final_loss"] < race.TARGET_LOSS]
        expected = arrived["lr"].min() if len(arrived) else finished.loc[finished["final_loss"].idxmin(), "lr"]
        assert lr == pytest.approx(expected, rel=1e-12)  # the smallest rate that arrives, else the lowest loss
    used = next(text for text in captions(at) if text.startswith("Learning rates: "))
    assert f"{gd.OPTIMIZER_LABELS['gd']} {table['best lr'].iloc[0]:g}" in used
    import pyarrow as pa

    element = next(d for d in at.dataframe if "best lr" in d.value.columns)
    cells = pa.ipc.open_stream(element.proto.arrow_data.styler.display_values).read_pandas()
    losses = cells[f"final loss after {STEPS} steps"]
    assert list(losses) == [shown_number(v, 4) for v in table[f"final loss after {STEPS} steps"]]
    assert any("e−" in text for text in losses) and not any("-" in text for text in losses)  # "1.2e−7", not "e-07"


def test_shared_mode_races_every_first_order_optimizer_at_the_slider_rate():
    at = race_page("shared")
    at.select_slider(key="optimizers.shared_lr_ill_conditioned").set_value(0.02).run()
    used = next(text for text in captions(at) if text.startswith("Learning rates: "))
    assert used.count(" 0.02") == len(gd.FIRST_ORDER)
    assert any("all at one shared lr" in text for text in captions(at))


@pytest.mark.parametrize("surface", ["ill_conditioned", "saddle"])
def test_newton_reference_caption_matches_one_newton_step(surface):
    problem = gd.test_function(surface)
    frame = gd.descend(problem, lr=race.NEWTON_LR, steps=1, start=problem.default_start, optimizer="newton").frame
    np.testing.assert_allclose(frame[["x", "y"]].iloc[-1], (0.0, 0.0), atol=1e-12)  # the minimum / the saddle point
    at = race_page("hand", surface)
    assert any(race.NEWTON_NOTES[surface] in text for text in captions(at))
