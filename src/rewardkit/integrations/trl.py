"""rewardkit inside TRL's ``GRPOTrainer`` (trl 1.16), in three levels.

1. ``reward_funcs(program)`` (``trl_rewards``): TRL reward functions, one per top-level
   component of a weighted root, and their ``reward_weights``. Rewards only: on their own they
   warn when the program has schedules or curricula, which nothing would advance.
2. ``RewardKitCallback(program)`` (``trl_callback``): runs the one step protocol
   (``rewardkit.protocol.StepProtocol``) once per optimizer step on the batch gathered across
   ranks (the same metrics on every rank, never an evaluation batch), logs every node's
   diagnostics and the schedule variables and events, and saves and restores the protocol's
   state with TRL checkpoints.
3. ``RewardKitGRPOTrainer`` (``trl_trainer``): scores whole gathered groups and trains on
   rewardkit's (per-token) advantages, which the callback's protocol step then uses as they are.

With TRL's tools (``tools=``, ``environment_factory=``) the completions are trajectories, scored
as one Sample each (``trl_agents``); ``reward_in_program(factory)`` keeps an environment's
``get_reward`` out of TRL's own columns so that it reaches training once, as the program's
``env_reward`` component (``RewardKitGRPOTrainer`` wraps the factory itself).

This module is the public door: it re-exports the three and ``reward_in_program``. Imports point one way, from here down
(``trl_trainer`` -> ``trl_callback`` -> ``trl_rewards`` -> ``trl_samples`` -> ``trl_agents``); the subclass is
loaded on first use, because it imports TRL's ``GRPOTrainer``.

A sketch (see ``examples/trl_grpo.py`` for a complete script)::

    program = RewardProgram.from_yaml("reward.yaml")
    funcs, weights = reward_funcs(program, reference_column="answer")
    trainer = GRPOTrainer(model=..., reward_funcs=funcs, train_dataset=...,
                          args=GRPOConfig(reward_weights=weights, ...),
                          callbacks=[RewardKitCallback(program)])
"""

from __future__ import annotations

from typing import Any

from rewardkit.integrations.trl_agents import reward_in_program
from rewardkit.integrations.trl_callback import RewardKitCallback, window_means
from rewardkit.integrations.trl_rewards import ComponentReward, reward_funcs

__all__ = [
    "ComponentReward",
    "RewardKitCallback",
    "reward_funcs",
    "reward_in_program",
    "window_means",
]
# + RewardKitGRPOTrainer, loaded on first use (module ``__getattr__``)


def __getattr__(name: str) -> Any:
    if name == "RewardKitGRPOTrainer":  # imports TRL's GRPOTrainer: only when asked for
        from rewardkit.integrations.trl_trainer import RewardKitGRPOTrainer

        return RewardKitGRPOTrainer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
