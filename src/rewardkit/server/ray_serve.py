"""``rewardkit serve --ray --replicas N``: the same app on Ray Serve, one named actor owning the state.

The ``rewardkit_state`` actor (namespace ``rewardkit``) holds the ProgramState and its SQLite
file: every observe and PUT goes to it, so there is one writer. Each replica keeps a copy of the
program (a ``rewardkit.replica.StateReplica`` of the actor, the class verl's workers use too)
and, before scoring, asks the actor for the state version; when it changed it loads the new
state, so every replica scores with the variables of one version (the
``X-RewardKit-State-Version`` header says which; ``X-RewardKit-Replica`` says which replica).
An observe the actor refuses (a watched metric missing) comes back as data and is answered 422,
as by the single-process server.

Replicas score in their own process (no worker pool inside a replica: scale with ``--replicas``).

``GET /metrics`` counts every replica: each replica pushes its metrics to the actor half a second
after it answered (at most twice a second), and the replica that answers the scrape adds them
up: counters and histograms over every replica that ever ran (a restarted replica's old counts
stay, so sums never go back), queue depth and (replaced) workers over the replicas heard from in
the last 30 s, and the state version and variables as the answering replica sees them.

A replica that restarts loses no request of a client that retries (``rewardkit.client``): the
proxy's 404 (no app yet), 500 (the replica died mid-request) and 503 are retried; the
idempotency record is per replica, so a retry that lands elsewhere is scored again (scoring is
pure: the same answer).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rewardkit.errors import ConfigError, InputError, require
from rewardkit.monitor import Monitor
from rewardkit.program import RewardProgram
from rewardkit.replica import ACTOR_NAME, NAMESPACE, ActorSource, Refused, StateReplica
from rewardkit.server.app import ServerSettings, Service, build_app
from rewardkit.server.state import Observed, ProgramState, StateStore

__all__ = ["ACTOR_NAME", "NAMESPACE", "Replica", "StateOwner", "merged_metrics", "run", "stop"]

METRICS_PUSH_S = 0.5
FRESH_S = 30.0
SUMMED_GAUGES = frozenset(
    {"rewardkit_queue_depth", "rewardkit_workers", "rewardkit_workers_replaced"}
)
Families = list[tuple[str, str, str, list[tuple[str, dict[str, str], float]]]]
"""A registry's metric families as plain data: (name, type, help, [(sample, labels, value)])."""


class StateOwner:
    """The body of the state actor: a ProgramState behind Ray's single-threaded actor."""

    def __init__(
        self, config: Mapping[str, Any], state_path: str, monitor: Mapping[str, Any] | None = None
    ):
        watcher = None if monitor is None else Monitor(monitor)
        self.state = ProgramState(RewardProgram.from_dict(config), StateStore(state_path), watcher)
        self.metrics: dict[str, tuple[float, Families]] = {}

    def version(self) -> int:
        return self.state.version

    def snapshot(self) -> tuple[int, dict[str, Any], dict[str, float]]:
        return self.state.snapshot()

    def observe(
        self,
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Any = None,
        samples: Any = None,
    ) -> Observed | Refused:
        """The step observed, or refused as data (a missing watched metric): the caller raises
        it as its own error, without this actor's traceback."""
        try:
            return self.state.observe(step, metrics, outcomes, samples)
        except ConfigError as exc:
            return Refused(str(exc), list(exc.problems))
        except InputError as exc:
            return Refused(str(exc))

    def replace(self, state: Mapping[str, Any], if_version: int | None) -> int:
        return self.state.replace(state, if_version)

    def put_metrics(self, replica: str, families: Families) -> None:
        self.metrics[replica] = (time.monotonic(), families)

    def all_metrics(self) -> dict[str, tuple[float, Families]]:
        """Each replica's last metrics and their age in seconds."""
        now = time.monotonic()
        return {name: (now - at, families) for name, (at, families) in self.metrics.items()}


