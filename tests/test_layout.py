"""The layout holds: gd_core is an engine (no UI), and each shared concept is defined in one place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = [p for folder in ("app.py", "lessons", "ui", "charts", "gd_core") for p in sorted(ROOT.glob(folder))]
SOURCES = sorted({p for base in APP_CODE for p in ([base] if base.is_file() else base.rglob("*.py"))})


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports."""
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", sorted((ROOT / "gd_core").glob("*.py")), ids=lambda p: p.name)
def test_gd_core_modules_import_no_ui(path):
    assert not imported_modules(path) & {"streamlit", "altair", "ui", "charts", "lessons", "vega_datasets"}


def test_importing_gd_core_loads_neither_streamlit_nor_altair():
    code = "import sys, gd_core as gd; gd.descend(gd.seed_problem(), lr=0.05, steps=3, start=-4)\n"
    code += "print(sorted(m for m in sys.modules if m.split('.')[0] in {'streamlit', 'altair'}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_chart_kit_imports_no_streamlit():
    for path in (ROOT / "charts").glob("*.py"):
        assert "streamlit" not in imported_modules(path), path


def code_lines(path: Path) -> list[str]:
    """The lines of a source file that are code: comments and docstrings left out."""
    source = path.read_text()
    prose = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            prose |= set(range(node.lineno, node.end_lineno + 1))
    return [
        line for i, line in enumerate(source.splitlines(), 1) if i not in prose and not line.lstrip().startswith("#")
    ]


def occurrences(text: str) -> list[str]:
    """The app's source files whose code contains `text`."""
    return [str(path.relative_to(ROOT)) for path in SOURCES if any(text in line for line in code_lines(path))]


@pytest.mark.parametrize(
    ("text", "home"),
    [
        ('bind="query-params"', "ui/widgets.py"),  # widgets reach the URL one way: ui.widgets.bound
        ("st.cache_data(", "ui/cache.py"),  # one caching pattern: ui.cache.cached
        ('"#D55E00"', "charts/kit.py"),  # the palette
        ("M0,-1L0", "charts/kit.py"),  # the star marking minima
        ("GREY = ", "charts/kit.py"),
        ("LOSS_FLOOR = ", "charts/kit.py"),
        ("def thinning_stride", "charts/kit.py"),
        ("binding_range(", "charts/kit.py"),  # the step parameter
        ("def lr_label", "ui/numbers.py"),
        ("def regime(", "gd_core/stability.py"),
        ("torch.optim.SGD", "gd_core/optimizers.py"),  # optimizers are records, built from torch.optim there
    ],
)
def test_each_concept_is_defined_in_one_place(text, home):
    assert occurrences(text) == [home]


def test_composites_get_their_parameters_one_way():
    """add_params deep-copies a composite; the only use left is a click selection on one unit chart."""
    assert occurrences(".add_params(") == ["lessons/optimizers/charts.py"]
