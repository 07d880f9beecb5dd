"""A program kept at the version of one shared schedule state: the one state replica.

Every reader of the shared state (verl's reward workers and estimator, verifiers' functions, a Ray
Serve replica of the server) keeps a local copy of the program and reloads the whole state only
when the state's version changed. The state lives in one place, its *source*: a ``rewardkit
serve`` server (``ServerSource``) or the server's named Ray actor (``ActorSource``). Writes
(``observe``, ``replace``) go to the source; the replica reloads after them.

>>> replica = StateReplica.connect({"reward": {"fn": "exact_match"}})  # no source: local only
>>> replica.sync(), replica.program.variables
(-1, {})
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rewardkit.advantage import Advantages
from rewardkit.errors import (
    ConfigError,
    InputError,
    RewardKitError,
    ServerUnreachable,
    StateUnreachable,
)
from rewardkit.program import RewardProgram
from rewardkit.types import Sample, ScoredBatch

ACTOR_NAME = "rewardkit_state"
NAMESPACE = "rewardkit"
Snapshot = tuple[int, dict[str, Any], dict[str, float]]
"""(state version, state_dict, variables), read together."""


@dataclass(frozen=True)
class Refused:
    """A write the state owner refused, as plain data (an exception raised inside a Ray actor
    would reach the caller wrapped, with the actor's traceback in its message)."""

    message: str
    problems: list[tuple[str, str]] = field(default_factory=list)

    def error(self) -> RewardKitError:
        """The error to raise on the caller's side."""
        return ConfigError(self.problems) if self.problems else InputError(self.message)


class StateSource(Protocol):
    """Where the shared state lives."""

    where: str

    def version(self) -> int: ...

    def snapshot(self) -> Snapshot: ...

    def observe(
        self, step: int, metrics: Mapping[str, float | None], outcomes: Any, samples: Any
    ) -> Any: ...

    def replace(self, state: Mapping[str, Any], if_version: int | None) -> int: ...


class ServerSource:
    """A ``rewardkit serve`` server (token from ``token`` or ``$REWARDKIT_TOKEN``)."""

    def __init__(self, url: str, token: str | None = None, attempts: int = 2):
        from rewardkit.client import Retry, RewardClient

        self.where = url
        self.client = RewardClient(url, token=token, timeout=10.0, retry=Retry(attempts))

    def version(self) -> int:
        return int(self.client.health()["state_version"])

    def snapshot(self) -> Snapshot:
        answer = self.client.state()
        return int(answer["state_version"]), answer["state"], answer["variables"]

    def observe(
        self, step: int, metrics: Mapping[str, float | None], outcomes: Any, samples: Any
    ) -> Any:
        return self.client.observe(step, metrics, outcomes)  # a refusal raises InvalidRequest

    def replace(self, state: Mapping[str, Any], if_version: int | None) -> int:
        return int(self.client.put_state(state, if_version)["state_version"])


class ActorSource:
    """The named Ray actor of ``rewardkit.server.ray_serve`` (or an actor handle)."""

    def __init__(self, actor: Any = ACTOR_NAME, namespace: str = NAMESPACE):
        from rewardkit.errors import require

        self.ray = require("ray", "ray")
        self._handle = None if isinstance(actor, str) else actor
        self._name = actor if isinstance(actor, str) else ACTOR_NAME
        self._namespace = namespace
        self.where = f"Ray actor {self._name!r}"

    @property
    def handle(self) -> Any:
        if self._handle is None:
            self._handle = self.ray.get_actor(self._name, namespace=self._namespace)
        return self._handle

    def version(self) -> int:
        return int(self.ray.get(self.handle.version.remote()))

    def snapshot(self) -> Snapshot:
        version, state, variables = self.ray.get(self.handle.snapshot.remote())
        return int(version), state, variables

    def observe(
        self, step: int, metrics: Mapping[str, float | None], outcomes: Any, samples: Any
    ) -> Any:
        done = self.ray.get(self.handle.observe.remote(step, dict(metrics), outcomes, samples))
        if isinstance(done, Refused):
            raise done.error()
        return done

    def replace(self, state: Mapping[str, Any], if_version: int | None) -> int:
        return int(self.ray.get(self.handle.replace.remote(dict(state), if_version)))


def _unreachable(where: str, exc: Exception) -> StateUnreachable:
    return StateUnreachable(
        f"rewardkit could not read the shared schedule state from {where}: "
        f"{type(exc).__name__}: {exc}. Start `rewardkit serve` (or the Ray state actor) "
        "before training; a reward without its schedule is never guessed"
    )


class StateReplica:
    """``program`` kept at ``source``'s latest version (no source: local only, never synced).

    ``sync()`` asks the source for its version and loads the whole state only when it changed;
    it returns the version. A source that cannot be reached raises ``StateUnreachable``: a
    reward without its schedule is never guessed.
    """

    def __init__(self, program: RewardProgram, source: StateSource | None = None):
        self.program = program
        self.source = source
        self.version = -1
        self._lock = threading.RLock()
        self._state: dict[str, Any] = program.state_dict()
        self._variables: dict[str, float] = program.variables

    @classmethod
    def connect(
        cls,
        config: RewardProgram | Mapping[str, Any] | str | Path,
        server: str | None = None,
        token: str | None = None,
        actor: bool | str = False,
    ) -> StateReplica:
        """A replica of the server at ``server``, or of the Ray actor (``actor=True`` or its
        name), or local only (neither)."""
        return cls(program_of(config), source_of(server, token, actor))

    def sync(self) -> int:
        """Load the source's state when its version changed; the version."""
        if self.source is None:
            return self.version
        try:
            version = self.source.version()
            with self._lock:
                if version != self.version:
                    version, state, variables = self.source.snapshot()
                    self.program.load_state_dict(state)
                    self.version, self._state, self._variables = version, state, variables
                return self.version
        except ServerUnreachable as exc:  # the client's retries ran out
            raise _unreachable(self.source.where, exc) from exc
        except RewardKitError:
            raise
        except Exception as exc:
            raise _unreachable(self.source.where, exc) from exc

    def snapshot(self) -> Snapshot:
        """(version, state, variables) after a sync."""
        self.sync()
        with self._lock:
            return self.version, self._state, self._variables

    def score_here(self, samples: Sequence[Sample]) -> tuple[int, dict[str, float], ScoredBatch]:
        """Score with the latest state: (version, variables, scored)."""
        self.sync()
        with self._lock:
            return self.version, self.program.variables, self.program.score(samples)

    def advantages(self, scored: ScoredBatch) -> Advantages:
        with self._lock:
            return self.program.advantages(scored)

    def observe(
        self,
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Any = None,
        samples: Any = None,
    ) -> Any:
        """Send finished step ``step`` to the source (its answer), then sync."""
        if self.source is None:
            raise InputError("this state replica has no source to observe into")
        done = self.source.observe(step, metrics, outcomes, samples)
        self.sync()
        return done

    def replace(self, state: Mapping[str, Any], if_version: int | None = None) -> int:
        """Load a whole state at the source; the new version."""
        if self.source is None:
            raise InputError("this state replica has no source to write to")
        version = self.source.replace(state, if_version)
        self.sync()
        return version


def source_of(
    server: str | None = None, token: str | None = None, actor: bool | str = False
) -> StateSource | None:
    """The server at ``server``, else the Ray actor (``actor=True`` or its name), else None."""
    if server is not None:
        return ServerSource(server, token)
    if actor:
        return ActorSource(actor if isinstance(actor, str) else ACTOR_NAME)
    return None


def program_of(config: RewardProgram | Mapping[str, Any] | str | Path) -> RewardProgram:
    """A program from itself, its config mapping or its YAML file."""
    if isinstance(config, RewardProgram):
        return config
    if isinstance(config, str | Path):
        return RewardProgram.from_yaml(config)
    return RewardProgram.from_dict(config)