class Replica:
    """The Serve deployment's body: the rewardkit ASGI app, answering through ``__call__``."""

    def __init__(self, config: Mapping[str, Any], settings: Mapping[str, Any]):
        ray = require("ray", "ray")
        actor = ray.get_actor(ACTOR_NAME, namespace=NAMESPACE)
        authority = StateReplica(RewardProgram.from_dict(config), ActorSource(actor))
        authority.sync()
        self.actor = actor
        self.service = Service(authority, ServerSettings(**{**settings, "workers": 0}))  # type: ignore[arg-type]
        self.app = build_app(self.service)
        self.pid = str(os.getpid()).encode()
        self.name = f"{socket.gethostname()}:{os.getpid()}"  # its metrics' key at the actor
        self._push_due = False

    async def __call__(self, request: Any) -> Any:
        from starlette.responses import Response

        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(request.scope, request.receive, send)
        if request.scope["path"] == "/metrics" and start.get("status") == 200:
            body = [await self._all_metrics()]
        elif not self._push_due:  # push what this request counted, soon
            self._push_due = True
            asyncio.get_running_loop().call_later(METRICS_PUSH_S, self._push)
        response = Response(b"".join(body), status_code=start.get("status", 500))
        response.raw_headers = [
            *[(k, v) for k, v in start.get("headers", []) if k != b"content-length"],
            (b"content-length", str(len(response.body)).encode()),
            (b"x-rewardkit-replica", self.pid),
        ]
        return response

    def _push(self) -> None:
        self._push_due = False
        self.actor.put_metrics.remote(self.name, families(self.service.metrics.registry))

    async def _all_metrics(self) -> bytes:
        own = families(self.service.metrics.registry)
        await self.actor.put_metrics.remote(self.name, own)
        return merged_metrics(own, (await self.actor.all_metrics.remote()).values())


def families(registry: Any) -> Families:
    """``registry``'s metrics as plain data (``_created`` timestamps left out: they do not add)."""
    return [
        (m.name, m.type, m.documentation,
         [(x.name, dict(x.labels), x.value) for x in m.samples if not x.name.endswith("_created")])
        for m in registry.collect()
    ]  # fmt: skip


def merged_metrics(own: Families, replicas: Iterable[tuple[float, Families]]) -> bytes:
    """Prometheus text for all replicas: counters and histograms summed over every
    ``(age_s, families)`` in ``replicas``, queue depth and replaced workers over those younger
    than ``FRESH_S``, other gauges (state version, variables) as in ``own``."""
    prom = require("prometheus_client", "server")
    kinds = {name: (kind, doc) for name, kind, doc, _ in own}
    totals: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for age, fams in replicas:
        for name, kind, doc, samples in fams:
            kinds.setdefault(name, (kind, doc))
            if kind == "gauge" and (name not in SUMMED_GAUGES or age > FRESH_S):
                continue
            into = totals.setdefault(name, {})
            for sample, labels, value in samples:
                key = (sample, tuple(sorted(labels.items())))
                into[key] = into.get(key, 0.0) + value
    for name, kind, _, samples in own:
        if kind == "gauge" and name not in SUMMED_GAUGES:
            totals[name] = {(x, tuple(sorted(labels.items()))): v for x, labels, v in samples}
    out = []
    for name, values in totals.items():
        kind, doc = kinds[name]
        family = prom.Metric(name, doc, kind)
        for (sample, pairs), value in values.items():
            family.add_sample(sample, dict(pairs), value)
        out.append(family)
    registry = prom.CollectorRegistry()
    registry.register(_Fixed(out))
    return bytes(prom.generate_latest(registry))


class _Fixed:
    """A collector of the given families (what ``merged_metrics`` renders)."""

    def __init__(self, fams: list[Any]):
        self.fams = fams

    def collect(self) -> Iterable[Any]:
        return self.fams


def run(
    config_path: Path,
    settings: ServerSettings,
    state: Path,
    host: str,
    port: int,
    replicas: int,
    monitor: Mapping[str, Any] | None = None,
) -> Any:
    """Start Ray (local, CPU), the state actor (with the ``monitor`` section, if any) and
    ``replicas`` replicas behind Serve's proxy on ``host:port``; returns the actor (kill it with
    ``ray.kill`` after ``serve.shutdown``)."""
    ray = require("ray", "ray")
    serve = require("ray.serve", "ray")
    config = RewardProgram.from_yaml(config_path).to_dict()
    if not ray.is_initialized():
        ray.init(include_dashboard=False, namespace=NAMESPACE, log_to_driver=False)
    owner = ray.remote(num_cpus=0)(StateOwner).options(name=ACTOR_NAME, namespace=NAMESPACE)
    actor = owner.remote(config, str(state.resolve()), None if monitor is None else dict(monitor))
    ray.get(actor.version.remote())  # raises here when the state file does not fit the config
    serve.start(http_options={"host": host, "port": port})
    deployment = serve.deployment(
        Replica,
        name="rewardkit",
        num_replicas=replicas,
        ray_actor_options={"num_cpus": 0.5},
        graceful_shutdown_wait_loop_s=0.5,  # drain: replicas finish the requests in flight
        graceful_shutdown_timeout_s=30,
    )
    serve.run(deployment.bind(config, asdict(settings)), name="rewardkit", route_prefix="/")
    return actor


def stop(actor: Any) -> None:
    """Drain and delete the app (each replica finishes its requests), then stop Ray."""
    ray = require("ray", "ray")
    serve = require("ray.serve", "ray")
    serve.delete("rewardkit")
    ray.kill(actor)
    ray.shutdown()  # this process started the local cluster: its controller and proxy go too
