"""Nothing a visitor sends is rendered as markup (issue 9): ui.text.plain, and a scan of the code for messages that
interpolate a visitor's text (an exception's message, a file name, a column name, a typed string) without it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ui.text import plain

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([ROOT / "app.py", *(ROOT / "ui").rglob("*.py"), *(ROOT / "lessons").rglob("*.py")])
# Streamlit calls whose text is rendered as Markdown (body or label)
MARKUP_CALLS = {"markdown", "error", "warning", "info", "success", "toast", "caption", "write", "title", "header",
                "subheader"}  # fmt: skip
# Names that hold what a visitor sent (uploads, links, typed text)
VISITOR_NAMES = {"raw_name", "file_name", "filename", "header", "x_col", "y_col", "x_name", "y_name", "query",
                 "wanted", "typed_text", "incoming"}  # fmt: skip
# Exceptions whose message the app writes itself from numbers (gd_core.budget prices a request, nothing more)
OWN_MESSAGES = {"BudgetError"}


def _handler_types(tree: ast.AST) -> dict[int, set[str]]:
    """For each `except ... as name:` body line range, the caught exception class names (by the handler's id)."""
    caught = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.name and node.type is not None:
            types = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names = {t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "?") for t in types}
            for inner in ast.walk(node):
                caught.setdefault(id(inner), {})[node.name] = names
    return caught


def _leaks(path: Path, root: Path = ROOT) -> list[str]:
    """Each f-string argument of a markup call that interpolates visitor text not passed through plain()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    caught = _handler_types(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MARKUP_CALLS):
            continue
        texts = [*node.args[:1], *(k.value for k in node.keywords if k.arg in {"body", "label"})]
        for text in texts:
            for part in ast.walk(text):
                if not isinstance(part, ast.FormattedValue):
                    continue
                value = part.value
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "plain":
                    continue
                named = value.id if isinstance(value, ast.Name) else getattr(value, "attr", None)
                exception = caught.get(id(node), {}).get(named)
                if named in VISITOR_NAMES or (exception is not None and not exception <= OWN_MESSAGES):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {{{ast.unparse(value)}}}")
    return found


def test_no_message_interpolates_visitor_text_or_an_error_without_plain():
    leaks = [leak for path in SOURCES for leak in _leaks(path)]
    assert not leaks, "wrap these in ui.text.plain (they may quote a file, a column or typed text):\n" + "\n".join(
        leaks
    )


def test_the_scan_finds_an_unescaped_error_and_a_file_name(tmp_path):
    """The scan itself: an exception's message or a file name in an f-string is found; plain() and a budget are not."""
    source = tmp_path / "page.py"
    source.write_text(
        "try:\n    load()\nexcept ValueError as error:\n    st.error(f'Could not load: {error}')\n"
        "    st.info(f'ok: {plain(error)}')\n"
        "except gd.BudgetError as error:\n    st.warning(f'{n} steps: {error}.')\n"
        "st.caption(f'from {raw_name}')\n",
        encoding="utf-8",
    )
    leaks = [leak.split(" ", 1)[1] for leak in _leaks(source, tmp_path)]
    assert sorted(leaks) == ["{error}", "{raw_name}"]


@pytest.mark.parametrize(
    "text", ["![x](http://127.0.0.1:9/t.png)", "[Sign in](http://h/l)", "<img src=x onerror=alert(1)>", ":red[a] $x$"]
)
def test_plain_backslashes_every_markup_character(text):
    escaped = plain(text)
    unescaped = escaped.replace("\\", "")
    assert unescaped == text
    active = set("\\`*_{}[]()#+-.!|<>~$&:=\"'")
    assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if i and ch in active - {"\\"}), escaped
