"""Practice questions: every kind's answer against an independent computation, over many seeds; typed answers
in every accepted spelling; hostile text refused with a message; variant links; the score; the charts."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import gd_core as gd
from practice import charts, gen_race, race_table
from practice.answers import MAX_LENGTH, AnswerError, parse_number
from practice.gen_race import RACE_LRS, TARGET
from practice.questions import KINDS, MAX_SEED, make, parse_variant, variant_id
from practice.records import ChoiceAnswer, NumberAnswer, PointAnswer
from practice.score import Result, record, score

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(20)


def _data(q) -> tuple[np.ndarray, np.ndarray]:
    """The variant's data, regenerated from its inputs with gd.synthetic."""
    data = gd.synthetic(
        n=int(q.input("n")), slope=q.input("slope"), intercept=q.input("intercept"), noise=q.input("noise"),
        seed=int(q.input("data_seed")),
    )  # fmt: skip
    return data.x, data.y


def _hessian(x: np.ndarray) -> np.ndarray:
    """The MSE Hessian (2/n)·XᵀX with X = [x, 1], by numpy."""
    design = np.stack([x, np.ones_like(x)], 1)
    return 2 / len(x) * design.T @ design


def _descend_numpy(x, y, lr, start, steps) -> np.ndarray:
    """θ ← θ − lr·(2/n)·Xᵀ(Xθ − y), written out in numpy; the path (steps + 1, 2)."""
    design = np.stack([x, np.ones_like(x)], 1)
    theta, path = np.array(start, dtype=float), [np.array(start, dtype=float)]
    for _ in range(steps):
        theta = theta - lr * 2 / len(x) * design.T @ (design @ theta - y)
        path.append(theta)
    return np.array(path)


# --- one weight ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_a1_is_the_seed_recurrence(seed):
    q = make("one-weight", "a1", seed)
    a0, lr = q.input("A0"), q.input("lr")
    assert q.answer.value == pytest.approx(a0 - lr * 18 * (a0 + 1), rel=1e-12, abs=1e-12)
    assert f"A₀ = {a0:g}".replace("-", "−") in q.prompt


@pytest.mark.parametrize("seed", SEEDS)
def test_diverging_rates_are_those_above_one_ninth(seed):
    q = make("one-weight", "diverge", seed)
    assert q.answer.multiple
    assert q.answer.correct == {label for label in q.answer.options if float(label) > 1 / 9}


@pytest.mark.parametrize("seed", SEEDS)
def test_steps_to_target_is_the_first_step_of_the_recurrence_below_1e_6(seed):
    q = make("one-weight", "steps", seed)
    a, lr, k = q.input("A0"), q.input("lr"), 0
    while (3 + 3 * a) ** 2 >= 1e-6:
        a, k = a - lr * 18 * (a + 1), k + 1
    assert q.answer.value == k


@pytest.mark.parametrize("seed", SEEDS)
def test_one_step_lr_is_one_over_2x_squared_and_lands_in_one_step(seed):
    q = make("one-weight", "one-step-lr", seed)
    x, y, a0 = q.input("x"), q.input("y"), q.input("a0")
    assert q.answer.value == pytest.approx(1 / (2 * x * x), rel=1e-9)
    a1 = a0 - q.answer.value * (-2 * x) * (y - a0 * x)  # d/da (y − a·x)² = −2x(y − a·x)
    assert a1 == pytest.approx(y / x, abs=1e-9)


# --- fitting a line -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_first_step_of_w_is_lr_times_twice_mean_xy(seed):
    q = make("fitting-a-line", "w1", seed)
    x, y = _data(q)
    assert q.answer.value == pytest.approx(q.input("lr") * 2 * np.mean(x * y), rel=1e-10)


@pytest.mark.parametrize("seed", range(15))
def test_point_after_20_steps_matches_a_numpy_descent(seed):
    q = make("fitting-a-line", "click20", seed)
    x, y = _data(q)
    end = _descend_numpy(x, y, q.input("lr"), (q.input("w0"), q.input("b0")), 20)[-1]
    assert (q.answer.w, q.answer.b) == pytest.approx(tuple(end), rel=1e-9, abs=1e-9)
    assert q.answer.radius > 0


