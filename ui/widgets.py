"""Widgets bound to the URL, the one way every lesson draws its controls.

`bound` draws a widget whose value lives in the link (bind="query-params") and records its label, so a
notice about a bad link names the control as the page does. `remembered` also keeps the value when the
visitor switches pages and back (Streamlit forgets the state of widgets a run does not draw).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ui import links


def bound(widget: Callable[..., Any], label: str, *, key: str, **kwargs: Any) -> Any:
    """Draw `widget(label, key=key, bind="query-params", **kwargs)` and return its value."""
    return widget(links.label(key, label), key=key, bind="query-params", **kwargs)


def remembered(widget: Callable[..., Any], label: str, *, key: str, default: Any, **kwargs: Any) -> Any:
    """Draw a bound widget whose value survives switching pages.

    Streamlit deletes the state of a widget that a run does not draw (another page was open), so each value is
    also copied to the plain session key "_<key>" and put back from there before the widget is drawn again.
    A remembered value no longer among `options` falls back to `default`. `default` is passed to the widget itself
    (value= or index=): Streamlit leaves a widget's default out of the URL, so a widget left to its own default (the
    minimum, the first option) would drop a link's minimum and a reopened link would get the lesson's default.
    """
    shadow = f"_{key}"
    options = kwargs.get("options")
    if key not in st.session_state and key not in st.query_params and shadow in st.session_state:
        st.session_state[key] = st.session_state[shadow]  # a value in the URL wins
    if options is not None and key in st.session_state and st.session_state[key] not in list(options):
        st.session_state[key] = default
    value = bound(widget, label, key=key, **kwargs, **_default_argument(widget, default, options))
    st.session_state[shadow] = value
    return value


def _default_argument(widget: Callable[..., Any], default: Any, options: Any) -> dict[str, Any]:
    """The keyword that gives `widget` its default: index= for a selectbox or radio, value= for the others."""
    if getattr(widget, "__name__", "") in {"selectbox", "radio"}:
        choices = list(options)
        return {"index": choices.index(default) if default in choices else 0}
    return {"value": default}
