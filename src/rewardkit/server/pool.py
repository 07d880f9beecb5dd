"""A pool of scoring processes: each builds the program once and scores batches on its main thread.

Processes, not threads: math-verify bounds its parsing with ``signal.alarm``, which works only on
a main thread, and a component that hangs can only be stopped by killing its process. A worker
is sent the state (schedule variables) only when its version changed.

**Per-sample deadlines.** ``timeout_s`` bounds one component on one sample (a batched component:
its call on the batch). A worker past it is killed and replaced, the sample it was on is marked
verifier-failed (cause ``timeout``, naming the component and the limit) and the rest of its batch
is scored again on the replacement; a worker that dies is replaced and the batch retried, and a
sample it dies on twice is verifier-failed (cause ``crash``). The batch is always answered, in
bounded time: see ``recovery.py`` for the rules and the bound. Every death, kill and replacement
is logged (logger ``rewardkit.server``).

>>> with ScoringPool({"reward": {"fn": "exact_match"}}, workers=1) as pool:  # doctest: +SKIP
...     pool.score([Sample(id="0", group="g", prompt="", completion="4", reference="4")]).rewards
array([1.])
"""

from __future__ import annotations

import contextlib
import logging
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

import numpy as np

from rewardkit.errors import RemoteError, WorkerDied
from rewardkit.server.batches import split_by_group
from rewardkit.server.recovery import Stuck, assemble, merge_columns, score_rows
from rewardkit.server.tracking import ComponentClock, Progress, Seconds
from rewardkit.types import Sample, ScoredBatch

START_TIMEOUT_S = 60.0
MIN_CHUNK = 32
"""``score_many`` gives each worker at least this many samples: smaller pieces cost more to send
than they save."""
log = logging.getLogger("rewardkit.server")


def _worker_main(conn: Connection, config: Mapping[str, Any], progress: Progress) -> None:
    """The loop of one scoring process: (state, samples) in, (ScoredBatch, seconds) out."""
    from rewardkit.program import RewardProgram

    # Ctrl-C and a SIGTERM sent to the whole process group are the server's to handle: it drains
    # the batches in flight, then closes the pipe (EOF) or sends None, and the worker exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    program = RewardProgram.from_dict(config)
    clock = ComponentClock(progress)
    clock.install(program)
    conn.send(("ready", os.getpid(), [node.path for node in program.tree.walk()]))
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
            with clock.batch(samples) as seconds:
                scored = program.score(samples)
            scored.samples = []  # the caller has them: do not send them back
            conn.send(("ok", scored, seconds))
        except Exception as exc:
            conn.send(("error", type(exc).__name__, str(exc)))


