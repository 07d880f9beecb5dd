"""A pool of pre-started sandbox workers: one per core, each running one program at a time.

``run_many`` sends the tests of one program to one worker together (its runner compiles the
program once and forks it per test), splitting a program when that keeps idle workers busy.
Once a run of a stop group (``RunRequest.stop_group``) times out, the group's runs not yet sent
are answered ``timeout``/``skipped`` without running (the runner does the same within a batch).
A worker that dies or stops answering is killed and replaced; its request gets a
``sandbox_error`` result that says so. As root, each worker slot leases its own unprivileged uid
(a lock file under ``/run/rewardkit-sandbox``), so that process limits are per slot and a sweep
of that uid reaches exactly what the slot's runs left behind.

>>> with SandboxPool(workers=1) as pool:  # doctest: +SKIP
...     pool.run(RunRequest(code="print(6 * 7)")).stdout
'42\\n'
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from rewardkit.errors import WorkerLost
from rewardkit.sandbox import frames, limits, reaper
from rewardkit.sandbox.protocol import ExecResult, RunRequest, TimeoutGroups, batch_message
from rewardkit.sandbox.uids import UidLease

WORKER_SCRIPT = str(Path(__file__).with_name("worker.py"))
MAX_BATCH = 32
"""Most tests of one program sent to a worker at once."""
START_TIMEOUT_S = 30.0
ANSWER_SLACK_S = 10.0
"""How long past a run's time limit the pool waits for the worker's answer before replacing it."""


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class WorkerProcess:
    """One running worker: a clean interpreter talking the frame protocol over pipes."""

    def __init__(self, uid: int | None):
        self.uid = uid
        args = [sys.executable, "-I", "-B", WORKER_SCRIPT]
        if uid is not None:
            args += ["--uid", str(uid)]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Nothing of ours leaks in. LD_BIND_NOW: C symbols are resolved once in the worker,
            # not again (a written, copied page) in every forked runner and test.
            env={"PATH": limits.CHILD_PATH, "LANG": "C.UTF-8", "LD_BIND_NOW": "1"},
            close_fds=True,
            start_new_session=True,
        )
        self._stdin: IO[bytes] = self.process.stdin  # type: ignore[assignment]
        self._stdout: IO[bytes] = self.process.stdout  # type: ignore[assignment]
        ready = self._read(time.monotonic() + START_TIMEOUT_S)
        self.isolation: dict[str, Any] = ready.get("isolation", {})

    def call(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one request and wait for its answer; WorkerLost if it does not come."""
        try:
            frames.write_frame(self._stdin.fileno(), message)
        except OSError as exc:
            raise WorkerLost(f"worker {self.process.pid} is gone ({exc})") from None
        return self._read(time.monotonic() + timeout_s)

    def _read(self, deadline: float) -> dict[str, Any]:
        try:
            answer = frames.read_frame(self._stdout.fileno(), deadline)
        except TimeoutError:
            raise WorkerLost(f"worker {self.process.pid} did not answer in time") from None
        except OSError as exc:
            raise WorkerLost(f"worker {self.process.pid} failed: {exc}") from None
        if answer is None:
            raise WorkerLost(f"worker {self.process.pid} exited (status {self.process.poll()})")
        return answer

    def close(self, timeout_s: float = 5.0) -> bool:
        """Ask the worker to exit (it sweeps its runs); kill it if it does not. True if clean."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stdout.close()
        return self.process.returncode == 0

    def kill(self) -> None:
        """Kill the worker and every process below it (its runs, and what they spawned)."""
        for pid in [self.process.pid, *reaper.descendants(self.process.pid)]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()


class SandboxPool:
    """Pre-started workers, as many as cores by default; ``run_many`` runs requests concurrently.

    Safe to share between threads. Use as a context manager, or call ``shutdown``.

    >>> SandboxPool(workers=2).size
    2
    """

    def __init__(self, workers: int | None = None, answer_slack_s: float = ANSWER_SLACK_S):
        self.size = workers or available_cores()
        self.answer_slack_s = answer_slack_s
        self._root = os.geteuid() == 0
        self._idle: queue.Queue[tuple[WorkerProcess | None, UidLease | None]] = queue.Queue()
        self._leases: list[UidLease] = []
        self._unswept: set[int] = set()  # uids whose worker was killed, not yet swept
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self.replaced = 0
        """How many workers were replaced after dying or hanging."""
        self.isolation: dict[str, Any] = {}
        """What the last started worker reported: network, ipc, mounts, subreaper, uid."""
        for _ in range(self.size):
            self._idle.put((None, None))  # started on first use

    def run(self, request: RunRequest) -> ExecResult:
        """Run one request on the next free worker."""
        return self.run_many([request])[0]

    def run_many(self, requests: Sequence[RunRequest]) -> list[ExecResult]:
        """Run requests concurrently (at most one program per worker); results in request order.

        Tests of the same program go to one worker together, which compiles the program once
        and forks it per test; a program's tests are split when that keeps idle workers busy.
        """
        if self._closed:
            raise RuntimeError("this SandboxPool was shut down; create a new one")
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="sandbox")
            executor = self._executor
        batches = plan_batches(requests, self.size)
        results: list[ExecResult] = [ExecResult("sandbox_error")] * len(requests)
        groups = TimeoutGroups()
        answers = executor.map(lambda b: self._run_batch([requests[i] for i in b], groups), batches)
        for batch, batch_results in zip(batches, answers, strict=True):
            for i, result in zip(batch, batch_results, strict=True):
                results[i] = result
        return results

    def _run_batch(self, requests: list[RunRequest], groups: TimeoutGroups) -> list[ExecResult]:
        """Run one batch on the next free worker, without the tests of a stop group that timed
        out in another batch meanwhile (the runner skips those of its own batch itself).
        """
        results: list[ExecResult] = [groups.skipped_result()] * len(requests)
        todo = [i for i, r in enumerate(requests) if not groups.stopped(r)]
        if todo:
            ran = self._call_worker([requests[i] for i in todo])
            for i, result in zip(todo, ran, strict=True):
                results[i] = result
                groups.record(requests[i], result)
        return results

    def _call_worker(self, requests: list[RunRequest]) -> list[ExecResult]:
        handle, lease = self._idle.get()
        try:
            if handle is None:
                handle, lease = self._start(lease)
            limit = requests[0].limits.time_limit_s
            timeout_s = len(requests) * (limit + 0.5) + self.answer_slack_s
            answer = handle.call(batch_message(requests), timeout_s)
            return [ExecResult.from_message(a) for a in answer["results"]]
        except WorkerLost as exc:
            if handle is not None:
                handle.kill()
                if handle.uid is not None:
                    self._unswept.add(handle.uid)
            handle = None  # the next request on this slot starts a fresh worker
            self.replaced += 1
            lost = ExecResult(status="sandbox_error", detail=f"{exc}; the worker was replaced")
            return [lost] * len(requests)
        finally:
            self._idle.put((handle, lease))

    def _start(self, lease: UidLease | None) -> tuple[WorkerProcess, UidLease | None]:
        if self._root and lease is None:
            lease = UidLease()
            with self._lock:
                self._leases.append(lease)
        handle = WorkerProcess(lease.uid if lease else None)
        if lease is not None:
            self._unswept.discard(lease.uid)  # a starting worker sweeps its uid first
        self.isolation = handle.isolation
        return handle, lease

    def worker_pids(self) -> list[int]:
        """Process ids of the started workers (what sits below them are sandboxed runs)."""
        return [h.process.pid for h, _ in list(self._idle.queue) if h is not None]

    def sandbox_uids(self) -> list[int]:
        """The unprivileged uids this pool's runs execute as (empty when not root)."""
        return [lease.uid for lease in self._leases]

    def shutdown(self) -> None:
        """Stop every worker and release their uids. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        while not self._idle.empty():
            handle, _ = self._idle.get_nowait()
            if handle is not None and not handle.close() and handle.uid is not None:
                self._unswept.add(handle.uid)
        for uid in sorted(self._unswept):
            # A killed worker may have left processes: sweep its uid before letting the uid go.
            subprocess.run(
                [sys.executable, "-I", "-B", WORKER_SCRIPT, "--sweep-uid", str(uid)],
                env={},
                check=False,
                timeout=30,
            )
        for lease in self._leases:
            lease.release()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def plan_batches(requests: Sequence[RunRequest], workers: int) -> list[list[int]]:
    """Group request indices by program, in chunks small enough to keep every worker busy.

    >>> plan_batches([RunRequest("a"), RunRequest("b"), RunRequest("a"), RunRequest("a")], 2)
    [[0, 2], [3], [1]]
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, request in enumerate(requests):
        groups.setdefault(request.program, []).append(i)
    size = max(1, min(MAX_BATCH, -(-len(requests) // workers)))
    return [ids[k : k + size] for ids in groups.values() for k in range(0, len(ids), size)]


_DEFAULT: dict[int, SandboxPool] = {}
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> SandboxPool:
    """The process-wide pool, created on first use and shut down at exit (one per process id,
    so a forked training process gets its own).
    """
    pid = os.getpid()
    with _DEFAULT_LOCK:
        pool = _DEFAULT.get(pid)
        if pool is None:
            pool = _DEFAULT[pid] = SandboxPool()
            atexit.register(_shutdown_default, pid)
        return pool


def _shutdown_default(pid: int) -> None:
    pool = _DEFAULT.pop(pid, None)
    if pool is not None and pid == os.getpid():
        pool.shutdown()
