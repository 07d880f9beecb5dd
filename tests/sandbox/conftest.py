"""A shared sandbox pool for the sandbox tests, and a check that nothing is left behind."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from rewardkit.sandbox.pool import SandboxPool
from rewardkit.sandbox.reaper import descendants, processes_of_uid

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="isolation by uid and namespaces needs root")


def leftovers(pool: SandboxPool) -> list[int]:
    """Processes below the pool's workers, or running as its sandbox uids (should be none)."""
    found = [pid for w in pool.worker_pids() for pid in descendants(w)]
    found += [pid for uid in pool.sandbox_uids() for pid in processes_of_uid(uid)]
    return sorted(set(found))


@pytest.fixture(scope="session")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=2) as shared:
        yield shared
        assert leftovers(shared) == []
    for uid in shared.sandbox_uids():
        assert processes_of_uid(uid) == []
