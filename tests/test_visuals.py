"""What the charts show while they play (#11): divergence that stays on screen, a typed loss's shape, the step arrow,
the legend, the CSV, the lecture running order, and page 5's contours."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import gd_core as gd
from charts.kit import strict_spec
from lessons.one_weight import charts as scalar


def walk(spec):
    """Every dict anywhere in a spec."""
    if isinstance(spec, dict):
        yield spec
        for value in spec.values():
            yield from walk(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from walk(value)


def data_sets(spec) -> list[list[dict]]:
    """Every data set of a spec: the top-level datasets and inline values."""
    inline = [d["values"] for d in walk(spec) if isinstance(d.get("values"), list) and d["values"]]
    inline = [v for v in inline if isinstance(v[0], dict)]
    return [*spec.get("datasets", {}).values(), *inline]


def one_weight(lr: float, steps: int, text: str = "", start: float = -4.0):
    """Page 1's run and its finished chart spec, as the page builds them."""
    problem = gd.ScalarProblem.from_expression(text, var="a") if text else gd.seed_problem()
    param = problem.param_names[0]
    frame = gd.descend(problem, lr=lr, steps=steps, start=start, device="cpu").run(0)
    frame = scalar.finite_rows(frame)
    minimum = problem.minima[0][0] if problem.minima else None
    windows = scalar.step_windows(frame, param, minimum)
    ranges = scalar.curve_ranges(windows)
    curve = pd.concat([gd.loss_surface(problem, [r], 300, device="cpu") for r in ranges], ignore_index=True)
    spec = strict_spec(scalar.one_weight_chart(frame, curve, param, minimum=minimum))
    return frame, spec


def views_of(spec) -> np.ndarray:
    (param,) = [p for d in walk(spec) for p in d.get("params", []) if p.get("name") == scalar.DOMAINS]
    return np.array(param["value"])


# --- 2. divergence visible while it plays ------------------------------------------------------------------------


def test_the_diverging_run_stays_inside_the_curve_view_at_every_shown_step():
    frame, spec = one_weight(0.12, 100)  # the scene "0.12 diverges"
    views = views_of(spec)
    a, loss = frame["A"].to_numpy(), frame["loss"].to_numpy()
    landing = a - 0.12 * frame["grad_A"].to_numpy()
    assert len(views) == len(frame)
    for k, (x_lo, x_hi, y_lo, y_hi) in enumerate(views):
        assert x_lo < a[k] < x_hi and x_lo < landing[k] < x_hi  # the point and where it lands
        assert y_lo < loss[k] < y_hi
        if k + 1 < len(frame):
            assert y_lo < loss[k + 1] < y_hi


def test_the_diverging_view_zooms_out_in_a_few_stages_and_holds_still_between_them():
    frame, spec = one_weight(0.12, 100)
    views = views_of(spec)
    changes = np.flatnonzero(np.any(np.diff(views, axis=0) != 0, axis=1))
    stages = len(changes) + 1
    assert 3 <= stages <= 12  # not a new scale every frame (78 frames)
    assert len(frame) / stages >= 6  # each zoom level holds for several steps on average
    widths = views[:, 1] - views[:, 0]
    ratios = widths[changes + 1] / widths[changes]
    assert np.all(ratios > 2)  # each change is a visible zoom-out (×4 on the run's extent)
    # within a stage the point visibly moves outwards: at the stage's last step it is farther than at its first
    a = np.abs(frame["A"].to_numpy() + 1)
    starts = np.r_[0, changes + 1]
    ends = np.r_[changes, len(frame) - 1]
    assert all(a[e] > a[s] for s, e in zip(starts, ends, strict=True) if e > s)


def test_a_converging_run_keeps_one_view():
    _, spec = one_weight(0.05, 20)
    views = views_of(spec)
    assert (views == views[0]).all()


def set_scales(spec, field: str) -> list[dict]:
    """The distinct scales of `field` whose domain is a list of numbers (not one that follows the slider)."""
    found = [d["scale"] for d in walk(spec) if d.get("field") == field and isinstance(d.get("scale"), dict)]
    found = [s for s in found if all(isinstance(v, (int, float)) for v in s.get("domain", [None]))]
    return list({json.dumps(s, sort_keys=True): s for s in found}.values())


