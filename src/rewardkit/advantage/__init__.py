"""Rewards -> per-sample and per-token advantages, and their layout for a policy loss."""

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
from rewardkit.advantage.matrix import Advantages, advantage_matrix
from rewardkit.advantage.tokens import (
    step_advantages,
    step_values_path,
    token_advantages,
    token_step_index,
)

__all__ = [
    "EPS",
    "EPS_PRESETS",
    "ESTIMATORS",
    "Advantages",
    "Groups",
    "advantage_matrix",
    "batch_std",
    "dr_grpo",
    "gdpo",
    "grpo",
    "resolve_eps",
    "rloo",
    "step_advantages",
    "step_values_path",
    "token_advantages",
    "token_step_index",
]
