"""What the line-fitting pages (2 · Fitting a line, 3 · Minibatches) share: the data controls, the learning-rate
control, widgets that keep their values across pages, and cached gd_core calls on that data."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st
import torch

import gd_core as gd
from charts import line_fit as lf
from export.scene import CsvLine, SyntheticLine
from lessons import DATA_KEY
from ui import settings
from ui.cache import cached
from ui.numbers import lr_ladder
from ui.text import plain
from ui.widgets import remembered

SOURCES = ("Synthetic", "Upload CSV")
# The work one rerun may ask of gd_core on the line-fitting pages (each call checks its own request against it):
# with two descents, the batch membership, the surface and the chart, a rerun stays within ~1 CPU-s (bench/).
PAGE_BUDGET = gd.Budget(seconds=0.3, megabytes=80)
CSV_BUDGET = gd.Budget(seconds=0.6, megabytes=120)  # parsing a new file, once per file (failures are cached too)
LEARNING_RATES = lr_ladder(1e-6, 10.0)  # wide enough for data in any units
FALLBACK_LR = 0.1


@dataclass(frozen=True)
class Data:
    """A data set chosen on the page, with a key that identifies it for st.cache_data (the arrays are not hashed)."""

    dataset: gd.Dataset
    key: str
    label: str
    source: SyntheticLine | CsvLine  # where it came from, for the scene's PyTorch code (export.scene)
    scale: gd.Scale | None = None  # set when the data were standardised: fits are in z-scores, see gd.standardise

    @property
    def frame(self) -> pd.DataFrame:
        """The points as columns x, y."""
        return self.dataset.frame()


# --- the data ------------------------------------------------------------------------------------------------------


@cached
def _synthetic(n: int, slope: float, intercept: float, noise: float, outliers: int, seed: int) -> pd.DataFrame:
    return gd.synthetic(n=n, slope=slope, intercept=intercept, noise=noise, outliers=outliers, seed=seed).frame()


@dataclass(frozen=True)
class Parsed:
    """An uploaded file read once: its numeric columns, or why it cannot be used (cached too, never re-parsed)."""

    frame: pd.DataFrame | None
    error: str = ""


# A parsed upload outlives the page's other entries (ui.cache.TTL_SECONDS): the other line page reads it by its digest
# alone (its uploader is empty there), for as long as a lesson lasts; 8 files of at most ~16 MB each.
@cached(max_entries=8, ttl=45 * 60)
def _parse(digest: str, _content: bytes | None) -> Parsed:
    """read_csv of the file with this SHA-256 digest (its bytes are not hashed: the digest is the key)."""
    if _content is None:
        raise LookupError(digest)  # not cached: the page asks for the file again
    try:
        return Parsed(gd.read_csv(_content, budget=CSV_BUDGET))
    except ValueError as error:  # DataError, BudgetError
        return Parsed(None, str(error))


def data_controls(prefix: str = DATA_KEY) -> Data | None:
    """Draw the data controls (synthetic line or uploaded CSV); the chosen data, or None after showing why not.

    Both line-fitting pages call this with the same prefix, so the data stays the same when switching pages.
    """
    source = remembered(
        st.radio, "Data", key=f"{prefix}.source", default=SOURCES[0], options=SOURCES, horizontal=True,
        label_visibility="collapsed",
    )  # fmt: skip
    try:
        return _synthetic_controls(prefix) if source == SOURCES[0] else _upload_controls(prefix)
    except ValueError as error:  # gd.DataError and friends: say what is wrong with the data
        show_error(error)
        return None


def show_error(error: Exception) -> None:
    """gd_core's message for a bad input, as a sentence in a red box."""
    message = str(error)
    st.error(plain(message[:1].upper() + message[1:], 400), icon="⚠️")  # it may quote a column name or file


def _synthetic_controls(prefix: str) -> Data:
    left, middle, right = st.columns(3)
    n = remembered(left.slider, "Points n", key=f"{prefix}.n", default=100, min_value=10, max_value=5000, step=10)
    noise = remembered(
        middle.slider, "Noise σ", key=f"{prefix}.noise", default=1.0, min_value=0.0, max_value=5.0, step=0.1,
        help="Standard deviation of the Gaussian noise added to each y.",
    )  # fmt: skip
    outliers = remembered(
        right.slider, "Outliers", key=f"{prefix}.outliers", default=0, min_value=0, max_value=20,
        help="Points pushed far above or below the line: watch them drag the least-squares fit.",
    )  # fmt: skip
    left, right = st.columns(2)
    number = {"min_value": -100.0, "max_value": 100.0, "step": 0.5, "format": "%g"}
    slope = remembered(left.number_input, "True slope", key=f"{prefix}.slope", default=2.0, **number)
    intercept = remembered(right.number_input, "True intercept", key=f"{prefix}.intercept", default=1.0, **number)
    seed = settings.current().seed
    frame = _synthetic(n, slope, intercept, noise, min(outliers, n), seed)
    st.caption(f"y = {slope:g}·x + {intercept:g} + noise, x uniform in [−3, 3]; seed {seed} (sidebar).")
    key = f"synthetic:{n}:{slope!r}:{intercept!r}:{noise!r}:{outliers}:{seed}"
    source = SyntheticLine(n, slope, intercept, noise, min(outliers, n), seed)
    return Data(gd.Dataset(frame["x"], frame["y"]), key, f"{n:,} synthetic points", source)


