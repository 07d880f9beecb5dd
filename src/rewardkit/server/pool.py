"""A pool of scoring processes: each builds the program once and scores batches on its main thread.

Processes, not threads: math-verify bounds its parsing with ``signal.alarm``, which works only on
a main thread, and a component that hangs can only be stopped by killing its process. A worker
is sent the state (schedule variables) only when its version changed. A worker that dies
mid-batch is replaced and the batch is retried once on the new one; a worker that runs past the
timeout is killed and replaced, and the batch fails with ``ComponentTimeout`` naming the
component it was in.

>>> with ScoringPool({"reward": {"fn": "exact_match"}}, workers=1) as pool:  # doctest: +SKIP
...     pool.score([Sample(id="0", group="g", prompt="", completion="4", reference="4")]).rewards
array([1.])
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from rewardkit.diagnostics import merge_scored
from rewardkit.errors import ComponentTimeout, RemoteError, WorkerDied
from rewardkit.server.batches import split_by_group
from rewardkit.types import Sample, ScoredBatch

START_TIMEOUT_S = 60.0
_PATH_BYTES = 256
MIN_CHUNK = 32
"""``score_many`` gives each worker at least this many samples: smaller pieces cost more to send
than they save."""


def _worker_main(conn: Connection, config: Mapping[str, Any], path: Any) -> None:
    """The loop of one scoring process: (version, state, samples) in, ScoredBatch out."""
    from rewardkit.program import RewardProgram

    # Ctrl-C and a SIGTERM sent to the whole process group are the server's to handle: it drains
    # the batches in flight, then closes the pipe (EOF) or sends None, and the worker exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    program = RewardProgram.from_dict(config)
    for leaf in program.leaves():  # record the running component, for a timeout's message
        if leaf.scorer is not None:
            leaf.scorer.run = _tracked(leaf.scorer.run, path)  # type: ignore[method-assign]
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if message is None:
            return
        state, samples = message
        try:
            if state is not None:
                program.load_state_dict(state)
            scored = program.score(samples)
            scored.samples = []  # the caller has them: do not send them back
            conn.send(("ok", scored))
        except Exception as exc:
            conn.send(("error", type(exc).__name__, str(exc)))


def _tracked(run: Any, shared: Any) -> Any:
    def tracked(path: str, ctx: Any) -> None:
        shared.value = path.encode()[: _PATH_BYTES - 1]
        run(path, ctx)

    return tracked


class Worker:
    """One scoring process and the pipe to it."""

    def __init__(self, ctx: Any, config: Mapping[str, Any]):
        self.path = ctx.Array("c", _PATH_BYTES, lock=False)
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, dict(config), self.path), daemon=True
        )
        self.process.start()
        child.close()
        self.version: int | None = None
        self.pid: int | None = None

    def wait_ready(self) -> None:
        reply = self._receive(START_TIMEOUT_S)
        if reply[0] != "ready":  # pragma: no cover - the worker sends nothing else first
            raise WorkerDied(f"scoring worker failed to start: {reply}")
        self.pid = int(reply[1])

    def call(
        self,
        version: int,
        state: Mapping[str, Any] | None,
        samples: Sequence[Sample],
        timeout_s: float | None,
    ) -> ScoredBatch:
        send_state = dict(state) if state is not None and version != self.version else None
        self.path.value = b"reward"
        try:
            self.conn.send((send_state, list(samples)))
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(f"scoring worker {self.pid} is gone: {exc}") from None
        reply = self._receive(timeout_s)
        if send_state is not None:
            self.version = version
        if reply[0] == "error":
            raise RemoteError(reply[1], reply[2])
        scored: ScoredBatch = reply[1]
        scored.samples = list(samples)
        return scored

    def _receive(self, timeout_s: float | None) -> tuple[Any, ...]:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            wait = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
            try:
                if self.conn.poll(wait):
                    return self.conn.recv()
            except (EOFError, OSError):
                raise WorkerDied(f"scoring worker {self.pid} exited mid-batch") from None
            if not self.process.is_alive():
                raise WorkerDied(
                    f"scoring worker {self.pid} exited mid-batch (exit code "
                    f"{self.process.exitcode})"
                )
            if deadline is not None and time.monotonic() >= deadline:
                where = self.path.value.decode(errors="replace") or "reward"
                self.kill()
                raise ComponentTimeout(where, timeout_s or 0.0)

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


def _context() -> Any:
    """Forkserver where it exists: each worker is forked from a clean, single-threaded process
    that has already imported rewardkit, so a replacement starts in ~0.1 s instead of the ~1 s
    of a spawn. Plain fork would copy the server's threads and locks."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["rewardkit.program"])
    return ctx


class ScoringPool:
    """``workers`` scoring processes; ``score`` blocks until one is free.

    ``timeout_s`` bounds one batch on one worker (None: no bound). ``replaced`` counts workers
    replaced after a death or a timeout.
    """

    def __init__(self, config: Mapping[str, Any], workers: int, timeout_s: float | None = None):
        if workers < 1:
            raise ValueError(f"a pool needs at least 1 worker, got {workers}")
        self.config = dict(config)
        self.timeout_s = timeout_s
        self.replaced = 0
        self._ctx = _context()
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self.size = workers
        self._fan_out = ThreadPoolExecutor(4 * workers, thread_name_prefix="rewardkit-pool")
        started = [Worker(self._ctx, self.config) for _ in range(workers)]
        for worker in started:
            worker.wait_ready()
            self._add(worker)

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pids(self) -> list[int]:
        """Process ids of the live workers (a test kills one of them)."""
        with self._lock:
            return [w.pid for w in self._all if w.pid is not None and w.process.is_alive()]

    def _add(self, worker: Worker) -> None:
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> Worker:
        worker.kill()
        with self._lock:
            self._all.remove(worker)
            self.replaced += 1
        fresh = Worker(self._ctx, self.config)
        fresh.wait_ready()
        with self._lock:
            self._all.append(fresh)
        return fresh

    def score(
        self, samples: Sequence[Sample], version: int = 0, state: Mapping[str, Any] | None = None
    ) -> ScoredBatch:
        """Score one batch on one worker, with the program state of ``version``."""
        worker = self._idle.get()
        try:
            for attempt in (0, 1):
                try:
                    return worker.call(version, state, samples, self.timeout_s)
                except WorkerDied:
                    worker = self._replace(worker)
                    if attempt:  # died twice on this batch: answer with the error
                        raise
                except ComponentTimeout:
                    worker = self._replace(worker)
                    raise
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self._idle.put(worker)

    def score_many(
        self, samples: Sequence[Sample], version: int = 0, state: Mapping[str, Any] | None = None
    ) -> ScoredBatch:
        """Score a large batch on every worker, whole groups to one worker, merged in order."""
        idle = self._idle.qsize()  # under load every worker is busy: splitting only adds work
        chunks = split_by_group(samples, min(idle, len(samples) // MIN_CHUNK))
        if len(chunks) <= 1:
            return self.score(samples, version, state)

        def run(chunk: list[int]) -> ScoredBatch:
            return self.score([samples[i] for i in chunk], version, state)

        rest = [self._fan_out.submit(run, c) for c in chunks[1:]]
        parts = [run(chunks[0]), *(f.result() for f in rest)]  # this thread takes the first
        return merge_scored(parts, [i for c in chunks for i in c])

    def close(self) -> None:
        """Stop every worker (each finishes the batch it is on first)."""
        self._fan_out.shutdown(wait=True)
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()
