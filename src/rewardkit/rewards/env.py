"""The environment's own rewards of a multi-turn rollout, as one component: ``env_reward``.

Every host fills the same two sample meta keys: the built-in trainer (``train/multiturn.py``),
TRL's ``environment_factory`` (``get_reward``), verl's agent loop (``tool_rewards``,
``turn_scores``) and OpenRLHF's agents. ``env_reward`` reads them, so the environment's reward
composes, logs and schedules like any other component, and its per-turn values feed per-turn
credit (``advantage.turn_credit``).
"""

from __future__ import annotations

import math
from typing import Literal

from rewardkit.registry import Params, reward
from rewardkit.types import Sample, Score

__all__ = ["ENV_REWARD", "ENV_REWARDS", "EnvRewardParams", "env_reward"]

ENV_REWARDS = "env_rewards"
"""The sample meta key of a multi-turn rollout's turn rewards (one per assistant turn; None for
a turn the environment did not reward), filled by the built-in trainer (``train/multiturn.py``)
and by the hosts' agent integrations (TRL, OpenRLHF, verl)."""
ENV_REWARD = "env_reward"
"""The sample meta key of a host's own total of the environment's rewards for the rollout."""


class EnvRewardParams(Params):
    """How the turn rewards become the sample's value (their steps are the per-turn values)."""

    aggregate: Literal["sum", "mean"] = "sum"


@reward("env_reward", params=EnvRewardParams)
def env_reward(sample: Sample, p: EnvRewardParams) -> Score | None:
    """The environment's rewards: per-turn values from ``meta["env_rewards"]``.

    One step value per assistant turn (NaN for a turn the environment did not reward, e.g. the
    final answer). The value is the host's total ``meta["env_reward"]`` when it gives one, else
    the sum (or mean) of the rewarded turns. None when the environment rewarded nothing.

    >>> s = Sample(id="0", group="g", prompt="p", completion="c",
    ...            meta={"env_rewards": [1.0, 0.0, None]})
    >>> score = env_reward(s, EnvRewardParams(aggregate="mean"))
    >>> score.value, score.steps
    (0.5, (1.0, 0.0, nan))
    """
    turns = sample.meta.get(ENV_REWARDS) or ()
    total = sample.meta.get(ENV_REWARD)
    steps = tuple(math.nan if r is None else float(r) for r in turns)
    judged = [v for v in steps if not math.isnan(v)]
    if total is None and not judged:
        return None
    if total is not None:
        value = float(total)
    else:
        value = sum(judged) if p.aggregate == "sum" else sum(judged) / len(judged)
    return Score(value, steps=steps or None)
