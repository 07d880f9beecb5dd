"""Per-step measures of the completions, on batches small enough to count by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.monitor.signals import StepSamples, from_scored, repeated_ngram_frac, step_signals
from rewardkit.types import Sample, ScoredBatch


def test_repetition_counts_repeated_4grams() -> None:
    assert repeated_ngram_frac("abcdabcd") == pytest.approx(1 - 4 / 5)  # abcd bcda cdab dabc abcd
    assert repeated_ngram_frac("abcdefgh") == 0.0


def test_unverified_share_and_steps() -> None:
    s = StepSamples(
        completions=["1+1=2\n=2", "x", "y", "1+1=2\n2+2=4\n=4"],
        groups=["a", "a", "b", "b"],
        rewards=[1.0, 0.5, 0.5, -1.0],
        correct=[True, False, False, False],
    )
    m = step_signals(s)
    # paid: 1.0 + 0.5 + 0.5 (negative rewards count as 0); wrong ones earn 1.0 of 2.0.
    assert m["monitor/unverified_share"] == 0.5
    assert m["monitor/steps_per_completion"] == (2 + 1 + 1 + 3) / 4
    assert m["monitor/identical_group_frac"] == 0.0


def test_dominance_is_the_within_group_share() -> None:
    # the root equals component "long"; "right" is constant within each group (no signal).
    s = StepSamples(
        completions=["a", "b", "c", "d"],
        groups=["g", "g", "h", "h"],
        rewards=[1.0, 0.0, 2.0, 1.0],
        components={"long": [1.0, 0.0, 1.0, 0.0], "right": [0.0, 0.0, 1.0, 1.0]},
    )
    m = step_signals(s)
    assert m["monitor/dominance/long"] == pytest.approx(1.0)
    assert m["monitor/dominance/right"] == 0.0


def test_from_scored_takes_the_root_children() -> None:
    samples = [Sample(id=str(i), group="g", prompt="p", completion=c) for i, c in enumerate("ab")]
    scored = ScoredBatch(
        samples=samples,
        values={
            "reward": np.array([1.0, 0.0]),
            "reward/fmt": np.array([1.0, 1.0]),
            "reward/fmt/inner": np.array([1.0, 1.0]),
            "reward/ans": np.array([1.0, 0.0]),
        },
        steps={},
        info={},
        failures=[],
    )
    s = from_scored(scored, [True, False])
    assert sorted(s.components) == ["ans", "fmt"]
    assert s.completions == ["a", "b"] and s.correct == [True, False]
