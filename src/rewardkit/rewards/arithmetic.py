"""The ``arithmetic`` step verifier: check the simple equations ``a op b = c`` in a step.

An equation is two numbers (integers or decimals, optionally negative), one of ``+ - * / × ÷``,
``=`` and a number. It is checked exactly (fractions, no float error). A result written with
``d`` decimals counts as right when it is the exact value rounded to ``d`` decimals
(``1 / 3 = 0.33``); an integer result must be exact (``10 / 4 = 2`` is wrong). Equations that
are part of a longer expression (``2 * 3 + 4 = 10``) are not checked at all, since reading only
``3 + 4 = 10`` would call a right step wrong.

>>> check_equations("so 12 + 30 = 42, and 7 * 6 = 41")
(1, 2)
"""

from __future__ import annotations

import re
from fractions import Fraction

_NUM = r"-?\d+(?:\.\d+)?"
_EQUATION = re.compile(rf"(?<![\w.,])({_NUM})[ \t]*([-+*/×÷])[ \t]*({_NUM})[ \t]*=[ \t]*({_NUM})")
# An operator just before ``a`` (after an operand, so a leading "- " bullet does not count) or
# just after ``c`` means the equation is a piece of a longer expression.
_EXPRESSION_BEFORE = re.compile(r"(?:[*/×÷^(]|[\w.)\]][ \t]*[-+])[ \t]*\Z")
_EXPRESSION_AFTER = re.compile(r"[ \t]*[-+*/×÷^(\d]|[A-Za-z_]")


def _result(a: Fraction, op: str, b: Fraction) -> Fraction | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op in "*×":
        return a * b
    return None if b == 0 else a / b


def equation_is_right(a: str, op: str, b: str, c: str) -> bool:
    """Whether ``a op b = c`` holds (a result with decimals may be rounded to its decimals).

    >>> equation_is_right("2", "/", "3", "0.67"), equation_is_right("2", "/", "3", "0.66")
    (True, False)
    """
    exact = _result(Fraction(a), op, Fraction(b))
    if exact is None:
        return False
    decimals = len(c.partition(".")[2])
    if decimals == 0:
        return exact == Fraction(c)
    return abs(exact - Fraction(c)) <= Fraction(1, 2 * 10**decimals)


def check_equations(text: str) -> tuple[int, int]:
    """``(right, total)`` over the equations ``a op b = c`` found in ``text``.

    >>> check_equations("- 3 - 1 = 2 and 2 * 3 + 4 = 10")  # the second is a longer expression
    (1, 1)
    """
    right = total = 0
    for match in _EQUATION.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if _EXPRESSION_BEFORE.search(text, line_start, match.start()):
            continue
        if _EXPRESSION_AFTER.match(text, match.end()):
            continue
        total += 1
        right += equation_is_right(*match.groups())
    return right, total