def symlog(x, c):
    return np.sign(x) * np.log1p(np.abs(x) / c)


def test_the_a_chart_of_a_diverging_run_is_symlog_so_its_first_fifty_steps_are_not_flat():
    frame, spec = one_weight(0.12, 100)
    (scale,) = set_scales(spec, "a")
    assert scale["type"] == "symlog"
    lo, hi = scale["domain"]
    a = frame["A"].to_numpy()
    assert lo <= a.min() and a.max() <= hi  # every shown step inside the domain
    c = scale["constant"]
    full = symlog(hi, c) - symlog(lo, c)
    early = symlog(a[:51].max(), c) - symlog(a[:51].min(), c)
    linear_early = (a[:51].max() - a[:51].min()) / (hi - lo)
    assert linear_early < 0.03  # on a linear axis steps 0–50 would be flat …
    assert early / full > 0.4  # … on this one they fill a good part of the chart
    (axis,) = {json.dumps(d["axis"]) for d in walk(spec) if d.get("field") == "a" and isinstance(d.get("axis"), dict)
               and "values" in d["axis"]}  # fmt: skip
    ticks = json.loads(axis)["values"]
    assert 0 in ticks and all(lo <= t <= hi for t in ticks) and len(ticks) >= 5  # ±10ᵏ ticks, inside the domain
    assert all(abs(t) == 0 or math.log10(abs(t)).is_integer() for t in ticks)


def test_a_converging_a_chart_stays_linear():
    _, spec = one_weight(0.05, 20)
    scales = [d["scale"] for d in walk(spec) if d.get("field") == "a" and isinstance(d.get("scale"), dict)]
    assert all(s.get("type", "linear") == "linear" for s in scales)


def test_the_loss_chart_of_a_diverging_run_has_a_fixed_log_domain():
    frame, spec = one_weight(0.12, 100)
    (scale,) = set_scales(spec, "loss_shown")  # a domain of its own: it holds still whatever layers are drawn
    assert scale["type"] == "log"
    loss = frame["loss"].to_numpy()
    assert scale["domain"] == pytest.approx([loss.min(), loss.max()])


# --- 4. a typed loss is drawn over a range that shows its shape --------------------------------------------------


def test_a_typed_loss_is_drawn_well_beyond_where_the_run_went():
    frame, spec = one_weight(0.05, 20, "sin(a) + a**2/10")
    views = views_of(spec)
    a = frame["a"].to_numpy()
    assert (views[:, 0] <= a.min()).all() and (views[:, 1] >= a.max()).all()  # the run is on it
    assert (views[:, 1] - views[:, 0] >= 2 * scalar.TYPED_HALF_WIDTH).all()  # and ≥ 10 wide (the run spans 2.7)
    assert a.max() - a.min() < 3
    # the curve data reach that far, so the shape is drawn: sin(a) + a²/10 has its minimum near −1.31 in view
    (curve,) = [rows for rows in data_sets(spec) if rows and set(rows[0]) == {"a", "loss"}]
    xs = np.array([row["a"] for row in curve])
    assert xs.min() <= views[0, 0] + 0.1 and xs.max() >= views[0, 1] - 0.1
    in_view = [np.sin(x) + x**2 / 10 for x in np.linspace(views[0, 0], views[0, 1], 201)]
    assert views[0, 2] < min(in_view) and max(in_view) < views[0, 3]  # y shows the whole curve in the window


# --- 5. the step arrow, the legend ---------------------------------------------------------------------------------


def arrow_rows(spec):
    (rows,) = [rows for rows in data_sets(spec) if rows and "a_next" in rows[0]]
    return rows


def test_no_step_arrow_or_minus_zero_label_once_the_step_is_about_zero():
    _, spec = one_weight(1 / 18, 5)  # lands in one step: every later step is 0
    rows = arrow_rows(spec)
    assert [r["step"] for r in rows] == [0]
    assert all("-" not in r["label"] for r in rows)  # typographic minus
    assert not any(r["label"].endswith("−0") for r in rows)