def _upload_controls(prefix: str) -> Data | None:
    """The uploader; the session keeps only (file id, name, digest), the parsed file lives in the byte-bounded cache."""
    key, stored = f"{prefix}.upload", f"_{prefix}.upload_file"

    def on_new_file() -> None:  # a new file picks its own columns; × on the file forgets the kept copy too
        for name in (f"{prefix}.x_col", f"{prefix}.y_col"):
            st.session_state.pop(name, None)
            st.session_state.pop(f"_{name}", None)
        if st.session_state.get(key) is None:
            st.session_state.pop(stored, None)

    upload = st.file_uploader(
        "CSV file (a header row, then numbers)", type=["csv", "txt"], key=key, on_change=on_new_file,
        help="Separated by commas, semicolons or tabs. x is the first numeric column, y the last: change them below.",
    )  # fmt: skip
    content = None
    if upload is not None:
        kept = st.session_state.get(stored)
        if kept is None or kept[0] != upload.file_id:  # a digest once per file, not on every rerun
            st.session_state[stored] = (upload.file_id, upload.name, hashlib.sha256(upload.getvalue()).hexdigest())
        content = upload.getvalue() if _not_parsed(st.session_state[stored][2]) else None
    elif stored in st.session_state:
        earlier = plain(st.session_state[stored][1], 120)
        st.caption(f"Using **{earlier}**, uploaded earlier. Upload another file to replace it.")
    else:
        st.info("Upload a CSV file with at least two numeric columns to fit a line to it.")
        return None
    _, raw_name, digest = st.session_state[stored]
    name = plain(raw_name, 120)  # the file's name is the visitor's text: show it, never interpret it
    try:
        parsed = _parse(digest, content)
    except LookupError:
        st.session_state.pop(stored, None)
        st.info("The file uploaded earlier is no longer held by the server: upload it again.")
        return None
    if parsed.frame is None:
        raise gd.DataError(parsed.error)
    frame = parsed.frame
    columns = gd.numeric_columns(frame)
    left, right = st.columns(2)
    x_col = remembered(left.selectbox, "x column", key=f"{prefix}.x_col", default=columns[0], options=columns)
    y_col = remembered(right.selectbox, "y column", key=f"{prefix}.y_col", default=columns[-1], options=columns)
    dataset = _dataset(digest, frame, x_col, y_col)
    standardise = remembered(
        st.checkbox, "Standardise x and y (fit z-scores, report the line in the file's units)",
        key=f"{prefix}.standardise", default=False,
        help="Data in large units (prices, areas) make the critical learning rate tiny and descent crawl. "
        "Fitting z = (value − mean)/std instead gives a well-conditioned problem; the fit is converted back.",
    )  # fmt: skip
    label = f"{dataset.n:,} points from {name}"
    if standardise:  # the scene's code gets the standardised points (embedded when at most 2,000 of them)
        scaled = gd.standardise(dataset)
        source = CsvLine.from_dataset(raw_name, scaled.dataset)
        key = f"csv:{digest[:20]}:{x_col}:{y_col}:z"
        return Data(scaled.dataset, key, label + " (standardised)", source, scaled.scale)
    return Data(dataset, f"csv:{digest[:20]}:{x_col}:{y_col}", label, CsvLine.from_dataset(raw_name, dataset))


def _not_parsed(digest: str) -> bool:
    """True when the cache does not hold the parse of this file (then its bytes are read)."""
    try:
        _parse(digest, None)
    except LookupError:
        return True
    return False


@cached(max_entries=8)
def _dataset(digest: str, _frame: pd.DataFrame, x_col: str, y_col: str) -> gd.Dataset:
    """dataset_from_frame on the parsed file, once per choice of columns (the frame is keyed by its digest)."""
    return gd.dataset_from_frame(_frame, x_col, y_col)


def data_and_rate(lr_key: str, device: str):
    """The two boxes both line-fitting pages open with: the data (left) and the descent (right), with the
    learning-rate control already in it. Returns (data or None, lr, the descent box for the page's own controls)."""
    data_column, descent_column = st.columns(2, gap="large")
    with data_column.container(border=True):
        st.markdown("**Data**")
        data = data_controls()
    descent_box = descent_column.container(border=True)
    with descent_box:
        st.markdown("**Descent**")
        lr = lr_control(lr_key, critical_lr(data, device))
    return data, lr, descent_box


