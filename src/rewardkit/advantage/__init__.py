"""Rewards -> per-sample and per-token advantages."""

from rewardkit.advantage.estimators import ESTIMATORS, batch_std, dr_grpo, gdpo, grpo, rloo
from rewardkit.advantage.groups import Groups
from rewardkit.advantage.tokens import step_advantages, token_advantages, token_step_index

__all__ = [
    "ESTIMATORS",
    "Groups",
    "batch_std",
    "dr_grpo",
    "gdpo",
    "grpo",
    "rloo",
    "step_advantages",
    "token_advantages",
    "token_step_index",
]
