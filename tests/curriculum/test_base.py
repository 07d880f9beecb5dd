"""Outcome records and the shared sampling helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rewardkit.curriculum import Outcome, as_outcomes
from rewardkit.curriculum.base import accuracy_value, arm_of, draw, leader_shift, softmax
from rewardkit.errors import InputError


def test_outcome_from_mapping() -> None:
    o = Outcome.from_mapping(
        {
            "source": "gsm8k",
            "group": 7,
            "reward": 1,
            "advantage": "0.5",
            "correct": 1,
            "difficulty": {"level": 2},
        }
    )
    assert o == Outcome(
        "gsm8k", "7", reward=1.0, advantage=0.5, correct=True, difficulty={"level": 2}
    )


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ({"group": "g"}, "missing: \\['source'\\]"),
        ({"source": "s", "group": "g", "acc": 1}, "unknown: \\['acc'\\]"),
        ({"source": "s", "group": "g", "reward": "high"}, "reward must be a number"),
    ],
)
def test_malformed_outcome(row: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        as_outcomes([row])


@pytest.mark.parametrize(
    ("outcome", "source", "expected"),
    [
        (Outcome("s", "g", correct=True), "correct", 1.0),
        (Outcome("s", "g", correct=False), "correct", 0.0),
        (Outcome("s", "g", reward=0.3), "correct", None),
        (Outcome("s", "g", reward=0.3), "reward", 0.3),
        (Outcome("s", "g", reward=math.nan), "reward", None),
    ],
)
def test_accuracy_value(outcome: Outcome, source: str, expected: float | None) -> None:
    assert accuracy_value(outcome, source) == expected  # type: ignore[arg-type]


def test_softmax() -> None:
    assert softmax([0.0, math.log(3.0)], 1.0) == pytest.approx([0.25, 0.75])
    assert softmax([1000.0, 1000.0], 0.01) == [0.5, 0.5]  # no overflow


def test_draw_uses_the_callers_rng() -> None:
    probs = {"a": 0.5, "b": 0.5}
    assert draw(probs, 10, np.random.default_rng(5)) == draw(probs, 10, np.random.default_rng(5))
    assert draw({"a": 0.0, "b": 1.0}, 3, np.random.default_rng(0)) == ["b", "b", "b"]
    with pytest.raises(ValueError, match="n must be >= 0"):
        draw(probs, -1, np.random.default_rng(0))


def test_arm_of() -> None:
    assert arm_of(Outcome("s", "g"), "source") == "s"
    with pytest.raises(InputError, match="no difficulty\\['level'\\]"):
        arm_of(Outcome("s", "g"), "level")


def test_leader_shift_keeps_the_leader_on_ties() -> None:
    assert leader_shift("c", 0, {"a": 0.5, "b": 0.5}, "b") == ("b", [])
    leader, (event,) = leader_shift("c", 4, {"a": 0.3, "b": 0.7}, "a")
    assert (leader, event.step, event.kind, event.old, event.new) == ("b", 4, "shift", "a", "b")
    assert event.stats == {"p/a": 0.3, "p/b": 0.7}
