"""What every schedule shares: the ``Schedule`` protocol, the ``Event`` it reports, and the rules
for reading a metric of a finished step.

A schedule drives one named variable (referenced as ``${name}`` in a reward config). The trainer
asks ``value(step)`` before step ``step`` runs and calls ``observe(step, metrics)`` after it
finished, so a decision taken after step ``t`` changes the value from step ``t + 1``.

>>> e = Event(step=29, source="iou_threshold", kind="raise", old=0.3, new=0.45, stats={"mean": 0.8})
>>> e.as_dict()["new"]
0.45
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

TOLERANCE = 1e-9
"""Slack for threshold comparisons, so that a boundary computed by hand (a window mean of exactly
0.75 against ``mean_at_least: 0.75``) counts as met despite floating-point rounding."""


@dataclass(frozen=True)
class Event:
    """One move of a schedule or curriculum: a raise, a lower, a switch, a shift of sampling.

    Attributes:
        step: the finished step after which the move was decided (it applies from ``step + 1``).
        source: the schedule or curriculum that moved (``"iou_threshold"``, ``"gym/arithmetic"``).
        kind: ``"raise"``, ``"lower"``, ``"switch"`` or ``"shift"``.
        old: the value before the move.
        new: the value after the move.
        stats: the statistics that triggered it (window mean, std, margin, accuracy...).

    >>> Event(3, "w", "switch", 1.0, 0.0).as_dict()["kind"]
    'switch'
    """

    step: int
    source: str
    kind: str
    old: Any
    new: Any
    stats: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict of the event.

        >>> Event(0, "s", "raise", 1, 2, {"mean": 0.9}).as_dict()["stats"]
        {'mean': 0.9}
        """
        return {
            "step": self.step,
            "source": self.source,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "stats": dict(self.stats),
        }


@runtime_checkable
class Schedule(Protocol):
    """A named variable whose value changes over training.

    Attributes:
        name: the variable's name, as used in ``${name}`` references.
        kind: the schedule type (``"cosine"``, ``"ladder"``, ``"transition"``...).
        watches: the metric names ``observe`` reads (empty for time-based schedules).

    A watched metric that is missing from ``metrics`` (or is NaN/inf) makes the schedule skip that
    step: it is not added to any window and not counted. A step at or before the last observed
    one is ignored, so a resumed run that replays a step neither counts it twice nor re-fires a
    move that already happened.
    """

    name: str
    kind: str
    watches: tuple[str, ...]

    def value(self, step: int) -> float:
        """The value to use while training step ``step`` runs."""
        ...

    def observe(self, step: int, metrics: Mapping[str, float]) -> list[Event]:
        """Read the metrics of finished step ``step``; return the moves decided (maybe none)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """The schedule's state as a plain JSON-able dict."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (raises ValueError if it does not fit)."""
        ...


def metric_value(metrics: Mapping[str, Any], name: str, step: int) -> float | None:
    """The finite value of metric ``name``, or None when it is missing, None, NaN or infinite.

    A value that is not a number at all is a bug in the caller's metrics and raises TypeError.

    >>> metric_value({"reward/hit/mean": 0.5}, "reward/hit/mean", 3)
    0.5
    >>> metric_value({}, "reward/hit/mean", 3) is None
    True
    """
    raw = metrics.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise TypeError(
            f"metric {name!r} at step {step} is {raw!r}; a watched metric must be a number"
        ) from None
    return value if math.isfinite(value) else None


def mean(values: Iterable[float]) -> float:
    """Plain mean (``math.fsum`` for exact hand-checkable sums); NaN for no values.

    >>> mean([1.0, 1.0, 1.0, 0.0])
    0.75
    """
    items = list(values)
    return math.fsum(items) / len(items) if items else math.nan


def population_std(values: Iterable[float]) -> float:
    """Population standard deviation (divide by N, not N - 1); NaN for no values.

    >>> population_std([1.0, 1.0, 1.0, 0.0])
    0.4330127018922193
    """
    items = list(values)
    if not items:
        return math.nan
    centre = mean(items)
    return math.sqrt(math.fsum((x - centre) ** 2 for x in items) / len(items))


def at_least(value: float, bound: float) -> bool:
    """``value >= bound`` with TOLERANCE slack.

    >>> at_least(0.1 + 0.2, 0.3)
    True
    """
    return value >= bound - TOLERANCE


def at_most(value: float, bound: float) -> bool:
    """``value <= bound`` with TOLERANCE slack.

    >>> at_most(0.30000000000000004, 0.3)
    True
    """
    return value <= bound + TOLERANCE


def is_replayed(step: int, last_step: int | None) -> bool:
    """Whether ``step`` was already observed (at or before the last observed step).

    >>> is_replayed(5, 5), is_replayed(6, 5), is_replayed(0, None)
    (True, False, False)
    """
    return last_step is not None and step <= last_step


def check_keys(state: Mapping[str, Any], keys: Iterable[str], owner: str) -> None:
    """Raise ValueError naming the keys a saved state lacks.

    >>> check_keys({"level": 1}, ["level"], "ladder 'iou'")
    """
    missing = [k for k in keys if k not in state]
    if missing:
        raise ValueError(
            f"state for {owner} lacks {', '.join(missing)}; was it saved by a different schedule?"
        )
