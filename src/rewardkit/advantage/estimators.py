"""Rewards -> per-sample advantages. A sample whose reward is None (NaN) is left out of every
baseline and gets advantage 0 (no gradient), never the advantage of a 0 reward.

Estimators (``r`` reward, ``g`` the sample's group, std with ddof=1 as in TRL and verl):

- ``grpo``:     (r - mean_g) / (std_g + eps)
- ``dr_grpo``:  r - mean_g                              (Dr. GRPO: no std scaling)
- ``batch_std``: (r - mean_g) / (std_batch + eps)       (TRL's scale_rewards="batch")
- ``rloo``:     r - mean of the other applicable samples of the group
- ``gdpo``:     each component normalised within its group (grpo), weighted sum, then
                normalised over the batch (GDPO, in TRL and verl)

``eps`` is added to the standard deviation before dividing, in every estimator that divides
(both stages of ``gdpo``). It only matters for a group whose rewards differ by about ``eps`` or
less: a group whose rewards are all equal gets 0 whatever ``eps`` is (``r - mean`` is 0). The peers
use different values, by name in ``EPS_PRESETS``: TRL 1.16's GRPOTrainer adds ``1e-4``; verl 0.9.1's
``core_algos`` adds ``1e-6`` (its GDPO's batch stage instead whitens with ``1e-8`` under the square
root, see docs/conformance.md). The default ``EPS`` is verl's ``1e-6``: advantages stay z-scores
(within 1%), whatever the scale of the reward, for any group std of at least ``1e-4``; TRL's value
shrinks the advantages of a group with std ``5e-4`` by a sixth and of one with std ``1e-4`` by half
(a reward in [0, 1e-3], a length penalty per token, a probability from a confident judge).

>>> grpo(np.array([1.0, 0.0, 1.0, 1.0]), Groups.from_ids("aabb")).round(4).tolist()
[0.7071, -0.7071, 0.0, 0.0]
>>> low = np.array([0.0, 1e-4, 0.0, 0.0])  # std 5e-5: eps decides the scale
>>> grpo(low, Groups.from_ids("aaaa"), eps=EPS_PRESETS["trl"]).round(4).tolist()
[-0.1667, 0.5, -0.1667, -0.1667]
>>> grpo(low, Groups.from_ids("aaaa"), eps=EPS_PRESETS["verl"]).round(4).tolist()
[-0.4902, 1.4706, -0.4902, -0.4902]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rewardkit.advantage.groups import Groups
from rewardkit.errors import ConfigError, did_you_mean

EPS_PRESETS: dict[str, float] = {"trl": 1e-4, "verl": 1e-6}
"""A peer's eps, by name: what it adds to the std before dividing (TRL 1.16, verl 0.9.1)."""

EPS = EPS_PRESETS["verl"]


def resolve_eps(eps: float | str) -> float:
    """The positive number an eps setting stands for: a number, or a preset name.

    >>> resolve_eps("trl"), resolve_eps(1e-3)
    (0.0001, 0.001)
    """
    if isinstance(eps, str):
        if eps in EPS_PRESETS:
            return EPS_PRESETS[eps]
        close = did_you_mean(eps, EPS_PRESETS)
        hint = f" (did you mean {close}?)" if close else ""
        names = ", ".join(f"{k} ({v:g})" for k, v in EPS_PRESETS.items())
        raise ConfigError(f"unknown eps preset {eps!r}{hint}; use a positive number or {names}")
    if isinstance(eps, bool) or not eps > 0 or not np.isfinite(eps):
        raise ConfigError(f"eps must be a positive number or a preset name, got {eps!r}")
    return float(eps)


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
