"""A typed loss as torch source code, for the exported script: built from the parsed syntax tree, never pasted.

The text is first accepted by gd_core's whitelist parser (gd.ScalarProblem.from_expression raises otherwise);
then its Python syntax tree is walked again here and every node is re-emitted from our own table (numbers as
float literals, the variable, pi and e, + − * / **, and the whitelisted functions as torch calls). Anything
else raises, so no character of the visitor's text reaches the script except through this table.
"""

from __future__ import annotations

import ast
import math

import gd_core as gd

TORCH_FUNCTIONS = {
    "sin": "torch.sin", "cos": "torch.cos", "tan": "torch.tan", "exp": "torch.exp", "log": "torch.log",
    "sqrt": "torch.sqrt", "abs": "torch.abs", "tanh": "torch.tanh", "sinh": "torch.sinh", "cosh": "torch.cosh",
    "arctan": "torch.atan", "atan": "torch.atan", "sigmoid": "torch.sigmoid", "log1p": "torch.log1p",
    "expm1": "torch.expm1", "relu": "torch.relu", "softplus": "torch.nn.functional.softplus",
}  # fmt: skip
_CONSTANTS = {"pi": math.pi, "e": math.e}
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def torch_source(text: str, var: str = "a") -> str:
    """Python source computing the loss `text` with torch ops on the tensor named `var` (fully parenthesised)."""
    gd.ScalarProblem.from_expression(text, var=var)  # the whitelist check: raises gd.ExpressionError
    body = ast.parse(text.strip().replace("^", "**"), mode="eval").body
    source, kind = _emit(body, var)
    if kind != _VAR:  # a constant loss: give it the variable's gradient of zero, as gd_core does
        return f"{_tensor(source, kind)} + 0.0 * {var}"
    return source[1:-1] if isinstance(body, ast.BinOp) else source  # no brackets around the whole expression


_LITERAL, _CONSTANT, _VAR = "literal", "constant tensor", "uses the variable"


def _tensor(source: str, kind: str) -> str:
    """A float literal as a tensor (gd_core computes constant parts with tensors too); anything else as is."""
    return f"torch.tensor({source})" if kind == _LITERAL else source


def _emit(node: ast.expr, var: str) -> tuple[str, str]:
    """(source, kind) for one node of an already whitelisted tree."""
    match node:
        case ast.Constant(value=bool()):
            pass
        case ast.Constant(value=int() | float() as value):
            return repr(float(value)), _LITERAL
        case ast.Name(id=name) if name == var:
            return var, _VAR
        case ast.Name(id=name) if name in _CONSTANTS:
            return repr(_CONSTANTS[name]), _LITERAL
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _emit(operand, var)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            inner, kind = _emit(operand, var)
            return f"(-{inner})", kind
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPERATORS:
            (lhs, left_kind), (rhs, right_kind) = _emit(left, var), _emit(right, var)
            kind = _VAR if _VAR in (left_kind, right_kind) else _CONSTANT
            if kind == _CONSTANT:
                lhs = _tensor(lhs, left_kind)
            return f"({lhs} {_OPERATORS[type(op)]} {rhs})", kind
        case ast.Call(func=ast.Name(id=name), args=[arg], keywords=[]) if name in TORCH_FUNCTIONS:
            inner, kind = _emit(arg, var)
            return f"{TORCH_FUNCTIONS[name]}({_tensor(inner, kind)})", _CONSTANT if kind != _VAR else _VAR
    raise ValueError(f"not a whitelisted expression node: {type(node).__name__}")
