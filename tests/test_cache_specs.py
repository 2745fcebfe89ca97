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
