"""The script a page shows under "PyTorch code for this scene" prints the numbers that page computed.

(tests/test_export.py checks the scripts against gd_core for many scenes; this checks that each page describes
its own run: the same problem, data, start, learning rates, steps and batches as it computed.)
"""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pagetools import ROOT, assert_no_exception, charts, run_page

RTOL, ATOL = 1e-9, 1e-12  # see tests/test_export.py: the MSE from moments vs summed residuals


def printed(at) -> pd.DataFrame:
    """Run the page's script as `python scene.py` and read the CSV it prints."""
    (script,) = [code.value for code in at.code if "import torch" in code.value]
    result = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return pd.read_csv(io.StringIO(result.stdout))


def dataset_with(at, *columns: str) -> pd.DataFrame:
    found = [f for _, sets in charts(at) for f in sets.values() if set(columns) <= set(f.columns)]
    return max(found, key=len)


@pytest.mark.parametrize(
    "query",
    [
        {"one-weight.lr": "0.12", "one-weight.steps": "100"},  # diverges at step 78
        {"one-weight.loss": "sin(a) + a**2/10", "one-weight.lr": "0.3", "one-weight.start": "3"},
    ],
)
def test_page_one_prints_its_iteration_table(query):
    at = run_page("lessons/one_weight/page.py", query)
    assert_no_exception(at)
    table, script = at.dataframe[0].value, printed(at)
    param = table.columns[1]
    assert script["step"].tolist() == table["step"].tolist()
    np.testing.assert_allclose(script[param], table[param], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(script["loss"], table["loss"], rtol=RTOL, atol=ATOL)


def test_the_minibatch_page_prints_both_of_its_runs():
    at = run_page("lessons/minibatches/page.py", {"minibatches.batch": "7", "minibatches.epochs": "2"})
    assert_no_exception(at)
    script = printed(at)
    shown = dataset_with(at, "run", "step", "w", "b", "batch_loss")  # the minibatch run, every shipped step
    mini = script[script["run"] == 1].set_index("step").loc[shown["step"]]
    np.testing.assert_allclose(mini[["w", "b", "loss"]], shown[["w", "b", "loss"]], rtol=RTOL, atol=ATOL)
    assert set(script["run"]) == {0, 1} and script["step"].max() == 2 * 15  # 2 epochs of ⌈100/7⌉ steps


def test_the_optimizer_page_prints_every_optimizers_race():
    at = run_page("lessons/optimizers/page.py", {"optimizers.steps": "200"})
    assert_no_exception(at)
    script = printed(at)
    paths = dataset_with(at, "optimizer", "step", "x", "y", "loss")
    for name, path in paths.groupby("optimizer"):
        ran = script[script["optimizer"] == name].set_index("step").loc[path["step"]]
        np.testing.assert_allclose(ran[["x", "y", "loss"]], path[["x", "y", "loss"]], rtol=RTOL, atol=ATOL)
    assert set(script["optimizer"]) == set(paths["optimizer"]) and len(set(paths["optimizer"])) == 5


@pytest.mark.parametrize(
    "page",
    [
        "lessons/one_weight/page.py",
        "lessons/fitting_a_line/page.py",
        "lessons/minibatches/page.py",
        "lessons/learning_rate/page.py",
        "lessons/optimizers/page.py",
    ],
)
def test_every_download_is_written_only_when_clicked(page):
    # A button given bytes stores a file on every run, which the browser fetches at once to check it (a second copy
    # of the CSV per rerun, and a 404 when a newer run has replaced it); a deferred one (a callable) has no URL yet.
    at = run_page(page)
    assert_no_exception(at)
    buttons = [b.proto for b in at.get("download_button")]
    assert len(buttons) >= 4, [b.label for b in buttons]  # the page's CSV and the scene's .py, .ipynb and .html
    eager = [b.label for b in buttons if not b.deferred_file_id or b.url]
    assert not eager, f"download buttons with their file written on every run: {eager}"