@pytest.mark.parametrize("seed", range(15))
def test_w_ends_at_the_least_squares_slope(seed):
    q = make("fitting-a-line", "wstar", seed)
    slope, _ = np.polyfit(*_data(q), 1)
    assert q.answer.value == pytest.approx(slope, rel=1e-6)


# --- minibatches --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(15))
def test_the_minibatch_path_is_the_one_that_is_not_full_batch_descent(seed):
    q = make("minibatches", "which-path", seed)
    x, y = _data(q)
    full = _descend_numpy(x, y, q.input("lr"), (q.input("w0"), q.input("b0")), 30)
    (mini_label,) = q.answer.correct
    for label in "AB":
        path = q.reveal[q.reveal["option"] == label].sort_values("step")[["w", "b"]].to_numpy()
        assert np.allclose(path, full, rtol=1e-9, atol=1e-9) == (label != mini_label)


@pytest.mark.parametrize("seed", SEEDS)
def test_steps_in_epochs_is_epochs_times_ceil_n_over_b(seed):
    q = make("minibatches", "epoch-steps", seed)
    n, batch, epochs = (int(q.input(name)) for name in ("n", "batch", "epochs"))
    assert q.answer.value == epochs * math.ceil(n / batch)


@pytest.mark.parametrize("seed", SEEDS)
def test_last_batch_holds_the_remainder(seed):
    q = make("minibatches", "last-batch", seed)
    n, batch = int(q.input("n")), int(q.input("batch"))
    assert q.answer.value == n - (math.ceil(n / batch) - 1) * batch


