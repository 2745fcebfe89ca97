"""The records a practice question is made of: the answer specs, the reveal plot, the question, the feedback.

A question is a pure value: built from (lesson, kind, seed) by a generator, answered by gd_core, checked by
`Question.feedback(given)`, which parses typed text with practice.answers (raising AnswerError on bad text).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from practice.answers import AnswerError, parse_number

Prediction = float | frozenset[str] | tuple[float, float]


def num(value: float, digits: int = 4) -> str:
    """A number as the page shows it: 4 significant digits, a real minus sign, no '+' or 'e+00'."""
    if value == 0:
        return "0"
    mantissa, _, exponent = f"{value:.{digits}g}".partition("e")
    text = mantissa + (f" × 10^{int(exponent)}" if exponent else "")
    return text.replace("-", "−")


def par(value: float) -> str:
    """num(value), in brackets when negative: 0.03 × (−2)."""
    return f"({num(value)})" if value < 0 else num(value)


def rng_for(lesson: str, kind: str, seed: int) -> random.Random:
    """The variant's own random stream: the same (lesson, kind, seed) always gives the same question."""
    return random.Random(f"{lesson}.{kind}.{seed}")  # str seeds hash with sha512: stable across runs


@dataclass(frozen=True)
class NumberAnswer:
    """A number, right when |given − value| ≤ max(rel_tol·|value|, abs_tol)."""

    value: float
    rel_tol: float
    abs_tol: float = 0.0

    @property
    def tolerance(self) -> float:
        """The largest accepted distance from the answer."""
        return max(self.rel_tol * abs(self.value), self.abs_tol)

    def accepts(self, given: float) -> bool:
        """True when `given` is within the tolerance (plus float rounding) of the answer."""
        return math.isfinite(given) and abs(given - self.value) <= self.tolerance * (1 + 1e-9) + 1e-15

    @property
    def rule(self) -> str:
        """The tolerance in words, as stated on screen."""
        if self.rel_tol == 0 and self.abs_tol == 0:
            return "only the exact answer counts"
        parts = [f"{self.rel_tol:.0%} of the answer"] if self.rel_tol else []
        parts += [f"±{num(self.abs_tol)}"] if self.abs_tol else []
        return "counted right within " + (" or ".join(parts) + (", whichever is larger" if len(parts) > 1 else ""))


@dataclass(frozen=True)
class ChoiceAnswer:
    """Options to pick from; right when the picked set equals `correct` (one pick when not `multiple`)."""

    options: tuple[str, ...]
    correct: frozenset[str]
    multiple: bool = False

    def accepts(self, given: frozenset[str]) -> bool:
        """Multiple choice: exactly the correct set. Single choice: any one of the correct options (ties)."""
        return given == self.correct if self.multiple else len(given) == 1 and given <= self.correct

    @property
    def rule(self) -> str:
        """How picks are scored, as stated on screen."""
        return "pick every option that is true, and only those" if self.multiple else "pick one"


@dataclass(frozen=True)
class PointAnswer:
    """A point (w, b), right when the clicked or typed point is within `radius` of it."""

    w: float
    b: float
    radius: float

    def distance(self, given: tuple[float, float]) -> float:
        """Euclidean distance from the answer."""
        return math.hypot(given[0] - self.w, given[1] - self.b)

    def accepts(self, given: tuple[float, float]) -> bool:
        """True within the radius."""
        return self.distance(given) <= self.radius

    @property
    def rule(self) -> str:
        """The radius, as stated on screen."""
        return f"counted right within a distance of {num(self.radius, 2)}"


Answer = NumberAnswer | ChoiceAnswer | PointAnswer


@dataclass(frozen=True)
class Plot:
    """How the reveal chart draws `Question.reveal`: axes, the series column, and where the prediction goes.

    predict: "y" (a marker at x = `at`, or a horizontal rule when `at` is None), "x" (a vertical rule),
    "point" (a marker at (w, b) with the answer's radius), "series" (the picked series drawn thick).
    """

    x: str
    y: str
    x_title: str
    y_title: str
    predict: str
    at: float | None = None
    series: str | None = None
    log_x: bool = False
    log_y: bool = False
    path: bool = False  # connect the points in step order (a path in the plane), not by x
    reference: float | None = None  # a horizontal rule (the target loss, say)
    reference_label: str = ""
    answer_x: float | None = None  # a vertical rule at the answer (the critical lr, say)


