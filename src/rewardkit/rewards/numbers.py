"""Reading one number out of an answer string, the way people and models write them.

Accepted: a sign (also the Unicode minus), a leading currency symbol (``$``, ``\\$``, €, £, ¥, ₹),
thousands separators in groups of three (``1,234``), decimals, exponents (``1e-3``), fractions
(``3/4``, ``\\frac{3}{4}``), a percent sign (``50%``, ``50\\%``, ``50 percent``) and a units suffix
without digits (``12 cm``, ``5\\text{ kg}``). Anything else (``3 + 4``, ``1,23``, ``3\\pi``) is
unparseable and gives None. A single-letter suffix is read as a unit too (``3x`` reads as 3): use
``math_equivalent`` for expressions.

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

import math
import re
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


def parse_number(text: str, percent: PercentMode = "fraction") -> float | None:
    """The number written in ``text``, or None when it is not one number.

    ``percent="fraction"`` reads ``50%`` as 0.5; ``"number"`` reads it as 50.

    >>> parse_number("-\\\\frac{1}{4}")
    -0.25
    """
    text = _FRAC.sub(r"\1/\2", text.strip())
    if len(text) > 2 and text[0] == text[-1] == "$":
        text = text[1:-1].strip()  # inline LaTeX math: $5$
    found = _NUMBER.fullmatch(text)
    if found is None or (found["sign"] and found["sign2"]):
        return None
    try:
        value = float(found["body"].replace(",", ""))
        if found["den"] is not None:
            value /= float(found["den"])
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if (found["sign"] or found["sign2"] or "+") in "-\u2212":
        value = -value
    unit = (found["unit"] or "").strip().rstrip(".,;!").lower()
    is_percent = found["pct"] is not None or unit in _PERCENT_WORDS
    if is_percent and percent == "fraction":
        value /= 100.0
    return value if not math.isnan(value) else None
