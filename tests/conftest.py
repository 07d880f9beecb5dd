"""Shared test helpers: components whose output each test controls through ``sample.meta``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from rewardkit.registry import Params, reward
from rewardkit.types import Sample, Score


class MetaParams(Params):
    key: str = "v"
    scale: float = 1.0


@reward("test_meta", params=MetaParams)
def test_meta(sample: Sample, p: MetaParams) -> Score | float | None:
    """Returns meta[key] * scale; meta 'steps' become Score.steps; meta 'raise' raises."""
    if sample.meta.get("raise"):
        raise ValueError(f"asked to fail on {sample.id}")
    value = sample.meta.get(p.key)
    if value is None:
        return None
    steps = sample.meta.get("steps")
    if steps is not None:
        return Score(value * p.scale, steps=tuple(steps), info={"spans": sample.meta.get("spans")})
    return value * p.scale


def samples(rows: Sequence[dict[str, Any]], group_size: int = 0) -> list[Sample]:
    """Samples from meta rows; with group_size > 0 consecutive rows share a group."""
    out = []
    for i, meta in enumerate(rows):
        group = f"g{i // group_size}" if group_size else str(meta.get("group", "g0"))
        out.append(Sample(id=f"s{i}", group=group, prompt="p", completion="c", meta=meta))
    return out


@pytest.fixture
def make_samples() -> Any:
    return samples