def _pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` runs (not a zombie), asked of the OS: a worker is the forkserver's
    child, and once the forkserver is gone multiprocessing reports every worker as dead."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    return True


class Worker:
    """One scoring process and the pipe to it."""

    def __init__(self, ctx: Any, config: Mapping[str, Any]):
        self.progress = Progress(ctx)
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, dict(config), self.progress), daemon=True
        )
        self.process.start()
        child.close()
        self.version: int | None = None
        self.pid: int | None = None
        self.paths: list[str] = ["reward"]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.conn.poll(0.1):
            if not self.alive() or time.monotonic() > deadline:
                self.kill()
                raise WorkerDied(f"scoring worker failed to start (exit code {self.exitcode()})")
        reply = self.conn.recv()
        if reply[0] != "ready":  # pragma: no cover - the worker sends nothing else first
            raise WorkerDied(f"scoring worker failed to start: {reply}")
        self.pid, self.paths = int(reply[1]), list(reply[2])

    def alive(self) -> bool:
        return self.process.is_alive() or _pid_alive(self.pid or self.process.pid)

    def exitcode(self) -> int | None:
        return self.process.exitcode

    def call(
        self,
        version: int,
        state: Mapping[str, Any] | None,
        samples: Sequence[Sample],
        timeout_s: float | None,
    ) -> tuple[ScoredBatch, Seconds]:
        """Score on this worker; ``Stuck`` when it hangs past ``timeout_s`` or dies."""
        send_state = dict(state) if state is not None and version != self.version else None
        self.progress.mark("reward", -1)
        try:
            self.conn.send((send_state, list(samples)))
        except (BrokenPipeError, OSError) as exc:
            raise Stuck("died", "reward", -1, f"worker {self.pid} is gone: {exc}") from None
        reply = self._receive(timeout_s)
        if send_state is not None:
            self.version = version
        if reply[0] == "error":
            raise RemoteError(reply[1], reply[2])
        scored: ScoredBatch = reply[1]
        scored.samples = list(samples)
        return scored, reply[2]

    def _receive(self, timeout_s: float | None) -> tuple[Any, ...]:
        while True:
            try:
                if self.conn.poll(0.05):
                    return self.conn.recv()
            except (EOFError, OSError):
                self._died()
            if not self.alive():
                self._died()
            if timeout_s is not None and self.progress.idle_for() >= timeout_s:
                self.kill()
                path, row = self.progress.where()
                raise Stuck("timeout", path, row, f"killed after {timeout_s:g} s")

    def _died(self) -> None:
        self.kill()
        path, row = self.progress.where()
        raise Stuck("died", path, row, f"worker {self.pid} exited, code {self.exitcode()}")

    def kill(self) -> None:
        """SIGKILL, to the pid itself: ``Process.kill`` does nothing once multiprocessing has
        (wrongly, after a forkserver death) recorded an exit."""
        for pid in {self.pid, self.process.pid} - {None}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.process.join(5)
        deadline = time.monotonic() + 5
        while _pid_alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.process.join(5)
        if self.alive():
            self.kill()
        else:
            self.conn.close()


def _context() -> Any:
    """Forkserver where it exists: each worker is forked from a clean, single-threaded process
    that has already imported rewardkit, so a replacement starts in ~0.1 s instead of the ~1 s
    of a spawn. Plain fork would copy the server's threads and locks. A forkserver that dies is
    started again by multiprocessing at the next replacement; the workers it forked live on and
    are counted by their pids (``_pid_alive``)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["rewardkit.program"])
    return ctx


class ScoringPool:
    """``workers`` scoring processes; ``score`` blocks until one is free.

    ``timeout_s`` bounds one component on one sample (None: no bound). ``replaced`` counts
    workers replaced after a death or a kill.
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
        """Process ids of the live workers (asked of the OS, not of multiprocessing)."""
        with self._lock:
            return [w.pid for w in self._all if w.pid is not None and w.alive()]

    def _add(self, worker: Worker) -> None:
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: Worker, stuck: Stuck) -> Worker:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
                self.replaced += 1
        fresh = Worker(self._ctx, self.config)
        try:
            fresh.wait_ready()
        except WorkerDied:
            log.error("scoring worker %s is gone and its replacement did not start", worker.pid)
            raise
        with self._lock:
            self._all.append(fresh)
        what = "killed (past the deadline)" if stuck.kind == "timeout" else "died"
        log.warning(
            "scoring worker %s %s in component %r on batch row %d (%s); replaced by worker %s",
            worker.pid, what, stuck.path, stuck.row, stuck.detail, fresh.pid,
        )  # fmt: skip
        return fresh

    def score(
        self, samples: Sequence[Sample], version: int = 0, state: Mapping[str, Any] | None = None
    ) -> ScoredBatch:
        """Score one batch on one worker, with the program state of ``version``."""
        return self.score_timed(samples, version, state)[0]

    def score_timed(
        self, samples: Sequence[Sample], version: int = 0, state: Mapping[str, Any] | None = None
    ) -> tuple[ScoredBatch, Seconds]:
        """``score`` and the seconds per component per sample (``tracking.py``)."""
        holder = [self._idle.get()]

        def attempt(part: Sequence[Sample]) -> tuple[ScoredBatch, Seconds]:
            try:
                return holder[0].call(version, state, part, self.timeout_s)
            except Stuck as stuck:
                holder[0] = self._replace(holder[0], stuck)
                raise

        try:
            parts, failed = score_rows(samples, attempt, self.timeout_s)
        finally:
            self._idle.put(holder[0])
        return assemble(samples, parts, failed, holder[0].paths)

    def score_many(
        self, samples: Sequence[Sample], version: int = 0, state: Mapping[str, Any] | None = None
    ) -> ScoredBatch:
        """Score a large batch on every worker, whole groups to one worker, merged in order."""
        return self.score_many_timed(samples, version, state)[0]

    def score_many_timed(
        self, samples: Sequence[Sample], version: int = 0, state: Mapping[str, Any] | None = None
    ) -> tuple[ScoredBatch, Seconds]:
        """``score_many`` and the seconds per component per sample."""
        idle = self._idle.qsize()  # under load every worker is busy: splitting only adds work
        chunks = split_by_group(samples, min(idle, len(samples) // MIN_CHUNK))
        if len(chunks) <= 1:
            return self.score_timed(samples, version, state)

        def run(chunk: list[int]) -> tuple[ScoredBatch, Seconds]:
            return self.score_timed([samples[i] for i in chunk], version, state)

        rest = [self._fan_out.submit(run, c) for c in chunks[1:]]
        parts = [run(chunks[0]), *(f.result() for f in rest)]  # this thread takes the first
        seconds: Seconds = {}
        for chunk, (_, part) in zip(chunks, parts, strict=True):
            for path, column in part.items():
                seconds.setdefault(path, np.zeros(len(samples)))[chunk] = column
        return merge_columns([p for p, _ in parts], [i for c in chunks for i in c]), seconds

    def close(self) -> None:
        """Stop every worker (each finishes the batch it is on first)."""
        self._fan_out.shutdown(wait=True)
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()
