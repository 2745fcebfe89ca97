"""charts.kit.fit_spec and describe: charts fitted to a column's width, presenter type, text alternatives."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd

from charts import kit


def _view(width, legend=False, font=None):
    encoding = {"x": {"field": "a", "type": "quantitative"}}
    if legend:
        encoding["color"] = {"field": "run", "type": "nominal"}
    mark = {"type": "text", "fontSize": font} if font else {"type": "line"}
    return {"mark": mark, "encoding": encoding, "width": width, "height": 200, "data": {"name": "d"}}


def _spec(*views):
    return {"hconcat": list(views), "datasets": {"d": [{"a": 1, "run": "x"}]}, "config": {"axis": {"grid": True}}}


def _drawn_width(view, presenting=False):
    """The width a view takes on screen by the same allowances fit_spec uses (plot area plus axes and legend)."""
    if "hconcat" in view:
        parts = view["hconcat"]
        return sum(_drawn_width(p, presenting) for p in parts) + kit.CONCAT_SPACING * (len(parts) - 1)
    if "vconcat" in view:
        return max(_drawn_width(p, presenting) for p in view["vconcat"])
    return view["width"] + kit._allowance(view, presenting)


def test_side_by_side_views_shrink_in_proportion_to_fit():
    spec = _spec(_view(600), _view(300, legend=True))
    fitted = kit.fit_spec(spec, width=900, presenting=False, description="d")
    left, right = fitted["hconcat"]
    assert _drawn_width(fitted) <= 900
    assert abs(left["width"] / right["width"] - 2) < 0.02  # the designed proportions are kept
    assert fitted["datasets"] is spec["datasets"]  # data shared, not copied


def test_views_too_narrow_side_by_side_are_stacked_each_full_width():
    fitted = kit.fit_spec(_spec(_view(600), _view(300)), width=360, presenting=False, description="d")
    assert "hconcat" not in fitted and len(fitted["vconcat"]) == 2
    for part in fitted["vconcat"]:
        assert part["width"] == 360 - kit.AXES_ALLOWANCE_NARROW  # a phone: less kept for axes, no text beside


def test_a_view_that_fits_keeps_its_width_and_unknown_width_changes_nothing():
    spec = _spec(_view(200), _view(200))
    assert kit.fit_spec(spec, width=2000, presenting=False, description="d")["hconcat"] == spec["hconcat"]
    assert kit.fit_spec(spec, width=None, presenting=False, description="d")["hconcat"] == spec["hconcat"]


def test_presenter_text_at_least_16_px_and_the_cached_spec_untouched():
    spec = _spec(_view(300, font=11), _view(300))
    before = copy.deepcopy(spec)
    fitted = kit.fit_spec(spec, width=None, presenting=True, description="Loss against step")
    assert spec == before
    assert fitted["hconcat"][0]["mark"]["fontSize"] == kit.PRESENTER_FONT
    config = fitted["config"]
    assert config["axis"]["grid"] is True  # the chart's own config is kept
    sizes = [config[g][k] for g in ("axis", "legend", "header", "title") for k in config[g] if k.endswith("FontSize")]
    sizes += [config["title"]["fontSize"], config["text"]["fontSize"]]
    assert min(sizes) >= 16
    assert fitted["description"] == "Loss against step"
    assert "description" not in spec


def test_contrast_of_presenter_text_and_axes_at_least_4_5_to_1():
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in (kit.PRESENTER_INK, kit.PRESENTER_AXIS):
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5


def test_describe_reads_the_numbers_at_the_step_shown():
    frame = pd.DataFrame({"step": [0, 1, 2], "a": [5.0, -0.5, -1.003], "loss": [324.0, 2.25, 8.1e-5]})
    text = kit.describe("Loss(A) parabola", frame, {"a": "A", "loss": "loss"}, step=2)
    assert text == "Loss(A) parabola, step 2 of 2: A = −1.003, loss = 8.1e−5"
    assert "step 0 of 2: A = 5, loss = 324" in kit.describe("x", frame, {"a": "A", "loss": "loss"}, step=0)
    runs = pd.concat([frame.assign(run=0), frame.assign(run=1, a=frame["a"] * 2)])
    assert kit.describe("x", runs, {"a": "A"}) == "x, step 2 of 2: run 0: A = −1.003; run 1: A = −2.006"


def test_a_column_of_views_beside_a_view_keeps_its_designed_width_when_there_is_room():
    spec = _spec(_view(400), {"vconcat": [_view(300), _view(250)]})
    roomy = kit.fit_spec(spec, width=2000, presenting=False, description="d")
    assert roomy["hconcat"] == spec["hconcat"]
    tight = kit.fit_spec(spec, width=700, presenting=False, description="d")
    left, column = tight["hconcat"]
    assert _drawn_width(tight) <= 700
    assert abs(left["width"] / column["vconcat"][0]["width"] - 400 / 300) < 0.05  # one scale for the whole row


def _fitted_views(spec, width, presenting=False):
    fitted = kit.fit_spec(spec, width=width, presenting=presenting, description="d")
    return {key: value for key, value in fitted.items() if key not in ("description", "config")}


def _as_designed(spec, presenting=False):
    return _fitted_views(spec, None, presenting)


def test_designed_width_is_the_narrowest_column_that_changes_nothing():
    # ui.screen skips its width report (and the page's second run) when the column is at least this wide.
    cases = [
        _spec(_view(600), _view(300, legend=True)),
        _spec(_view(400), {"vconcat": [_view(300), _view(250)]}),
        {"vconcat": [_view(700), _spec(_view(200), _view(200))], "datasets": {}},
        _spec(_view(120), _view(110)),  # narrow views: a phone's margin decides
        _view(250),
    ]
    for spec in cases:
        for presenting in (False, True):
            need = kit.designed_width(spec, presenting=presenting)
            assert _fitted_views(spec, need, presenting) == _as_designed(spec, presenting), (spec, need)
            assert _fitted_views(spec, need + 500, presenting) == _as_designed(spec, presenting)
            assert _fitted_views(spec, need - 20, presenting) != _as_designed(spec, presenting), (spec, need)


def test_every_lesson_chart_is_unchanged_at_its_designed_width():
    import math

    from pagetools import charts, run_page

    for page in ("one_weight", "fitting_a_line", "minibatches", "learning_rate", "optimizers"):
        for spec, _ in charts(run_page(f"lessons/{page}/page.py"), practice=True):
            need = kit.designed_width(spec)
            assert math.isfinite(need), f"{page}: a chart that is fitted on every screen"
            assert _fitted_views(spec, need) == _as_designed(spec), f"{page}: changed at its designed width {need}"


def test_every_lesson_and_practice_chart_is_valid_vega_lite():
    """charts.kit turns off Altair's validation while a chart is built: the finished specs are checked here whole."""
    import altair as alt
    import pyarrow as pa
    import pytest
    from pagetools import run_page

    checked = 0
    for page in ("one_weight", "fitting_a_line", "minibatches", "learning_rate", "optimizers"):
        for element in run_page(f"lessons/{page}/page.py").get("vega_lite_chart"):
            spec = json.loads(element.proto.spec)
            rows = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in element.proto.datasets}
            alt.TopLevelSpec.validate({**spec, "datasets": rows} if rows else spec)
            checked += 1
    assert checked >= 9
    broken = {"mark": "point", "encoding": {"x": {"field": "a", "type": "quantity"}}}
    with pytest.raises(Exception, match="quantity"):
        alt.TopLevelSpec.validate(broken)


