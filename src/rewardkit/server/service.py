"""The server's work behind the routes: the state authority, the worker pool, the queue bound,
the metrics, and the log lines about failed and slow samples.

``Service.score`` answers one row per sample, whatever happened to it (``rewardkit.results.STATUSES``): a
hung or crashed sample is verifier-failed in its row (``pool.py``, ``recovery.py``), never a
failed request. A request fails (500) only when the program raises under ``on_error: raise`` or
no worker can be started.

Seconds per sample per component (``tracking.py``) go to ``/metrics``; a batch slower than
``slow_batch_s`` logs one line naming its 3 slowest samples and their time in each component.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rewardkit.errors import RemoteError, RewardKitError, WorkerDied
from rewardkit.protocol import wire_metrics
from rewardkit.results import Row, failed_path, result_rows
from rewardkit.server.coalesce import Ask, Coalescer, Outcome, join, split
from rewardkit.server.metrics import ServerMetrics
from rewardkit.server.pool import ScoringPool
from rewardkit.server.state import ProgramState
from rewardkit.server.tracking import ComponentClock, Seconds
from rewardkit.types import Sample, ScoredBatch

log = logging.getLogger("rewardkit.server")
Answer = tuple[int, dict[str, float], list[dict[str, Any]], dict[str, float | None]]
"""What scoring answers: (state version, variables, one row per sample, batch metrics)."""
SHOWN = 3
"""Samples named in a log line about a batch's failed or slowest samples."""


@dataclass(frozen=True)
class ServerSettings:
    """How a server guards and runs its work."""

    token: str | None = field(repr=False)
    """Bearer token every request but /healthz must carry; None only with --insecure-no-auth.
    Never in the settings' repr, so a logged settings object shows no token."""
    workers: int = 0
    """Scoring processes; 0 scores in the server process (no timeout can be enforced there)."""
    timeout_s: float | None = 30.0
    """Longest one component may take on one sample (a batched component: on its batch) before
    the worker is killed and the sample is verifier-failed (cause ``timeout``)."""
    max_body_bytes: int = 16 * 1024 * 1024
    max_samples: int = 4096
    """Most samples in one request (413 above)."""
    queue_limit: int = 64
    """Most scoring requests admitted at once (running + waiting); more get 503 + Retry-After."""
    slow_batch_s: float = 5.0
    """A batch that takes longer logs its slowest samples with their ids and component times."""
    coalesce: bool = True
    """Merge requests waiting for a worker into one batch (``coalesce.py``)."""
    coalesce_max_samples: int = 1024
    """Most samples in one merged batch."""
    coalesce_window_s: float = 0.0
    """How long a request with no other waiting holds back for company (0: never)."""


