"""What every lesson's charts share, defined once: colours and markers, the step parameter and how it is
attached, the thinning rule for long runs, the loss floor of log axes, and strict-JSON specs.

Scrubbing stays in the browser: each composite declares one Vega-Lite parameter `step` bound to a range
input, every layer filters on it, and ui.player drives that input. So a run is shipped once and never
recomputed while the class watches it play.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from charts.todict import view_dict
from gd_core.optimizers import OPTIMIZERS
from ui.numbers import shown_number

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

# Altair validates every schema object against the Vega-Lite schema as it is built (its "debug mode", on by default):
# a quarter of building page 1's composite (cProfile of the builder). Off for the whole process (one global flag, set
# once at import): each finished spec is validated whole against the schema by the tests instead
# (tests/test_fit_spec.py::test_every_lesson_and_practice_chart_is_valid_vega_lite).
alt.utils.schemapi.disable_debug_mode()

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
        parts = [view_dict(part, inner) for part in self.parts]
        lifted = [param for i, part in enumerate(parts) for param in _lift_selections(part, i, len(parts) > 1)]
        if len({p["name"] for p in lifted}) < len(lifted):  # Altair would merge their views: not done here
            raise ValueError("one selection in several parts of a charts.kit.Concat: use Altair's concat")
        spec = {self.direction: parts}
        for name, value in self.properties.items():
            spec[name] = value.to_dict() if hasattr(value, "to_dict") else value
        params = lifted + ([] if self.params is alt.Undefined else list(self.params))
        if params:
            spec["params"] = [p.to_dict() if hasattr(p, "to_dict") else p for p in params]
        if not top:
            return spec
        kind = alt.TopLevelVConcatSpec if self.direction == "vconcat" else alt.TopLevelHConcatSpec
        return _top_level(spec, kind, inner, validate)

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


class Layer:
    """alt.layer(*parts).properties(**properties) assembled as a plain Vega-Lite dict, for layers without parameters.

    Hand-written on purpose, like Concat: Altair's LayerChart constructor copies every layer to combine their data,
    parameters and sizes, and each .properties() on it copies it again and validates the value against the schema:
    about half of building page 1's composite on a recompute (cProfile). Here each layer is converted by Altair's own
    to_dict() once. What LayerChart does is done on the dicts: one data object shared by every layer is given once,
    at the layer (as Altair does, by identity), and a width, height or view set on a layer moves up to the layer.
    A layer with parameters is refused (Altair lifts them; use alt.layer there). tests/test_fit_spec.py compares the
    spec with Altair's and validates it.
    """

    def __init__(self, *parts, **properties):
        self.parts, self.properties = list(parts), properties
        self.params = alt.Undefined  # set by with_params

    def to_dict(self, validate: bool = False, *, context: dict | None = None) -> dict:
        """As Altair's to_dict of the LayerChart (see Concat.to_dict for the nested context)."""
        top = context is None or context.get("top_level", True)
        inner = {**(context or {}), "top_level": False}
        inner.setdefault("datasets", {})
        first = getattr(self.parts[0], "data", alt.Undefined) if self.parts else alt.Undefined
        shared = first is not alt.Undefined and all(getattr(part, "data", None) is first for part in self.parts)
        layers = [view_dict(part, inner) for part in self.parts]
        spec: dict = {}
        if shared:
            spec["data"] = layers[0]["data"]
            for layer in layers:
                del layer["data"]
        for layer in layers:
            if any(isinstance(p, dict) for p in layer.get("params", ())):
                raise ValueError("a layer with parameters in charts.kit.Layer: use alt.layer")
            for name in ("width", "height", "view"):
                if name in layer:
                    value = layer.pop(name)
                    if spec.setdefault(name, value) != value:
                        raise ValueError(f"layers of charts.kit.Layer with different {name}s")
        spec["layer"] = layers
        for name, value in self.properties.items():
            spec[name] = value.to_dict() if hasattr(value, "to_dict") else value
        if self.params is not alt.Undefined:
            spec["params"] = [p.to_dict() if hasattr(p, "to_dict") else p for p in self.params]
        return _top_level(spec, alt.TopLevelLayerSpec, inner, validate) if top else spec

    def to_json(self, validate: bool = False, **kwargs) -> str:
        return json.dumps(self.to_dict(validate), **kwargs)


def _top_level(spec: dict, kind, inner: dict, validate: bool) -> dict:
    """What Altair adds to a top-level spec: the $schema, the theme's config, the data sets gathered below."""
    spec["$schema"] = alt.SCHEMA_URL
    spec = alt.utils.update_nested(alt.theme.get()(), spec, copy=True)
    if validate:
        kind.validate(spec)
    if inner["datasets"]:
        spec.setdefault("datasets", {}).update(inner["datasets"])
    return spec