# --- the learning rate --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_largest_lr_is_two_over_lambda_max_of_the_data_hessian(seed):
    q = make("learning-rate", "largest-lr", seed)
    x, _ = _data(q)
    assert q.answer.value == pytest.approx(2 / np.linalg.eigvalsh(_hessian(x))[-1], rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_regime_follows_lr_times_lambda_max(seed):
    q = make("learning-rate", "regime", seed)
    x, _ = _data(q)
    product = q.input("lr") * np.linalg.eigvalsh(_hessian(x))[-1]
    expected = 0 if product < 1 else 1 if product < 2 else 2
    assert q.answer.correct == {q.answer.options[expected]}


@pytest.mark.parametrize("seed", SEEDS)
def test_critical_lr_of_a_parabola_is_one_over_c(seed):
    q = make("learning-rate", "critical", seed)
    assert q.answer.value == pytest.approx(1 / q.input("c"), rel=1e-9)


# --- optimizers ---------------------------------------------------------------------------------------------------


def _surface(q) -> gd.SurfaceProblem:
    return next(p for p in gd.TEST_FUNCTIONS.values() if p.latex == q.latex)


def _torch_optim_finishes(problem, optimizer: str, start, steps: int) -> list[int | None]:
    """Per lr of RACE_LRS, the first step with loss < TARGET of a hand-driven torch.optim loop (None if never).

    One torch.optim optimizer with a parameter group per learning rate; each group's point is its own leaf.
    """
    leaves = [torch.tensor(start, dtype=torch.float64, requires_grad=True) for _ in RACE_LRS]
    groups = [{"params": [leaf], "lr": lr} for leaf, lr in zip(leaves, RACE_LRS, strict=True)]
    opt = {
        "gd": lambda: torch.optim.SGD(groups),
        "momentum": lambda: torch.optim.SGD(groups, momentum=0.9),
        "nesterov": lambda: torch.optim.SGD(groups, momentum=0.9, nesterov=True),
        "rmsprop": lambda: torch.optim.RMSprop(groups),
        "adam": lambda: torch.optim.Adam(groups),
    }[optimizer]()
    finish: list[int | None] = [None] * len(RACE_LRS)
    alive = [True] * len(RACE_LRS)
    for k in range(steps + 1):
        losses = torch.stack([problem.loss(leaf) for leaf in leaves])
        for i, (loss, leaf) in enumerate(zip(losses, leaves, strict=True)):
            if not alive[i]:
                continue
            if not torch.isfinite(loss) or leaf.detach().abs().max() > 1e150:
                alive[i] = False
            elif loss < TARGET:
                finish[i], alive[i] = k, False
        if not any(alive):
            break
        opt.zero_grad()
        torch.nan_to_num(losses, nan=0.0, posinf=0.0).sum().backward()
        opt.step()
    return finish


@pytest.mark.parametrize("seed", [0])  # an ill-conditioned race of 200 steps
def test_race_winner_matches_hand_driven_torch_optim_loops_at_every_lr(seed):
    q = make("optimizers", "race", seed)
    problem, start, budget = _surface(q), (q.input("x0"), q.input("y0")), int(q.input("budget"))
    best = {}
    for name in gd.FIRST_ORDER:
        finishes = _torch_optim_finishes(problem, name, start, budget)
        reached = [k for k in finishes if k is not None]
        best[gd.OPTIMIZER_LABELS[name]] = min(reached) if reached else None
    times = {label: k for label, k in best.items() if k is not None}
    assert times, "these seeds are races someone wins"
    assert q.answer.correct == {label for label, k in times.items() if k == min(times.values())}
    assert "own best learning rate" in q.note


@pytest.mark.parametrize("surface", sorted(gen_race.BUDGET))
def test_the_precomputed_race_answers_are_the_live_sweeps(surface):
    """practice/race_table.py (what the question says) against gen_race's sweeps, every start of the surface."""
    assert gen_race.table_key() == race_table.KEY, "settings changed: rerun python -m practice.gen_race"
    for index in range(gen_race.STARTS_PER_SURFACE):
        assert race_table.RACES[(surface, index)] == gen_race.race_answers(surface, index), (surface, index)


def test_the_race_question_runs_its_sweeps_only_at_the_reveal():
    gen_race._race_runs.cache_clear()
    q = make("optimizers", "race", 3)
    assert gen_race._race_runs.cache_info().misses == 0, "opening the question ran the race"
    frame = q.revealed()
    assert gen_race._race_runs.cache_info().misses == 1
    hit = frame[frame["loss"] < TARGET].groupby("option")["step"].min()
    winners = {label for label in hit.index if hit[label] == hit.min()} if len(hit) else {gen_race.NONE}
    assert q.answer.correct == winners  # the table's answer is what the revealed runs show


@pytest.mark.parametrize("seed", SEEDS)
def test_two_momentum_steps_match_the_closed_form(seed):
    q = make("optimizers", "momentum", seed)
    i, lr = int(q.input("coordinate")), q.input("lr")
    curvature = (1.0, 25.0)[i]  # ½(x² + 25y²)
    v0 = (q.input("x0"), q.input("y0"))[i]
    g0 = curvature * v0
    v1 = v0 - lr * g0
    v2 = v1 - lr * (0.9 * g0 + curvature * v1)
    assert q.answer.value == pytest.approx(v2, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_adam_first_step_is_lr_times_the_gradient_sign(seed):
    q = make("optimizers", "adam", seed)
    i, lr = int(q.input("coordinate")), q.input("lr")
    start = torch.tensor([[q.input("x0"), q.input("y0")]], dtype=torch.float64)
    _, grad = _surface(q).value_and_grad(start)
    g = float(grad[0, i])
    assert abs(g) > 1e-3
    assert q.answer.value == pytest.approx(float(start[0, i]) - lr * g / (abs(g) + 1e-8), rel=1e-9, abs=1e-12)


# --- every kind: determinism, answers in every spelling, near misses, charts ---------------------------------------

ALL_KINDS = [(lesson, kind.id) for lesson, kinds in KINDS.items() for kind in kinds]
RACE_SEEDS = (0, 1)  # a race costs a second or two of CPU per new (surface, start): the tests reuse two


def seeds_for(kind: str, seeds) -> list[int]:
    """The seeds to try for a kind: the race's few, or the given ones."""
    return list(RACE_SEEDS) if kind == "race" else list(seeds)


def test_every_lesson_has_at_least_three_kinds():
    assert set(KINDS) == {"one-weight", "fitting-a-line", "minibatches", "learning-rate", "optimizers"}
    assert all(len(kinds) >= 3 for kinds in KINDS.values())


@pytest.mark.parametrize(("lesson", "kind"), ALL_KINDS)
def test_same_seed_same_question_and_seeds_vary(lesson, kind):
    seed = seeds_for(kind, [11])[0]
    first, again = make(lesson, kind, seed), make(lesson, kind, seed)
    assert (first.prompt, first.answer, first.inputs) == (again.prompt, again.answer, again.inputs)
    prompts = {make(lesson, kind, seed).prompt for seed in seeds_for(kind, range(12, 18))}
    assert len(prompts) > 1


def spellings(value: float) -> list[str]:
    """Ways a student may type `value`: ASCII and Unicode minus, scientific, ×10^, decimal comma."""
    text = f"{value:.10g}"
    forms = [text, f" {text} ", text.replace("-", "−"), f"{value:.8e}", f"{value:.8e}".replace("e", "E")]
    mantissa, exponent = f"{value:.8e}".split("e")
    forms += [f"{mantissa}×10^{int(exponent)}", f"{mantissa} * 10^{int(exponent)}"]
    if "." in text and not (len(text.split(".")[1]) == 3 and len(text.split(".")[0].lstrip("-")) <= 3):
        forms.append(text.replace(".", ","))
    return forms


@pytest.mark.parametrize(("lesson", "kind"), ALL_KINDS)
def test_the_answer_in_every_spelling_is_right_and_near_misses_are_wrong(lesson, kind):
    for seed in seeds_for(kind, range(4)):
        q = make(lesson, kind, seed)
        answer = q.answer
        if isinstance(answer, NumberAnswer):
            for text in spellings(answer.value):
                assert q.feedback(text).correct, (text, answer)
            tolerance = answer.tolerance
            if tolerance > 0:
                assert q.feedback(answer.value + 0.5 * tolerance).correct
                assert not q.feedback(str(answer.value + 1.5 * tolerance)).correct
                assert not q.feedback(str(answer.value - 1.5 * tolerance)).correct
            else:
                assert not q.feedback(str(answer.value + 1)).correct
        elif isinstance(answer, ChoiceAnswer):
            right = answer.correct if answer.multiple else frozenset([sorted(answer.correct)[0]])
            assert q.feedback(right).correct
            wrong = frozenset(answer.options) - answer.correct
            if answer.multiple:
                assert not q.feedback(answer.correct ^ {answer.options[0]}).correct
            elif wrong:
                assert not q.feedback(frozenset([sorted(wrong)[0]])).correct
        else:
            assert isinstance(answer, PointAnswer)
            assert q.feedback((f"{answer.w:.10g}", f"{answer.b:.10g}".replace("-", "−"))).correct
            assert q.feedback((answer.w + 0.7 * answer.radius, answer.b)).correct
            assert not q.feedback((answer.w, answer.b + 1.3 * answer.radius)).correct


def test_feedback_substitutes_the_numbers_of_the_worked_step():
    q = make("one-weight", "a1", 108)
    assert q.inputs == (("A0", -2.0), ("lr", 0.03))  # the example
    feedback = q.feedback("-1.1")
    assert not feedback.correct
    assert "you said −1.1; the step is A₁ = A₀ − lr·18(A₀ + 1) = −2 − 0.03 × 18(−2 + 1) = −1.46" in feedback.text


@pytest.mark.parametrize(("lesson", "kind"), ALL_KINDS)
def test_reveal_and_ask_charts_are_strict_json(lesson, kind):
    q = make(lesson, kind, seeds_for(kind, [3])[0])
    ask = charts.ask_chart(q)
    if ask is not None:
        json.dumps(ask.to_dict(), allow_nan=False)
    for prediction in _predictions(q):
        json.dumps(charts.reveal_chart(q, q.feedback(prediction).prediction).to_dict(), allow_nan=False)


def _predictions(q):
    answer = q.answer
    if isinstance(answer, NumberAnswer):
        return [answer.value, -1e300, 1e300, 0.0]  # far off answers are drawn at the chart's edge
    if isinstance(answer, ChoiceAnswer):
        return [frozenset(sorted(answer.correct)[:1])]
    return [(answer.w, answer.b), (1e6, -1e6)]


def test_ask_charts_do_not_carry_the_answer():
    q = make("minibatches", "which-path", 2)
    assert set(q.ask.columns) == {"option", "step", "w", "b", "loss"}  # only "A" and "B", never which is which
    q = make("fitting-a-line", "click20", 2)
    shown = json.dumps(charts.ask_chart(q).to_dict())
    assert f"{q.answer.w}" not in shown and "descent" not in shown


# --- typed answers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-1.46", -1.46), ("−1.46", -1.46), ("1/18", 1 / 18), ("1 / 18", 1 / 18), ("-1/9", -1 / 9), ("1e-6", 1e-6),
        ("1.5e−3", 1.5e-3), ("1.5E+3", 1500.0), (" 0,5", 0.5), ("-0,25", -0.25), (".5", 0.5), ("5.", 5.0),
        ("10^-6", 1e-6), ("10⁻⁶", 1e-6), ("1.5×10^-3", 1.5e-3), ("1.5·10⁻³", 1.5e-3), ("1.5*10**-3", 1.5e-3),
        ("+3", 3.0), ("３", 3.0), ("1e-6/2", 5e-7), ("1÷4", 0.25), ("100", 100.0),
    ],
)  # fmt: skip
def test_accepted_spellings_parse_to_their_value(text, value):
    assert parse_number(text).value == pytest.approx(value, rel=1e-15)


