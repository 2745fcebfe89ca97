"""Altair views below a charts.kit Layer or Concat turned into Vega-Lite dicts, as Altair's own to_dict does, faster.

Why: on a recomputing rerun Altair's to_dict of the unit views was a fifth to a quarter of the page's server CPU
(cProfile of AppTest reruns of pages 1-4, bench/README.md "Server CPU per rerun"). Most of it is not the data but the
walk: for every leaf value (each field name, colour, number) Altair's `_todict` asks `isinstance(value,
SchemaLike)`, a runtime-checkable Protocol checked with `inspect.getattr_static`, and each schema object looks up
numpy and pandas again. Here the same walk takes plain str/int/float/bool/None leaves as they are and follows
Altair's rules for the rest, calling Altair's own code for every case it does not write out:

- a schema object whose class keeps SchemaBase.to_dict: its keywords without `shorthand`, a string mark as
  {"type": mark}, each value converted (the same steps as SchemaBase.to_dict);
- a field channel (alt.X("w:Q")): Altair's parse_shorthand against the view's data, then as above
  (FieldChannelMixin.to_dict); a value channel with a plain condition and a datum channel likewise;
- a unit or layer chart below the top level: its data through Altair's _prepare_data (the active data transformer,
  so ui.cache's Arrow route), an empty data set for a view with none anywhere above (Chart.to_dict), then as above;
- anything else (an expression, a parameter, a numpy number, a list of shorthands, a top-level chart): Altair's
  own to_dict or _todict.

tests/test_fit_spec.py compares this with Altair's to_dict on every lesson and Practice chart and on views that use
each rule above.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
from altair.utils import schemapi
from altair.utils.core import parse_shorthand
from altair.vegalite.v6 import api
from altair.vegalite.v6.schema.channels import DatumChannelMixin, FieldChannelMixin, ValueChannelMixin

Undefined = alt.Undefined
SchemaBase = schemapi.SchemaBase
_PLAIN = (str, int, float, bool, type(None))  # exact types: Altair's _todict returns them unchanged
_EXCLUDE = ("shorthand", "_cached_hash")  # keywords SchemaBase.to_dict leaves out


def view_dict(view, context: dict) -> Any:
    """view.to_dict(validate=False, context=context) for a view nested in a composite (context["top_level"] False):
    an Altair chart by the walk here, a charts.kit Layer or Concat by its own to_dict."""
    if isinstance(view, SchemaBase):
        return _schema_object(view, context)
    return view.to_dict(validate=False, context=context)


def _convert(value, context: dict) -> Any:
    """Altair's schemapi._todict, with its common cases written out."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {key: _convert(item, context) for key, item in value.items() if item is not Undefined}
    if kind is list or kind is tuple:
        return [_convert(item, context) for item in value]
    if isinstance(value, SchemaBase):
        return _schema_object(value, context)
    return schemapi._todict(value, context, np, pd)  # numpy values, dict/list subclasses, parameters, dates


def _schema_object(value, context: dict) -> Any:
    """value.to_dict(validate=False, context=context), by the class's own to_dict."""
    to_dict = type(value).to_dict
    if to_dict is SchemaBase.to_dict or to_dict is DatumChannelMixin.to_dict:
        return _keywords(value, context)
    if to_dict is FieldChannelMixin.to_dict:
        return _field_channel(value, context)
    if to_dict is ValueChannelMixin.to_dict:
        condition = value._get("condition", Undefined)
        plain = condition is not Undefined and not isinstance(condition, SchemaBase)
        if not (plain and "field" in condition and "type" not in condition):  # else Altair infers its field's type
            return _keywords(value, context)
    elif (to_dict is api.Chart.to_dict or to_dict is api.TopLevelMixin.to_dict) and context.get("top_level") is False:
        return _nested_chart(value, context)
    return value.to_dict(validate=False, context=context)


def _keywords(value, context: dict, parsed: dict | None = None) -> Any:
    """SchemaBase.to_dict without validation; `parsed` is what a field channel read from its shorthand."""
    if value._args and not value._kwds:
        return _convert(value._args[0], context)
    if value._args:  # both: Altair raises
        return value.to_dict(validate=False, context=context)
    keywords = value._kwds
    if parsed:
        keywords = schemapi._replace_parsed_shorthand(parsed, keywords.copy())
    result = {}
    for key, item in keywords.items():
        if item is Undefined or key in _EXCLUDE:
            continue
        if key == "mark" and isinstance(item, str) and item:
            result[key] = {"type": item}
        else:
            result[key] = _convert(item, context)
    return result


def _field_channel(channel, context: dict) -> Any:
    """FieldChannelMixin.to_dict: the shorthand parsed (its type inferred from the view's data if not given)."""
    shorthand, field = channel._get("shorthand"), channel._get("field")
    if isinstance(shorthand, str) and field is Undefined:
        parsed = parse_shorthand(shorthand, data=context.get("data"))
        if "type" not in channel._kwds:  # a secondary channel (x2, y2): no type
            parsed.pop("type", None)
        elif "type" not in parsed and channel._get("type") is Undefined:
            return channel.to_dict(validate=False, context=context)  # Altair explains the missing type
        return _keywords(channel, context, parsed)
    if shorthand is Undefined:
        return _keywords(channel, context)
    return channel.to_dict(validate=False, context=context)  # a list of shorthands, a non-string, or both given


def _nested_chart(chart, context: dict) -> dict:
    """TopLevelMixin.to_dict (with Chart.to_dict's empty data) for a chart below the top level."""
    data = chart._get("data")
    if data is Undefined and isinstance(chart, api.Chart) and "data" not in context:
        data = alt.InlineData(values=[{}])  # Chart.to_dict: datum encodings need a data set
    context = {**context}
    context.setdefault("datasets", {})
    keywords = dict(chart._kwds)
    if data is not Undefined:
        try:
            native = api.nw.from_native(data, eager_or_interchange_only=True)
        except TypeError:  # a dict or an Altair data object
            native = data
        keywords["data"] = api._prepare_data(native, context)
        context["data"] = native
    context["top_level"] = False
    return _keywords(_Keywords(keywords), {**context, "pre_transform": False})


class _Keywords:
    """A chart's keywords with its data prepared, read by _keywords as a schema object's."""

    __slots__ = ("_kwds",)
    _args = ()

    def __init__(self, keywords: dict):
        self._kwds = keywords
