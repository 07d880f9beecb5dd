"""Rewards -> per-sample and per-token advantages."""

from rewardkit.advantage.estimators import (
    EPS,
    EPS_PRESETS,
    ESTIMATORS,
    batch_std,
    dr_grpo,
    gdpo,
    grpo,
    resolve_eps,
    rloo,
)
from rewardkit.advantage.groups import Groups
from rewardkit.advantage.tokens import step_advantages, token_advantages, token_step_index

__all__ = [
    "EPS",
    "EPS_PRESETS",
    "ESTIMATORS",
    "Groups",
    "batch_std",
    "dr_grpo",
    "gdpo",
    "grpo",
    "resolve_eps",
    "rloo",
    "step_advantages",
    "token_advantages",
    "token_step_index",
]