def test_live_description_reads_like_describe_at_every_step_and_stays_small():
    """The template the player reads in the browser gives describe()'s text at each step of the slider's grid, with
    the fixed tail; a long run ships only the slider's steps (every thinning_stride-th, and the last)."""
    steps = np.arange(1001)
    frame = pd.concat(
        [pd.DataFrame({"step": steps, "a": -1 - 0.5**steps, "loss": 0.25**steps, "run": name}) for name in (0, 1)]
    )
    frame.loc[(frame["run"] == 1) & (frame["step"] > 500), "a"] = np.inf  # run 1 diverged at step 501: dropped
    template = kit.live_description("x", frame, {"a": "A", "loss": "loss"}, after="; the end")
    stride = kit.thinning_stride(1000)
    assert template["runs"][0]["steps"] == list(range(0, 1001, stride)) + ([1000] if 1000 % stride else [])
    assert json.loads(json.dumps(template)) == template  # strict JSON for the player
    for k in (0, stride, 10 * stride, 1000):
        shown = kit.read_description(template, k)
        assert shown.endswith("; the end")
        assert shown.startswith(f"x, step {k} of 1000: run 0: A = {kit._number(-1 - 0.5**k)}")
    assert "run 1: A = −1" in kit.read_description(template, 1000)  # its last finite row, step 500
    first = kit.describe("x", frame, {"a": "A", "loss": "loss"}, step=0)
    assert "step 0 of 1000: run 0: A = −2, loss = 1; run 1: A = −2, loss = 1" in first


