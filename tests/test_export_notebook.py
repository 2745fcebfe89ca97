"""The exported notebook is valid nbformat v4 and runs top to bottom (nbclient), ending on the page's last row."""

from __future__ import annotations

import json

import numpy as np
import pytest

from export.notebook import scene_notebook
from tests.test_export import SCENES, _write_big_csv, frame_of

nbformat = pytest.importorskip("nbformat")
CHOSEN = ["minibatches", "line-csv-by-name"]  # a kernel start each: two cover the shuffles and the file read


def test_notebook_is_valid_and_keeps_visitor_text_out_of_markdown():
    spec = SCENES["line-csv-embedded"]
    notebook = nbformat.reads(scene_notebook(spec).decode("utf-8"), as_version=4)
    nbformat.validate(notebook)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert spec.problem.file_name not in markdown and spec.problem.x_column not in markdown
    assert repr(spec.problem.file_name) in code
    assert "Descent 0.1.0" in markdown


@pytest.mark.notebook
@pytest.mark.parametrize("name", CHOSEN)
def test_notebook_runs_top_to_bottom_and_prints_the_last_row_of_the_frame(name, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    _write_big_csv(tmp_path)
    spec = SCENES[name]
    notebook = nbformat.reads(scene_notebook(spec).decode("utf-8"), as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    rows_cell = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("rows = trajectory()"))
    printed = "".join(o.get("text", "") for o in rows_cell.outputs).strip().splitlines()
    assert printed[0] == ",".join(spec.columns)
    last = printed[-2].split(",")  # the line before the row count
    expected = frame_of(name).iloc[-1]
    for column, value in zip(spec.columns, last, strict=True):
        if column == "optimizer":
            assert value == expected[column]
        else:
            np.testing.assert_allclose(float(value), float(expected[column]), rtol=1e-9, atol=1e-12)
    assert json.dumps(notebook.metadata["kernelspec"]["name"]) == '"python3"'