def lr_control(key: str, critical: float) -> float:
    """A log-spaced learning-rate slider, set to the largest choice ≤ half the critical rate at first and whenever
    new data moves the critical rate by more than a factor of 3 (data in other units needs another scale of lr)."""
    usable = [lr for lr in LEARNING_RATES if lr <= 0.5 * critical]
    default = (usable[-1] if usable else LEARNING_RATES[0]) if math.isfinite(critical) else FALLBACK_LR
    seen = st.session_state.get(f"_{key}_critical")  # None: the first run; inf: runs so far had no data
    st.session_state[f"_{key}_critical"] = critical
    rescaled = (  # data after runs without (a first upload), or data on another scale: a learning rate to suit it
        math.isfinite(critical)
        and seen is not None
        and (not math.isfinite(seen) or abs(math.log(critical / seen)) > math.log(3))
    )
    if rescaled:
        st.session_state[key] = default
    lr = remembered(
        st.select_slider, "Learning rate", key=key, default=default, options=LEARNING_RATES, format_func="{:g}".format,
        help="The step is lr × gradient. Above the critical rate 2/λmax the steps overshoot further each time.",
    )  # fmt: skip
    if math.isfinite(critical):
        verdict = "⚠️ above it: expect divergence." if lr > critical else f"this lr is {lr / critical:.2g}× that."
        reset = " Reset to suit the new data." if rescaled else ""
        st.caption(f"Critical learning rate for this data: 2/λmax = **{critical:.4g}**; {verdict}{reset}")
    if critical < LEARNING_RATES[0]:
        st.warning(
            "This data needs a learning rate below the smallest choice: rescale the columns (for an uploaded file, "
            "tick **Standardise x and y**)."
        )
    elif critical < 1e-3:
        st.info(
            f"With a critical rate of {critical:.2g}, descent on data in these units crawls: for an uploaded file, "
            "tick **Standardise x and y** to fit z-scores (the line is reported in the file's units).",
            icon="🐢",
        )
    return lr


# --- cached gd_core work on the chosen data (hashed by Data.key, see ui.cache) -------------------------------------


def _problem(dataset: gd.Dataset) -> gd.LinearRegression:
    return gd.LinearRegression(dataset.x, dataset.y)


@dataclass(frozen=True)
class LeastSquares:
    """The best line: θ* = (w*, b*) in closed form and its MSE, the floor any descent can reach."""

    optimum: tuple[float, float]
    min_loss: float


@cached
def least_squares(data: Data) -> LeastSquares:
    """The least-squares line (w*, b*) and its MSE."""
    problem = _problem(data.dataset)
    w, b = problem.least_squares()
    return LeastSquares((w, b), float(problem.loss(torch.tensor([w, b], dtype=torch.float64))))


@cached
def _critical_lr(data: Data, device: str) -> float:
    return gd.critical_lr(_problem(data.dataset), device=device)


def critical_lr(data: Data | None, device: str) -> float:
    """2/λmax of the data's MSE (inf without data)."""
    return math.inf if data is None else _critical_lr(data, device)


@cached
def descent(
    data: Data,
    *,
    lr: float,
    steps: int,
    start: tuple[float, float] = (0.0, 0.0),
    batch_size: int | None = None,
    seed: int = 0,
    device: str = "auto",
    schedule: gd.Schedule | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """gd.descend on the data's MSE, within the page's budget: (frame, summary) of the trajectory."""
    run = gd.descend(
        _problem(data.dataset), lr=lr, steps=steps, start=start, batch_size=batch_size, seed=seed, device=device,
        schedule=schedule, budget=PAGE_BUDGET,
    )  # fmt: skip
    return run.frame, run.summary


@cached
def surface(data: Data, ranges, resolution: int = 50, device: str = "auto") -> pd.DataFrame:
    """The MSE over a resolution × resolution grid of (w, b)."""
    return gd.loss_surface(_problem(data.dataset), ranges, resolution, device=device, budget=PAGE_BUDGET)


@cached
def batch_membership(data: Data, batch_size: int, steps: int, seed: int, points: int, shown: tuple[int, ...]):
    """Which of the chart's `points` sampled data points (charts.line_fit.display_sample) are in the batch of each
    shown step: only the rows the chart ships, never the whole (step, point) table."""
    sample = lf.display_sample(data.frame[["x", "y"]], points)["index"].to_numpy()
    return gd.batch_membership_of(data.dataset.n, batch_size, steps, seed, sample, only_steps=shown)


def trajectory_csv(frame: pd.DataFrame) -> bytes:
    """Every step of a trajectory as CSV bytes, for a deferred st.download_button (written when clicked, not cached)."""
    return frame.to_csv(index=False).encode()
