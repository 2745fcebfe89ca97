"""Practice: predict, then reveal. Seeded questions per lesson, answered by gd_core (no streamlit here).

import practice
q = practice.make("one-weight", "a1", 1234)
q.prompt, q.feedback("-1.46").correct
"""

from practice.answers import AnswerError, ParsedNumber, parse_number
from practice.questions import (
    KINDS,
    ChoiceAnswer,
    Feedback,
    Kind,
    NumberAnswer,
    PointAnswer,
    Question,
    make,
    parse_variant,
    variant_id,
)
from practice.score import Result, Score, score

__all__ = [
    "KINDS",
    "AnswerError",
    "ChoiceAnswer",
    "Feedback",
    "Kind",
    "NumberAnswer",
    "ParsedNumber",
    "PointAnswer",
    "Question",
    "Result",
    "Score",
    "make",
    "parse_number",
    "parse_variant",
    "score",
    "variant_id",
]