class HTTPProblem(Exception):
    """An error answered as JSON with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ):
        self.status, self.message, self.headers = status, message, headers or {}
        self.problems = [{"path": p, "message": m} for p, m in problems]
        super().__init__(message)


class Service:
    """The server's work: the state authority, the pool, the queue bound and the metrics."""

    def __init__(self, authority: ProgramState, settings: ServerSettings):
        self.authority = authority
        self.settings = settings
        self.pool: ScoringPool | None = None
        self.pending = 0
        self.metrics = ServerMetrics(self.live)
        # Scoring threads of their own: requests waiting for a worker never hold up observe,
        # state and metrics, which run on asyncio's default threads. Merging, one batch in flight
        # per worker (one in all in this process); without, one per admitted request, as each
        # waits for a worker on its thread.
        slots = max(1, settings.workers) if settings.coalesce else settings.queue_limit
        self._threads = ThreadPoolExecutor(slots, thread_name_prefix="rk-score")
        self.batches = Coalescer(
            self._score_asks,
            self._threads,
            slots,
            max(settings.coalesce_max_samples, 1),
            settings.coalesce_window_s,
            merge=settings.coalesce,
        )
        self.clock = ComponentClock()  # times the samples scored in this process (workers=0)
        if settings.workers <= 0:
            self.clock.install(authority.program)

    def live(self) -> dict[str, Any]:
        version, _, variables = self.authority.snapshot()
        return {
            "state_version": version,
            "queue_depth": self.pending,
            "workers": len(self.pool.pids()) if self.pool else 0,
            "workers_replaced": self.pool.replaced if self.pool else 0,
            "variables": variables,
        }

    def start(self) -> None:
        if self.settings.workers > 0:
            config = self.authority.program.to_dict()
            self.pool = ScoringPool(config, self.settings.workers, self.settings.timeout_s)
        # What exists now (modules, the app, the program) lives as long as the server: out of
        # the collector's full passes, which would otherwise walk it all and stall every
        # request in flight for 50-80 ms (the p99 of many small requests; bench/server.py).
        gc.freeze()

    def stop(self) -> None:
        self._threads.shutdown(wait=True)
        if self.pool is not None:
            self.pool.close()
        gc.unfreeze()  # a server in a longer process (tests): its objects can go again

    async def score(self, samples: list[Sample], group_size: int | None = None) -> Answer:
        """(version, variables, rows, batch metrics) for a batch, through the bounded queue."""
        if self.pending >= self.settings.queue_limit:
            self.metrics.rejected.inc()
            raise HTTPProblem(
                503,
                f"server busy: {self.pending} requests queued; retry shortly",
                headers={"Retry-After": "1"},
            )
        self.pending += 1
        try:
            answer: Answer = await self.batches.submit(samples, grouped=group_size is not None)
            return answer
        finally:
            self.pending -= 1

    def _score_asks(self, asks: list[Ask]) -> list[Outcome]:
        """One answer (or HTTPProblem) per request of a batch (``coalesce.py``), on a thread."""
        if len(asks) == 1:
            return [self._score_alone(asks[0])]
        joined = join(asks)
        start = time.perf_counter()
        try:
            version, variables, scored, seconds = self._run(joined.samples)
        except Exception:  # one bad request must not fail the others: each alone again
            return [self._score_alone(ask) for ask in asks]
        parts = [result_rows(part) for part in split(scored, asks, joined)]
        rows = [row for part in parts for row in part]
        self._count(scored, rows, seconds, start)
        return [(version, variables, part, {}) for part in parts]

    def _score_alone(self, ask: Ask) -> Outcome:
        try:
            return self._score(ask.samples, ask.grouped)
        except Exception as exc:  # this request's own failure, raised to its handler alone
            return exc

    def _score(self, samples: list[Sample], with_advantages: bool) -> Answer:
        start = time.perf_counter()
        version, variables, scored, seconds = self._run(samples)
        adv = self.authority.advantages(scored) if with_advantages else None
        rows = result_rows(scored, adv)
        self._count(scored, rows, seconds, start)
        if adv is None:
            return version, variables, rows, {}
        return version, variables, rows, wire_metrics({**scored.metrics, **adv.metrics})

    def _run(self, samples: list[Sample]) -> tuple[int, dict[str, float], ScoredBatch, Seconds]:
        """(version, variables, scored, seconds): one batch at one state version."""
        try:
            if self.pool is None:
                with self.clock.batch(samples) as seconds:
                    version, variables, scored = self.authority.score_here(samples)
            else:
                version, state, variables = self.authority.snapshot()
                scored, seconds = self.pool.score_many_timed(samples, version, state)
        except (RemoteError, WorkerDied, RewardKitError) as exc:
            raise HTTPProblem(500, f"scoring failed: {exc}") from None
        return version, variables, scored, seconds

    def _count(self, scored: ScoredBatch, rows: list[Row], seconds: Seconds, start: float) -> None:
        self.metrics.count_batch(scored, rows, seconds)
        log_failed(rows)
        elapsed = time.perf_counter() - start
        if elapsed >= self.settings.slow_batch_s:
            log.warning("%s", slow_line(rows, seconds, elapsed))


def log_failed(rows: Sequence[Mapping[str, Any]]) -> None:
    """One warning per batch with verifier failures: how many, and the first few by id."""
    failed = [r for r in rows if r["status"] == "verifier_failed"]
    if not failed:
        return
    named = ", ".join(f"{r['id']!r} ({r['cause']} in {failed_path(r)})" for r in failed[:SHOWN])
    more = f" and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    log.warning(
        "%d of %d samples verifier-failed (no reward, left out of the baseline): %s%s",
        len(failed), len(rows), named, more,
    )  # fmt: skip


def slow_line(rows: Sequence[Mapping[str, Any]], seconds: Seconds, elapsed: float) -> str:
    """``slow batch: N samples in T s; slowest: 'id' t s (path t s, ...), ...``.

    >>> rows = [{"id": "a"}, {"id": "b"}]
    >>> slow_line(rows, {"reward/x": np.array([0.5, 2.0])}, 2.6)
    "slow batch: 2 samples in 2.6 s; slowest: 'b' 2 s (reward/x 2 s), 'a' 0.5 s (reward/x 0.5 s)"
    """
    n = len(rows)
    total = sum((c for c in seconds.values()), np.zeros(n))
    order = [int(i) for i in np.argsort(-total, kind="stable")[:SHOWN]]
    shown = []
    for i in order:
        parts = sorted(((p, float(c[i])) for p, c in seconds.items()), key=lambda x: -x[1])
        each = ", ".join(f"{p} {t:.3g} s" for p, t in parts if t > 0)
        shown.append(f"{rows[i]['id']!r} {total[i]:.3g} s ({each})")
    return f"slow batch: {n} samples in {elapsed:.3g} s; slowest: " + ", ".join(shown)
