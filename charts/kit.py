"""What every lesson's charts share, defined once: colours and markers, the step parameter and how it is
attached, the thinning rule for long runs, the loss floor of log axes, and strict-JSON specs.

Scrubbing stays in the browser: each composite declares one Vega-Lite parameter `step` bound to a range
input, every layer filters on it, and ui.player drives that input. So a run is shipped once and never
recomputed while the class watches it play.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from gd_core.optimizers import OPTIMIZERS

# Okabe–Ito: distinguishable with every common form of colour blindness, and on a projector.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
BLUE, VERMILION, GREEN, PURPLE, ORANGE, SKY, YELLOW, BLACK = PALETTE
GREY = "#8C96A0"  # earlier steps, guides and the data points
# A five-pointed star centred on the origin (a Vega symbol path of unit size): the known minima.
STAR = (
    "M0,-1L0.2245,-0.309L0.9511,-0.309L0.3633,0.118L0.5878,0.809L0,0.382"
    "L-0.5878,0.809L-0.3633,0.118L-0.9511,-0.309L-0.2245,-0.309Z"
)
NUMBER = ".6~g"  # tooltip number format
EXACT = ".10~g"  # tooltip format exact enough to check against a table

MAX_SHOWN_STEPS = 400  # steps shipped per run; the slider then moves in strides
LOSS_FLOOR = 1e-30  # the lowest loss any log axis shows
STEP = "step"  # the name of the step parameter every trajectory chart shares (ui.player drives it by name)


def colour_of(optimizer: str) -> str:
    """Each optimizer keeps its colour whichever others are shown (by its place in gd_core's registry)."""
    return PALETTE[OPTIMIZERS.index(optimizer) % len(PALETTE)]


def finite_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose numeric cells are all finite (inf/NaN would break a Vega-Lite spec or scale)."""
    numeric = frame.select_dtypes("number")
    if numeric.empty:
        return frame
    return frame[np.isfinite(numeric.to_numpy(dtype=float, na_value=np.nan)).all(axis=1)]


def thinning_stride(last_step: int, max_steps: int = MAX_SHOWN_STEPS) -> int:
    """The stride that ships at most ~max_steps steps per run: the smallest ODD number ≥ (last+1)/max_steps,
    preferring one that divides last_step.

    Odd, so a run that flips sign every step (lr near 2/L) still alternates once thinned; a divisor when one
    is near, so the slider's own grid ends on the last step (step_slider reaches it either way).
    """
    need = max(1, math.ceil((int(last_step) + 1) / max_steps))
    odd = [k for k in range(need, 4 * need + 2) if k % 2 == 1]
    return next((k for k in odd if last_step % k == 0), odd[0])


def thin(frame: pd.DataFrame, stride: int) -> pd.DataFrame:
    """Every stride-th step of each run, plus each run's last step (where a diverged run ends); finite rows only."""
    frame = finite_rows(frame)
    last = frame.groupby("run")["step"].transform("max") if "run" in frame else frame["step"].max()
    return frame[(frame["step"] % stride == 0) | (frame["step"] == last)].reset_index(drop=True)


def loss_floor(losses: Sequence[float] | pd.Series | np.ndarray) -> float:
    """Where a log axis stops: a decade below the smallest positive loss, but never below LOSS_FLOOR.

    A run that lands exactly on the minimum has loss 0, which a log scale cannot show: it is drawn at the floor.
    """
    values = np.asarray(losses, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    if not len(positive):
        return LOSS_FLOOR
    return max(10.0 ** (math.floor(math.log10(positive.min())) - 1), LOSS_FLOOR)


def step_slider(max_step: int, *, stride: int = 1, value: int | None = None) -> alt.Parameter:
    """The step parameter, bound to a range input: scrubbing filters in the browser, no server rerun.

    The range ends at the first multiple of `stride` at or above `max_step`, so the last step is reachable
    (filter the current point with "the last step ≤ the slider", not "= the slider", when thinning).
    """
    top = max(math.ceil(max_step / stride) * stride, 1)
    value = top if value is None else min(max(int(value), 0), top)
    return alt.param(
        name=STEP, value=value - value % stride, bind=alt.binding_range(min=0, max=top, step=stride, name="step ")
    )


def with_params(chart: alt.TopLevelMixin, *params: alt.Parameter) -> alt.TopLevelMixin:
    """The one way to declare the step (and any other) parameter: set once at the top level.

    Not chart.add_params(), which deep-copies every view of a composite (about a second on page 1). Parameters
    already there (a selection Altair lifted from a view) are kept.
    """
    earlier = [] if chart.params is alt.Undefined else list(chart.params)
    chart.params = [*earlier, *(p.param for p in params)]
    return chart


class Concat:
    """A vconcat or hconcat of Altair charts (or of other Concats) assembled as a plain Vega-Lite dict.

    Hand-written on purpose: Altair's concat constructors deep-copy every view below them to lift parameters
    (`_combine_subchart_params`), and nesting repeats the copy at each level: 40-50% of building the composites
    of pages 2 and 3 (cProfile, bench/README.md "Server CPU per rerun"). Here each part is converted by Altair's
    own to_dict() once and placed in the dict as it is. A selection that Altair lifted to the top of a part (a
    parameter with `views`, e.g. page 5's click on the map) is lifted on to the top here, as Altair does; the
    step is a variable parameter declared at the top level (with_params). to_dict() gives the same spec as
    alt.vconcat/alt.hconcat (tests/test_fit_spec.py compares them), and validates it against the Vega-Lite schema
    when asked, as Altair does.
    """

    def __init__(self, direction: str, *parts, **properties):
        assert direction in ("vconcat", "hconcat"), direction
        self.direction, self.parts, self.properties = direction, list(parts), properties
        self.params = alt.Undefined  # set by with_params

    def to_dict(self, validate: bool = False, *, context: dict | None = None) -> dict:
        """As Altair's to_dict: each part converted in a nested context (its data sets gathered at the top), and at
        the top level the $schema, the theme's config and the data sets added."""
        top = context is None or context.get("top_level", True)
        inner = {**(context or {}), "top_level": False}
        inner.setdefault("datasets", {})
        parts = [part.to_dict(validate=False, context=inner) for part in self.parts]
        lifted = [param for i, part in enumerate(parts) for param in _lift_selections(part, i, len(parts) > 1)]
        if len({p["name"] for p in lifted}) < len(lifted):  # Altair would merge their views: not done here
            raise ValueError("one selection in several parts of a charts.kit.Concat: use Altair's concat")
        spec = {self.direction: parts}
        for name, value in self.properties.items():
            spec[name] = value.to_dict() if hasattr(value, "to_dict") else value
        params = lifted + ([] if self.params is alt.Undefined else list(self.params))
        if params:
            spec["params"] = [p.to_dict() if hasattr(p, "to_dict") else p for p in params]
        if top:
            spec["$schema"] = alt.SCHEMA_URL
            spec = alt.utils.update_nested(alt.theme.get()(), spec, copy=True)
            if validate:
                kind = alt.TopLevelVConcatSpec if self.direction == "vconcat" else alt.TopLevelHConcatSpec
                kind.validate(spec)
            if inner["datasets"]:
                spec.setdefault("datasets", {}).update(inner["datasets"])
        return spec

    def to_json(self, validate: bool = False, **kwargs) -> str:
        return json.dumps(self.to_dict(validate), **kwargs)


def _lift_selections(part: dict, index: int, concat: bool) -> list[dict]:
    """The selection parameters at the top of a part's dict (those naming their views), taken out of it, as Altair's
    _combine_subchart_params lifts them: in a concat of several parts a layer's named views are renamed by the
    part's position, and the selection then names all of them."""
    params = part.get("params", [])
    if any(isinstance(p, dict) and "select" in p and "views" not in p for p in params):
        # Altair names a unit view and lifts its selection when it concatenates it; this does not: layer the view
        # (alt.layer does the naming and lifting) or use Altair's concat.
        raise ValueError("a selection on a unit view in charts.kit.Concat: put the view in an alt.layer")
    named = [layer for layer in part.get("layer", []) if "name" in layer] if concat else []
    for layer in named:
        base, _, number = layer["name"].rpartition("_")
        layer["name"] = f"{base if number.isdigit() and base else layer['name']}_{index}"
    selections = [p for p in params if isinstance(p, dict) and "views" in p]
    if selections:
        rest = [p for p in params if p not in selections]
        if rest:
            part["params"] = rest
        else:
            del part["params"]
    if named:
        selections = [{**p, "views": [layer["name"] for layer in named]} for p in selections]
    return selections


def vconcat(*parts, **properties) -> Concat:
    return Concat("vconcat", *parts, **properties)


def hconcat(*parts, **properties) -> Concat:
    return Concat("hconcat", *parts, **properties)


def _refuse_constant(token: str):
    raise ValueError(f"chart spec contains {token}, which is not JSON")


def strict_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec as strict JSON (raises ValueError on NaN/Infinity anywhere in it)."""
    text = chart.to_json(validate=False)
    return json.loads(text, parse_constant=_refuse_constant)


# --- Fitting a finished spec to the screen, and the presenter's type (sizing and config only) --------------------

PRESENTER_FONT = 16  # px: the smallest chart text in presenter view (axis labels, legends, titles are larger)
PRESENTER_INK = "#000000"  # text on white: 21:1
PRESENTER_AXIS = "#333333"  # axis lines and ticks on white: 12.6:1
# What a view needs beside its plotting area: the y axis with its title, padding, and (when a legend is there) the
# legend to its right. Generous on purpose: a chart a little narrower than its column is fine, one wider is cut.
AXES_ALLOWANCE = 100
AXES_ALLOWANCE_PRESENTER = 120
LEGEND_ALLOWANCE = 150
LEGEND_ALLOWANCE_PRESENTER = 190
CONCAT_SPACING = 20  # Vega-Lite's default spacing between concatenated views
STACKED_MAX = 900  # px: the widest a stacked view grows
NARROWEST_VIEW = 240  # px of plotting area: below this side-by-side views are stacked instead


def presenter_config() -> dict:
    """The Vega-Lite config presenter view applies: chart text of at least PRESENTER_FONT px, black on white."""
    ink, axis, size = PRESENTER_INK, PRESENTER_AXIS, PRESENTER_FONT
    return {
        "axis": {
            "labelFontSize": size, "titleFontSize": size + 2, "labelColor": ink, "titleColor": ink,
            "domainColor": axis, "tickColor": axis, "labelLimit": 220,
        },
        "legend": {
            "labelFontSize": size, "titleFontSize": size + 1, "labelColor": ink, "titleColor": ink,
            "labelLimit": 260, "symbolSize": 120,
        },
        "header": {"labelFontSize": size, "titleFontSize": size + 2, "labelColor": ink, "titleColor": ink},
        "title": {"fontSize": size + 4, "subtitleFontSize": size, "color": ink, "subtitleColor": ink, "limit": 0},
        "text": {"fontSize": size},
        "view": {"stroke": axis},
    }  # fmt: skip


def _has_legend(view: dict) -> bool:
    """Whether a view (or a layer in it) encodes colour, shape, size or stroke dash without legend: null."""
    for layer in [view, *view.get("layer", ())]:
        for channel in ("color", "shape", "strokeDash", "size", "fill", "stroke"):
            definition = (layer.get("encoding") or {}).get(channel)
            if not isinstance(definition, dict) or "field" not in definition:
                continue
            legend = definition.get("legend", {})
            if legend is not None and legend.get("orient") not in ("top", "bottom", "none"):  # beside: takes width
                return True
    return False


def _allowance(view: dict, presenting: bool) -> int:
    axes = AXES_ALLOWANCE_PRESENTER if presenting else AXES_ALLOWANCE
    legend = (LEGEND_ALLOWANCE_PRESENTER if presenting else LEGEND_ALLOWANCE) if _has_legend(view) else 0
    return axes + legend


def _width_of(view: dict) -> float | None:
    width = view.get("width")
    if isinstance(width, (int, float)):
        return float(width)
    for layer in view.get("layer", ()):
        if isinstance(layer.get("width"), (int, float)):
            return float(layer["width"])
    return None


NARROW_SCREEN = 500  # px of column: a phone
NARROW_MARGIN = 40  # px more kept free there, for text marks beside the plot
SHORTEST_VIEW = 150  # px: the least height a view is shrunk to
LEGEND_COLUMN = 150  # px a legend column of a top or bottom legend needs


def _legends_within(node, width: int):
    """A copy of a view's encodings with every legend made to fit `width` px: fewer columns, shorter labels and
    gradients (legend sizes only)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "legend" and isinstance(value, dict):
                value = dict(value)
                fit = max(1, width // LEGEND_COLUMN)
                if isinstance(value.get("columns"), int):
                    value["columns"] = min(value["columns"], fit)
                elif value.get("orient") in ("top", "bottom") and value.get("direction") != "vertical":
                    value["columns"] = fit  # a horizontal legend would run past a narrow view
                for limit in ("labelLimit", "gradientLength"):
                    if isinstance(value.get(limit), (int, float)) and value[limit] > width - 40:
                        value[limit] = max(width - 40, 60)
                out[key] = value
            elif key in ("data", "datasets"):
                out[key] = value
            else:
                out[key] = _legends_within(value, width)
        return out
    if isinstance(node, list):
        return [_legends_within(item, width) for item in node]
    return node


def _set_width(view: dict, width: float) -> dict:
    """A copy of a single or layered view with its plotting width set (on the view and on any layer that had one),
    its legends fitted to it. A narrower view gets shorter in proportion (a map keeps its aspect), down to
    SHORTEST_VIEW px."""
    before = _width_of(view)
    view = _legends_within(view, max(int(width), 60))
    view["width"] = max(int(width), 60)
    shrink = view["width"] / before if before else 1.0
    if shrink < 1 and isinstance(view.get("height"), (int, float)):
        view["height"] = int(max(view["height"] * shrink, min(view["height"], SHORTEST_VIEW)))
    if "layer" in view:
        sizes = {key: view[key] for key in ("width", "height") if isinstance(view.get(key), (int, float))}
        view["layer"] = [
            {**layer, **{key: size for key, size in sizes.items() if isinstance(layer.get(key), (int, float))}}
            for layer in view["layer"]
        ]
    return view


def _fill(view: dict, available: float, presenting: bool) -> dict:
    """A view stacked under its neighbours: as wide as the column allows (up to STACKED_MAX), not its designed
    side-by-side width."""
    if any(key in view for key in ("hconcat", "vconcat", "concat")) or _width_of(view) is None:
        return _fit_view(view, available, presenting)
    return _set_width(view, min(available - _allowance(view, presenting), STACKED_MAX))


def _fit_view(view: dict, available: float, presenting: bool) -> dict:
    """A copy of `view` (single, layered or concatenated) whose total width stays within `available` px."""
    if "hconcat" in view:
        parts = view["hconcat"]
        spacing = view.get("spacing", CONCAT_SPACING)
        widths = [_width_of(part) or NARROWEST_VIEW for part in parts]
        allowances = [_allowance(part, presenting) for part in parts]
        room = available - sum(allowances) - spacing * (len(parts) - 1)
        if room / len(parts) < NARROWEST_VIEW:  # too narrow side by side: stack them
            stacked = {key: value for key, value in view.items() if key != "hconcat"}
            stacked["vconcat"] = [_fill(part, available, presenting) for part in parts]
            return stacked
        scale = min(1.0, room / sum(widths))
        fitted = [
            _fit_view(part, width * scale + allowance, presenting)
            for part, width, allowance in zip(parts, widths, allowances, strict=True)
        ]
        return {**view, "hconcat": fitted}
    if "vconcat" in view:
        return {**view, "vconcat": [_fit_view(part, available, presenting) for part in view["vconcat"]]}
    if "concat" in view:
        return {**view, "concat": [_fit_view(part, available, presenting) for part in view["concat"]]}
    width = _width_of(view)
    room = available - _allowance(view, presenting)
    if width is None or width <= room:
        return view
    return _set_width(view, room)


def _text_at_least(node, size: float):
    """A copy of a spec part with every font size it sets (fontSize, labelFontSize, ...) raised to `size`."""
    if isinstance(node, dict):
        return {
            key: max(value, size)
            if key.lower().endswith("fontsize") and isinstance(value, (int, float))
            else (value if key in ("datasets", "data", "values") else _text_at_least(value, size))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_text_at_least(item, size) for item in node]
    return node


def fit_spec(spec: dict, *, width: float | None, presenting: bool, description: str) -> dict:
    """A finished Vega-Lite spec made to fit a container `width` px wide (None: unknown, left as designed), with
    presenter view's config merged in when presenting and `description` as its text alternative (Vega renders
    it as the chart's aria-label). Sizes and config only: data, marks and scales are the builder's.

    The spec (a cached dict) is not changed: the views on the way are copied, the data sets shared.
    """
    fitted = dict(spec)
    if width is not None:
        # On a phone, labels beside the plot (a rule's name, say) need room too.
        room = float(width) - (NARROW_MARGIN if width < NARROW_SCREEN else 0)
        fitted = _fit_view(fitted, room, presenting)
    if presenting:
        fitted = _text_at_least({key: value for key, value in fitted.items() if key != "datasets"}, PRESENTER_FONT)
        if "datasets" in spec:
            fitted["datasets"] = spec["datasets"]
        config = {
            key: dict(value) if isinstance(value, dict) else value for key, value in spec.get("config", {}).items()
        }
        for group, values in presenter_config().items():
            config[group] = {**config.get(group, {}), **values}
        fitted["config"] = config
    fitted["description"] = description
    return fitted


def _number(value) -> str:
    """A number for a text alternative: 4 significant digits, a real minus sign, a short exponent (8.1e-5)."""
    text = format(float(value), ".4g")
    mantissa, _, exponent = text.partition("e")
    return mantissa.replace("-", "−") + (f"e{int(exponent)}" if exponent else "")


def describe(
    what: str, frame: pd.DataFrame, columns: dict[str, str], *, step: int | None = None, by: str | None = None
) -> str:
    """A chart's text alternative: what it shows, and its numbers at the step shown (the last step when None) of
    each run. `columns` maps a column of `frame` to the name read out ("loss" → "loss"), `frame` has a "step"
    column and, for several runs, a "run" (or "lr") column."""
    frame = finite_rows(frame)
    if frame.empty or "step" not in frame:
        return what
    last = int(frame["step"].max())
    at = last if step is None else min(max(int(step), 0), last)
    if by is None:
        by = "run" if "run" in frame else ("lr" if "lr" in frame and frame["lr"].nunique() > 1 else None)
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    parts = []
    for name, rows in groups[:6]:
        rows = rows[rows["step"] <= at]
        if rows.empty:
            continue
        row = rows.iloc[rows["step"].argmax()]
        numbers = ", ".join(f"{label} = {_number(row[column])}" for column, label in columns.items() if column in row)
        parts.append(numbers if name is None or len(groups) == 1 else f"{by} {name}: {numbers}")
    return f"{what}, step {at} of {last}: " + "; ".join(parts)
