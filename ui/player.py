"""Play / pause / step controls for a chart's step scrubber, running entirely in the browser.

The charts bind their step to a Vega-Lite range input (gd_core.charts.common.step_slider). This
component drives that input from JavaScript: every frame sets its value and fires the `input` event
Vega listens to, so playing costs no server rerun and redraws only the marks that depend on the step.
Arrow keys (← →) step when the page has focus outside a text field; Home / End jump to the ends.
The step is mirrored in the URL (?step=k) and restored from it, and "Copy link" copies the whole scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui.player_assets import _CSS, _HTML, _JS

_player = st.components.v2.component("descent_player", html=_HTML, css=_CSS, js=_JS)


@dataclass(frozen=True)
class Follow:
    """What follows the step as it plays, beside the player: one line of text per step (e.g. the update with the
    numbers substituted) and a table whose row k is highlighted at step k (shown five rows at a time)."""

    lines: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def player(key: str, name: str = "step", follow: Follow | None = None, describe: dict | None = None) -> None:
    """Play / pause / step buttons (and ← → keys) for every chart scrubber on the page called `name`; `describe`
    (charts.kit.live_description) keeps the chart's text alternative at the step shown as it plays."""
    data = {"name": name, "presenting": bool(st.session_state.get("presenter", False))}
    if describe is not None:
        data["describe"] = describe
    if follow is not None:
        data |= {"lines": list(follow.lines), "table": {"columns": list(follow.columns), "rows": follow.rows}}
    _player(key=key, data=data)