def _composite(concat):
    """Two rows of panels sharing a step parameter, the upper row two layered panels: built with `concat`."""
    import altair as alt

    frame = pd.DataFrame({"step": [0, 1, 2], "loss": [3.0, 2.0, 1.5], "run": ["a", "a", "b"]})
    step = kit.step_slider(2)
    base = alt.Chart(frame).encode(x="step:Q", y="loss:Q")
    left = alt.layer(base.mark_line(), base.mark_point().transform_filter(alt.datum.step == step), title="left")
    pick = alt.selection_point(name="pick", on="click", fields=["run"])
    right = alt.layer(  # a click selection in a layer: lifted to the top with the view it belongs to
        alt.Chart(frame.assign(loss=frame["loss"] * 2)).mark_bar().encode(x="run:N", y="loss:Q").add_params(pick)
    )
    bottom = alt.Chart(frame).mark_rule().encode(x="step:Q").properties(width=300, height=100)
    resolve = alt.Resolve(scale=alt.ScaleResolveMap(color="independent"))
    top = concat("hconcat")(left, right, spacing=30, resolve=resolve)
    return kit.with_params(concat("vconcat")(top, bottom, spacing=24, config=alt.Config(), resolve=resolve), step)


def test_kit_concat_gives_the_spec_altair_composes_and_validates_it():
    import altair as alt
    import pytest

    def by_altair(kind):
        return getattr(alt, kind)

    def by_kit(kind):
        return getattr(kit, kind)

    for theme in ("default", "none"):
        with alt.theme.enable(theme):
            altair_spec = _composite(by_altair).to_dict()
            kit_spec = _composite(by_kit).to_dict(validate=True)
        assert kit_spec == altair_spec
        assert len(kit_spec["datasets"]) == 2
        assert [p["name"] for p in kit_spec["params"]] == ["pick", kit.STEP] and kit_spec["params"][0]["views"]
    broken = _composite(by_kit)
    broken.properties["spacing"] = "wide"  # not a number: the schema says no
    with pytest.raises(Exception, match="wide"):
        broken.to_dict(validate=True)


def test_kit_layer_gives_the_spec_altair_layers_and_validates_it():
    import altair as alt
    import pytest

    frame = pd.DataFrame({"step": [0, 1, 2], "loss": [3.0, 2.0, 1.5]})
    other = frame.assign(loss=frame["loss"] / 2)
    step = kit.step_slider(2)
    base = alt.Chart(frame).encode(x=alt.X("step:Q"), y=alt.Y("loss:Q"))
    shared = [base.mark_line(), base.mark_point().transform_filter(alt.datum.step == step)]  # one frame: hoisted
    mixed = [*shared, alt.Chart(other).mark_rule().encode(y=alt.Y("loss:Q"))]  # two frames: each layer keeps its own
    sized = [base.mark_line().properties(width=300), base.mark_point()]  # a layer's width moves up to the layer
    for theme in ("default", "none"):
        for layers in (shared, mixed, sized):
            with alt.theme.enable(theme):
                by_altair = alt.layer(*layers).properties(height=120, title="t").to_dict()
                by_kit = kit.layer(*layers, height=120, title="t").to_dict(validate=True)
            assert by_kit == by_altair
    assert "data" in kit.layer(*shared).to_dict() and "data" not in kit.layer(*mixed).to_dict()
    nested = kit.vconcat(kit.layer(*mixed, width=200), alt.layer(*mixed).properties(width=200)).to_dict()
    assert nested["vconcat"][0] == nested["vconcat"][1] and len(nested["datasets"]) == 2
    with pytest.raises(ValueError, match="parameters"):
        kit.layer(base.mark_point().add_params(alt.selection_point(name="pick"))).to_dict()
    with pytest.raises(Exception, match="wide"):
        kit.layer(*shared, width="wide").to_dict(validate=True)