def layer(*parts, **properties) -> Layer:
    return Layer(*parts, **properties)


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
AXES_ALLOWANCE_NARROW = 70  # on a phone: tick labels and the axis title, with less to spare
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


def _has_legend(view: dict, orient: str = "right") -> bool:
    """Whether a view (or a layer in it) encodes colour, shape, size or stroke dash without legend: null, with the
    legend beside the plot (its own orient, else `orient`: the spec's config.legend.orient, Vega-Lite's "right")."""
    for layer in [view, *view.get("layer", ())]:
        for channel in ("color", "shape", "strokeDash", "size", "fill", "stroke"):
            definition = (layer.get("encoding") or {}).get(channel)
            if not isinstance(definition, dict) or "field" not in definition:
                continue
            legend = definition.get("legend", {})
            if legend is not None and legend.get("orient", orient) not in ("top", "bottom", "none"):  # beside
                return True
    return False


def _has_text(view: dict) -> bool:
    """Whether a view (or a layer in it) draws text marks (a rule's name, say), which can stand beside the plot."""
    mark = view.get("mark")
    if (mark.get("type") if isinstance(mark, dict) else mark) == "text":
        return True
    return any(_has_text(layer) for layer in view.get("layer", ()))


def _allowance(view: dict, presenting: bool, orient: str = "right", narrow: bool = False) -> int:
    axes = AXES_ALLOWANCE_PRESENTER if presenting else AXES_ALLOWANCE
    if narrow and not presenting:  # a phone: the plot takes the width, less room for a text mark beside it
        axes = AXES_ALLOWANCE_NARROW + (NARROW_MARGIN if _has_text(view) else 0)
    legend = (LEGEND_ALLOWANCE_PRESENTER if presenting else LEGEND_ALLOWANCE) if _has_legend(view, orient) else 0
    return axes + legend


def _width_of(view: dict) -> float | None:
    width = view.get("width")
    if isinstance(width, (int, float)):
        return float(width)
    for layer in view.get("layer", ()):
        if isinstance(layer.get("width"), (int, float)):
            return float(layer["width"])
    stacked = [w for part in view.get("vconcat", ()) if (w := _width_of(part)) is not None]
    return max(stacked) if stacked else None  # a column of views (inside a row) is as wide as its widest


NARROW_SCREEN = 500  # px of column: a phone
NARROW_MARGIN = 40  # px more kept free there beside a view with text marks
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


def _fill(view: dict, available: float, presenting: bool, orient: str = "right", narrow: bool = False) -> dict:
    """A view stacked under its neighbours: as wide as the column allows (up to STACKED_MAX), not its designed
    side-by-side width."""
    if any(key in view for key in ("hconcat", "vconcat", "concat")) or _width_of(view) is None:
        return _fit_view(view, available, presenting, orient, narrow)
    return _set_width(view, min(available - _allowance(view, presenting, orient, narrow), STACKED_MAX))


def _fit_view(view: dict, available: float, presenting: bool, orient: str = "right", narrow: bool = False) -> dict:
    """A copy of `view` (single, layered or concatenated) whose total width stays within `available` px."""
    if "hconcat" in view:
        parts = view["hconcat"]
        spacing = view.get("spacing", CONCAT_SPACING)
        widths = [_width_of(part) or NARROWEST_VIEW for part in parts]
        allowances = [_allowance(part, presenting, orient, narrow) for part in parts]
        room = available - sum(allowances) - spacing * (len(parts) - 1)
        if room / len(parts) < NARROWEST_VIEW:  # too narrow side by side: stack them
            stacked = {key: value for key, value in view.items() if key != "hconcat"}
            stacked["vconcat"] = [_fill(part, available, presenting, orient, narrow) for part in parts]
            return stacked
        scale = min(1.0, room / sum(widths))
        fitted = [
            _fit_view(part, width * scale + allowance, presenting, orient, narrow)
            for part, width, allowance in zip(parts, widths, allowances, strict=True)
        ]
        return {**view, "hconcat": fitted}
    if "vconcat" in view:
        return {**view, "vconcat": [_fit_view(part, available, presenting, orient, narrow) for part in view["vconcat"]]}
    if "concat" in view:
        return {**view, "concat": [_fit_view(part, available, presenting, orient, narrow) for part in view["concat"]]}
    width = _width_of(view)
    room = available - _allowance(view, presenting, orient, narrow)
    if width is None or width <= room:
        return view
    return _set_width(view, room)


