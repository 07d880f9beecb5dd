"""Rewards -> per-sample, per-turn and per-token advantages, and their layout for a policy loss."""

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
from rewardkit.advantage.turns import TURN_CREDITS, TurnCredit, returns_to_go, turn_advantages

__all__ = [
    "EPS",
    "EPS_PRESETS",
    "ESTIMATORS",
    "TURN_CREDITS",
    "Advantages",
    "Groups",
    "TurnCredit",
    "advantage_matrix",
    "batch_std",
    "dr_grpo",
    "gdpo",
    "grpo",
    "resolve_eps",
    "returns_to_go",
    "rloo",
    "step_advantages",
    "step_values_path",
    "token_advantages",
    "token_step_index",
    "turn_advantages",
]
