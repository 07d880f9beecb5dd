"""The ladder: a performance-aware curriculum over ordered levels (MedLoc-R1, generalised).

The rule, checked after every finished step ``t`` that has the watched metric:

- the window holds one value per step: the watched metric's value at that step (the newest
  ``window`` of them); with ``margin_of`` set, a second window holds that metric's values;
- a **raise** needs all of: the window full; ``mean >= P(level)``; ``std <= S(level)`` (population
  std) when set; ``margin >= delta`` when set, where margin = mean of ``margin_of`` over the window
  minus the current level; ``mean >= gain * entry`` when ``gain_at_least`` is set, where entry is
  the mean of the first ``window`` values watched at the current level (no raise before there are
  that many); at least ``min_steps_between`` steps since the last level change
  (``t - t_change >= min_steps_between``);
- a **lower** (only with ``lower_when``) needs the window full, ``mean < mean_below(level)`` and
  its own ``min_steps_between``; without ``lower_when`` the ladder is monotone;
- after a move the window is refreshed: ``half`` keeps the newest ``window // 2`` values, ``full``
  clears it, ``none`` keeps it; the new level is used from step ``t + 1``.

``P``, ``S`` and ``mean_below`` are one number or a table with one entry per level (the top
level's entry may be left out, since the top level never raises). See docs/schedules.md.

>>> cfg = LadderConfig.model_validate({"ladder": [0.3, 0.5], "watch": "hit", "window": 2,
...                                    "raise_when": {"mean_at_least": 0.75}})
>>> lad = Ladder("iou", cfg)
>>> lad.observe(0, {"hit": 1.0}), lad.value(1)
([], 0.3)
>>> [e.new for e in lad.observe(1, {"hit": 0.5})], lad.value(2)
([0.5], 0.5)
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from rewardkit.schedule.base import (
    Event,
    at_least,
    at_most,
    check_keys,
    is_replayed,
    mean,
    metric_value,
    population_std,
)
from rewardkit.schedule.config import ConfigModel, Problem, join


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else value


PerLevel = Annotated[list[float], BeforeValidator(_as_list), Field(min_length=1)]
"""One number for every level, or a table with one number per level."""


class RaiseWhen(ConfigModel):
    """Conditions that must all hold for a raise."""

    mean_at_least: PerLevel
    std_at_most: PerLevel | None = None
    margin_at_least: float | None = None
    gain_at_least: float | None = Field(None, gt=0)
    """The window mean must reach this multiple of the level's entry mean (module doc): the model
    improved at this level, however well it did when it got there."""
    min_steps_between: int = Field(0, ge=0)


class LowerWhen(ConfigModel):
    """Opt-in hysteresis: lower one level when the window mean falls below this."""

    mean_below: PerLevel
    min_steps_between: int = Field(0, ge=0)


class LadderConfig(ConfigModel):
    """``{ladder, watch, margin_of, window, raise_when, lower_when, refresh, start_level, per}``."""

    ladder: list[float] = Field(min_length=2)
    watch: str = Field(min_length=1)
    margin_of: str | None = None
    window: int = Field(30, ge=1)
    raise_when: RaiseWhen
    lower_when: LowerWhen | None = None
    refresh: Literal["half", "full", "none"] = "half"
    start_level: int = Field(0, ge=0)
    per: str | None = Field(None, min_length=1)
    """A sample meta key: one ladder per value of it (``rewardkit.schedule.buckets``)."""


def ladder_problems(cfg: LadderConfig, path: str) -> list[Problem]:
    """Cross-field problems of a validated ladder config, each with its field path."""
    n = len(cfg.ladder)
    problems: list[Problem] = []
    diffs = [b - a for a, b in itertools.pairwise(cfg.ladder)]
    if not (all(d > 0 for d in diffs) or all(d < 0 for d in diffs)):
        problems.append(
            (join(path, "ladder"), f"levels must strictly increase or decrease: {cfg.ladder}")
        )
    tables: list[tuple[str, Sequence[float] | None]] = [
        ("raise_when.mean_at_least", cfg.raise_when.mean_at_least),
        ("raise_when.std_at_most", cfg.raise_when.std_at_most),
        ("lower_when.mean_below", cfg.lower_when.mean_below if cfg.lower_when else None),
    ]
    for field, table in tables:
        if table is not None and len(table) not in (1, n - 1, n):
            problems.append(
                (
                    join(path, field),
                    f"has {len(table)} entries but the ladder has {n} "
                    f"levels; give one number, or one per level ({n} or {n - 1})",
                )
            )
    if cfg.start_level >= n:
        problems.append(
            (
                join(path, "start_level"),
                f"is {cfg.start_level} but the ladder has {n} levels (indices 0..{n - 1})",
            )
        )
    if cfg.raise_when.margin_at_least is not None and cfg.margin_of is None:
        problems.append(
            (
                join(path, "raise_when.margin_at_least"),
                "needs margin_of: the metric whose window mean is compared with the level",
            )
        )
    if cfg.lower_when is not None and not problems:
        problems += _hysteresis_problems(cfg, path)
    return problems


def _hysteresis_problems(cfg: LadderConfig, path: str) -> list[Problem]:
    assert cfg.lower_when is not None
    for level in range(1, len(cfg.ladder) - 1):
        below = per_level(cfg.lower_when.mean_below, level)
        needed = per_level(cfg.raise_when.mean_at_least, level)
        if below >= needed:
            return [
                (
                    join(path, "lower_when.mean_below"),
                    f"at level {level} it is {below}, not "
                    f"below raise_when.mean_at_least ({needed}); the band between them is the "
                    "hysteresis that stops the level from oscillating",
                )
            ]
    return []


def per_level(table: Sequence[float], level: int) -> float:
    """The entry of a per-level table for ``level`` (a one-entry table is a constant).

    >>> per_level([0.8], 3), per_level([0.8, 0.75, 0.55], 2)
    (0.8, 0.55)
    """
    return table[0] if len(table) == 1 else table[level]


class Ladder:
    """A schedule that climbs an ordered list of levels when the model is ready (see module doc).

    Attributes:
        level: index of the current level; ``value(step)`` is ``config.ladder[level]``.
    """

    def __init__(self, name: str, config: LadderConfig):
        self.name = name
        self.kind = "ladder"
        self.config = config
        self.watches: tuple[str, ...] = (config.watch,) + (
            (config.margin_of,) if config.margin_of else ()
        )
        self.level = config.start_level
        self._window: deque[float] = deque(maxlen=config.window)
        self._margin_window: deque[float] = deque(maxlen=config.window)
        self._last_change: int | None = None
        self._last_step: int | None = None
        self._entry_values: list[float] = []  # watched at this level, until the entry is known
        self._entry: float | None = None

    def value(self, step: int) -> float:
        """The current level (a ladder's value depends on its history, not on ``step``)."""
        del step
        return self.config.ladder[self.level]

    def observe(self, step: int, metrics: Mapping[str, float]) -> list[Event]:
        """Add step ``step``'s values to the window, then raise or lower if the rule says so."""
        if is_replayed(step, self._last_step):
            return []
        self._last_step = step
        watched = metric_value(metrics, self.config.watch, step)
        margin_source = (
            metric_value(metrics, self.config.margin_of, step) if self.config.margin_of else 0.0
        )
        if watched is None or margin_source is None:
            return []  # a step without the watched metrics is skipped, not counted
        self._window.append(watched)
        if self._entry is None:
            self._entry_values.append(watched)
            if len(self._entry_values) == self.config.window:
                self._entry, self._entry_values = mean(self._entry_values), []
        if self.config.margin_of:
            self._margin_window.append(margin_source)
        return self._decide(step)

    def window_stats(self) -> dict[str, float]:
        """Window size, mean, population std and (with ``margin_of``) margin, as of now."""
        stats = {
            "window": float(len(self._window)),
            "mean": mean(self._window),
            "std": population_std(self._window),
        }
        if self.config.margin_of:
            stats["margin"] = mean(self._margin_window) - self.config.ladder[self.level]
        return stats

    def _decide(self, step: int) -> list[Event]:
        if len(self._window) < self.config.window:
            return []
        stats = self.window_stats()
        met = self._raise_thresholds(step, stats)
        if met is not None:
            return [self._move(step, +1, "raise", {**stats, **met})]
        met = self._lower_threshold(step, stats)
        if met is not None:
            return [self._move(step, -1, "lower", {**stats, **met})]
        return []

    def _raise_thresholds(self, step: int, stats: dict[str, float]) -> dict[str, float] | None:
        """The thresholds a raise met, or None when it is not due."""
        rule, level = self.config.raise_when, self.level
        if level == len(self.config.ladder) - 1 or not self._spaced(step, rule.min_steps_between):
            return None
        met = {"mean_at_least": per_level(rule.mean_at_least, level)}
        ok = at_least(stats["mean"], met["mean_at_least"])
        if rule.std_at_most is not None:
            met["std_at_most"] = per_level(rule.std_at_most, level)
            ok = ok and at_most(stats["std"], met["std_at_most"])
        if rule.margin_at_least is not None:
            met["margin_at_least"] = rule.margin_at_least
            ok = ok and at_least(stats["margin"], rule.margin_at_least)
        if rule.gain_at_least is not None:
            if self._entry is None:
                return None
            met["entry_mean"] = self._entry
            met["gain_at_least"] = rule.gain_at_least
            ok = ok and at_least(stats["mean"], rule.gain_at_least * self._entry)
        return met if ok else None

    def _lower_threshold(self, step: int, stats: dict[str, float]) -> dict[str, float] | None:
        rule = self.config.lower_when
        if rule is None or self.level == 0 or not self._spaced(step, rule.min_steps_between):
            return None
        below = per_level(rule.mean_below, self.level)
        return {"mean_below": below} if stats["mean"] < below else None

    def _spaced(self, step: int, min_steps: int) -> bool:
        return self._last_change is None or step - self._last_change >= min_steps

    def _move(self, step: int, delta: int, kind: str, stats: dict[str, float]) -> Event:
        old = self.config.ladder[self.level]
        self.level += delta
        self._last_change = step
        self._entry, self._entry_values = None, []
        self._refresh()
        return Event(step, self.name, kind, old, self.config.ladder[self.level], stats)

    def _refresh(self) -> None:
        keep = {"half": self.config.window // 2, "full": 0, "none": self.config.window}[
            self.config.refresh
        ]
        for window in (self._window, self._margin_window):
            while len(window) > keep:
                window.popleft()  # the oldest values go first

    def state_dict(self) -> dict[str, Any]:
        """Level, windows and step bookkeeping as a plain dict."""
        return {
            "level": self.level,
            "value": self.config.ladder[self.level],
            "window": list(self._window),
            "margin_window": list(self._margin_window),
            "last_change_step": self._last_change,
            "last_step": self._last_step,
            "entry_mean": self._entry,
            "entry_values": list(self._entry_values),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state; raise ValueError if it does not fit this ladder's config."""
        owner = f"ladder {self.name!r}"
        check_keys(
            state,
            ["level", "value", "window", "margin_window", "last_change_step", "last_step"],
            owner,
        )
        level, window, margins = (
            int(state["level"]),
            list(state["window"]),
            list(state["margin_window"]),
        )
        levels = self.config.ladder
        if not 0 <= level < len(levels) or levels[level] != state["value"]:
            raise ValueError(
                f"state for {owner} is at level {level} = {state['value']} but the "
                f"configured ladder is {levels}; the ladder changed since it was saved"
            )
        expected_margins = len(window) if self.config.margin_of else 0
        if len(window) > self.config.window or len(margins) != expected_margins:
            raise ValueError(
                f"state for {owner} holds {len(window)} window values and {len(margins)} "
                f"margin values; the config allows {self.config.window} and "
                f"{'as many' if self.config.margin_of else 'no'} margin values"
            )
        self.level = level
        self._window = deque((float(x) for x in window), maxlen=self.config.window)
        self._margin_window = deque((float(x) for x in margins), maxlen=self.config.window)
        self._last_change = (
            None if state["last_change_step"] is None else int(state["last_change_step"])
        )
        self._last_step = None if state["last_step"] is None else int(state["last_step"])
        # States saved before gain_at_least existed lack the entry: it is measured afresh.
        entry = state.get("entry_mean")
        entry_values = [float(x) for x in state.get("entry_values", [])]
        if len(entry_values) >= self.config.window:
            raise ValueError(
                f"state for {owner} holds {len(entry_values)} entry values; the entry mean is "
                f"taken at {self.config.window} (the window), so there can be fewer only"
            )
        self._entry = None if entry is None else float(entry)
        self._entry_values = entry_values

    def __repr__(self) -> str:
        return f"Ladder({self.name!r}, level={self.level}, value={self.config.ladder[self.level]})"
