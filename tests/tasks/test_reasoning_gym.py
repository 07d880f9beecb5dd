"""reasoning-gym datasets as tasks: golden scores, ladder levels reach the generator, errors."""

from __future__ import annotations

import numpy as np
import pytest

from rewardkit.errors import ConfigError, UnjudgeableReference
from rewardkit.rewards.reasoning_gym import ReasoningGymParams, reasoning_gym_score
from rewardkit.tasks import make_task
from rewardkit.types import Sample


def test_a_reference_that_is_no_entry_is_unjudgeable() -> None:
    s = Sample(id="a", group="g", prompt="", completion="4", reference="4")
    with pytest.raises(UnjudgeableReference):
        reasoning_gym_score(s, ReasoningGymParams())


def test_unknown_dataset_and_builtin_attributes_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean"):
        make_task("reasoning_gym:chain_summ")
    with pytest.raises(ConfigError, match="category"):
        make_task("boxes").make(np.random.default_rng(0), None, {"grid": 8})
