"""The safe loss parser: values and autograd derivatives against closed forms, hostile text refused, fuzzing."""

import ast
import math
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gd_core.expr as expr_module
from gd_core.expr import FUNCTIONS, MAX_LENGTH, Expression, ExpressionError, parse_expression

GRID = torch.linspace(-3, 3, 61, dtype=torch.float64)
AWAY_FROM_1 = GRID[(GRID - 1).abs() > 0.01]
FUZZ = settings(max_examples=200, deadline=500, database=None, suppress_health_check=[HealthCheck.too_slow])


def value_and_grad(expression: Expression, a: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The expression and its autograd derivative at each element of `a`, as numpy arrays."""
    leaf = a.detach().clone().requires_grad_(True)
    value = expression(leaf)
    (grad,) = torch.autograd.grad(value.sum(), leaf)
    return value.detach().numpy(), grad.numpy()


def test_seed_loss_equals_closed_form_and_its_derivative_is_18_a_plus_1():
    seed = parse_expression("(3+3*a)**2")
    value, grad = value_and_grad(seed, GRID)
    a = GRID.numpy()
    np.testing.assert_allclose(value, (3 + 3 * a) ** 2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, 18 * (a + 1), rtol=1e-12, atol=1e-12)
    assert (seed.text, seed.var) == ("(3+3*a)**2", "a")


CLOSED_FORMS = [
    ("sin(a) + a**2/10", lambda a: np.sin(a) + a**2 / 10, lambda a: np.cos(a) + a / 5, GRID),
    ("exp(-a**2)", lambda a: np.exp(-(a**2)), lambda a: -2 * a * np.exp(-(a**2)), GRID),
    ("log(1 + a**2)", lambda a: np.log(1 + a**2), lambda a: 2 * a / (1 + a**2), GRID),
    ("sqrt(a**2 + 1)", lambda a: np.sqrt(a**2 + 1), lambda a: a / np.sqrt(a**2 + 1), GRID),
    ("abs(a - 1)", lambda a: np.abs(a - 1), lambda a: np.sign(a - 1), AWAY_FROM_1),
    ("tanh(a)*pi", lambda a: np.tanh(a) * np.pi, lambda a: np.pi * (1 - np.tanh(a) ** 2), GRID),
    ("a^2", lambda a: a**2, lambda a: 2 * a, GRID),
    ("a ^ 3 - 2^a", lambda a: a**3 - 2**a, lambda a: 3 * a**2 - np.log(2) * 2**a, GRID),
    ("-a", lambda a: -a, lambda a: -np.ones_like(a), GRID),
    ("+a", lambda a: a, lambda a: np.ones_like(a), GRID),
    ("e**a", lambda a: np.exp(a), lambda a: np.exp(a), GRID),
    ("3", lambda a: np.full_like(a, 3.0), lambda a: np.zeros_like(a), GRID),
    ("-a**2", lambda a: -(a**2), lambda a: -2 * a, GRID),
    ("2*a/(1 + a^2)", lambda a: 2 * a / (1 + a**2), lambda a: 2 * (1 - a**2) / (1 + a**2) ** 2, GRID),
    ("sigmoid(a)", lambda a: 1 / (1 + np.exp(-a)), lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2, GRID),
    ("arctan(a) + atan(a)", lambda a: 2 * np.arctan(a), lambda a: 2 / (1 + a**2), GRID),
    ("log1p(a**2) + expm1(a)", lambda a: np.log1p(a**2) + np.expm1(a), lambda a: 2 * a / (1 + a**2) + np.exp(a), GRID),
    ("cosh(a) - sinh(a)", lambda a: np.exp(-a), lambda a: -np.exp(-a), GRID),
    ("cos(a)*tan(a)", lambda a: np.sin(a), lambda a: np.cos(a), AWAY_FROM_1[1:-1]),
    ("relu(a - 1) + softplus(a)", lambda a: np.maximum(a - 1, 0) + np.log1p(np.exp(a)),
     lambda a: (a > 1) + 1 / (1 + np.exp(-a)), AWAY_FROM_1),
]  # fmt: skip


@pytest.mark.parametrize(("text", "f", "df", "grid"), CLOSED_FORMS, ids=[case[0] for case in CLOSED_FORMS])
def test_expression_and_its_autograd_derivative_match_the_closed_forms(text, f, df, grid):
    value, grad = value_and_grad(parse_expression(text), grid)
    a = grid.numpy()
    np.testing.assert_allclose(value, f(a), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, df(a), rtol=1e-10, atol=1e-12)


def test_caret_is_the_same_power_as_double_star():
    for caret, stars in [("a^2", "a**2"), ("a^2^3", "a**2**3"), ("(1+a)^-1", "(1+a)**-1")]:
        assert parse_expression(caret).latex == parse_expression(stars).latex
        torch.testing.assert_close(parse_expression(caret)(GRID), parse_expression(stars)(GRID))


@pytest.mark.parametrize("text", ["sin(a)*a**2 + 3", "3", "pi"])
def test_batched_input_keeps_its_shape(text):
    a = torch.randn(5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    out = parse_expression(text)(a)
    assert out.shape == (5, 7)
    if text.startswith("sin"):
        torch.testing.assert_close(out, torch.sin(a) * a**2 + 3)


@pytest.mark.parametrize("text", ["sin(a)*a**2 + 3", "3", "1e300 * a", "a**0.5"])
def test_float32_input_gives_float32_output(text):
    a = torch.linspace(0.5, 2, 4, dtype=torch.float32)
    out = parse_expression(text)(a)
    assert out.dtype == torch.float32
    assert out.shape == a.shape


def test_output_lives_on_the_input_device_and_dtype(device):
    dtype = torch.float32 if device == "mps" else torch.float64
    a = torch.linspace(-1, 1, 11, dtype=dtype, device=device).requires_grad_(True)
    for text in ["(3+3*a)**2", "pi + e", "exp(-a^2) * 2"]:
        out = parse_expression(text)(a)
        assert (out.device.type, out.dtype, out.shape) == (a.device.type, dtype, a.shape)
        (grad,) = torch.autograd.grad(out.sum(), a)
        assert grad.device.type == a.device.type


def test_constant_loss_has_zero_gradient_even_at_infinity():
    a = torch.tensor([-math.inf, -1.0, 0.0, 2.0, math.inf], dtype=torch.float64, requires_grad=True)
    out = parse_expression("3")(a)
    (grad,) = torch.autograd.grad(out.sum(), a)
    assert out.tolist() == [3.0] * 5
    assert grad.tolist() == [0.0] * 5


def test_integer_input_is_a_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        parse_expression("a + 1")(torch.arange(3))


def test_other_variable_names_work_and_are_named_in_errors():
    assert parse_expression("w**2 + 1", var="w")(torch.tensor([2.0])).item() == 5.0
    with pytest.raises(ExpressionError, match=r"'a'.*the variable is 'w'"):
        parse_expression("a + w", var="w")


@pytest.mark.parametrize("var", ["e", "pi", "sin", "atan", "1a", "a b", "lambda", "", "a.b", "α", "a-b"])
def test_bad_variable_names_are_refused(var):
    with pytest.raises(ExpressionError, match="variable name"):
        parse_expression("1", var=var)


HOSTILE = [
    "__import__('os')", "a.__class__", "().__class__.__bases__", "[a for a in ()]", "lambda: 1",
    "(b := 1)", 'f"{a}"', "'a'", 'b"a"', "a[0]", "open('x')", "exec('1')", "eval('1')", "sin(a, a)",
    "sin(x=a)", "sin()", "sin(*a)", "sin(**a)", "(sin)(a)", "(a+1)(a)", "a.real(a)", "a if a else a",
    "a < 1", "a is a", "a and a", "a or a", "a // 2", "a % 2", "a @ a", "~a", "a | 1", "a & 1", "a << 1",
    "not a", "1j", "True", "None", "...", "x", "A", "sin", "a ** 99999999", "9**9**9", "9**9**9**9",
    "a ^ -1001", "2 ** (2 ** 10)", "a ** log(0)", "(" * 5000, "(" * 50 + "a" + ")" * 50, "-" * 60 + "a",
    "a+" * 100000 + "a", "a+" * 150 + "a", "", "   ", "a +", ")(", "(a", "a a", "a ^^ 2", "1e999",
    "9" * 400, "a; import os", "\x00", "a\nb", "sum(a)", "pi.real", "{a}", "(a, a)", "*a", "print(a)",
    "await a", "(yield a)", "sin(a for a in a)", "a = 1", "# comment", "a２", "ａ", "\\a",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:20]) for t in HOSTILE])
def test_hostile_text_is_refused_quickly_with_a_message(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert time.perf_counter() - start < 0.5
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message
    if 0 < len(text.strip()) <= MAX_LENGTH and "parts" not in message:
        assert "column" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x", "unknown name 'x' at column 1; the variable is 'a'"),
        ("a + sin(a) * A", "unknown name 'A' at column 14"),
        ("a ^ x", "'x' at column 5"),  # the column counts the caret as typed, not the rewritten **
        ("print(a)", "unknown function 'print'"),
        ("sum(a)", "'sum'"),
        ("(a)//(2)", "operator '//' at column 4"),
        ("a % 2", "'%' at column 3"),
        ("a.__class__", "attribute access 'a.__class__' at column 1"),
        ("1j", "complex number"),
        ("sin(a, a)", "exactly one"),
        ("(sin)(a)", "write sin(a)"),
        ("sin + 1", "function 'sin' at column 1 must be called"),
        ("a ** 99999999", "exponent 1e+08 at column 6 is too large"),
        ("1e999", "number '1e999' at column 1 is too large"),
        ("a +", "syntax error at column 4"),
        (")(", "syntax error at column 1"),
        ("(" * 50 + "a" + ")" * 50, "nested more than 40"),
        ("a" * 501, "501 characters"),
        ("  ", "empty"),
    ],
)
def test_messages_say_what_is_wrong_and_where(text, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert fragment in str(info.value)


def test_a_parenthesised_argument_with_a_space_is_still_a_call():
    assert parse_expression("sin (a)").latex == parse_expression("sin(a)").latex == r"\sin\left(a\right)"


def test_seed_latex_is_built_from_the_tree():
    assert parse_expression("(3+3*a)**2").latex == r"\left(3 + 3 a\right)^{2}"
    spaced = parse_expression("   a   +   1  ")
    assert spaced.latex == "a + 1"
    assert spaced.text == "a   +   1"


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("a*sin(a)", r"a \cdot \sin\left(a\right)"),
        ("3*(a+1)", r"3 \left(a + 1\right)"),
        ("-3*a", "-3 a"),
        ("2*3", r"2 \cdot 3"),
        ("a/(a+1)", r"\frac{a}{a + 1}"),
        ("sqrt(a) + abs(a)", r"\sqrt{a} + \left|a\right|"),
        ("pi*a - e", r"\pi \cdot a - e"),
        ("-a**2", "-a^{2}"),
        ("(-a)**2", r"\left(-a\right)^{2}"),
        ("--a", r"-\left(-a\right)"),
        ("a - (a - 1)", r"a - \left(a - 1\right)"),
        ("(a^2)^3", r"\left(a^{2}\right)^{3}"),
        ("sin(a)^2", r"\left(\sin\left(a\right)\right)^{2}"),
        ("atan(a) + sigmoid(a)", r"\arctan\left(a\right) + \operatorname{sigmoid}\left(a\right)"),
        ("2.5e-7 + 0.5", r"2.5 \cdot 10^{-7} + 0.5"),
        ("1_000 * a", "1000 a"),
    ],
)
def test_latex_uses_precedence_based_parentheses(text, latex):
    assert parse_expression(text).latex == latex


def test_parser_source_never_runs_user_text_or_imports_streamlit():
    nodes = list(ast.walk(ast.parse(Path(expr_module.__file__).read_text())))
    called = {node.func.id for node in nodes if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "sympify"}
    imported = {alias.name for node in nodes if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names}
    imported |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in {"streamlit", "sympy"}}


# --- Fuzzing ---------------------------------------------------------------------------------------

SOUP_TOKENS = [
    "a", "b", "x", "A", "pi", "e", "sin", "exp", "log", "sqrt", "abs", "print", "__import__", "__class__",
    "__builtins__", "os", "lambda", "if", "else", "and", "or", "not", "for", "in", "is", "None", "True",
    "import", "0", "1", "2", "9", "1e999", "0.5", "1j", "1000", "+", "-", "*", "/", "**", "^", "//", "%",
    "@", "~", "|", "&", "<", "==", "(", ")", "[", "]", "{", "}", "'", '"', ".", ",", ":", ";", "=", ":=",
    " ", "\\", "\n", "#", "f", "\x00", "é",
]  # fmt: skip
SMALL = torch.linspace(-2, 2, 9, dtype=torch.float64)


def parses_or_refuses(text: str) -> None:
    """Assert that `text` gives a working Expression or an ExpressionError, nothing else."""
    try:
        expression = parse_expression(text)
    except ExpressionError as err:
        assert str(err)
        return
    out = expression(SMALL)
    assert isinstance(out, torch.Tensor)
    assert out.shape == SMALL.shape


@FUZZ
@given(st.lists(st.sampled_from(SOUP_TOKENS), max_size=30), st.sampled_from(["", " "]))
def test_token_soup_parses_or_raises_expression_error(tokens, separator):
    parses_or_refuses(separator.join(tokens))


@FUZZ
@given(st.lists(st.sampled_from([t for t in SOUP_TOKENS if re.fullmatch(r"[A-Za-z0-9_ .+\-*/^(),]+", t)]), max_size=30))
def test_soup_of_allowed_characters_parses_or_raises_expression_error(tokens):
    parses_or_refuses(" ".join(tokens))


@FUZZ
@given(st.text(max_size=80))
def test_arbitrary_text_parses_or_raises_expression_error(text):
    parses_or_refuses(text)


def _bracket_depth(text: str) -> int:
    """How deep the parentheses in `text` nest."""
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    return deepest


LEAVES = st.sampled_from(["a", "pi", "e", "0", "1", "2", "0.5", "3.25", "10", "+a", "1e-3"])
EXPONENTS = st.sampled_from(["2", "3", "0.5", "-1", "a", "(a)", "(2*pi)"])


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """One whitelisted operation applied to smaller valid expressions."""
    return st.one_of(
        st.builds("({}) {} ({})".format, inner, st.sampled_from(["+", "-", "*", "/"]), inner),
        st.builds("({}){}{}".format, inner, st.sampled_from(["**", "^"]), EXPONENTS),
        st.builds("{}({})".format, st.sampled_from(sorted(FUNCTIONS)), inner),
        st.builds("-({})".format, inner),
    )


VALID = st.recursive(LEAVES, _extend, max_leaves=12).filter(lambda s: len(s) <= 300 and _bracket_depth(s) <= 30)


@FUZZ
@given(VALID)
def test_valid_expressions_evaluate_and_differentiate(text):
    expression = parse_expression(text)
    leaf = SMALL.clone().requires_grad_(True)
    out = expression(leaf)  # log(-1) and friends may be nan or inf: only the machinery is under test
    (grad,) = torch.autograd.grad(out.sum(), leaf)
    assert out.shape == grad.shape == SMALL.shape
    assert out.dtype == grad.dtype == torch.float64
    assert expression.latex
    assert re.fullmatch(r"[A-Za-z0-9\\{}()^|+\-., ]+", expression.latex)
