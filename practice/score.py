"""The session's score: pure functions over the list of locked results (kept by the page in session state)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One locked answer: which variant, and whether it was right."""

    question_id: str
    correct: bool


@dataclass(frozen=True)
class Score:
    """right of answered; streak = right answers in a row at the end; best = longest such run."""

    right: int
    answered: int
    streak: int
    best: int

    @property
    def text(self) -> str:
        """'4 of 5, streak 3' (plain text)."""
        if self.answered == 0:
            return "no answers yet"
        return f"{self.right} of {self.answered}, streak {self.streak}"


def score(results: Sequence[Result]) -> Score:
    """Count right answers, the current streak and the best streak."""
    streak = best = 0
    for result in results:
        streak = streak + 1 if result.correct else 0
        best = max(best, streak)
    return Score(sum(r.correct for r in results), len(results), streak, best)


def record(results: Sequence[Result], result: Result) -> tuple[Result, ...]:
    """The results with `result` added, unless that variant is already scored (a variant counts once)."""
    if any(r.question_id == result.question_id for r in results):
        return tuple(results)
    return (*results, result)
