"""Finding and killing leftovers: process trees, uids, and the sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from rewardkit.sandbox.pool import UidLease
from rewardkit.sandbox.reaper import descendants, has_children, kill_uid, processes_of_uid, sweep

from .conftest import needs_root

pytestmark = pytest.mark.process

TREE = "import os, time\nfor _ in range(2):\n    if os.fork() == 0:\n        time.sleep(60)\ntime.sleep(60)"


def test_descendants_of_a_tree() -> None:
    parent = subprocess.Popen([sys.executable, "-c", TREE])
    try:
        deadline = time.monotonic() + 10
        while len(descendants(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        # Each child sleeps before going round the loop again: two children, no grandchild yet.
        assert len(descendants(parent.pid)) == 2
    finally:
        for pid in descendants(parent.pid):
            os.kill(pid, 9)
        parent.kill()
        parent.wait()


def test_sweep_kills_and_reaps_everything_below_a_subreaper() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, reports through its exit code
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # become a subreaper, as a worker is
        for _ in range(3):
            if os.fork() == 0:
                os.setsid()  # try to escape
                if os.fork() == 0:
                    time.sleep(60)
                os._exit(0)
        time.sleep(0.2)
        left = sweep(os.getpid(), None, deadline_s=5)
        os._exit(0 if not left and not has_children() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


@needs_root
def test_kill_uid_reaches_only_that_uid() -> None:
    lease = UidLease()
    victim = subprocess.Popen(["sleep", "60"], user=lease.uid, group=lease.uid)
    try:
        assert processes_of_uid(lease.uid) == [victim.pid]
        kill_uid(lease.uid)
        assert victim.wait(timeout=10) == -9
        assert processes_of_uid(lease.uid) == []
    finally:
        victim.kill()
        victim.wait()
        lease.release()
