"""Practice on a lesson page: a seeded question, the student's answer locked in, then the reveal.

`practice_section(lesson)` draws it as one st.fragment, so answering reruns only the section. Nothing of the
answer reaches the browser before "Lock in my answer" (the ask chart carries only the question's own data).
The variant lives in the URL as `?practice=lesson.kind-seed`, so a lecturer can project one question and the
room opens the same one on phones. The score ("4 of 5, streak 3") is kept in st.session_state only.
Everything the student typed is shown escaped (never as markdown); the inputs are stacked for a 390 px phone.
"""

from __future__ import annotations

import secrets

import streamlit as st

from practice import charts
from practice.answers import MAX_LENGTH, AnswerError
from practice.questions import KINDS, MAX_SEED, kind_of, make, parse_variant, variant_id
from practice.records import ChoiceAnswer, NumberAnswer, Question
from practice.score import Result, record, score
from ui import fair_share, screen
from ui.cache import ALTAIR_LOCK, cached, finished_spec
from ui.text import plain

PARAM = "practice"  # the URL query parameter that opens a variant
SECTION = {"section": "practice"}  # marks the section's charts (usermeta), so page tests can tell them apart
RESULTS = "practice.results"  # tuple[Result, ...] for the whole session, every lesson


def _key(lesson: str, name: str) -> str:
    return f"practice.{lesson}.{name}"


@cached(max_entries=128)
def _question(lesson: str, kind: str, seed: int) -> Question:
    """make() cached: the lecture hall opening one variant computes it once."""
    return make(lesson, kind, seed)


@cached(max_entries=128)
def _ask_spec(lesson: str, kind: str, seed: int) -> dict | None:
    """The question's ask chart as a finished Vega-Lite dict, or None: built once per variant, not on every rerun
    (building and validating it with Altair was 80–150 ms of an identical rerun of a page showing a loss map)."""
    ask = charts.ask_chart(_question(lesson, kind, seed))
    return None if ask is None else finished_spec(ask.properties(usermeta=SECTION))


def _start(lesson: str) -> None:
    """First run of this lesson's section in the session: the variant from the link, else a random one."""
    if _key(lesson, "seed") in st.session_state:
        return
    ids = [k.id for k in KINDS[lesson]]
    kind, seed = ids[0], secrets.randbelow(MAX_SEED + 1)
    wanted = st.query_params.get(PARAM)
    if wanted is not None:
        parsed = parse_variant(wanted)
        if parsed is not None and parsed[0] == lesson:
            _, kind, seed = parsed
        elif parsed is None:
            st.session_state[_key(lesson, "bad_link")] = True
    st.session_state[_key(lesson, "kind")] = kind
    st.session_state[_key(lesson, "seed")] = seed


def _another(lesson: str) -> None:
    """'Another question': the next kind of this lesson, with a fresh seed."""
    ids = [k.id for k in KINDS[lesson]]
    current = st.session_state.get(_key(lesson, "kind"), ids[0])
    st.session_state[_key(lesson, "kind")] = ids[(ids.index(current) + 1) % len(ids)]
    st.session_state[_key(lesson, "seed")] = secrets.randbelow(MAX_SEED + 1)


def _new_seed(lesson: str) -> None:
    st.session_state[_key(lesson, "seed")] = secrets.randbelow(MAX_SEED + 1)


def practice_section(lesson: str) -> None:
    """The Practice section of one lesson (slug as in practice.KINDS, e.g. 'one-weight')."""
    kind_of(lesson, KINDS[lesson][0].id)  # an unknown lesson is the page's bug: fail loudly
    st.subheader("Practice: predict, then reveal")
    _section(lesson)


@st.fragment
@fair_share.counted  # a fragment rerun runs without app.py: its CPU counts too
def _section(lesson: str) -> None:
    _start(lesson)
    if st.session_state.pop(_key(lesson, "bad_link"), False):
        st.warning("The practice question in the link could not be opened, so here is a new one.")
    titles = {k.id: k.title for k in KINDS[lesson]}
    kind = st.selectbox(
        "Kind of question",
        list(titles),
        format_func=titles.get,
        key=_key(lesson, "kind"),
        on_change=_new_seed,
        args=(lesson,),
    )
    seed = int(st.session_state[_key(lesson, "seed")])
    question = _question(lesson, kind, seed)
    qid = question.id
    if st.query_params.get(PARAM) != qid:
        st.query_params[PARAM] = qid  # the address bar now opens this very variant

    st.markdown(plain(question.prompt))
    if question.latex:
        st.latex(question.latex)
    if question.note:
        st.caption(plain(question.note))
    locked = st.session_state.get(_key(lesson, f"locked.{qid}"))
    _answer_input(question, _ask_spec(lesson, kind, seed), disabled=locked is not None)
    st.caption(plain(question.answer.rule.capitalize() + "."))
    if locked is None:
        st.button(
            "Lock in my answer", key=_key(lesson, f"lock.{qid}"), type="primary", on_click=_lock, args=(question,)
        )
        problem = st.session_state.pop(_key(lesson, f"error.{qid}"), None)
        if problem is not None:
            st.error(f"Could not read that answer: {plain(problem)}.")
    else:
        (st.success if locked.correct else st.error)(plain(locked.text))
        spec = _reveal_spec(question, locked.prediction) | {"usermeta": SECTION}
        screen.chart(spec, f"Your prediction and the answer: {plain(locked.text)}", key=_key(lesson, f"reveal.{qid}"))

    st.button("Another question", key=_key(lesson, "another"), on_click=_another, args=(lesson,))
    st.caption(f"Score this session: {score(st.session_state.get(RESULTS, ())).text}.")
    st.caption("Link to this question (add it to the page's address):")
    st.code(f"?{PARAM}={variant_id(lesson, kind, seed)}", language=None)


