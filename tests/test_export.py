"""The exported scene: the PyTorch script prints the page's numbers, the notebook runs, the offline page plays.

Each scene's script runs as `__main__` (runpy) inside one shared subprocess, so torch is imported once for all of
them; one scene also runs as a plain `python scene.py`. Its CSV is compared with SceneSpec.frame (gd_core) to a
relative 1e-9, with an absolute floor of 1e-12: gd_core computes the MSE from five moments (w²·var_x − 2w·cov_xy +
var_y + c²) while the script sums the squared residuals, so a loss that tends to zero (noise-free data, or
lr = 1/18 landing exactly on A = −1) differs by rounding at the scale of ε·var_y, not relative to the loss.
"""

from __future__ import annotations

import functools
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gd_core as gd
from export.scene import CsvLine, RunSpec, SceneSpec, SeedLoss, Surface, SyntheticLine, TypedLoss
from export.script import scene_script

RTOL, ATOL = 1e-9, 1e-12
LINK = "https://descent.example/one-weight?one-weight.lr=0.05&step=0"
ROSENBROCK_LRS = {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "rmsprop": 1e-2, "adam": 5e-2}
SADDLE_LRS = {"gd": 0.1, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 0.01, "adam": 0.05}


def _line_points(n: int, seed: int) -> gd.Dataset:
    data = gd.synthetic(n=n, slope=-1.5, intercept=40.0, noise=3.0, seed=seed)
    return gd.Dataset(data.x * 10 + 170, data.y, "height (cm)", "shoe, \"EU\"\n'size'")  # hostile-ish names


SMALL_CSV = CsvLine.from_dataset("my data'); import os #.csv", _line_points(60, 4))
BIG_CSV_DATA = _line_points(2500, 5)
BIG_CSV = CsvLine.from_dataset("big.csv", BIG_CSV_DATA)
LINE = SyntheticLine(n=100, slope=2.0, intercept=1.0, noise=1.0, outliers=0, seed=0)

SCENES = {
    "one-weight": SceneSpec("one-weight", SeedLoss(), (RunSpec(lr=0.05),), (-4.0,), 20, link=LINK),
    "one-weight-one-step": SceneSpec("one-weight", SeedLoss(), (RunSpec(lr=1 / 18),), (-4.0,), 5),
    "one-weight-diverging": SceneSpec("one-weight", SeedLoss(), (RunSpec(lr=0.12),), (-4.0,), 200),
    "one-weight-typed": SceneSpec("one-weight", TypedLoss("sin(a) + a^2/10 - sqrt(2)*e"), (RunSpec(lr=0.3),), (2,), 60),
    "one-weight-typed-diverging": SceneSpec("one-weight", TypedLoss("a^4 - a"), (RunSpec(lr=0.5),), (2.0,), 100),
    "line": SceneSpec("fitting-a-line", LINE, (RunSpec(lr=0.1),), (0.0, 0.0), 100),
    "line-outliers-noise-free": SceneSpec(
        "fitting-a-line", SyntheticLine(80, -3.0, 2.5, 0.0, 3, 7), (RunSpec(lr=0.05),), (1.0, -2.0), 150
    ),
    "line-diverging": SceneSpec("fitting-a-line", LINE, (RunSpec(lr=0.5),), (0.0, 0.0), 300),
    "line-csv-embedded": SceneSpec("fitting-a-line", SMALL_CSV, (RunSpec(lr=2e-5),), (0.0, 0.0), 50),
    "line-csv-by-name": SceneSpec("fitting-a-line", BIG_CSV, (RunSpec(lr=2e-5),), (0.0, 0.0), 30),
    "minibatches": SceneSpec(
        "minibatches", LINE, (RunSpec(lr=0.1), RunSpec(lr=0.1, batch_size=10, seed=0)), (0.0, 0.0), 50
    ),
    "minibatches-partial-batch": SceneSpec(
        "minibatches",
        SyntheticLine(47, 1.0, -1.0, 2.0, 2, 3),
        (RunSpec(lr=0.05), RunSpec(lr=0.05, batch_size=5, seed=11)),
        (0.0, 0.0),
        4 * 10,
    ),
    "minibatches-diverging": SceneSpec(
        "minibatches", LINE, (RunSpec(lr=0.5), RunSpec(lr=0.5, batch_size=2, seed=2)), (0.0, 0.0), 150
    ),
    "learning-rate-seed": SceneSpec(
        "learning-rate", SeedLoss(), tuple(RunSpec(lr=v) for v in (0.01, 1 / 18, 0.1, 1 / 9, 0.12)), (-4.0,), 100
    ),
    "learning-rate-line": SceneSpec(
        "learning-rate",
        SyntheticLine(100, 2.0, 1.0, 1.0, 0, 0),
        tuple(RunSpec(lr=v) for v in (0.05, 0.3, 0.45)),
        (0.0, 0.0),
        100,
    ),
    "optimizers-rosenbrock": SceneSpec(
        "optimizers", Surface("rosenbrock"), tuple(RunSpec(o, lr) for o, lr in ROSENBROCK_LRS.items()), (-1.5, 2.0), 150
    ),
    "optimizers-saddle": SceneSpec(
        "optimizers", Surface("saddle"), tuple(RunSpec(o, lr) for o, lr in SADDLE_LRS.items()), (-2.0, 0.01), 200
    ),
    "optimizers-ill-conditioned": SceneSpec(
        "optimizers", Surface("ill_conditioned"), (RunSpec("gd", 0.07), RunSpec("momentum", 0.01)), (-4.5, 1.5), 200
    ),
}

