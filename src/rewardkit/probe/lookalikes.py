"""Wrong answers that look right to a loose answer reader: the built-in lookalike mutations.

A reader that finds a number somewhere and forgives the words around it takes each of these for
the right answer, though none of them is one (the prompt's expression restates the question; its
value may be the answer's, but nothing was computed):

- ``hedge_words``: the right answer hedged with a wrong one in words (``84 or maybe 85``);
- ``disown``: the right answer disowned (``84 is wrong``);
- ``prompt_expression``: the prompt's own expression, not computed (``12*7`` for "What is 12*7?");
- ``box_hedge``: a logical hedge in the answer's place (``\\boxed{85 \\lor 84}``);
- ``fraction_parts``: a fraction of which the answer is a part (``\\frac{1}{84}``, ``\\frac84``).

Where a class has several forms, each sample gets one, the same on every run (chosen by the
CRC-32 of its id), so a probe over a few samples tries several forms in one table row.

>>> from rewardkit.probe.answer import locate_answer
>>> from rewardkit.types import Sample
>>> answer = locate_answer(Sample("m0", "g", "What is 12*7?", "<answer>84</answer>", "84"))
>>> disown(answer), prompt_expression(answer)
('<answer>84? No.</answer>', '<answer>12*7</answer>')
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from rewardkit.probe.answer import Answer
from rewardkit.probe.mutations import mutation

HEDGES = ("{a} or maybe {w}", "either {w} or {a}", "{a} and {w}", "{w}, or perhaps {a}")
"""Word hedges of the right answer ``a`` with a wrong one ``w``: two end on the right one (a
last-value reader pays them), two start with it (a first-value reader pays them)."""
DISOWNINGS = ("{a} is wrong", "not {a}", "{a}? No.")
LOGICAL_OPS = ("\\lor", "\\cup", "\\land")

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_FRAC = r"\\[dt]?frac(?:\{[^{}]+\}\{[^{}]+\}|\d\d)"
_TERM = rf"(?:\(\s*)*-?(?:{_FRAC}|{_NUM})(?:\s*\))*"
_OP = r"\s*(?:[-+*/^×÷·]|\\times|\\div|\\cdot)\s*"
_EXPRESSION = re.compile(rf"(?<![\w.^])(?:{_TERM}(?:{_OP}{_TERM})+|{_FRAC})(?!\w|\.\d)")
_RATIONAL = re.compile(
    r"(?P<sign>-?)(?:(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?:\s*/\s*(?P<den>\d+))?"
    r"|\\[dt]?frac\{\s*(?P<fnum>\d+)\s*\}\{\s*(?P<fden>\d+)\s*\})"
)


@mutation("hedge_words")
def hedge_words(answer: Answer) -> str:
    """The answer hedged in words with a wrong one: "84 or maybe 85", "either 85 or 84"..."""
    form = _per_sample(answer, HEDGES)
    return answer.with_answer(form.format(a=answer.text, w=answer.wrong))


@mutation("disown")
def disown(answer: Answer) -> str:
    """The answer disowned in its place: "84 is wrong", "not 84", "84? No."."""
    return answer.with_answer(_per_sample(answer, DISOWNINGS).format(a=answer.text))


@mutation("prompt_expression")
def prompt_expression(answer: Answer) -> str | None:
    """The prompt's expression as the answer, not computed: "12*7" for "What is 12*7?"."""
    expression = math_expression(answer.sample.prompt)
    if expression is None or _squeezed(expression) == _squeezed(answer.text):
        return None
    return answer.with_answer(expression)


@mutation("box_hedge")
def box_hedge(answer: Answer) -> str:
    """A logical hedge, the right answer last, in its place: "\\boxed{85 \\lor 84}" (\\cup, \\land)."""
    hedge = f"{answer.wrong} {_per_sample(answer, LOGICAL_OPS)} {answer.text}"
    return answer.with_answer(hedge if answer.wrapped else f"\\boxed{{{hedge}}}")


@mutation("fraction_parts")
def fraction_parts(answer: Answer) -> str | None:
    """A fraction with the answer as a part: "\\frac{1}{84}", "\\frac{x}{84}", "\\frac84" (8/4)."""
    forms = fraction_forms(answer.text)
    return answer.with_answer(_per_sample(answer, forms)) if forms else None


def math_expression(prompt: str) -> str | None:
    """The longest run of numbers joined by operators in ``prompt``, or a lone ``\\frac``.

    >>> [math_expression(p) for p in ["What is 84 / 12?", "What is 1/4 as a decimal?", "Half of 3?"]]
    ['84 / 12', '1/4', None]
    """
    found = [_balanced(m.group()) for m in _EXPRESSION.finditer(prompt)]
    return max(found, key=len) if found else None


def fraction_forms(text: str) -> list[str]:
    """Fractions of which the number ``text`` is a part and whose value is not it (none for a
    non-number): one over it (unless it is 1 or -1), x over it, and for a two-digit whole number
    its digits without braces, which a reader that drops commands reads as the number.

    >>> fraction_forms("84")
    ['\\\\frac{1}{84}', '\\\\frac{x}{84}', '\\\\frac84']
    >>> fraction_forms("-1"), fraction_forms("B")
    (['\\\\frac{x}{-1}'], [])
    """
    value = rational(text)
    if value is None:
        return []
    forms = [] if value * value == 1 else [f"\\frac{{1}}{{{text}}}"]
    forms.append(f"\\frac{{x}}{{{text}}}")
    if re.fullmatch(r"[1-9]{2}", text):
        forms.append(f"\\frac{text}")  # worth 8/4; a 0 below the bar would divide by zero
    return forms


def rational(text: str) -> Fraction | None:
    """The value of a number written ``84``, ``-0.25``, ``1,234``, ``3/4`` or ``\\frac{3}{4}``.

    >>> rational("1,234.5"), rational("-\\\\frac{3}{4}"), rational("x"), rational("1/0")
    (Fraction(2469, 2), Fraction(-3, 4), None, None)
    """
    m = _RATIONAL.fullmatch(text.strip())
    if m is None:
        return None
    if m["fnum"] is not None:
        num, den = Fraction(int(m["fnum"])), Fraction(int(m["fden"]))
    else:
        num = Fraction(Decimal(m["num"].replace(",", "")))
        den = Fraction(int(m["den"] or 1))
    if den == 0:
        return None
    return -num / den if m["sign"] else num / den


def _per_sample(answer: Answer, forms: Sequence[str]) -> str:
    """One of ``forms``, the same for a sample on every run (``hash()`` changes between runs)."""
    return forms[zlib.crc32(answer.sample.id.encode()) % len(forms)]


def _balanced(expression: str) -> str:
    """``expression`` without the opening or closing parentheses it has no partner for."""
    while expression.count("(") > expression.count(")") and expression.startswith("("):
        expression = expression[1:].lstrip()
    while expression.count(")") > expression.count("(") and expression.endswith(")"):
        expression = expression[:-1].rstrip()
    return expression


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)
