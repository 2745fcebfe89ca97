"""Practice questions per lesson: the registry of kinds, `make(lesson, kind, seed)`, and variant link ids.

A variant id is `lesson.kind-seed` (e.g. `one-weight.a1-1234`), the value of the `?practice=` URL parameter;
`parse_variant` accepts only a known lesson and kind and a seed of at most SEED_DIGITS digits, else None.
The records (Question, NumberAnswer, ChoiceAnswer, PointAnswer, Feedback) live in practice.records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from practice import gen_line, gen_race, gen_scalar
from practice.records import ChoiceAnswer, Feedback, NumberAnswer, Plot, PointAnswer, Question

SEED_DIGITS = 6
MAX_SEED = 10**SEED_DIGITS - 1


@dataclass(frozen=True)
class Kind:
    """A kind of question: its id (in links), a short title, and the generator seed -> Question."""

    id: str
    title: str
    generate: Callable[[int], Question]


KINDS: dict[str, tuple[Kind, ...]] = {
    "one-weight": (
        Kind("a1", "One step by hand", gen_scalar.a1),
        Kind("diverge", "Which learning rates diverge?", gen_scalar.diverge),
        Kind("steps", "Steps to 10⁻⁶", gen_scalar.steps_to_target),
        Kind("one-step-lr", "The one-step learning rate", gen_scalar.one_step_lr),
    ),
    "fitting-a-line": (
        Kind("w1", "The first step of w", gen_line.w1),
        Kind("click20", "Where after 20 steps?", gen_line.click20),
        Kind("wstar", "Where does w end up?", gen_line.wstar),
    ),
    "minibatches": (
        Kind("which-path", "Which path is the minibatch one?", gen_line.which_path),
        Kind("epoch-steps", "Steps in a few epochs", gen_line.epoch_steps),
        Kind("last-batch", "The last batch of an epoch", gen_line.last_batch),
    ),
    "learning-rate": (
        Kind("largest-lr", "The largest lr that converges", gen_line.largest_lr),
        Kind("regime", "Steady, overshooting or diverging?", gen_line.regime),
        Kind("critical", "The critical lr of a parabola", gen_scalar.critical_scalar),
    ),
    "optimizers": (
        Kind("race", "Which optimizer gets there first?", gen_race.race),
        Kind("momentum", "Two momentum steps", gen_race.momentum),
        Kind("adam", "Adam's first step", gen_race.adam),
    ),
}

_VARIANT = re.compile(rf"([a-z]+(?:-[a-z]+)*)\.([a-z0-9]+(?:-[a-z0-9]+)*?)-(\d{{1,{SEED_DIGITS}}})")


def kind_of(lesson: str, kind: str) -> Kind:
    """The registered kind, or ValueError naming the choices."""
    if lesson not in KINDS:
        raise ValueError(f"unknown lesson {lesson!r}; choose one of {', '.join(KINDS)}")
    for candidate in KINDS[lesson]:
        if candidate.id == kind:
            return candidate
    raise ValueError(f"unknown kind {kind!r} for {lesson}; choose one of {', '.join(k.id for k in KINDS[lesson])}")


def make(lesson: str, kind: str, seed: int) -> Question:
    """The question of this lesson, kind and seed (0 ≤ seed ≤ MAX_SEED): the same arguments, the same question."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}")
    return kind_of(lesson, kind).generate(seed)


def variant_id(lesson: str, kind: str, seed: int) -> str:
    """`lesson.kind-seed`, the value of ?practice= that opens this variant."""
    return f"{lesson}.{kind}-{seed}"


def parse_variant(text: str) -> tuple[str, str, int] | None:
    """`lesson.kind-seed` -> (lesson, kind, seed) when all three are known and in range, else None."""
    if not isinstance(text, str) or len(text) > 80:
        return None
    match = _VARIANT.fullmatch(text)
    if match is None:
        return None
    lesson, kind, seed = match.group(1), match.group(2), int(match.group(3))
    try:
        kind_of(lesson, kind)
    except ValueError:
        return None
    return lesson, kind, seed


__all__ = ["KINDS", "ChoiceAnswer", "Feedback", "Kind", "NumberAnswer", "Plot", "PointAnswer", "Question", "make"]
