"""math-verify's own ``parse`` / ``verify`` against ``math_equivalent`` (extract: text).

math-verify is used as its README shows: ``verify(parse(gold), parse(completion))``, a reference
it cannot parse counting as "declines to judge". ``math_equivalent`` with ``extract: text`` hands
math-verify the same whole completion. The two must agree on every generated case except those
an intended difference in ``REASONS`` explains (listed in docs/conformance.md); a new
disagreement fails, and so does a listed reason that no case shows any more.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import pytest
from tests.conformance.cases import UNJUDGED, Case, judge, math_cases, read_differently_bare

from rewardkit.rewards.math import MathParams, answer_span, letter_words, math_equivalent
from rewardkit.rewards.span import prose_words

math_verify = pytest.importorskip("math_verify")

REASONS = {
    "bare_reference": "a reference without delimiters is read as one expression (boxed); "
    "math-verify reads a bare '2x+1' as 2, '54\\%' as 54 and '\\pi' as nothing",
    "bare_answer": "a whole completion that is bare math ('1+2x') is read as one expression; "
    "math-verify reads its leading number",
    "text_reference": "a text reference ('\\boxed{Paris}') raises UnjudgeableReference; "
    "math-verify reads it as a product of letters and pays anagrams",
    "unit_word": "a unit in the answer ('\\boxed{54\\text{ cm}}') is a word: not an answer "
    "unless the units option names it; math-verify drops units",
    "prose_span": "extract: text reads the whole completion; prose around unboxed math ('The "
    "answer is $48$.') is not an answer; math-verify finds the math in the prose",
}


def peer(case: Case) -> float | str:
    """math-verify alone, timeouts off (its signal-based timeout fails off the main thread)."""
    gold = math_verify.parse(str(case.reference), parsing_timeout=None)
    if not gold:
        return UNJUDGED
    answer = math_verify.parse(case.completion, parsing_timeout=None)
    return float(math_verify.verify(gold, answer, timeout_seconds=None))


def intended(case: Case, ours: Any, theirs: Any) -> str | None:
    """The key in REASONS that explains this disagreement, or None."""
    reference = str(case.reference)
    if read_differently_bare(reference):
        return "bare_reference"
    if read_differently_bare(case.completion):
        return "bare_answer"
    boxed_reference = math_verify.parse(reference, parsing_timeout=None)
    if ours == UNJUDGED and letter_words(reference, boxed_reference):
        return "text_reference"
    return refused_span(case, ours, theirs)


def refused_span(case: Case, ours: Any, theirs: Any) -> str | None:
    """The strict-span reasons (docs/answers.md): a unit word, or prose around unboxed math."""
    if ours != 0.0 or theirs != 1.0:
        return None
    span = answer_span(case.completion.split("</think>")[-1])
    if span is not None and re.search(r"\\text\{\s*[a-z]+\s*\}$", span):
        return "unit_word"
    if "\\boxed" not in case.completion and "$" in case.completion and prose_words(span or ""):
        return "prose_span"
    return None


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[Case, Any, Any]]:
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    params = MathParams(extract="text")
    return [(case, judge(math_equivalent, case, params), peer(case)) for case in math_cases()]


def test_agrees_with_math_verify_except_the_listed_differences(
    outcomes: list[tuple[Case, Any, Any]], record_agreement: Any
) -> None:
    assert len(outcomes) >= 200
    differ = [(case, ours, theirs) for case, ours, theirs in outcomes if ours != theirs]
    record_agreement(
        "math-verify vs math_equivalent", len(outcomes) - len(differ), len(outcomes), len(differ)
    )
    reasons = Counter(intended(*row) for row in differ)
    unexplained = [row for row in differ if intended(*row) is None]
    assert unexplained == []
    assert set(reasons) == set(REASONS)


def test_text_references_are_never_paid(outcomes: list[tuple[Case, Any, Any]]) -> None:
    # The anagram class: every text reference is declined, whatever the answer.
    text = [ours for case, ours, _ in outcomes if case.kind.startswith("text_ref")]
    assert len(text) == 32
    assert set(text) == {UNJUDGED}
