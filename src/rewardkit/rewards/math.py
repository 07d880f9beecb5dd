"""Math answer equivalence through math-verify (``pip install 'rewardkit[math]'``).

``math_equivalent`` parses the extracted answer and the reference with ``math_verify.parse`` and
compares them with ``math_verify.verify``: 1/2, 0.5 and \\frac{1}{2} are the same answer, so are
2x+1 and 1+2x, {1, 2} and {2, 1}.

A reference math-verify cannot read as math raises ``UnjudgeableReference`` (a data problem the
program counts and handles by its ``on_unjudgeable`` policy): one it does not parse at all
(``}{``, ``""``), a placeholder (``N/A``, ``none``), and text. math-verify reads a word as the
product of its letters (``Paris`` as a*i*p*r*s, so ``Pairs`` would match; ``on`` as o*n, so
``no`` would) or ``\\text{Paris}`` as one symbol; a reference that holds a word of two or more
letters (``rewards/span.py``'s ``prose_words``) is text, to be scored with ``exact_match``.
Letters in an expression stay products of variables (``2xy``, ``x^2 + xy``), as in math-verify.

The answer span must be one answer (docs/answers.md): words in it (``\\boxed{What is 1/4?}``,
``5 meters``), several values where the reference has one (``41 \\lor 42``, ``\\cup``, ``\\pm``,
``1, 2``) or the prompt's own expression (``allow_echo``) score 0 before math-verify is asked.
A span with ``\\boxed{}`` in it is read as its box (``extract: text`` on "so \\boxed{2}."); one
without is read whole: prose around unboxed math is not an answer.

math-verify bounds each parse and comparison with ``signal.alarm``, which only works on the main
thread; off it (a trainer's reward thread, a server's worker pool) the timeouts are switched off
and the caller must bound the time itself.

>>> from rewardkit.types import Sample
>>> s = Sample(id="0", group="g", prompt="", completion="\\\\boxed{0.5}", reference="1/2")
>>> math_equivalent(s, MathParams()).value
1.0
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import Field

from rewardkit.errors import UnjudgeableReference, require
from rewardkit.registry import reward
from rewardkit.rewards.extract import ExtractMode, ValueParams, boxes, extract_answer
from rewardkit.rewards.grammar import read_value, unwrap
from rewardkit.rewards.span import echoes_prompt, prose_words, several_values
from rewardkit.types import JSONValue, Sample, Score

_TIMEOUT_SECONDS = 5


class MathParams(ValueParams):
    """Parameters of ``math_equivalent``: extraction (the last ``\\boxed{}``) and rounding."""

    extract: ExtractMode = "boxed"
    float_rounding: int = Field(default=6, ge=0, le=15)
    """Decimal places floats are rounded to before comparing (math-verify's float_rounding)."""
    units: tuple[str, ...] = ()
    """Unit words allowed at the end of the answer (``54 cm``, ``54\\text{ cm}``), dropped before
    math-verify reads it. Any other word makes the span not an answer."""


def _timeout() -> int | None:
    """math-verify's timeout: None (off) away from the main thread, where signals cannot be used."""
    on_main = threading.current_thread() is threading.main_thread()
    return _TIMEOUT_SECONDS if on_main else None


_DELIMITERS = ("$", "\\boxed", "\\(", "\\[")
# A run of three or more letters that is not a LaTeX command's name (\sin, \text).
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
_PLAIN_NAME = re.compile(r"[a-z][a-z \-]*")  # a symbol spelled in letters (no subscript)
# Placeholders datasets write for "no answer", which math-verify would read as n/a or n*a.
_NO_ANSWER = {"n/a", "na", "nan", "null", "none", "unknown", "?", "-", "tbd"}


def _delimited(text: str) -> bool:
    """Whether ``text`` marks its math (an escaped dollar, ``\\$5``, is currency)."""
    plain = text.replace("\\$", "")
    return any(d in plain for d in _DELIMITERS)


def _parse(math_verify: Any, text: str, whole_text: bool) -> list[Any]:
    """Parsed forms of ``text``. Bare math is boxed so that it is read as one expression
    (math-verify reads a bare "2x+1" as 2); text with math delimiters is left to math-verify."""
    pred = text if whole_text or _delimited(text) else "\\boxed{" + text + "}"
    return list(math_verify.parse(pred, parsing_timeout=_timeout()))


def _has_expression(parsed: list[Any]) -> bool:
    # parse() falls back to the raw matched string; only a SymPy object means it was understood.
    return any(not isinstance(item, str) for item in parsed)


def letter_words(text: str, parsed: list[Any]) -> list[str]:
    """The words in ``text`` that math-verify read as symbols, not as math.

    A word counts when its letters are all letters of the reading's symbols (``Paris`` as
    a*i*p*r*s, ``Tuesday`` as E*da*s*t*u*y; ``e`` is exempt, math-verify reads it as Euler's
    number) or a symbol holds it (``\\text{forty-two}`` as one symbol). Units math-verify
    drops (``5 meters``) leave no symbol; subscripts (``x_{abc}``) are not words.

    >>> import math_verify
    >>> letter_words("Paris", math_verify.parse("\\\\boxed{Paris}"))
    ['Paris']
    >>> letter_words("5 meters", math_verify.parse("\\\\boxed{5 meters}"))
    []
    """
    names = set()
    for item in parsed:
        if not isinstance(item, str):
            names |= {str(symbol) for symbol in getattr(item, "free_symbols", ())}
    plain = [name for name in names if _PLAIN_NAME.fullmatch(name)]
    letters = set("".join(plain))
    words = []
    for word in _WORD.findall(text):
        low = word.lower()
        if any(low in name for name in plain) or set(low) - {"e"} <= letters:
            words.append(word)
    return words


def _gold_text(reference: JSONValue) -> str:
    if isinstance(reference, str):
        return reference
    if isinstance(reference, int) and not isinstance(reference, bool):
        return str(reference)
    if isinstance(reference, float):
        # Plain decimals: math-verify reads the exponent in "1e-07" as Euler's number.
        return format(Decimal(repr(reference)), "f")
    raise UnjudgeableReference(
        f"math_equivalent: reference {reference!r} is a {type(reference).__name__}; give the "
        "answer as a LaTeX or plain string (e.g. '\\\\frac{1}{2}') or a number"
    )


def _read_gold(math_verify: Any, reference: JSONValue) -> list[Any]:
    text = _gold_text(reference)
    gold = _parse(math_verify, text, whole_text=False)
    if not _has_expression(gold) or text.strip().lower() in _NO_ANSWER:
        raise UnjudgeableReference(
            f"math_equivalent: math-verify cannot read the reference {reference!r} as math; "
            "give it in LaTeX (e.g. '\\\\frac{1}{2}'), or score text answers with exact_match"
        )
    # Words outside a delimited reference's math ("The answer is $3$.") are not read as math.
    math = next((x for x in gold if isinstance(x, str)), text) if _delimited(text) else text
    words = letter_words(text, gold) or prose_words(math)
    if words:
        raise UnjudgeableReference(
            f"math_equivalent: the reference {reference!r} is text: math-verify reads the word "
            f"{words[0]!r} as algebra symbols (an anagram would match); score text answers "
            "with exact_match (a product of variables: write a*b*c)"
        )
    return gold


def answer_span(answer: str) -> str | None:
    """The math of an extracted answer: its boxes' content when it has boxes (None when they
    differ), else the whole of it without wrappers.

    >>> answer_span("So it is \\\\boxed{x = 2}."), answer_span("\\\\boxed{1} or \\\\boxed{2}")
    ('x = 2', None)
    """
    boxed = boxes(answer)
    if boxed and len({" ".join(b.split()) for b in boxed}) > 1:
        return None
    return unwrap(boxed[-1] if boxed else answer, prefix=False)  # math-verify reads x = 2


def as_math(span: str) -> str:
    """``span`` as math-verify should read it: a span that is one number under the answer
    grammar is written in one LaTeX form, so that every component reads a number alike
    (math-verify reads ``2 1/2`` as 2 * 1/2, ``3e0`` with Euler's number, ``1{,}234`` and an en
    dash minus not at all); any other span is left as it is.

    >>> as_math("2 1/3"), as_math("\u20137"), as_math("2x + 1"), as_math("1{,}234.5")
    ('\\\\frac{7}{3}', '-7', '2x + 1', '1234.5')
    """
    value = read_value(span)
    if value is None:
        return span
    if value.denominator == 1:
        return str(value.numerator)
    decimal = Decimal(value.numerator) / Decimal(value.denominator)  # 28 significant digits
    if Fraction(decimal) == value:  # a terminating decimal stays one: float_rounding applies
        return format(decimal, "f")
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def drop_unit(span: str, units: tuple[str, ...]) -> str:
    """``span`` without one trailing unit of ``units`` (plain or in ``\\text{}``/``\\mathrm{}``).

    >>> drop_unit("54\\\\text{ cm}", ("cm",)), drop_unit("54 km", ("cm",))
    ('54', '54 km')
    """
    for unit in units:
        word = re.escape(unit.strip())
        pattern = rf"(?:\s*\\(?:text|mathrm|mbox)\s*\{{\s*{word}\s*\}}|\s+{word})\s*$"
        found = re.search(pattern, span, re.IGNORECASE)
        if found is not None and found.start() > 0:
            return span[: found.start()].rstrip()
    return span


def _not_one_answer(span: str, gold: str, prompt: str, p: MathParams) -> str | None:
    """Why ``span`` is not one answer (module doc), or None when it is."""
    words = prose_words(span)
    if words:
        return f"words in the answer ({', '.join(words[:3])}): not a math answer"
    joiners = several_values(span, [gold])
    if joiners:
        return f"several values joined by {joiners[0]!r}: not one answer"
    if not p.allow_echo and echoes_prompt(span, prompt, [gold]):
        return "the answer restates the prompt's expression"
    return None


@reward("math_equivalent", params=MathParams)
def math_equivalent(sample: Sample, p: MathParams) -> Score:
    """1.0 when the answer is mathematically equal to the reference (math-verify), else 0.0.

    A reference that is not math (text, or unparseable) raises ``UnjudgeableReference``.

    >>> s = Sample(id="0", group="g", prompt="", completion="\\\\boxed{1+2x}", reference="2x+1")
    >>> math_equivalent(s, MathParams()).value
    1.0
    """
    math_verify = require("math_verify", "math")
    gold = _read_gold(math_verify, sample.reference)
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return Score(0.0, info={"reason": f"no answer found (extract: {p.extract})"})
    span = answer_span(answer)
    span = None if span is None else drop_unit(span, p.units)
    refused = (
        "several different boxed answers"
        if span is None
        else _not_one_answer(span, _gold_text(sample.reference), sample.prompt, p)
    )
    if span is None or refused is not None:
        return Score(0.0, info={"reason": refused, "answer": answer})
    parsed = _parse(math_verify, as_math(span), whole_text=False)
    if not _has_expression(parsed):
        return Score(0.0, info={"reason": f"answer {answer!r} is not parseable math"})
    same = math_verify.verify(
        gold, parsed, float_rounding=p.float_rounding, timeout_seconds=_timeout()
    )
    # With extract: text the answer is the whole completion; log the part math-verify read.
    read = next((item for item in parsed if isinstance(item, str)), answer)
    return Score(1.0 if same else 0.0, info={"answer": read})
