"""gd_core.data: synthetic lines, CSV loading, and the rejections a fit needs."""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gd_core import data
from gd_core.data import DataError, Dataset, dataset_from_frame, load_csv, numeric_columns, read_csv, synthetic

MB = 1024 * 1024
GOOD = b"height,weight\n1.5,60\n1.7,72\n1.8,80\n"
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_usable_or_rejected(source, *columns):
    """load_csv returns data a fit can use, or raises DataError: never anything else."""
    try:
        ds = load_csv(source, *columns)
    except DataError:
        return
    assert ds.x.dtype == ds.y.dtype == np.float64
    assert ds.x.ndim == ds.y.ndim == 1
    assert ds.n == len(ds.x) == len(ds.y) >= 2
    assert np.isfinite(ds.x).all() and np.isfinite(ds.y).all()
    assert ds.x.min() < ds.x.max()
    assert isinstance(ds.x_name, str) and isinstance(ds.y_name, str) and ds.x_name != ds.y_name


def test_the_module_imports_only_numpy_pandas_and_the_standard_library():
    tree = ast.parse(Path(data.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    third_party = {m.split(".")[0] for m in imported} - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"numpy", "pandas", "gd_core"}
    assert imported & {m for m in imported if m.startswith("gd_core")} == {"gd_core.budget"}  # stdlib only


# --- synthetic --------------------------------------------------------------------------------


def test_synthetic_same_seed_gives_identical_data():
    a, b = synthetic(seed=7, outliers=3), synthetic(seed=7, outliers=3)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)


def test_synthetic_different_seeds_give_different_data():
    a, b = synthetic(seed=1), synthetic(seed=2)
    assert not np.array_equal(a.x, b.x) and not np.array_equal(a.y, b.y)


def test_synthetic_without_noise_lies_exactly_on_the_line():
    ds = synthetic(n=500, slope=-1.5, intercept=0.25, noise=0.0, seed=3)
    assert np.array_equal(ds.y, -1.5 * ds.x + 0.25)


def test_synthetic_x_is_uniform_within_x_range():
    ds = synthetic(n=5000, x_range=(10.0, 20.0))
    assert ds.x.min() >= 10.0 and ds.x.max() < 20.0
    assert abs(ds.x.mean() - 15.0) < 0.2


def test_least_squares_on_synthetic_data_recovers_slope_and_intercept():
    ds = synthetic(n=20_000, slope=2.0, intercept=1.0, noise=0.5, seed=0)
    slope, intercept = np.polyfit(ds.x, ds.y, 1)
    assert abs(slope - 2.0) < 0.05 and abs(intercept - 1.0) < 0.05


@pytest.mark.parametrize("outliers", [0, 1, 7, 50])
def test_synthetic_moves_exactly_the_requested_number_of_points_off_the_line(outliers):
    ds = synthetic(n=50, slope=3.0, noise=0.0, outliers=outliers, seed=4)
    residual = ds.y - (3.0 * ds.x + 1.0)
    assert np.count_nonzero(residual) == outliers
    assert (np.abs(residual[residual != 0]) >= 5.0).all()


def test_synthetic_outliers_visibly_pull_the_fit():
    clean = synthetic(n=100, noise=0.5, seed=5)
    dirty = synthetic(n=100, noise=0.5, outliers=5, seed=5)
    assert np.ptp(dirty.y) > 1.5 * np.ptp(clean.y)
    slope, intercept = np.polyfit(dirty.x, dirty.y, 1)
    assert abs(slope - 2.0) + abs(intercept - 1.0) > 0.3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, "n must be between 2 and"),
        ({"n": data.MAX_ROWS + 1}, "n must be between 2 and"),
        ({"n": 10.0}, "n must be an integer"),
        ({"n": True}, "n must be an integer"),
        ({"noise": -0.1}, "noise must be >= 0"),
        ({"noise": float("nan")}, "noise must be finite"),
        ({"noise": "lots"}, "noise must be a number"),
        ({"slope": float("inf")}, "slope must be finite"),
        ({"intercept": float("-inf")}, "intercept must be finite"),
        ({"n": 10, "outliers": 11}, "outliers must be between 0 and 10"),
        ({"outliers": -1}, "outliers must be between 0"),
        ({"seed": -1}, "seed must be >= 0"),
        ({"x_range": (1.0, 1.0)}, "x_range needs low < high"),
        ({"x_range": (2.0, -2.0)}, "x_range needs low < high"),
        ({"x_range": (0.0, float("inf"))}, "x_range high must be finite"),
        ({"x_range": (0.0,)}, "x_range must be a pair"),
        ({"x_range": (-1e308, 1e308)}, "x_range .* is too wide"),
        ({"slope": 1e308, "x_range": (-10.0, 10.0)}, "y has values that are not finite"),
    ],
)
def test_synthetic_rejects_bad_arguments(kwargs, message):
    with pytest.raises(DataError, match=message):
        synthetic(**kwargs)


