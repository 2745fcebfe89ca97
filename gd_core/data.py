"""Data sets for the linear-regression lessons: synthetic lines and uploaded CSV files.

CSV rules, in short:
- bytes are decoded as UTF-16 (when it starts with a UTF-16 BOM), else UTF-8 (BOM or not),
  else Windows-1252, else Latin-1; text with NUL bytes is refused as binary;
- the delimiter is whichever of ``,`` ``;`` and tab occurs most often in the first
  non-blank line (ties go to the comma); in ``;`` files a decimal comma (``1,5``) is read as 1.5;
- the first line is a header unless every cell in it is a number (then the columns are
  named "column 1", "column 2", ...); header names are kept as plain, stripped strings;
- a column is numeric when at least one cell and more than half of its non-empty cells
  are numbers; its other cells become NaN, and choosing it for a fit then reports
  how many cells are bad and the first bad data row (1 = the first row after the header);
- limits: MAX_BYTES (checked before reading a path), MAX_ROWS data rows, MAX_COLUMNS columns.
Dataset compares by identity (eq=False): its fields are arrays.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd

from gd_core.budget import Budget, check_csv

MAX_ROWS = 1_000_000
MAX_COLUMNS = 1_000
MAX_BYTES = 50 * 1024 * 1024  # uploads larger than this are refused
_MB = 1024 * 1024
_PARSE_ERRORS = (
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    UnicodeDecodeError,
    csv.Error,
    ValueError,
)


class DataError(ValueError):
    """Data that cannot be used for a fit; the message names the problem."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Paired observations for a fit: 1-D, finite, float64, equal length, read-only."""

    x: np.ndarray
    y: np.ndarray
    x_name: str = "x"
    y_name: str = "y"

    def __post_init__(self) -> None:
        """Store read-only float64 copies after checking shape and finiteness."""
        for name in ("x", "y"):
            try:
                values = np.array(getattr(self, name), dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise DataError(f"{name} is not an array of numbers") from err
            if values.ndim != 1:
                raise DataError(f"{name} must be one-dimensional; it has shape {values.shape}")
            if not np.isfinite(values).all():
                raise DataError(f"{name} has values that are not finite numbers")
            values.setflags(write=False)
            object.__setattr__(self, name, values)
        if len(self.x) != len(self.y):
            raise DataError(f"x has {len(self.x)} values but y has {len(self.y)}")

    @property
    def n(self) -> int:
        """Number of observations."""
        return len(self.x)

    def frame(self) -> pd.DataFrame:
        """The data as a frame with columns "x" and "y"."""
        return pd.DataFrame({"x": self.x, "y": self.y})


def synthetic(
    n: int = 100,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 1.0,
    outliers: int = 0,
    seed: int = 0,
    x_range: tuple[float, float] = (-3.0, 3.0),
) -> Dataset:
    """y = slope*x + intercept + N(0, noise^2); `outliers` points get a large vertical offset."""
    n = _int_arg("n", n, 2, MAX_ROWS)
    outliers = _int_arg("outliers", outliers, 0, n)
    seed = _int_arg("seed", seed, 0, None)
    slope = _finite_arg("slope", slope)
    intercept = _finite_arg("intercept", intercept)
    noise = _finite_arg("noise", noise)
    if noise < 0:
        raise DataError(f"noise must be >= 0; got {noise}")
    try:
        low, high = x_range
    except (TypeError, ValueError) as err:
        raise DataError(f"x_range must be a pair (low, high); got {x_range!r}") from err
    low, high = _finite_arg("x_range low", low), _finite_arg("x_range high", high)
    if not low < high:
        raise DataError(f"x_range needs low < high; got ({low}, {high})")
    if not math.isfinite(high - low):
        raise DataError(f"x_range ({low}, {high}) is too wide")

    rng = np.random.default_rng(seed)
    # Huge arguments may overflow; Dataset then reports the values as not finite.
    with np.errstate(over="ignore", invalid="ignore"):
        x = rng.uniform(low, high, n)
        y = slope * x + intercept + rng.normal(0.0, noise, n)
        idx = rng.choice(n, size=outliers, replace=False)
        offset = 5.0 * max(noise, 1.0) + abs(slope) * (high - low)
        sign = rng.choice([-1.0, 1.0], size=outliers)
        y[idx] += sign * offset * rng.uniform(1.0, 2.0, outliers)
    return Dataset(x, y)


def read_csv(
    source: bytes | str | os.PathLike | IO, *, max_bytes: int = MAX_BYTES, budget: Budget | None = None
) -> pd.DataFrame:
    """Read an uploaded CSV (bytes, str path, or file-like) into a frame of its numeric columns.

    A file of numbers only is parsed straight to float64 (about 25 times faster than cell by cell as text);
    anything else takes the text path. budget: the work allowed (gd_core.budget.DEFAULT if None), checked on
    rows × columns before each path; a file over it raises BudgetError (a DataError's sibling, a ValueError).
    """
    text = _decode(_read_bytes(source, max_bytes))
    if not text.strip():
        raise DataError("the file is empty")
    sep = _delimiter(text)
    rows, columns = text.count("\n") + 1, _first_line(text).count(sep) + 1
    check_csv(budget, rows=rows, columns=columns, as_text=False)
    numbers = _numbers_only(text, sep)
    if numbers is not None:
        return numbers
    check_csv(budget, rows=rows, columns=columns, as_text=True)
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            nrows=MAX_ROWS + 2,
        )
    except _PARSE_ERRORS as err:
        lines = str(err).strip().splitlines() or [type(err).__name__]
        raise DataError(f"could not parse the file as CSV: {lines[-1]}") from err
    if raw.empty:
        raise DataError("the file is empty")

    decimal_comma = sep == ";"
    first = raw.iloc[0]
    first_numbers, first_filled = _to_numbers(first, decimal_comma)
    if first_filled.any() and first_numbers[first_filled].notna().all():
        names = [f"column {i}" for i in range(1, raw.shape[1] + 1)]
    else:
        names = _unique_names(["" if pd.isna(v) else str(v) for v in first])
        raw = raw.iloc[1:]
    if raw.empty:
        raise DataError("the file has a header but no data rows")
    if len(raw) > MAX_ROWS:
        raise DataError(f"the file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}")
    raw = raw.set_axis(names, axis=1).reset_index(drop=True)

    columns = {}
    for name in names:
        numbers, filled = _to_numbers(raw[name], decimal_comma)
        if _mostly_numbers(numbers, filled):
            columns[name] = numbers
    if len(columns) < 2:
        found = ", ".join(_q(c) for c in columns) or "none"
        raise DataError(f"needs at least two numeric columns; found: {found} (columns in the file: {_list(names)})")
    frame = pd.DataFrame(columns)
    frame.attrs["file_columns"] = names
    return frame


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of `frame` in which at least one and most non-empty cells are numbers."""
    return [c for i, c in enumerate(frame.columns) if _mostly_numbers(*_to_numbers(frame.iloc[:, i]))]


def dataset_from_frame(frame: pd.DataFrame, x_col: str, y_col: str) -> Dataset:
    """Two numeric columns of a frame -> Dataset, rejecting what a fit cannot use."""
    if x_col == y_col:
        raise DataError(f"x and y must be different columns; both are {_q(x_col)}")
    for col in (x_col, y_col):
        if col not in frame.columns:
            raise DataError(f"there is no column {_q(col)}; the columns are: {_list(frame.columns)}")
        if (frame.columns == col).sum() > 1:
            raise DataError(f"there are several columns named {_q(col)}")
    if len(frame) < 2:
        raise DataError(f"a fit needs at least 2 rows; the data has {len(frame)}")
    if len(frame) > MAX_ROWS:
        raise DataError(f"the data has {len(frame):,} rows; the limit is {MAX_ROWS:,}")
    values = {}
    for col in (x_col, y_col):
        numbers = _to_numbers(frame[col])[0].to_numpy()
        _reject(col, np.isnan(numbers), "empty or non-numeric cell")
        _reject(col, np.isinf(numbers), "infinite value")
        values[col] = numbers
    x = values[x_col]
    if x.min() == x.max():
        raise DataError(f"x is constant (every value in column {_q(x_col)} is {x[0]:g}), so the slope is undefined")
    return Dataset(x, values[y_col], str(x_col), str(y_col))


def load_csv(
    source: bytes | str | os.PathLike | IO,
    x_col: str | None = None,
    y_col: str | None = None,
) -> Dataset:
    """read_csv + dataset_from_frame; default columns are the first two numeric ones."""
    frame = read_csv(source)
    names = list(frame.columns)
    for col in (x_col, y_col):
        if col is not None and col not in names and col in frame.attrs["file_columns"]:
            raise DataError(f"column {_q(col)} is not numeric (most of its cells are not numbers)")
    if x_col is None:
        x_col = next(c for c in names if c != y_col)
    if y_col is None:
        y_col = next(c for c in names if c != x_col)
    return dataset_from_frame(frame, x_col, y_col)


# --- helpers -------------------------------------------------------------------------------


def _int_arg(name: str, value: object, low: int, high: int | None) -> int:
    """An integer argument within [low, high], or DataError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{name} must be an integer; got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low:,} and {high:,}" if high is not None else f">= {low}"
        raise DataError(f"{name} must be {bounds}; got {value:,}")
    return int(value)


