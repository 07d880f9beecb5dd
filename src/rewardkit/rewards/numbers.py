"""Reading one number out of an answer string, the way people and models write them.

Accepted: a sign (also the Unicode minus), a leading currency symbol (``$``, ``\\$``, €, £, ¥, ₹),
thousands separators in groups of three (``1,234``), decimals, exponents (``1e-3``), fractions
(``3/4``, ``\\frac{3}{4}``), a percent sign (``50%``, ``50\\%``, ``50 percent``) and a units suffix
without digits (``12 cm``, ``5\\text{ kg}``). Anything else (``3 + 4``, ``1,23``, ``3\\pi``) is
unparseable and gives None. A single-letter suffix is read as a unit too (``3x`` reads as 3): use
``math_equivalent`` for expressions.

``read_number`` gives the exact value as a ``Fraction``: integers beyond float precision
(2049425731 and 2049425730, or 20-digit ones) and decimals (0.1) stay exact, so comparing two
numbers is never blurred by floating point. ``parse_number`` is the same reading as a float.

>>> read_number("12,345,678,901,234,567,891")
Fraction(12345678901234567891, 1)
>>> parse_number("$1,234.50")
1234.5
>>> parse_number("50%"), parse_number("50%", percent="number")
(0.5, 50.0)
>>> parse_number("3/4 cup")
0.75
>>> parse_number("3 + 4") is None
True
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Literal

PercentMode = Literal["fraction", "number"]

_FRAC = re.compile(r"\\[dt]?frac\{\s*([^{}]*?)\s*\}\{\s*([^{}]*?)\s*\}")
# Each whitespace run is tied to a required character after it, so a long run of spaces cannot
# make the pattern backtrack quadratically.
_NUMBER = re.compile(
    r"""
    (?:(?P<sign>[-+\u2212])\s*)?
    (?:\\?[$€£¥₹]\s*)?
    (?:(?P<sign2>[-+\u2212])\s*)?
    (?P<body>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
    (?:\s*/\s*(?P<den>\d+(?:\.\d+)?))?
    (?:\s*(?P<pct>\\?%))?
    (?P<unit>\s*(?:°|\\text\{|\\mathrm\{|\\mbox\{|[^\W\d_])[^\d]*)?
    """,
    re.VERBOSE,
)
_PERCENT_WORDS = ("percent", "per cent", "\\text{percent}", "\\text{ percent}")
# Exponents beyond this are not read: 1e999999999 as an exact integer would exhaust memory.
_MAX_EXPONENT = 1000
_EXPONENT = re.compile(r"[eE]([-+]?\d+)$")


def read_number(text: str, percent: PercentMode = "fraction") -> Fraction | None:
    """The exact number written in ``text``, or None when it is not one number.

    ``percent="fraction"`` reads ``50%`` as 1/2; ``"number"`` reads it as 50.

    >>> read_number("-\\\\frac{1}{4}"), read_number("0.1")
    (Fraction(-1, 4), Fraction(1, 10))
    """
    text = _FRAC.sub(r"\1/\2", text.strip())
    if len(text) > 2 and text[0] == text[-1] == "$":
        text = text[1:-1].strip()  # inline LaTeX math: $5$
    found = _NUMBER.fullmatch(text)
    if found is None or (found["sign"] and found["sign2"]):
        return None
    body = found["body"].replace(",", "")
    exponent = _EXPONENT.search(body)
    digits = exponent.group(1).lstrip("+-").lstrip("0") if exponent else ""
    if len(digits) > 4 or int(digits or 0) > _MAX_EXPONENT:
        return None
    try:
        value = Fraction(body)
        if found["den"] is not None:
            value /= Fraction(found["den"])
    except (ValueError, ZeroDivisionError):  # a zero denominator; digits past int's str limit
        return None
    if (found["sign"] or found["sign2"] or "+") in "-\u2212":
        value = -value
    unit = (found["unit"] or "").strip().rstrip(".,;!").lower()
    is_percent = found["pct"] is not None or unit in _PERCENT_WORDS
    if is_percent and percent == "fraction":
        value /= 100
    return value


def parse_number(text: str, percent: PercentMode = "fraction") -> float | None:
    """``read_number`` as a float (None when ``text`` is not one number, or is beyond floats).

    >>> parse_number("-\\\\frac{1}{4}")
    -0.25
    """
    value = read_number(text, percent)
    try:
        return None if value is None else float(value)
    except OverflowError:
        return None
