"""Reward components for the server tests, importable by spawned workers as
``rk_server_components:<name>`` (the tests put this folder on sys.path)."""

from __future__ import annotations

import time

from rewardkit.registry import Params
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
