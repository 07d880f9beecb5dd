"""Components that fail in the ways a verifier fails, for tests/server/test_failures.py:
importable by the scoring workers as ``rk_failure_components:<name>`` (the server tests put this
folder on sys.path)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from rewardkit.registry import Params, reward
from rewardkit.types import Sample


def hang_or_die(sample: Sample, p: Params) -> float | None:
    """``meta``: ``sleep`` seconds first; ``die``: the process exits; ``boom``: raises;
    ``none``: does not apply; else ``v`` (default 1.0)."""
    time.sleep(float(sample.meta.get("sleep", 0.0)))
    if sample.meta.get("die"):
        os._exit(3)
    if sample.meta.get("boom"):
        raise RuntimeError(f"boom on {sample.id}")
    if sample.meta.get("none"):
        return None
    return float(sample.meta.get("v", 1.0))


@reward("rk_batch_sleep", batched=True)
def batch_sleep(samples: Sequence[Sample], p: Params) -> list[float]:
    """One call for the batch: sleeps the longest ``meta["sleep"]`` of its samples."""
    time.sleep(max(float(s.meta.get("sleep", 0.0)) for s in samples))
    return [float(s.meta.get("v", 1.0)) for s in samples]
