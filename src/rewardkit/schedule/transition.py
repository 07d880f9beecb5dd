"""The transition: a weight that moves from one value to another, e.g. from a process reward to the
outcome reward as in Atom-Searcher.

Two ways to start it:

- over steps: ``{from: 1.0, to: 0.0, over: {linear: {steps: 100, begin: 0}}}``; the value is
  ``from`` up to step ``begin`` and reaches ``to`` at step ``begin + steps``;
- triggered by a watched metric: ``{from: 1.0, to: 0.0, watch: reward/outcome/mean,
  at_least: 0.6, window: 1, then: {linear: {steps: 20}}}``; once the mean of the metric over the
  last ``window`` observed steps reaches ``at_least`` (or falls to ``at_most``) after step ``t``,
  the value ramps from ``from`` at step ``t + begin`` to ``to`` at step ``t + begin + steps``;
  without ``then`` it switches to ``to`` at step ``t + 1``. It fires once.

>>> fade = {"from": 1.0, "to": 0.0, "over": {"linear": {"steps": 4}}}
>>> cfg = TransitionConfig.model_validate(fade)
>>> [Transition("w", cfg).value(s) for s in (0, 1, 4, 9)]
[1.0, 0.75, 0.0, 0.0]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from rewardkit.schedule.base import (
    Event,
    at_least,
    at_most,
    check_keys,
    is_replayed,
    mean,
    metric_value,
)
from rewardkit.schedule.config import ConfigModel, Problem, join
from rewardkit.schedule.time import RampKind, exponential_problem, ramp


class RampBody(ConfigModel):
    """How long the move takes (``steps``) and how long to wait before it starts (``begin``)."""

    steps: int = Field(1, ge=1)
    begin: int = Field(0, ge=0)


class Ramp(ConfigModel):
    """Exactly one of ``linear``, ``cosine``, ``exponential``, each with a RampBody."""

    linear: RampBody | None = None
    cosine: RampBody | None = None
    exponential: RampBody | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Ramp:
        given = [k for k in ("linear", "cosine", "exponential") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one shape of linear, cosine, exponential (got {given})")
        return self

    @property
    def kind(self) -> RampKind:
        """The shape's name."""
        if self.linear is not None:
            return "linear"
        return "cosine" if self.cosine is not None else "exponential"

    @property
    def body(self) -> RampBody:
        """The shape's steps and begin."""
        body = self.linear or self.cosine or self.exponential
        assert body is not None
        return body


class TransitionConfig(ConfigModel):
    """``{from, to, over}`` (time-based) or ``{from, to, watch, at_least|at_most, window, then}``"""

    start: float = Field(alias="from")
    to: float
    over: Ramp | None = None
    watch: str | None = Field(None, min_length=1)
    at_least: float | None = None
    at_most: float | None = None
    window: int = Field(1, ge=1)
    then: Ramp | None = None


def transition_problems(cfg: TransitionConfig, path: str) -> list[Problem]:
    """Cross-field problems of a validated transition config, each with its field path."""
    problems: list[Problem] = []
    if (cfg.over is None) == (cfg.watch is None):
        problems.append((path, "give either over (a time-based move) or watch (a triggered one)"))
    if cfg.watch is not None and (cfg.at_least is None) == (cfg.at_most is None):
        problems.append(
            (join(path, "watch"), "a triggered transition needs exactly one of at_least, at_most")
        )
    if cfg.watch is None:
        for field in ("at_least", "at_most", "then"):
            if getattr(cfg, field) is not None:
                problems.append(
                    (join(path, field), "only applies to a triggered transition (with watch)")
                )
    for field in ("over", "then"):
        shape: Ramp | None = getattr(cfg, field)
        if shape is not None and shape.kind == "exponential":
            problem = exponential_problem(cfg.start, cfg.to)
            if problem:
                problems.append((join(path, field, "exponential"), problem))
    return problems


class Transition:
    """Moves a value from ``from`` to ``to``: over steps, or once a watched metric is met."""

    def __init__(self, name: str, config: TransitionConfig):
        self.name = name
        self.kind = "transition"
        self.config = config
        self.watches: tuple[str, ...] = (config.watch,) if config.watch else ()
        self.triggered_at: int | None = None
        self._window: deque[float] = deque(maxlen=config.window)
        self._last_step: int | None = None

    def value(self, step: int) -> float:
        """The value while step ``step`` runs."""
        cfg = self.config
        if cfg.over is not None:
            return self._ramp(cfg.over, step)
        if self.triggered_at is None:
            return cfg.start
        if cfg.then is None:
            return cfg.to if step > self.triggered_at else cfg.start
        return self._ramp(cfg.then, step - self.triggered_at)

    def _ramp(self, shape: Ramp, elapsed: int) -> float:
        body = shape.body
        return ramp(
            shape.kind, self.config.start, self.config.to, (elapsed - body.begin) / body.steps
        )

    def observe(self, step: int, metrics: Mapping[str, float]) -> list[Event]:
        """For a triggered transition, fire once the watched window mean crosses the level."""
        cfg = self.config
        if cfg.watch is None or self.triggered_at is not None or is_replayed(step, self._last_step):
            return []
        self._last_step = step
        watched = metric_value(metrics, cfg.watch, step)
        if watched is None:
            return []  # skipped, not counted
        self._window.append(watched)
        if len(self._window) < cfg.window:
            return []
        window_mean = mean(self._window)
        if cfg.at_least is not None:
            fired, stats = (
                at_least(window_mean, cfg.at_least),
                {"mean": window_mean, "at_least": cfg.at_least},
            )
        else:
            assert cfg.at_most is not None
            fired, stats = (
                at_most(window_mean, cfg.at_most),
                {"mean": window_mean, "at_most": cfg.at_most},
            )
        if not fired:
            return []
        self.triggered_at = step
        return [Event(step, self.name, "switch", cfg.start, cfg.to, stats)]

    def state_dict(self) -> dict[str, Any]:
        """Trigger step, window and step bookkeeping as a plain dict."""
        return {
            "triggered_at": self.triggered_at,
            "window": list(self._window),
            "last_step": self._last_step,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state; raise ValueError if it does not fit this transition's config."""
        owner = f"transition {self.name!r}"
        check_keys(state, ["triggered_at", "window", "last_step"], owner)
        window = [float(x) for x in state["window"]]
        if len(window) > self.config.window:
            raise ValueError(
                f"state for {owner} holds {len(window)} window values; the config "
                f"window is {self.config.window}"
            )
        self.triggered_at = None if state["triggered_at"] is None else int(state["triggered_at"])
        self._window = deque(window, maxlen=self.config.window)
        self._last_step = None if state["last_step"] is None else int(state["last_step"])

    def __repr__(self) -> str:
        return f"Transition({self.name!r}, triggered_at={self.triggered_at})"
