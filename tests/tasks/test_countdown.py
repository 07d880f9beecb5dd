"""The countdown task and its hierarchical ``countdown`` component (golden cases by hand)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rewardkit.errors import UnjudgeableReference
from rewardkit.program import RewardProgram
from rewardkit.tasks.countdown import (
    Countdown,
    CountdownParams,
    countdown,
    countdown_reward_config,
    evaluate_expression,
    shortest_expressions,
)
from rewardkit.types import Sample

REF = {"numbers": [3, 7, 25], "target": 46, "shortest": 6}


@pytest.mark.parametrize(
    ("completion", "parses", "numbers", "target", "short"),
    [
        ("25+3*7", 1.0, 1.0, 1.0, 1.0),
        ("3*7+25", 1.0, 1.0, 1.0, 1.0),
        ("(3*7)+25", 1.0, 1.0, 1.0, 0.75),  # 8 characters where 6 do: 6 / 8
        ("25+21", 1.0, 0.0, 0.0, 0.0),  # 21 is not a given number
        ("25+25-4", 1.0, 0.0, 0.0, 0.0),  # 25 used twice, 4 not given
        ("25+7", 1.0, 1.0, 0.0, 0.0),  # allowed but 32, not 46
        ("25+3*", 0.0, 0.0, 0.0, 0.0),  # does not parse: every tier 0
        ("2**5", 0.0, 0.0, 0.0, 0.0),  # powers are not allowed
        ("", 0.0, 0.0, 0.0, 0.0),
    ],
)
def test_checks(
    completion: str, parses: float, numbers: float, target: float, short: float
) -> None:
    s = Sample("0", "g", "", completion, reference=REF)
    got = [
        countdown(s, CountdownParams(check=c)).value
        for c in ("parses", "numbers", "target", "short")
    ]
    assert got == [parses, numbers, target, short]


@pytest.mark.parametrize(
    "reference",
    [
        {"target": 2},
        None,
        {"numbers": ["1", "1"], "target": 2},  # string numbers: every expression "not given"
        {"numbers": [1, 1], "target": "2"},
        {"numbers": [1, 1], "target": True},
        {"numbers": [1, 1], "target": 2, "shortest": "3"},
        {"numbers": [1, 1], "target": 2, "shortest": 0},
    ],
)
@pytest.mark.parametrize("check", ["parses", "numbers", "target", "short"])
def test_malformed_reference_is_unjudgeable(reference: Any, check: Any) -> None:
    """A data problem for the program's policy: not a 0 the model is blamed for."""
    s = Sample("0", "g", "", "1+1", reference=reference)
    with pytest.raises(UnjudgeableReference, match="reference must be"):
        countdown(s, CountdownParams(check=check))


@pytest.mark.parametrize(
    ("text", "value"),
    [("(2+3)*4", 20), ("10-4-3", 3), ("7", 7), ("1/2", None), ("x+1", None), ("3 * 4", 12)],
)
def test_evaluate_expression(text: str, value: int | None) -> None:
    assert evaluate_expression(text) == value


def test_shortest_expressions_finds_every_subset_value() -> None:
    table = shortest_expressions([2, 3, 4])
    assert table[24] in ("2*3*4", "3*2*4", "4*2*3", "2*4*3", "3*4*2", "4*3*2")
    assert evaluate_expression(table[14]) == 14  # (3+4)*2 or 2*(3+4): parentheses are kept
    assert len(table[5]) == 3  # 2+3


def test_problems_are_solvable_and_not_trivial() -> None:
    task = Countdown()
    for i in range(20):
        p = task.make(np.random.default_rng(i), None)
        assert evaluate_expression(p.answer) == p.reference["target"]
        assert p.reference["target"] not in p.reference["numbers"]
        assert task.judge(p.reference, p.answer)["success"] == 1.0


@pytest.mark.parametrize("shape", ["tiers", "weighted", "gated"])
def test_reward_shapes_build_and_rank_the_answer_first(shape: Any) -> None:
    program = RewardProgram.from_dict(countdown_reward_config(shape))
    samples = [
        Sample(str(i), "g", "", c, reference=REF) for i, c in enumerate(["25+3*7", "25+7", "x"])
    ]
    rewards = [r or 0.0 for r in program.score(samples).reward_list()]
    assert rewards[0] > rewards[1] > rewards[2] or (shape == "gated" and rewards[0] > rewards[1])
