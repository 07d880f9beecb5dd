"""reasoning-gym datasets as tasks: golden scores, ladder levels reach the generator, errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.rewards.reasoning_gym import ReasoningGymParams, reasoning_gym_score
from rewardkit.tasks import make_task
from rewardkit.tasks.base import problem
from rewardkit.types import Sample


def test_only_the_right_answer_is_paid_by_default() -> None:
    task = make_task("reasoning_gym:basic_arithmetic")
    p = task.make(np.random.default_rng(3), None)
    right = Sample(id="a", group="g", prompt=p.prompt, completion=p.answer, reference=p.reference)
    padded = replace(right, completion=p.answer + "1")  # the oracle is a substring of it
    assert reasoning_gym_score(right, ReasoningGymParams()) == 1.0
    assert reasoning_gym_score(padded, ReasoningGymParams()) == 0.0
    partial = reasoning_gym_score(padded, ReasoningGymParams(partial=True))
    assert partial == pytest.approx(len(p.answer) / (len(p.answer) + 1))  # reasoning-gym's value
    assert task.judge(p.reference, padded.completion)["success"] == 0.0


def test_a_reference_that_is_no_entry_is_unjudgeable() -> None:
    s = Sample(id="a", group="g", prompt="", completion="4", reference="4")
    with pytest.raises(UnjudgeableReference):
        reasoning_gym_score(s, ReasoningGymParams())


def test_ladder_levels_reach_the_generator_as_reasoning_gym_ranges() -> None:
    task = make_task("reasoning_gym:chain_sum", {"max_terms": 2, "max_digits": 1})
    assert task.config_for({"num_terms": 5}) == {"min_terms": 2, "max_terms": 5, "max_digits": 1}
    easy = [problem(task, 0, "train", i).reference["metadata"]["num_terms"] for i in range(40)]
    hard = [
        problem(task, 0, "train", i, levels={"num_terms": 5}).reference["metadata"]["num_terms"]
        for i in range(40)
    ]
    assert set(easy) == {2}
    assert set(hard) <= {2, 3, 4, 5} and max(hard) == 5


def test_unknown_dataset_and_builtin_attributes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean"):
        make_task("reasoning_gym:chain_summ")
    with pytest.raises(ConfigError, match="category"):
        problem(make_task("boxes"), 0, "train", 0, levels={"grid": 8})
