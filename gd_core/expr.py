"""Safe parser that turns a user's loss text such as ``(3+3*a)**2`` into a torch function.

The text is never run: ``ast.parse(..., mode="eval")`` builds a syntax tree, which is checked
against a whitelist and copied into a small tree of our own that evaluates with torch ops
(so autograd differentiates it) and renders itself as LaTeX. Before parsing, the text is
limited to 500 characters of ``A-Z a-z 0-9 _ . + - * / ^ ( ) ,`` and space, and to brackets
nested at most 40 deep. Users may type ``^`` for a power: every ``^`` is rewritten to ``**``
before parsing, and the columns in error messages (1-based) still point into the text as typed.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_NODES = 200
MAX_EXPONENT = 1000.0
MAX_LITERAL = 1e300

FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp,
    "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh,
    "sinh": torch.sinh, "cosh": torch.cosh, "arctan": torch.atan, "atan": torch.atan,
    "sigmoid": torch.sigmoid, "log1p": torch.log1p, "expm1": torch.expm1,
    "relu": torch.relu, "softplus": torch.nn.functional.softplus,
}  # fmt: skip
CONSTANTS = {"pi": (math.pi, r"\pi"), "e": (math.e, "e")}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_TORCH_BINARY = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "**": torch.pow}
_ALLOWED_CHARS = re.compile(r"[A-Za-z0-9_ .+\-*/^(),]")
_LABELS = {
    ast.Call: "call", ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Tuple: "tuple",
    ast.IfExp: "conditional", ast.BoolOp: "boolean operator", ast.UnaryOp: "operator", ast.Compare: "comparison",
}  # fmt: skip
_LATEX_NAMED = {"sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "arctan"}
_ADD, _NEG, _MUL, _POW, _ATOM = range(1, 6)  # LaTeX precedences, loosest first


class ExpressionError(ValueError):
    """A loss expression that cannot be used; the message says what was wrong and where."""


@dataclass(frozen=True)
class _Num:
    """A number or named constant, with its LaTeX."""

    value: float
    latex: str


@dataclass(frozen=True)
class _Var:
    """The variable."""

    name: str


@dataclass(frozen=True)
class _Neg:
    """Unary minus of an operand."""

    operand: _Node


@dataclass(frozen=True)
class _Binary:
    """A binary operation: one of + - * / **."""

    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True)
class _Call:
    """A whitelisted function applied to one argument."""

    name: str
    arg: _Node


_Node = _Num | _Var | _Neg | _Binary | _Call


def _evaluate(node: _Node, a: torch.Tensor) -> torch.Tensor:
    """The value of `node` at `a`, computed with torch ops only."""
    match node:
        case _Num(value=value):
            return torch.as_tensor(value, dtype=a.dtype, device=a.device)
        case _Var():
            return a
        case _Neg(operand=operand):
            return -_evaluate(operand, a)
        case _Binary(op=op, left=left, right=right):
            return _TORCH_BINARY[op](_evaluate(left, a), _evaluate(right, a))
        case _Call(name=name, arg=arg):
            return FUNCTIONS[name](_evaluate(arg, a))
    raise TypeError(f"not an expression node: {node!r}")


def _uses_var(node: _Node) -> bool:
    """Whether the variable occurs anywhere in `node`."""
    match node:
        case _Var():
            return True
        case _Neg(operand=operand) | _Call(arg=operand):
            return _uses_var(operand)
        case _Binary(left=left, right=right):
            return _uses_var(left) or _uses_var(right)
    return False


def _latex(node: _Node) -> tuple[str, int]:
    """LaTeX for `node` and the precedence of its loosest top-level operator."""
    match node:
        case _Num(latex=text):
            return text, _ATOM if re.fullmatch(r"[\d.]+|\\pi|e", text) else _MUL
        case _Var(name=name):
            escaped = name.replace("_", r"\_")
            return (name if len(name) == 1 else rf"\mathit{{{escaped}}}"), _ATOM
        case _Neg(operand=operand):
            return "-" + _wrap(operand, _MUL), _NEG
        case _Binary(op="+" | "-", left=left, right=right):
            return f"{_latex(left)[0]} {node.op} {_wrap(right, _MUL)}", _ADD
        case _Binary(op="*", left=left, right=right):
            lhs, lprec = _latex(left)
            if lprec < _NEG:
                lhs, lprec = rf"\left({lhs}\right)", _ATOM
            rhs = _wrap(right, _MUL)
            juxtapose = re.fullmatch(r"-?[\d.]+", lhs) and not rhs[0].isdigit()
            return lhs + (" " if juxtapose else r" \cdot ") + rhs, min(lprec, _MUL)
        case _Binary(op="/", left=left, right=right):
            return rf"\frac{{{_latex(left)[0]}}}{{{_latex(right)[0]}}}", _MUL
        case _Binary(op="**", left=left, right=right):
            return f"{_wrap(left, _ATOM)}^{{{_latex(right)[0]}}}", _POW
        case _Call(name="sqrt", arg=arg):
            return rf"\sqrt{{{_latex(arg)[0]}}}", _ATOM
        case _Call(name="abs", arg=arg):
            return rf"\left|{_latex(arg)[0]}\right|", _ATOM
        case _Call(name=name, arg=arg):
            name = "arctan" if name == "atan" else name
            head = f"\\{name}" if name in _LATEX_NAMED else rf"\operatorname{{{name}}}"
            return rf"{head}\left({_latex(arg)[0]}\right)", _POW
    raise TypeError(f"not an expression node: {node!r}")


def _wrap(node: _Node, min_prec: int) -> str:
    """LaTeX for `node`, in parentheses when it binds more loosely than `min_prec`."""
    text, prec = _latex(node)
    return text if prec >= min_prec else rf"\left({text}\right)"


def _number_latex(value: int | float) -> str:
    """Compact LaTeX for a literal: repr for ints, %g for floats, powers of ten spelt out."""
    if isinstance(value, int):
        return repr(value)
    mantissa, _, exponent = f"{value:g}".partition("e")
    if not exponent:
        return mantissa
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa} \cdot {power}"


@dataclass(frozen=True)
class Expression:
    """A parsed loss: a function of one tensor variable, with its source text and LaTeX."""

    text: str
    var: str
    latex: str
    _tree: _Node = field(repr=False, compare=False)

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        """The loss at every element of `a`, same shape, dtype and device, differentiable."""
        if not a.is_floating_point():
            raise TypeError(f"expected a floating-point tensor, got {a.dtype}")
        out = _evaluate(self._tree, a)
        if not _uses_var(self._tree):  # a constant: give it a's shape and a zero gradient
            out = out + 0.0 * a.nan_to_num(0.0, 0.0, 0.0)
        return out


class _Builder:
    """Converts a checked Python syntax tree into our own tree, failing with a column."""

    def __init__(self, text: str, source: str, var: str) -> None:
        self.text, self.source, self.var = text, source, var

    def column(self, offset: int) -> int:
        """1-based column in the user's text of a 0-based offset into the rewritten source."""
        pos = 0
        for i, ch in enumerate(self.text):
            pos += 2 if ch == "^" else 1
            if pos > offset:
                return i + 1
        return len(self.text) + 1

    def fail(self, thing: str, node: ast.expr, problem: str, offset: int | None = None) -> ExpressionError:
        """An error naming `thing`, its column (that of `node`, or `offset`) and the `problem`."""
        col = self.column(node.col_offset if offset is None else offset)
        return ExpressionError(f"{thing} at column {col}{problem}")

    def convert(self, node: ast.expr) -> _Node:
        """Our tree for `node`, or an ExpressionError for anything off the whitelist."""
        snippet = (ast.get_source_segment(self.source, node) or "")[:30]
        match node:
            case ast.Constant(value=bool() | None):
                raise self.fail(f"'{snippet}'", node, " is not allowed")
            case ast.Constant(value=int() | float() as value):
                if not abs(value) <= MAX_LITERAL:
                    raise self.fail(f"number '{snippet}'", node, " is too large (limit 1e300)")
                return _Num(float(value), _number_latex(value))
            case ast.Constant(value=value):
                kind = {complex: "complex number", str: "string", bytes: "bytes"}
                raise self.fail(f"{kind.get(type(value), 'constant')} '{snippet}'", node, " is not allowed")
            case ast.Name(id=name):
                if name == self.var:
                    return _Var(name)
                if name in CONSTANTS:
                    return _Num(*CONSTANTS[name])
                if name in FUNCTIONS:
                    raise self.fail(f"function '{name}'", node, f" must be called, like {name}({self.var})")
                raise self.fail(f"unknown name '{name}'", node, f"; the variable is '{self.var}'")
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return self.convert(operand)
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return _Neg(self.convert(operand))
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
                tree = _Binary(_BINARY[type(op)], self.convert(left), self.convert(right))
                if tree.op == "**" and not _uses_var(tree.right):
                    exponent = _evaluate(tree.right, torch.zeros((), dtype=torch.float64)).item()
                    if not abs(exponent) <= MAX_EXPONENT:
                        raise self.fail(f"exponent {exponent:g}", right, " is too large (limit 1000)")
                return tree
            case ast.BinOp(left=left, right=right):
                gap = self.source[left.end_col_offset : right.col_offset]
                start = left.end_col_offset + len(gap) - len(gap.lstrip(" )"))
                raise self.fail(f"operator '{gap.strip(' ()')}'", node, " is not allowed", start)
            case ast.Call(func=ast.Name(id=name) as func, args=args, keywords=keywords):
                if name not in FUNCTIONS:
                    allowed = ", ".join(sorted(FUNCTIONS))
                    raise self.fail(f"unknown function '{name}'", node, f"; allowed: {allowed}")
                if func.col_offset != node.col_offset:
                    raise self.fail(f"call '{snippet}'", node, f" is not allowed; write {name}({self.var})")
                if keywords or len(args) != 1 or isinstance(args[0], ast.Starred):
                    raise self.fail(f"call of '{name}'", node, " must have exactly one plain argument")
                return _Call(name, self.convert(args[0]))
        label = _LABELS.get(type(node), type(node).__name__)
        raise self.fail(f"{label} '{snippet}'", node, " is not allowed")