@dataclass(frozen=True)
class Feedback:
    """The verdict on a locked answer, the explanation with the numbers in, and the prediction to draw."""

    correct: bool
    text: str
    prediction: Prediction


@dataclass(frozen=True, eq=False)
class Question:
    """One seeded question: plain-text prompt (LaTeX apart), answer spec, and the run that shows the answer."""

    lesson: str
    kind: str
    seed: int
    prompt: str
    answer: Answer
    # The run to the answer, tidy (one row per step and series), or a function of no arguments that computes it: a
    # kind whose run is costly (the race: ~0.5 CPU-s a new variant) pays for it at the reveal, not on every page open
    reveal: pd.DataFrame | Callable[[], pd.DataFrame]
    plot: Plot
    working: str  # the computation with the numbers substituted, plain text
    latex: str = ""
    note: str = ""  # said on screen before the commit (how the race is made fair, say)
    ask: pd.DataFrame | None = field(default=None)  # data shown before the commit (A/B paths, a grid to click)
    unit: str = ""  # what the number counts ("steps"), for the input's label
    landmarks: tuple[tuple[str, float, float], ...] = ()  # labelled (x, y) points shown before and after
    inputs: tuple[tuple[str, float], ...] = ()  # the variant's drawn values by name (lr, start, data), for checks

    def revealed(self) -> pd.DataFrame:
        """The run to the answer (computed now when `reveal` is a function)."""
        return self.reveal() if callable(self.reveal) else self.reveal

    def input(self, name: str) -> float:
        """One of the variant's drawn values (KeyError when the kind has no such input)."""
        return dict(self.inputs)[name]

    @property
    def id(self) -> str:
        """The variant's link id, `lesson.kind-seed` (see practice.questions.parse_variant)."""
        return f"{self.lesson}.{self.kind}-{self.seed}"

    def feedback(self, given: str | float | frozenset[str] | tuple) -> Feedback:
        """Check `given` (typed text, a clicked number, picked options, or a (w, b) pair); AnswerError on bad text."""
        answer = self.answer
        if isinstance(answer, NumberAnswer):
            value = _number(given)
            ok = answer.accepts(value)
            gap = value - answer.value
            how = "" if ok or answer.value == 0 else f" (you are {abs(gap) / abs(answer.value):.0%} off)"
            lead = "Right" if ok else "Not quite"
            text = f"{lead}: you said {num(value)}; {self.working}{how}. {answer.rule.capitalize()}."
            return Feedback(ok, text, value)
        if isinstance(answer, ChoiceAnswer):
            picked = frozenset([given]) if isinstance(given, str) else frozenset(given)
            if picked - set(answer.options):
                raise AnswerError("pick from the options shown")
            if not answer.multiple and len(picked) != 1:
                raise AnswerError("pick one of the options first")
            ok = answer.accepts(picked)
            said = ", ".join(o for o in answer.options if o in picked) or "none"
            text = f"{'Right' if ok else 'Not quite'}: you picked {said}; {self.working}."
            return Feedback(ok, text, picked)
        w, b = (_number(v) for v in given)
        ok = answer.accepts((w, b))
        text = (
            f"{'Right' if ok else 'Not quite'}: your point ({num(w)}, {num(b)}) is {num(answer.distance((w, b)), 2)} "
            f"from ({num(answer.w)}, {num(answer.b)}); {self.working}. {answer.rule.capitalize()}."
        )
        return Feedback(ok, text, (w, b))


def _number(given) -> float:
    if isinstance(given, str):
        return parse_number(given).value
    if isinstance(given, (int, float)) and not isinstance(given, bool) and math.isfinite(given):
        return float(given)
    raise AnswerError("type a number")
