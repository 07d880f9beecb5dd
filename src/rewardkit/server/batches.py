"""Splitting a batch over workers without splitting a group, and merging the scored parts back.

>>> from rewardkit.types import Sample
>>> s = [Sample(id=str(i), group="ab"[i // 2], prompt="", completion="") for i in range(4)]
>>> split_by_group(s, 2)
[[0, 1], [2, 3]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rewardkit.advantage import Groups
from rewardkit.diagnostics import batch_metrics
from rewardkit.types import Sample, ScoredBatch


def split_by_group(samples: Sequence[Sample], parts: int) -> list[list[int]]:
    """Indices of ``samples`` in up to ``parts`` chunks of about equal size, no group split.

    Groups go largest first to the emptiest chunk.
    """
    groups: dict[str, list[int]] = {}
    for i, sample in enumerate(samples):
        groups.setdefault(sample.group, []).append(i)
    chunks: list[list[int]] = [[] for _ in range(max(1, parts))]
    for rows in sorted(groups.values(), key=len, reverse=True):
        min(chunks, key=len).extend(rows)
    return [sorted(c) for c in chunks if c]


def merge(parts: Sequence[ScoredBatch], order: Sequence[int]) -> ScoredBatch:
    """One ScoredBatch from parts scored apart; ``order[k]`` is the input row of merged row k.

    The batch statistics are computed again over the whole batch.
    """
    where = np.argsort(np.asarray(order))
    samples = [s for p in parts for s in p.samples]
    values = {k: np.concatenate([p.values[k] for p in parts])[where] for k in parts[0].values}
    steps = {
        k: _reorder([x for p in parts for x in p.steps.get(k, [None] * len(p.samples))], where)
        for k in {k for p in parts for k in p.steps}
    }
    info = {
        k: _reorder([x for p in parts for x in p.info.get(k, [{}] * len(p.samples))], where)
        for k in {k for p in parts for k in p.info}
    }
    ordered = _reorder(samples, where)
    failures = [f for p in parts for f in p.failures]
    unjudgeable = [u for p in parts for u in p.unjudgeable]
    metrics = batch_metrics(
        values, Groups.from_ids([s.group for s in ordered]), failures, unjudgeable
    )
    metrics["unjudgeable/skipped"] = sum(p.metrics.get("unjudgeable/skipped", 0.0) for p in parts)
    metrics.update({k: v for k, v in parts[0].metrics.items() if k.startswith("schedule/")})
    return ScoredBatch(ordered, values, steps, info, failures, parts[0].root, metrics, unjudgeable)


def _reorder(items: Sequence[Any], where: np.ndarray) -> list[Any]:
    return [items[int(i)] for i in where]