def _reveal_spec(question: Question, prediction) -> dict:
    """The reveal chart as a Vega-Lite dict, built once per locked question and kept in the session.

    Building and validating the Altair chart costs ~90 ms of CPU; kept, a rerun of the section costs ~20 ms.
    Only the latest reveal of each lesson is kept, so a session holds at most one spec (2–100 kB) per lesson.
    """
    key = _key(question.lesson, "reveal_spec")
    kept = st.session_state.get(key)
    if kept is None or kept[0] != question.id:
        with ALTAIR_LOCK:  # Altair's transformer is process-wide: not while ui.cache.finished_spec has its own on
            kept = (question.id, charts.reveal_chart(question, prediction).to_dict())
        st.session_state[key] = kept
    return kept[1]


def _given(question: Question):
    """What the student gave, read from the inputs' session state: text, a set of picks, or a (w, b) text pair."""
    base, answer = _key(question.lesson, question.id), question.answer
    if isinstance(answer, NumberAnswer):
        return st.session_state.get(f"{base}.number", "")
    if isinstance(answer, ChoiceAnswer):
        if answer.multiple:
            return frozenset(st.session_state.get(f"{base}.picks", ()))
        picked = st.session_state.get(f"{base}.pick")
        return frozenset() if picked is None else frozenset([picked])
    return st.session_state.get(f"{base}.w", ""), st.session_state.get(f"{base}.b", "")


def _lock(question: Question) -> None:
    """'Lock in my answer': check it once; keep the feedback (and the score), or the message saying why not."""
    lesson, qid = question.lesson, question.id
    try:
        feedback = question.feedback(_given(question))
    except AnswerError as error:
        st.session_state[_key(lesson, f"error.{qid}")] = str(error)
        return
    st.session_state[_key(lesson, f"locked.{qid}")] = feedback
    st.session_state[RESULTS] = record(st.session_state.get(RESULTS, ()), Result(qid, feedback.correct))


def _use_pick(question: Question, chart_key: str) -> None:
    """A click on the ask chart fills the typed inputs (which are the phone's fallback)."""
    point = charts.picked(st.session_state.get(chart_key))
    if point is None:
        return
    base = _key(question.lesson, question.id)
    if "lr" in point:
        st.session_state[f"{base}.number"] = f"{point['lr']:.4g}"
    if "w" in point and "b" in point:
        st.session_state[f"{base}.w"], st.session_state[f"{base}.b"] = f"{point['w']:.3g}", f"{point['b']:.3g}"
    st.session_state[f"{base}.clicks"] = st.session_state.get(f"{base}.clicks", 0) + 1


def _answer_input(question: Question, ask: dict | None, disabled: bool) -> None:
    """The input for the answer type (read back by _given), and the ask chart (a finished spec) if there is one."""
    base = _key(question.lesson, question.id)
    if ask is not None:
        chart_key = f"{base}.pick.{st.session_state.get(f'{base}.clicks', 0)}"  # fresh after each click
        if disabled or (question.ask is not None and "option" in question.ask):
            screen.chart(ask, "The question's chart", key=chart_key)
        else:
            screen.chart(
                ask,
                "The question's chart: click it to fill in the answer, or type it below",
                key=chart_key,
                on_select=lambda: _use_pick(question, chart_key),
                selection_mode=charts.PICK,
            )
            st.caption("Click the chart to fill in the answer, or type it.")
    answer = question.answer
    if isinstance(answer, NumberAnswer):
        label = f"Your answer ({question.unit})" if question.unit else "Your answer"
        st.text_input(
            label,
            key=f"{base}.number",
            max_chars=MAX_LENGTH,
            disabled=disabled,
            placeholder="e.g. -1.46, 1/18, 1e-6, 0,5",
        )
        return
    if isinstance(answer, ChoiceAnswer):
        if answer.multiple:
            st.multiselect("Your picks (none is an answer too)", answer.options, key=f"{base}.picks", disabled=disabled)
        else:
            st.radio("Your pick", answer.options, index=None, key=f"{base}.pick", disabled=disabled)
        return
    st.text_input("w (slope)", key=f"{base}.w", max_chars=MAX_LENGTH, disabled=disabled)
    st.text_input("b (bias)", key=f"{base}.b", max_chars=MAX_LENGTH, disabled=disabled)
