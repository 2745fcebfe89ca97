"""Altair charts for practice: what is shown before the commit (`ask_chart`) and the reveal (`reveal_chart`).

The ask chart never carries the answer (only the question's `ask` frame and landmarks); the reveal draws
`Question.revealed()` as `Question.plot` says, with the prediction marked: a marker, a rule, a circle, a thick line.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from practice.records import PointAnswer, Prediction, Question

PICK = "practice_pick"  # name of the click selection in ask charts
WIDTH = "container"
HEIGHT = 260
PREDICTION = "#D55E00"  # Okabe–Ito vermilion: the student's prediction
ANSWER = "#0072B2"  # Okabe–Ito blue: the run and the answer
LANDMARK = "#000000"


def picked(state) -> dict[str, float] | None:
    """The clicked datum from st.altair_chart's selection state ({"selection": {PICK: [{...}]}}), or None."""
    try:
        point = state["selection"][PICK][0]
        values = {key: float(value) for key, value in point.items() if key in ("w", "b", "lr")}
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return values if values and all(math.isfinite(v) for v in values.values()) else None


def _landmarks(question: Question, x: str, y: str) -> alt.Chart | None:
    if not question.landmarks:
        return None
    frame = pd.DataFrame([{x: px, y: py, "label": label} for label, px, py in question.landmarks])
    base = alt.Chart(frame).encode(x=f"{x}:Q", y=f"{y}:Q")
    # Draw each landmark as a cross with its name beside it
    return base.mark_point(shape="cross", size=120, color=LANDMARK, filled=True) + base.mark_text(
        align="left", dx=8, dy=-8, color=LANDMARK
    ).encode(text="label:N")


def ask_chart(question: Question) -> alt.Chart | None:
    """The chart shown before the commit: a (w, b) map to click, an lr axis to click, or A/B paths; else None."""
    ask = question.ask
    if ask is None:
        return None
    pick = alt.selection_point(name=PICK, on="click", fields=[c for c in ("w", "b", "lr") if c in ask], empty=False)
    if "w_lo" in ask:
        # The loss map: one clickable cell per grid point, shaded by the loss
        chart = (
            alt.Chart(ask)
            .mark_rect()
            .encode(
                x=alt.X("w_lo:Q", title="slope w", scale=alt.Scale(zero=False, nice=False)),
                x2="w_hi:Q",
                y=alt.Y("b_lo:Q", title="bias b", scale=alt.Scale(zero=False, nice=False)),
                y2="b_hi:Q",
                fill=alt.Fill("loss:Q", scale=alt.Scale(type="log", scheme="viridis", reverse=True), legend=None),
                tooltip=[alt.Tooltip("w:Q", format=".3g"), alt.Tooltip("b:Q", format=".3g")],
            )
            .add_params(pick)
        )
        marks = _landmarks(question, "w", "b")
        return (chart + marks if marks is not None else chart).properties(width=WIDTH, height=HEIGHT)
    if "option" in ask:
        # Both paths, named only A and B
        paths = (
            alt.Chart(ask)
            .mark_line(point=True)
            .encode(
                x=alt.X("w:Q", title="slope w", scale=alt.Scale(zero=False)),
                y=alt.Y("b:Q", title="bias b", scale=alt.Scale(zero=False)),
                color=alt.Color("option:N", title="path", legend=alt.Legend(orient="bottom")),
                order="step:Q",
            )
        )
        marks = _landmarks(question, "w", "b")
        return (paths + marks if marks is not None else paths).properties(width=WIDTH, height=HEIGHT)
    # An lr axis: a tick per candidate learning rate, clickable
    return (
        alt.Chart(ask)
        .mark_tick(thickness=3, size=40)
        .encode(x=alt.X("lr:Q", title="learning rate (log)", scale=alt.Scale(type="log")), tooltip=["lr:Q"])
        .add_params(pick)
        .properties(width=WIDTH, height=70)
    )


def _scale(log: bool) -> alt.Scale:
    return alt.Scale(type="log") if log else alt.Scale(zero=False)


