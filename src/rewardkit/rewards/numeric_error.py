"""``numeric_error``: a dense numeric reward, minus the answer's relative error.

``numeric`` pays 1 for the right number and 0 for any other; early in training on arithmetic
nearly every answer is wrong, so a group's rewards are all 0 and GRPO learns nothing. This
component grades the miss instead: ``-min(cap, |answer - reference| / max(|reference|, 1))``,
0 for the exact answer, ``-cap`` for an answer off by ``cap`` x the reference or more, or for an
answer that is not one number (the grammar of ``numeric``, docs/answers.md). It pays closeness, not correctness: a near miss scores almost as high as the
right answer, which is the point of a dense baseline and the reason to tighten it (a tolerance
ladder on ``numeric``'s ``rel_tol``) or pair it with ``numeric`` before the end of training.

>>> from rewardkit.types import Sample
>>> s = Sample("0", "g", prompt="", completion="95", reference=100)
>>> numeric_error(s, NumericErrorParams()).value
-0.05
"""

from __future__ import annotations

from fractions import Fraction

from pydantic import Field

from rewardkit.registry import reward
from rewardkit.rewards.numeric import NumericParams, answer_value, reference_numbers
from rewardkit.types import Sample, Score


class NumericErrorParams(NumericParams):
    """``numeric``'s extraction and reference options, and the cap of the error."""

    cap: float = Field(default=1.0, gt=0.0)
    """Relative errors at or above ``cap`` (and answers with no number) score ``-cap``."""


@reward("numeric_error", params=NumericErrorParams)
def numeric_error(sample: Sample, p: NumericErrorParams) -> Score:
    """Minus the relative error of the answer's number, capped at ``cap`` (module doc).

    The error is relative to ``max(|reference|, 1)``, so a reference of 0 is graded in absolute
    terms; with several acceptable references the nearest counts.
    """
    references = reference_numbers(sample.reference, p, "numeric_error")
    value, why = answer_value(sample, p)
    if value is None:
        return Score(-p.cap, info=why)
    error = min(abs(value - r) / max(abs(r), Fraction(1)) for r in references)
    if error >= Fraction(p.cap):  # also an answer like 1e400, whose error no float can hold
        return Score(-p.cap, info={"relative_error": _as_float(error)})
    return Score(-float(error), info={"relative_error": float(error)})


def _as_float(x: Fraction) -> float:
    try:
        return float(x)
    except OverflowError:
        return float("inf")