def _finite_arg(name: str, value: object) -> float:
    """A finite float argument, or DataError."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise DataError(f"{name} must be a number; got {value!r}") from err
    if not math.isfinite(number):
        raise DataError(f"{name} must be finite; got {number}")
    return number


def _read_bytes(source: bytes | str | os.PathLike | IO, max_bytes: int) -> bytes:
    """The raw bytes of `source`, refusing more than max_bytes."""
    size = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size = len(data)
    elif isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
            if size > max_bytes:
                raise DataError(_too_big(size, max_bytes))
            with open(source, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as err:
            raise DataError(f"cannot read the file: {err.strerror or err}") from err
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        size = getattr(source, "size", None)
    else:
        raise TypeError(f"expected bytes, a path or a file-like object; got {type(source).__name__}")
    if len(data) > max_bytes:
        raise DataError(_too_big(size if isinstance(size, int) else None, max_bytes))
    if not data:
        raise DataError("the file is empty")
    return data


def _too_big(size: int | None, max_bytes: int) -> str:
    """Message for a file over the size limit."""
    if size is None:
        return f"file is larger than the limit of {_size(max_bytes)}"
    return f"file is {_size(size)}; the limit is {_size(max_bytes)}"


def _size(n: int) -> str:
    """A byte count for people: "61.2 MB", "50 MB", "900 bytes"."""
    return f"{n / _MB:.1f}".removesuffix(".0") + " MB" if n >= _MB else f"{n:,} bytes"


def _decode(data: bytes) -> str:
    """Text from bytes: UTF-16 with a BOM, else UTF-8, else Windows-1252, else Latin-1."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise DataError("not a text CSV (bad UTF-16 text)") from err
    else:
        for encoding in ("utf-8-sig", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if "\x00" in text:
        raise DataError("not a text CSV (the file contains binary data)")
    return text


def _first_line(text: str) -> str:
    """The first non-blank line."""
    first = re.search(r"\S", text)
    pos = first.start() if first else 0
    start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    end = re.compile(r"[\r\n]").search(text, pos)
    return text[start : end.start() if end else None]


def _numbers_only(text: str, sep: str) -> pd.DataFrame | None:
    """The frame read_csv returns, when every data cell is a finite number (else None: take the text path).

    pandas' C parser straight to float64 (its default precise conversion); the header row is
    decided by the same rule as the text path, on the first line alone.
    """
    if sep == ";":
        return None  # decimal commas: the text path
    try:
        head = pd.read_csv(io.StringIO(_first_line(text)), sep=sep, header=None, dtype=str, keep_default_na=False,
                           skipinitialspace=True).iloc[0]  # fmt: skip
        head_numbers, head_filled = _to_numbers(head)
        header = not (head_filled.any() and head_numbers[head_filled].notna().all())
        names = _unique_names([str(v) for v in head]) if header else [f"column {i}" for i in range(1, len(head) + 1)]
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, names=names, skiprows=1 if header else 0,
                            dtype=np.float64, skipinitialspace=True,
                            na_filter=False, nrows=MAX_ROWS + 1, skip_blank_lines=True)  # fmt: skip
    except (*_PARSE_ERRORS, TypeError, OverflowError):
        return None
    if frame.empty or len(frame) > MAX_ROWS or len(names) < 2 or not np.isfinite(frame.to_numpy()).all():
        return None
    frame.attrs["file_columns"] = names
    return frame