def reveal_chart(question: Question, prediction: Prediction) -> alt.LayerChart:
    """The run to the answer with the prediction marked (see records.Plot for the kinds of marking)."""
    plot, frame = question.plot, question.revealed()
    x = alt.X(f"{plot.x}:Q", title=plot.x_title, scale=_scale(plot.log_x))
    y = alt.Y(f"{plot.y}:Q", title=plot.y_title, scale=_scale(plot.log_y))
    base = alt.Chart(frame).encode(x=x, y=y)
    if plot.series:
        chosen = frame[plot.series].isin(prediction) if isinstance(prediction, frozenset) else False
        frame = frame.assign(width=pd.Series(chosen, index=frame.index).map({True: 4.0, False: 1.5}))
        base = alt.Chart(frame).encode(x=x, y=y)
        legend = alt.Legend(orient="bottom", columns=2, labelLimit=240)
        colour = alt.Color(f"{plot.series}:N", title=None, legend=legend)
        run = base.mark_line(point=len(frame) < 150).encode(
            color=colour, strokeWidth=alt.StrokeWidth("width:Q", legend=None, scale=None)
        )
    else:
        run = base.mark_line(point=True, color=ANSWER)
    if plot.path:
        run = run.encode(order="step:Q")
    layers = [run]
    if plot.reference is not None:
        # The target as a dashed horizontal rule
        rule = pd.DataFrame({"value": [plot.reference], "label": [plot.reference_label]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[4, 4], color="gray").encode(y="value:Q"))
    if plot.answer_x is not None:
        # The answer as a blue vertical rule
        layers.append(alt.Chart(pd.DataFrame({"x": [plot.answer_x]})).mark_rule(color=ANSWER, size=2).encode(x="x:Q"))
    layers += _prediction_layers(question, prediction, frame)
    marks = _landmarks(question, plot.x, plot.y)
    if marks is not None:
        layers.append(marks)
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)


def _prediction_layers(question: Question, prediction: Prediction, frame: pd.DataFrame) -> list[alt.Chart]:
    plot = question.plot
    if isinstance(prediction, frozenset):
        picked = ", ".join(sorted(prediction)) or "none"
        note = pd.DataFrame({"text": [f"you picked: {picked}"]})
        return [alt.Chart(note).mark_text(align="left", x=5, y=-8, color=PREDICTION).encode(text="text:N")]
    if isinstance(prediction, tuple):
        w, b = prediction
        radius = question.answer.radius if isinstance(question.answer, PointAnswer) else 0.0
        you = pd.DataFrame({plot.x: [w], plot.y: [b], "label": ["you"]})
        base = alt.Chart(you).encode(x=f"{plot.x}:Q", y=f"{plot.y}:Q")
        answer = question.answer
        ring = pd.DataFrame(
            {
                plot.x: [answer.w + radius * math.cos(t / 24 * 2 * math.pi) for t in range(25)],
                plot.y: [answer.b + radius * math.sin(t / 24 * 2 * math.pi) for t in range(25)],
                "i": range(25),
            }
        )
        # The accepted circle around the answer, and the student's point
        circle = (
            alt.Chart(ring)
            .mark_line(color=ANSWER, strokeDash=[3, 3])
            .encode(x=f"{plot.x}:Q", y=f"{plot.y}:Q", order="i:Q")
        )
        return [circle, base.mark_point(size=160, color=PREDICTION, filled=True), base.mark_text(
            dx=10, dy=-10, color=PREDICTION).encode(text="label:N")]  # fmt: skip
    value = float(prediction)
    if plot.predict == "y":
        values = frame[plot.y]
        span = max(float(values.max() - values.min()), 1e-3)
        low, high = float(values.min()) - 2 * span, float(values.max()) + 2 * span
        shown = min(max(value, low), high)
        label = "you" if shown == value else "you (off the chart)"
        value = shown
    if plot.predict == "x":
        values = frame[plot.x].tolist() + ([plot.answer_x] if plot.answer_x is not None else [])
        low, high = min(values), max(values)
        low, high = (low / 2, high * 2) if plot.log_x else (low - (high - low), high + (high - low))
        shown = min(max(value, low), high)
        label = "you" if shown == value else "you (off the chart)"
        rule = pd.DataFrame({"x": [shown], "label": [label]})
        base = alt.Chart(rule).encode(x="x:Q")
        return [base.mark_rule(color=PREDICTION, size=2, strokeDash=[6, 3]),
                base.mark_text(align="left", dx=4, y=8, color=PREDICTION).encode(text="label:N")]  # fmt: skip
    if plot.at is None:
        rule = pd.DataFrame({"y": [value], "label": [label]})
        base = alt.Chart(rule).encode(y="y:Q")
        return [base.mark_rule(color=PREDICTION, size=2, strokeDash=[6, 3]),
                base.mark_text(align="left", x=4, dy=-6, color=PREDICTION).encode(text="label:N")]  # fmt: skip
    you = pd.DataFrame({plot.x: [plot.at], plot.y: [value], "label": [label]})
    base = alt.Chart(you).encode(x=f"{plot.x}:Q", y=f"{plot.y}:Q")
    return [base.mark_point(size=160, color=PREDICTION, filled=True, shape="diamond"),
            base.mark_text(dx=12, dy=-10, color=PREDICTION).encode(text="label:N")]  # fmt: skip
