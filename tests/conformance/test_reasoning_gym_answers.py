"""reasoning-gym's own ``score_answer`` against ``numeric`` and ``exact_match``.

Items come from ``reasoning_gym.create_dataset`` (offline, seeded); each reference is answered
correctly once and once in a form drawn from ``cases.numeric_cases`` / ``cases.word_cases``
(other notations, wrong numbers, sentences, spacing, ...). The scores must be equal on every
case except those an intended difference in ``REASONS`` explains (docs/conformance.md); a new
disagreement fails, and so does a listed reason no case shows any more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from tests.conformance.cases import Case, judge, numeric_cases, word_cases

from rewardkit.rewards.answers import NumericParams, exact_match, numeric
from rewardkit.rewards.normalise import MatchParams
from rewardkit.rewards.grammar import read_value

reasoning_gym = pytest.importorskip("reasoning_gym")

REASONS = {
    "partial_credit": "reasoning-gym pays a share (len(reference) / len(answer), or matching "
    "positions) to an answer that only contains or starts like the reference, and "
    "spell_backward's float sum can pay 1.0000000000000002; rewardkit's components pay 1 or 0",
    "notation": "numeric reads other notations of the same number (U+2212 minus, leading zeros, "
    "thousands separators, a/b); basic_arithmetic compares strings, Decimal reads no a/b",
    "digit_underscores": "Python's Decimal reads '495_493'; numeric reads no digit underscores",
    "whitespace": "exact_match trims and collapses whitespace; spell_backward compares raw text",
    "list_spacing": "word_sorting splits its list at ',\\s*'; exact_match compares the string, so "
    "'a,b' is not 'a, b'",
}


def intended(case: Case, ours: Any, theirs: float) -> str | None:
    """The key in REASONS that explains this disagreement, or None."""
    if 0.0 < theirs != 1.0:  # spell_backward's sum of 1/n can reach 1.0000000000000002
        return "partial_credit"
    if ours == 1.0 and theirs == 0.0:
        if case.completion.strip() == case.reference:
            return "whitespace"
        if read_value(case.completion) == read_value(str(case.reference)):
            return "notation"
    if ours == 0.0 and theirs == 1.0:
        if re.search(r"\d_\d", case.completion):
            return "digit_underscores"
        items = [w.strip() for w in re.split(r",\s*", case.completion)]
        if items == [w.strip() for w in re.split(r",\s*", str(case.reference))]:
            return "list_spacing"
    return None


PAIRS: list[tuple[str, Callable[..., Any], Any, Callable[..., list[Case]], int]] = [
    ("basic_arithmetic", numeric, NumericParams(extract="text"), numeric_cases, 120),
    ("chain_sum", numeric, NumericParams(extract="text"), numeric_cases, 120),
    ("products", numeric, NumericParams(extract="text"), numeric_cases, 120),
    ("spell_backward", exact_match, MatchParams(), word_cases, 100),
    # Sorting is by code point, so case matters: compare case-sensitively.
    ("word_sorting", exact_match, MatchParams(case=False), word_cases, 100),
]

EXPECTED_REASONS = {
    "basic_arithmetic": {"partial_credit", "notation"},
    "chain_sum": {"partial_credit", "notation"},
    "products": {"partial_credit", "notation", "digit_underscores"},
    "spell_backward": {"partial_credit", "whitespace"},
    "word_sorting": {"partial_credit", "list_spacing"},
}


@pytest.mark.parametrize(("dataset", "fn", "params", "make_cases", "size"), PAIRS)
def test_agrees_with_reasoning_gym_except_the_listed_differences(
    dataset: str,
    fn: Callable[..., Any],
    params: Any,
    make_cases: Callable[..., list[Case]],
    size: int,
    record_agreement: Any,
) -> None:
    data = reasoning_gym.create_dataset(dataset, size=size, seed=7)
    entries = list(data)
    cases = make_cases([entry["answer"] for entry in entries], seed=1)
    assert len(cases) >= 200
    rows = [
        (case, judge(fn, case, params), data.score_answer(case.completion, entries[i // 2]))
        for i, case in enumerate(cases)
    ]
    differ = [row for row in rows if row[1] != row[2]]
    record_agreement(
        f"reasoning-gym {dataset} vs {fn.__name__}", len(rows) - len(differ), len(rows), len(differ)
    )
    assert [row for row in differ if intended(*row) is None] == []
    assert {intended(*row) for row in differ} == EXPECTED_REASONS[dataset]


@pytest.mark.parametrize("dataset", ["products", "chain_sum"])
def test_a_wrong_integer_is_never_paid(dataset: str) -> None:
    # Products reach 10^10, where a relative tolerance of 1e-9 paid an off-by-one answer.
    data = reasoning_gym.create_dataset(dataset, size=200, seed=3)
    for entry in data:
        wrong = Case("wrong", str(int(entry["answer"]) + 1), entry["answer"])
        assert judge(numeric, wrong, NumericParams(extract="text")) == 0.0
        assert data.score_answer(wrong.completion, entry) < 1.0
