"""ui.cache: finished specs carry their data sets as Arrow bytes (what st.vega_lite_chart sends), and json_spec gives
back the rows Altair itself would write, as strict JSON, for the offline page."""

from __future__ import annotations

import json
import math

import altair as alt
import pandas as pd
import pyarrow as pa

from ui.cache import finished_spec, json_spec


def _chart():
    frame = pd.DataFrame({"step": [0, 1, 2], "loss": [1.5, math.nan, 0.25], "run": ["a", "b", None]})
    return alt.Chart(frame).mark_line().encode(x="step:Q", y="loss:Q", color="run:N")


def test_finished_spec_datasets_are_arrow_with_the_rows_altair_wrote():
    with alt.theme.enable("none"):
        plain = _chart().to_dict(validate=False)
    spec = finished_spec(_chart())
    assert spec.keys() == plain.keys()
    assert len(spec["datasets"]) == len(plain["datasets"]) == 1
    for rows in spec["datasets"].values():
        assert isinstance(rows, bytes)
        frame = pa.ipc.open_stream(rows).read_pandas()
        assert list(frame["step"]) == [0, 1, 2]
        assert frame["loss"].iloc[0] == 1.5 and pd.isna(frame["loss"].iloc[1])
    back = json_spec(spec)
    assert list(back["datasets"].values()) == list(plain["datasets"].values())  # NaN, None: null
    json.dumps(back, allow_nan=False)
    assert json_spec(plain) is plain  # a spec with rows already is left alone


def test_frame_digest_follows_every_cell_name_dtype_and_index():
    from ui.cache import _frame_digest, _series_digest

    frame = pd.DataFrame({"step": [0, 1, 2], "loss": [1.5, math.nan, 0.25], "run": ["a", "b", None]})
    same = _frame_digest(frame)
    assert _frame_digest(frame.copy()) == same
    changed = [
        frame.assign(loss=[1.5, math.nan, 0.5]),  # one number
        frame.assign(run=["a", "c", None]),  # one label
        frame.assign(run=["a", "b", "None"]),  # a missing label against the text "None"
        frame.assign(step=[0.0, 1.0, 2.0]),  # the same numbers as floats
        frame.rename(columns={"loss": "mse"}),  # a name
        frame.set_index(pd.Index([0, 1, 3])),  # the index
        frame.iloc[:2],  # a row fewer
        frame[["loss", "step", "run"]],  # the column order
        pd.DataFrame({"run": ["ab", ""]}),  # text split differently ...
    ]
    digests = [_frame_digest(other) for other in changed] + [_frame_digest(pd.DataFrame({"run": ["a", "b"]}))]
    assert same not in digests
    assert len(set(digests)) == len(digests)
    assert _series_digest(frame["loss"]) != _series_digest(frame["loss"].rename("mse"))
    assert _series_digest(frame["loss"]) == _series_digest(frame["loss"].copy())
    # a pyarrow-backed text column (pandas 3's default) is hashed by its Arrow buffers: the same rules hold
    arrow = frame.astype({"run": "string[pyarrow]"})
    assert isinstance(arrow["run"].array, pd.arrays.ArrowExtensionArray)
    nullable = frame.assign(step=pd.array([0, None, 2], dtype="Int64"))  # a numpy-backed extension array
    assert _frame_digest(nullable) == _frame_digest(nullable.copy()) != _frame_digest(frame)
    assert _frame_digest(arrow) == _frame_digest(arrow.copy()) != _frame_digest(frame.astype({"run": object}))
    assert _frame_digest(arrow) != _frame_digest(arrow.assign(run=pd.array(["a", "c", None], dtype="string[pyarrow]")))
    assert _frame_digest(arrow.iloc[1:]) != _frame_digest(arrow.iloc[:2])  # slices of one buffer: offset and length
    split = [pd.DataFrame({"run": pd.array(t, dtype="string[pyarrow]")}) for t in (["ab", ""], ["a", "b"])]
    assert _frame_digest(split[0]) != _frame_digest(split[1])
