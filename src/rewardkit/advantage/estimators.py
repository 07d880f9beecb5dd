"""Rewards -> per-sample advantages. A sample whose reward is None (NaN) is left out of every
baseline and gets advantage 0 (no gradient), never the advantage of a 0 reward.

Estimators (``r`` reward, ``g`` the sample's group, std with ddof=1 as in TRL and verl):

- ``grpo``:     (r - mean_g) / (std_g + eps)
- ``dr_grpo``:  r - mean_g                              (Dr. GRPO: no std scaling)
- ``batch_std``: (r - mean_g) / (std_batch + eps)       (TRL's scale_rewards="batch")
- ``rloo``:     r - mean of the other applicable samples of the group
- ``gdpo``:     each component normalised within its group (grpo), weighted sum, then
                normalised over the batch (GDPO, in TRL and verl)

>>> grpo(np.array([1.0, 0.0, 1.0, 1.0]), Groups.from_ids("aabb")).round(4).tolist()
[0.7071, -0.7071, 0.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rewardkit.advantage.groups import Groups

EPS = 1e-6


def _finish(adv: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    # Samples that did not apply, and groups with a single value, carry no signal.
    return np.where(np.isnan(rewards) | np.isnan(adv), 0.0, adv)


def grpo(rewards: np.ndarray, groups: Groups, eps: float = EPS) -> np.ndarray:
    """Group-normalised advantages: (r - group mean) / (group std + eps)."""
    std = np.nan_to_num(groups.std(rewards), nan=0.0)
    return _finish((rewards - groups.mean(rewards)) / (std + eps), rewards)


def dr_grpo(rewards: np.ndarray, groups: Groups, eps: float = EPS) -> np.ndarray:
    """Group-mean baseline without std scaling (Dr. GRPO)."""
    del eps
    centred = rewards - groups.mean(rewards)
    return _finish(np.where(groups.sizes(rewards) >= 2, centred, 0.0), rewards)


def batch_std(rewards: np.ndarray, groups: Groups, eps: float = EPS) -> np.ndarray:
    """Group-mean baseline, scaled by the std of the whole batch."""
    ok = rewards[~np.isnan(rewards)]
    std = float(ok.std(ddof=1)) if ok.size >= 2 else 0.0
    centred = np.where(groups.sizes(rewards) >= 2, rewards - groups.mean(rewards), 0.0)
    return _finish(centred / (std + eps), rewards)


def rloo(rewards: np.ndarray, groups: Groups, eps: float = EPS) -> np.ndarray:
    """Leave-one-out baseline: r_i minus the mean of the group's other applicable rewards."""
    del eps
    n = groups.sizes(rewards)
    with np.errstate(invalid="ignore", divide="ignore"):
        adv = n / (n - 1) * (rewards - groups.mean(rewards))
    return _finish(np.where(n >= 2, adv, 0.0), rewards)


def gdpo(
    components: Sequence[np.ndarray],
    weights: Sequence[float],
    rewards: np.ndarray,
    groups: Groups,
    eps: float = EPS,
) -> np.ndarray:
    """Per-component group normalisation, weighted sum, then batch normalisation.

    A component that does not apply to a sample contributes 0 to that sample's sum.
    """
    total = np.zeros(len(rewards))
    for column, weight in zip(components, weights, strict=True):
        total += weight * np.nan_to_num(grpo(column, groups, eps))
    total = np.where(np.isnan(rewards), np.nan, total)
    ok = total[~np.isnan(total)]
    if ok.size >= 2:
        total = (total - ok.mean()) / (ok.std(ddof=1) + eps)
    return _finish(total, rewards)


ESTIMATORS: dict[str, Callable[[np.ndarray, Groups, float], np.ndarray]] = {
    "grpo": grpo,
    "dr_grpo": dr_grpo,
    "batch_std": batch_std,
    "rloo": rloo,
}
