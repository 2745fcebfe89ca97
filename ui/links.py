"""Shareable scenes: every setting lives in the URL (widgets bound with bind="query-params").

Streamlit drops a URL value that a widget cannot take (out of range, not an option, not a number) and
uses the widget's default instead; `report_ignored` tells the visitor which values were dropped, naming
the control as the page labels it. Links shared before the keys were renamed are rewritten on arrival.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from ui import screen
from ui.text import plain

NOT_WIDGETS = {"step", "scene"}  # the chart's step (restored by ui.player) and ui.lecture's place: no widgets
# Old URL-key prefixes -> the registry's (lessons.Lesson.key): w1_lr became one-weight.lr, and so on.
OLD_PREFIXES = {
    "w1_": "one-weight.",
    "line_": "fitting-a-line.",
    "mini_": "minibatches.",
    "w4_": "learning-rate.",
    "w5_": "optimizers.",
    "data_": "data.",
}
LABELS = "_link_labels"  # session key: widget key -> the label the page shows (filled by `label`)


def new_key(old: str) -> str:
    """The key an old link's key is called now ('w1_lr' -> 'one-weight.lr'); other keys unchanged."""
    for prefix, replacement in OLD_PREFIXES.items():
        if old.startswith(prefix):
            return replacement + old[len(prefix) :]
    return old


def upgrade_old_keys() -> None:
    """Rename an opened link's old keys before any widget reads the URL (a new key already there wins)."""
    params = st.query_params
    for key in list(params):
        renamed = new_key(key)
        if renamed != key:
            values = params.get_all(key)
            del params[key]
            if renamed not in params:
                params[renamed] = values if len(values) > 1 else values[0]


def label(key: str, text: str) -> str:
    """Remember how the page labels the widget `key` (for messages about it) and return the label."""
    st.session_state.setdefault(LABELS, {})[key] = text
    return text


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


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def adjusted_values(incoming: Mapping[str, str], now: Mapping[str, str], state: Mapping) -> dict[str, tuple[str, str]]:
    """URL values that a widget took in another form (steps=1.5 read as 1): key -> (as sent, as used)."""
    adjusted = {}
    for key, value in incoming.items():
        if key in NOT_WIDGETS or key not in now or key not in state or now[key] == value:
            continue
        if value in _spellings(state[key]) or _same_number(value, now[key]):
            continue  # the same value written another way (0.10 and 0.1)
        adjusted[key] = (value, now[key])
    return adjusted


PENDING = "links.pending_notices"  # notices to say again on the rerun that reports the width (ui.screen)


def report_ignored(incoming: Mapping[str, str]) -> None:
    """Say which values of the opened link were not usable (replaced by defaults) or were changed to fit a control."""
    now = st.query_params.to_dict()
    dropped = ignored_values(incoming, now, st.session_state)
    adjusted = adjusted_values(incoming, now, st.session_state)
    names = st.session_state.get(LABELS, {})

    def name(key: str) -> str:
        return plain(names.get(key, key), 60)

    notices = []
    if dropped:
        listed = ", ".join(f"{name(key)} = “{plain(value, 40)}”" for key, value in dropped.items())
        notices.append(f"Some settings in the link could not be used and were reset: {listed}.")
    if adjusted:
        listed = ", ".join(
            f"{name(key)} “{plain(sent, 40)}” as {plain(used, 40)}" for key, (sent, used) in adjusted.items()
        )
        notices.append(f"Some settings in the link were changed to values the controls can take: {listed}.")
    # A page's first run in a browser is followed at once by ui.screen's width report, a rerun that can take a
    # toast of the first run away before it is seen: until the width is known, the notices are said again then.
    if notices and st.session_state.get(screen.WIDTH_KEY) is None:
        st.session_state[PENDING] = notices  # said once more, on the next run only
    elif not notices:
        notices = st.session_state.pop(PENDING, [])
    for notice in notices:
        st.toast(notice, icon="⚠️")
