"""Typed answers -> numbers, against a whitelist of spellings (a regular expression; never eval).

Accepted, with optional spaces around the parts and a leading + or − (ASCII '-', '−', '–', '‒', '﹣', '－'):
- decimals: 1.46, .5, 5., 0,5 (a lone decimal comma; but "1,000" is refused as ambiguous);
- scientific: 1e-6, 1.5E+3, 1.5e−3, 1.5×10^-3, 1.5*10^-3, 1.5·10⁻³, 10^-6, 10⁻⁶;
- fractions of two such numbers: 1/18, -1 / 9, 1.5/0.3 (also with ÷).
Refused with a message: empty text, over MAX_LENGTH characters, control characters (NUL …), anything else.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

MAX_LENGTH = 64

_MINUS = dict.fromkeys(map(ord, "−–‒﹣－"), "-")
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_TIMES = "[×x*·⋅]"
_MANTISSA = r"(?:\d+(?:\.\d*)?|\.\d+)"
_POWER_OF_TEN = r"10\s*(?:\^|\*\*)\s*[+-]?\d{1,4}"
_EXPONENT = rf"(?:[eE]\s*[+-]?\d{{1,4}}|\s*{_TIMES}\s*{_POWER_OF_TEN})"
_UNSIGNED = rf"(?:{_POWER_OF_TEN}|{_MANTISSA}{_EXPONENT}?)"
_NUMBER = re.compile(rf"\s*([+-]?)\s*({_UNSIGNED})\s*(?:[/÷]\s*([+-]?)\s*({_UNSIGNED})\s*)?")
_AMBIGUOUS_COMMA = re.compile(r"^\s*[+-]?\d{1,3},\d{3}\s*$")


class AnswerError(ValueError):
    """Text that is not a number in an accepted form; the message says what to type instead."""


@dataclass(frozen=True)
class ParsedNumber:
    """A typed number: its value and the form it was written in ('decimal', 'scientific' or 'fraction')."""

    value: float
    form: str


def _unsigned_value(text: str) -> float:
    """'1.5×10^-3' | '10⁻⁶' | '1e-6' | '0.5' -> float."""
    text = re.sub(r"\s+", "", text)
    power = re.fullmatch(r"(?:(.+?)[×x*·⋅])?10(?:\^|\*\*)?([+-]?\d+)", text)
    if power and (power.group(1) is not None or not re.fullmatch(r"\d+(?:\.\d*)?", text)):
        mantissa = float(power.group(1)) if power.group(1) is not None else 1.0
        return mantissa * 10.0 ** int(power.group(2))
    return float(text)


def parse_number(text: str) -> ParsedNumber:
    """Typed text -> ParsedNumber, or AnswerError with a message (no eval: a whitelist regular expression)."""
    if not isinstance(text, str):
        raise AnswerError("type a number")
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"that is too long for a number (more than {MAX_LENGTH} characters)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in "\t" for c in text):
        raise AnswerError("that text has control or invisible characters; type just the number")
    text = re.sub("[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+", lambda m: "^" + m.group().translate(_SUPERSCRIPT), text)  # 10⁻⁶ = 10^-6
    text = unicodedata.normalize("NFKC", text.translate(_MINUS)).translate(_MINUS).strip()
    text = text.replace("\u00a0", " ")
    if not text:
        raise AnswerError("type a number first, for example -1.46, 1/18 or 1e-6")
    if _AMBIGUOUS_COMMA.match(text):
        raise AnswerError(f"is {text} a decimal comma or a thousands separator? Write it without the comma")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # a decimal comma: 0,5 = 0.5
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise AnswerError("write a number such as -1.46, 0.5, 1/18, 1e-6 or 1.5×10^-3 (no letters or formulas)")
    sign, top, bottom_sign, bottom = match.groups()
    value = _unsigned_value(top) * (-1.0 if sign == "-" else 1.0)
    form = "scientific" if re.search(r"[eE×x*·⋅^]", top) else "decimal"
    if bottom is not None:
        denominator = _unsigned_value(bottom) * (-1.0 if bottom_sign == "-" else 1.0)
        if denominator == 0:
            raise AnswerError("that fraction divides by zero")
        value, form = value / denominator, "fraction"
    if not math.isfinite(value):
        raise AnswerError("that number is too large")
    return ParsedNumber(value, form)
