"""The task reward components, registered through the ``rewardkit.rewards`` entry point.

``rewardkit components``, ``check``, ``score`` and the trainer find them by name without an
import: the registry loads this module the first time it looks a name up.

- ``countdown`` (``tasks/countdown.py``): the countdown tiers (parses, allowed numbers, target);
- ``workflow_integrity`` (``tasks/workflow.py``): the edges of a workflow graph join known nodes;
- ``chain_step`` (below): each step of a ``chain`` answer checked against the prompt's step;
- ``env_reward`` (below): a multi-turn environment's turn rewards as per-turn values.

Like ``rewards/``, it imports neither torch nor transformers.

>>> from rewardkit import registry
>>> {"countdown", "workflow_integrity", "chain_step", "env_reward"} <= set(registry.names())
True
"""

from __future__ import annotations

import math
from typing import Literal

from rewardkit.registry import Params, reward
from rewardkit.rewards.process import Aggregate, StepCheckParams, StepParams, step_check
from rewardkit.tasks import countdown, workflow  # noqa: F401  (imported to register)
from rewardkit.types import Sample, Score

CHECK_STEP = "rewardkit.tasks.chain:check_step"


class ChainStepParams(StepParams):
    """How steps are cut (as in ``step_check``) and how their values become one."""

    aggregate: Aggregate = "mean"


@reward("chain_step", params=ChainStepParams)
def chain_step(sample: Sample, p: ChainStepParams) -> Score | None:
    """Chain task: each step is the prompt's next operation, done right (step values per step).

    ``step_check`` with ``verifier: function`` and ``fn_ref: rewardkit.tasks.chain:check_step``.

    >>> s = Sample(id="0", group="g", prompt="7 +5 *3\\n", completion="7+5=12\\n12*3=35\\n=35")
    >>> score = chain_step(s, ChainStepParams())
    >>> score.value, score.steps
    (0.5, (1.0, 0.0, nan))
    """
    check = StepCheckParams(**p.model_dump(), verifier="function", fn_ref=CHECK_STEP)
    return step_check(sample, check)


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
