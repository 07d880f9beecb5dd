"""The pool: order, concurrency, replacement of dead or hung workers, shutdown, uid leases."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from rewardkit.sandbox.limits import Limits
from rewardkit.sandbox.pool import SandboxPool, UidLease, available_cores, default_pool
from rewardkit.sandbox.protocol import RunRequest
from rewardkit.sandbox.reaper import processes_of_uid

from .conftest import leftovers, needs_root

pytestmark = pytest.mark.process

FAST = Limits(time_limit_s=2.0, memory_mb=256)


def test_results_come_back_in_request_order(pool: SandboxPool) -> None:
    requests = [RunRequest(f"print({i})", limits=FAST) for i in range(12)]
    assert [r.stdout for r in pool.run_many(requests)] == [f"{i}\n" for i in range(12)]


def test_runs_use_every_worker_at_once(pool: SandboxPool) -> None:
    sleepy = RunRequest("import time\ntime.sleep(0.4)", limits=FAST)
    pool.run_many([sleepy] * pool.size)  # warm: every worker started
    start = time.monotonic()
    results = pool.run_many([sleepy] * pool.size)
    assert all(r.ok for r in results)
    assert time.monotonic() - start < 0.4 * pool.size  # side by side, not one after another


def test_a_worker_killed_mid_run_is_replaced_and_the_run_says_so() -> None:
    with SandboxPool(workers=1) as pool:
        assert pool.run(RunRequest("print(1)", limits=FAST)).ok
        (worker,) = pool.worker_pids()
        timer = threading.Timer(0.3, os.kill, (worker, signal.SIGKILL))
        timer.start()
        result = pool.run(RunRequest("import time\ntime.sleep(5)", limits=Limits(time_limit_s=10)))
        timer.join()
        assert result.status == "sandbox_error" and "replaced" in result.detail
        assert pool.run(RunRequest("print(2)", limits=FAST)).stdout == "2\n"
        assert pool.replaced == 1 and pool.worker_pids() != [worker]
        uids = pool.sandbox_uids()
    for uid in uids:
        assert processes_of_uid(uid) == []


def test_a_worker_that_stops_answering_is_replaced() -> None:
    with SandboxPool(workers=1, answer_slack_s=0.3) as pool:
        assert pool.run(RunRequest("print(1)", limits=FAST)).ok
        (worker,) = pool.worker_pids()
        os.kill(worker, signal.SIGSTOP)
        result = pool.run(RunRequest("print(1)", limits=Limits(time_limit_s=0.2)))
        assert result.status == "sandbox_error" and "did not answer" in result.detail
        assert pool.run(RunRequest("print(3)", limits=FAST)).stdout == "3\n"
        assert leftovers(pool) == []


def test_shutdown_is_final_and_idempotent() -> None:
    pool = SandboxPool(workers=1)
    assert pool.run(RunRequest("print(1)", limits=FAST)).ok
    (worker,) = pool.worker_pids()
    pool.shutdown()
    pool.shutdown()
    assert not os.path.exists(f"/proc/{worker}")
    with pytest.raises(RuntimeError, match="shut down"):
        pool.run(RunRequest("print(1)"))


def test_workers_start_only_when_needed() -> None:
    with SandboxPool(workers=2) as pool:
        assert pool.worker_pids() == []


def test_default_pool_is_shared_within_a_process() -> None:
    assert default_pool() is default_pool()
    assert default_pool().size == available_cores()


@needs_root
def test_leases_are_distinct_and_released() -> None:
    first, second = UidLease(), UidLease()
    try:
        assert first.uid != second.uid
    finally:
        first.release()
    third = UidLease()  # the released uid is free again
    try:
        assert third.uid == first.uid
    finally:
        second.release()
        third.release()
