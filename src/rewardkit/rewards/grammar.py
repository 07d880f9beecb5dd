"""The answer grammar: when a span of text is one value, and which (docs/answers.md).

Every value-checking component reads answers through this module, so every one of them accepts
and refuses the same forms. ``read_value`` takes an answer *span* (what ``extract`` picked) and
gives its exact value only when the **whole** span is one value:

- wrappers around the whole span: ``\\boxed{}``, ``\\fbox{}``, ``$..$``, ``$$..$$``, ``\\(..\\)``,
  ``\\[..\\]``, ``**..**``, ``\\text{}``, ``\\textbf{}``, ``\\mathbf{}``, ``\\mathrm{}``, a final
  period, and at most one ``x =`` prefix (one variable);
- a sign: ``+``, ``-`` and every Unicode minus or dash that means minus (U+2212, U+2010-U+2013,
  U+FE63, U+FF0D, U+2796; not the em dash); a leading currency symbol (``$``, ``\\$``, €, £, ¥, ₹);
- digits with thousands separators in groups of three (``1,234``, ``1{,}234``, ``1\\,234``, a
  thin space), decimals, scientific notation (``1.5e3``, ``1.5 \\times 10^{3}``, ``1.5 \\cdot
  10^3``, ``1.5 × 10^3``);
- ``a/b``, ``\\frac``, ``\\dfrac``, ``\\tfrac``, ``\\cfrac`` with braced (signed) or one-digit bare
  arguments (``\\frac{-3}{4}``, ``\\frac34``), mixed numbers (``2 1/2``, ``2\\frac{1}{2}``);
- a percent (``%``, ``\\%``, ``percent``);
- a unit or scale word **only** when the component's ``units`` option names it.

Anything else in the span (a word, a second number, an operator, a variable) makes it not one
value: ``84 is wrong``, ``3 million`` (without ``units: {million: 1e6}``), ``\\frac{x}{4}``,
``\\log_2 8``, ``41 \\lor 42`` are all None. ``last_number`` finds the last number in prose under
the same rules for the number itself: it is refused when it is part of an expression (a power,
a subscript, a function's argument, an operand, a fraction's part, glued to a letter).

>>> read_value("\\\\boxed{x = -\\\\frac{3}{4}}"), read_value("\\u20137")
(Fraction(-3, 4), Fraction(-7, 1))
>>> read_value("84 is wrong") is None, read_value("\\\\frac34"), read_value("2 1/2")
(True, Fraction(3, 4), Fraction(5, 2))
>>> read_value("3 million") is None, read_value("3 million", units={"million": 10**6})
(True, Fraction(3000000, 1))
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from fractions import Fraction
from typing import Literal

PercentMode = Literal["fraction", "number"]
Units = Mapping[str, float]

MINUS_SIGNS = "\u2212\u2010\u2011\u2012\u2013\ufe63\uff0d\u2796"
"""Read as a minus sign: the Unicode minus, hyphens, the figure and en dash, small and
fullwidth hyphen-minus, the heavy minus. The em dash (U+2014) is prose punctuation, not a sign."""
_TO_MINUS = str.maketrans(dict.fromkeys(MINUS_SIGNS, "-"))

_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_DEC = rf"(?:{_INT}(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_ARG = rf"(?:\{{\s*[-+]?{_DEC}\s*\}}|\d)"  # a \frac argument: braced (signed) or one bare digit
_CURRENCY = r"(?:\\?\$|€|£|¥|₹)"
_FRAC = rf"\\frac\s*(?P<fa>{_ARG})\s*(?P<fb>{_ARG})"
_VALUE = re.compile(
    rf"""
    (?:(?P<sign>[-+])\s*)?
    (?:{_CURRENCY}\s*)?
    (?:(?P<sign2>[-+])\s*)?
    (?:
        (?P<whole>{_INT})\s+(?P<mn>\d+)\s*/\s*(?P<md>\d+)             # 2 1/2
      | (?P<mwhole>{_INT})\s*\\frac\s*(?P<ma>{_ARG})\s*(?P<mb>{_ARG})  # 2\frac{1}{2}
      | {_FRAC}
      | (?P<num>{_DEC})(?:\s*/\s*(?P<den>{_DEC}))?
    )
    (?:\s*(?P<pct>%|(?i:percent|per\s+cent)))?
    (?:\s*(?P<unit>\S.*?))?
    """,
    re.VERBOSE | re.DOTALL,
)

# Spellings of the same thing, made one before reading (order matters: \dfrac before \frac).
_SPELLINGS = [
    (re.compile(r"\\[dtc]frac"), r"\\frac"),
    (re.compile(r"(?<=\d)(?:\{,\}|\\,|\\ |\u2009|\u202f)(?=\d{3}(?!\d))"), ","),  # 1{,}234
    (re.compile(r"\\%"), "%"),
    (re.compile(r"\\!"), ""),
    (re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\degree\b"), "°"),
    (re.compile(r"\\(?:left|right)\b"), ""),
    (
        re.compile(
            r"(?<=[\d.])\s*(?:\\times|\\cdot|×|·|\*|x)\s*10\s*\^\s*(?:\{\s*([-+]?\d+)\s*\}|([-+]?\d))"
        ),
        r"e\1\2",
    ),
    (re.compile(r"\\[,;: ]|~|\\q?quad\b"), " "),
]
_WRAPPERS = ("\\boxed{", "\\fbox{", "\\text{", "\\textbf{", "\\mathbf{", "\\mathrm{", "\\mbox{")
_PAIRS = (("$$", "$$"), ("\\(", "\\)"), ("\\[", "\\]"), ("**", "**"), ("$", "$"))
_PREFIX = re.compile(r"\s*(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?\s*=\s*(?=\S)")
# Exponents beyond this are not read: 1e999999999 as an exact integer would exhaust memory.
_MAX_EXPONENT = 1000
_EXPONENT = re.compile(r"[eE]([-+]?\d+)$")


def normalise_spelling(text: str) -> str:
    """``text`` with one spelling for each sign, separator, fraction command and power of ten.

    >>> normalise_spelling("\\u22121{,}234 \\\\times 10^{3}")
    '-1,234e3'
    """
    text = text.translate(_TO_MINUS)
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


def _strip_wrapper(span: str) -> str | None:
    """``span`` without one wrapper around the whole of it, or None when it has none."""
    if span.endswith(".") and not span[:-1].rstrip().endswith("."):
        return span[:-1].rstrip()
    for opener in _WRAPPERS:
        if span.startswith(opener) and closing_brace(span, len(opener)) == len(span) - 1:
            return span[len(opener) : -1].strip()
    for left, right in _PAIRS:
        if len(span) > len(left) + len(right) and span.startswith(left) and span.endswith(right):
            inner = span[len(left) : -len(right)]
            if left == "$" and ("$" in inner or inner.rstrip().endswith("\\")):
                continue  # "$5 and $6": two currency amounts; "$5\$": not a pair
            return inner.strip()
    return None


def unwrap(span: str, prefix: bool = True) -> str:
    """The span without its wrappers and (``prefix``) at most one ``x =`` prefix (module doc).

    >>> unwrap(" **\\\\boxed{x = 42}**. ")
    '42'
    """
    span, prefixed = span.strip(), not prefix
    while True:
        inner = _strip_wrapper(span)
        if inner is None and not prefixed:
            found = _PREFIX.match(span)
            if found is not None:
                inner, prefixed = span[found.end() :].strip(), True
        if inner is None:
            return span
        span = inner


def _unit_factor(unit: str, units: Units | None) -> Fraction | None:
    word = unwrap(unit).strip().rstrip(".").strip()
    if units:
        for name, factor in units.items():
            if word.casefold() == name.strip().casefold():
                return Fraction(factor)
    return None


def _exact(text: str) -> Fraction | None:
    """A decimal in scientific notation as an exact Fraction (None past the exponent bound)."""
    body = text.replace(",", "")
    exponent = _EXPONENT.search(body)
    digits = exponent.group(1).lstrip("+-").lstrip("0") if exponent else ""
    if len(digits) > 4 or int(digits or 0) > _MAX_EXPONENT:
        return None
    try:
        return Fraction(body)
    except ValueError:  # digits past int's str limit
        return None


def _arg(text: str) -> Fraction | None:
    inner = text.strip("{} \t\n")
    sign = -1 if inner.startswith("-") else 1
    value = _exact(inner.lstrip("+-").strip())
    return None if value is None else sign * value


def _ratio(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    return None if a is None or b is None or b == 0 else a / b


def _magnitude(found: re.Match[str]) -> Fraction | None:
    if found["whole"] is not None:  # a mixed number's fraction is proper: 2 1/2, not 2 3/2
        whole, num, den = _exact(found["whole"]), int(found["mn"]), int(found["md"])
        return None if whole is None or not 0 < num < den else whole + Fraction(num, den)
    if found["mwhole"] is not None:
        whole, part = _exact(found["mwhole"]), _ratio(_arg(found["ma"]), _arg(found["mb"]))
        if whole is None or part is None or not 0 < part < 1:
            return None
        return whole + part
    if found["fa"] is not None:
        return _ratio(_arg(found["fa"]), _arg(found["fb"]))
    value = _exact(found["num"])
    return value if found["den"] is None else _ratio(value, _exact(found["den"]))


def read_value(
    span: str, percent: PercentMode = "fraction", units: Units | None = None
) -> Fraction | None:
    """The exact value of ``span`` when the whole span is one value, else None (module doc).

    ``percent="fraction"`` reads ``50%`` as 1/2, ``"number"`` as 50; ``units`` maps each unit
    or scale word allowed after the number to its factor (``{"cm": 1, "million": 1e6}``).

    >>> read_value("$1,234.50"), read_value("50%"), read_value("1.5 \\\\times 10^{3}")
    (Fraction(2469, 2), Fraction(1, 2), Fraction(1500, 1))
    >>> read_value("12 cm") is None, read_value("12 cm", units={"cm": 1})
    (True, Fraction(12, 1))
    """
    text = normalise_spelling(unwrap(span))
    found = _VALUE.fullmatch(text.strip())
    if found is None or (found["sign"] and found["sign2"]):
        return None
    value = _magnitude(found)
    if value is None:
        return None
    if (found["sign"] or found["sign2"]) == "-":
        value = -value
    if found["unit"] is not None:
        factor = _unit_factor(found["unit"], units)
        if factor is None or found["pct"] is not None:
            return None
        value *= factor
    if found["pct"] is not None and percent == "fraction":
        value /= 100
    return value


def closing_brace(text: str, start: int) -> int | None:
    """Index of the ``}`` that closes a brace opened just before ``start`` (None: unbalanced).

    >>> closing_brace("\\\\boxed{a{b}c} d", 7)
    12
    """
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


# A number token in prose: the value forms above without wrappers or units.
_TOKEN = re.compile(
    rf"[-+]?(?:{_CURRENCY}[-+]?)?"
    rf"(?:{_INT}[ \t]+\d+[ \t]*/[ \t]*\d+(?![\d.])|{_INT}[ \t]*\\frac\s*{_ARG}\s*{_ARG}"
    rf"|\\frac\s*{_ARG}\s*{_ARG}|{_DEC}(?:[ \t]*/[ \t]*{_DEC})?)(?:[ \t]*%)?"
)
_OPERAND_END = re.compile(r"[\w)\]}]$")
_COMMAND_BEFORE = re.compile(r"\\([A-Za-z]+)\s*(?:[_^]\s*(?:\{[^{}]*\}|\S))?\s*$")
_WRAPPER_BEFORE = re.compile(r"\\(?:boxed|fbox|text|textbf|mathbf|mathrm|mbox)\s*\{$")
_PROSE_COMMANDS = {"quad", "qquad", "approx", "Rightarrow", "implies", "to", "therefore"}
_COMMAND_AFTER = re.compile(r"\s*\\([A-Za-z]+)")
_UNIT_COMMANDS = {"text", "mathrm", "mbox", "textbf", "quad", "qquad"}
_OPERATOR_AFTER = re.compile(r"\s*(?:[+*/×÷·^_=]|-\s*[\d(\\]|-\s*[A-Za-z](?![A-Za-z]))")


def _part_of_expression_before(before: str, token: str) -> bool:
    """Whether what precedes ``token`` makes it part of an expression (module doc)."""
    left = before.rstrip()
    glued = left == before
    if not left:
        return False
    if glued and re.search(r"[\w.,'_^]$", left):
        return True  # x5, 1.2.3, 1,23, 2^10, x_1
    if left[-1] in "^_*/×÷·+-" and not (
        left.endswith("**") and not left[:-2].endswith(tuple("0123456789)"))
    ):
        return True  # an operand or an exponent; "**42**" is markdown bold
    if token[0] in "+-" and re.search(r"[\d)\]}]$", left):
        return True  # 3 -5: a subtraction, not a negative answer
    if left.endswith("{"):
        return _WRAPPER_BEFORE.search(left) is None  # \frac{x}{4}, \sqrt{2}
    if left.endswith("(") and re.search(r"[A-Za-z]\($", left):
        return True  # f(5), \log(8)
    command = _COMMAND_BEFORE.search(left)
    return command is not None and command.group(1) not in _PROSE_COMMANDS  # \log_2 8, \times 3


def _part_of_expression_after(after: str) -> bool:
    """Whether what follows a number token makes it part of an expression (module doc)."""
    if re.match(r"[\w(\[]|[.,]\d|/", after):
        return True  # 3x, 5th, f(x), 1.2.3, 1,23, 3/x
    command = _COMMAND_AFTER.match(after)
    if command is not None:
        return command.group(1) not in _UNIT_COMMANDS  # 5\pi, 3 \times 4
    return _OPERATOR_AFTER.match(after) is not None and not after.lstrip().startswith("**")


def last_number(text: str) -> str | None:
    """The last number token of ``text`` (spellings made one), or None when that number is
    part of an expression: a power, a subscript, a function's argument, an operand, a
    fraction's part, glued to a letter (module doc).

    >>> last_number("so x = \\\\frac34, i.e. \\u22120.75 in all.")
    '-0.75'
    >>> last_number("it is \\\\log_2 8") is None, last_number("it is \\\\frac{x}{4}") is None
    (True, True)
    """
    text = normalise_spelling(text)
    last = next(iter(deque(_TOKEN.finditer(text), maxlen=1)), None)
    if last is None:
        return None
    token = last.group(0)
    if _part_of_expression_before(text[: last.start()], token):
        return None
    if _part_of_expression_after(text[last.end() :]):
        return None
    return token.strip().rstrip(".")  # a sentence's period


def as_written(x: float) -> Fraction:
    """A number of a config or a JSON text as the decimal it was written as: 0.1 is 1/10, not
    the binary float a hair above it (``repr`` is the shortest decimal that reads back as x).

    >>> as_written(0.1), as_written(3)
    (Fraction(1, 10), Fraction(3, 1))
    """
    if isinstance(x, int):  # exact already; repr of a 5000-digit int would raise
        return Fraction(x)
    return Fraction(repr(x))


def within_tolerance(answer: Fraction, reference: Fraction, rel_tol: float, abs_tol: float) -> bool:
    """``|answer - reference| <= rel_tol * |reference| + abs_tol``, exactly, in every component:
    relative to the reference, not to the larger value (``math.isclose`` lets rel_tol 0.5 pay 200
    for 100), and met exactly at its edge.

    >>> [within_tolerance(Fraction(x), Fraction(100), 0.1, 0) for x in (90, 110, 111)]
    [True, True, False]
    """
    bound = as_written(rel_tol) * abs(reference) + as_written(abs_tol)
    return abs(answer - reference) <= bound
