"""What every curriculum shares: the ``Outcome`` record it observes and the protocols it follows.

A curriculum chooses which prompts the next step trains on. After each step the trainer passes it
one ``Outcome`` per sample (or a plain dict with the same keys); ``observe`` returns the moves it
made as ``Event`` records (the type schedules use). Its state is a plain JSON-able dict; random
draws take the caller's ``numpy.random.Generator``, so the RNG stays outside the state.

>>> Outcome.from_mapping({"source": "gsm8k", "group": "q1", "correct": True}).correct
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from rewardkit.errors import InputError
from rewardkit.schedule.base import Event

__all__ = ["ArmSampler", "Curriculum", "Event", "Outcome", "as_outcomes"]


@dataclass(frozen=True)
class Outcome:
    """One trained sample as a curriculum sees it.

    Attributes:
        source: the data source (dataset, task) the prompt came from.
        group: the GRPO group id (all rollouts of one prompt share it).
        reward: the sample's reward, if known.
        advantage: the sample's advantage, if known (bandit and UCB read it).
        correct: whether the answer was right, if known (difficulty ladder and filter read it).
        difficulty: the prompt's difficulty attributes or category (``{"digits": 3}``).

    >>> Outcome("arith", "g1", reward=1.0, correct=True).advantage is None
    True
    """

    source: str
    group: str
    reward: float | None = None
    advantage: float | None = None
    correct: bool | None = None
    difficulty: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Outcome:
        """An Outcome from a dict with the same keys; ``source`` and ``group`` are required.

        >>> Outcome.from_mapping({"source": "s", "group": "g", "reward": 1}).reward
        1.0
        """
        missing = [k for k in ("source", "group") if data.get(k) is None]
        unknown = sorted(set(data) - _FIELDS)
        if missing or unknown:
            raise InputError(
                f"an outcome needs source and group and takes only {', '.join(sorted(_FIELDS))}; "
                f"missing: {missing or 'none'}, unknown: {unknown or 'none'} in {dict(data)!r}"
            )
        return cls(
            source=str(data["source"]),
            group=str(data["group"]),
            reward=_number(data.get("reward"), "reward"),
            advantage=_number(data.get("advantage"), "advantage"),
            correct=None if data.get("correct") is None else bool(data["correct"]),
            difficulty=dict(data.get("difficulty") or {}),
        )


_FIELDS = {"source", "group", "reward", "advantage", "correct", "difficulty"}


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"outcome {name} must be a number or None, got {value!r}") from None


def as_outcomes(items: Iterable[Outcome | Mapping[str, Any]]) -> list[Outcome]:
    """Outcomes from Outcome objects or plain dicts.

    >>> [o.group for o in as_outcomes([{"source": "s", "group": "g"}])]
    ['g']
    """
    return [x if isinstance(x, Outcome) else Outcome.from_mapping(x) for x in items]


def accuracy_value(outcome: Outcome, source: Literal["correct", "reward"]) -> float | None:
    """The sample's accuracy (1.0 / 0.0 from ``correct``, or its reward); None when unknown.

    >>> accuracy_value(Outcome("s", "g", correct=False), "correct")
    0.0
    """
    if source == "correct":
        return None if outcome.correct is None else float(outcome.correct)
    if outcome.reward is None or not math.isfinite(outcome.reward):
        return None
    return outcome.reward


@runtime_checkable
class Curriculum(Protocol):
    """Chooses what the next step trains on, from the outcomes of finished steps.

    Attributes:
        name: the curriculum's name in the config.
        kind: its type (``"difficulty_ladder"``, ``"balanced_filter"``, ``"bandit"``, ``"ucb"``).
    """

    name: str
    kind: str

    def observe(self, step: int, outcomes: Iterable[Outcome | Mapping[str, Any]]) -> list[Event]:
        """Take the outcomes of finished step ``step``; return the moves made (maybe none)."""
        ...

    def metrics(self) -> dict[str, float]:
        """Numbers worth logging each step (names relative to the curriculum)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """The state as a plain JSON-able dict."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a state saved by ``state_dict`` (ValueError if it does not fit)."""
        ...


@runtime_checkable
class ArmSampler(Curriculum, Protocol):
    """A curriculum that samples arms (categories or data sources) for the next batch."""

    arms: tuple[str, ...]

    def probabilities(self) -> dict[str, float]:
        """The probability of drawing each arm now."""
        ...

    def sample_arms(self, n: int, rng: np.random.Generator) -> list[str]:
        """Draw ``n`` arms (with replacement) for the next batch."""
        ...


def softmax(values: Sequence[float], temperature: float) -> list[float]:
    """Boltzmann probabilities ``exp(v / T) / sum``, computed stably.

    >>> [round(p, 4) for p in softmax([0.0, math.log(3.0)], 1.0)]
    [0.25, 0.75]
    """
    top = max(values)
    weights = [math.exp((v - top) / temperature) for v in values]
    total = math.fsum(weights)
    return [w / total for w in weights]


def draw(probabilities: Mapping[str, float], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` arms drawn with replacement from ``probabilities``.

    >>> draw({"a": 1.0, "b": 0.0}, 2, np.random.default_rng(0))
    ['a', 'a']
    """
    if n < 0:
        raise ValueError(f"cannot draw {n} arms; n must be >= 0")
    arms = list(probabilities)
    p = np.asarray([probabilities[a] for a in arms], dtype=float)
    picks = rng.choice(len(arms), size=n, p=p / p.sum())
    return [arms[i] for i in picks]


def arm_of(outcome: Outcome, arm_key: str) -> str:
    """The arm an outcome belongs to: its source, or a key of its difficulty mapping.

    >>> arm_of(Outcome("s", "g", difficulty={"level": 3}), "level")
    '3'
    """
    if arm_key == "source":
        return outcome.source
    if arm_key not in outcome.difficulty:
        raise InputError(
            f"outcome of group {outcome.group!r} has no difficulty[{arm_key!r}] to pick its arm; "
            f"give it, or set arm_key: source"
        )
    return str(outcome.difficulty[arm_key])


def check_arms(saved: Iterable[str], arms: Sequence[str], owner: str) -> None:
    """Raise ValueError when a saved state's arms differ from the configured ones."""
    if sorted(saved) != sorted(arms):
        raise ValueError(
            f"state for {owner} has arms {sorted(saved)} but the config has {sorted(arms)}; "
            "the arms changed since it was saved"
        )


def known_arm(outcome: Outcome, arm_key: str, arms: Mapping[str, Any], owner: str) -> str:
    """The outcome's arm, which must be one of ``arms``; InputError otherwise.

    >>> known_arm(Outcome("a", "g"), "source", {"a": 0}, "sec")
    'a'
    """
    arm = arm_of(outcome, arm_key)
    if arm not in arms:
        raise InputError(
            f"curriculum {owner!r}: arm {arm!r} is not one of {list(arms)}; add it to arms"
        )
    return arm


def leader_shift(
    source: str, step: int, probabilities: Mapping[str, float], leader: str
) -> tuple[str, list[Event]]:
    """The most likely arm, with a ``shift`` event when it overtook ``leader`` (ties keep it).

    >>> leader_shift("sec", 3, {"a": 0.4, "b": 0.6}, "a")[1][0].new
    'b'
    """
    best = max(probabilities, key=probabilities.__getitem__)
    if probabilities[best] <= probabilities[leader]:
        return leader, []
    stats = {f"p/{arm}": p for arm, p in probabilities.items()}
    return best, [Event(step, source, "shift", leader, best, stats)]
