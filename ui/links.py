"""Shareable scenes: every setting lives in the URL (widgets bound with bind="query-params").

Streamlit drops a URL value that a widget cannot take (out of range, not an option, not a number) and
uses the widget's default instead; `report_ignored` tells the visitor which values were dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

NOT_WIDGETS = {"step"}  # the chart's step is restored in the browser by ui.player, not by a widget


def _spellings(value) -> set[str]:
    """The ways a widget value may be written in a URL."""
    if isinstance(value, (list, tuple)):
        return {",".join(str(v) for v in value)}
    spellings = {str(value)}
    if isinstance(value, float):
        spellings |= {f"{value:g}", repr(value)}
        if value.is_integer():
            spellings.add(str(int(value)))
    return spellings


def ignored_values(incoming: Mapping[str, str], now: Mapping[str, str], state: Mapping) -> dict[str, str]:
    """URL values that the page dropped: gone from the URL, and not simply the widget's (default) value."""
    dropped = {}
    for key, value in incoming.items():
        if key in NOT_WIDGETS or key in now:
            continue
        if key in state and value in _spellings(state[key]):
            continue  # a default value: Streamlit keeps URLs short by leaving defaults out
        dropped[key] = value
    return dropped


def report_ignored(incoming: Mapping[str, str]) -> None:
    """Say which values of the opened link were not usable (they were replaced by defaults)."""
    dropped = ignored_values(incoming, st.query_params.to_dict(), st.session_state)
    if dropped:
        listed = ", ".join(f"{key} = {value[:40]!r}" for key, value in dropped.items())
        st.toast(f"Some settings in the link could not be used and were reset: {listed}.", icon="⚠️")
