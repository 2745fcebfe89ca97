"""What a lesson page computed, as plain data: enough to recompute it (`SceneSpec.frame`) or to write it out as a
PyTorch script, a notebook or an offline page. No Streamlit here: the pages build a SceneSpec from their widgets.

A scene is a problem (the loss, and the data it is measured on), one or more runs (optimizer, learning rate,
batch schedule), a start point and a number of steps, plus the link that reopens it in the app.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import gd_core as gd
from lessons import LESSONS

LESSON_TITLES = {lesson.slug: lesson.title for lesson in LESSONS}  # the registry (lessons/__init__.py: no UI)
MAX_EMBEDDED_ROWS = 2_000  # data sets up to this size travel inside the script; larger ones are read from the file
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@cache
def app_version() -> str:
    """The app's version, as pyproject.toml states it."""
    with _PYPROJECT.open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


# --- the problem ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedLoss:
    """The tutorial's loss: one point (x, y) = (−3, 3), model y = A·x, Loss(A) = (3 + 3A)²."""


@dataclass(frozen=True)
class TypedLoss:
    """A loss typed on page 1, in the variable a (parsed against gd_core's whitelist, never run as text)."""

    text: str


@dataclass(frozen=True)
class SyntheticLine:
    """gd.synthetic data: y = slope·x + intercept + N(0, noise²), x uniform in [−3, 3], some outliers."""

    n: int
    slope: float
    intercept: float
    noise: float
    outliers: int = 0
    seed: int = 0


@dataclass(frozen=True)
class CsvLine:
    """An uploaded CSV's two columns; `rows` holds the (x, y) points when there are at most 2,000 of them."""

    file_name: str
    x_column: str
    y_column: str
    rows: tuple[tuple[float, float], ...] | None = field(default=None, repr=False)

    @classmethod
    def from_dataset(cls, file_name: str, dataset: gd.Dataset) -> CsvLine:
        """The CsvLine for data read from `file_name`, embedding the points when the data is small."""
        rows = None
        if dataset.n <= MAX_EMBEDDED_ROWS:
            rows = tuple(zip(dataset.x.tolist(), dataset.y.tolist(), strict=True))
        return cls(file_name, dataset.x_name, dataset.y_name, rows)


@dataclass(frozen=True)
class Surface:
    """One of gd_core's 2-D test surfaces, by name (gd.TEST_FUNCTIONS)."""

    name: str


Problem = SeedLoss | TypedLoss | SyntheticLine | CsvLine | Surface


def line_data(problem: SyntheticLine | CsvLine, dataset: gd.Dataset | None = None) -> gd.Dataset:
    """The points of a line problem: generated, embedded, `dataset` when given, else read from the file by name."""
    if isinstance(problem, SyntheticLine):
        p = problem
        return gd.synthetic(
            n=p.n, slope=p.slope, intercept=p.intercept, noise=p.noise, outliers=p.outliers, seed=p.seed
        )
    if dataset is not None:
        return dataset
    if problem.rows is not None:
        points = np.asarray(problem.rows, dtype=np.float64).reshape(-1, 2)
        return gd.Dataset(points[:, 0], points[:, 1], problem.x_column, problem.y_column)
    frame = gd.read_csv(problem.file_name)
    return gd.dataset_from_frame(frame, problem.x_column, problem.y_column)


def gd_problem(problem: Problem, dataset: gd.Dataset | None = None):
    """The gd_core problem the page descends."""
    match problem:
        case SeedLoss():
            return gd.seed_problem()
        case TypedLoss(text=text):
            return gd.ScalarProblem.from_expression(text, var="a")
        case SyntheticLine() | CsvLine():
            data = line_data(problem, dataset)
            return gd.LinearRegression(data.x, data.y)
        case Surface(name=name):
            return gd.test_function(name)
    raise TypeError(f"not a problem: {problem!r}")


# --- the scene -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One run: optimizer (one of gd.OPTIMIZERS), learning rate, batch size (None = full batch), shuffle seed."""

    optimizer: str = "gd"
    lr: float = 0.1
    batch_size: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class SceneSpec:
    """Everything a lesson page computed: lesson, problem, runs, start, steps; and the link and app version."""

    lesson: str
    problem: Problem
    runs: tuple[RunSpec, ...]
    start: tuple[float, ...]
    steps: int
    link: str = ""
    version: str = field(default_factory=app_version)

    def __post_init__(self) -> None:
        """Check the lesson slug, that there is a run, and that every optimizer is gd_core's."""
        if self.lesson not in LESSON_TITLES:
            raise ValueError(f"unknown lesson {self.lesson!r}; choose one of {', '.join(LESSON_TITLES)}")
        if not self.runs:
            raise ValueError("a scene needs at least one run")
        for run in self.runs:
            if run.optimizer not in gd.FIRST_ORDER:  # Newton's Hessian step has no plain-torch script (yet)
                raise ValueError(
                    f"no script for optimizer {run.optimizer!r}; choose one of {', '.join(gd.FIRST_ORDER)}"
                )
        object.__setattr__(self, "start", tuple(float(v) for v in self.start))

    @property
    def title(self) -> str:
        """The lesson's title, e.g. '1 · One weight'."""
        return LESSON_TITLES[self.lesson]

    @property
    def param_names(self) -> tuple[str, ...]:
        """The parameters' names, as gd_core's frames name their columns."""
        match self.problem:
            case SeedLoss():
                return ("A",)
            case TypedLoss():
                return ("a",)
            case Surface():
                return ("x", "y")
        return ("w", "b")

    @property
    def several_runs(self) -> bool:
        """Whether the page shows several runs (then rows carry run, optimizer and lr)."""
        return len(self.runs) > 1

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the script prints: (run, optimizer, lr,) step, the parameters, loss."""
        head = ("run", "optimizer", "lr") if self.several_runs else ()
        return (*head, "step", *self.param_names, "loss")

    def frame(self, dataset: gd.Dataset | None = None, device: str = "cpu") -> pd.DataFrame:
        """The page's numbers by gd_core: one frame per run (gd.sweep for the learning-rate page, as it does),
        concatenated with `run` renumbered and an `optimizer` column. `dataset`: a big CSV's points, if at hand."""
        problem = gd_problem(self.problem, dataset)
        if self.lesson == "learning-rate" and all(r.optimizer == "gd" and r.batch_size is None for r in self.runs):
            lrs = [r.lr for r in self.runs]
            frame = gd.sweep(problem, lrs=lrs, steps=self.steps, start=self.start, device=device).frame
            return frame.assign(optimizer="gd")
        frames = []
        for index, run in enumerate(self.runs):
            trajectory = gd.descend(
                problem,
                lr=run.lr,
                steps=self.steps,
                start=self.start,
                optimizer=run.optimizer,
                batch_size=run.batch_size,
                seed=run.seed,
                device=device,
            )
            frames.append(trajectory.frame.assign(run=index, optimizer=run.optimizer))
        return pd.concat(frames, ignore_index=True)