def designed_width(spec: dict, *, presenting: bool = False) -> float:
    """The narrowest container (px) from which on fit_spec leaves `spec` as designed: at this width or wider, fitting
    changes nothing, so a browser that reports such a width need not rerun the page (ui.screen). A view whose parts
    could not keep their widths side by side is `inf` (always fitted)."""
    orient = ((spec.get("config") or {}).get("legend") or {}).get("orient", "right")

    def need(view: dict, narrow: bool) -> float:
        if "hconcat" in view:
            parts = view["hconcat"]
            spacing = view.get("spacing", CONCAT_SPACING) * (len(parts) - 1)
            widths = [_width_of(part) or NARROWEST_VIEW for part in parts]
            allowances = [_allowance(part, presenting, orient, narrow) for part in parts]
            if any(need(part, narrow) > w + a for part, w, a in zip(parts, widths, allowances, strict=True)):
                return math.inf
            least = max(sum(widths), NARROWEST_VIEW * len(parts))  # scale 1, and not stacked
            return least + sum(allowances) + spacing
        if "vconcat" in view or "concat" in view:
            return max((need(part, narrow) for part in view.get("vconcat", view.get("concat"))), default=0.0)
        width = _width_of(view)
        return 0.0 if width is None else width + _allowance(view, presenting, orient, narrow)

    wide = need(spec, narrow=False)
    # Below NARROW_SCREEN fitting allows less beside each plot (a phone), so a small chart can fit there as designed.
    return wide if wide >= NARROW_SCREEN else min(need(spec, narrow=True), NARROW_SCREEN)


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
        room = float(width)
        orient = ((spec.get("config") or {}).get("legend") or {}).get("orient", "right")
        fitted = _fit_view(fitted, room, presenting, orient, narrow=width < NARROW_SCREEN)
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
    return shown_number(value, digits=4)


def live_description(
    what: str, frame: pd.DataFrame, columns: dict[str, str], *, by: str | None = None, after: str = ""
) -> dict:
    """A chart's text alternative at every step, as strict JSON the player (ui.player) reads out as the chart plays:
    what the chart shows, then per run the numbers at the current step, then `after` (a fixed tail).

    The numbers are formatted here (one formatter, ui.numbers) and only picked in the browser: at step k each run
    reads its last row with step ≤ k. Long runs keep every thinning_stride-th step (the slider's grid) and the last.
    describe() is this template read at one step, so the server's label and the player's agree.
    """
    frame = finite_rows(frame)
    if frame.empty or "step" not in frame:
        return {"what": what, "last": 0, "runs": [], "after": after}
    last = int(frame["step"].max())
    stride = thinning_stride(last)
    if by is None:
        by = "run" if "run" in frame else ("lr" if "lr" in frame and frame["lr"].nunique() > 1 else None)
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    runs = []
    for name, rows in groups[:6]:
        rows = rows.sort_values("step", kind="stable")
        steps = rows["step"].astype(int)
        rows = rows[(steps % stride == 0) | (steps == steps.max())]
        cells = [
            [label, [_number(value) for value in rows[column]]] for column, label in columns.items() if column in rows
        ]
        named = None if name is None or len(groups) == 1 else f"{by} {name}"
        runs.append({"name": named, "steps": [int(k) for k in rows["step"]], "cells": cells})
    return {"what": what, "last": last, "runs": runs, "after": after}


def read_description(template: dict, step: int | None = None) -> str:
    """The text of a live_description at `step` (the last step when None). ui/player_assets.py's JavaScript does
    the same in the browser; tests compare the two."""
    if not template["runs"]:
        return template["what"] + template["after"]
    last = template["last"]
    at = last if step is None else min(max(int(step), 0), last)
    parts = []
    for run in template["runs"]:
        shown = bisect.bisect_right(run["steps"], at) - 1
        if shown < 0:
            continue
        numbers = ", ".join(f"{label} = {values[shown]}" for label, values in run["cells"])
        parts.append(numbers if run["name"] is None else f"{run['name']}: {numbers}")
    return f"{template['what']}, step {at} of {last}: " + "; ".join(parts) + template["after"]


def describe(
    what: str, frame: pd.DataFrame, columns: dict[str, str], *, step: int | None = None, by: str | None = None
) -> str:
    """A chart's text alternative: what it shows, and its numbers at the step shown (the last step when None) of
    each run. `columns` maps a column of `frame` to the name read out ("loss" → "loss"), `frame` has a "step"
    column and, for several runs, a "run" (or "lr") column."""
    return read_description(live_description(what, frame, columns, by=by), step)
