"""The one state authority of a server: the program's schedules and curricula, versioned, in SQLite.

Every change (an observed step, a PUT of a whole state) bumps ``version`` and is written in one
transaction with the events it produced, so a server restarted on the same file resumes the exact
schedule, and a step observed twice (a trainer's retry) answers the recorded events again and
changes nothing.

>>> from rewardkit.program import RewardProgram
>>> cfg = {"reward": {"weighted": [{"name": "a", "fn": "exact_match", "weight": "${w}"}]},
...        "schedules": {"w": {"ladder": [1.0, 2.0], "watch": "reward/a/mean", "window": 1,
...                            "raise_when": {"mean_at_least": 0.5}}}}
>>> state = ProgramState(RewardProgram.from_dict(cfg), StateStore(":memory:"))
>>> state.observe(0, {"reward/a/mean": 1.0}).events[0]["new"]
2.0
>>> state.observe(0, {"reward/a/mean": 1.0}).replayed, state.version
(True, 1)

Observing goes through the one step protocol (``rewardkit.protocol.StepProtocol``): a step that
lacks a watched metric (a misspelt name) is a ``ConfigError`` naming it, and nothing changes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.advantage import Advantages
from rewardkit.errors import ConfigError, InputError, StaleVersion
from rewardkit.monitor import Monitor, StepSamples
from rewardkit.program import RewardProgram
from rewardkit.protocol import StepProtocol
from rewardkit.types import Sample, ScoredBatch

_SCHEMA = """
CREATE TABLE IF NOT EXISTS program_state (
    id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL, state TEXT NOT NULL,
    config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS observed_steps (
    step INTEGER PRIMARY KEY, version INTEGER NOT NULL, events TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS monitor_state (
    id INTEGER PRIMARY KEY CHECK (id = 0), state TEXT NOT NULL, config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS monitor_alerts (step INTEGER PRIMARY KEY, alerts TEXT NOT NULL);
"""


class StateStore:
    """SQLite file (or ``":memory:"``) holding the latest state, its version and observed steps."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def load(self) -> tuple[int, dict[str, Any], str] | None:
        """(version, state, config JSON) of the last write, or None for a new file."""
        row = self._db.execute("SELECT version, state, config FROM program_state").fetchone()
        return None if row is None else (int(row[0]), json.loads(row[1]), str(row[2]))

    def recorded(self, step: int) -> tuple[int, list[dict[str, Any]]] | None:
        """(version, events) recorded when ``step`` was first observed, or None."""
        row = self._db.execute(
            "SELECT version, events FROM observed_steps WHERE step = ?", (step,)
        ).fetchone()
        return None if row is None else (int(row[0]), json.loads(row[1]))

    def load_monitor(self) -> tuple[dict[str, Any], str] | None:
        """(state, config JSON) of the monitor at the last write, or None (never monitored)."""
        row = self._db.execute("SELECT state, config FROM monitor_state").fetchone()
        return None if row is None else (json.loads(row[0]), str(row[1]))

    def recorded_alerts(self, step: int) -> list[dict[str, Any]]:
        """The monitor's alerts recorded when ``step`` was first observed ([] if none)."""
        row = self._db.execute("SELECT alerts FROM monitor_alerts WHERE step = ?", (step,))
        found = row.fetchone()
        return [] if found is None else list(json.loads(found[0]))

    def write(
        self,
        version: int,
        state: Mapping[str, Any],
        config: str,
        step: int | None = None,
        events: Sequence[Mapping[str, Any]] = (),
        forget_from: int | None = None,
        monitor: tuple[Mapping[str, Any], str] | None = None,
        alerts: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Write a new state (and the step that produced it, and the monitor's state and alerts
        after it) in one transaction."""
        with self._db:  # BEGIN ... COMMIT, or ROLLBACK on an exception
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO program_state VALUES (0, ?, ?, ?)",
                (version, json.dumps(state), config),
            )
            if forget_from is not None:
                self._db.execute("DELETE FROM observed_steps WHERE step >= ?", (forget_from,))
                self._db.execute("DELETE FROM monitor_alerts WHERE step >= ?", (forget_from,))
            if step is not None:
                self._db.execute(
                    "INSERT INTO observed_steps VALUES (?, ?, ?)",
                    (step, version, json.dumps(list(events))),
                )
            if monitor is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO monitor_state VALUES (0, ?, ?)",
                    (json.dumps(monitor[0]), monitor[1]),
                )
                if step is not None and alerts:
                    self._db.execute(
                        "INSERT OR REPLACE INTO monitor_alerts VALUES (?, ?)",
                        (step, json.dumps(list(alerts))),
                    )

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class Observed:
    """What ``observe`` answers: the step's events, the version after it, and whether it is a
    replay of a step already observed (then nothing changed)."""

    events: list[dict[str, Any]]
    version: int
    replayed: bool
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """The monitor's alerts of the step (``{"step", "kind": "alert", "source", ...}``)."""
    stop: bool = False
    """Whether the alerts ask the trainer to stop (``on_alert: stop``)."""


OBSERVE_NOTE = (
    "POST /v1/observe must carry every metric a schedule watches, spelt as the config spells "
    "it (a statistic that is not finite is sent as null)"
)


class ProgramState:
    """The program that owns the schedule state, behind a lock, persisted in a StateStore; and,
    when given, the reward-hacking monitor fed by the same observed steps, persisted with it."""

    def __init__(self, program: RewardProgram, store: StateStore, monitor: Monitor | None = None):
        self.program = program
        self.store = store
        self.protocol = StepProtocol(program, monitor, note=OBSERVE_NOTE)
        self.monitor = self.protocol.monitor
        self._monitor_config = "" if monitor is None else monitor.config.model_dump_json()
        self._load_monitor()
        self._lock = threading.Lock()
        self._snapshot: tuple[int, dict[str, Any], dict[str, float]] | None = None
        self._config = json.dumps(program.to_dict(), sort_keys=True, default=str)
        saved = store.load()
        if saved is None:
            self.version = 0
            store.write(0, program.state_dict(), self._config)
            return
        version, state, config = saved
        if config != self._config:
            raise ConfigError(
                [
                    (
                        f"--state {store.path}",
                        "this state file was written for a different config; point --state at "
                        "a new file, or serve the config it was written with",
                    )
                ]
            )
        program.load_state_dict(state)
        self.version = version

    def _load_monitor(self) -> None:
        """Resume the monitor from the file (a file written without one starts it afresh)."""
        saved = self.store.load_monitor()
        if self.monitor is None or saved is None:
            return
        state, config = saved
        if config != self._monitor_config:
            raise ConfigError(
                [
                    (
                        f"--state {self.store.path}",
                        "this state file holds a monitor with another monitor config; serve "
                        "the monitor config it was written with, or point --state at a new file",
                    )
                ]
            )
        self.monitor.load_state_dict(state)

    def _monitor_state(self) -> tuple[dict[str, Any], str] | None:
        if self.monitor is None:
            return None
        return self.monitor.state_dict(), self._monitor_config

    def snapshot(self) -> tuple[int, dict[str, Any], dict[str, float]]:
        """(version, state_dict, variables), read together."""
        with self._lock:
            if self._snapshot is None or self._snapshot[0] != self.version:
                state, variables = self.program.state_dict(), self.program.variables
                self._snapshot = (self.version, state, variables)
            return self._snapshot

    def score_here(self, samples: Sequence[Sample]) -> tuple[int, dict[str, float], ScoredBatch]:
        """Score in this process with the current state: (version, variables, scored)."""
        with self._lock:
            return self.version, self.program.variables, self.program.score(samples)

    def advantages(self, scored: ScoredBatch) -> Advantages:
        """The program's advantages of a scored batch, read under the lock (an observe may be
        changing a variable they use)."""
        with self._lock:
            return self.program.advantages(scored)

    def observe(
        self,
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Sequence[Any] | None = None,
        samples: StepSamples | None = None,
    ) -> Observed:
        """Advance the program (and feed the monitor) with finished step ``step`` through the
        step protocol; a step seen before is a replay, answered with its recorded events and
        alerts. A ``None`` metric is a statistic that is not finite (JSON null)."""
        with self._lock:
            recorded = self.store.recorded(step)
            if recorded is not None:
                alerts = self.store.recorded_alerts(step)
                return Observed(recorded[1], self.version, True, alerts, self._stops(alerts))
            if step < self.program.step:  # before a loaded checkpoint: already in its state
                return Observed([], self.version, True)
            done = self.protocol.observe(step, metrics, outcomes, samples)
            events = [e.as_dict() for e in done.events]
            alerts = [{"step": a.step, **a.as_dict()} for a in done.alerts]
            self.version += 1
            self.store.write(
                self.version,
                self.program.state_dict(),
                self._config,
                step,
                events,
                monitor=self._monitor_state(),
                alerts=alerts,
            )
            return Observed(events, self.version, False, alerts, done.stop)

    def _stops(self, alerts: Sequence[Any]) -> bool:
        return bool(alerts) and self.monitor is not None and self.monitor.config.on_alert == "stop"

    def replace(self, state: Mapping[str, Any], if_version: int | None = None) -> int:
        """Load a whole state (a checkpoint's); returns the new version.

        Raises StaleVersion when ``if_version`` is given and is not the current version.
        """
        with self._lock:
            if if_version is not None and if_version != self.version:
                raise StaleVersion(self.version, if_version)
            before = self.program.state_dict()
            try:
                self.program.load_state_dict(state)
            except (ConfigError, KeyError, TypeError, ValueError) as exc:
                self.program.load_state_dict(before)
                if isinstance(exc, ConfigError):
                    raise
                raise InputError(f"state does not fit this program: {exc}") from None
            self.version += 1
            new = self.program.state_dict()
            self.store.write(self.version, new, self._config, forget_from=int(new["step"]))
            return self.version
