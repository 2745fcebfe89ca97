"""Shareable links: settings round-trip through the URL, bad values are dropped with a notice, scenes open."""

from __future__ import annotations

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
    at = run_page("lessons/one_weight.py", {"w1_lr": "0.1", "w1_start": "2", "w1_steps": "7"})
    assert_no_exception(at)
    assert at.select_slider(key="w1_lr").value == pytest.approx(0.1)
    assert at.number_input(key="w1_start").value == 2
    assert at.slider(key="w1_steps").value == 7
    table = at.dataframe[0].value
    assert len(table) == 8  # steps 0..7
    # A_7 = −1 + (1 − 18·0.1)^7 (2 + 1)
    assert table["A"].iloc[-1] == pytest.approx(-1 + (1 - 1.8) ** 7 * 3)


def test_a_link_sets_the_shared_sidebar_settings():
    at = run_app("lessons/one_weight.py", {"seed": "42", "device": "cpu"})
    assert_no_exception(at)
    assert at.number_input(key="seed").value == 42
    assert at.selectbox(key="device").value == "cpu"


def test_a_typed_loss_in_the_link_is_parsed_like_typed_text():
    at = run_page("lessons/one_weight.py", {"w1_loss": "sin(a) + a**2/10"})
    assert_no_exception(at)
    assert at.text_input(key="w1_loss").value == "sin(a) + a**2/10"
    assert_charts_clean(at)
    assert not at.error


def test_a_hostile_loss_in_the_link_is_an_error_message_not_a_crash():
    at = run_page("lessons/one_weight.py", {"w1_loss": "__import__('os').system('id')"})
    assert_no_exception(at)
    assert at.error
    assert_charts_clean(at)  # the tutorial's loss is still drawn


@pytest.mark.parametrize(
    ("page", "query", "dropped"),
    [
        ("lessons/one_weight.py", {"w1_steps": "9999"}, "w1_steps"),  # out of range
        ("lessons/one_weight.py", {"w1_start": "abc"}, "w1_start"),  # not a number
        ("lessons/one_weight.py", {"w1_lr": "0.77"}, "w1_lr"),  # not one of the stops
        (None, {"seed": "-5"}, "seed"),  # a sidebar setting, read on whatever page opens first
        (None, {"device": "tpu"}, "device"),
    ],
)
def test_bad_values_in_a_link_are_reset_with_a_notice(page, query, dropped):
    at = run_app(page, query)
    assert_no_exception(at)
    assert_charts_clean(at, minimum=0 if page is None else 1)
    notices = " ".join(t.value for t in at.toast)
    assert "could not be used" in notices and dropped in notices


def test_good_and_default_values_in_a_link_raise_no_notice():
    at = run_app("lessons/one_weight.py", {"w1_steps": "20", "w1_lr": "0.12", "step": "3"})
    assert_no_exception(at)
    assert not at.toast


def test_ignored_values_are_those_gone_from_the_url_and_not_the_widget_value():
    incoming = {"a": "1", "b": "0.5", "c": "x", "step": "4", "d": "7"}
    now = {"d": "7"}
    state = {"a": 1.0, "b": 0.25, "c": "y"}
    assert links.ignored_values(incoming, now, state) == {"b": "0.5", "c": "x"}


@pytest.mark.parametrize("scene", SCENES, ids=[s.title for s in SCENES])
def test_every_scene_opens_with_its_settings(scene):
    at = run_page(scene.page, scene.query)
    assert_no_exception(at)
    assert_charts_clean(at)
    widgets = {w.key: w for kind in ("slider", "select_slider", "number_input", "selectbox", "multiselect")
               for w in getattr(at, kind) if w.key}  # fmt: skip
    for key, wanted in scene.query.items():
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
