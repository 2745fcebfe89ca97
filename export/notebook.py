"""A scene as a Jupyter notebook (nbformat v4): the script's parts as cells, then the rows and a plot of the loss.

Markdown cells hold only our own words; everything a visitor sent (the link, file and column names) stays in the
code cells as Python string literals, so no visitor text is ever rendered as markdown.
"""

from __future__ import annotations

import nbformat
from nbformat import v4

from export.scene import SceneSpec
from export.script import script_sections

_KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

_SHOW_ROWS = """\
rows = trajectory()
print(",".join(COLUMNS))
for row in rows[:5] + ([("…",)] if len(rows) > 6 else []) + rows[max(5, len(rows) - 1) :]:
    print(*row, sep=",")
print(f"{len(rows)} rows; the script prints them all (python scene.py > trajectory.csv).")"""

_PLOT = """\
try:
    import matplotlib.pyplot as plt
except ImportError:  # the plot is optional
    plt = None
    print("matplotlib is not installed (pip install matplotlib): no plot, the rows above are the whole story.")
if plt is not None:
    step_at, loss_at = COLUMNS.index("step"), COLUMNS.index("loss")
    figure, axes = plt.subplots(figsize=(7, 4))
    for run, (optimizer_name, lr, batch_size, seed) in enumerate(RUNS):
        picked = [row for row in rows if len(RUNS) == 1 or row[0] == run]
        label = f"{optimizer_name}, lr = {lr:g}" + (f", batch {batch_size}" if batch_size else "")
        axes.plot([r[step_at] for r in picked], [r[loss_at] for r in picked], label=label)
    axes.set_yscale("log" if all(r[loss_at] > 0 for r in rows) else "symlog")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.legend()
    plt.show()"""

_HEADINGS = ("", "## The data", "## The loss", "## The runs", "## Gradient descent, step by step", "")


def scene_notebook(spec: SceneSpec) -> bytes:
    """The scene as an .ipynb (JSON bytes) that runs top to bottom: the script's sections, its rows, a loss plot."""
    cells = [
        v4.new_markdown_cell(
            f"# Descent {spec.version} · {spec.title}\n\n"
            "This notebook reproduces the scene on the app's page with plain PyTorch: the same data, start, learning "
            "rate(s), steps and optimizer, so the numbers below equal the page's. `LINK` in the next cell reopens "
            "the scene in the app."
        )
    ]
    sections = script_sections(spec)[:-1]  # the script's `if __name__ == "__main__"` block: replaced by the cells below
    for heading, source in zip(_HEADINGS, sections, strict=False):
        if not source:
            continue
        if heading:
            cells.append(v4.new_markdown_cell(heading))
        cells.append(v4.new_code_cell(source))
    cells += [
        v4.new_markdown_cell("## The trajectory\n\nOne row per step, step 0 being the start, with the app's columns."),
        v4.new_code_cell(_SHOW_ROWS),
        v4.new_markdown_cell("## Loss against step"),
        v4.new_code_cell(_PLOT),
    ]
    notebook = v4.new_notebook(cells=cells, metadata={"kernelspec": _KERNEL, "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return nbformat.writes(notebook).encode("utf-8")
