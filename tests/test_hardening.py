"""Every control of every page at its extremes, every text box fed hostile text: no exception, clean charts."""

from __future__ import annotations

import pytest
from pagetools import ROOT, assert_charts_clean, assert_no_exception, choose_label, run_page

import lessons

LESSONS = [lesson.page for lesson in lessons.LESSONS]  # every registered lesson is walked

HOSTILE_TEXT = [
    "",
    "   ",
    "__import__('os').system('echo pwned')",
    "a.__class__.__mro__",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "lambda: 1",
    "[a for a in range(10**9)]",
    "a ** 99999999",
    "9**9**9**9",
    "(" * 5000 + "a" + ")" * 5000,
    "a+" * 50_000 + "a",
    "exp(exp(exp(exp(a))))",
    "1/0",
    "log(-1)",
    "<script>alert(1)</script>",
    "**bold** $x$ :red[text]",
    "\x00\x01",
    "a; import os",
    "sin(a, a)",
]


def keyed(widgets) -> list[str]:
    return [w.key for w in widgets if w.key]


def check(at, what: str) -> None:
    assert_no_exception(at)
    assert_charts_clean(at, minimum=0)
    assert not at.exception, what


def widget(at, kind: str, key: str):
    found = [w for w in getattr(at, kind) if w.key == key]
    return found[0] if found else None


@pytest.mark.parametrize("page", LESSONS)
def test_every_numeric_control_at_min_and_max_keeps_the_page_working(page):
    at = run_page(page)
    assert_no_exception(at)
    assert_charts_clean(at)
    tried = 0
    for kind in ("slider", "number_input", "select_slider"):
        for key in keyed(getattr(at, kind)):
            control = widget(at, kind, key)
            if control is None:  # hidden by an earlier change
                continue
            if kind == "select_slider":
                original = control.options[control.options.index(control.format_func(control.value))]
                extremes = [control.options[0], control.options[-1]]
            else:
                original = control.value
                extremes = [v for v in (control.min, control.max) if v is not None]
            for value in [*extremes, original]:
                control = widget(at, kind, key)
                if control is None:
                    break
                if kind == "select_slider":
                    choose_label(control, value)
                else:
                    control.set_value(value)
                at.run()
                check(at, f"{page}: {key} = {value!r}")
                tried += 1
    assert tried >= 4, f"{page} has fewer than two keyed numeric controls"


@pytest.mark.parametrize("page", LESSONS)
def test_every_choice_of_every_selectbox_and_radio_renders(page):
    at = run_page(page)
    for kind in ("selectbox", "radio"):
        for key in keyed(getattr(at, kind)):
            for label in list(widget(at, kind, key).options):
                control = widget(at, kind, key)
                if control is None:
                    break
                choose_label(control, label)
                at.run()
                check(at, f"{page}: {key} = {label!r}")


@pytest.mark.parametrize("page", LESSONS)
def test_hostile_text_in_every_text_box_shows_a_message_and_keeps_the_charts(page):
    at = run_page(page)
    keys = keyed(at.text_input) + keyed(at.text_area)
    if not keys:
        pytest.skip(f"{page} has no text box")
    for key in keys:
        kind = "text_input" if widget(at, "text_input", key) is not None else "text_area"
        for text in HOSTILE_TEXT:
            widget(at, kind, key).input(text)
            at.run()
            check(at, f"{page}: {key} = {text[:40]!r}")
            assert_charts_clean(at, minimum=1)  # the rest of the page keeps working
            for element in at.markdown:  # nothing typed comes back as live markup
                assert "<script>" not in element.value


def test_every_lesson_folder_is_registered_and_every_registered_page_exists():
    """A lesson folder left out of lessons.LESSONS would escape the walker, the browser tests and the menu."""
    folders = {path.parent.name for path in (ROOT / "lessons").glob("*/page.py")}
    registered = {page.folder for page in lessons.PAGES}
    assert folders == registered
    assert all((ROOT / page.page).is_file() for page in lessons.PAGES)
    assert len({page.slug for page in lessons.PAGES}) == len({page.key for page in lessons.PAGES}) == len(lessons.PAGES)