_RUNNER = """
import contextlib, io, json, runpy, sys
out = {}
for path in sys.argv[1:]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        runpy.run_path(path, run_name="__main__")
    out[path] = buffer.getvalue()
print(json.dumps(out))
"""


def _write_big_csv(folder: Path) -> None:
    frame = pd.DataFrame({BIG_CSV.x_column: BIG_CSV_DATA.x, BIG_CSV.y_column: BIG_CSV_DATA.y})
    frame.to_csv(folder / BIG_CSV.file_name, index=False)


@pytest.fixture(scope="module")
def script_outputs(tmp_path_factory) -> dict[str, str]:
    """Every scene's script, written to a file and run as __main__ in one subprocess: name -> stdout."""
    folder = tmp_path_factory.mktemp("scripts")
    _write_big_csv(folder)
    paths = {}
    for name, spec in SCENES.items():
        paths[name] = folder / f"{name}.py"
        paths[name].write_text(scene_script(spec), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, *map(str, paths.values())],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    by_path = json.loads(done.stdout)
    return {name: by_path[str(path)] for name, path in paths.items()}


@functools.cache
def frame_of(name: str) -> pd.DataFrame:
    """The scene's numbers by gd_core (the big CSV's points are at hand, as on the page)."""
    spec = SCENES[name]
    return spec.frame(dataset=BIG_CSV_DATA if spec.problem is BIG_CSV else None)


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def _assert_same_numbers(printed: pd.DataFrame, spec: SceneSpec, expected: pd.DataFrame) -> None:
    assert list(printed.columns) == list(spec.columns)
    assert len(printed) == len(expected), "the script stops at a different step than gd_core"
    for column in spec.columns:
        if column == "optimizer":
            assert printed[column].tolist() == expected[column].tolist()
        else:
            np.testing.assert_allclose(printed[column], expected[column].to_numpy(float), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", list(SCENES))
def test_script_prints_the_frame_gd_core_computes(name, script_outputs):
    spec = SCENES[name]
    _assert_same_numbers(_read(script_outputs[name]), spec, frame_of(name))


def test_the_settings_cover_divergence_minibatches_sweeps_every_optimizer_uploads_and_typed_losses():
    frames = {name: frame_of(name) for name in SCENES}
    for name in ("one-weight-diverging", "one-weight-typed-diverging", "line-diverging", "minibatches-diverging"):
        assert frames[name].groupby("run")["step"].max().min() < SCENES[name].steps, f"{name} does not diverge"
    assert frames["optimizers-saddle"].groupby("run")["step"].max().min() < 200  # the saddle has no bottom
    assert set(frames["optimizers-rosenbrock"]["optimizer"]) == set(gd.FIRST_ORDER)
    assert frames["minibatches-partial-batch"]["epoch"].notna().any()
    assert SMALL_CSV.rows is not None and BIG_CSV.rows is None


def test_script_runs_standalone_with_python(tmp_path):
    spec = SCENES["one-weight"]
    (tmp_path / "scene.py").write_text(scene_script(spec), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "scene.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )
    printed = _read(done.stdout)
    assert printed["step"].tolist() == list(range(21))
    np.testing.assert_allclose(printed["A"], -1 + (-3) * (1 - 18 * 0.05) ** np.arange(21), rtol=1e-12)


def test_script_carries_link_and_version_as_literals_only():
    text = scene_script(SCENES["line-csv-embedded"])
    assert 'LINK = ""' in text and 'VERSION = "0.1.0"' in text
    assert f"FILE_NAME, X_COLUMN, Y_COLUMN = {SMALL_CSV.file_name!r}" in text  # it holds a ", so repr's quotes
    assert "import os" not in text.replace(repr(SMALL_CSV.file_name), "")  # the file name stays inside its literal
    linked = scene_script(SCENES["one-weight"])
    assert f'LINK = "{LINK}"' in linked
    compile(text, "scene.py", "exec")


def test_typed_loss_reaches_the_script_only_as_whitelisted_torch_code():
    with pytest.raises(gd.ExpressionError):
        scene_script(SceneSpec("one-weight", TypedLoss("__import__('os')"), (RunSpec(lr=0.1),), (1.0,), 5))
    text = scene_script(SCENES["one-weight-typed"])
    expected = "(torch.sin(a) + ((a ** 2.0) / 10.0)) - (torch.sqrt(torch.tensor(2.0)) * 2.718281828459045)"
    assert f"return {expected}" in text


def test_every_generated_script_passes_ruff(tmp_path):
    pytest.importorskip("ruff")
    for name, spec in SCENES.items():
        (tmp_path / f"{name.replace('-', '_')}.py").write_text(scene_script(spec), encoding="utf-8")
    rules = ["--select", "E,F,W,I,B,UP,SIM", "--line-length", "120"]
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", *rules, str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_export_package_imports_neither_streamlit_nor_altair():
    import ast

    for path in (Path(__file__).resolve().parent.parent / "export").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] in ("streamlit", "altair", "ui") for n in names), (path.name, names)
