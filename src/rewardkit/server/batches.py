"""Splitting a batch over workers without splitting a group, and merging the scored parts back.

>>> from rewardkit.types import Sample
>>> s = [Sample(id=str(i), group="ab"[i // 2], prompt="", completion="") for i in range(4)]
>>> split_by_group(s, 2)
[[0, 1], [2, 3]]
"""

from __future__ import annotations

from collections.abc import Sequence

from rewardkit.types import Sample


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
