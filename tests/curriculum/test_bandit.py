"""SEC bandit: TD(0) values by hand, Boltzmann probabilities, shift toward the learnable arm."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from rewardkit.curriculum import Bandit, Outcome, build_curriculum
from rewardkit.errors import InputError

from .conftest import ARMS, share, simulate_arms


def make(**fields: Any) -> Bandit:
    body: dict[str, Any] = {"arms": ["easy", "hard"], **fields}
    c = build_curriculum("sec", {"bandit": body})
    assert isinstance(c, Bandit)
    return c


def test_td0_update_by_hand() -> None:
    b = make(learning_rate=0.5)
    b.observe(0, [Outcome("hard", "g", advantage=0.8), Outcome("hard", "g", advantage=-0.8)])
    # r_hard = mean |A| = 0.8; Q = 0 + 0.5 * (0.8 - 0) = 0.4; easy was not trained on
    assert b.values() == {"easy": 0.0, "hard": 0.4}
    b.observe(1, [Outcome("hard", "g", advantage=0.4), Outcome("easy", "g", advantage=-0.2)])
    # hard: 0.4 + 0.5 * (0.4 - 0.4) = 0.4; easy: 0 + 0.5 * (0.2 - 0) = 0.1
    assert b.values() == pytest.approx({"easy": 0.1, "hard": 0.4})


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [
        (1.0, {"easy": 0.25, "hard": 0.75}),  # exp(0) : exp(ln 3) = 1 : 3
        (0.5, {"easy": 0.1, "hard": 0.9}),  # exp(0) : exp(2 ln 3) = 1 : 9
    ],
)
def test_boltzmann_probabilities(temperature: float, expected: dict[str, float]) -> None:
    b = make(learning_rate=1.0, temperature=temperature)
    b.observe(0, [Outcome("hard", "g", advantage=math.log(3.0))])  # alpha 1: Q_hard = ln 3
    assert b.probabilities() == pytest.approx(expected)


def test_samples_without_advantage_are_not_counted() -> None:
    b = make()
    b.observe(0, [Outcome("hard", "g", advantage=None, correct=True)])
    assert b.values() == {"easy": 0.0, "hard": 0.0}


def test_unknown_arm_is_an_error() -> None:
    with pytest.raises(InputError, match="'medium' is not one of"):
        make().observe(0, [Outcome("medium", "g", advantage=0.1)])


def test_arm_from_a_difficulty_key() -> None:
    b = make(arms=["1", "2"], arm_key="level", learning_rate=1.0)
    b.observe(0, [{"source": "math", "group": "g", "advantage": 0.5, "difficulty": {"level": 2}}])
    assert b.values() == {"1": 0.0, "2": 0.5}


def test_sampling_shifts_to_the_learnable_arm() -> None:
    bandit = build_curriculum("sec", {"bandit": {"arms": ARMS, "temperature": 0.2}})
    assert isinstance(bandit, Bandit)
    picks = simulate_arms(bandit, steps=60)
    # Q -> 0.8 vs 0.05: p = e^(0.8/0.2) / (e^(0.8/0.2) + 3 e^(0.05/0.2)) = 0.934 at the limit
    assert bandit.probabilities()["learnable"] > 0.9
    assert share(picks[-20:], "learnable") > 0.85  # uniform sampling would give 0.25


def test_shift_event_when_the_learnable_arm_changes() -> None:
    bandit = make(arms=["a", "b"], temperature=0.2)
    # arm a is learnable for 20 steps, then saturates while b becomes learnable
    events = []
    rng = np.random.default_rng(1)
    for step in range(60):
        hot = "a" if step < 20 else "b"
        arms = bandit.sample_arms(16, rng)
        gains = [0.8 if arm == hot else 0.05 for arm in arms]
        events += bandit.observe(
            step, [Outcome(x, "g", advantage=g) for x, g in zip(arms, gains, strict=True)]
        )
    assert bandit.probabilities()["b"] > 0.9
    # a leads from the start (first arm; then learnable); b takes over soon after step 20
    assert [(e.kind, e.old, e.new) for e in events] == [("shift", "a", "b")]
    assert 20 <= events[0].step <= 25


def test_state_roundtrip_gives_identical_picks_and_events() -> None:
    def run(cut: int | None) -> tuple[list[list[str]], list[Any], dict[str, float]]:
        b = make(arms=ARMS, temperature=0.3)
        rng = np.random.default_rng(7)
        picks, events = [], []
        for step in range(30):
            if step == cut:
                restored = make(arms=ARMS, temperature=0.3)
                restored.load_state_dict(json.loads(json.dumps(b.state_dict())))
                b = restored
            arms = b.sample_arms(8, rng)
            picks.append(arms)
            gain = [0.8 if a == "learnable" else 0.05 for a in arms]
            events += b.observe(
                step, [Outcome(a, "g", advantage=g) for a, g in zip(arms, gain, strict=True)]
            )
        return picks, events, b.probabilities()

    assert run(cut=12) == run(cut=None)


def test_replayed_step_is_ignored() -> None:
    b = make(learning_rate=1.0)
    b.observe(3, [Outcome("hard", "g", advantage=0.5)])
    b.observe(3, [Outcome("hard", "g", advantage=0.9)])
    assert b.values()["hard"] == 0.5


def test_load_state_rejects_other_arms() -> None:
    with pytest.raises(ValueError, match="arms changed"):
        make(arms=["x", "y"]).load_state_dict(make().state_dict())


def test_metrics() -> None:
    assert make().metrics() == {"q/easy": 0.0, "q/hard": 0.0, "p/easy": 0.5, "p/hard": 0.5}
