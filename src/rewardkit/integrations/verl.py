"""rewardkit inside verl 0.9.1: a ``custom_reward_function``, a group-aware reward manager, the
``rewardkit_dual`` advantage estimator, a config check and the step's observe (docs/verl.md).

verl scores in many ``RewardLoopWorker`` Ray actors, one sample at a time; module globals are per
worker, so the schedule variables come from one shared state: a ``rewardkit serve`` server
(``server=URL``) or the named Ray actor of ``rewardkit.server.ray_serve`` (``actor=True``), read
through a ``rewardkit.replica.StateReplica``. This module gathers the pieces; each lives in its
own module, and imports point one way: ``verl`` -> ``verl_manager`` -> ``verl_estimator``,
``verl_score``, ``verl_config``. Nothing here imports verl, ray or torch until it is called.

>>> score = make_compute_score({"reward": {"fn": "exact_match"}})
>>> score("gsm8k", "4", "4")
{'score': 1.0, 'reward/applies': 1.0}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rewardkit.integrations.verl_config import VerlConfigWarning, check_verl_config
from rewardkit.integrations.verl_estimator import dense_rewards, dual_advantages
from rewardkit.integrations.verl_estimator import register_estimators as _register
from rewardkit.integrations.verl_manager import build_manager
from rewardkit.integrations.verl_score import make_compute_score
from rewardkit.integrations.verl_steps import observe_step, reward_metrics
from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica, StateUnreachable

__all__ = [
    "StateReplica",
    "StateUnreachable",
    "VerlConfigWarning",
    "check_verl_config",
    "dense_rewards",
    "dual_advantages",
    "make_compute_score",
    "observe_step",
    "register_estimators",
    "reward_manager",
    "reward_metrics",
]


def register_estimators(
    config: StateReplica | RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> list[str]:
    """Register ``rewardkit_dual`` with verl in this process (the trainer's: the TaskRunner
    actor); loading rewardkit's reward manager does it already. Needs verl and torch."""
    if isinstance(config, StateReplica):
        return _register(config)
    return _register(StateReplica.connect(config, server, token, actor))


def reward_manager(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
) -> type:
    """A verl reward manager class (``reward.reward_manager.source=importlib``) scoring whole
    groups by uid; see ``rewardkit.integrations.verl_manager``. Needs verl."""
    return build_manager(config, server, token, actor)
