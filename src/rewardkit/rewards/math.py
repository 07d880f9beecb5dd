"""Math answer equivalence through math-verify (``pip install 'rewardkit[math]'``).

``math_equivalent`` parses the extracted answer and the reference with ``math_verify.parse`` and
compares them with ``math_verify.verify``: 1/2, 0.5 and \\frac{1}{2} are the same answer, so are
2x+1 and 1+2x, {1, 2} and {2, 1}.

math-verify bounds each parse and comparison with ``signal.alarm``, which only works on the main
thread; off it (a trainer's reward thread, a server's worker pool) the timeouts are switched off
and the caller must bound the time itself.

>>> from rewardkit.types import Sample
>>> s = Sample(id="0", group="g", prompt="", completion="\\\\boxed{0.5}", reference="1/2")
>>> math_equivalent(s, MathParams()).value
1.0
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import Field

from rewardkit.errors import require
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


def _parse(math_verify: Any, text: str, whole_text: bool) -> list[Any]:
    """Parsed forms of ``text``. Bare math is boxed so that it is read as one expression
    (math-verify reads a bare "2x+1" as 2); text with math delimiters is left to math-verify."""
    delimited = any(d in text for d in _DELIMITERS)
    pred = text if whole_text or delimited else "\\boxed{" + text + "}"
    return list(math_verify.parse(pred, parsing_timeout=_timeout()))


def _has_expression(parsed: list[Any]) -> bool:
    # parse() falls back to the raw matched string; only a SymPy object means it was understood.
    return any(not isinstance(item, str) for item in parsed)


def _gold_text(reference: JSONValue) -> str:
    if isinstance(reference, str):
        return reference
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        return str(reference)
    raise TypeError(
        f"math_equivalent: reference {reference!r} is a {type(reference).__name__}; give the "
        "answer as a LaTeX or plain string (e.g. '\\\\frac{1}{2}') or a number"
    )


@reward("math_equivalent", params=MathParams)
def math_equivalent(sample: Sample, p: MathParams) -> Score | None:
    """1.0 when the answer is mathematically equal to the reference (math-verify), else 0.0.

    None when the reference cannot be parsed as math.

    >>> s = Sample(id="0", group="g", prompt="", completion="\\\\boxed{1+2x}", reference="2x+1")
    >>> math_equivalent(s, MathParams()).value
    1.0
    """
    math_verify = require("math_verify", "math")
    gold = _parse(math_verify, _gold_text(sample.reference), whole_text=False)
    if not _has_expression(gold):
        return None
    answer = extract_answer(sample.completion, p)
    if answer is None:
        return Score(0.0, info={"reason": f"no answer found (extract: {p.extract})"})
    parsed = _parse(math_verify, answer, whole_text=p.extract == "text")
    if not _has_expression(parsed):
        return Score(0.0, info={"reason": f"answer {answer!r} is not parseable math"})
    same = math_verify.verify(
        gold, parsed, float_rounding=p.float_rounding, timeout_seconds=_timeout()
    )
    # With extract: text the answer is the whole completion; log the part math-verify read.
    read = next((item for item in parsed if isinstance(item, str)), answer)
    return Score(1.0 if same else 0.0, info={"answer": read})