# --- Dataset ----------------------------------------------------------------------------------


def test_dataset_holds_read_only_float64_copies():
    x = np.array([1, 2, 3])
    ds = Dataset(x, [4, 5, 6])
    assert ds.x.dtype == ds.y.dtype == np.float64 and ds.n == 3
    x[0] = 99
    assert ds.x[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        ds.x[0] = 5.0


def test_dataset_frame_has_exactly_columns_x_and_y():
    frame = Dataset([1.0, 2.0], [3.0, 4.0], "height", "weight").frame()
    assert list(frame.columns) == ["x", "y"]
    assert frame["y"].tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1.0, 2.0], [1.0], "x has 2 values but y has 1"),
        ([1.0, np.nan], [1.0, 2.0], "x has values that are not finite"),
        ([1.0, 2.0], [np.inf, 2.0], "y has values that are not finite"),
        ([[1.0, 2.0]], [1.0, 2.0], "x must be one-dimensional"),
        (["a", "b"], [1.0, 2.0], "x is not an array of numbers"),
    ],
)
def test_dataset_rejects_unusable_arrays(x, y, message):
    with pytest.raises(DataError, match=message):
        Dataset(x, y)


# --- load_csv on good files -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "str path", "Path", "BytesIO", "StringIO"])
def test_load_csv_reads_bytes_paths_and_file_objects_alike(kind, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(GOOD)
    source = {
        "bytes": GOOD,
        "bytearray": bytearray(GOOD),
        "str path": str(path),
        "Path": path,
        "BytesIO": io.BytesIO(GOOD),
        "StringIO": io.StringIO(GOOD.decode()),
    }[kind]
    ds = load_csv(source)
    assert (ds.x_name, ds.y_name) == ("height", "weight")
    assert ds.x.tolist() == [1.5, 1.7, 1.8] and ds.y.tolist() == [60.0, 72.0, 80.0]


def test_load_csv_keeps_header_names_as_plain_text():
    names = ["=SUM(A1:A9)", "{y} %s ${HOME}", "größe (m²)"]
    csv = ",".join(f'"{n}"' for n in names) + "\n1,2,3\n4,5,6\n"
    frame = read_csv(csv.encode())
    assert list(frame.columns) == names
    ds = load_csv(csv.encode(), names[2], names[1])
    assert (ds.x_name, ds.y_name) == (names[2], names[1])


def test_load_csv_defaults_to_the_first_two_numeric_columns():
    ds = load_csv(b"name,age,city,height,weight\nann,30,Oslo,1.6,55\nbob,40,Rome,1.8,80\n")
    assert (ds.x_name, ds.y_name) == ("age", "height")


def test_load_csv_default_fills_only_the_column_not_given():
    csv = b"a,b,c\n1,2,3\n4,5,7\n"
    assert (load_csv(csv, x_col="c").y_name, load_csv(csv, y_col="a").x_name) == ("a", "b")


def test_load_csv_uses_explicitly_chosen_columns():
    ds = load_csv(b"a,b,c\n1,2,3\n4,5,7\n", "c", "a")
    assert ds.x.tolist() == [3.0, 7.0] and ds.y.tolist() == [1.0, 4.0]


def test_semicolon_files_are_detected_and_decimal_commas_read():
    ds = load_csv("Größe;Gewicht\n1,5;60\n1,75;72,5\n".encode())
    assert (ds.x_name, ds.y_name) == ("Größe", "Gewicht")
    assert ds.x.tolist() == [1.5, 1.75] and ds.y.tolist() == [60.0, 72.5]


def test_tab_separated_files_are_detected():
    assert load_csv(b"a\tb\n1\t2\n3\t4\n").y.tolist() == [2.0, 4.0]


def test_quoted_commas_in_a_comma_file_are_not_decimal_commas():
    with pytest.raises(DataError, match="column 'b' has 1 empty or non-numeric cell "):
        load_csv(b'a,b\n1,"2,5"\n3,4\n5,6\n')


def test_utf8_bom_is_not_part_of_the_first_name():
    ds = load_csv(b"\xef\xbb\xbfx,y\n1,2\n3,4\n")
    assert ds.x_name == "x"


def test_latin1_and_windows_1252_headers_are_decoded():
    assert load_csv("café,naïve\n1,2\n3,4\n".encode("latin-1")).x_name == "café"
    assert load_csv("price €,qty\n1,2\n3,4\n".encode("cp1252")).x_name == "price €"


def test_utf16_with_bom_is_decoded():
    ds = load_csv("größe\tgewicht\n1\t2\n3\t4\n".encode("utf-16"))
    assert (ds.x_name, ds.y.tolist()) == ("größe", [2.0, 4.0])


def test_a_file_without_header_gets_numbered_column_names():
    ds = load_csv(b"1,2\n3,4\n5,7\n")
    assert (ds.x_name, ds.y_name, ds.n) == ("column 1", "column 2", 3)


def test_crlf_blank_lines_and_spaces_around_values_are_tolerated():
    ds = load_csv(b"\r\n a , b \r\n\r\n 1 , 2 \r\n3,  4\r\n\r\n")
    assert (ds.x_name, ds.x.tolist(), ds.y.tolist()) == ("a", [1.0, 3.0], [2.0, 4.0])


def test_blank_and_duplicate_header_names_are_made_unique():
    frame = read_csv(b"a,a,,a\n1,2,3,4\n5,6,7,8\n")
    assert list(frame.columns) == ["a", "a (2)", "column 3", "a (3)"]


def test_read_csv_returns_only_numeric_columns_as_float64():
    frame = read_csv(b"name,age,note,h\nann,30,x,1.6\nbob,40,y,1.8\n")
    assert list(frame.columns) == ["age", "h"]
    assert (frame.dtypes == np.float64).all()
    assert numeric_columns(frame) == ["age", "h"]


def test_a_column_with_a_few_bad_cells_still_counts_as_numeric():
    frame = read_csv(b"a,b\n1,2\n2,oops\n3,4\n4,\n")
    assert list(frame.columns) == ["a", "b"]
    assert frame["b"].isna().tolist() == [False, True, False, True]


def test_numeric_columns_of_a_notebook_frame():
    frame = pd.DataFrame(
        {
            "ints": [1, 2, 3],
            "words": ["a", "b", "c"],
            "digits": ["1", " 2 ", "3"],
            "flags": [True, False, True],
            "mostly": [1.0, "x", 3.0],
            "half": ["1", "x", None],
            "nullable": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    assert numeric_columns(frame) == ["ints", "digits", "mostly", "nullable"]


def test_dataset_from_frame_converts_numeric_text_and_keeps_names():
    ds = dataset_from_frame(pd.DataFrame({"t": ["0", "1", "2"], "v": [1, 3, 5]}), "t", "v")
    assert (ds.x.tolist(), ds.y.tolist(), ds.x_name, ds.y_name) == ([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], "t", "v")


# --- rejections -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b" \n\r\n\t\n", "the file is empty"),
        (b"a,b\n", "a header but no data rows"),
        (b"a,b\x00\x01\x02\n1,2\n3,4\n", "not a text CSV"),
        (b"\xff\xfe\x00\xd8", "not a text CSV"),
        (b"a,b\n1,2\n3,4,5\n", "could not parse the file as CSV: .*Expected 2 fields in line 3, saw 3"),
        (b'a,b\n"1,2\n3,4\n', "could not parse the file as CSV: .*EOF inside string"),
        (b"name,age\nann,30\nbob,40\n", r"needs at least two numeric columns; found: 'age' \(columns in the file"),
        (b"name,town\nann,Oslo\nbob,Rome\n", "needs at least two numeric columns; found: none"),
        (b"a,b\n1,2\n", "a fit needs at least 2 rows; the data has 1"),
        (b"a,b\n1,inf\n2,3\n3,-inf\n", r"column 'b' has 2 infinite values \(first at row 1\)"),
        (b"a,b\n1,1e999\n2,3\n", r"column 'b' has 1 infinite value \(first at row 1\)"),
        (b"a,b\n5,1\n5,2\n5,3\n", r"x is constant \(every value in column 'a' is 5\), so the slope is undefined"),
        (b"a,b\n1,2\nnan,4\n3,5\n", r"column 'a' has 1 empty or non-numeric cell \(first at row 2\)"),
    ],
)
def test_load_csv_rejects_unusable_files(content, message):
    with pytest.raises(DataError, match=message):
        load_csv(content)


def test_bad_cells_in_a_chosen_column_are_counted_and_the_first_row_named():
    rows = [f"{i},{'' if i == 7 else 'n/a' if i in (9, 12) else i * 2}" for i in range(1, 21)]
    content = ("x,y\n" + "\n".join(rows) + "\n").encode()
    with pytest.raises(DataError, match=r"^column 'y' has 3 empty or non-numeric cells \(first at row 7\)$"):
        load_csv(content)


@pytest.mark.parametrize(
    ("x_col", "y_col", "message"),
    [
        ("a", "a", "x and y must be different columns; both are 'a'"),
        ("a", "zzz", "there is no column 'zzz'; the columns are: 'a', 'b'"),
        ("note", "b", "column 'note' is not numeric"),
    ],
)
def test_load_csv_rejects_bad_column_choices(x_col, y_col, message):
    with pytest.raises(DataError, match=message):
        load_csv(b"a,note,b\n1,x,2\n3,y,4\n", x_col, y_col)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(int(61.2 * MB))  # sparse: no 61 MB actually written
    with pytest.raises(DataError, match=r"^file is 61.2 MB; the limit is 50 MB$"):
        load_csv(str(path))


def test_uploads_over_max_bytes_are_refused():
    with pytest.raises(DataError, match=r"file is 404 bytes; the limit is 50 bytes"):
        read_csv(b"a,b\n" + b"1,2\n" * 100, max_bytes=50)
    with pytest.raises(DataError, match="file is larger than the limit of 50 bytes"):
        read_csv(io.BytesIO(b"a,b\n" + b"1,2\n" * 100), max_bytes=50)


def test_a_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read the file"):
        load_csv(str(tmp_path / "nope.csv"))


def test_too_many_columns_are_refused():
    header = ",".join(f"c{i}" for i in range(1001))
    with pytest.raises(DataError, match="the file has 1,001 columns; the limit is 1,000"):
        read_csv(f"{header}\n".encode())


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(data, "MAX_ROWS", 5)
    with pytest.raises(DataError, match="the file has more than 5 rows; the limit is 5"):
        read_csv(b"a,b\n" + b"1,2\n" * 6)
    assert len(read_csv(b"a,b\n" + b"1,2\n" * 5)) == 5
    with pytest.raises(DataError, match="the data has 6 rows; the limit is 5"):
        dataset_from_frame(pd.DataFrame({"a": range(6), "b": range(6)}), "a", "b")


def test_duplicate_names_in_a_notebook_frame_are_rejected():
    frame = pd.DataFrame([[1, 2, 3], [4, 5, 6]], columns=["a", "b", "b"])
    with pytest.raises(DataError, match="several columns named 'b'"):
        dataset_from_frame(frame, "a", "b")


def test_unsupported_source_types_are_a_type_error():
    with pytest.raises(TypeError, match="expected bytes, a path or a file-like object"):
        read_csv(12345)


# --- fuzzing: a DataError or usable data, nothing else ----------------------------------------


@fuzz
@given(st.binary(max_size=5000))
def test_random_bytes_load_or_raise_data_error(content):
    assert_usable_or_rejected(content)


csv_chars = st.sampled_from(list("0123456789012345.-+e,,,;;\t\n\n\r \"'abcxyzé€\x00\x1a")) | st.characters()


@fuzz
@given(st.text(csv_chars, max_size=600), st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]))
def test_random_text_in_any_encoding_loads_or_raises_data_error(text, encoding):
    assert_usable_or_rejected(text.encode(encoding, errors="replace"))


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.text(max_size=8),
    st.none(),
    st.sampled_from(["", " ", "nan", "NA", "1,5", "1e400", "-0", "True"]),
)


@fuzz
@given(
    st.integers(1, 4).flatmap(lambda k: st.lists(st.lists(cells, min_size=k, max_size=k), max_size=12)),
    st.sampled_from([",", ";", "\t"]),
    st.booleans(),
)
def test_random_small_frames_load_or_raise_data_error(rows, sep, header):
    frame = pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(rows[0]))] if rows else None)
    content = frame.to_csv(sep=sep, index=False, header=header).encode()
    assert_usable_or_rejected(content)
    if rows and len(rows[0]) >= 2:
        assert_usable_or_rejected(content, *(["c1", "c0"] if header else ["column 2", "column 1"]))


@fuzz
@given(
    st.lists(
        st.tuples(st.floats(-1e12, 1e12), st.floats(allow_nan=False, allow_infinity=False)), min_size=2, max_size=30
    )
)
def test_finite_numbers_written_by_pandas_load_back_exactly(pairs):
    x, y = (np.array(v) for v in zip(*pairs, strict=True))
    assume(x.min() < x.max())
    ds = load_csv(pd.DataFrame({"x": x, "y": y}).to_csv(index=False).encode())
    assert np.array_equal(ds.x, x) and np.array_equal(ds.y, y)
