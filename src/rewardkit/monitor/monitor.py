"""``Monitor``: the detectors run on every finished step; alerts out, state as a plain dict.

Feed it each finished step's metrics (and, when the caller has them, the step's completions as
``StepSamples``); it returns the alerts of that step. ``state_dict()`` holds the recent history
of every series a detector reads, the steps observed and each detector's last alert: saved with
a checkpoint and restored, a resumed run raises exactly the alerts of an uninterrupted one.

>>> mon = Monitor({"detectors": {"proxy_divergence": {"warmup": 5, "window": 5}}})
>>> alerts = []
>>> for step in range(12):
...     alerts += mon.observe(step, {"reward/mean": 0.1 * step, "train/success": 0.3})
>>> [(a.step, a.detector) for a in alerts]
[(5, 'proxy_divergence')]
>>> again = Monitor(mon.config); again.load_state_dict(mon.state_dict())
>>> again.state_dict() == mon.state_dict()
True
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rewardkit.errors import ConfigError, config_error, did_you_mean
from rewardkit.monitor.base import DETECTORS, Context, Detector, History, Series
from rewardkit.monitor.signals import StepSamples, step_signals

JudgeProbe = Callable[[Sequence[str]], float]
"""A judge's master-key probe: the step's completions -> the fraction of variants accepted."""

PROBES: dict[str, JudgeProbe] = {}
"""Judge probes by name, for configs (``monitor: {judge_probe: NAME}``)."""


def judge_probe(name: str) -> Callable[[JudgeProbe], JudgeProbe]:
    """Register a judge's master-key probe under ``name`` (read by the ``judge_gaming`` detector).

    >>> @judge_probe("never_fooled")
    ... def never_fooled(completions):
    ...     return 0.0
    >>> Monitor({"judge_probe": "never_fooled"}).judge_probe is never_fooled
    True
    >>> _ = PROBES.pop("never_fooled")
    """

    def register(fn: JudgeProbe) -> JudgeProbe:
        PROBES[name] = fn
        return fn

    return register


def detector_names() -> list[str]:
    """Registered detector names, sorted, the built-ins included.

    >>> "proxy_divergence" in detector_names()
    True
    """
    # Imported on first use (scipy.stats takes a second): a program without a monitor never pays.
    from rewardkit.monitor import detectors  # noqa: F401  (registers the built-ins)

    return sorted(DETECTORS)


def make_detector(name: str, options: Mapping[str, Any], context: Context) -> Detector:
    """An instance of the detector ``name`` with validated ``options``."""
    known = detector_names()
    if name not in DETECTORS:
        hint = did_you_mean(name, known)
        raise ConfigError(
            f"unknown detector {name!r}"
            + (f" (did you mean {hint}?)" if hint else "")
            + f"; registered: {', '.join(known)}"
        )
    cls = DETECTORS[name]
    try:
        params = cls.Params.model_validate(dict(options))
    except ValidationError as exc:
        raise config_error(exc, cls.Params, f"monitor.detectors.{name}") from None
    return cls(params, context)


class MonitorConfig(BaseModel):
    """The ``monitor:`` section of a train config.

    >>> MonitorConfig().on_alert
    'warn'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    on_alert: Literal["warn", "stop"] = Field(
        "warn", description="warn: log the alert and go on; stop: checkpoint, then end the run"
    )
    proxy: str = Field("reward/mean", description="the metric the policy is trained on")
    verifier: str = Field(
        "train/success",
        description="a check the policy is not paid for: a metric node's mean "
        "(reward/<path>/mean) or a held-out metric (eval/greedy/success)",
    )
    detectors: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="options per detector, by name (see DetectorParams)"
    )
    disable: tuple[str, ...] = Field((), description="detectors not run")
    only: tuple[str, ...] | None = Field(None, description="run just these detectors (None: all)")
    examples: int = Field(3, ge=0, description="completions kept with each alert")
    judge_probe: str | None = Field(
        None, description="name of a registered judge probe (@judge_probe) run on each step"
    )


