"""Replay a recorded stream of per-step metrics through schedules, to tune them before training.

>>> from rewardkit.schedule.build import build_schedules
>>> scheds = build_schedules({"thr": {"ladder": [0.3, 0.5], "watch": "hit", "window": 2,
...                                   "raise_when": {"mean_at_least": 0.75}}})
>>> tl = simulate(scheds, [(0, {"hit": 1.0}), (1, {"hit": 1.0}), (2, {"hit": 0.0})])
>>> [values["thr"] for _, values in tl.rows], [e.step for e in tl.events]
([0.3, 0.3, 0.5], [1])
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rewardkit.errors import InputError
from rewardkit.schedule.base import Event, Schedule
from rewardkit.schedule.watch import never_reported


@dataclass
class Timeline:
    """What the schedules did: the value of every variable while each step ran, and the moves.

    Attributes:
        names: the schedule names, in config order.
        rows: ``(step, {name: value})`` for every step of the stream.
        events: every move, in the order they happened.
    """

    names: tuple[str, ...]
    rows: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def values(self, name: str) -> list[float]:
        """The value of ``name`` at each step of the stream."""
        return [values[name] for _, values in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """``{"rows": [{"step": s, name: value, ...}], "events": [event dicts]}``, JSON-able."""
        return {
            "rows": [{"step": step, **values} for step, values in self.rows],
            "events": [e.as_dict() for e in self.events],
        }

    def to_table(self, changes_only: bool = False) -> str:
        """A plain-text table: one row per step (or only the first, last and changed ones).

        >>> print(Timeline(("a",), [(0, {"a": 0.5})]).to_table())
        step  a    events
        0     0.5
        """
        by_step: dict[int, list[str]] = {}
        for e in self.events:
            by_step.setdefault(e.step, []).append(
                f"{e.source} {e.kind} {e.old:g} -> {e.new:g}"
                if _numbers(e)
                else f"{e.source} {e.kind}"
            )
        lines = [["step", *self.names, "events"]]
        previous: dict[str, float] | None = None
        for i, (step, values) in enumerate(self.rows):
            changed = previous is None or values != previous or i == len(self.rows) - 1
            if not changes_only or changed or step in by_step:
                cells = [f"{values[n]:g}" for n in self.names]
                lines.append([str(step), *cells, "; ".join(by_step.get(step, []))])
            previous = values
        widths = [max(len(row[c]) for row in lines) for c in range(len(lines[0]))]
        padded = (
            " ".join(c.ljust(w + 1) for c, w in zip(row, widths, strict=True)) for row in lines
        )
        return "\n".join(line.rstrip() for line in padded)


def _numbers(event: Event) -> bool:
    return isinstance(event.old, (int, float)) and isinstance(event.new, (int, float))


def simulate(
    schedules: Mapping[str, Schedule], stream: Iterable[tuple[int, Mapping[str, float]]]
) -> Timeline:
    """Replay ``stream`` (``(step, metrics)`` in increasing step order) through copies of
    ``schedules``; the schedules passed in are not advanced.

    For each step the row records the values used while it ran, then the schedules observe its
    metrics, so a move decided after step ``t`` shows in the row of step ``t + 1``. A stream that
    never reports a watched metric is refused (ConfigError naming the metrics it does report): the
    schedule would sit at its first value and say nothing.
    """
    running = {name: copy.deepcopy(s) for name, s in schedules.items()}
    timeline = Timeline(tuple(running))
    last: int | None = None
    reported: set[str] = set()
    for step, metrics in stream:
        if last is not None and step <= last:
            raise InputError(
                f"step {step} comes after step {last}; the metrics stream must be in "
                "increasing step order"
            )
        last = step
        timeline.rows.append((step, {name: s.value(step) for name, s in running.items()}))
        for s in running.values():
            timeline.events.extend(s.observe(step, metrics))
        reported.update(metrics)
    silent = never_reported(schedules, reported)
    if silent is not None:
        raise silent
    return timeline