def test_arrow_labels_use_the_typographic_minus():
    _, spec = one_weight(0.05, 20)
    labels = [r["label"] for r in arrow_rows(spec)]
    assert labels and all("-" not in label and label.startswith("−lr·f′ = ") for label in labels)


def test_legend_swatches_are_as_strong_as_their_marks():
    _, spec = one_weight(0.05, 20)
    legends = [d["legend"] for d in walk(spec) if isinstance(d.get("legend"), dict)]
    assert legends and all(legend.get("symbolOpacity") == 1 for legend in legends)


# --- 5. page 1: a typed learning rate, the CSV ---------------------------------------------------------------------


def test_page_one_takes_a_typed_learning_rate_between_the_ladders_stops():
    from pagetools import assert_no_exception, run_page

    at = run_page("lessons/one_weight/page.py", {"one-weight.lr_typed": "0.115", "one-weight.steps": "30"})
    assert_no_exception(at)
    table = at.dataframe[0].value
    expected = -1 + (1 - 18 * 0.115) ** np.arange(31) * (-4 + 1)  # 0.115 is just above 1/9: it diverges slowly
    np.testing.assert_allclose(table["A"], expected, rtol=1e-12)
    assert at.number_input(key="one-weight.lr_typed").value == 0.115
    assert "0.115" in " ".join(c.value for c in at.caption)
    at.number_input(key="one-weight.lr_typed").set_value(None).run()  # emptied: the slider's lr again
    assert_no_exception(at)
    np.testing.assert_allclose(at.dataframe[0].value["A"].iloc[:21], expected_at(0.05, 20), rtol=1e-12)


def expected_at(lr: float, steps: int) -> np.ndarray:
    return -1 + (1 - 18 * lr) ** np.arange(steps + 1) * (-4 + 1)


def test_page_one_csv_has_lr_and_start_columns_and_integers_as_integers():
    import io

    from lessons.one_weight import controls

    frame = gd.descend(gd.seed_problem(), lr=1 / 18, steps=3, start=-4.0, device="cpu").run(0)
    table = gd.iteration_table(frame, "A")
    text = controls.csv_text(table, 1 / 18, -4.0, "A")
    header, first, second, *_ = text.splitlines()
    assert header.split(",")[:4] == ["step", "lr", "A₀", "A"]
    assert first.split(",")[:4] == ["0", repr(1 / 18), "-4", "-4"]  # −4, not −4.0
    assert second.split(",")[3] == "-1"  # landed: −1 exactly, written as an integer
    back = pd.read_csv(io.StringIO(text))
    np.testing.assert_array_equal(back["A"], table["A"])  # full precision round-trips
    assert (back["lr"] == 1 / 18).all()


# --- 1. the lecture running order ----------------------------------------------------------------------------------


def open_scene(index: int, extra: dict | None = None):
    """The whole app opened at the running order's scene `index` (0-based), as its link opens it."""
    from pagetools import ROOT, TIMEOUT
    from streamlit.testing.v1 import AppTest

    from ui import lecture

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (lecture.scene_query(index) | (extra or {})).items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(lecture.running_order()[index].page).run()


def bar_links(at) -> dict[str, tuple[str, dict[str, list[str]]]]:
    """The lecture bar's links: label -> (page, query)."""
    from urllib.parse import parse_qs

    return {
        link.proto.label: (link.proto.page, parse_qs(link.proto.query_string))
        for link in at.get("page_link")
        if link.proto.label in {"← previous", "next →", "← home"}
    }


def test_the_running_order_follows_the_lessons_and_each_scene_links_its_neighbours():
    from lessons import LESSONS
    from ui import lecture
    from ui.scenes import SCENES

    order = lecture.running_order()
    rank = [next(i for i, page in enumerate(LESSONS) if page.slug == scene.lesson) for scene in order]
    assert rank == sorted(rank) and sorted(s.title for s in order) == sorted(
        s.title for s in SCENES
    )  # the tutorial's order, every scene once
    for index in (0, 3, len(order) - 1):
        at = open_scene(index)
        assert not at.exception
        heading = at.markdown[0].value
        assert f"Scene {index + 1} of {len(order)}: {order[index].title}" in heading
        links = bar_links(at)
        if index > 0:
            page, query = links["← previous"]
            assert page == order[index - 1].lesson and query["scene"] == [str(index)]
        else:
            assert "← home" in links
        if index + 1 < len(order):
            page, query = links["next →"]
            assert page == order[index + 1].lesson and query["scene"] == [str(index + 2)]
            for key, value in lecture.scene_query(index + 1).items():  # the next scene's own settings
                assert query[key] == ([value] if isinstance(value, str) else value)
        else:
            assert "next →" not in links


