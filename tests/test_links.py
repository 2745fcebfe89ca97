"""Shareable links: settings round-trip through the URL, bad values are dropped with a notice, scenes open."""

from __future__ import annotations

import re

import pytest
from pagetools import ROOT, TIMEOUT, assert_charts_clean, assert_no_exception, run_page
from streamlit.testing.v1 import AppTest

from ui import links
from ui.scenes import SCENES


def run_app(page: str | None, query: dict) -> AppTest:
    """The whole app (sidebar, navigation, link checks) opened with a query string, on `page` or at home."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()  # the home page first: AppTest switches pages only after st.navigation has run
    return at if page is None else at.switch_page(page).run()


def test_a_link_sets_every_control_of_page_one_and_the_numbers_follow():
    at = run_page(
        "lessons/one_weight/page.py", {"one-weight.lr": "0.1", "one-weight.start": "2", "one-weight.steps": "7"}
    )
    assert_no_exception(at)
    assert at.select_slider(key="one-weight.lr").value == pytest.approx(0.1)
    assert at.number_input(key="one-weight.start").value == 2
    assert at.slider(key="one-weight.steps").value == 7
    table = at.dataframe[0].value
    assert len(table) == 8  # steps 0..7
    # A_7 = −1 + (1 − 18·0.1)^7 (2 + 1)
    assert table["A"].iloc[-1] == pytest.approx(-1 + (1 - 1.8) ** 7 * 3)


def test_a_link_sets_the_shared_sidebar_settings():
    at = run_app("lessons/one_weight/page.py", {"seed": "42", "device": "cpu"})
    assert_no_exception(at)
    assert at.number_input(key="seed").value == 42
    assert at.selectbox(key="device").value == "cpu"


def test_a_typed_loss_in_the_link_is_parsed_like_typed_text():
    at = run_page("lessons/one_weight/page.py", {"one-weight.loss": "sin(a) + a**2/10"})
    assert_no_exception(at)
    assert at.text_input(key="one-weight.loss").value == "sin(a) + a**2/10"
    assert_charts_clean(at)
    assert not at.error


def test_a_hostile_loss_in_the_link_is_an_error_message_not_a_crash():
    at = run_page("lessons/one_weight/page.py", {"one-weight.loss": "__import__('os').system('id')"})
    assert_no_exception(at)
    assert at.error
    assert_charts_clean(at)  # the tutorial's loss is still drawn


@pytest.mark.parametrize(
    ("page", "query", "dropped"),
    [
        ("lessons/one_weight/page.py", {"one-weight.steps": "9999"}, "Number of steps"),  # out of range
        ("lessons/one_weight/page.py", {"one-weight.start": "abc"}, "Start A₀"),  # not a number
        ("lessons/one_weight/page.py", {"one-weight.lr": "0.77"}, "Learning rate lr (log scale)"),  # not a stop
        (None, {"seed": "-5"}, "Random seed"),  # a sidebar setting, read on whatever page opens first
        (None, {"device": "tpu"}, "Device"),
    ],
)
def test_bad_values_in_a_link_are_reset_with_a_notice(page, query, dropped):
    at = run_app(page, query)
    assert_no_exception(at)
    assert_charts_clean(at, minimum=0 if page is None else 1)
    notices = " ".join(t.value for t in at.toast).replace("\\", "")  # the text as shown, escapes resolved
    assert "could not be used" in notices and dropped in notices  # named as the page labels the control


def test_an_old_link_opens_its_scene_under_the_renamed_keys():
    at = run_app("lessons/one_weight/page.py", {"w1_steps": "7", "w1_lr": "1/18 ≈ 0.0556", "step": "2"})
    assert_no_exception(at)
    assert not at.toast
    assert at.slider(key="one-weight.steps").value == 7
    assert at.select_slider(key="one-weight.lr").value == pytest.approx(1 / 18)
    assert links.new_key("w5_x0_rosenbrock") == "optimizers.x0_rosenbrock" and links.new_key("seed") == "seed"


@pytest.mark.parametrize(
    "value", ["![x](http://127.0.0.1:9/t.png)", "[Sign in](http://127.0.0.1:9/l)", "<img src=x>", ":red[boo] $x$"]
)
def test_a_link_value_is_quoted_as_text_in_the_notice_never_rendered_as_markup(value):
    at = run_app("lessons/one_weight/page.py", {"one-weight.steps": value})
    assert_no_exception(at)
    (notice,) = [t.value for t in at.toast]
    quoted = re.search("“(.*)”", notice).group(1)  # the value as the notice quotes it
    assert re.sub(r"\\.|[\w /]", "", quoted) == "", f"an unescaped markup character in {notice!r}"


def test_good_and_default_values_in_a_link_raise_no_notice():
    at = run_app("lessons/one_weight/page.py", {"one-weight.steps": "20", "one-weight.lr": "0.12", "step": "3"})
    assert_no_exception(at)
    assert not at.toast


def test_ignored_values_are_those_gone_from_the_url_and_not_the_widget_value():
    incoming = {"a": "1", "b": "0.5", "c": "x", "step": "4", "d": "7"}
    now = {"d": "7"}
    state = {"a": 1.0, "b": 0.25, "c": "y"}
    assert links.ignored_values(incoming, now, state) == {"b": "0.5", "c": "x"}


@pytest.mark.parametrize("scene", SCENES, ids=[s.title for s in SCENES])
def test_every_scene_opens_with_its_settings(scene):
    at = run_page(scene.page, scene.query())
    assert_no_exception(at)
    assert_charts_clean(at)
    widgets = {w.key: w for kind in ("slider", "select_slider", "number_input", "selectbox", "multiselect")
               for w in getattr(at, kind) if w.key}  # fmt: skip
    for key, wanted in scene.query().items():
        if key == "step":
            continue
        widget = widgets[key]
        if isinstance(wanted, list):
            assert [widget.format_func(v) for v in widget.value] == wanted
            continue
        shown = widget.format_func(widget.value) if hasattr(widget, "format_func") else widget.value
        spellings = {str(shown), str(widget.value)}
        if isinstance(widget.value, float):
            spellings.add(f"{widget.value:g}")
        assert wanted in spellings


@pytest.mark.parametrize(
    ("page", "query"),
    [
        (
            "lessons/fitting_a_line/page.py",
            {"fitting-a-line.lr": "1e-06", "fitting-a-line.steps": "1", "data.noise": "0"},
        ),
        ("lessons/minibatches/page.py", {"minibatches.batch": "1"}),
    ],
)
def test_a_link_with_values_at_a_widget_minimum_keeps_them_in_the_url_and_on_the_page(page, query):
    at = run_page(page, query)
    assert_no_exception(at)
    kept = {key: value for key, value in dict(at.query_params).items() if key != "practice"}  # (its question)
    assert kept == query  # Streamlit leaves only a widget's *default* out of the URL
    at.run()
    widgets = {w.key: w.value for kind in ("slider", "select_slider", "number_input") for w in getattr(at, kind)}
    assert all(widgets[key] == pytest.approx(float(value)) for key, value in query.items())


def _remembered_selectbox():
    import streamlit as st

    from ui.widgets import remembered

    remembered(st.selectbox, "y", key="y", default="c", options=["a", "b", "c"])


def test_a_remembered_widget_falls_back_to_the_lesson_default_not_its_first_option():
    # Streamlit drops a widget's value on a page switch or when it equals the widget's own default; that default
    # must be the lesson's (y: the last column), else y fell back to the first column, x's: "different columns".
    at = AppTest.from_function(_remembered_selectbox).run()
    assert at.selectbox(key="y").value == "c" and at.selectbox(key="y").proto.default == 2


@pytest.mark.parametrize("key", ["one-weight.steps", "w1_steps"])  # the link used the old key
def test_a_link_value_the_control_reads_differently_is_named_in_a_notice(key):
    at = run_app("lessons/one_weight/page.py", {key: "1.5"})
    assert_no_exception(at)
    notices = " ".join(t.value for t in at.toast).replace("\\", "")
    assert "Number of steps “1.5” as 1" in notices


def test_adjusted_values_ignore_the_same_number_written_another_way():
    state = {"a": 1, "b": 0.1}
    assert links.adjusted_values({"a": "1.5", "b": "0.10"}, {"a": "1", "b": "0.1"}, state) == {"a": ("1.5", "1")}
