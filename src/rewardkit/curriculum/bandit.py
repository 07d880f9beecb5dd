"""``bandit``: the Self-Evolving Curriculum (SEC) as a non-stationary multi-armed bandit.

Each category of prompts (a data source, a difficulty level, a problem type) is an arm. After a
step, an arm that was trained on gets the reward ``r`` = mean absolute advantage of its samples
in that step (a proxy for how much the model is still learning from it), and its value moves by
TD(0): ``Q <- Q + alpha * (r - Q)``. Arms not trained on keep their value. The next batch draws
arms by Boltzmann sampling, ``P(arm) = softmax(Q / temperature)``.

>>> b = Bandit("sec", BanditConfig(arms=["easy", "hard"], learning_rate=0.5))
>>> _ = b.observe(0, [Outcome("hard", "g", advantage=0.8), Outcome("hard", "g", advantage=-0.8)])
>>> b.values()
{'easy': 0.0, 'hard': 0.4}
"""

from __future__ import annotations

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
from rewardkit.schedule.base import check_keys, is_replayed, mean
from rewardkit.schedule.config import ConfigModel, Problem, join


class BanditConfig(ConfigModel):
    """``{bandit: {arms, arm_key, learning_rate, temperature, initial_value}}``."""

    arms: list[str] = Field(
        min_length=1, description="the categories; every outcome is one of them"
    )
    arm_key: str = Field("source", description="'source', or a key of each outcome's difficulty")
    learning_rate: float = Field(0.5, gt=0, le=1, description="alpha of the TD(0) update")
    temperature: float = Field(1.0, gt=0, description="Boltzmann temperature; lower is greedier")
    initial_value: float = 0.0


def arms_problems(arms: list[str], path: str) -> list[Problem]:
    """Duplicated arm names, with the field path."""
    dupes = sorted({a for a in arms if arms.count(a) > 1})
    return [(join(path, "arms"), f"arms must be unique; repeated: {dupes}")] if dupes else []


class Bandit:
    """SEC: TD(0) values per arm from the mean absolute advantage, Boltzmann sampling."""

    def __init__(self, name: str, config: BanditConfig):
        self.name = name
        self.kind = "bandit"
        self.config = config
        self.arms: tuple[str, ...] = tuple(config.arms)
        self._q = dict.fromkeys(self.arms, config.initial_value)
        self._samples = dict.fromkeys(self.arms, 0)
        self._leader = self.arms[0]
        self._last_step: int | None = None

    def values(self) -> dict[str, float]:
        """The current value Q of every arm."""
        return dict(self._q)

    def probabilities(self) -> dict[str, float]:
        """``softmax(Q / temperature)`` over the arms."""
        probs = softmax([self._q[a] for a in self.arms], self.config.temperature)
        return dict(zip(self.arms, probs, strict=True))

    def sample_arms(self, n: int, rng: np.random.Generator) -> list[str]:
        """Draw ``n`` arms for the next batch from ``probabilities()``."""
        return draw(self.probabilities(), n, rng)

    def observe(self, step: int, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[Event]:
        """Update the value of every arm trained on in step ``step``.

        Outcomes without an advantage are not counted. An outcome whose arm is not configured
        raises InputError, since it means the arms in the config do not cover the data.
        """
        if is_replayed(step, self._last_step):
            return []
        self._last_step = step
        rewards: dict[str, list[float]] = {}
        for o in as_outcomes(outcomes):
            arm = known_arm(o, self.config.arm_key, self._q, self.name)
            if o.advantage is not None:
                rewards.setdefault(arm, []).append(abs(o.advantage))
        for arm, values in rewards.items():
            self._q[arm] += self.config.learning_rate * (mean(values) - self._q[arm])
            self._samples[arm] += len(values)
        return self._leader_event(step)

    def _leader_event(self, step: int) -> list[Event]:
        self._leader, events = leader_shift(self.name, step, self.probabilities(), self._leader)
        return events

    def metrics(self) -> dict[str, float]:
        """``q/<arm>`` and ``p/<arm>`` for every arm."""
        probs = self.probabilities()
        return {
            **{f"q/{a}": self._q[a] for a in self.arms},
            **{f"p/{a}": probs[a] for a in self.arms},
        }

    def state_dict(self) -> dict[str, Any]:
        """Values, sample counts, leader and step bookkeeping as a plain dict."""
        return {
            "q": dict(self._q),
            "samples": dict(self._samples),
            "leader": self._leader,
            "last_step": self._last_step,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state; raise ValueError if its arms differ from the config's."""
        owner = f"bandit {self.name!r}"
        check_keys(state, ["q", "samples", "leader", "last_step"], owner)
        check_arms(state["q"], self.arms, owner)
        self._q = {a: float(state["q"][a]) for a in self.arms}
        self._samples = {a: int(state["samples"][a]) for a in self.arms}
        self._leader = str(state["leader"])
        self._last_step = None if state["last_step"] is None else int(state["last_step"])
