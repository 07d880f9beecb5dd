"""``ucb``: DUMP's distribution-level curriculum, a UCB score per data source.

Each data source is an arm. Its learnability is the mean absolute advantage of its samples (over
the last ``window`` samples, or all of them with ``window: null``), and its score adds an
exploration bonus: ``score = mean|A| + exploration * sqrt(ln(total) / n_arm)``, where ``n_arm``
counts the arm's samples so far and ``total`` those of all arms. Arms never sampled come first:
while any exists, the probability is spread evenly over them. Otherwise the next batch draws
sources by ``softmax(score / temperature)``.

>>> u = UCB("dump", UCBConfig(arms=["a", "b"]))
>>> u.probabilities()
{'a': 0.5, 'b': 0.5}
>>> _ = u.observe(0, [Outcome("a", "g", advantage=0.5)])
>>> u.probabilities()  # 'b' is still unseen
{'a': 0.0, 'b': 1.0}
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from pydantic import Field

from rewardkit.curriculum.base import (
    Event,
    Outcome,
    as_outcomes,
    check_arms,
    draw,
    known_arm,
    leader_shift,
    softmax,
)
from rewardkit.schedule.base import check_keys, is_replayed
from rewardkit.schedule.config import ConfigModel


class UCBConfig(ConfigModel):
    """``{ucb: {arms, arm_key, window, exploration, temperature}}``."""

    arms: list[str] = Field(min_length=1, description="the data sources")
    arm_key: str = Field("source", description="'source', or a key of each outcome's difficulty")
    window: int | None = Field(300, ge=1, description="samples in the mean |A|; null = all")
    exploration: float = Field(math.sqrt(2.0), ge=0, description="c, weight of the UCB bonus")
    temperature: float = Field(0.1, gt=0, description="softmax temperature over the scores")


class UCB:
    """DUMP: UCB scores on the mean absolute advantage per data source, softmax sampling."""

    def __init__(self, name: str, config: UCBConfig):
        self.name = name
        self.kind = "ucb"
        self.config = config
        self.arms: tuple[str, ...] = tuple(config.arms)
        self._counts = dict.fromkeys(self.arms, 0)
        self._sums = dict.fromkeys(self.arms, 0.0)  # used when window is None
        self._recent: dict[str, deque[float]] = {a: deque(maxlen=config.window) for a in self.arms}
        self._leader = self.arms[0]
        self._last_step: int | None = None

    def mean_abs_advantage(self, arm: str) -> float:
        """The arm's learnability estimate (NaN before its first sample)."""
        if self._counts[arm] == 0:
            return math.nan
        if self.config.window is None:
            return self._sums[arm] / self._counts[arm]
        return math.fsum(self._recent[arm]) / len(self._recent[arm])

    def scores(self) -> dict[str, float]:
        """UCB score per arm; ``inf`` for arms never sampled."""
        total = sum(self._counts.values())
        bonus = self.config.exploration
        return {
            a: math.inf
            if self._counts[a] == 0
            else self.mean_abs_advantage(a) + bonus * math.sqrt(math.log(total) / self._counts[a])
            for a in self.arms
        }

    def probabilities(self) -> dict[str, float]:
        """Even over unseen arms while any exists, else ``softmax(score / temperature)``."""
        scores = self.scores()
        unseen = [a for a in self.arms if scores[a] == math.inf]
        if unseen:
            return {a: (1.0 / len(unseen) if a in unseen else 0.0) for a in self.arms}
        probs = softmax([scores[a] for a in self.arms], self.config.temperature)
        return dict(zip(self.arms, probs, strict=True))

    def sample_arms(self, n: int, rng: np.random.Generator) -> list[str]:
        """Draw ``n`` data sources for the next batch from ``probabilities()``."""
        return draw(self.probabilities(), n, rng)

    def observe(self, step: int, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[Event]:
        """Count the samples of step ``step`` and their absolute advantages per source.

        Outcomes without an advantage are not counted; an unconfigured arm raises InputError.
        """
        if is_replayed(step, self._last_step):
            return []
        self._last_step = step
        for o in as_outcomes(outcomes):
            arm = known_arm(o, self.config.arm_key, self._counts, self.name)
            if o.advantage is None:
                continue
            self._counts[arm] += 1
            self._sums[arm] += abs(o.advantage)
            self._recent[arm].append(abs(o.advantage))
        return self._leader_event(step)

    def _leader_event(self, step: int) -> list[Event]:
        self._leader, events = leader_shift(self.name, step, self.probabilities(), self._leader)
        return events

    def metrics(self) -> dict[str, float]:
        """``p/<arm>``, ``n/<arm>`` and ``mean_abs_adv/<arm>`` for every arm."""
        probs = self.probabilities()
        out: dict[str, float] = {}
        for a in self.arms:
            out[f"p/{a}"] = probs[a]
            out[f"n/{a}"] = float(self._counts[a])
            out[f"mean_abs_adv/{a}"] = self.mean_abs_advantage(a)
        return out

    def state_dict(self) -> dict[str, Any]:
        """Counts, sums, recent values, leader and step bookkeeping as a plain dict."""
        return {
            "counts": dict(self._counts),
            "sums": dict(self._sums),
            "recent": {a: list(v) for a, v in self._recent.items()},
            "leader": self._leader,
            "last_step": self._last_step,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state; raise ValueError if its arms differ from the config's."""
        owner = f"ucb {self.name!r}"
        check_keys(state, ["counts", "sums", "recent", "leader", "last_step"], owner)
        check_arms(state["counts"], self.arms, owner)
        self._counts = {a: int(state["counts"][a]) for a in self.arms}
        self._sums = {a: float(state["sums"][a]) for a in self.arms}
        self._recent = {
            a: deque((float(x) for x in state["recent"][a]), maxlen=self.config.window)
            for a in self.arms
        }
        self._leader = str(state["leader"])
        self._last_step = None if state["last_step"] is None else int(state["last_step"])
