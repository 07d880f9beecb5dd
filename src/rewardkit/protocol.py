"""The one step protocol: what happens once per optimizer step, the same in every host.

The built-in trainer, TRL's callback and subclass, the server's ``/v1/observe`` and verl's
``observe_step`` each hand a finished step to one ``StepProtocol`` and decide nothing of their
own. For a step it

1. merges the step's scored parts (``diagnostics.merge_scored``: statistics once, over all);
2. computes advantages and every node's metrics once (or takes the host's, when the host had to
   compute them before its update);
3. checks that every watched metric was reported: a missing or misspelt one is a ``ConfigError``
   naming it, with did-you-mean (the schedule would otherwise never move);
4. advances schedules and curricula (``RewardProgram.observe``), the only place their state
   changes;
5. feeds the monitor and decides whether to stop (``on_alert: stop``);
6. saves and restores all of that state (``state_dict`` / ``load_state_dict``).

Metrics cross a wire through ``wire_metrics``: a statistic that is not finite (a node that
applied to no sample has a NaN mean) is JSON ``null``, never a crash.

>>> from rewardkit.types import Sample
>>> program = RewardProgram.from_dict({"reward": {"fn": "exact_match"}})
>>> protocol = StepProtocol(program)
>>> batch = program.score([Sample("0", "q", "", "a", "a"), Sample("1", "q", "", "b", "a")])
>>> result = protocol.step(0, [batch])
>>> result.metrics["reward/mean"], result.stop, program.step
(0.5, False, 1)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewardkit.advantage import Advantages
from rewardkit.diagnostics import merge_scored
from rewardkit.errors import ConfigError
from rewardkit.monitor import Alert, Monitor, MonitorConfig
from rewardkit.monitor.signals import StepSamples, from_scored
from rewardkit.program import RewardProgram
from rewardkit.schedule.watch import unreported
from rewardkit.types import ScoredBatch

MonitorSpec = Monitor | MonitorConfig | Mapping[str, Any] | None


@dataclass
class StepResult:
    """What one observed step gave: its metrics (the step's own, the curricula's, the next
    variables as ``next/<name>``, the monitor's), its schedule and curriculum events, the
    monitor's alerts, whether to stop, and the merged batch and advantages (None when the host
    sent metrics only)."""

    step: int
    metrics: dict[str, float]
    events: list[Any] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    stop: bool = False
    scored: ScoredBatch | None = None
    advantages: Advantages | None = None


class StepProtocol:
    """Owns a program (and a monitor) and observes each finished step once (module doc).

    ``note`` is appended to a missing-metric error: what the host feeds the schedules.
    """

    def __init__(self, program: RewardProgram, monitor: MonitorSpec = None, note: str = ""):
        self.program = program
        self.monitor = monitor_of(monitor)
        self.note = note

    # -- one step -------------------------------------------------------------------------------

    def step(
        self,
        step: int,
        parts: Sequence[ScoredBatch] = (),
        *,
        advantages: Advantages | None = None,
        metrics: Mapping[str, float] | None = None,
        correct: Sequence[bool] | None = None,
        exempt: tuple[str, ...] = (),
    ) -> StepResult:
        """Observe finished step ``step`` from its scored parts (rows of every rank, round or
        chunk). ``advantages``: the host's own for the merged batch (computed before its update);
        ``metrics``: the host's other metrics (loss, evaluation, timing); ``correct``: a task's
        verdict per sample, for the curricula and the monitor; ``exempt``: metric prefixes a step
        may lack (``eval/`` between evaluations). A step that scored nothing is observed with the
        host's metrics only and is not checked for node metrics (it has none)."""
        # One part is already a whole batch with its statistics (program.score computed them).
        scored = None if not parts else parts[0] if len(parts) == 1 else merge_scored(parts)
        adv = advantages
        if scored is not None and adv is None:
            adv = self.program.advantages(scored)
        observed: dict[str, float] = {}
        if scored is not None and adv is not None:
            observed.update({**scored.metrics, **adv.metrics})
        observed.update(metrics or {})
        if scored is not None:
            self.check_reported(step, observed, exempt)
        outcomes = None if scored is None else self.program.outcomes(scored, adv, correct)
        samples = None
        if scored is not None and self.monitor is not None:
            samples = from_scored(
                scored, correct if correct is not None else self._verdicts(scored)
            )
        result = self._advance(step, observed, outcomes, samples)
        result.scored, result.advantages = scored, adv
        return result

    def observe(
        self,
        step: int,
        metrics: Mapping[str, float | None],
        outcomes: Sequence[Any] | None = None,
        samples: StepSamples | None = None,
        exempt: tuple[str, ...] = (),
    ) -> StepResult:
        """Observe step ``step`` known by its metrics only (a server client, verl's driver):
        checked like any step; a ``null`` (not finite) metric counts as reported, not applying."""
        observed = {k: math.nan if v is None else float(v) for k, v in metrics.items()}
        self.check_reported(step, observed, exempt)
        return self._advance(step, observed, outcomes, samples)

    def check_reported(
        self, step: int, metrics: Mapping[str, Any], exempt: tuple[str, ...] = ()
    ) -> None:
        """Raise a ``ConfigError`` naming every watched metric step ``step`` did not report."""
        silent = unreported(self.program.schedules, metrics, step, exempt)
        if silent is not None:
            if not self.note:
                raise silent
            raise ConfigError([(path, f"{msg}. {self.note}") for path, msg in silent.problems])

    def _advance(
        self,
        step: int,
        metrics: dict[str, float],
        outcomes: Sequence[Any] | None,
        samples: StepSamples | None,
    ) -> StepResult:
        events = self.program.observe(step, metrics, outcomes)
        metrics.update(self.program.curriculum_metrics())
        metrics.update({f"next/{k}": v for k, v in self.program.variables.items()})
        alerts: list[Alert] = []
        if self.monitor is not None:
            alerts = self.monitor.observe(step, metrics, samples)
            metrics.update(self.monitor.signals)
        stop = bool(alerts) and self.monitor is not None and self.monitor.config.on_alert == "stop"
        return StepResult(step, metrics, events, alerts, stop)

    def _verdicts(self, scored: ScoredBatch) -> list[bool] | None:
        """Each sample's verdict when the monitor's verifier is a node mean (``reward/ok/mean``:
        value >= 0.5, NaN rejected); None for any other verifier."""
        assert self.monitor is not None
        path = self.monitor.config.verifier.removesuffix("/mean")
        if path == self.monitor.config.verifier or path not in scored.values:
            return None
        return [bool(v >= 0.5) for v in scored.values[path]]  # NaN >= 0.5 is False

    # -- state ----------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The program's state and the monitor's (plain, JSON-able)."""
        state: dict[str, Any] = {"program": self.program.state_dict()}
        if self.monitor is not None:
            state["monitor"] = self.monitor.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict``'s result; the next step continues exactly."""
        self.program.load_state_dict(state["program"])
        if self.monitor is not None and state.get("monitor") is not None:
            self.monitor.load_state_dict(state["monitor"])


def monitor_of(spec: MonitorSpec) -> Monitor | None:
    """A Monitor from a Monitor, its config or the config's mapping (None: no monitor)."""
    if spec is None or isinstance(spec, Monitor):
        return spec
    return Monitor(spec)


def wire_metrics(metrics: Mapping[str, float]) -> dict[str, float | None]:
    """``metrics`` for a JSON wire: a value that is not finite is ``None`` (JSON null).

    >>> wire_metrics({"reward/mean": 0.5, "reward/p/mean": float("nan")})
    {'reward/mean': 0.5, 'reward/p/mean': None}
    """
    return {k: float(v) if math.isfinite(v) else None for k, v in metrics.items()}
