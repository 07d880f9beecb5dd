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
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rewardkit.errors import ConfigError, InputError, require
from rewardkit.monitor import Monitor
from rewardkit.program import RewardProgram
from rewardkit.replica import ACTOR_NAME, NAMESPACE, ActorSource, Refused, StateReplica
from rewardkit.server.app import ServerSettings, Service, build_app
from rewardkit.server.state import Observed, ProgramState, StateStore

__all__ = ["ACTOR_NAME", "NAMESPACE", "Replica", "StateOwner", "run", "stop"]


class StateOwner:
    """The body of the state actor: a ProgramState behind Ray's single-threaded actor."""

    def __init__(
        self, config: Mapping[str, Any], state_path: str, monitor: Mapping[str, Any] | None = None
    ):
        watcher = None if monitor is None else Monitor(monitor)
        self.state = ProgramState(RewardProgram.from_dict(config), StateStore(state_path), watcher)

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


class Replica:
    """The Serve deployment's body: the rewardkit ASGI app, answering through ``__call__``."""

    def __init__(self, config: Mapping[str, Any], settings: Mapping[str, Any]):
        ray = require("ray", "ray")
        actor = ray.get_actor(ACTOR_NAME, namespace=NAMESPACE)
        authority = StateReplica(RewardProgram.from_dict(config), ActorSource(actor))
        authority.sync()
        self.app = build_app(Service(authority, ServerSettings(**{**settings, "workers": 0})))  # type: ignore[arg-type]
        self.pid = str(os.getpid()).encode()

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
        response = Response(b"".join(body), status_code=start.get("status", 500))
        response.raw_headers = [
            *[(k, v) for k, v in start.get("headers", []) if k != b"content-length"],
            (b"content-length", str(len(response.body)).encode()),
            (b"x-rewardkit-replica", self.pid),
        ]
        return response


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
