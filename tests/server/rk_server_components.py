"""Reward components for the server tests, importable by spawned workers as
``rk_server_components:<name>`` (the tests put this folder on sys.path)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from rewardkit.registry import Params, reward
from rewardkit.types import Sample


def slow(sample: Sample, p: Params) -> float:
    """Sleeps ``meta["sleep"]`` seconds, then returns ``meta["v"]`` (default 1.0)."""
    time.sleep(float(sample.meta.get("sleep", 0.0)))
    return float(sample.meta.get("v", 1.0))


def explode(sample: Sample, p: Params) -> float:
    """Raises when ``meta["boom"]`` is set; else 1.0."""
    if sample.meta.get("boom"):
        raise RuntimeError(f"boom on {sample.id}")
    return 1.0


@reward("rk_group_count", batched=True)
def group_count(samples: Sequence[Sample], p: Params) -> list[float]:
    """One call for the batch: each sample's reward is how many samples of the call share its
    group (a groupwise component's view), after sleeping the longest ``meta["sleep"]``."""
    time.sleep(max(float(s.meta.get("sleep", 0.0)) for s in samples))
    sizes = Counter(s.group for s in samples)
    return [float(sizes[s.group]) for s in samples]
