"""reasoning-gym's own ``score_answer`` against ``numeric`` and ``exact_match``.

Items come from ``reasoning_gym.create_dataset`` (offline, seeded); each reference is answered
correctly once and once in a form drawn from ``cases.numeric_cases`` / ``cases.word_cases``
(other notations, wrong numbers, sentences, spacing, ...). The scores must be equal on every
case except those an intended difference in ``REASONS`` explains (docs/conformance.md); a new
disagreement fails, and so does a listed reason no case shows any more.

The ``reasoning_gym`` component (reasoning-gym's scorer itself) pays only a score of exactly 1.0:
a golden spell_backward table and a sweep of affixed oracle answers over six datasets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from tests.conformance.cases import Case, judge, numeric_cases, word_cases

from rewardkit.rewards.answers import exact_match
from rewardkit.rewards.grammar import read_value
from rewardkit.rewards.normalise import MatchParams
from rewardkit.rewards.numeric import NumericParams, numeric
from rewardkit.rewards.reasoning_gym import ReasoningGymParams, reasoning_gym_score
from rewardkit.types import Sample

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


# ------------------------------------------------- the reasoning_gym component: exactly 1.0 pays


def _gym(completion: str, entry: dict[str, Any], partial: bool = False) -> float:
    sample = Sample(id="0", group="g", prompt="", completion=completion, reference=entry)
    return reasoning_gym_score(sample, ReasoningGymParams(extract="text", partial=partial))


SPELLED = {
    "question": "Spell this word backward: currishly",
    "answer": "ylhsirruc",
    "metadata": {"source_dataset": "spell_backward"},
}


@pytest.mark.parametrize(
    ("completion", "theirs", "ours", "ours_partial"),
    [
        ("ylhsirruc", 1.0, 1.0, 1.0),
        # 9 matching positions of 1/9 each sum to 1.0000000000000002 in floats, which escapes
        # spell_backward's "a sum of exactly 1.0 is not equality: take 0.2 off".
        ("ylhsirrucx", 1.0000000000000002, 0.0, 0.0),
        ("ylhsirrucylhsirruc", 1.0000000000000002, 0.0, 0.0),
        # 8 of 9 positions: 8/9, a wrong answer, partial credit only.
        ("ylhsirru", 8 / 9, 0.0, 8 / 9),
        # shifted by one: only position 6 ('r' under 'r') matches, 1/9.
        ("xylhsirruc", 1 / 9, 0.0, 1 / 9),
    ],
)
def test_spell_backward_float_accident_is_not_paid(
    completion: str, theirs: float, ours: float, ours_partial: float
) -> None:
    scorer = reasoning_gym.factory.get_score_answer_fn("spell_backward")
    got = scorer(answer=completion, entry=SPELLED)
    assert got == pytest.approx(theirs, rel=1e-12) and (got > 1.0) == (theirs > 1.0)
    assert _gym(completion, SPELLED) == ours
    assert _gym(completion, SPELLED, partial=True) == pytest.approx(ours_partial, rel=1e-12)


# Datasets whose scorer compares the answer's text (or its number) exactly, so that the oracle
# with any affix is wrong; chain_sum reads '0210' as 210 and letter_jumble pays an extra word, so
# their affixed answers are right by reasoning-gym's own rules and are not in this sweep.
STRICT_DATASETS = [
    "spell_backward",
    "word_sorting",
    "basic_arithmetic",
    "caesar_cipher",
    "gcd",
    "number_sorting",
]
AFFIXES = ["x", "0", "1", "!", ".", "ab", " x", " and more"]


def test_affixed_oracle_answers_are_never_paid() -> None:
    right = variants = paid = overshoots = 0
    for seed, dataset in enumerate(STRICT_DATASETS):
        data = reasoning_gym.create_dataset(dataset, size=40, seed=100 + seed)
        for entry in data:
            right += _gym(entry["answer"], entry) == 1.0
            for affix in AFFIXES:
                for wrong in (entry["answer"] + affix, affix + entry["answer"]):
                    variants += 1
                    paid += _gym(wrong, entry) != 0.0
                    overshoots += data.score_answer(wrong, entry) > 1.0
    assert (right, variants, paid) == (240, 240 * 16, 0)
    assert overshoots > 0  # reasoning-gym itself scored some of them above 1.0


@pytest.mark.slow
def test_every_dataset_scores_its_oracle_exactly_one() -> None:
    # The rule "exactly 1.0 pays" loses no right answer: about 10 s over every dataset.
    checked = 0
    for name in sorted(reasoning_gym.factory.DATASETS):
        if name == "composite":  # needs a list of datasets to mix
            continue
        data = reasoning_gym.create_dataset(name, size=3, seed=0)
        for entry in data:
            if entry["answer"] is not None:  # open-ended datasets have no oracle answer
                assert _gym(entry["answer"], entry) == 1.0, (name, entry["answer"])
                checked += 1
    assert checked >= 250
