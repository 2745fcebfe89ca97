"""Every control of every page at its extremes, every text box fed hostile text: no exception, clean charts."""

from __future__ import annotations

import pytest
from pagetools import ROOT, assert_charts_clean, assert_no_exception, choose_label, run_page

import lessons
from ui.text import plain

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


MARKUP = ["![x](http://127.0.0.1:9/t.png)", "[Sign in](http://127.0.0.1:9/l)", "<img src=x>", ":red[a] $x$"]


def _upload(page: str, content: bytes, name: str = "data.csv"):
    at = run_page(page)
    choose_label(at.radio(key="data.source"), "Upload CSV")
    at.run()
    at.file_uploader(key="data.upload").set_value((name, content, "text/csv")).run()
    return at


def _escaped(shown: str, text: str) -> bool:
    """`text` appears in `shown` with every markup character backslashed (as ui.text.plain writes it)."""
    return plain(text) in shown and text not in shown


@pytest.mark.parametrize("page", ["lessons/fitting_a_line/page.py", "lessons/minibatches/page.py"])
@pytest.mark.parametrize("header", MARKUP)
def test_a_csv_header_quoted_in_a_data_error_is_escaped_not_rendered(page, header):
    """Issue 9: a header name in the error (here a constant x column) rendered as Markdown: an image, a link."""
    quoted = header.replace('"', '""')
    at = _upload(page, f'"{quoted}",y\n1,2\n1,3\n1,4\n'.encode())
    assert_no_exception(at)
    errors = [e.value for e in at.error]
    assert any("constant" in e for e in errors), errors
    assert any(_escaped(e, header) for e in errors), errors


@pytest.mark.parametrize("page", ["lessons/fitting_a_line/page.py", "lessons/minibatches/page.py"])
def test_a_file_name_with_a_url_is_shown_escaped_so_it_is_no_link(page):
    name = "http://127.0.0.1:9/l [Sign in](http://127.0.0.1:9/l).csv"
    at = _upload(page, b"x,y\n1,2\n2,4.5\n3,5.5\n", name)
    assert_no_exception(at)
    shown = [e.value for e in [*at.caption, *at.markdown] if "points from http" in e.value]
    assert shown and all(_escaped(e, name) for e in shown), shown  # "http\:" is no autolink, "\[…\]" no link
