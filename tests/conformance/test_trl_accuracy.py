"""TRL 1.16's ``accuracy_reward`` and ``reasoning_accuracy_reward`` against ``math_equivalent``.

The matching rewardkit configs:

- ``accuracy_reward``: ``{fn: math_equivalent, extract: boxed}``;
- ``reasoning_accuracy_reward`` (the answer after the last ``</think>``, 0 when there is none):
  ``{fn: math_equivalent, extract: regex, pattern: '(?s).*</think>(.*)'}``.

Both implementations judge the same generated cases (``cases.math_cases``; for the reasoning
pair each is also wrapped in a closed and an unclosed ``<think>``). They must agree except on the
cases an intended difference in ``REASONS`` explains (docs/conformance.md): a new disagreement
fails, and so does a listed reason that no case shows any more.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from tests.conformance import test_math_verify as tmv
from tests.conformance.cases import (
    UNJUDGED,
    Case,
    judge,
    math_cases,
    read_differently_bare,
)

from rewardkit.rewards.extract import last_boxed
from rewardkit.rewards.math import MathParams, letter_words, math_equivalent

trl_rewards = pytest.importorskip("trl.rewards")
math_verify = pytest.importorskip("math_verify")

AFTER_THINK = r"(?s).*</think>(.*)"

REASONS = {
    "bare_reference": "a reference without delimiters is read as one expression; TRL parses "
    "it bare, so '2x+1' is 2 and '\\pi' or 'x^2-1' is skipped",
    "text_reference": "a text reference raises UnjudgeableReference; TRL reads '\\boxed{Paris}' "
    "as a product of letters and pays its anagrams",
    "unboxed_latex": "TRL also reads $...$ math without a box; extract: boxed asks for the box",
    "reference_first": "without </think> TRL gives 0 before reading the reference; rewardkit "
    "reads the reference first and reports an unreadable one",
    "unit_word": tmv.REASONS["unit_word"],
    "prose_span": "after </think> the tail is the span: prose around unboxed math is not an "
    "answer; TRL finds the math in the prose",
    "plain_math_after_think": "after </think> math_equivalent hands the tail to math-verify's "
    "default reading (plain expressions, an unclosed box); TRL reads LaTeX only",
}


def trl(fn: Any, case: Case) -> float | str:
    rewards = fn([[{"role": "assistant", "content": case.completion}]], [str(case.reference)])
    return UNJUDGED if rewards[0] is None else float(rewards[0])


def _text_reference(case: Case, ours: Any) -> bool:
    reference = str(case.reference)
    return ours == UNJUDGED and bool(
        letter_words(reference, math_verify.parse(reference, parsing_timeout=None))
    )


def intended_accuracy(case: Case, ours: Any, theirs: Any) -> str | None:
    """The key in REASONS that explains this accuracy_reward disagreement, or None."""
    if read_differently_bare(str(case.reference)):
        return "bare_reference"
    if _text_reference(case, ours):
        return "text_reference"
    boxes = case.completion.count("\\boxed{")
    if boxes == 0 and "$" in case.completion and ours == 0.0 and theirs == 1.0:
        return "unboxed_latex"
    return tmv.refused_span(case, ours, theirs)


def intended_reasoning(case: Case, ours: Any, theirs: Any) -> str | None:
    """The key in REASONS that explains this reasoning_accuracy_reward disagreement, or None."""
    closed = "</think>" in case.completion
    if not closed and ours == UNJUDGED and theirs == 0.0:
        return "reference_first"
    if read_differently_bare(str(case.reference)):
        return "bare_reference"
    tail = case.completion.split("</think>")[-1]
    if closed and ours == 1.0 and theirs == 0.0 and last_boxed(tail) is None and "$" not in tail:
        return "plain_math_after_think"
    return tmv.refused_span(case, ours, theirs)


def reasoning_cases() -> list[Case]:
    wraps = [("closed", "<think>Let me see.</think>{}"), ("open", "<think>{}")]
    return [
        Case(f"{case.kind}/{name}", wrap.format(case.completion), case.reference)
        for case in math_cases()[::2]
        for name, wrap in wraps
    ]


PAIRS = [
    ("accuracy_reward", MathParams(extract="boxed"), math_cases, intended_accuracy,
     {"bare_reference", "text_reference", "unboxed_latex", "unit_word"}),
    ("reasoning_accuracy_reward", MathParams(extract="regex", pattern=AFTER_THINK),
     reasoning_cases, intended_reasoning,
     {"bare_reference", "reference_first", "plain_math_after_think", "unit_word", "prose_span"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "params", "make_cases", "intended", "expected"), PAIRS)
def test_agrees_with_trl_except_the_listed_differences(
    name: str,
    params: MathParams,
    make_cases: Any,
    intended: Any,
    expected: set[str],
    record_agreement: Any,
) -> None:
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    fn = getattr(trl_rewards, name)
    cases = make_cases()
    assert len(cases) >= 200
    rows = [(case, judge(math_equivalent, case, params), trl(fn, case)) for case in cases]
    differ = [row for row in rows if row[1] != row[2]]
    record_agreement(
        f"TRL {name} vs math_equivalent", len(rows) - len(differ), len(rows), len(differ)
    )
    assert [row for row in differ if intended(*row) is None] == []
    assert {intended(*row) for row in differ} == expected
    assert all(reason in REASONS for reason in expected)