def test_each_scene_shows_the_settings_that_make_its_point():
    at = open_scene(lecture_index("Momentum on a ravine"))
    caption = " ".join(c.value for c in at.caption)
    assert "lr of gradient descent = 0.01" in caption and "lr of momentum (β = 0.9) = 0.01" in caption
    at = open_scene(lecture_index("0.12 diverges"))
    assert "lr = 0.12 · steps = 100" in " ".join(c.value for c in at.caption)


def lecture_index(title: str) -> int:
    from ui import lecture

    return [scene.title for scene in lecture.running_order()].index(title)


def future_layers(spec) -> int:
    return sum(1 for d in walk(spec) if isinstance(d.get("mark"), dict) and d["mark"].get("description") == "future")


def test_hiding_the_future_path_removes_the_future_layers_and_carries_to_the_next_scene():
    from pagetools import charts

    index = lecture_index("0.12 diverges")
    shown = open_scene(index)
    ((spec, _),) = charts(shown)[:1]
    assert future_layers(spec) == 2  # Aₖ and loss against step: the whole run, faint
    hidden = open_scene(index, {"lecture.hide_future": "true"})
    assert hidden.toggle(key="lecture.hide_future").value is True
    ((spec, _),) = charts(hidden)[:1]
    assert future_layers(spec) == 0
    assert bar_links(hidden)["next →"][1]["lecture.hide_future"] == ["true"]
    # the steps up to the slider are still drawn: the same number of layers, less the two future ones
    ((full, _),) = charts(shown)[:1]
    count = lambda s: sum(1 for d in walk(s) if "mark" in d)  # noqa: E731
    assert count(full) - count(spec) == 2


@pytest.mark.parametrize("title", ["A line fits itself", "Minibatch noise"])
def test_hiding_the_future_path_on_the_line_pages_draws_the_loss_only_up_to_the_slider(title):
    """Pages 2 and 3: the loss panel draws the whole run ("future") unless the lecture hides it; hidden, every
    loss curve is filtered to the steps up to the slider (and nothing else changes)."""
    from pagetools import charts

    index = lecture_index(title)
    ((shown, _),) = charts(open_scene(index))[:1]
    ((hidden, _),) = charts(open_scene(index, {"lecture.hide_future": "true"}))[:1]
    assert future_layers(shown) == 1 and future_layers(hidden) == 0

    def loss_lines(spec):
        return [
            d for d in walk(spec)
            if isinstance(d.get("mark"), dict) and d["mark"].get("type") == "line"
            and (d.get("encoding") or {}).get("x", {}).get("field") == "step"
        ]  # fmt: skip

    up_to_slider = [d for d in loss_lines(hidden) if {"filter": "(datum.step <= step)"} in d.get("transform", [])]
    assert loss_lines(hidden) and len(up_to_slider) == len(loss_lines(hidden))
    count = lambda s: sum(1 for d in walk(s) if "mark" in d)  # noqa: E731
    assert count(shown) == count(hidden)


def test_a_scene_link_without_its_place_draws_no_bar():
    from pagetools import ROOT, TIMEOUT
    from streamlit.testing.v1 import AppTest

    from ui.scenes import SCENES

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in SCENES[0].query().items():
        at.query_params[key] = value
    at.run()
    at.switch_page(SCENES[0].page).run()
    assert not bar_links(at) and not [t for t in at.toggle if t.key == "lecture.hide_future"]


# --- 3. page 5: smooth contours, paths readable on every surface ---------------------------------------------------


def optimizers_page(surface: str):
    from pagetools import assert_no_exception, run_page

    at = run_page("lessons/optimizers/page.py")
    at.selectbox(key="optimizers.surface").select(surface).run()
    assert_no_exception(at)
    (spec, sets), *_ = __import__("pagetools").charts(at)
    return spec, sets