def _check_var(var: str) -> None:
    """Raise ExpressionError unless `var` can name the variable."""
    if not (var.isascii() and var.isidentifier()) or keyword.iskeyword(var):
        raise ExpressionError(f"variable name {var!r} is not a plain identifier")
    if var in FUNCTIONS or var in CONSTANTS:
        raise ExpressionError(f"variable name {var!r} is taken by a function or constant")


def parse_expression(text: str, var: str = "a") -> Expression:
    """Parse `text` into an Expression in `var`, or raise ExpressionError saying why not."""
    _check_var(var)
    text = text.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text)} characters; the limit is {MAX_LENGTH}")
    depth = 0
    for i, ch in enumerate(text):
        if not _ALLOWED_CHARS.fullmatch(ch):
            raise ExpressionError(f"character {ch!r} at column {i + 1} is not allowed")
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"brackets nested more than {MAX_DEPTH} deep at column {i + 1}")
    source = text.replace("^", "**")
    builder = _Builder(text, source, var)
    try:
        body = ast.parse(source, mode="eval").body
    except SyntaxError as err:
        col = builder.column(err.offset - 1) if err.offset else len(text) + 1  # no offset: at the end
        raise ExpressionError(f"syntax error at column {col}: {err.msg}") from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise ExpressionError(f"the expression cannot be parsed ({type(err).__name__})") from None
    count = sum(isinstance(n, ast.expr) for n in ast.walk(body))
    if count > MAX_NODES:
        raise ExpressionError(f"the expression has {count} parts; the limit is {MAX_NODES}")
    stack = [(body, 1)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            raise builder.fail("an operation", node, f" is nested more than {MAX_DEPTH} levels deep")
        stack += [(c, level + 1) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
    tree = builder.convert(body)
    return Expression(text=text, var=var, latex=_latex(tree)[0], _tree=tree)
