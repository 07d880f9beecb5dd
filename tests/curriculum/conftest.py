"""Simulated arms with known learnability, shared by the bandit and UCB tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rewardkit.curriculum import ArmSampler, Outcome

ARMS = ["learnable", "flat1", "flat2", "flat3"]


def learnability(arm: str) -> float:
    """|advantage| of an arm's samples: the learnable arm 0.8, the others 0.05."""
    return 0.8 if arm == "learnable" else 0.05


def simulate_arms(
    curriculum: ArmSampler,
    steps: int,
    batch: int = 32,
    seed: int = 0,
    gain: Callable[[int, str], float] = lambda step, arm: learnability(arm),
) -> list[list[str]]:
    """Draw ``batch`` arms per step, give each sample +/- gain(step, arm) as advantage, observe."""
    rng = np.random.default_rng(seed)
    picks = []
    for step in range(steps):
        arms = curriculum.sample_arms(batch, rng)
        picks.append(arms)
        outcomes = [
            Outcome(arm, f"{step}-{i}", advantage=gain(step, arm) * (-1) ** i)
            for i, arm in enumerate(arms)
        ]
        curriculum.observe(step, outcomes)
    return picks


def share(picks: list[list[str]], arm: str) -> float:
    """Fraction of all picks that went to ``arm``."""
    return sum(p.count(arm) for p in picks) / sum(len(p) for p in picks)