def frame_with(sets, *columns):
    (frame,) = [f for f in sets.values() if set(columns) <= set(f.columns)]
    return frame


def along_edge(grid: pd.DataFrame, x: float, y: float, log: bool) -> float:
    """The loss at a point on a grid edge, interpolated linearly along that edge (in log10 when `log`)."""
    xs, ys = np.unique(grid["x"]), np.unique(grid["y"])
    z = grid.pivot_table(index="y", columns="x", values="loss").to_numpy()
    z = np.log10(z) if log else z
    i, j = np.argmin(np.abs(xs - x)), np.argmin(np.abs(ys - y))
    spacing = min(xs[1] - xs[0], ys[1] - ys[0])
    if abs(xs[i] - x) < 1e-9 * spacing:  # on a vertical edge: interpolate along y in column i
        return float(np.interp(y, ys, z[:, i]))
    assert abs(ys[j] - y) < 1e-9 * spacing, "an isoline end lies on a grid edge"
    return float(np.interp(x, xs, z[j, :]))


@pytest.mark.parametrize("surface", ["ill_conditioned", "rosenbrock", "himmelblau", "saddle"])
def test_the_map_has_isolines_on_their_levels_and_a_smooth_fill(surface):
    from lessons.optimizers import controls

    _, sets = optimizers_page(surface)
    lines = frame_with(sets, "x", "y", "x2", "y2", "level")
    levels = np.unique(lines["level"])
    assert len(levels) >= 5 and len(lines) > 20 * len(levels) // 2  # many levels, each a real line
    grid = controls.surface_grid(surface, "cpu")
    signed = grid["loss"].min() < 0
    rng = np.random.default_rng(0)
    for row in lines.iloc[rng.choice(len(lines), 40, replace=False)].itertuples():
        for x, y in ((row.x, row.y), (row.x2, row.y2)):
            value = along_edge(grid, x, y, log=not signed)
            assert value == pytest.approx(row.level if signed else np.log10(row.level), rel=1e-9, abs=1e-9)
    cells = frame_with(sets, "x_lo", "x_hi", "shade")
    assert cells["shade"].nunique() > 200  # a smooth field, not ~30 bands


@pytest.mark.parametrize("surface", ["ill_conditioned", "rosenbrock", "himmelblau", "saddle"])
def test_every_path_point_reads_against_the_map_under_it(surface):
    from charts.contours import DIVERGING, VIRIDIS, casing, colour_at, contrast, hex_rgb
    from charts.kit import colour_of

    spec, sets = optimizers_page(surface)
    (fill,) = [d["scale"] for d in walk(spec) if d.get("field") == "shade" and isinstance(d.get("scale"), dict)]
    cells = frame_with(sets, "x_lo", "x_hi", "shade")
    signed = fill.get("type") != "log"
    assert fill["interpolate"] == "rgb" and fill["range"] == list(DIVERGING if signed else VIRIDIS)
    lo, hi = fill["domain"]
    paths = frame_with(sets, "optimizer", "step", "x", "y", "loss_shown")
    casings = [
        d for d in walk(spec) if isinstance(d.get("mark"), dict) and d["mark"].get("description") == "path casing"
    ]
    widths = sorted(c["mark"]["strokeWidth"] for c in casings)
    assert len(casings) == 2 and 2.5 < widths[0] < widths[1]  # a casing and a halo, wider than the path over them
    worst = []
    for name, path in paths.groupby("optimizer"):
        ink, outline = hex_rgb(colour_of(name)), hex_rgb(casing(colour_of(name)))
        halo = 1 - outline  # the other of black and white
        assert contrast(ink, outline) >= 3  # the casing outlines the path itself
        inside = path[path["x"].between(cells["x_lo"].min(), cells["x_hi"].max())
                      & path["y"].between(cells["y_lo"].min(), cells["y_hi"].max())]  # fmt: skip
        for x, y in zip(inside["x"], inside["y"], strict=True):
            cell = cells.iloc[np.argmin((cells["x"] - x) ** 2 + (cells["y"] - y) ** 2)]
            shade = cell["shade"]
            where = (shade - lo) / (hi - lo) if signed else (np.log10(shade) - np.log10(lo)) / np.log10(hi / lo)
            under = colour_at(where, fill["range"])
            worst.append(max(contrast(ink, under), contrast(outline, under), contrast(halo, under)))
    assert worst and min(worst) >= 4.5  # path, casing or halo stands out (WCAG: 3:1 for graphics), everywhere


