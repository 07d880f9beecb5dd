"""Prometheus metrics of one server: requests, latency, component errors, verifier failures per
node and cause, samples per status, seconds per sample per component, schedule variables, workers.

Each app has its own registry, so two servers in one process (tests) do not share counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from rewardkit.errors import require
from rewardkit.results import failed_path
from rewardkit.server.security import ASGIApp, Receive, Scope, Send
from rewardkit.types import ScoredBatch

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SAMPLE_BUCKETS = (0.0001, 0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60)


class ServerMetrics:
    """The counters and histograms; ``render()`` is the text ``GET /metrics`` answers."""

    def __init__(self, live: Callable[[], Mapping[str, Any]]):
        prom = require("prometheus_client", "server")
        self._prom = prom
        self.registry = prom.CollectorRegistry()
        r = self.registry
        self.requests = prom.Counter(
            "rewardkit_requests", "HTTP requests answered", ["endpoint", "code"], registry=r
        )
        self.latency = prom.Histogram(
            "rewardkit_request_seconds",
            "time to answer a request",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.samples = prom.Counter("rewardkit_samples", "samples scored", registry=r)
        self.component_errors = prom.Counter(
            "rewardkit_component_errors",
            "reward component failures (exceptions and timeouts) per component",
            ["path", "type"],
            registry=r,
        )
        self.verifier_failures = prom.Counter(
            "rewardkit_verifier_failures",
            "samples with no verdict (never a 0), per component and cause (timeout, crash, ...)",
            ["path", "cause"],
            registry=r,
        )
        self.statuses = prom.Counter(
            "rewardkit_sample_status",
            "samples answered, per status (scored, not_applicable, unjudgeable, "
            "verifier_failed, error)",
            ["status"],
            registry=r,
        )
        self.component_seconds = prom.Histogram(
            "rewardkit_component_seconds",
            "seconds one sample spent in one component (a batched component: its call / n)",
            ["path"],
            buckets=SAMPLE_BUCKETS,
            registry=r,
        )
        self.rejected = prom.Counter(
            "rewardkit_rejected", "requests refused because the queue was full", registry=r
        )
        self.alerts = prom.Counter(
            "rewardkit_monitor_alerts",
            "reward-hacking monitor alerts raised by observe, per detector",
            ["detector"],
            registry=r,
        )
        r.register(_LiveCollector(live))

    def count_batch(
        self,
        scored: ScoredBatch,
        rows: Sequence[Mapping[str, Any]] = (),
        seconds: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Count a scored batch: samples, errors, each answered row's status and cause, and
        every sample's seconds in every component."""
        self.samples.inc(len(scored.samples))
        for failure in scored.failures:
            self.component_errors.labels(failure.path, failure.error_type).inc()
        for row in rows:
            self.statuses.labels(row["status"]).inc()
            if row["status"] == "verifier_failed":
                self.verifier_failures.labels(failed_path(row), row["cause"]).inc()
        for path, column in (seconds or {}).items():
            observe_many(self.component_seconds.labels(path), column)

    def render(self) -> tuple[bytes, str]:
        return self._prom.generate_latest(self.registry), self._prom.CONTENT_TYPE_LATEST


def observe_many(histogram: Any, values: Any) -> None:
    """``histogram.observe(v)`` for each of ``values``, one increment per bucket rather than one
    call per value (a 256-sample batch of 3 components is 768 calls otherwise); the loop where
    prometheus_client's histogram lacks the parts this counts into.

    >>> import prometheus_client as prom
    >>> h = prom.Histogram("h", "h", buckets=(0.1, 1.0), registry=prom.CollectorRegistry())
    >>> observe_many(h, np.array([0.05, 0.5, 0.7, 3.0]))
    >>> [(s.labels.get("le"), s.value) for s in h.collect()[0].samples if s.name == "h_bucket"]
    [('0.1', 1.0), ('1.0', 3.0), ('+Inf', 4.0)]
    """
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None or len(bounds) != len(buckets):
        for value in values:
            histogram.observe(float(value))
        return
    column = np.asarray(values, dtype=float)
    counts = np.bincount(np.searchsorted(bounds, column), minlength=len(bounds) + 1)
    total.inc(float(column.sum()))
    for i in np.flatnonzero(counts[: len(bounds)]):
        buckets[i].inc(int(counts[i]))


class _LiveCollector:
    """Gauges read at scrape time: state version, variables, queue depth, replaced workers."""

    def __init__(self, live: Callable[[], Mapping[str, Any]]):
        self.live = live

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        now = self.live()
        for name in ("state_version", "queue_depth", "workers", "workers_replaced"):
            yield GaugeMetricFamily(f"rewardkit_{name}", name.replace("_", " "), now[name])
        variables = GaugeMetricFamily(
            "rewardkit_variable", "current value of each schedule variable", labels=["name"]
        )
        for key, value in sorted(now["variables"].items()):
            variables.add_metric([key], float(value))
        yield variables


class RequestMetrics:
    """Outermost ASGI wrapper: request count and latency per endpoint, and the state-version
    header on every response (401, 413 and 503 included)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, version: Callable[[], int],
                 endpoints: frozenset[str], header: str):  # fmt: skip
        self.app, self.metrics, self.version, self.endpoints = app, metrics, version, endpoints
        self.header = header.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = scope["path"] if scope["path"] in self.endpoints else "other"
        start, code = time.perf_counter(), 500

        async def tagged(message: Any) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
                tag = (self.header, str(self.version()).encode())
                message["headers"] = [*message.get("headers", []), tag]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            self.metrics.requests.labels(endpoint, str(code)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - start)
