"""Math answer equivalence through math-verify (``pip install 'rewardkit[math]'``).

``math_equivalent`` parses the extracted answer and the reference with ``math_verify.parse`` and
compares them with ``math_verify.verify``: 1/2, 0.5 and \\frac{1}{2} are the same answer, so are
2x+1 and 1+2x, {1, 2} and {2, 1}.

A reference math-verify cannot read as math raises ``UnjudgeableReference`` (a data problem the
program counts and handles by its ``on_unjudgeable`` policy): one it does not parse at all
(``}{``, ``""``), a placeholder (``N/A``, ``none``), and text. math-verify reads a word as the
product of its letters (``Paris`` as a*i*p*r*s, so ``Pairs`` would match) or ``\\text{Paris}``
as one symbol; a reference with a word of three or more letters read that way is text, to be
scored with ``exact_match``, and so is ``no``. Other two-letter runs stay products of variables
(``2xy``), as in math-verify.

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
from typing import Any

from pydantic import Field

from rewardkit.errors import UnjudgeableReference, require
from rewardkit.registry import reward
from rewardkit.rewards.extract import ExtractMode, ExtractParams, extract_answer
from rewardkit.types import JSONValue, Sample, Score

_TIMEOUT_SECONDS = 5


class MathParams(ExtractParams):
    """Parameters of ``math_equivalent``: extraction (the last ``\\boxed{}``) and rounding."""

    extract: ExtractMode = "boxed"
    float_rounding: int = Field(default=6, ge=0, le=15)
    """Decimal places floats are rounded to before comparing (math-verify's float_rounding)."""


def _timeout() -> int | None:
    """math-verify's timeout: None (off) away from the main thread, where signals cannot be used."""
    on_main = threading.current_thread() is threading.main_thread()
    return _TIMEOUT_SECONDS if on_main else None


_DELIMITERS = ("$", "\\boxed", "\\(", "\\[")
# A run of three or more letters that is not a LaTeX command's name (\sin, \text).
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
_PLAIN_NAME = re.compile(r"[a-z][a-z \-]*")  # a symbol spelled in letters (no subscript)
_PROSE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]")  # two words in a row: a sentence, not math
# Two-letter answers that are words, not the product of two variables ("yes" is caught above).
_SHORT_WORDS = {"no"}
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
    words = letter_words(text, gold) or [w for w in [text.strip()] if w.lower() in _SHORT_WORDS]
    if words:
        raise UnjudgeableReference(
            f"math_equivalent: the reference {reference!r} is text: math-verify reads the word "
            f"{words[0]!r} as algebra symbols (an anagram would match); score text answers "
            "with exact_match (a product of variables: write a*b*c)"
        )
    return gold


def _read_answer(math_verify: Any, answer: str, whole_text: bool) -> list[Any]:
    """The answer's parsed forms. A whole completion without math delimiters is read as one
    expression ("2x+1") unless it has words; then math-verify finds the math in it."""
    if whole_text and not _delimited(answer) and not _PROSE.search(answer):
        boxed = _parse(math_verify, answer, whole_text=False)
        if _has_expression(boxed) and not letter_words(answer, boxed):
            return boxed
    return _parse(math_verify, answer, whole_text)


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
    answer = extract_answer(sample.completion, p)
    if answer is None:
        return Score(0.0, info={"reason": f"no answer found (extract: {p.extract})"})
    parsed = _read_answer(math_verify, answer, whole_text=p.extract == "text")
    if not _has_expression(parsed):
        return Score(0.0, info={"reason": f"answer {answer!r} is not parseable math"})
    same = math_verify.verify(
        gold, parsed, float_rounding=p.float_rounding, timeout_seconds=_timeout()
    )
    # With extract: text the answer is the whole completion; log the part math-verify read.
    read = next((item for item in parsed if isinstance(item, str)), answer)
    return Score(1.0 if same else 0.0, info={"answer": read})