# --- 2. page 4: a diverging run stays on the chart ------------------------------------------------------------------


def test_page_four_follows_the_diverging_run_on_a_symlog_axis_instead_of_losing_it_after_step_one():
    from pagetools import assert_no_exception, charts, run_page

    at = run_page("lessons/learning_rate/page.py")
    assert_no_exception(at)
    (spec, sets) = charts(at)[1]  # the step-by-step chart (after the sweep)
    (scale,) = set_scales(spec, "plot")
    assert scale["type"] == "symlog"
    lo, hi = scale["domain"]
    frames = [f for f in sets.values() if {"run", "step", "plot", "label"} <= set(f.columns) and "note" not in f]
    full, panel = max(frames, key=len), min(frames, key=len)  # every step, and what the value panel draws
    diverging = full[full["label"].str.contains("diverged")]["label"].unique()
    assert len(diverging) == 1 and "lr = 0.12" in diverging[0]  # the default runs include the tutorial's 0.12
    for label, run in panel.groupby("label"):
        run = run.sort_values("step")
        inside = run["plot"].between(lo, hi)
        assert inside.iloc[:-1].all() and (inside.iloc[-1] or label in diverging)  # a cut run leaves at the edge
    drawn = panel[panel["label"] == diverging[0]]
    first = abs(drawn["plot"].iloc[0])
    assert len(drawn) >= 40 and abs(drawn["plot"]).max() > 500 * first  # on screen while it explodes, not 2 steps


# --- 5. typographic minus signs in what the pages say ---------------------------------------------------------------


def test_page_one_status_lines_write_negative_numbers_with_the_typographic_minus():
    from pagetools import assert_no_exception, run_page

    at = run_page("lessons/one_weight/page.py", {"one-weight.lr": "1/9 ≈ 0.111"})
    assert_no_exception(at)
    (warning,) = [w.value for w in at.warning if "Oscillates" in w.value]
    assert "between −4 and 2" in warning and "-" not in warning
    at = run_page("lessons/one_weight/page.py", {"one-weight.lr": "0.1"})  # overshooting: 1 − 18·0.1 = −0.8
    (success,) = [s.value for s in at.success if "overshooting" in s.value]
    assert "= −0.8 < 0" in success and "-" not in success
    at = run_page("lessons/one_weight/page.py", {"one-weight.loss": "sin(a) + a**2/10"})
    (info,) = [i.value for i in at.info if i.value.startswith("After")]
    assert "−" in info and "-" not in info  # a = −1.3…, f′ = −…


def test_the_tangent_stops_above_the_step_arrow_and_its_label():
    for lr, steps in ((0.05, 20), (0.12, 100), (0.1, 20), (0.0003, 100)):
        _, spec = one_weight(lr, steps)
        views = views_of(spec)
        (tangents,) = [rows for rows in data_sets(spec) if rows and "loss_lo" in rows[0]]
        arrows = {row["step"]: row for row in arrow_rows(spec)}
        for row in tangents:
            y_lo, y_hi = views[row["step"]][2:]
            px = 330 / (y_hi - y_lo)  # the curve view's pixels per unit of loss
            base = arrows[row["step"]]["base"] if row["step"] in arrows else y_lo
            lowest = min(row["loss_lo"], row["loss_hi"])
            assert (lowest - base) * px >= scalar.TANGENT_CLEARANCE_PX - 1e-6, (lr, row["step"])
            slope = (row["loss_hi"] - row["loss_lo"]) / (row["a_hi"] - row["a_lo"])
            assert slope == pytest.approx(row["slope"], rel=1e-9, abs=1e-12)  # still the tangent's slope


# --- minus signs: the one formatter (ui.numbers.shown_number) wherever a number is shown ---------------------------


