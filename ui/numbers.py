"""Numbers as the lessons show them: the one learning-rate ladder, lr labels, and numbers in LaTeX.

No streamlit here: charts and widgets both use these, so a learning rate reads the same everywhere.
"""

from __future__ import annotations

import math
from fractions import Fraction

# Stops per decade of the learning-rate ladder: log-spaced, and fine enough for the tutorial's 0.12 ("just above
# 1/9") and for defaults such as 0.07 (just below plain descent's 2/25 on the ravine).
LADDER_STOPS = (1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 7.0)


def lr_ladder(low: float, high: float, named: tuple[float, ...] = ()) -> tuple[float, ...]:
    """The learning rates from `low` to `high` (powers of ten) on the ladder, plus `named` thresholds (1/18, 1/9)."""
    first, last = round(math.log10(low)), round(math.log10(high))
    stops = [float(f"{m * 10.0**e:.4g}") for e in range(first, last) for m in LADDER_STOPS]
    return tuple(sorted({*stops, float(10.0**last), *named}))


def lr_label(lr: float) -> str:
    """A short exact name for a learning rate: '0.01', or '1/18 ≈ 0.0556' for a unit fraction, else 4 digits."""
    short = f"{lr:.4g}"
    if float(short) == lr:
        return short
    fraction = Fraction(lr).limit_denominator(1000)
    if fraction.numerator == 1 and math.isclose(float(fraction), lr, rel_tol=1e-12):
        return f"1/{fraction.denominator} ≈ {lr:.3g}"
    return short


def tex_number(value: float, *, bracket: bool = False) -> str:
    """%.6g as LaTeX (1.2 \\times 10^{6}, not 1.2e+06); negatives in brackets when `bracket`."""
    mantissa, _, exponent = f"{value:.6g}".partition("e")
    text = mantissa + (rf" \times 10^{{{int(exponent)}}}" if exponent else "")
    return rf"\left({text}\right)" if bracket and value < 0 else text


def minus(text: str) -> str:
    """Typographic minus signs (−) for hyphen-minus in a number shown to people."""
    return text.replace("-", "−")


def shown_number(value: float, digits: int = 6) -> str:
    """A number as the room reads it: `digits` significant digits (%g), a short exponent (8.1e−5, not 8.1e-05) and
    typographic minus signs. The one formatter of numbers shown in text, tables and chart labels; data files (CSV)
    keep Python's ASCII spelling."""
    mantissa, _, exponent = format(float(value), f".{digits}g").partition("e")
    return minus(mantissa + (f"e{int(exponent)}" if exponent else ""))


def shown_table(frame, digits: dict[str, int]):
    """A table for st.dataframe / st.table whose `digits` columns read as shown_number(value, digits), with "−".

    A pandas Styler, not string columns: the cells stay numbers, so the table still sorts by value (Streamlit shows
    a Styler's display values). Missing values stay empty; other columns are left as they are.
    """

    def cell(places: int):
        return lambda value: "" if value is None or value != value else shown_number(value, places)

    return frame.style.format({column: cell(places) for column, places in digits.items() if column in frame})