HOSTILE = [
    "", "   ", "<b>1</b>", "<script>alert(1)</script>", "**1**", "[1](http://x)", "__import__('os').system('x')",
    "1\x00", "\x00", "1" * 10_000, "9" * (MAX_LENGTH + 1), "1e999", "-1e999", "nan", "inf", "1/0", "0/0", "2**3",
    "1+1", "0x10", "1_000", "1,000", "1 000", "\u202e1", "1\u200b", "$1$", "a", "1.2.3", "--1", "1e", "e5",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_or_malformed_text_is_refused_with_a_message(text):
    with pytest.raises(AnswerError) as refused:
        parse_number(text)
    assert len(str(refused.value)) > 10
    q = make("one-weight", "a1", 0)
    with pytest.raises(AnswerError):
        q.feedback(text)


def test_a_single_choice_without_a_pick_or_with_an_unknown_option_is_refused():
    q = make("minibatches", "which-path", 0)
    for given in (frozenset(), frozenset(["C"]), frozenset(["<b>A</b>"])):
        with pytest.raises(AnswerError):
            q.feedback(given)


# --- variant links and score --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lesson", "kind"), ALL_KINDS)
def test_variant_ids_round_trip(lesson, kind):
    seed = seeds_for(kind, [1234])[-1]
    assert parse_variant(variant_id(lesson, kind, seed)) == (lesson, kind, seed)
    assert make(lesson, kind, seed).id == variant_id(lesson, kind, seed)


@pytest.mark.parametrize(
    "text",
    ["", "one-weight", "one-weight.a1", "one-weight.a1-", "one-weight.zz-1", "nope.a1-1", "one-weight.a1--1",
     f"one-weight.a1-{MAX_SEED + 1}", "one-weight.a1-1 ", "<b>one-weight.a1-1</b>", "x" * 10_000,
     "one-weight.a1-1\x00", "optimizers.a1-1"],
)  # fmt: skip
def test_bad_variant_ids_are_refused(text):
    assert parse_variant(text) is None


def test_seed_out_of_range_is_refused():
    for seed in (-1, MAX_SEED + 1, True, 1.5):
        with pytest.raises(ValueError):
            make("one-weight", "a1", seed)


def test_score_counts_right_answers_and_the_streak():
    marks = [True, False, True, True, True]
    results = [Result(f"one-weight.a1-{i}", ok) for i, ok in enumerate(marks)]
    assert score(results).text == "4 of 5, streak 3"
    assert score(results).best == 3
    assert score([]).text == "no answers yet"
    assert record(results, Result("one-weight.a1-0", True)) == tuple(results)  # a variant counts once


def test_practice_imports_no_streamlit_and_altair_only_in_charts():
    for path in (ROOT / "practice").glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
        assert "streamlit" not in imported, path
        assert "altair" not in imported or path.name == "charts.py", path
        assert "ui" not in imported, path


def test_a_click_on_the_ask_chart_is_read_back_as_numbers_and_junk_is_ignored():
    assert charts.picked({"selection": {charts.PICK: [{"w": 1.5, "b": -2}]}}) == {"w": 1.5, "b": -2.0}
    assert charts.picked({"selection": {charts.PICK: [{"lr": "0.25"}]}}) == {"lr": 0.25}
    pick = charts.PICK
    junk = [None, {}, {"selection": {}}, {"selection": {pick: []}}, {"selection": {pick: [{"w": "x"}]}}]
    junk += [{"selection": {pick: [{"w": float("nan")}]}}, {"selection": {pick: [{"other": 1}]}}]
    for state in junk:
        assert charts.picked(state) is None