@dataclass
class Alert:
    """One detector firing at one step (an ``events.jsonl`` line of kind ``alert``)."""

    step: int
    detector: str
    message: str
    stats: dict[str, float] = field(default_factory=dict)
    keys: tuple[str, ...] = ()
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN written as None), without the step (the run log adds it)."""
        return {
            "kind": "alert",
            "source": self.detector,
            "message": self.message,
            "stats": {k: (v if math.isfinite(v) else None) for k, v in self.stats.items()},
            "keys": list(self.keys),
            "examples": self.examples,
        }


class Monitor:
    """The detectors of a ``MonitorConfig``, fed one finished step at a time (module doc)."""

    def __init__(
        self,
        config: MonitorConfig | Mapping[str, Any] | None = None,
        judge_probe: JudgeProbe | None = None,
    ):
        if not isinstance(config, MonitorConfig):
            try:
                config = MonitorConfig.model_validate(dict(config or {}))
            except ValidationError as exc:
                raise config_error(exc, MonitorConfig, "monitor") from None
        self.config = config
        if judge_probe is None and config.judge_probe is not None:
            if config.judge_probe not in PROBES:
                raise ConfigError(
                    f"unknown judge probe {config.judge_probe!r}; registered: "
                    f"{', '.join(sorted(PROBES)) or 'none'} (register one with @judge_probe)"
                )
            judge_probe = PROBES[config.judge_probe]
        self.judge_probe = judge_probe
        ctx = Context(proxy=config.proxy, verifier=config.verifier)
        names = list(config.only) if config.only is not None else detector_names()
        unknown = [n for n in (*config.disable, *config.detectors) if n not in detector_names()]
        if unknown:
            make_detector(unknown[0], {}, ctx)  # raises the did-you-mean error
        self.detectors: list[Detector] = [
            make_detector(n, config.detectors.get(n, {}), ctx)
            for n in names
            if n not in config.disable
        ]
        self.keep = max((d.p.window for d in self.detectors), default=0) + 5
        self.series: Series = {}
        self.seen = 0
        self.last_alert: dict[str, int] = {}
        self.signals: dict[str, float] = {}

    def observe(
        self, step: int, metrics: Mapping[str, float], samples: StepSamples | None = None
    ) -> list[Alert]:
        """The alerts of finished step ``step``; ``self.signals`` holds the step's own measures."""
        self.signals = step_signals(samples) if samples is not None else {}
        if self.judge_probe is not None and samples is not None:
            self.signals["monitor/judge_probe_accept"] = float(
                self.judge_probe(list(samples.completions))
            )
        self._record(step, {**metrics, **self.signals})
        self.seen += 1
        history = History(self.series)
        alerts = []
        for d in self.detectors:
            last = self.last_alert.get(d.name)
            if self.seen <= d.p.warmup or (last is not None and step - last < d.p.cooldown):
                continue
            found = d.check(step, history)
            if found is not None:
                self.last_alert[d.name] = step
                examples = _examples(samples, self.config.examples)
                alerts.append(Alert(step, d.name, found.message, found.stats, found.keys, examples))
        return alerts

    def _record(self, step: int, metrics: Mapping[str, float]) -> None:
        wanted = {k for d in self.detectors for k in d.watched()}
        prefixes = tuple(p for d in self.detectors for p in d.watched_prefixes())
        for key, value in metrics.items():
            read = key in wanted or (prefixes and key.startswith(prefixes))
            if read and isinstance(value, int | float) and math.isfinite(value):
                rows = self.series.setdefault(key, [])
                rows.append([float(step), float(value)])
                del rows[: -self.keep]

    def state_dict(self) -> dict[str, Any]:
        """A plain, JSON-able copy of everything ``observe`` depends on."""
        return {
            "series": copy.deepcopy(self.series),
            "seen": self.seen,
            "last_alert": dict(self.last_alert),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict()``'s result (from a checkpoint)."""
        try:
            self.series = copy.deepcopy(dict(state["series"]))
            self.seen = int(state["seen"])
            self.last_alert = {k: int(v) for k, v in state["last_alert"].items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"monitor state is not a Monitor.state_dict(): {exc}") from None


def _examples(samples: StepSamples | None, n: int) -> list[dict[str, Any]]:
    """The best-paid completions of the step, those the verifier rejects first."""
    if samples is None or n == 0:
        return []
    rewards = np.nan_to_num(np.asarray(samples.rewards, dtype=float), nan=-np.inf)
    wrong = (
        ~np.asarray(samples.correct, dtype=bool)
        if samples.correct is not None
        else np.zeros(len(rewards), bool)
    )
    order = sorted(range(len(rewards)), key=lambda i: (not wrong[i], -rewards[i], i))[:n]
    return [
        {
            "completion": samples.completions[i],
            "reward": float(rewards[i]) if np.isfinite(rewards[i]) else None,
            "correct": None if samples.correct is None else bool(samples.correct[i]),
        }
        for i in order
    ]
