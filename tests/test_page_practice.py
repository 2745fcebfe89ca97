"""The Practice section in AppTest: for every kind of every lesson, nothing of the answer shows before the commit;
locking the right answer reveals the run and the verdict; bad text gets a message; links open one variant."""

from __future__ import annotations

import pytest
from pagetools import ROOT, TIMEOUT, assert_charts_clean, assert_no_exception
from streamlit.testing.v1 import AppTest

from practice.questions import KINDS, make, variant_id
from practice.records import ChoiceAnswer, NumberAnswer
from ui.text import plain as escape_markdown

PAGE = str(ROOT / "tests" / "apps" / "practice_page.py")
ALL_KINDS = [(lesson, kind.id) for lesson, kinds in KINDS.items() for kind in kinds]


def open_section(lesson: str, practice: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.query_params["lesson"] = lesson
    if practice is not None:
        at.query_params["practice"] = practice
    return at.run()


def shown_text(at: AppTest) -> str:
    """Every piece of text on the page, as sent (markdown source, captions, alerts, code)."""
    parts = [e.value for kind in ("markdown", "caption", "success", "error", "warning", "code") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def give_right_answer(at: AppTest, question) -> None:
    answer = question.answer
    if isinstance(answer, NumberAnswer):
        at.text_input[0].input(f"{answer.value:.10g}".replace("-", "−"))
    elif isinstance(answer, ChoiceAnswer) and answer.multiple:
        at.multiselect[0].set_value(sorted(answer.correct))
    elif isinstance(answer, ChoiceAnswer):
        at.radio[0].set_value(sorted(answer.correct)[0])
    else:
        at.text_input[0].input(f"{answer.w:.10g}")
        at.text_input[1].input(f"{answer.b:.10g}")


def lock_button(at: AppTest):
    (button,) = [b for b in at.button if b.label == "Lock in my answer"]
    return button


@pytest.mark.parametrize(("lesson", "kind"), ALL_KINDS)
def test_nothing_is_revealed_before_the_commit_and_the_reveal_follows_it(lesson, kind):
    seed = 0 if kind == "race" else 4321
    question = make(lesson, kind, seed)
    at = open_section(lesson, variant_id(lesson, kind, seed))
    assert_no_exception(at)
    before = shown_text(at)
    assert escape_markdown(question.prompt) in before  # the link opened this very variant
    assert escape_markdown(question.working) not in before and not at.success and not at.error
    ask_charts = len(at.get("vega_lite_chart"))
    assert ask_charts == (0 if question.ask is None else 1)
    assert "no answers yet" in before
    answer = question.answer  # each answer type gets exactly its own inputs
    assert len(at.text_input) == (
        1 if isinstance(answer, NumberAnswer) else 0 if isinstance(answer, ChoiceAnswer) else 2
    )
    assert len(at.radio) + len(at.multiselect) == (1 if isinstance(answer, ChoiceAnswer) else 0)

    give_right_answer(at, question)
    lock_button(at).click()
    at.run()
    assert_no_exception(at)
    assert [s.value for s in at.success] and "Right" in at.success[0].value, shown_text(at)
    assert escape_markdown(question.working) in at.success[0].value
    assert len(at.get("vega_lite_chart")) == ask_charts + 1
    assert_charts_clean(at, practice=True)
    assert not [b for b in at.button if b.label == "Lock in my answer"]  # locked: no second try
    assert all(widget.disabled for widget in [*at.text_input, *at.radio, *at.multiselect])
    assert "Score this session: 1 of 1, streak 1." in shown_text(at)


def test_a_wrong_answer_is_marked_wrong_with_the_gap_explained():
    question = make("one-weight", "a1", 108)  # A₀ = −2, lr = 0.03: A₁ = −1.46
    at = open_section("one-weight", question.id)
    at.text_input[0].input("-1.1")
    lock_button(at).click()
    at.run()
    assert not at.success
    assert "you said −1\\.1; the step is" in at.error[0].value and "−1\\.46" in at.error[0].value
    assert "Score this session: 0 of 1, streak 0." in shown_text(at)


@pytest.mark.parametrize("text", ["<b>bold</b>", "**1**", "__import__('os')", "1\x00", "9" * 10_000, "1,000", ""])
def test_bad_text_gets_a_message_not_a_mark(text):
    at = open_section("one-weight", "one-weight.a1-108")
    at.text_input[0].input(text)
    lock_button(at).click()
    at.run()
    assert_no_exception(at)
    assert at.error and at.error[0].value.startswith("Could not read that answer")
    assert "<b>" not in shown_text(at) and "**1**" not in shown_text(at)
    assert "no answers yet" in shown_text(at)  # not scored
    assert lock_button(at) is not None and len(at.get("vega_lite_chart")) == 0


def test_another_question_moves_on_and_keeps_the_score():
    at = open_section("minibatches", "minibatches.epoch-steps-5")
    question = make("minibatches", "epoch-steps", 5)
    give_right_answer(at, question)
    lock_button(at).click()
    at.run()
    (another,) = [b for b in at.button if b.label == "Another question"]
    another.click()
    at.run()
    assert_no_exception(at)
    assert at.query_params["practice"].startswith("minibatches.last-batch-")
    assert not at.success and len(at.get("vega_lite_chart")) == 0
    assert "Score this session: 1 of 1, streak 1." in shown_text(at)


@pytest.mark.parametrize("link", ["nonsense", "<script>x</script>", "one-weight.zz-1", "one-weight.a1-99999999"])
def test_a_bad_link_says_so_and_opens_a_fresh_question(link):
    at = open_section("one-weight", link)
    assert_no_exception(at)
    assert at.warning and "could not be opened" in at.warning[0].value
    assert "script" not in shown_text(at).replace("description", "")
    assert at.query_params["practice"].startswith("one-weight.a1-")
