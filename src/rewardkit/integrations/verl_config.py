"""What a verl 0.9.1 config must say for rewardkit, checked before training.

verl's ``main_ppo`` reads the reward section under ``reward.*``. Older key names
(``reward_model.reward_manager``, top-level ``custom_reward_function``, ...) still validate,
because the generated config keeps them with null defaults, but only verl's fully-async entry
point migrates them (``migrate_legacy_reward_impl``): under ``main_ppo`` they are ignored. And
``rewardkit_dual`` exists in verl's registry only where rewardkit's reward manager was loaded.

>>> check_verl_config({"algorithm": {"adv_estimator": "grpo"}, "reward": {}})
[]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from rewardkit.errors import ConfigError

LEGACY_KEYS = {
    "reward_model.reward_manager": "reward.reward_manager.name",
    "reward_model.num_workers": "reward.num_workers",
    "reward_model.reward_loop_source": "reward.reward_manager.source",
    "reward_model.reward_loop_module_path": "reward.reward_manager.module.path",
    "reward_model.reward_loop_class_name": "reward.reward_manager.name",
    "reward_model.enable": "reward.reward_model.enable",
    "reward_model.model.path": "reward.reward_model.model_path",
    "reward_model.reward_kwargs": "reward.reward_kwargs",
    "custom_reward_function.path": "reward.custom_reward_function.path",
    "custom_reward_function.name": "reward.custom_reward_function.name",
    "sandbox_fusion.url": "reward.sandbox_fusion.url",
}
"""Older verl key -> the key ``main_ppo`` reads (verl 0.9.1, ``reward_loop.py:39-92``)."""

DUAL = "rewardkit_dual"
KL_IN_REWARD = (
    "algorithm.use_kl_in_reward=true with algorithm.adv_estimator=rewardkit_dual: verl subtracts "
    "a KL penalty from every token reward before the estimator reads rewardkit's layout (outcome "
    "on the last token, step values on their tokens), so the advantages are no longer "
    "program.advantages (they move by up to the penalty's size). Set "
    "algorithm.use_kl_in_reward=false and put the KL in the loss (actor_rollout_ref.actor."
    "use_kl_loss=true)"
)


class VerlConfigWarning(UserWarning):
    """A verl setting that validates but does not do what it looks like with rewardkit."""


def setting(config: Any, key: str) -> Any:
    """The value at dotted ``key`` of a verl config (an OmegaConf DictConfig or a mapping), or
    None where any part is missing.

    >>> setting({"algorithm": {"adv_estimator": "grpo"}}, "algorithm.adv_estimator")
    'grpo'
    """
    node = config
    for part in key.split("."):
        if node is None or not hasattr(node, "get"):
            return None
        node = node.get(part)
    return node


def check_verl_config(config: Any) -> list[str]:
    """Check a verl config for rewardkit: raise a ``ConfigError`` for ``rewardkit_dual`` without
    rewardkit's reward manager (verl would say only "Unknown advantage estimator"), and warn
    (``VerlConfigWarning``, also returned) for older key names ``main_ppo`` ignores and for a KL
    penalty in the reward under ``rewardkit_dual``. rewardkit's manager calls it; call it in your
    launch script too, before ``run_ppo``.

    >>> check_verl_config({"custom_reward_function": {"path": "r.py"}})  # doctest: +ELLIPSIS
    ['custom_reward_function.path is an older verl key: main_ppo ignores it; set reward.custom...]
    """
    notes = [
        f"{old} is an older verl key: main_ppo ignores it; set {new} instead"
        for old, new in LEGACY_KEYS.items()
        if setting(config, old) is not None
    ]
    if setting(config, "algorithm.adv_estimator") == DUAL:
        if setting(config, "reward.reward_manager.source") != "importlib":
            raise ConfigError(
                [
                    (
                        "algorithm.adv_estimator",
                        "rewardkit_dual is registered in verl's trainer process when verl loads "
                        "rewardkit's reward manager; without it verl stops with 'Unknown advantage "
                        "estimator'. Set reward.reward_manager.source=importlib, "
                        "reward.reward_manager.name=RewardManager and "
                        "reward.reward_manager.module.path=<your reward module> (RewardManager = "
                        "reward_manager(CONFIG, server=...)), or use adv_estimator=grpo",
                    )
                ]
            )
        if setting(config, "algorithm.use_kl_in_reward"):
            notes.append(KL_IN_REWARD)
    for note in notes:
        warnings.warn(note, VerlConfigWarning, stacklevel=2)
    return notes


def kl_in_reward(algorithm: Mapping[str, Any] | Any) -> bool:
    """Whether verl's algorithm config (what an estimator receives) puts a KL penalty in the
    reward."""
    return bool(setting(algorithm, "use_kl_in_reward"))
