"""``balanced_filter``: online difficulty filtering. Keep only groups whose accuracy lies inside a
band, so that every kept group has rollouts that differ and gives a non-zero advantage.

A group's accuracy is the mean of its samples' ``correct`` (or of their rewards, with
``accuracy_from: reward``). The default band is ``0 < acc < 1`` (drop groups all wrong or all
right); ``low``, ``high``, ``include_low``, ``include_high`` set another. ``filter`` returns the
kept group ids and changes nothing; the trainer refills the batch with new prompts and filters
those too. The state changes only when the step protocol observes the step, with the outcomes of
all its groups (every round, dropped ones too): ``pass_rate`` is the kept fraction of the step's
groups, ``pass_rate_total`` that of all groups so far. The filter makes no moves, so it reports no
events.

>>> f = BalancedFilter("odf", BalancedFilterConfig())
>>> f.filter([Outcome("s", "a", correct=True), Outcome("s", "a", correct=False),
...           Outcome("s", "b", correct=True), Outcome("s", "b", correct=True)])
['a']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import Field

from rewardkit.curriculum.base import Event, Outcome, accuracy_value, as_outcomes
from rewardkit.errors import InputError
from rewardkit.schedule.base import check_keys, mean
from rewardkit.schedule.config import ConfigModel, Problem, join


class BalancedFilterConfig(ConfigModel):
    """``{balanced_filter: {accuracy_from, low, high, include_low, include_high}}``."""

    accuracy_from: Literal["correct", "reward"] = "correct"
    low: float = Field(0.0, description="lower end of the band of kept accuracies")
    high: float = Field(1.0, description="upper end of the band")
    include_low: bool = Field(False, description="keep groups exactly at `low`")
    include_high: bool = Field(False, description="keep groups exactly at `high`")


def filter_problems(cfg: BalancedFilterConfig, path: str) -> list[Problem]:
    """An empty band, with the field path."""
    closed = cfg.include_low and cfg.include_high
    if cfg.low > cfg.high or (cfg.low == cfg.high and not closed):
        return [(join(path, "high"), f"the band from {cfg.low} to {cfg.high} keeps nothing")]
    return []


class BalancedFilter:
    """Keeps groups of intermediate accuracy and reports the pass rate (module doc)."""

    def __init__(self, name: str, config: BalancedFilterConfig):
        self.name = name
        self.kind = "balanced_filter"
        self.config = config
        self._seen = self._kept = 0
        self._last_pass_rate = float("nan")

    def accuracy(self, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> dict[str, float]:
        """The accuracy of every group, in first-seen order.

        A group none of whose samples has a ``correct`` (or reward) value raises InputError.
        """
        values: dict[str, list[float]] = {}
        for o in as_outcomes(outcomes):
            value = accuracy_value(o, self.config.accuracy_from)
            group = values.setdefault(o.group, [])
            if value is not None:
                group.append(value)
        empty = [g for g, v in values.items() if not v]
        if empty:
            raise InputError(
                f"curriculum {self.name!r}: groups {empty} have no {self.config.accuracy_from!r} "
                "values to judge; give them, or set accuracy_from"
            )
        return {g: mean(v) for g, v in values.items()}

    def keeps(self, accuracy: float) -> bool:
        """Whether a group with this accuracy lies inside the band."""
        c = self.config
        above = accuracy >= c.low if c.include_low else accuracy > c.low
        below = accuracy <= c.high if c.include_high else accuracy < c.high
        return above and below

    def filter(self, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[str]:
        """The ids of the groups to keep (first-seen order). Changes no state."""
        return [g for g, acc in self.accuracy(outcomes).items() if self.keeps(acc)]

    def observe(self, step: int, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[Event]:
        """Close step ``step``: its groups (``outcomes`` of every round) fold into the pass rates."""
        del step
        outcomes = list(outcomes)
        accuracy = self.accuracy(outcomes) if outcomes else {}
        kept = sum(self.keeps(acc) for acc in accuracy.values())
        if accuracy:
            self._last_pass_rate = kept / len(accuracy)
        self._seen += len(accuracy)
        self._kept += kept
        return []

    def metrics(self) -> dict[str, float]:
        """``pass_rate`` (last step), ``pass_rate_total``, ``groups_seen``, ``groups_kept``."""
        total = self._kept / self._seen if self._seen else float("nan")
        return {
            "pass_rate": self._last_pass_rate,
            "pass_rate_total": total,
            "groups_seen": float(self._seen),
            "groups_kept": float(self._kept),
        }

    def state_dict(self) -> dict[str, Any]:
        """Group counts and the last pass rate."""
        return {
            "seen": self._seen,
            "kept": self._kept,
            "last_pass_rate": None if math.isnan(self._last_pass_rate) else self._last_pass_rate,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore saved counts (a state saved before the counts moved into ``observe`` also holds
        ``step_seen``/``step_kept``, the counts of a step not yet closed: they are dropped, that
        step is observed again on resume)."""
        state = {k: v for k, v in state.items() if k not in ("step_seen", "step_kept")}
        check_keys(state, ["seen", "kept", "last_pass_rate"], self.name)
        self._seen, self._kept = int(state["seen"]), int(state["kept"])
        rate = state["last_pass_rate"]
        self._last_pass_rate = float("nan") if rate is None else float(rate)