def test_kit_concat_refuses_a_selection_it_would_not_lift():
    import altair as alt
    import pytest

    frame = pd.DataFrame({"run": ["a", "b"], "loss": [1.0, 2.0]})
    unit = alt.Chart(frame).mark_bar().encode(x="run:N", y="loss:Q").add_params(alt.selection_point(name="pick"))
    with pytest.raises(ValueError, match=r"alt\.layer"):
        kit.hconcat(unit, unit).to_dict()


def _both_routes(view):
    """A view below a composite converted by charts.todict and by Altair's own to_dict, with what each gathered."""
    from charts import todict

    results = []
    for convert in (todict.view_dict, lambda view, context: view.to_dict(validate=False, context=context)):
        context = {"top_level": False, "datasets": {}}
        results.append((convert(view, context), context["datasets"]))
    return results


def test_views_below_a_composite_convert_as_altair_converts_them():
    """Each rule charts.todict writes out, and each case it leaves to Altair, gives Altair's dict and data sets."""
    import altair as alt

    frame = pd.DataFrame({"step": [0, 1, 2], "loss": [3.0, 2.0, 1.5], "run": ["a", "a", "b"]})
    step = kit.step_slider(2)
    pick = alt.selection_point(name="pick", on="click", fields=["run"])
    base = alt.Chart(frame)
    views = [
        base.mark_line(color=kit.BLUE, strokeWidth=np.float64(2.5)).encode(
            x="step:Q",
            y=alt.Y("loss:Q").scale(type="log", domain=[np.float64(1.0), 3]),
            tooltip=["step:Q", alt.Tooltip("loss:Q", format=kit.NUMBER)],
        ),
        base.mark_point().encode(x="step", y="loss", color="run"),  # types inferred from the data
        base.mark_rule().encode(x="step:Q", x2="loss:Q", opacity=alt.value(0.4)),  # a secondary channel, a value
        base.mark_point().encode(  # a value channel with a condition: as a parameter, and as a plain dict
            x=alt.X("step:Q"),
            size=alt.condition(alt.datum.step <= step, alt.value(60), alt.value(10)),
            color=alt.ColorValue("#000", condition={"test": "datum.loss > 2", "field": "run"}),
        ),
        alt.Chart().mark_rule().encode(y=alt.datum(1.5)),  # no data anywhere above: Altair gives it an empty set
        base.mark_text(text="Loss").transform_filter(alt.datum.step == step).transform_calculate(now="step"),
        alt.layer(base.mark_point().encode(x="run:N").add_params(pick), base.mark_line()).resolve_scale(y="shared"),
    ]
    for view in views:
        fast, altair = _both_routes(view)
        assert json.dumps(fast) == json.dumps(altair)  # the same keys in the same order, the same values
    assert _both_routes(views[1])[0][0]["encoding"]["color"] == {"field": "run", "type": "nominal"}
    assert "data" in _both_routes(views[4])[0][0]


def test_every_lesson_and_practice_chart_converts_as_altair_converts_it(monkeypatch):
    """Every finished spec a page run builds is the same, byte for byte (data sets included), by both routes."""
    import streamlit as st
    from pagetools import run_page

    import lessons.one_weight.controls as one_weight_controls
    import ui.cache
    import ui.practice

    built = ui.cache.finished_spec
    compared = []

    def both(chart):
        spec = built(chart)
        with monkeypatch.context() as altair_only:
            altair_only.setattr(kit, "view_dict", lambda view, context: view.to_dict(validate=False, context=context))
            reference = built(chart)
        assert json.dumps(spec, default=bytes.hex) == json.dumps(reference, default=bytes.hex)
        compared.append(spec)
        return spec

    for module in (ui.cache, one_weight_controls, ui.practice):
        monkeypatch.setattr(module, "finished_spec", both)
    for page in ("one_weight", "fitting_a_line", "minibatches", "learning_rate", "optimizers"):
        st.cache_data.clear()  # built here, not replayed from another test's cache
        assert not run_page(f"lessons/{page}/page.py").exception
    assert len(compared) >= 10