def _delimiter(text: str) -> str:
    """The most frequent of , ; and tab in the first non-blank line (comma on ties)."""
    line = _first_line(text)
    sep = max((",", ";", "\t"), key=line.count)
    if line.count(sep) + 1 > MAX_COLUMNS:
        raise DataError(f"the file has {line.count(sep) + 1:,} columns; the limit is {MAX_COLUMNS:,}")
    return sep


def _unique_names(raw: list[str]) -> list[str]:
    """Stripped header names, blanks named "column i", duplicates numbered."""
    names: list[str] = []
    for i, name in enumerate(raw, 1):
        base = name.strip() or f"column {i}"
        name, k = base, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    return names


def _to_numbers(col: pd.Series, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """(cells as float64 with NaN where not a number, mask of non-empty cells)."""
    if pd.api.types.is_bool_dtype(col) or not (
        pd.api.types.is_numeric_dtype(col) or pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)
    ):
        return pd.Series(np.nan, index=col.index), col.notna()
    if pd.api.types.is_numeric_dtype(col):
        numbers, filled = col, col.notna()
    else:
        text = col.astype(str)
        filled = col.notna() & (text.str.strip() != "")
        if decimal_comma:
            text = text.str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(text.where(filled), errors="coerce")
    if pd.api.types.is_complex_dtype(numbers) or not pd.api.types.is_numeric_dtype(numbers):
        return pd.Series(np.nan, index=col.index), filled
    floats = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.Series(floats, index=col.index), filled


def _mostly_numbers(numbers: pd.Series, filled: pd.Series) -> bool:
    """True when at least one and more than half of the non-empty cells are numbers."""
    good = int(numbers.notna().sum())
    return good > 0 and 2 * good > int(filled.sum())


def _reject(col: str, bad: np.ndarray, what: str) -> None:
    """DataError naming how many cells of `col` are bad and the first bad data row (1-based)."""
    count = int(bad.sum())
    if count:
        row = int(np.argmax(bad)) + 1
        plural = "s" if count > 1 else ""
        raise DataError(f"column {_q(col)} has {count:,} {what}{plural} (first at row {row})")


def _q(name: object) -> str:
    """A column name quoted for a message, shortened if long."""
    text = str(name)
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def _list(names: object) -> str:
    """Up to ten quoted names for a message."""
    names = list(names)  # type: ignore[call-overload]
    shown = ", ".join(_q(n) for n in names[:10])
    return shown + (f" and {len(names) - 10:,} more" if len(names) > 10 else "")
