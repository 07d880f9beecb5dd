"""``numeric``: is the number the answer states the reference's, within tolerance?

The whole answer span must be one number under the answer grammar (``grammar.py``,
docs/answers.md); units and scale words only from ``units``; the tolerance is relative to the
reference. A reference that is not one number raises ``UnjudgeableReference``.

>>> from rewardkit.types import Sample
>>> numeric(Sample("0", "g", prompt="", completion="x = \\\\frac{3}{4}", reference=0.75),
...         NumericParams()).value
1.0
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pydantic import Field, field_validator

from rewardkit.errors import UnjudgeableReference
from rewardkit.registry import reward
from rewardkit.rewards.answers import no_answer
from rewardkit.rewards.extract import ExtractMode, ValueParams, extract_answer
from rewardkit.rewards.grammar import PercentMode, read_value, within_tolerance
from rewardkit.rewards.normalise import reference_strings
from rewardkit.rewards.span import echoes_prompt
from rewardkit.types import JSONValue, Sample, Score


class NumericParams(ValueParams):
    """Parameters of ``numeric``: the answer span, its units, and tolerances."""

    extract: ExtractMode = "text"
    abs_tol: float = Field(default=0.0, ge=0.0)
    """Absolute tolerance: the answer ``a`` matches the reference ``r`` when
    ``|a - r| <= rel_tol * |r| + abs_tol``."""
    rel_tol: float | None = Field(default=None, ge=0.0, lt=1.0)
    """Tolerance relative to the reference (not to the larger value: ``rel_tol: 0.5`` accepts
    50..150 for 100, never 200). None (default): an integer reference is matched exactly, any
    other within 1e-9 of it (float noise in a printed 0.30000000000000004)."""
    percent: PercentMode = "fraction"
    """How to read "50%": "fraction" gives 0.5, "number" gives 50."""
    units: dict[str, float] = Field(default_factory=dict)
    """Unit and scale words allowed after the number, each with its factor (``{cm: 1, million:
    1e6}``; a list gives each factor 1). Any other word after the number is not an answer."""
    reference_key: str | None = None
    """The field of a mapping reference that holds the answer (``answer`` for a reasoning-gym
    entry); None: the reference is the answer itself."""

    @field_validator("units", mode="before")
    @classmethod
    def _units_list(cls, units: Any) -> Any:
        return dict.fromkeys(units, 1.0) if isinstance(units, (list, tuple)) else units

    @field_validator("units")
    @classmethod
    def _check_units(cls, units: dict[str, float]) -> dict[str, float]:
        for name, factor in units.items():
            if not name.strip() or any(c.isdigit() for c in name) or not factor > 0:
                raise ValueError(
                    f"unit {name!r}: {factor} must be a word without digits with a positive "
                    "factor, e.g. units: {cm: 1, million: 1000000}"
                )
        return units


def reference_numbers(reference: JSONValue, p: NumericParams, component: str) -> list[Fraction]:
    """The numbers a reference accepts (``reference_key`` picks a mapping's field first); each
    is read with the same grammar and ``units`` as the answer."""
    if p.reference_key is not None:
        if not isinstance(reference, dict) or p.reference_key not in reference:
            raise UnjudgeableReference(
                f"{component}: reference_key {p.reference_key!r} names a field of the reference, "
                f"but the reference is {str(reference)[:80]!r}; drop reference_key, or give "
                "references that hold that field"
            )
        reference = reference[p.reference_key]
    items = reference_strings(reference, component)
    numbers = [n for n in (read_value(item, p.percent, p.units) for item in items) if n is not None]
    if not numbers:
        raise UnjudgeableReference(
            f"{component}: reference {reference!r} is not one number (docs/answers.md); give the "
            "correct number (e.g. 42, '3/4', '12.5%'), name its unit in 'units', or score text "
            "answers with exact_match"
        )
    return numbers


def numbers_match(answer: Fraction, reference: Fraction, p: NumericParams) -> bool:
    """Whether ``|answer - reference| <= rel_tol * |reference| + abs_tol``, computed exactly.

    >>> numbers_match(Fraction(2049425731), Fraction(2049425730), NumericParams())
    False
    >>> numbers_match(Fraction(101), Fraction(100), NumericParams(rel_tol=0.01))
    True
    >>> numbers_match(Fraction(200), Fraction(100), NumericParams(rel_tol=0.5))
    False
    """
    if p.rel_tol is not None:
        return within_tolerance(answer, reference, p.rel_tol, p.abs_tol)
    noise = 0.0 if reference.denominator == 1 else 1e-9
    return within_tolerance(answer, reference, noise, p.abs_tol)


def answer_value(sample: Sample, p: NumericParams) -> tuple[Fraction | None, dict[str, Any]]:
    """The value of the sample's answer span under the grammar, or None with the reason."""
    answer = extract_answer(sample.model_text, p)
    if answer is None:
        return None, no_answer(p)
    if not p.allow_echo and echoes_prompt(answer, sample.prompt, reference_strings_of(sample, p)):
        return None, {"reason": f"answer {answer!r} restates the prompt's expression"}
    value = read_value(answer, p.percent, p.units)
    if value is None:
        return None, {"reason": f"answer {answer!r} is not one number (docs/answers.md)"}
    return value, {}


def reference_strings_of(sample: Sample, p: NumericParams) -> list[str]:
    """The reference's literal forms (for the echo rule); empty when it has none readable."""
    reference = sample.reference
    if p.reference_key is not None and isinstance(reference, dict):
        reference = reference.get(p.reference_key)
    try:
        return reference_strings(reference, "numeric")
    except UnjudgeableReference:
        return []


def _loggable(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


@reward("numeric", params=NumericParams)
def numeric(sample: Sample, p: NumericParams) -> Score:
    """1.0 when the answer's number equals the reference within tolerance, else 0.0.

    The whole answer span must be one number under the answer grammar (docs/answers.md):
    "1,234", "3/4", "\\frac{3}{4}", "50%", "$5", "x = 42", "\\boxed{42}" exactly (no float
    rounding); "84 is wrong", "3 million" (without ``units``) and the prompt's own expression are
    wrong. An integer reference needs the exact integer unless a tolerance is set. A reference
    that is not one number raises ``UnjudgeableReference``.

    >>> numeric(Sample(id="0", group="g", prompt="", completion="$1,234.", reference=1234),
    ... NumericParams()).value
    1.0
    >>> numeric(Sample(id="0", group="g", prompt="", completion="<answer>84 is wrong</answer>",
    ... reference=84), NumericParams(extract="answer_tag")).value
    0.0
    """
    references = reference_numbers(sample.reference, p, "numeric")
    value, why = answer_value(sample, p)
    if value is None:
        return Score(0.0, info=why)
    hit = any(numbers_match(value, r, p) for r in references)
    return Score(1.0 if hit else 0.0, info={"answer": _loggable(value)})
