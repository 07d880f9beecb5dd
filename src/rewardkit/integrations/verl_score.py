"""verl's ``custom_reward_function`` from a RewardProgram: one sample at a time, in verl's reward
workers, with the variables of the shared schedule state (``rewardkit.replica.StateReplica``).

>>> score = make_compute_score({"reward": {"fn": "exact_match"}})
>>> score("gsm8k", "4", "4")
{'score': 1.0, 'reward/applies': 1.0}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rewardkit.program import RewardProgram
from rewardkit.replica import StateReplica
from rewardkit.rewards.env import ENV_REWARD
from rewardkit.types import Sample


def flat_values(scored: Any, row: int, missing: float) -> dict[str, float]:
    """``score`` plus every node's value and ``<path>/applies``: one key set for every sample."""
    out: dict[str, float] = {}
    for path, column in scored.values.items():
        value = float(column[row])
        applies = not math.isnan(value)
        if path == scored.root:
            out["score"] = value if applies else missing
        else:
            out[path] = value if applies else missing
        out[f"{path}/applies"] = float(applies)
    return out


def make_compute_score(
    config: RewardProgram | Mapping[str, Any] | str | Path,
    server: str | None = None,
    token: str | None = None,
    actor: bool | str = False,
    missing: float = 0.0,
) -> Callable[..., dict[str, float]]:
    """A verl ``custom_reward_function``: ``(data_source, solution_str, ground_truth, extra_info,
    **kwargs) -> {"score": ..., <path>: ..., <path>/applies: 0|1}``, the same keys for every sample.

    A node that does not apply (None) gets ``missing`` and ``<path>/applies = 0``. The sample's
    ``meta`` is ``extra_info`` plus ``data_source``; its group is ``extra_info["uid"]`` if given.
    From verl's tool agent loop, ``extra_info`` carries ``turn_scores`` and ``tool_rewards``:
    their sum is ``meta["env_reward"]`` (the per-turn values need the response mask, which
    only the reward manager sees: ``verl_agent``). Each call first syncs the schedule state
    (``StateReplica.sync``); ``compute_score.score_sample(sample)`` scores a Sample built
    elsewhere the same way.

    >>> f = make_compute_score({"reward": {"fn": "exact_match"}})
    >>> f(data_source="d", solution_str="5", ground_truth="4")["score"]
    0.0
    """
    shared = StateReplica.connect(config, server, token, actor)

    def score_sample(sample: Sample) -> dict[str, float]:
        shared.sync()
        return flat_values(shared.program.score([sample]), 0, missing)

    def compute_score(
        data_source: str,
        solution_str: str,
        ground_truth: Any,
        extra_info: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, float]:
        meta = {k: v for k, v in (extra_info or {}).items() if _plain(v)}
        meta["data_source"] = data_source
        if meta.get("turn_scores") or meta.get("tool_rewards"):  # verl's tool agent loop
            total = sum(map(float, meta.get("turn_scores") or ()))
            meta[ENV_REWARD] = total + sum(map(float, meta.get("tool_rewards") or ()))
        sample = Sample(
            id=str(meta.get("index", "0")),
            group=str(meta.get("uid", "0")),
            prompt=str(meta.get("prompt", "")),
            completion=solution_str,
            reference=ground_truth,
            meta=meta,
        )
        return score_sample(sample)

    compute_score.shared = shared  # type: ignore[attr-defined]
    compute_score.score_sample = score_sample  # type: ignore[attr-defined]
    return compute_score


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