def test_shown_number_uses_the_minus_sign_and_a_short_exponent():
    from ui.numbers import shown_number

    assert shown_number(-1.003) == "−1.003"
    assert shown_number(8.1e-5, 4) == "8.1e−5" and shown_number(-2.5e12) == "−2.5e12"
    assert shown_number(-0.123456789, 8) == "−0.12345679" and shown_number(0) == "0"
    assert float(shown_number(-3.75e-7).replace("−", "-")) == -3.75e-7  # the same number, only spelled for people


def _display_values(element):
    """The cells a st.dataframe / st.table of a Styler shows (its display values), as a DataFrame of strings."""
    import pyarrow as pa

    return pa.ipc.open_stream(element.proto.arrow_data.styler.display_values).read_pandas()


def test_tables_show_negative_numbers_with_the_minus_sign_and_the_csv_keeps_ascii():
    from pagetools import run_page

    from lessons.one_weight import controls
    from ui.numbers import shown_number

    at = run_page("lessons/one_weight/page.py")  # the tutorial's run from A₀ = −4: A, f′, the step all negative
    table = at.dataframe[0].value
    shown = _display_values(at.dataframe[0])
    assert (table["A"] < 0).all()
    for column in ("A", "f'(A)", "new A"):
        assert list(shown[column]) == [shown_number(v, 8) for v in table[column]]
        assert all("-" not in cell for cell in shown[column])
        assert all(cell.startswith("−") for cell, v in zip(shown[column], table[column], strict=True) if v < 0)
    details = _display_values(at.table[0])  # f′ by hand against autograd, to the last digit
    assert any(cell.startswith("−") for cell in details.to_numpy().ravel()) and "-" not in "".join(
        details.to_numpy().ravel()
    )
    csv = controls.csv_text(table, 0.05, -4.0, "A")
    # The CSV is data: ASCII minus signs, as Python and spreadsheets read it.
    assert "\n0,0.05,-4,-4,-54," in csv.replace("\r\n", "\n") and "−" not in csv


def test_the_line_and_optimizer_tables_show_the_minus_sign():
    import pandas as pd
    from pagetools import run_page

    from ui.numbers import shown_number, shown_table

    line = run_page("lessons/fitting_a_line/page.py")
    results, shown = line.dataframe[0].value, _display_values(line.dataframe[0])
    for column in ("slope w", "bias b", "MSE"):
        assert list(shown[column]) == [shown_number(v, 6) for v in results[column]]
    assert shown_table(pd.DataFrame({"w": [-0.5, 2.0]}), {"w": 6}).format_index(str).to_html().count("−0.5") == 1
    race = run_page("lessons/optimizers/page.py")
    table = race.dataframe[0].value
    assert all("-" not in cell for cell in table["final (x, y)"])


# --- phones: page 5's map fills the column --------------------------------------------------------------------------


def test_page_5s_map_fills_a_phones_width():
    """At a 340 px column (a 390 px phone) the map and the loss chart stack, each nearly the column's width: their
    legends sit under the plots (the spec's config says so), so no room is kept for a legend beside them."""
    from pagetools import ROOT, TIMEOUT, charts
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "lessons/optimizers/page.py"), default_timeout=TIMEOUT)
    at.session_state["screen.width"] = 340
    ((spec, _),) = charts(at.run())[:1]
    assert "hconcat" not in spec and len(spec["vconcat"]) == 2
    map_view, loss_view = spec["vconcat"]
    assert map_view["title"].startswith("Paths on the loss surface")
    room = 340 - 70  # the column, less the y axis's allowance on a phone (charts.kit; no text marks beside)
    assert map_view["width"] >= room and loss_view["width"] >= room


def test_the_lecture_bar_spells_negative_numbers_with_minus_and_leaves_words_alone():
    from ui import lecture

    assert lecture.number_minus("surface = Ill-conditioned bowl · start = (-4.5, -.5) · tol 1e-05") == (
        "surface = Ill-conditioned bowl · start = (−4.5, −.5) · tol 1e−05"
    )
    ravine = next(s for s in lecture.running_order() if s.title == "Momentum on a ravine")
    assert "Ill-conditioned" in lecture.settings_line(ravine)
